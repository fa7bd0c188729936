/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Read-only memory mapping of a whole file: weights are used in place. */
#ifndef G4_MAPPED_FILE_H
#define G4_MAPPED_FILE_H

#include "error.h"

typedef struct {
  const uint8_t *data;
  size_t size;
} g4_mapped_file;

g4_status g4_mapped_file_open (const char *path, g4_mapped_file * mf, g4_error * err);
void g4_mapped_file_close (g4_mapped_file * mf);
/* Gives back the resident pages wholly inside [p, p + n) of a mapping, once
 * their contents live elsewhere (repacked weights): they leave the process's
 * RSS, and a later read would map them again from the file. */
void g4_mapped_release (const void *p, size_t n);

#endif
