/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One forward pass of the Gemma 4 text decoder over T positions,
 * reading top to bottom like docs/text-decoder.md#forward-pass. The rows may
 * belong to several sequences: only attention tells them apart. */
#include <math.h>
#include <string.h>

#include "decoder.h"

/* h0 = token_embd[t] * sqrt(d) in exact fp32 (trap T4,
 * docs/text-decoder.md#embedding); injected media rows are taken as they are. */
static void
embed (const g4_thread * th, g4_session * s, int T)
{
  const g4_model *m = s->model;
  const int d = m->hp.info.n_embd;
  const g4_matrix *E = &m->w.token_embd;
  const float scale = sqrtf ((float) d);
  const double p0 = g4_prof_start (th);
  for (int64_t t0, t1; g4_take (th, T, 0, &t0, &t1);)
    for (int64_t t = t0; t < t1; t++) {
      float *h = s->h + (size_t) t * d;
      if (s->row_embd[t]) {
        memcpy (h, s->row_embd[t], sizeof (float) * d);
      } else {
        g4_dequantize_row (E->type, (const uint8_t *) E->data + (size_t) s->row_token[t] * E->row_bytes, h, d);
        g4_scale (h, d, scale);
      }
    }
  g4_barrier (th);
  g4_prof_stop (th, p0, "embedding");
}

/* h += post_ffw_norm(FFN(h)), with the MoE mixture when present
 * (docs/text-decoder.md#moe); x is already ffn_norm(h), quantized for the
 * gate's products. The last norm quantizes h for next's products (the
 * per-layer embedding's input gate) when next is given. */
static void
feed_forward_block (const g4_thread * th, g4_session * s, const g4_layer_weights * lw, int T,
    const g4_matrix * next)
{
  const g4_model_info *in = &s->model->hp.info;
  const int d = in->n_embd;
  const float eps = in->rms_eps;
  g4_feed_forward (th, s, &lw->gate, &lw->up, &lw->down, s->x, lw->gate.type, T, s->y);
  if (lw->moe) {
    g4_moe (th, s, lw, s->h, T, s->y2);
    const double p0 = g4_prof_start (th);
    for (int64_t t0, t1; g4_take (th, T, 0, &t0, &t1);)
      for (int64_t t = t0; t < t1; t++) {
        float *y = s->y + (size_t) t * d, *y2 = s->y2 + (size_t) t * d;
        g4_rmsnorm (y, y, lw->post_ffw_norm_1, d, eps);
        g4_rmsnorm (y2, y2, lw->post_ffw_norm_2, d, eps);
        g4_add (y, y2, d);
      }
    g4_barrier (th);
    g4_prof_stop (th, p0, "norms and residuals");
  }
  g4_norm_add (th, s, s->y, lw->post_ffw_norm, T, NULL, next);
}

void
g4_norm_add (const g4_thread * th, g4_session * s, float *y, const float *w, int T,
    const float *next_norm, const g4_matrix * next)
{
  const g4_model_info *in = &s->model->hp.info;
  const int d = in->n_embd;
  const double p0 = g4_prof_start (th);
  for (int64_t t0, t1; g4_take (th, T, 0, &t0, &t1);)
    for (int64_t t = t0; t < t1; t++) {
      float *yt = y + (size_t) t * d, *h = s->h + (size_t) t * d, *x = s->x + (size_t) t * d;
      g4_rmsnorm (yt, yt, w, d, in->rms_eps);
      g4_add (h, yt, d);
      if (next_norm)
        g4_rmsnorm (x, h, next_norm, d, in->rms_eps);
      if (next)
        mm_prepare_row (s, next, next_norm ? x : h, (int) t, T);
    }
  g4_barrier (th);
  g4_prof_stop (th, p0, "norms and residuals");
}

