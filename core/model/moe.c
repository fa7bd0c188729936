/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The expert branch of a 26B-A4B layer (docs/text-decoder.md#moe, trap T11):
 * router on the unweighted-normed residual stream, softmax over all experts,
 * top-k, renormalised, times the per-expert scale; each expert is a GeGLU MLP
 * on pre_ffw_norm_2(h_a). Tokens are grouped by expert so each expert's
 * weights are streamed once per batch. */
#include <math.h>
#include <string.h>

#include "decoder.h"

static void
route (g4_session * s, const g4_layer_weights * lw, int t)
{
  const g4_model_info *in = &s->model->hp.info;
  const int E = in->n_expert, k = in->n_expert_used;
  float *p = s->router + (size_t) t * E;
  g4_softmax (p, E);
  int *sel = s->sel + (size_t) t * k;
  float *w = s->sel_w + (size_t) t * k;
  float sum = 0.0f;
  for (int j = 0; j < k; j++) {
    int best = -1;
    for (int e = 0; e < E; e++) {
      bool taken = false;
      for (int i = 0; i < j; i++)
        taken |= sel[i] == e;
      if (!taken && (best < 0 || p[e] > p[best]))
        best = e;
    }
    sel[j] = best;
    w[j] = p[best];
    sum += p[best];
  }
  /* the reference clamps the sum so a degenerate router cannot divide by 0 */
  sum = sum < 6.103515625e-5f ? 6.103515625e-5f : sum;
  for (int j = 0; j < k; j++)
    w[j] = w[j] / sum * (lw->exp_scale ? lw->exp_scale[sel[j]] : 1.0f);
}

static g4_matrix
expert (const g4_matrix * m0, size_t stride, int e)
{
  g4_matrix m = *m0;
  m.data = (const uint8_t *) m0->data + stride * (size_t) e;
  return m;
}

void
g4_moe (const g4_thread * th, g4_session * s, const g4_layer_weights * lw, const float *h_a,
    int T, float *out)
{
  const g4_model_info *in = &s->model->hp.info;
  const int d = in->n_embd, E = in->n_expert, k = in->n_expert_used;
  const float eps = in->rms_eps;
  int64_t i0, i1;

  /* router input: rms_unweighted(h_a) / sqrt(d) * scale; expert input in s->x */
  while (g4_take (th, T, 0, &i0, &i1))
    for (int64_t t = i0; t < i1; t++) {
      float *r = s->y2 + (size_t) t * d;
      g4_rmsnorm (r, h_a + (size_t) t * d, NULL, d, eps);
      const float inv_sqrt_d = 1.0f / sqrtf ((float) d);
      for (int i = 0; i < d; i++)
        r[i] = r[i] * inv_sqrt_d * lw->router_scale[i];
      g4_rmsnorm (s->x + (size_t) t * d, h_a + (size_t) t * d, lw->pre_ffw_norm_2, d, eps);
    }
  g4_barrier (th);
  mm (th, s, &lw->router, s->y2, T, s->router);
  while (g4_take (th, T, 0, &i0, &i1))
    for (int64_t t = i0; t < i1; t++) {
      route (s, lw, (int) t);
      /* out may be the router input, read by the product above */
      memset (out + (size_t) t * d, 0, sizeof (float) * d);
    }
  g4_barrier (th);

  for (int e = 0; e < E; e++) {
    /* every member lists the expert's tokens itself: no barrier needed */
    int n = 0;
    for (int t = 0; t < T; t++)
      for (int j = 0; j < k; j++)
        if (s->sel[t * k + j] == e)
          n++;
    if (n == 0)
      continue;
    if (th->id == 0) {
      n = 0;
      for (int t = 0; t < T; t++)
        for (int j = 0; j < k; j++)
          if (s->sel[t * k + j] == e) {
            s->exp_tokens[n] = t;
            s->exp_w[n++] = s->sel_w[t * k + j];
          }
    }
    g4_barrier (th);
    while (g4_take (th, n, 0, &i0, &i1))
      for (int64_t i = i0; i < i1; i++)
        memcpy (s->exp_x + (size_t) i * d, s->x + (size_t) s->exp_tokens[i] * d,
            sizeof (float) * d);
    g4_barrier (th);
    const g4_matrix G = expert (&lw->exp_gate, lw->exp_gate_stride, e);
    const g4_matrix U = expert (&lw->exp_up, lw->exp_up_stride, e);
    const g4_matrix D = expert (&lw->exp_down, lw->exp_down_stride, e);
    g4_feed_forward (th, s, &G, &U, &D, s->exp_x, G4_TYPE_COUNT, n, s->exp_out);
    /* a token takes an expert at most once: rows are distinct */
    while (g4_take (th, n, 0, &i0, &i1))
      for (int64_t i = i0; i < i1; i++) {
        float *o = out + (size_t) s->exp_tokens[i] * d;
        const float *z = s->exp_out + (size_t) i * d;
        for (int c = 0; c < d; c++)
          o[c] += s->exp_w[i] * z[c];
      }
    g4_barrier (th);
  }
}
