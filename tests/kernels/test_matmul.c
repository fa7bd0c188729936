/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g4_matmul for every weight type under every ISA this CPU has, T in {1, 2,
 * 3, 7, 33}, an odd n_out and a padded ldy: close to a naive dequantize + double
 * dot loop, bit-identical to the ISA's single-row vec_dot on the quantized
 * activations (float weights under an ISA with a GEMM: to the scalar GEMM
 * where g4_uses_gemm), and bit-identical for 1, 2 and 3 threads;
 * g4_matmul_clamp_team gives the same outputs limited to its bounds, and
 * g4_matmul_quantized_team on rows quantized by g4_matmul_quantize_row the
 * same bits (g4_matmul_same_act says which weight types share them).
 * F16/F32 also run with a ragged n_in and a row stride larger than the row
 * (KV cache views). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "test_util.h"
#include "vec.h"

/* matmul vs double dot of the dequantized weights and float activations,
 * relative to sum |w * x|: the activation quantization error */
#define TOL_NAIVE 1e-2

#define N_OUT 37
#define LDY (N_OUT + 3)
#define SENTINEL -12345.0f

static const g4_type weight_types[] = {
  G4_TYPE_F32, G4_TYPE_F16, G4_TYPE_BF16, G4_TYPE_Q4_0, G4_TYPE_Q4_1,
  G4_TYPE_Q5_0, G4_TYPE_Q5_1, G4_TYPE_Q8_0, G4_TYPE_Q2_K, G4_TYPE_Q3_K,
  G4_TYPE_Q4_K, G4_TYPE_Q5_K, G4_TYPE_Q6_K, G4_TYPE_IQ4_NL, G4_TYPE_IQ4_XS,
};

typedef struct {
  const g4_matrix *m;
  const float *x;
  int T;
  float *y;
  void *scratch;
} clamp_call;

static void
clamp_member (const g4_thread *th, void *arg)
{
  const clamp_call *c = arg;
  g4_matmul_clamp_team (th, "matmul", c->m, c->x, c->T, c->y, LDY, c->scratch, -0.25f, 0.5f);
}

/* g4_matmul_clamp_team on 2 threads gives y (from g4_matmul) limited to
 * [-0.25, 0.5], and nothing past n_out; where g4_matmul takes the few-row
 * tiles and the encoders' product the GEMM, the scalar GEMM's y */
static void
check_clamp (const g4_matrix *m, const float *x, int T, const float *y, void *scratch)
{
  const g4_kernel_entry *e = g4_kernels_entry (m->type);
  float *yc = malloc ((size_t) T * LDY * sizeof (float)), *yg = NULL;
  for (int i = 0; i < T * LDY; i++)
    yc[i] = SENTINEL;
  if (g4_uses_gemm (e, T, false) != g4_uses_gemm (e, T, true)) {
    yg = malloc ((size_t) T * LDY * sizeof (float));
    for (int i = 0; i < T * LDY; i++)
      yg[i] = SENTINEL;
    gemm_float_rows_scalar (m, 0, m->n_out, x, T, yg, LDY);
    y = yg;
  }
  clamp_call c = {.m = m,.x = x,.T = T,.y = yc,.scratch = scratch };
  g4_team_run (2, clamp_member, &c);
  int bad = 0;
  for (int t = 0; t < T; t++)
    for (int o = 0; o < LDY; o++) {
      const float v = y[t * LDY + o];
      const float want = o >= N_OUT ? SENTINEL : v < -0.25f ? -0.25f : v > 0.5f ? 0.5f : v;
      bad += memcmp (&yc[t * LDY + o], &want, sizeof want) != 0;
    }
  CHECK (bad == 0, "%s %s T=%d: %d clamped outputs wrong", g4_isa_name (g4_kernels_isa ()),
      g4_type_name (m->type), T, bad);
  free (yc);
  free (yg);
}

