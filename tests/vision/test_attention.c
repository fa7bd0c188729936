/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g4_attention_f32 (the encoders' attention, and the decoder's over its KV
 * cache) in every ISA this CPU has against a double-precision
 * softmax(q k^T) v computed here over the keys each row sees, on shapes that
 * hit the kernels' edges: key counts off the 64-key padding and the 128-key
 * blocks of the online softmax, head sizes that are not whole vectors (72,
 * 4), query counts off the 6-row tiles and the 48-row calls, padded row
 * strides, scale != 1, scores of several tens (the running maximum must keep
 * the exponentials finite), and long rows (4096 keys) under a causal mask, a
 * sliding window and a ring of slots whose positions wrap around (with empty
 * slots), with grouped K/V heads, F16 keys and values and transposed values
 * as the decoder's cache holds them. Outputs are convex combinations of
 * values in [-1, 1): max |diff| <= 1e-5. Also checks that 1 and 3 threads
 * give the same bits. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define TOLERANCE_MAX_ABS 1e-5

typedef enum { MASK_NONE, MASK_CAUSAL, MASK_WINDOW, MASK_RING } mask_kind;

typedef struct {
  int64_t n_q, n_kv;
  int n_head, head_dim, pad;    /* pad: extra floats at the end of each row */
  float scale, range;           /* q and k uniform in [-range, range) */
  int n_head_kv;                /* 0: n_head */
  mask_kind mask;
  int window;                   /* MASK_WINDOW and MASK_RING */
  bool f16, k_transposed;
} shape;

/* K/V value (key j, dimension e of K/V head g), as the layout of a holds it */
static double
kv_value (const g4_attention_args *a, const void *x, bool transposed, int g, int64_t j, int e)
{
  const int64_t i = transposed ? ((int64_t) g * a->head_dim + e) * a->ld_kt + j
      : j * a->ld_kv + (int64_t) g * a->head_dim + e;
  return a->kv_type == G4_TYPE_F16 ? g4_fp16_to_fp32 (((const uint16_t *) x)[i])
      : ((const float *) x)[i];
}

static void
reference (const g4_attention_args *a, float *o)
{
  const int dh = a->head_dim, Hkv = a->n_head_kv ? a->n_head_kv : a->n_head;
  double *p = malloc (sizeof (double) * (size_t) a->n_kv);
  for (int h = 0; h < a->n_head; h++)
    for (int64_t i = 0; i < a->n_q; i++) {
      const float *q = a->q + i * a->ld_q + h * dh;
      const int g = h / (a->n_head / Hkv);
      double mx = -INFINITY, sum = 0.0;
      for (int64_t j = 0; j < a->n_kv; j++) {
        const int64_t pos = a->key_pos ? a->key_pos[j] : j;
        p[j] = -INFINITY;
        if (a->q_lo && (pos < a->q_lo[i] || pos >= a->q_hi[i]))
          continue;
        double dot = 0.0;
        for (int d = 0; d < dh; d++)
          dot += (double) q[d] * kv_value (a, a->k, a->k_transposed, g, j, d);
        p[j] = dot * a->scale;
        mx = p[j] > mx ? p[j] : mx;
      }
      for (int64_t j = 0; j < a->n_kv; j++)
        sum += p[j] = p[j] == -INFINITY ? 0.0 : exp (p[j] - mx);
      for (int d = 0; d < dh; d++) {
        double acc = 0.0;
        for (int64_t j = 0; j < a->n_kv; j++)
          acc += p[j] * kv_value (a, a->v, false, g, j, d);
        o[i * a->ld_o + h * dh + d] = sum > 0.0 ? (float) (acc / sum) : 0.0f;
      }
    }
  free (p);
}

static float *
random_rows (int64_t n, int64_t ld, float range)
{
  float *x = malloc (sizeof (float) * (size_t) (n * ld));
  for (int64_t i = 0; i < n * ld; i++)
    x[i] = test_rng_float (-range, range);
  return x;
}

