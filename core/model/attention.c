/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The attention block of one layer (docs/text-decoder.md#attention, traps T2,
 * T3, T6, T7, T8): q/k norms, weightless v norm, V = raw K when attn_v is
 * absent, RoPE, scale 1, causal mask with the sliding window
 * 0 <= p_q - p_k < W, KV sharing. The attention itself is g4_attention_f32
 * over the cache as stored (K transposed). The rows of a pass may belong to several sequences: the
 * projections run over all of them, attention over each one's own cache. */
#include <math.h>
#include <string.h>

#include "decoder.h"

/* Step 4 for every sequence of the pass at once (one barrier per step of
 * it, not per sequence): query row i of a sequence (position p = pos0 + i)
 * sees its own cached positions up to p, on sliding layers only the last
 * `window` of them, and there a media row also the later rows of its own
 * span (bidirectional image attention, docs/text-decoder.md#image-attention;
 * the window only limits the past, as in the reference). Scale 1 (T8).
 * Empty slots have position -1, below every row's first. Each sequence's
 * slot positions and packed keys go to its own session's buffers, its rows'
 * ranges to the pass's. */
static void
attend (const g4_thread * th, g4_session * s, const g4_pass_seq * seqs, int n_seq, int l)
{
  const g4_hparams *hp = &s->model->hp;
  const int H = hp->info.n_head, hd = g4_head_dim (hp, l);
  const int src = hp->kv_source[l];
  const int window = hp->is_swa[l] ? hp->info.sliding_window : 0;
  int64_t n_tasks = 0, i0, i1;
  double p0 = g4_prof_start (th);
  for (int q = 0; q < n_seq; q++) {
    const g4_pass_seq *sq = &seqs[q];
    const g4_kv_layer *kl = &sq->s->kv.layers[src];
    const int last_pos = sq->s->n_past + sq->n - 1;
    const int n_slots = last_pos + 1 < kl->cap ? last_pos + 1 : kl->cap;
    if (th->id == 0) {
      s->att_args[q] = (g4_attention_args) {
        .q = s->q + (size_t) sq->row0 * H * hd, .k = kl->kt, .v = kl->v,
        .o = s->attn + (size_t) sq->row0 * H * hd, .n_q = sq->n, .n_kv = n_slots, .n_head = H,
        .head_dim = hd, .ld_q = (int64_t) H * hd, .ld_kv = kl->width, .ld_o = (int64_t) H * hd,
        .scale = 1.0f, .n_head_kv = hp->n_head_kv[src],
        .kv_type = g4_kv_cache_type (&sq->s->kv), .k_transposed = true,
        .ld_kt = kl->cap, .key_pos = sq->s->att_kpos, .q_lo = s->att_lo + sq->row0,
        .q_hi = s->att_hi + sq->row0,
      };
      s->att_scratches[q] = sq->s->att_scratch;
    }
    n_tasks += n_slots + sq->n;
  }
  /* one loop (one shared counter): each sequence's slot positions, then its rows' ranges */
  int q = 0;
  int64_t base = 0;
  while (g4_take (th, n_tasks, 0, &i0, &i1))
    for (int64_t k = i0; k < i1; k++) {
      const g4_pass_seq *sq;
      const g4_kv_layer *kl;
      int pos0, last_pos, n_slots;
      for (;;) {
        sq = &seqs[q];
        kl = &sq->s->kv.layers[src];
        pos0 = sq->s->n_past;
        last_pos = pos0 + sq->n - 1;
        n_slots = last_pos + 1 < kl->cap ? last_pos + 1 : kl->cap;
        if (k < base + n_slots + sq->n)
          break;
        base += n_slots + sq->n;
        q++;
      }
      if (k - base < n_slots) {
        sq->s->att_kpos[k - base] = g4_kv_slot_pos (kl, (int) (k - base), last_pos);
        continue;
      }
      const int64_t i = k - base - n_slots;
      const int *span = s->span + sq->row0;
      const int p = pos0 + (int) i;
      int64_t end = i + 1;
      while (window > 0 && span[i] >= 0 && end < sq->n && span[end] == span[i])
        end++;
      s->att_lo[sq->row0 + i] = window > 0 && p - window + 1 > 0 ? p - window + 1 : 0;
      s->att_hi[sq->row0 + i] = pos0 + (int) end;
    }
  g4_barrier (th);
  g4_attention_f32_team_many (th, s->att_args, s->att_scratches, n_seq);
  g4_prof_stop (th, p0, "attention");
}

