/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The geometry of each ggml tensor type (a GGUF tensor's type id): part of
 * the file format, which needs it to size every tensor's data. */
#ifndef G4_TYPE_TRAITS_H
#define G4_TYPE_TRAITS_H

#include <stddef.h>
#include <stdint.h>

#include "gemma4.h"

typedef struct {
  const char *name;             /* "Q4_K" */
  int64_t block_size;           /* values per block (1 for F32/F16/BF16) */
  size_t type_size;             /* bytes per block */
} g4_type_traits;

/* Traits of a ggml type id, or NULL for an unknown or removed id. */
const g4_type_traits *g4_type_traits_get (uint32_t type);
/* Bytes of a row of n values (n must be a multiple of the block size). */
size_t g4_row_size (g4_type type, int64_t n);

#endif