/* x as halves (F16 shapes), else x itself */
static void *
as_kv (float *x, size_t n, bool f16)
{
  if (!f16)
    return x;
  uint16_t *h = malloc (sizeof (uint16_t) * n);
  for (size_t i = 0; i < n; i++)
    h[i] = g4_fp32_to_fp16 (x[i]);
  free (x);
  return h;
}

/* Key positions and each query's [lo, hi) as the decoder sets them: queries
 * are the last n_q positions; causal rows see every earlier position, window
 * rows the last `window`; a ring holds the last n_kv positions of a longer
 * sequence in slots pos % n_kv, with some slots never written (-1). */
static void
make_mask (const shape *sh, int32_t *key_pos, int32_t *lo, int32_t *hi)
{
  const int64_t last = sh->mask == MASK_RING ? sh->n_kv + sh->n_kv / 3 : sh->n_kv - 1;
  for (int64_t j = 0; j < sh->n_kv; j++) {
    key_pos[j] = (int32_t) (sh->mask == MASK_RING ? last - ((last - j) % sh->n_kv) : j);
    if (sh->mask == MASK_RING && j % 97 == 5)
      key_pos[j] = -1;
  }
  for (int64_t i = 0; i < sh->n_q; i++) {
    const int32_t p = (int32_t) (last - (sh->n_q - 1 - i));
    lo[i] = sh->mask == MASK_CAUSAL ? 0 : p - sh->window + 1 > 0 ? p - sh->window + 1 : 0;
    hi[i] = p + 1;
  }
}

static void
run_shape (const shape *sh)
{
  const int Hkv = sh->n_head_kv ? sh->n_head_kv : sh->n_head;
  const int64_t ld = (int64_t) sh->n_head * sh->head_dim + sh->pad;
  const int64_t ld_kt = sh->n_kv + sh->pad, ld_kv = (int64_t) Hkv * sh->head_dim + sh->pad;
  const int64_t k_rows = sh->k_transposed ? (int64_t) Hkv * sh->head_dim : sh->n_kv;
  float *q = random_rows (sh->n_q, ld, sh->range);
  const int64_t ld_k = sh->k_transposed ? ld_kt : ld_kv;
  void *k = as_kv (random_rows (k_rows, ld_k, sh->range), (size_t) (k_rows * ld_k), sh->f16);
  void *v = as_kv (random_rows (sh->n_kv, ld_kv, 1.0f), (size_t) (sh->n_kv * ld_kv), sh->f16);
  const size_t n_o = (size_t) (sh->n_q * ld);
  float *want = calloc (n_o, sizeof (float)), *got1 = calloc (n_o, sizeof (float));
  float *got3 = calloc (n_o, sizeof (float));
  int32_t *key_pos = malloc (sizeof (int32_t) * (size_t) sh->n_kv);
  int32_t *lo = malloc (sizeof (int32_t) * (size_t) sh->n_q), *hi = malloc (sizeof (int32_t) * (size_t) sh->n_q);
  make_mask (sh, key_pos, lo, hi);
  const bool masked = sh->mask != MASK_NONE;
  g4_attention_args a = {
    .q = q, .k = k, .v = v, .o = want, .n_q = sh->n_q, .n_kv = sh->n_kv,
    .n_head = sh->n_head, .head_dim = sh->head_dim, .ld_q = ld, .ld_kv = ld_kv, .ld_o = ld,
    .scale = sh->scale, .n_head_kv = sh->n_head_kv,
    .kv_type = sh->f16 ? G4_TYPE_F16 : G4_TYPE_F32, .k_transposed = sh->k_transposed, .ld_kt = ld_kt,
    .key_pos = sh->mask == MASK_RING ? key_pos : NULL, .q_lo = masked ? lo : NULL,
    .q_hi = masked ? hi : NULL,
  };
  reference (&a, want);
  void *scratch = malloc (g4_attention_scratch_size (sh->n_kv, Hkv, sh->head_dim));
  const g4_isa best = g4_kernels_isa ();
  for (int isa = G4_ISA_SCALAR; isa <= (int) best; isa++) {
    if (!g4_kernels_force ((g4_isa) isa))
      continue;
    a.o = got1;
    g4_attention_f32 (&a, scratch, 1);
    a.o = got3;
    g4_attention_f32 (&a, scratch, 3);
    const test_diff df = test_compare_f32 (got1, want, n_o);
    CHECK (df.max_abs <= TOLERANCE_MAX_ABS, "%s: max |diff| %g at %zu (got %g, want %g)",
        g4_isa_name ((g4_isa) isa), df.max_abs, df.worst, got1[df.worst], want[df.worst]);
    CHECK (!memcmp (got1, got3, sizeof (float) * n_o), "%s: 1 and 3 threads differ",
        g4_isa_name ((g4_isa) isa));
    printf ("%s q %lld kv %lld heads %d/%d x %d scale %g range %g mask %d window %d%s%s: "
        "max |diff| %.3g\n", g4_isa_name ((g4_isa) isa), (long long) sh->n_q,
        (long long) sh->n_kv, sh->n_head, Hkv, sh->head_dim, sh->scale, sh->range, sh->mask,
        sh->window, sh->f16 ? " f16" : "", sh->k_transposed ? " k^T" : "", df.max_abs);
  }
  g4_kernels_force (best);
  free (scratch);
  free (q);
  free (k);
  free (v);
  free (want);
  free (got1);
  free (got3);
  free (key_pos);
  free (lo);
  free (hi);
}