void
g4_attention_block (const g4_thread * th, g4_session * s, const g4_pass_seq * seqs,
    int n_seq, int l, int T)
{
  const g4_model *m = s->model;
  const g4_hparams *hp = &m->hp;
  const g4_layer_weights *lw = &m->w.layers[l];
  const int d = hp->info.n_embd, H = hp->info.n_head, hd = g4_head_dim (hp, l);
  const int src = hp->kv_source[l];
  const int Hkv = hp->n_head_kv[src];
  const int n_rot = hp->is_swa[l] ? hp->n_rot_swa : hp->n_rot;
  const float eps = hp->info.rms_eps;
  const float *rcos = s->rope_cos[hp->is_swa[l]], *rsin = s->rope_sin[hp->is_swa[l]];
  const int half = n_rot / 2;
  int64_t i0, i1;

  double p0 = g4_prof_start (th);
  while (g4_take (th, T, 0, &i0, &i1))
    for (int64_t t = i0; t < i1; t++) {
      float *x = s->x + (size_t) t * d;
      g4_rmsnorm (x, s->h + (size_t) t * d, lw->attn_norm, d, eps);
      mm_prepare_row (s, &lw->q, x, (int) t, T);
    }
  g4_barrier (th);
  g4_prof_stop (th, p0, "norms and residuals");

  /* step 2: q = rope(q_norm(Wq x)), one (token, head) pair at a time */
  g4_type prepared = mm_q (th, s, &lw->q, lw->q.type, s->x, T, s->q);
  p0 = g4_prof_start (th);
  while (g4_take (th, (int64_t) T * H, 0, &i0, &i1))
    for (int64_t i = i0; i < i1; i++) {
      const int64_t t = i / H;
      float *qh = s->q + (size_t) i * hd;
      g4_rmsnorm (qh, qh, lw->q_norm, hd, eps);
      g4_rope_rotate (qh, 1, hd, n_rot, rcos + t * half, rsin + t * half);
    }
  g4_barrier (th);
  g4_prof_stop (th, p0, "q/k/v norms, RoPE, KV store");

  /* step 3: this layer's K/V into each sequence's cache; shared layers read
   * src's (T7, docs/text-decoder.md#kv-sharing) */
  if (src == l) {
    const int w = Hkv * hd;
    prepared = mm_q (th, s, &lw->k, prepared, s->x, T, s->k);
    if (lw->v.data)
      mm_q (th, s, &lw->v, prepared, s->x, T, s->v);
    else if (th->id == 0)
      memcpy (s->v, s->k, sizeof (float) * (size_t) T * w);
    g4_barrier (th);
    p0 = g4_prof_start (th);
    while (g4_take (th, T, 0, &i0, &i1))
      for (int64_t t = i0; t < i1; t++) {
        float *kt = s->k + (size_t) t * w, *vt = s->v + (size_t) t * w;
        for (int g = 0; g < Hkv; g++) {
          g4_rmsnorm (kt + g * hd, kt + g * hd, lw->k_norm, hd, eps);
          g4_rmsnorm (vt + g * hd, vt + g * hd, NULL, hd, eps);
        }
        g4_rope_rotate (kt, Hkv, hd, n_rot, rcos + t * half, rsin + t * half);
        /* distinct slots: the ring holds a whole batch */
        g4_kv_cache_store (&seqs[s->row_seq[t]].s->kv, l, s->row_pos[t], kt, vt);
      }
    g4_barrier (th);
    g4_prof_stop (th, p0, "q/k/v norms, RoPE, KV store");
  }

  attend (th, s, seqs, n_seq, l);

  /* step 5 (the caller's g4_norm_add does step 6) */
  mm (th, s, &lw->o, s->attn, T, s->y);
}