static void
quantized_member (const g4_thread *th, void *arg)
{
  const clamp_call *c = arg;
  const int64_t n = c->m->n_in;
  int64_t t0, t1;
  while (g4_take (th, c->T, 1, &t0, &t1))
    for (int64_t t = t0; t < t1; t++)
      g4_matmul_quantize_row (c->m->type, c->x + t * n, n, t, c->T, c->scratch);
  g4_barrier (th);
  g4_matmul_quantized_team (th, "matmul", c->m, c->x, c->T, c->y, LDY, c->scratch);
}

/* the rows quantized first, by the members of a team of 2, then multiplied:
 * y's bits */
static void
check_quantized (const g4_matrix *m, const float *x, int T, const float *y, void *scratch)
{
  float *yq = malloc ((size_t) T * LDY * sizeof (float));
  for (int i = 0; i < T * LDY; i++)
    yq[i] = SENTINEL;
  memset (scratch, 0x5A, g4_matmul_scratch_size (m->type, m->n_in, T));
  clamp_call c = {.m = m,.x = x,.T = T,.y = yq,.scratch = scratch };
  g4_team_run (2, quantized_member, &c);
  CHECK (memcmp (yq, y, (size_t) T * LDY * sizeof (float)) == 0,
      "%s %s T=%d: pre-quantized product differs", g4_isa_name (g4_kernels_isa ()),
      g4_type_name (m->type), T);
  free (yq);
}

static void
check_type (g4_type wt, int64_t n_in, size_t row_bytes, int T)
{
  const g4_kernel_entry *e = g4_kernels_entry (wt);
  const char *isa = g4_isa_name (g4_kernels_isa ());
  unsigned char *w = calloc (N_OUT, row_bytes);
  float *x = malloc ((size_t) T * n_in * sizeof (float));
  float *y[3], *wf = malloc ((size_t) n_in * sizeof (float));
  for (int o = 0; o < N_OUT; o++)
    test_random_row (wt, w + o * row_bytes, n_in);
  for (int64_t i = 0; i < T * n_in; i++)
    x[i] = test_rng_float (-1.0f, 1.0f);
  size_t scratch_size = g4_matmul_scratch_size (wt, n_in, T);
  void *scratch = malloc (scratch_size + 1);
  g4_matrix m = { .type = wt, .n_in = n_in, .n_out = N_OUT, .row_bytes = row_bytes, .data = w };
  for (int k = 0; k < 3; k++) {
    y[k] = malloc ((size_t) T * LDY * sizeof (float));
    for (int i = 0; i < T * LDY; i++)
      y[k][i] = SENTINEL;
    g4_matmul (&m, x, T, y[k], LDY, scratch, k + 1);
  }
  check_clamp (&m, x, T, y[0], scratch);
  check_quantized (&m, x, T, y[0], scratch);
  CHECK (memcmp (y[0], y[1], (size_t) T * LDY * sizeof (float)) == 0
      && memcmp (y[0], y[2], (size_t) T * LDY * sizeof (float)) == 0,
      "%s %s T=%d: 1, 2 and 3 threads differ", isa, g4_type_name (wt), T);

  /* the scratch now holds the quantized activations of the last call */
  size_t act_stride = e->quantize_act ? g4_row_size (e->vec_dot_type, n_in)
      : (size_t) n_in * sizeof (float);
  const unsigned char *act = e->quantize_act ? scratch : (const void *) x;
  double worst = 0.0;
  int mismatches = 0;
  for (int t = 0; t < T; t++) {
    for (int o = 0; o < LDY; o++) {
      float got = y[0][t * LDY + o];
      if (o >= N_OUT) {
        CHECK (got == SENTINEL, "%s %s T=%d: y[%d][%d] beyond n_out written",
            isa, g4_type_name (wt), T, t, o);
        continue;
      }
      float single;
      if (g4_uses_gemm (e, T, true)) {
        const g4_matrix row = {.type = wt,.n_in = n_in,.n_out = 1,.row_bytes = row_bytes,
          .data = w + o * row_bytes };
        gemm_float_rows_scalar (&row, 0, 1, x + t * n_in, 1, &single, 1);
      } else
        single = e->vec_dot (n_in, w + o * row_bytes, act + t * act_stride);
      if (memcmp (&got, &single, sizeof got) != 0)
        mismatches++;
      g4_dequantize_row (wt, w + o * row_bytes, wf, n_in);
      double s = 0.0, mag = 0.0;
      for (int64_t i = 0; i < n_in; i++) {
        s += (double) wf[i] * x[t * n_in + i];
        mag += fabs ((double) wf[i] * x[t * n_in + i]);
      }
      double err = fabs (got - s) / mag;
      CHECK (err <= TOL_NAIVE, "%s %s T=%d y[%d][%d]: %.7g, naive %.7g "
          "(rel err %.2e > %.0e)", isa, g4_type_name (wt), T, t, o, got, s,
          err, TOL_NAIVE);
      if (err > worst)
        worst = err;
    }
  }
  CHECK (mismatches == 0, "%s %s T=%d: %d outputs differ from a single-row "
      "vec_dot (or the scalar GEMM's)", isa, g4_type_name (wt), T, mismatches);
  if (T == 33)
    printf ("%-6s %-6s n_in=%-4lld T=1,2,3,7,33: worst rel err vs naive %.2e\n",
        isa, g4_type_name (wt), (long long) n_in, worst);
  for (int k = 0; k < 3; k++)
    free (y[k]);
  free (w);
  free (x);
  free (wf);
  free (scratch);
}

