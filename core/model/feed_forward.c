/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The GeGLU MLP of docs/text-decoder.md#feed-forward, shared by dense layers,
 * the MoE layers' dense branch and each expert. */
#include "decoder.h"

void
g4_feed_forward (const g4_thread * th, g4_session * s, const g4_matrix * gate,
    const g4_matrix * up, const g4_matrix * down, const float *u, int T, float *out)
{
  const int64_t nff = gate->n_out;
  mm (th, s, gate, u, T, s->gate);
  mm (th, s, up, u, T, s->up);
  const double p0 = g4_prof_start (th);
  for (int64_t i0, i1; g4_take (th, (int64_t) T * nff, 0, &i0, &i1);)
    g4_geglu (s->gate + i0, s->gate + i0, s->up + i0, i1 - i0);
  g4_barrier (th);
  g4_prof_stop (th, p0, "GeGLU");
  mm (th, s, down, s->gate, T, out);
}
