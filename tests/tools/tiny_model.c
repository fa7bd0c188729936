/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* See tiny_model.h. Weights follow mktiny.py's recipe (matrices N(0, 2/sqrt(n_in)),
 * embedding tables N(0, 0.5), norms 1 + N(0, 0.1), layer scales U(0.5, 1)),
 * drawn from a splitmix64 stream; the normal deviates are sums of four
 * uniforms, so no libm call decides a value and the file is the same on every
 * machine. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "kernels.h"
#include "tiny_model.h"

#define D 128
#define L 7
#define H 2
#define HKV 1
#define HD 64                   /* full layers */
#define HD_SWA 32               /* sliding layers */
#define WINDOW 8
#define P 32
#define SHARED_KV 2
#define V 262144

/* What the dense family leaves out of the E2B-like model. */
typedef struct {
  int per_layer;                /* P, or 0: no per-layer embeddings */
  int shared_kv;
  bool full_v;                  /* attn_v on full layers (else V = K, attention_k_eq_v) */
} family_shape;

static const family_shape shapes[] = {
  [TINY_E2B] = { P, SHARED_KV, true },
  [TINY_DENSE] = { 0, 0, false },
};

static const bool is_swa[L] = { 1, 1, 0, 1, 0, 1, 0 };
static const int32_t n_ff[L] = { 192, 192, 192, 192, 192, 384, 384 };

typedef struct {
  uint64_t s;
} rng;

static uint64_t
next (rng * r)
{
  return test_rng_next (&r->s);
}

static float
normal (rng * r)
{
  return test_rng_normal (&r->s);
}

static double
uniform (rng * r)
{
  return (double) (next (r) >> 11) / 9007199254740992.0;
}

