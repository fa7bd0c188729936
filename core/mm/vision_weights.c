/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4v keys and tensors (docs/vision-encoder.md#keys-and-tensors): sizes
 * come from the keys (D, H, L, p, eps) and from the tensors that define them
 * (F, S, T), then every tensor is checked against them. Both released flavours
 * load: the small one with ClippableLinear scalars, the large one with
 * v.std_bias / v.std_scale; norms, out_scale and the clamp scalars are
 * optional, as in the reference. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vision_model.h"

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

/* clip.vision.image_mean / image_std: F32 arrays of at least 3 entries. */
static g4_status
get_rgb (const g4_gguf * g, const char *key, float out[3], g4_error * err)
{
  const int64_t i = g4_gguf_find_key (g, key);
  if (i < 0)
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: missing key '%s'", g4_gguf_path (g), key);
  if (g4_gguf_arr_type (g, i) != G4_GGUF_FLOAT32 || g4_gguf_arr_n (g, i) < 3)
    return g4_set_error (err, G4_STATUS_FORMAT,
        "%s: key '%s' must be an array of at least 3 FLOAT32 values", g4_gguf_path (g), key);
  memcpy (out, g4_gguf_arr_data (g, i), 3 * sizeof (float));
  for (int c = 0; c < 3; c++)
    if (!isfinite (out[c]))
      return g4_set_error (err, G4_STATUS_FORMAT, "%s: key '%s' holds a non-finite value",
          g4_gguf_path (g), key);
  return G4_OK;
}

static g4_status
optional_bool (const g4_gguf * g, const char *key, bool *out, g4_error * err)
{
  *out = false;
  return g4_gguf_find_key (g, key) < 0 ? G4_OK : g4_gguf_get_bool (g, key, out, err);
}

/* v.patch_embd.weight {p, p, 3, D}, F32 or F16, as the F16-rounded matrix. */
static g4_status
bind_patch_embd (g4_mm_binder * b, g4_vision_model * vm)
{
  const char *name = "v.patch_embd.weight";
  const g4_gguf_tensor *t;
  g4_status st = g4_mm_require (b, name, &t);
  if (st)
    return st;
  const int p = vm->patch;
  if (t->ne[0] != p || t->ne[1] != p || t->ne[2] != 3 || t->ne[3] != vm->n_embd)
    return g4_set_error (b->err, G4_STATUS_FORMAT,
        "%s: tensor '%s': shape [%lld, %lld, %lld, %lld], expected [%d, %d, 3, %d]",
        g4_gguf_path (b->g), name, (long long) t->ne[0], (long long) t->ne[1],
        (long long) t->ne[2], (long long) t->ne[3], p, p, vm->n_embd);
  if (t->type != G4_TYPE_F32 && t->type != G4_TYPE_F16)
    return g4_set_error (b->err, G4_STATUS_UNSUPPORTED,
        "%s: tensor '%s' has type %s, expected F32 or F16", g4_gguf_path (b->g), name,
        g4_type_name (t->type) ? g4_type_name (t->type) : "unknown");
  const int64_t n = (int64_t) 3 * p * p * vm->n_embd;
  vm->patch_f16_values = malloc (sizeof (float) * (size_t) n);
  if (!vm->patch_f16_values)
    return g4_set_error (b->err, G4_STATUS_NO_MEMORY, "out of memory");
  for (int64_t i = 0; i < n; i++) {
    uint16_t h;
    if (t->type == G4_TYPE_F16) {
      memcpy (&h, (const uint8_t *) t->data + 2 * i, 2);
    } else {
      float f;
      memcpy (&f, (const uint8_t *) t->data + 4 * i, 4);
      h = g4_fp32_to_fp16 (f);
    }
    vm->patch_f16_values[i] = g4_fp16_to_fp32 (h);
  }
  vm->patch_embd = (g4_matrix) {
    .type = G4_TYPE_F32, .n_in = (int64_t) 3 * p * p, .n_out = vm->n_embd,
    .row_bytes = sizeof (float) * (size_t) (3 * p * p), .data = vm->patch_f16_values,
  };
  return G4_OK;
}

static g4_status
bind_layer (g4_mm_binder * b, const g4_vision_model * vm, int l, g4_vision_layer * lw)
{
  const int64_t D = vm->n_embd, HD = (int64_t) vm->n_head * vm->head_dim, F = vm->n_ff;
  char name[96];
  g4_status st;
#define NAME(s) (snprintf (name, sizeof name, "v.blk.%d." s, l), name)
  if ((st = g4_mm_bind_f32 (b, NAME ("ln1.weight"), D, 1, false, &lw->ln1))
      || (st = g4_mm_bind_linear (b, NAME ("attn_q.weight"), D, HD, true, &lw->q))
      || (st = g4_mm_bind_linear (b, NAME ("attn_k.weight"), D, HD, true, &lw->k))
      || (st = g4_mm_bind_linear (b, NAME ("attn_v.weight"), D, HD, true, &lw->v))
      || (st = g4_mm_bind_linear (b, NAME ("attn_out.weight"), HD, D, true, &lw->o))
      || (st = g4_mm_bind_f32 (b, NAME ("attn_q_norm.weight"), vm->head_dim, 1, false, &lw->q_norm))
      || (st = g4_mm_bind_f32 (b, NAME ("attn_k_norm.weight"), vm->head_dim, 1, false, &lw->k_norm))
      || (st = g4_mm_bind_f32 (b, NAME ("attn_post_norm.weight"), D, 1, false, &lw->attn_post_norm))
      || (st = g4_mm_bind_f32 (b, NAME ("ln2.weight"), D, 1, false, &lw->ln2))
      || (st = g4_mm_bind_linear (b, NAME ("ffn_gate.weight"), D, F, false, &lw->gate))
      || (st = g4_mm_bind_linear (b, NAME ("ffn_up.weight"), D, F, true, &lw->up))
      || (st = g4_mm_bind_linear (b, NAME ("ffn_down.weight"), F, D, true, &lw->down))
      || (st = g4_mm_bind_f32 (b, NAME ("ffn_post_norm.weight"), D, 1, false, &lw->ffn_post_norm))
      || (st = g4_mm_bind_f32 (b, NAME ("out_scale.weight"), 1, 1, false, &lw->out_scale)))
    return st;
#undef NAME
  return G4_OK;
}

/* The quantized matrices into the packed GEMM's layout: the ViT runs
 * hundreds of patches through each of them. */
static g4_status
repack (g4_vision_model * vm, g4_error * err)
{
  static const size_t layer_matrices[] = {
    offsetof (g4_vision_layer, q.w), offsetof (g4_vision_layer, k.w),
    offsetof (g4_vision_layer, v.w), offsetof (g4_vision_layer, o.w),
    offsetof (g4_vision_layer, gate.w), offsetof (g4_vision_layer, up.w),
    offsetof (g4_vision_layer, down.w),
  };
  g4_matrix *const extra[] = { &vm->mm_proj.w };
  return g4_repack_layers (vm->layers, sizeof *vm->layers, vm->n_layer, layer_matrices,
      sizeof layer_matrices / sizeof layer_matrices[0], extra, 1, &vm->packed, err);
}

static g4_status
load (const g4_gguf * g, g4_vision_model * vm, g4_error * err)
{
  g4_mm_binder b = { g, err };
  g4_status st;
  if ((st = get_dim (g, "clip.vision.embedding_length", 1, MAX_WIDTH, &vm->n_embd, err))
      || (st = get_dim (g, "clip.vision.attention.head_count", 1, 1024, &vm->n_head, err))
      || (st = get_dim (g, "clip.vision.block_count", 1, 1024, &vm->n_layer, err))
      || (st = get_dim (g, "clip.vision.patch_size", 1, 1024, &vm->patch, err))
      || (st = g4_gguf_get_f32 (g, "clip.vision.attention.layer_norm_epsilon", &vm->eps, err))
      || (st = get_rgb (g, "clip.vision.image_mean", vm->mean, err))
      || (st = get_rgb (g, "clip.vision.image_std", vm->std, err)))
    return st;
  if (!(vm->eps >= 0.0f && vm->eps < 1.0f))
    return g4_set_error (err, G4_STATUS_FORMAT,
        "%s: clip.vision.attention.layer_norm_epsilon is %g, expected 0 <= eps < 1",
        g4_gguf_path (g), vm->eps);
  for (int c = 0; c < 3; c++)
    if (vm->std[c] == 0.0f)
      return g4_set_error (err, G4_STATUS_FORMAT, "%s: clip.vision.image_std[%d] is 0",
          g4_gguf_path (g), c);
  vm->merge = 3;
  if (g4_gguf_find_key (g, "clip.vision.projector.scale_factor") >= 0
      && (st = get_dim (g, "clip.vision.projector.scale_factor", 1, 64, &vm->merge, err)))
    return st;
  vm->head_dim = vm->n_embd / vm->n_head;
  if (g4_gguf_find_key (g, "clip.vision.attention.head_dim") >= 0
      && (st = get_dim (g, "clip.vision.attention.head_dim", 1, 4096, &vm->head_dim, err)))
    return st;
  if (vm->head_dim % 4)
    return g4_set_error (err, G4_STATUS_FORMAT,
        "%s: vision head dim %d is not a multiple of 4 (the 2-D RoPE rotates two halves)",
        g4_gguf_path (g), vm->head_dim);
  if (g4_gguf_find_key (g, "clip.vision.attention.head_count_kv") >= 0) {
    int kv;
    if ((st = get_dim (g, "clip.vision.attention.head_count_kv", 1, 1024, &kv, err)))
      return st;
    if (kv != vm->n_head)
      return g4_set_error (err, G4_STATUS_UNSUPPORTED,
          "%s: vision kv heads %d differ from heads %d (not used by Gemma 4)",
          g4_gguf_path (g), kv, vm->n_head);
  }

  /* Activation: the keys select it as in the reference. Without either key
   * the reference runs GELU-quick, but Hugging Face's Gemma4VisionConfig has
   * hidden_activation "gelu_pytorch_tanh" and the converter writes neither
   * key, so we follow Hugging Face: tanh GELU
   * (docs/departures.md#vision-activation). */
  bool use_gelu, use_silu;
  if ((st = optional_bool (g, "clip.use_gelu", &use_gelu, err))
      || (st = optional_bool (g, "clip.use_silu", &use_silu, err)))
    return st;
  vm->act = use_silu && !use_gelu ? G4_VISION_ACT_SILU : G4_VISION_ACT_GELU_TANH;

  const g4_gguf_tensor *t;
  if ((st = g4_mm_require (&b, "v.blk.0.ffn_up.weight", &t)))
    return st;
  if (t->ne[1] < 1 || t->ne[1] > 4 * MAX_WIDTH)
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: tensor 'v.blk.0.ffn_up.weight' has %lld outputs",
        g4_gguf_path (g), (long long) t->ne[1]);
  vm->n_ff = (int) t->ne[1];
  if ((st = g4_mm_require (&b, "mm.input_projection.weight", &t)))
    return st;
  if (t->ne[1] < 1 || t->ne[1] > MAX_WIDTH)
    return g4_set_error (err, G4_STATUS_FORMAT,
        "%s: tensor 'mm.input_projection.weight' has %lld outputs", g4_gguf_path (g),
        (long long) t->ne[1]);
  vm->n_embd_text = (int) t->ne[1];
  if ((st = g4_mm_require (&b, "v.position_embd.weight", &t)))
    return st;
  if (t->ne[0] != vm->n_embd || t->ne[1] < 1 || t->ne[1] > (1 << 20) || t->ne[2] != 2
      || t->ne[3] != 1 || t->type != G4_TYPE_F32)
    return g4_set_error (err, G4_STATUS_FORMAT,
        "%s: tensor 'v.position_embd.weight' is %s [%lld, %lld, %lld, %lld], expected F32 [%d, S, 2]",
        g4_gguf_path (g), g4_type_name (t->type) ? g4_type_name (t->type) : "unknown",
        (long long) t->ne[0], (long long) t->ne[1], (long long) t->ne[2], (long long) t->ne[3],
        vm->n_embd);
  if ((uintptr_t) t->data % sizeof (float))
    return g4_set_error (err, G4_STATUS_FORMAT,
        "%s: tensor 'v.position_embd.weight' is not 4-byte aligned", g4_gguf_path (g));
  vm->n_pos = (int) t->ne[1];
  vm->pos_embd = t->data;

  if ((st = bind_patch_embd (&b, vm)))
    return st;
  vm->layers = calloc ((size_t) vm->n_layer, sizeof *vm->layers);
  if (!vm->layers)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  for (int l = 0; l < vm->n_layer; l++)
    if ((st = bind_layer (&b, vm, l, &vm->layers[l])))
      return st;
  if ((st = g4_mm_bind_f32 (&b, "v.std_bias", vm->n_embd, 1, false, &vm->std_bias))
      || (st = g4_mm_bind_f32 (&b, "v.std_scale", vm->n_embd, 1, false, &vm->std_scale))
      || (st = g4_mm_bind_linear (&b, "mm.input_projection.weight", vm->n_embd,
              vm->n_embd_text, true, &vm->mm_proj)))
    return st;
  if (!vm->std_bias != !vm->std_scale)
    return g4_set_error (err, G4_STATUS_FORMAT,
        "%s: v.std_bias and v.std_scale must both be present or both absent", g4_gguf_path (g));
  if ((st = repack (vm, err)))
    return st;
  g4_log (G4_LOG_INFO, "%s: gemma4v D=%d H=%d dh=%d L=%d F=%d p=%d k=%d S=%d T=%d %s%s",
      g4_gguf_path (g), vm->n_embd, vm->n_head, vm->head_dim, vm->n_layer, vm->n_ff, vm->patch,
      vm->merge, vm->n_pos, vm->n_embd_text, vm->act == G4_VISION_ACT_SILU ? "silu" : "gelu-tanh",
      vm->std_bias ? " standardized" : "");
  return G4_OK;
}

g4_status
g4_vision_model_load (const g4_gguf * g, g4_vision_model ** out, g4_error * err)
{
  *out = NULL;
  g4_vision_model *vm = calloc (1, sizeof *vm);
  if (!vm)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  g4_status st = load (g, vm, err);
  if (st) {
    g4_vision_model_free (vm);
    return st;
  }
  *out = vm;
  return G4_OK;
}

void
g4_vision_model_free (g4_vision_model * vm)
{
  if (!vm)
    return;
  free (vm->layers);
  free (vm->patch_f16_values);
  free (vm->packed);
  free (vm);
}
