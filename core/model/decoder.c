/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One forward pass of the Gemma 4 text decoder over T consecutive positions,
 * reading top to bottom like docs/text-decoder.md#forward-pass. */
#include <math.h>
#include <string.h>

#include "decoder.h"

/* h0 = token_embd[t] * sqrt(d) in exact fp32 (trap T4,
 * docs/text-decoder.md#embedding); injected media rows are taken as they are. */
static void
embed (g4_session * s, const g4_token * tokens, const float *embd, const bool *embd_mask, int T)
{
  const g4_model *m = s->model;
  const int d = m->hp.info.n_embd;
  const g4_matrix *E = &m->w.token_embd;
  const float scale = sqrtf ((float) d);
  for (int t = 0; t < T; t++) {
    float *h = s->h + (size_t) t * d;
    if (embd_mask && embd_mask[t]) {
      memcpy (h, embd + (size_t) t * d, sizeof (float) * d);
    } else {
      g4_dequantize_row (E->type, (const uint8_t *) E->data + (size_t) tokens[t] * E->row_bytes, h, d);
      g4_scale (h, d, scale);
    }
  }
}

/* h += post_ffw_norm(FFN(h)), with the MoE mixture when present
 * (docs/text-decoder.md#moe). */
static void
feed_forward_block (g4_session * s, const g4_layer_weights * lw, int T)
{
  const g4_model_info *in = &s->model->hp.info;
  const int d = in->n_embd;
  const float eps = in->rms_eps;
  for (int t = 0; t < T; t++)
    g4_rmsnorm (s->x + (size_t) t * d, s->h + (size_t) t * d, lw->ffn_norm, d, eps);
  g4_feed_forward (s, &lw->gate, &lw->up, &lw->down, s->x, T, s->y);
  if (lw->moe) {
    g4_moe (s, lw, s->h, T, s->y2);
    for (int t = 0; t < T; t++) {
      float *y1 = s->y + (size_t) t * d, *y2 = s->y2 + (size_t) t * d;
      g4_rmsnorm (y1, y1, lw->post_ffw_norm_1, d, eps);
      g4_rmsnorm (y2, y2, lw->post_ffw_norm_2, d, eps);
      g4_add (y1, y2, d);
    }
  }
  for (int t = 0; t < T; t++) {
    float *y = s->y + (size_t) t * d;
    g4_rmsnorm (y, y, lw->post_ffw_norm, d, eps);
    g4_add (s->h + (size_t) t * d, y, d);
  }
}

/* Logits of the wanted positions, packed (docs/text-decoder.md#output). */
static void
output (g4_session * s, const bool *want, int T, float *logits)
{
  const g4_model *m = s->model;
  const g4_model_info *in = &m->hp.info;
  const int d = in->n_embd;
  int n = 0;
  for (int t = 0; t < T; t++)
    if (want[t])
      g4_rmsnorm (s->logit_rows + (size_t) n++ * d, s->h + (size_t) t * d,
          m->w.output_norm, d, in->rms_eps);
  if (n == 0)
    return;
  mm (s, &m->w.output, s->logit_rows, n, logits);
  if (in->final_softcap > 0.0f)
    g4_softcap (logits, (int64_t) n * m->hp.n_vocab, in->final_softcap);
}

g4_status
g4_decoder_forward (g4_session * s, const g4_token * tokens, const float *embd,
    const bool *embd_mask, const bool *bidirectional, const bool *want, int T, float *logits,
    g4_error * err)
{
  const g4_model *m = s->model;
  const g4_hparams *hp = &m->hp;
  const int pos0 = s->n_past;

  embed (s, tokens, embd, embd_mask, T);
  /* contiguous runs of bidirectional media rows form spans (one per image) */
  for (int t = 0, id = -1; t < T; t++) {
    const bool media = bidirectional && bidirectional[t] && embd_mask && embd_mask[t];
    if (media && (t == 0 || s->span[t - 1] < 0))
      id++;
    s->span[t] = media ? id : -1;
  }
  if (hp->info.n_embd_per_layer > 0)
    g4_ple_inputs (s, tokens, embd_mask, T);
  g4_rope_table (s->rope_cos[0], s->rope_sin[0], pos0, T, hp->n_rot,
      hp->info.rope_theta, m->w.rope_freqs);
  g4_rope_table (s->rope_cos[1], s->rope_sin[1], pos0, T, hp->n_rot_swa,
      hp->info.rope_theta_swa, NULL);

  for (int l = 0; l < hp->info.n_layer; l++) {
    if (s->p.cancel && *s->p.cancel)
      return g4_set_error (err, G4_STATUS_CANCELLED, "decode cancelled at layer %d", l);
    const g4_layer_weights *lw = &m->w.layers[l];
    g4_attention_block (s, l, T);
    feed_forward_block (s, lw, T);
    if (hp->info.n_embd_per_layer > 0)
      g4_ple_apply (s, l, T);
    /* T10 (docs/text-decoder.md#layer-scalar): the scalar scales the whole
     * residual stream */
    if (lw->out_scale != 1.0f)
      g4_scale (s->h, (int64_t) T * hp->info.n_embd, lw->out_scale);
  }
  output (s, want, T, logits);
  s->n_past += T;
  return G4_OK;
}