uint64_t
test_rng_next (uint64_t * state)
{
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

float
test_rng_normal (uint64_t * state)
{
  const uint64_t u = test_rng_next (state);
  double s = 0;
  for (int i = 0; i < 4; i++)
    s += ((double) ((u >> (16 * i)) & 0xffff) + 0.5) / 65536.0;
  return (float) ((s - 2.0) * 1.7320508075688772);
}

size_t
quantize_q8_0 (const float *x, int64_t n, void *dst)
{
  uint8_t *out = dst;
  for (int64_t b = 0; b < n / 32; b++, out += 34) {
    const float *v = x + b * 32;
    float amax = 0.0f;
    for (int i = 0; i < 32; i++)
      amax = fabsf (v[i]) > amax ? fabsf (v[i]) : amax;
    const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    const uint16_t h = g4_fp32_to_fp16 (d);
    memcpy (out, &h, 2);
    for (int i = 0; i < 32; i++)
      out[2 + i] = (uint8_t) (int8_t) roundf (v[i] * id);
  }
  return (size_t) (n / 32) * 34;
}

/* The two 262144-row tables are Q8_0 (they are only looked up, except the
 * tied LM head); the layer matrices are F16: with Q8_0 there, the quantized
 * activations of this random, chaotic model make llama.cpp and us differ by up
 * to 10% rel_rms (measured), against 1% with F16. */
static const g4_type table_type = G4_TYPE_Q8_0, matrix_type = G4_TYPE_F16;

/* A matrix of n_out rows of n_in values, N(0, std), stored as type (Q8_0 or F16). */
static void
add_typed (g4_gguf_writer * w, rng * r, const char *name, int64_t n_in, int64_t n_out,
    float std, g4_type type)
{
  float *row = malloc (sizeof (float) * (size_t) n_in);
  const size_t row_bytes = g4_row_size (type, n_in);
  uint8_t *q = malloc (row_bytes * (size_t) n_out);
  for (int64_t o = 0; o < n_out; o++) {
    uint8_t *dst = q + (size_t) o * row_bytes;
    for (int64_t i = 0; i < n_in; i++)
      row[i] = normal (r) * std;
    if (type == G4_TYPE_Q8_0)
      quantize_q8_0 (row, n_in, dst);
    else
      for (int64_t i = 0; i < n_in; i++) {
        const uint16_t h = g4_fp32_to_fp16 (row[i]);
        memcpy (dst + 2 * i, &h, 2);
      }
  }
  const int64_t ne[2] = { n_in, n_out };
  g4_gguf_writer_add_tensor (w, name, type, 2, ne, q, row_bytes * (size_t) n_out);
  free (q);
  free (row);
}

static void
add_matrix (g4_gguf_writer * w, rng * r, const char *name, int64_t n_in, int64_t n_out,
    float std)
{
  add_typed (w, r, name, n_in, n_out, std, matrix_type);
}

static void
add_f32 (g4_gguf_writer * w, const char *name, const float *v, int64_t n)
{
  g4_gguf_writer_add_tensor (w, name, G4_TYPE_F32, 1, &n, v, sizeof (float) * (size_t) n);
}

static void
add_norm (g4_gguf_writer * w, rng * r, const char *name, int64_t n)
{
  float v[D];
  for (int64_t i = 0; i < n; i++)
    v[i] = 1.0f + 0.1f * normal (r);
  add_f32 (w, name, v, n);
}

static float
std_in (int64_t n_in)
{
  return (float) (2.0 / sqrt ((double) n_in));
}

static void
add_keys (g4_gguf_writer * w, const family_shape * f)
{
#define K(s) "gemma4." s
  g4_gguf_writer_add_str (w, "general.architecture", "gemma4");
  g4_gguf_writer_add_u32 (w, K ("context_length"), 4096);
  g4_gguf_writer_add_u32 (w, K ("embedding_length"), D);
  g4_gguf_writer_add_u32 (w, K ("block_count"), L);
  g4_gguf_writer_add_array (w, K ("feed_forward_length"), G4_GGUF_INT32, n_ff, L);
  g4_gguf_writer_add_u32 (w, K ("attention.head_count"), H);
  g4_gguf_writer_add_u32 (w, K ("attention.head_count_kv"), HKV);
  g4_gguf_writer_add_u32 (w, K ("attention.key_length"), HD);
  g4_gguf_writer_add_u32 (w, K ("attention.value_length"), HD);
  g4_gguf_writer_add_u32 (w, K ("attention.key_length_swa"), HD_SWA);
  g4_gguf_writer_add_u32 (w, K ("attention.value_length_swa"), HD_SWA);
  g4_gguf_writer_add_u32 (w, K ("rope.dimension_count"), HD);
  g4_gguf_writer_add_u32 (w, K ("rope.dimension_count_swa"), HD_SWA);
  g4_gguf_writer_add_f32 (w, K ("rope.freq_base"), 1e6f);
  g4_gguf_writer_add_f32 (w, K ("rope.freq_base_swa"), 1e4f);
  g4_gguf_writer_add_f32 (w, K ("attention.layer_norm_rms_epsilon"), 1e-6f);
  g4_gguf_writer_add_u32 (w, K ("attention.sliding_window"), WINDOW);
  g4_gguf_writer_add_array (w, K ("attention.sliding_window_pattern"), G4_GGUF_BOOL, is_swa, L);
  g4_gguf_writer_add_u32 (w, K ("attention.shared_kv_layers"), f->shared_kv);
  g4_gguf_writer_add_u32 (w, K ("embedding_length_per_layer_input"), f->per_layer);
  g4_gguf_writer_add_f32 (w, K ("final_logit_softcapping"), 30.0f);
#undef K
}

static void
add_tensors (g4_gguf_writer * w, rng * r, const family_shape * f)
{
  add_typed (w, r, "token_embd.weight", D, V, 0.5f, table_type);
  add_norm (w, r, "output_norm.weight", D);
  float freqs[HD / 2];
  for (int i = 0; i < HD / 2; i++)
    freqs[i] = i < HD / 8 ? 1.0f : 1e30f;      /* partial rotary factor 0.25 */
  add_f32 (w, "rope_freqs.weight", freqs, HD / 2);
  if (f->per_layer) {
    add_typed (w, r, "per_layer_token_embd.weight", P * L, V, 0.5f, table_type);
    add_matrix (w, r, "per_layer_model_proj.weight", D, P * L, std_in (D));
    add_norm (w, r, "per_layer_proj_norm.weight", P);
  }
  char name[64];
  for (int l = 0; l < L; l++) {
    const int hd = is_swa[l] ? HD_SWA : HD;
    const bool has_kv = l < L - f->shared_kv;
#define NM(s) (snprintf (name, sizeof name, "blk.%d." s, l), name)
    add_norm (w, r, NM ("attn_norm.weight"), D);
    add_matrix (w, r, NM ("attn_q.weight"), D, H * hd, std_in (D));
    if (has_kv) {
      add_matrix (w, r, NM ("attn_k.weight"), D, HKV * hd, std_in (D));
      if (is_swa[l] || f->full_v)
        add_matrix (w, r, NM ("attn_v.weight"), D, HKV * hd, std_in (D));
      add_norm (w, r, NM ("attn_k_norm.weight"), hd);
    }
    add_norm (w, r, NM ("attn_q_norm.weight"), hd);
    add_matrix (w, r, NM ("attn_output.weight"), H * hd, D, std_in (H * hd));
    add_norm (w, r, NM ("post_attention_norm.weight"), D);
    add_norm (w, r, NM ("ffn_norm.weight"), D);
    add_matrix (w, r, NM ("ffn_gate.weight"), D, n_ff[l], std_in (D));
    add_matrix (w, r, NM ("ffn_up.weight"), D, n_ff[l], std_in (D));
    add_matrix (w, r, NM ("ffn_down.weight"), n_ff[l], D, std_in (n_ff[l]));
    add_norm (w, r, NM ("post_ffw_norm.weight"), D);
    const float scale = (float) (0.5 + 0.5 * uniform (r));
    add_f32 (w, NM ("layer_output_scale.weight"), &scale, 1);
    if (f->per_layer) {
      add_matrix (w, r, NM ("inp_gate.weight"), D, P, std_in (D));
      add_matrix (w, r, NM ("proj.weight"), P, D, std_in (P));
      add_norm (w, r, NM ("post_norm.weight"), D);
    }
#undef NM
  }
}

g4_status
tiny_model_write (const char *path, const char *vocab_path, uint64_t seed, g4_error * err)
{
  return tiny_model_write_family (path, vocab_path, seed, TINY_E2B, err);
}

g4_status
tiny_model_write_family (const char *path, const char *vocab_path, uint64_t seed,
    tiny_family family, g4_error * err)
{
  g4_gguf *vocab;
  g4_status st = g4_gguf_open (vocab_path, &vocab, err);
  if (st)
    return st;
  g4_gguf_writer *w = g4_gguf_writer_new ();
  if (!w) {
    g4_gguf_close (vocab);
    return G4_STATUS_NO_MEMORY;
  }
  add_keys (w, &shapes[family]);
  for (int64_t i = 0; i < g4_gguf_n_kv (vocab); i++)
    if (!strncmp (g4_gguf_key (vocab, i), "tokenizer.", 10))
      g4_gguf_writer_copy_kv (w, vocab, i);
  rng r = { seed };
  add_tensors (w, &r, &shapes[family]);
  st = g4_gguf_writer_write (w, path, err);
  g4_gguf_writer_free (w);
  g4_gguf_close (vocab);
  return st;
}