int
main (void)
{
  static const int Ts[] = { 1, 2, 3, 7, 33 };
  const int n_ts = (int) (sizeof Ts / sizeof Ts[0]);
  test_rng_seed (0x2545F4914F6CDD1Dull);
  for (int isa = G4_ISA_SCALAR; isa <= G4_ISA_AVX512; isa++) {
    if (!g4_kernels_force ((g4_isa) isa)) {
      printf ("%-6s skipped: not in this CPU or build\n", g4_isa_name ((g4_isa) isa));
      continue;
    }
    for (size_t k = 0; k < sizeof weight_types / sizeof weight_types[0]; k++) {
      g4_type wt = weight_types[k];
      for (int i = 0; i < n_ts; i++)
        check_type (wt, 512, g4_row_size (wt, 512), Ts[i]);
      /* an odd number of 32-value blocks: the two-block kernels' tail */
      if (g4_type_traits_get (wt)->block_size == 32)
        for (int i = 0; i < n_ts; i++)
          check_type (wt, 544, g4_row_size (wt, 544), Ts[i]);
      if (wt == G4_TYPE_F32 || wt == G4_TYPE_F16) {
        size_t esize = g4_row_size (wt, 1);
        CHECK (g4_matmul_scratch_size (wt, 100, 7) == 0,
            "%s: float weights need no scratch", g4_type_name (wt));
        for (int i = 0; i < n_ts; i++)
          check_type (wt, 100, 4 * 100 * esize, Ts[i]);
      }
    }
  }
  CHECK (g4_matmul_same_act (G4_TYPE_Q4_0, G4_TYPE_Q8_0) && g4_matmul_same_act (G4_TYPE_Q4_K,
          G4_TYPE_Q6_K) && g4_matmul_same_act (G4_TYPE_Q5_K, G4_TYPE_IQ4_XS),
      "Q4_0/Q8_0 and the K-quants share their activations");
  CHECK (!g4_matmul_same_act (G4_TYPE_Q4_0, G4_TYPE_Q4_K) && !g4_matmul_same_act (G4_TYPE_Q4_1,
          G4_TYPE_Q4_0) && !g4_matmul_same_act (G4_TYPE_F16, G4_TYPE_F16)
      && !g4_matmul_same_act (G4_TYPE_COUNT, G4_TYPE_Q4_0),
      "different partner blocks, float weights and no type share nothing");
  return test_exit_status ();
}