int
main (void)
{
  test_rng_seed (4);
  const shape shapes[] = {
    { 1, 1, 1, 4, 0, 1.0f, 1.0f, 0, MASK_NONE, 0, false, false },
    { 7, 5, 2, 64, 0, 1.0f, 1.0f, 0, MASK_NONE, 0, false, false },
    { 13, 100, 3, 72, 3, 0.125f, 2.0f, 0, MASK_NONE, 0, false, false },
    { 64, 130, 2, 64, 0, 1.0f, 1.0f, 0, MASK_NONE, 0, false, false },
    { 20, 70, 1, 36, 1, 1.0f, 2.2f, 0, MASK_NONE, 0, false, false },       /* scores of several tens */
    { 100, 300, 2, 72, 0, 1.0f, 1.0f, 0, MASK_NONE, 0, false, false },     /* query blocks of 48, key blocks of 128 */
    { 20, 2100, 1, 16, 2, 1.0f, 1.0f, 0, MASK_NONE, 0, false, false },     /* long rows */
    { 100, 4096, 2, 64, 0, 1.0f, 1.0f, 1, MASK_CAUSAL, 0, false, false },
    { 70, 4096, 4, 32, 0, 1.0f, 1.5f, 2, MASK_WINDOW, 512, true, true },
    { 53, 4096, 2, 40, 3, 1.0f, 1.0f, 1, MASK_RING, 600, true, true },
    { 300, 1000, 2, 24, 0, 1.0f, 1.0f, 2, MASK_WINDOW, 130, false, false },
    { 9, 257, 8, 16, 0, 0.5f, 1.0f, 1, MASK_CAUSAL, 0, false, true },
    { 40, 40, 8, 256, 0, 1.0f, 1.0f, 1, MASK_CAUSAL, 0, false, true },
    { 3, 37, 8, 256, 1, 1.0f, 1.0f, 1, MASK_CAUSAL, 0, true, true },       /* runs with tails */
    { 1, 150, 8, 512, 0, 1.0f, 1.0f, 1, MASK_RING, 128, true, true },      /* a decode step: heads grouped */
    { 2, 70, 4, 64, 3, 1.0f, 1.0f, 2, MASK_NONE, 0, false, false },        /* grouped, no mask */
  };
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    run_shape (&shapes[i]);
  return test_exit_status ();
}
