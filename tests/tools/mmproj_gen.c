/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* See mmproj_gen.h: the recipe of the reference's mkmmproj.py (matrices
 * N(0, 1/sqrt(n_in)), norms 1 + N(0, 0.1), clamp bounds 2-4.5, per_dim_scale
 * softplus(N(0, 0.3))) with the deterministic generator of tiny_model.h
 * (only per_dim_scale goes through expf/log1pf, whose last bit may differ
 * between C libraries). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gguf.h"
#include "kernels.h"
#include "mmproj_gen.h"
#include "tiny_model.h"

static uint64_t seed_state;
static bool use_q8;

static void
add_tensor (g4_gguf_writer * w, const char *name, uint32_t n_dims, const int64_t * ne,
    const float *x)
{
  int64_t n = 1;
  for (uint32_t i = 0; i < n_dims; i++)
    n *= ne[i];
  if (use_q8 && n_dims == 2 && ne[0] % 32 == 0 && !strstr (name, "conv_dw")) {
    uint8_t *q = malloc ((size_t) n / 32 * 34);
    quantize_q8_0 (x, n, q);
    g4_gguf_writer_add_tensor (w, name, G4_TYPE_Q8_0, n_dims, ne, q, (size_t) n / 32 * 34);
    free (q);
    return;
  }
  g4_gguf_writer_add_tensor (w, name, G4_TYPE_F32, n_dims, ne, x, sizeof (float) * (size_t) n);
}

/* N(0, std) values of shape ne (ne0 first); std 0 means 1/sqrt(ne0). */
static void
random_tensor (g4_gguf_writer * w, const char *name, uint32_t n_dims, const int64_t * ne,
    float std)
{
  int64_t n = 1;
  for (uint32_t i = 0; i < n_dims; i++)
    n *= ne[i];
  if (std == 0.0f)
    std = 1.0f / sqrtf ((float) ne[0]);
  float *x = malloc (sizeof (float) * (size_t) n);
  for (int64_t i = 0; i < n; i++)
    x[i] = test_rng_normal (&seed_state) * std;
  add_tensor (w, name, n_dims, ne, x);
  free (x);
}

static void
matrix (g4_gguf_writer * w, const char *name, int64_t n_in, int64_t n_out)
{
  const int64_t ne[2] = { n_in, n_out };
  random_tensor (w, name, 2, ne, 0.0f);
}

static void
norm (g4_gguf_writer * w, const char *name, int64_t n)
{
  float *x = malloc (sizeof (float) * (size_t) n);
  for (int64_t i = 0; i < n; i++)
    x[i] = 1.0f + 0.1f * test_rng_normal (&seed_state);
  add_tensor (w, name, 1, &n, x);
  free (x);
}

static void
scalar (g4_gguf_writer * w, const char *name, float v)
{
  const int64_t one = 1;
  add_tensor (w, name, 1, &one, &v);
}

/* ClippableLinear bounds of <base>.weight: inputs within lim, outputs 1.5 lim. */
static void
clamps (g4_gguf_writer * w, const char *base, float lim)
{
  char name[128];
  const char *sfx[4] = { "input_min", "input_max", "output_min", "output_max" };
  const float v[4] = { -lim, lim, -1.5f * lim, 1.5f * lim };
  for (int i = 0; i < 4; i++) {
    snprintf (name, sizeof name, "%s.%s", base, sfx[i]);
    scalar (w, name, v[i]);
  }
}

