/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The GeGLU MLP of docs/text-decoder.md#feed-forward, shared by dense layers,
 * the MoE layers' dense branch and each expert. */
#include "decoder.h"

void
g4_feed_forward (const g4_thread * th, g4_session * s, const g4_matrix * gate,
    const g4_matrix * up, const g4_matrix * down, const float *u, g4_type prepared, int T,
    float *out)
{
  const int64_t nff = gate->n_out;
  prepared = mm_q (th, s, gate, prepared, u, T, s->gate);
  mm_q (th, s, up, prepared, u, T, s->up);
  const double p0 = g4_prof_start (th);
  /* rows enough for every member: each row's GeGLU, then its quantization
   * for down while it is in cache; else (decode) the tanh of the long rows
   * split over the members */
  const bool by_rows = T >= 2 * th->n;
  int64_t i0, i1;
  if (by_rows)
    while (g4_take (th, T, 0, &i0, &i1))
      for (int64_t t = i0; t < i1; t++) {
        float *g = s->gate + t * nff;
        g4_geglu (g, g, s->up + t * nff, nff);
        mm_prepare_row (s, down, g, (int) t, T);
      }
  else
    while (g4_take (th, (int64_t) T * nff, 0, &i0, &i1))
      g4_geglu (s->gate + i0, s->gate + i0, s->up + i0, i1 - i0);
  g4_barrier (th);
  g4_prof_stop (th, p0, by_rows ? "GeGLU and quantization" : "GeGLU");
  mm_q (th, s, down, by_rows ? down->type : G4_TYPE_COUNT, s->gate, T, out);
}
