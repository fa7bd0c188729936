/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Scratch memory a thread keeps between calls: the large temporary buffers
 * of the encoders (activations, the resampled canvas). Each thread has one
 * block per slot, grown geometrically and never shrunk, freed when the
 * thread ends. Once warm, a worker that encodes image after image allocates
 * nothing: freeing and allocating blocks of a few MB per frame fragments the
 * heap around the small allocations an application keeps (its results), and
 * memory then grows without bound. */
#ifndef G4_SCRATCH_H
#define G4_SCRATCH_H

#include <stddef.h>

#include "gemma4.h"

typedef enum {
  G4_SCRATCH_ENCODER,           /* an encoder's arena (g4_arena_take) */
  G4_SCRATCH_CANVAS,            /* an image resampled to the encoder's size */
  G4_SCRATCH_N_SLOTS
} g4_scratch_slot;

/* At least bytes of this thread's slot, 64-byte aligned, contents undefined;
 * valid until the thread's next call for the same slot. NULL when out of
 * memory. */
void *g4_scratch_get (g4_scratch_slot slot, size_t bytes);

/* One buffer of an arena: *p is set to bytes of it. */
typedef struct {
  void **p;
  size_t bytes;
} g4_arena_part;

/* Lays out parts (each 64-byte aligned) in this thread's G4_SCRATCH_ENCODER
 * slot. The error names what the memory was for. */
g4_status g4_arena_take (const g4_arena_part * parts, size_t n_parts, const char *what,
    g4_error * err);

#endif
