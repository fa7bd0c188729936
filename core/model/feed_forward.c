/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The GeGLU MLP of docs/text-decoder.md#feed-forward, shared by dense layers,
 * the MoE layers' dense branch and each expert. */
#include "decoder.h"

void
g4_feed_forward (g4_session * s, const g4_matrix * gate, const g4_matrix * up,
    const g4_matrix * down, const float *u, int T, float *out)
{
  const int64_t nff = gate->n_out;
  mm (s, gate, u, T, s->gate);
  mm (s, up, u, T, s->up);
  g4_geglu (s->gate, s->gate, s->up, (int64_t) T * nff, s->p.n_threads);
  mm (s, down, s->gate, T, out);
}
