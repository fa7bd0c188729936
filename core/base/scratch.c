/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-thread scratch blocks (see scratch.h): a pthread key whose destructor
 * frees the thread's blocks. */
#include "scratch.h"

#include <pthread.h>
#include <stdlib.h>

#include "error.h"

#define ALIGN 64

typedef struct {
  void *p[G4_SCRATCH_N_SLOTS];
  size_t cap[G4_SCRATCH_N_SLOTS];
} thread_scratch;

static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int key_ok;

static void
free_thread_scratch (void *data)
{
  thread_scratch *ts = data;
  for (int i = 0; i < G4_SCRATCH_N_SLOTS; i++)
    free (ts->p[i]);
  free (ts);
}

static void
make_key (void)
{
  key_ok = pthread_key_create (&key, free_thread_scratch) == 0;
}

void *
g4_scratch_get (g4_scratch_slot slot, size_t bytes)
{
  if (slot < 0 || slot >= G4_SCRATCH_N_SLOTS || pthread_once (&once, make_key) || !key_ok)
    return NULL;
  thread_scratch *ts = pthread_getspecific (key);
  if (!ts) {
    if (!(ts = calloc (1, sizeof *ts)))
      return NULL;
    if (pthread_setspecific (key, ts)) {
      free (ts);
      return NULL;
    }
  }
  if (bytes <= ts->cap[slot] && ts->p[slot])
    return ts->p[slot];
  /* half as much again: a stream whose sizes creep up reallocates rarely */
  size_t cap = ts->cap[slot] + ts->cap[slot] / 2;
  cap = cap > bytes ? cap : bytes;
  cap = (cap + ALIGN - 1) / ALIGN * ALIGN;
  void *p = aligned_alloc (ALIGN, cap ? cap : ALIGN);
  if (!p)
    return NULL;
  free (ts->p[slot]);
  ts->p[slot] = p;
  ts->cap[slot] = cap;
  return p;
}

g4_status
g4_arena_take (const g4_arena_part * parts, size_t n_parts, const char *what, g4_error * err)
{
  size_t total = 0;
  for (size_t i = 0; i < n_parts; i++)
    total += (parts[i].bytes + ALIGN - 1) / ALIGN * ALIGN;
  char *arena = g4_scratch_get (G4_SCRATCH_ENCODER, total);
  if (!arena)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory (%zu bytes for %s)", total,
        what);
  size_t off = 0;
  for (size_t i = 0; i < n_parts; i++) {
    *parts[i].p = arena + off;
    off += (parts[i].bytes + ALIGN - 1) / ALIGN * ALIGN;
  }
  return G4_OK;
}
