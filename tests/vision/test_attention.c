/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g4_attention_f32 (the vision encoder's attention) in every ISA this CPU has
 * against a double-precision softmax(q k^T) v computed here, on shapes that
 * hit the kernels' edges: key counts off the 64-key padding and the 128-key
 * cache blocks, head sizes that are not whole vectors (72, 4), query counts
 * off the 6-row tiles and the 48-row calls, rows too long for 48 of them per
 * call, padded row strides, scale != 1, and scores of several tens (the max subtraction
 * must keep the exponentials finite). Outputs are convex combinations of values
 * in [-1, 1): max |diff| <= 1e-5. Also checks that 1 and 3 threads give the
 * same bits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define TOLERANCE_MAX_ABS 1e-5

typedef struct {
  int64_t n_q, n_kv;
  int n_head, head_dim, pad;    /* pad: extra floats at the end of each row */
  float scale, range;           /* q and k uniform in [-range, range) */
} shape;

static void
reference (const g4_attention_args *a, float *o)
{
  const int dh = a->head_dim;
  double *p = malloc (sizeof (double) * (size_t) a->n_kv);
  for (int h = 0; h < a->n_head; h++)
    for (int64_t i = 0; i < a->n_q; i++) {
      const float *q = a->q + i * a->ld_q + h * dh;
      double mx = -INFINITY, sum = 0.0;
      for (int64_t j = 0; j < a->n_kv; j++) {
        const float *k = a->k + j * a->ld_kv + h * dh;
        double dot = 0.0;
        for (int d = 0; d < dh; d++)
          dot += (double) q[d] * k[d];
        p[j] = dot * a->scale;
        mx = p[j] > mx ? p[j] : mx;
      }
      for (int64_t j = 0; j < a->n_kv; j++)
        sum += p[j] = exp (p[j] - mx);
      for (int d = 0; d < dh; d++) {
        double acc = 0.0;
        for (int64_t j = 0; j < a->n_kv; j++)
          acc += p[j] * a->v[j * a->ld_kv + h * dh + d];
        o[i * a->ld_o + h * dh + d] = (float) (acc / sum);
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

static void
run_shape (const shape *sh)
{
  const int64_t ld = (int64_t) sh->n_head * sh->head_dim + sh->pad;
  float *q = random_rows (sh->n_q, ld, sh->range), *k = random_rows (sh->n_kv, ld, sh->range);
  float *v = random_rows (sh->n_kv, ld, 1.0f);
  const size_t n_o = (size_t) (sh->n_q * ld);
  float *want = calloc (n_o, sizeof (float)), *got1 = calloc (n_o, sizeof (float));
  float *got3 = calloc (n_o, sizeof (float));
  g4_attention_args a = {
    .q = q, .k = k, .v = v, .o = want, .n_q = sh->n_q, .n_kv = sh->n_kv,
    .n_head = sh->n_head, .head_dim = sh->head_dim, .ld_q = ld, .ld_kv = ld, .ld_o = ld,
    .scale = sh->scale,
  };
  reference (&a, want);
  void *scratch = malloc (g4_attention_scratch_size (sh->n_kv, sh->n_head, sh->head_dim, 3));
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
    printf ("%s q %lld kv %lld heads %d x %d scale %g range %g: max |diff| %.3g\n",
        g4_isa_name ((g4_isa) isa), (long long) sh->n_q, (long long) sh->n_kv, sh->n_head,
        sh->head_dim, sh->scale, sh->range, df.max_abs);
  }
  g4_kernels_force (best);
  free (scratch);
  free (q);
  free (k);
  free (v);
  free (want);
  free (got1);
  free (got3);
}

int
main (void)
{
  test_rng_seed (4);
  const shape shapes[] = {
    { 1, 1, 1, 4, 0, 1.0f, 1.0f },
    { 7, 5, 2, 64, 0, 1.0f, 1.0f },
    { 13, 100, 3, 72, 3, 0.125f, 2.0f },
    { 64, 130, 2, 64, 0, 1.0f, 1.0f },
    { 20, 70, 1, 36, 1, 1.0f, 2.2f },       /* scores of several tens */
    { 100, 300, 2, 72, 0, 1.0f, 1.0f },     /* query blocks of 48, key blocks of 128 */
    { 20, 2100, 1, 16, 2, 1.0f, 1.0f },     /* rows so long that fewer fit a call */
  };
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    run_shape (&shapes[i]);
  return test_exit_status ();
}