g4_status
mmproj_gen_write (const char *path, int T, int L, bool q8_0, uint64_t seed, g4_error * err)
{
  const int D = 1024, H = 8, FF = 4096, M = 128, C0 = 128, C1 = 32, Dout = 1536;
  seed_state = seed;
  use_q8 = q8_0;
  g4_gguf_writer *w = g4_gguf_writer_new ();
  if (!w)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  g4_gguf_writer_add_str (w, "general.architecture", "clip");
  g4_gguf_writer_add_str (w, "general.type", "mmproj");
  g4_gguf_writer_add_bool (w, "clip.has_vision_encoder", false);
  g4_gguf_writer_add_bool (w, "clip.has_audio_encoder", true);
  g4_gguf_writer_add_str (w, "clip.audio.projector_type", "gemma4a");
  g4_gguf_writer_add_u32 (w, "clip.audio.embedding_length", (uint32_t) D);
  g4_gguf_writer_add_u32 (w, "clip.audio.feed_forward_length", (uint32_t) FF);
  g4_gguf_writer_add_u32 (w, "clip.audio.block_count", (uint32_t) L);
  g4_gguf_writer_add_u32 (w, "clip.audio.projection_dim", (uint32_t) T);
  g4_gguf_writer_add_u32 (w, "clip.audio.attention.head_count", (uint32_t) H);
  g4_gguf_writer_add_f32 (w, "clip.audio.attention.layer_norm_epsilon", 1e-6f);
  g4_gguf_writer_add_u32 (w, "clip.audio.num_mel_bins", (uint32_t) M);

  const int F2 = ((M + 1) / 2 + 1) / 2, dh = D / H;
  const int64_t k0[4] = { 3, 3, 1, C0 }, k1[4] = { 3, 3, C0, C1 };
  random_tensor (w, "a.conv1d.0.weight", 4, k0, 1.0f / 3);
  norm (w, "a.conv1d.0.norm.weight", C0);
  random_tensor (w, "a.conv1d.1.weight", 4, k1, 1.0f / sqrtf (9.0f * C0));
  norm (w, "a.conv1d.1.norm.weight", C1);
  matrix (w, "a.input_projection.weight", (int64_t) F2 * C1, D);
  clamps (w, "a.input_projection", 4.0f);
  char name[128], base[128];
  for (int l = 0; l < L; l++) {
#define NM(s) (snprintf (name, sizeof name, "a.blk.%d.%s", l, s), name)
#define BASE(s) (snprintf (base, sizeof base, "a.blk.%d.%s", l, s), base)
    for (int second = 0; second < 2; second++) {
      const char *sfx = second ? "_1" : "";
      char t[64];
      snprintf (t, sizeof t, "ffn_norm%s.weight", sfx);
      norm (w, NM (t), D);
      snprintf (t, sizeof t, "ffn_up%s.weight", sfx);
      matrix (w, NM (t), D, FF);
      snprintf (t, sizeof t, "ffn_up%s", sfx);
      clamps (w, BASE (t), 2.5f);
      snprintf (t, sizeof t, "ffn_down%s.weight", sfx);
      matrix (w, NM (t), FF, D);
      snprintf (t, sizeof t, "ffn_down%s", sfx);
      clamps (w, BASE (t), 3.0f);
      snprintf (t, sizeof t, "ffn_post_norm%s.weight", sfx);
      norm (w, NM (t), D);
    }
    norm (w, NM ("attn_pre_norm.weight"), D);
    const char *qkv[3] = { "attn_q", "attn_k", "attn_v" };
    for (int i = 0; i < 3; i++) {
      char t[64];
      snprintf (t, sizeof t, "%s.weight", qkv[i]);
      matrix (w, NM (t), D, D);
      clamps (w, BASE (qkv[i]), 2.0f);
    }
    matrix (w, NM ("attn_out.weight"), D, D);
    clamps (w, BASE ("attn_out"), 3.0f);
    matrix (w, NM ("attn_k_rel.weight"), D, D);
    float *pds = malloc (sizeof (float) * (size_t) dh);
    for (int i = 0; i < dh; i++)
      pds[i] = log1pf (expf (0.3f * test_rng_normal (&seed_state)));
    const int64_t ndh = dh;
    add_tensor (w, NM ("per_dim_scale.weight"), 1, &ndh, pds);
    free (pds);
    norm (w, NM ("attn_post_norm.weight"), D);
    norm (w, NM ("conv_norm.weight"), D);
    matrix (w, NM ("conv_pw1.weight"), D, 2 * D);
    clamps (w, BASE ("conv_pw1"), 2.5f);
    const int64_t dw[2] = { 5, D };
    random_tensor (w, NM ("conv_dw.weight"), 2, dw, 0.4f);
    norm (w, NM ("norm_conv.weight"), D);
    matrix (w, NM ("conv_pw2.weight"), D, D);
    clamps (w, BASE ("conv_pw2"), 3.0f);
    norm (w, NM ("ln2.weight"), D);
#undef NM
#undef BASE
  }
  matrix (w, "a.pre_encode.out.weight", D, Dout);
  const int64_t nd = Dout;
  random_tensor (w, "a.pre_encode.out.bias", 1, &nd, 0.1f);
  matrix (w, "mm.a.input_projection.weight", Dout, T);
  const g4_status st = g4_gguf_writer_write (w, path, err);
  g4_gguf_writer_free (w);
  return st;
}