/* Logits of the wanted positions, packed (docs/text-decoder.md#output). */
static void
output (const g4_thread * th, g4_session * s, const bool *want, int T, float *logits)
{
  const g4_model *m = s->model;
  const g4_model_info *in = &m->hp.info;
  const int d = in->n_embd;
  int n = 0;
  for (int t = 0; t < T; t++)
    n += want[t];
  if (n == 0)
    return;
  double p0 = g4_prof_start (th);
  for (int64_t t0, t1; g4_take (th, T, 0, &t0, &t1);) {
    int row = 0;
    for (int t = 0; t < t0; t++)
      row += want[t];
    for (int64_t t = t0; t < t1; t++)
      if (want[t])
        g4_rmsnorm (s->logit_rows + (size_t) row++ * d, s->h + (size_t) t * d,
            m->w.output_norm, d, in->rms_eps);
  }
  g4_barrier (th);
  g4_prof_stop (th, p0, "norms and residuals");
  g4_matmul_team (th, "LM head", &m->w.output, s->logit_rows, n, logits, m->w.output.n_out,
      s->mm_scratch);
  if (in->final_softcap > 0.0f) {
    p0 = g4_prof_start (th);
    for (int64_t i0, i1; g4_take (th, (int64_t) n * m->hp.n_vocab, 0, &i0, &i1);)
      g4_softcap (logits + i0, i1 - i0, in->final_softcap);
    g4_barrier (th);
    g4_prof_stop (th, p0, "soft-cap");
  }
}

typedef struct {
  g4_session *s;                /* whose buffers the pass uses */
  const g4_pass_seq *seqs;
  int n_seq, T;
  float *logits;
  int all_cancelled;            /* member 0's reading of the sequences' cancel flags */
  bool cancelled;               /* g4_team_cancelled's shared copy */
  int cancelled_layer;
} pass;

static int
all_cancelled (const g4_pass_seq * seqs, int n_seq)
{
  for (int i = 0; i < n_seq; i++) {
    const volatile int *c = seqs[i].s->p.cancel;
    if (!c || !*c)
      return 0;
  }
  return 1;
}

/* docs/text-decoder.md#forward-pass, run by every member of the pass's team. */
static void
forward (const g4_thread * th, void *arg)
{
  pass *a = arg;
  g4_session *s = a->s;
  const g4_model *m = s->model;
  const g4_hparams *hp = &m->hp;
  const int T = a->T;

  embed (th, s, T);
  if (hp->info.n_embd_per_layer > 0)
    g4_ple_inputs (th, s, T);
  const double p0 = g4_prof_start (th);
  g4_rope_table (th, s->rope_cos[0], s->rope_sin[0], s->row_pos, T, hp->n_rot,
      hp->info.rope_theta, m->w.rope_freqs);
  g4_rope_table (th, s->rope_cos[1], s->rope_sin[1], s->row_pos, T, hp->n_rot_swa,
      hp->info.rope_theta_swa, NULL);
  g4_prof_stop (th, p0, "RoPE tables");

  for (int l = 0; l < hp->info.n_layer; l++) {
    if (th->id == 0)
      a->all_cancelled = all_cancelled (a->seqs, a->n_seq);
    if (g4_team_cancelled (th, &a->all_cancelled, &a->cancelled)) {
      a->cancelled_layer = l;
      return;
    }
    const g4_layer_weights *lw = &m->w.layers[l];
    const bool ple = hp->info.n_embd_per_layer > 0;
    g4_attention_block (th, s, a->seqs, a->n_seq, l, T);
    g4_norm_add (th, s, s->y, lw->post_attn_norm, T, lw->ffn_norm, &lw->gate);
    feed_forward_block (th, s, lw, T, ple ? &lw->inp_gate : NULL);
    if (ple)
      g4_ple_apply (th, s, l, lw->inp_gate.type, T);
    /* T10 (docs/text-decoder.md#layer-scalar): the scalar scales the whole
     * residual stream */
    if (lw->out_scale != 1.0f) {
      const int d = hp->info.n_embd;
      const double p1 = g4_prof_start (th);
      for (int64_t t0, t1; g4_take (th, T, 0, &t0, &t1);)
        g4_scale (s->h + (size_t) t0 * d, (t1 - t0) * d, lw->out_scale);
      g4_barrier (th);
      g4_prof_stop (th, p1, "norms and residuals");
    }
  }
  output (th, s, s->want, T, a->logits);
}

g4_status
g4_decoder_forward (g4_session * w, const g4_pass_seq * seqs, int n_seq, int T,
    float *logits, g4_error * err)
{
  int n_threads = 0;
  for (int i = 0; i < n_seq; i++)
    n_threads = seqs[i].s->p.n_threads > n_threads ? seqs[i].s->p.n_threads : n_threads;
  pass a = {.s = w,.seqs = seqs,.n_seq = n_seq,.T = T,.logits = logits };
  g4_team_run (n_threads, forward, &a);
  if (a.cancelled)
    return g4_set_error (err, G4_STATUS_CANCELLED, "decode cancelled at layer %d",
        a.cancelled_layer);
  for (int i = 0; i < n_seq; i++)
    seqs[i].s->n_past += seqs[i].n;
  return G4_OK;
}
