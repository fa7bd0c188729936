/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4a keys and tensors (docs/audio-encoder.md#keys-and-tensors): sizes come
 * from the keys and the tensors that define them (C0, C1, FF, Dout, T), then
 * every tensor is checked against them. Tensors the reference treats as
 * optional (norms, biases, relative-position projection, per-dimension scales,
 * pre_encode.out, clamp scalars) are optional here and skipped when absent, as
 * there; the rest must be present. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "log.h"

#define MAX_WIDTH (1 << 16)

static g4_status
get_dim (const g4_gguf * g, const char *key, int lo, int hi, int *out, g4_error * err)
{
  uint32_t v;
  g4_status st = g4_gguf_get_u32 (g, key, &v, err);
  if (st)
    return st;
  if (v < (uint32_t) lo || v > (uint32_t) hi)
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: key '%s' is %u, expected %d..%d",
        g4_gguf_path (g), key, v, lo, hi);
  *out = (int) v;
  return G4_OK;
}

/* Checks the SSCP kernel a.conv1d.j.weight {3, 3, Cin, Cout} (F32 or F16);
 * gives Cout and the tensor. */
static g4_status
bind_conv (g4_mm_binder * b, int j, int64_t c_in, int *c_out, const g4_gguf_tensor ** out)
{
  char name[64];
  snprintf (name, sizeof name, "a.conv1d.%d.weight", j);
  const g4_gguf_tensor *t;
  g4_status st = g4_mm_require (b, name, &t);
  if (st)
    return st;
  if (t->ne[0] != 3 || t->ne[1] != 3 || t->ne[2] != c_in || t->ne[3] < 1 || t->ne[3] > 4096)
    return g4_set_error (b->err, G4_STATUS_FORMAT,
        "%s: tensor '%s': shape [%lld, %lld, %lld, %lld], expected [3, 3, %lld, C] with C <= 4096",
        g4_gguf_path (b->g), name, (long long) t->ne[0], (long long) t->ne[1],
        (long long) t->ne[2], (long long) t->ne[3], (long long) c_in);
  if (t->type != G4_TYPE_F32 && t->type != G4_TYPE_F16)
    return g4_set_error (b->err, G4_STATUS_UNSUPPORTED,
        "%s: tensor '%s' has type %s, expected F32 or F16", g4_gguf_path (b->g), name,
        g4_type_name (t->type) ? g4_type_name (t->type) : "unknown");
  *c_out = (int) t->ne[3];
  *out = t;
  return G4_OK;
}

/* The kernel as an F32 matrix {9 Cin, Cout} whose values are rounded to F16. */
static void
round_conv (const g4_gguf_tensor * t, float *dst, g4_matrix * m)
{
  const int64_t n = t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
  for (int64_t i = 0; i < n; i++) {
    uint16_t h;
    if (t->type == G4_TYPE_F16) {
      memcpy (&h, (const uint8_t *) t->data + 2 * i, 2);
    } else {
      float f;
      memcpy (&f, (const uint8_t *) t->data + 4 * i, 4);
      h = g4_fp32_to_fp16 (f);
    }
    dst[i] = g4_fp16_to_fp32 (h);
  }
  m->type = G4_TYPE_F32;
  m->n_in = t->ne[0] * t->ne[1] * t->ne[2];
  m->n_out = t->ne[3];
  m->row_bytes = (size_t) m->n_in * sizeof (float);
  m->data = dst;
}

