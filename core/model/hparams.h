/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Gemma 4 hyperparameters read from the GGUF metadata
 * (docs/text-decoder.md#hyperparameters), plus the per-layer quantities derived
 * from them. Nothing here is hard-coded per model size. */
#ifndef G4_HPARAMS_H
#define G4_HPARAMS_H

#include "error.h"
#include "gguf.h"

typedef struct {
  g4_model_info info;           /* public view; its arrays point into the fields below */
  int n_vocab;
  int n_rot, n_rot_swa;         /* rotary widths of full / sliding layers */
  bool *is_swa;                 /* [n_layer] */
  int *n_head_kv;               /* [n_layer] */
  int *n_ff;                    /* [n_layer] */
  int *kv_source;               /* [n_layer]: the layer whose KV cache layer l reads (itself if it owns one) */
} g4_hparams;

g4_status g4_hparams_load (const g4_gguf * g, g4_hparams * hp, g4_error * err);
void g4_hparams_clear (g4_hparams * hp);

static inline int
g4_head_dim (const g4_hparams * hp, int l)
{
  return hp->is_swa[l] ? hp->info.head_dim_swa : hp->info.head_dim;
}

static inline bool
g4_has_kv (const g4_hparams * hp, int l)
{
  return l < hp->info.n_layer_kv_from_start;
}

#endif
