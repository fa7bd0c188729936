/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-layer embeddings of E2B/E4B (docs/text-decoder.md#per-layer-embeddings,
 * trap T9). The token part is one row of a 2.35 B-value table, read in place
 * from the mapping; positions holding injected media embeddings use row 0
 * (<pad>). */
#include <math.h>

#include "decoder.h"

void
g4_ple_inputs (const g4_thread * th, g4_session * s, int T)
{
  const g4_model *m = s->model;
  const g4_model_info *in = &m->hp.info;
  const int d = in->n_embd, P = in->n_embd_per_layer, L = in->n_layer, LP = L * P;
  const g4_matrix *E = &m->w.ple_token_embd;
  const float sqrt_p = sqrtf ((float) P), inv_sqrt_d = 1.0f / sqrtf ((float) d);
  const float inv_sqrt2 = 1.0f / sqrtf (2.0f);

  /* context part from the scaled embeddings h0 (already in s->h) */
  mm (th, s, &m->w.ple_model_proj, s->h, T, s->ple_ctx);
  const double p0 = g4_prof_start (th);
  /* slices of n_sl layers of one token: one layer when P is whole blocks of
   * the table's type (the real files), else the whole row */
  const int n_sl = P % g4_type_traits_get (E->type)->block_size == 0 ? 1 : L;
  const int64_t per_token = L / n_sl;
  int64_t i0, i1;
  while (g4_take (th, (int64_t) T * per_token, 0, &i0, &i1))
    for (int64_t i = i0; i < i1; i++) {
      const int64_t t = i / per_token, l0 = i % per_token * n_sl;
      const g4_token id = s->row_embd[t] ? 0 : s->row_token[t];
      float *e = s->pli + (size_t) t * LP + l0 * P, *c = s->ple_ctx + (size_t) t * LP + l0 * P;
      g4_dequantize_row (E->type, (const uint8_t *) E->data + (size_t) id * E->row_bytes
          + g4_row_size (E->type, l0 * P), e, (int64_t) n_sl * P);
      for (int l = 0; l < n_sl; l++) {
        float *cl = c + l * P;
        g4_scale (cl, P, inv_sqrt_d);
        g4_rmsnorm (cl, cl, m->w.ple_proj_norm, P, in->rms_eps);
      }
      for (int j = 0; j < n_sl * P; j++)
        e[j] = (c[j] + e[j] * sqrt_p) * inv_sqrt2;
    }
  g4_barrier (th);
  g4_prof_stop (th, p0, "PLE inputs");
}

void
g4_ple_apply (const g4_thread * th, g4_session * s, int l, g4_type prepared, int T)
{
  const g4_model *m = s->model;
  const g4_model_info *in = &m->hp.info;
  const g4_layer_weights *lw = &m->w.layers[l];
  const int P = in->n_embd_per_layer, LP = in->n_layer * P;
  int64_t i0, i1;

  mm_q (th, s, &lw->inp_gate, prepared, s->h, T, s->ple_g);
  double p0 = g4_prof_start (th);
  while (g4_take (th, T, 0, &i0, &i1))
    for (int64_t t = i0; t < i1; t++) {
      float *g = s->ple_g + (size_t) t * P;
      g4_geglu (g, g, s->pli + (size_t) t * LP + (size_t) l * P, P);
      mm_prepare_row (s, &lw->proj, g, (int) t, T);
    }
  g4_barrier (th);
  g4_prof_stop (th, p0, "PLE GeGLU");
  mm_q (th, s, &lw->proj, lw->proj.type, s->ple_g, T, s->y);
  g4_norm_add (th, s, s->y, lw->post_norm, T, NULL, NULL);
}