static g4_status
bind_layer (g4_mm_binder * b, g4_audio_model * am, int l, g4_audio_layer * lw)
{
  const int64_t D = am->n_embd, FF = am->n_ff, dh = am->head_dim;
  char name[96];
  g4_status st;
#define NM(s) (snprintf (name, sizeof name, "a.blk.%d." s, l), name)
#define TRY(x) do { if ((st = (x)) != G4_OK) return st; } while (0)
  TRY (g4_mm_bind_f32 (b, NM ("ffn_norm.weight"), D, 1, true, &lw->ffn_norm));
  TRY (g4_mm_bind_linear (b, NM ("ffn_up.weight"), D, FF, true, &lw->ffn_up));
  TRY (g4_mm_bind_linear (b, NM ("ffn_down.weight"), FF, D, true, &lw->ffn_down));
  TRY (g4_mm_bind_f32 (b, NM ("ffn_post_norm.weight"), D, 1, false, &lw->ffn_post_norm));

  TRY (g4_mm_bind_f32 (b, NM ("attn_pre_norm.weight"), D, 1, false, &lw->attn_norm));
  if (!lw->attn_norm)
    TRY (g4_mm_bind_f32 (b, NM ("ln1.weight"), D, 1, false, &lw->attn_norm));
  TRY (g4_mm_bind_linear (b, NM ("attn_q.weight"), D, D, true, &lw->q));
  TRY (g4_mm_bind_linear (b, NM ("attn_k.weight"), D, D, true, &lw->k));
  TRY (g4_mm_bind_linear (b, NM ("attn_v.weight"), D, D, true, &lw->v));
  TRY (g4_mm_bind_linear (b, NM ("attn_out.weight"), D, D, true, &lw->o));
  TRY (g4_mm_bind_f32 (b, NM ("attn_out.bias"), D, 1, false, &lw->o_bias));
  TRY (g4_mm_bind_matrix (b, NM ("attn_k_rel.weight"), D, D, false, &lw->k_rel));
  TRY (g4_mm_bind_f32 (b, NM ("per_dim_scale.weight"), dh, 1, false, &lw->per_dim_scale));
  TRY (g4_mm_bind_f32 (b, NM ("per_dim_k_scale.weight"), dh, 1, false, &lw->per_dim_k_scale));
  TRY (g4_mm_bind_f32 (b, NM ("attn_post_norm.weight"), D, 1, false, &lw->attn_post_norm));

  /* The reference silently skips the whole light-conv module when this norm
   * is absent; every converted file has it, so its absence is an error here. */
  TRY (g4_mm_bind_f32 (b, NM ("conv_norm.weight"), D, 1, true, &lw->conv_pre_norm));
  TRY (g4_mm_bind_linear (b, NM ("conv_pw1.weight"), D, 2 * D, true, &lw->conv_pw1));
  TRY (g4_mm_bind_f32 (b, NM ("conv_dw.weight"), G4_AUDIO_CONV_K, D, true, &lw->conv_dw));
  TRY (g4_mm_bind_f32 (b, NM ("conv_dw.bias"), D, 1, false, &lw->conv_dw_bias));
  TRY (g4_mm_bind_f32 (b, NM ("norm_conv.weight"), D, 1, false, &lw->conv_post_norm));
  TRY (g4_mm_bind_linear (b, NM ("conv_pw2.weight"), D, D, true, &lw->conv_pw2));

  TRY (g4_mm_bind_f32 (b, NM ("ffn_norm_1.weight"), D, 1, true, &lw->ffn_norm_1));
  TRY (g4_mm_bind_linear (b, NM ("ffn_up_1.weight"), D, FF, true, &lw->ffn_up_1));
  TRY (g4_mm_bind_linear (b, NM ("ffn_down_1.weight"), FF, D, true, &lw->ffn_down_1));
  TRY (g4_mm_bind_f32 (b, NM ("ffn_post_norm_1.weight"), D, 1, false, &lw->ffn_post_norm_1));
  TRY (g4_mm_bind_f32 (b, NM ("ln2.weight"), D, 1, false, &lw->out_norm));
#undef NM
#undef TRY
  return G4_OK;
}

/* The quantized matrices into the packed GEMM's layout: the conformer runs
 * every frame of a piece through each of them. */
static g4_status
repack (g4_audio_model * am, g4_error * err)
{
  static const size_t layer_matrices[] = {
    offsetof (g4_audio_layer, ffn_up.w), offsetof (g4_audio_layer, ffn_down.w),
    offsetof (g4_audio_layer, q.w), offsetof (g4_audio_layer, k.w),
    offsetof (g4_audio_layer, v.w), offsetof (g4_audio_layer, o.w),
    offsetof (g4_audio_layer, k_rel), offsetof (g4_audio_layer, conv_pw1.w),
    offsetof (g4_audio_layer, conv_pw2.w), offsetof (g4_audio_layer, ffn_up_1.w),
    offsetof (g4_audio_layer, ffn_down_1.w),
  };
  g4_matrix *const extra[] = { &am->input_proj.w, &am->out_proj.w, &am->mm_proj.w };
  return g4_repack_layers (am->layers, sizeof *am->layers, am->n_layer, layer_matrices,
      sizeof layer_matrices / sizeof layer_matrices[0], extra, 3, &am->packed, err);
}

