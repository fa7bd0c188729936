/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "kv_cache.h"

g4_status
g4_kv_cache_init (g4_kv_cache * kv, const g4_hparams * hp, int n_ctx, int n_batch,
    g4_kv_type type, g4_error * err)
{
  memset (kv, 0, sizeof *kv);
  kv->type = type;
  kv->esize = type == G4_KV_F16 ? 2 : 4;
  kv->n_layer = hp->info.n_layer;
  kv->layers = calloc ((size_t) kv->n_layer, sizeof *kv->layers);
  if (!kv->layers)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory for the KV cache");
  for (int l = 0; l < kv->n_layer; l++) {
    if (!g4_has_kv (hp, l))
      continue;
    g4_kv_layer *kl = &kv->layers[l];
    int cap = n_ctx;
    if (hp->is_swa[l]) {
      int64_t ring = (int64_t) hp->info.sliding_window + n_batch - 1;
      cap = ring < n_ctx ? (int) ring : n_ctx;
    }
    kl->cap = cap;
    kl->width = hp->n_head_kv[l] * g4_head_dim (hp, l);
    size_t n = (size_t) cap * (size_t) kl->width * kv->esize;
    /* zeroed: masked slots are multiplied by weight 0 and must not hold NaN */
    kl->kt = calloc (1, n);
    kl->v = calloc (1, n);
    if (!kl->kt || !kl->v) {
      g4_kv_cache_free (kv);
      return g4_set_error (err, G4_STATUS_NO_MEMORY,
          "out of memory for the KV cache (%zu bytes per tensor of layer %d)", n, l);
    }
    kv->bytes += 2 * n;
  }
  return G4_OK;
}

void
g4_kv_cache_free (g4_kv_cache * kv)
{
  for (int l = 0; kv->layers && l < kv->n_layer; l++) {
    free (kv->layers[l].kt);
    free (kv->layers[l].v);
  }
  free (kv->layers);
  memset (kv, 0, sizeof *kv);
}

void
g4_kv_cache_store (g4_kv_cache * kv, int layer, int pos, const float *k, const float *v)
{
  g4_kv_layer *kl = &kv->layers[layer];
  const int s = pos % kl->cap, w = kl->width;
  if (kv->type == G4_KV_F32) {
    memcpy (kl->v + (size_t) s * w * 4, v, (size_t) w * 4);
    float *kt = (float *) kl->kt;
    for (int i = 0; i < w; i++)
      kt[(size_t) i * kl->cap + s] = k[i];
  } else {
    uint16_t *vr = (uint16_t *) kl->v + (size_t) s * w;
    uint16_t *kt = (uint16_t *) kl->kt;
    for (int i = 0; i < w; i++) {
      vr[i] = g4_fp32_to_fp16 (v[i]);
      kt[(size_t) i * kl->cap + s] = g4_fp32_to_fp16 (k[i]);
    }
  }
}

void
g4_kv_cache_copy_head (g4_kv_cache * kv, int layer, int n, uint8_t * kt, uint8_t * v,
    bool into_cache)
{
  g4_kv_layer *kl = &kv->layers[layer];
  const size_t e = kv->esize, row = (size_t) n * e;
  if (into_cache)
    memcpy (kl->v, v, row * kl->width);
  else
    memcpy (v, kl->v, row * kl->width);
  for (int i = 0; i < kl->width; i++) {
    uint8_t *slots = kl->kt + (size_t) i * kl->cap * e;
    if (into_cache)
      memcpy (slots, kt + i * row, row);
    else
      memcpy (kt + i * row, slots, row);
  }
}

g4_type
g4_kv_cache_type (const g4_kv_cache * kv)
{
  return kv->type == G4_KV_F16 ? G4_TYPE_F16 : G4_TYPE_F32;
}
