/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-layer K/V storage (docs/text-decoder.md#kv-cache). Full layers hold
 * every position (slot = position); sliding layers are ring buffers of
 * W + n_batch - 1 slots, enough that writing a whole batch never evicts a key
 * an earlier query of the same batch still sees; KV-shared layers own nothing.
 * K is stored transposed (one row of slots per key dimension), V row-major
 * per slot: the layouts g4_attention_f32's kernel reads, so that packing a
 * head for a call copies runs instead of transposing the whole cache. */
#ifndef G4_KV_CACHE_H
#define G4_KV_CACHE_H

#include "hparams.h"
#include "kernels.h"

typedef struct {
  int cap;                      /* slots; 0 for layers without their own cache */
  int width;                    /* Hkv * hd */
  uint8_t *kt;                  /* [width][cap] */
  uint8_t *v;                   /* [cap][width] */
} g4_kv_layer;

typedef struct {
  g4_kv_type type;
  size_t esize;
  int n_layer;
  g4_kv_layer *layers;
  size_t bytes;
} g4_kv_cache;

g4_status g4_kv_cache_init (g4_kv_cache * kv, const g4_hparams * hp, int n_ctx,
    int n_batch, g4_kv_type type, g4_error * err);
void g4_kv_cache_free (g4_kv_cache * kv);

/* Stores rows k[width], v[width] of position pos. */
void g4_kv_cache_store (g4_kv_cache * kv, int layer, int pos, const float *k, const float *v);

/* Positions [0, n) of layer l (n <= its cap, in slots 0..n-1) to or from
 * a compact copy: K^T as [width][n], V as [n][width]. */
void g4_kv_cache_copy_head (g4_kv_cache * kv, int layer, int n, uint8_t * kt, uint8_t * v,
    bool into_cache);

/* Position held by slot s once positions 0..last_pos have been stored (-1: empty). */
static inline int
g4_kv_slot_pos (const g4_kv_layer * kl, int s, int last_pos)
{
  if (s > last_pos)
    return -1;
  return last_pos - ((last_pos - s) % kl->cap);
}

/* The element type of K and V (kv head g's dimensions from row g * hd of
 * K^T and at g * hd of each V row). */
g4_type g4_kv_cache_type (const g4_kv_cache * kv);

#endif