static g4_status
load (const g4_gguf * g, g4_audio_model * am, g4_error * err)
{
  g4_mm_binder b = { g, err };
  const char *path = g4_gguf_path (g);
  int n_ff_key, proj_dim;
  float eps;
  g4_status st;
#define TRY(x) do { if ((st = (x)) != G4_OK) return st; } while (0)
  TRY (get_dim (g, "clip.audio.embedding_length", 2, MAX_WIDTH, &am->n_embd, err));
  TRY (get_dim (g, "clip.audio.attention.head_count", 1, MAX_WIDTH, &am->n_head, err));
  TRY (get_dim (g, "clip.audio.feed_forward_length", 1, 1 << 20, &n_ff_key, err));
  TRY (get_dim (g, "clip.audio.block_count", 1, 1024, &am->n_layer, err));
  TRY (get_dim (g, "clip.audio.projection_dim", 1, 1 << 20, &proj_dim, err));
  TRY (get_dim (g, "clip.audio.num_mel_bins", 1, G4_MEL_MAX_BANDS, &am->n_mel, err));
  /* read for the same validation as the reference, but every gemma4a file uses
   * 1e-6 and older converters wrote a wrong value, so the encoder ignores it */
  TRY (g4_gguf_get_f32 (g, "clip.audio.attention.layer_norm_epsilon", &eps, err));
  am->head_dim = am->n_embd / am->n_head;
  if (g4_gguf_find_key (g, "clip.audio.attention.head_dim") >= 0)
    TRY (get_dim (g, "clip.audio.attention.head_dim", 1, MAX_WIDTH, &am->head_dim, err));
  if (am->head_dim * am->n_head != am->n_embd || am->n_embd % 2)
    return g4_set_error (err, G4_STATUS_FORMAT,
        "%s: audio width %d must be even and equal head_count %d x head_dim %d", path,
        am->n_embd, am->n_head, am->head_dim);

  const g4_gguf_tensor *c0, *c1, *t;
  TRY (bind_conv (&b, 0, 1, &am->c0, &c0));
  TRY (bind_conv (&b, 1, am->c0, &am->c1, &c1));
  const int64_t n0 = 9 * (int64_t) am->c0, n1 = 9 * (int64_t) am->c0 * am->c1;
  am->conv_f16_values = malloc (sizeof (float) * (size_t) (n0 + n1));
  if (!am->conv_f16_values)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  round_conv (c0, am->conv_f16_values, &am->conv[0]);
  round_conv (c1, am->conv_f16_values + n0, &am->conv[1]);
  const int c_out[2] = { am->c0, am->c1 };
  for (int j = 0; j < 2; j++) {
    char name[64];
    snprintf (name, sizeof name, "a.conv1d.%d.bias", j);
    TRY (g4_mm_bind_f32 (&b, name, c_out[j], 1, false, &am->conv_bias[j]));
    snprintf (name, sizeof name, "a.conv1d.%d.norm.weight", j);
    TRY (g4_mm_bind_f32 (&b, name, c_out[j], 1, false, &am->conv_norm[j]));
  }
  am->f2 = ((am->n_mel + 1) / 2 + 1) / 2;
  const int64_t D = am->n_embd;
  TRY (g4_mm_bind_linear (&b, "a.input_projection.weight", (int64_t) am->f2 * am->c1, D, true,
          &am->input_proj));
  TRY (g4_mm_bind_f32 (&b, "a.input_projection.bias", D, 1, false, &am->input_proj_bias));

  TRY (g4_mm_require (&b, "a.blk.0.ffn_up.weight", &t));
  if (t->ne[1] < 1 || t->ne[1] > (1 << 20))
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: tensor '%s': bad shape", path, t->name);
  am->n_ff = (int) t->ne[1];
  am->layers = calloc ((size_t) am->n_layer, sizeof *am->layers);
  if (!am->layers)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  for (int l = 0; l < am->n_layer; l++)
    TRY (bind_layer (&b, am, l, &am->layers[l]));

  am->n_out = am->n_embd;
  if ((t = g4_gguf_find_tensor (g, "a.pre_encode.out.weight")) && t->ne[1] >= 1
      && t->ne[1] <= MAX_WIDTH)
    am->n_out = (int) t->ne[1];
  TRY (g4_mm_bind_linear (&b, "a.pre_encode.out.weight", D, am->n_out, false, &am->out_proj));
  TRY (g4_mm_bind_f32 (&b, "a.pre_encode.out.bias", am->n_out, 1, false, &am->out_proj_bias));
  TRY (g4_mm_bind_f32 (&b, "mm.a.soft_emb_norm.weight", am->n_out, 1, false, &am->soft_emb_norm));
  TRY (g4_mm_require (&b, "mm.a.input_projection.weight", &t));
  if (t->ne[1] < 1 || t->ne[1] > (1 << 20))
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: tensor '%s': bad shape", path, t->name);
  am->n_embd_text = (int) t->ne[1];
  TRY (g4_mm_bind_linear (&b, "mm.a.input_projection.weight", am->n_out, am->n_embd_text, true,
          &am->mm_proj));
  TRY (g4_mel_init (&am->mel, am->n_mel, err));
  TRY (repack (am, err));
#undef TRY
  g4_log (G4_LOG_INFO, "%s: gemma4a audio encoder: D %d, heads %d, layers %d, FF %d, mel %d, "
      "SSCP %d/%d channels, output %d -> %d (projection_dim %d)", path, am->n_embd, am->n_head,
      am->n_layer, am->n_ff, am->n_mel, am->c0, am->c1, am->n_out, am->n_embd_text, proj_dim);
  return G4_OK;
}

g4_status
g4_audio_model_load (const g4_gguf * g, g4_audio_model ** out, g4_error * err)
{
  *out = NULL;
  g4_audio_model *am = calloc (1, sizeof *am);
  if (!am)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  g4_status st = load (g, am, err);
  if (st) {
    g4_audio_model_free (am);
    return st;
  }
  *out = am;
  return G4_OK;
}

void
g4_audio_model_free (g4_audio_model * am)
{
  if (!am)
    return;
  g4_mel_clear (&am->mel);
  free (am->layers);
  free (am->conv_f16_values);
  free (am->packed);
  free (am);
}
