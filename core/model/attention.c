/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The attention block of one layer (docs/text-decoder.md#attention, traps T2,
 * T3, T6, T7, T8): q/k norms, weightless v norm, V = raw K when attn_v is
 * absent, RoPE, scale 1, causal mask with the sliding window
 * 0 <= p_q - p_k < W, KV sharing. Both products run as g4_matmul over strided
 * cache views. The rows of a pass may belong to several sequences: the
 * projections run over all of them, attention over each one's own cache. */
#include <math.h>
#include <string.h>

#include "decoder.h"

/* Mask and softmax of one row of scores over slots 0..n_slots-1 for the query
 * at position p of a sequence whose pass rows start at position pos0, with
 * span[] the media spans of those rows. On sliding layers a media row also
 * sees the later rows of its own span (bidirectional image attention,
 * docs/text-decoder.md#image-attention); the window only limits the past,
 * as in the reference. */
static void
mask_softmax (float *row, const g4_kv_layer * kl, int n_slots, int last_pos, int pos0, int p,
    const int *span, int window)
{
  const int own = window > 0 ? span[p - pos0] : -1;
  for (int sl = 0; sl < n_slots; sl++) {
    const int j = g4_kv_slot_pos (kl, sl, last_pos);
    const bool future_in_span = j > p && own >= 0 && span[j - pos0] == own;
    if (j < 0 || (j > p && !future_in_span) || (window > 0 && p - j >= window))
      row[sl] = -INFINITY;
  }
  g4_softmax (row, n_slots);
}

/* Step 4 for one sequence's rows: per kv head g, scores = K_g q (scale 1),
 * softmax, o = V_g^T a. Rows are (token, head in group) pairs, processed in
 * chunks that fit. */
static void
attend (const g4_thread * th, g4_session * s, const g4_pass_seq * sq, int l)
{
  const g4_hparams *hp = &s->model->hp;
  const int H = hp->info.n_head, hd = g4_head_dim (hp, l);
  const int src = hp->kv_source[l];
  const int Hkv = hp->n_head_kv[src], grp = H / Hkv;
  const int window = hp->is_swa[l] ? hp->info.sliding_window : 0;
  const g4_kv_cache *kv = &sq->s->kv;
  const int pos0 = sq->s->n_past, last_pos = pos0 + sq->n - 1;
  const int *span = s->span + sq->row0;
  const g4_kv_layer *kl = &kv->layers[src];
  const int n_slots = last_pos + 1 < kl->cap ? last_pos + 1 : kl->cap;
  const int rows_total = sq->n * grp;
  int64_t i0, i1;
  for (int g = 0; g < Hkv; g++) {
    const g4_matrix K = g4_kv_cache_k_view (kv, src, g, hd, n_slots);
    const g4_matrix Vt = g4_kv_cache_vt_view (kv, src, g, hd, n_slots);
    int chunk = s->att_rows / n_slots;
    chunk = chunk < 1 ? 1 : chunk;
    for (int r0 = 0; r0 < rows_total; r0 += chunk) {
      const int nr = rows_total - r0 < chunk ? rows_total - r0 : chunk;
      double p0 = g4_prof_start (th);
      while (g4_take (th, nr, 0, &i0, &i1))
        for (int64_t r = i0; r < i1; r++) {
          const int t = sq->row0 + (r0 + (int) r) / grp, h = g * grp + (r0 + (int) r) % grp;
          memcpy (s->att_q + (size_t) r * hd, s->q + ((size_t) t * H + h) * hd, sizeof (float) * hd);
        }
      g4_barrier (th);
      g4_prof_stop (th, p0, "attention gather/scatter");
      g4_matmul_team (th, "attention scores", &K, s->att_q, nr, s->att_s, n_slots,
          s->mm_scratch);
      p0 = g4_prof_start (th);
      while (g4_take (th, nr, 0, &i0, &i1))
        for (int64_t r = i0; r < i1; r++)
          mask_softmax (s->att_s + (size_t) r * n_slots, kl, n_slots, last_pos, pos0,
              pos0 + (r0 + (int) r) / grp, span, window);
      g4_barrier (th);
      g4_prof_stop (th, p0, "attention mask and softmax");
      g4_matmul_team (th, "attention values", &Vt, s->att_s, nr, s->att_o, hd, s->mm_scratch);
      p0 = g4_prof_start (th);
      while (g4_take (th, nr, 0, &i0, &i1))
        for (int64_t r = i0; r < i1; r++) {
          const int t = sq->row0 + (r0 + (int) r) / grp, h = g * grp + (r0 + (int) r) % grp;
          memcpy (s->attn + ((size_t) t * H + h) * hd, s->att_o + (size_t) r * hd, sizeof (float) * hd);
        }
      g4_barrier (th);
      g4_prof_stop (th, p0, "attention gather/scatter");
    }
  }
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
    for (int64_t t = i0; t < i1; t++)
      g4_rmsnorm (s->x + (size_t) t * d, s->h + (size_t) t * d, lw->attn_norm, d, eps);
  g4_barrier (th);
  g4_prof_stop (th, p0, "norms and residuals");

  /* step 2: q = rope(q_norm(Wq x)), one (token, head) pair at a time */
  mm (th, s, &lw->q, s->x, T, s->q);
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
    mm (th, s, &lw->k, s->x, T, s->k);
    if (lw->v.data)
      mm (th, s, &lw->v, s->x, T, s->v);
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

  for (int i = 0; i < n_seq; i++)
    attend (th, s, &seqs[i], l);

  /* steps 5-6 */
  mm (th, s, &lw->o, s->attn, T, s->y);
  g4_norm_add (th, s, s->y, lw->post_attn_norm, T);
}
