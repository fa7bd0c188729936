/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-layer embeddings of E2B/E4B (docs/text-decoder.md#per-layer-embeddings,
 * trap T9). The token part is one row of a 2.35 B-value table, read in place
 * from the mapping; positions holding injected media embeddings use row 0
 * (<pad>). */
#include <math.h>

#include "decoder.h"

void
g4_ple_inputs (g4_session * s, const g4_token * tokens, const bool *embd_mask, int T)
{
  const g4_model *m = s->model;
  const g4_model_info *in = &m->hp.info;
  const int d = in->n_embd, P = in->n_embd_per_layer, L = in->n_layer, LP = L * P;
  const g4_matrix *E = &m->w.ple_token_embd;
  const float sqrt_p = sqrtf ((float) P), inv_sqrt_d = 1.0f / sqrtf ((float) d);
  const float inv_sqrt2 = 1.0f / sqrtf (2.0f);

  /* context part from the scaled embeddings h0 (already in s->h) */
  mm (s, &m->w.ple_model_proj, s->h, T, s->ple_ctx);
  for (int t = 0; t < T; t++) {
    const bool media = embd_mask && embd_mask[t];
    const g4_token id = media ? 0 : tokens[t];
    float *e = s->pli + (size_t) t * LP, *c = s->ple_ctx + (size_t) t * LP;
    g4_dequantize_row (E->type, (const uint8_t *) E->data + (size_t) id * E->row_bytes, e, LP);
    for (int l = 0; l < L; l++) {
      float *cl = c + l * P;
      g4_scale (cl, P, inv_sqrt_d);
      g4_rmsnorm (cl, cl, m->w.ple_proj_norm, P, in->rms_eps);
    }
    for (int i = 0; i < LP; i++)
      e[i] = (c[i] + e[i] * sqrt_p) * inv_sqrt2;
  }
}

void
g4_ple_apply (g4_session * s, int l, int T)
{
  const g4_model *m = s->model;
  const g4_model_info *in = &m->hp.info;
  const g4_layer_weights *lw = &m->w.layers[l];
  const int d = in->n_embd, P = in->n_embd_per_layer, LP = in->n_layer * P;

  mm (s, &lw->inp_gate, s->h, T, s->ple_g);
  for (int t = 0; t < T; t++) {
    float *g = s->ple_g + (size_t) t * P;
    g4_geglu (g, g, s->pli + (size_t) t * LP + (size_t) l * P, P, 1);
  }
  mm (s, &lw->proj, s->ple_g, T, s->y);
  for (int t = 0; t < T; t++) {
    float *z = s->y + (size_t) t * d;
    g4_rmsnorm (z, z, lw->post_norm, d, in->rms_eps);
    g4_add (s->h + (size_t) t * d, z, d);
  }
}
