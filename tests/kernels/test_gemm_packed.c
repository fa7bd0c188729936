/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The packed GEMM path: g4_repack of Q4_0 / Q8_0 / Q4_K / Q5_K / Q6_K / IQ4_XS matrices, multiplied by
 * g4_matmul under every ISA this CPU has. Each ISA's packed result is
 * bit-identical to the scalar reference of the packed layout, for 1, 2 and 3
 * threads, and agrees with the plain row-major product to float rounding
 * (same integer block dots, another summation order). Weights include the
 * extreme quants (-128 for Q8_0) and row views of a packed matrix start where
 * those of a plain one do. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "test_util.h"

/* packed vs plain, relative to sum |w * x|: float summation order only */
#define TOL_PLAIN 1e-5

#define N_OUT 48
#define LDY (N_OUT + 5)

static const g4_type types[] = { G4_TYPE_Q4_0, G4_TYPE_Q8_0, G4_TYPE_Q4_K, G4_TYPE_Q5_K,
  G4_TYPE_Q6_K, G4_TYPE_IQ4_XS };

/* y of T rows for 1, 2 and 3 threads, checked identical; returns the first. */
static float *
product (const g4_matrix *m, const float *x, int T)
{
  void *scratch = malloc (g4_matmul_scratch_size (m->type, m->n_in, T) + 1);
  float *y[3];
  for (int k = 0; k < 3; k++) {
    y[k] = malloc ((size_t) T * LDY * sizeof (float));
    for (int i = 0; i < T * LDY; i++)
      y[k][i] = -1.0f;
    g4_matmul (m, x, T, y[k], LDY, scratch, k + 1);
  }
  CHECK (memcmp (y[0], y[1], (size_t) T * LDY * sizeof (float)) == 0
      && memcmp (y[0], y[2], (size_t) T * LDY * sizeof (float)) == 0,
      "%s %s%s T=%d: 1, 2 and 3 threads differ", g4_isa_name (g4_kernels_isa ()),
      g4_type_name (m->type), m->packed ? " packed" : "", T);
  free (y[1]);
  free (y[2]);
  free (scratch);
  return y[0];
}

static void
check_type (g4_type wt, int64_t n_in, int T)
{
  const size_t rb = g4_row_size (wt, n_in);
  unsigned char *w = malloc (N_OUT * rb), *wp = aligned_alloc (64, N_OUT * rb);
  for (int o = 0; o < N_OUT; o++)
    test_random_row (wt, w + o * rb, n_in);
  /* the largest magnitudes: row 5 of Q8_0 all -128, row 6 all 127; Q4_0 all 0 and 15 */
  for (int o = 5; o <= 6 && g4_type_traits_get (wt)->block_size == 32; o++)
    for (int64_t b = 0; b < n_in / 32; b++) {
      unsigned char *q = w + o * rb + b * (rb / (n_in / 32)) + 2;
      memset (q, wt == G4_TYPE_Q8_0 ? (o == 5 ? 0x80 : 0x7F) : (o == 5 ? 0x00 : 0xFF),
          wt == G4_TYPE_Q8_0 ? 32 : 16);
    }
  float *x = malloc ((size_t) T * n_in * sizeof (float));
  for (int64_t i = 0; i < T * n_in; i++)
    x[i] = test_rng_float (-1.0f, 1.0f);
  const g4_matrix m = { .type = wt, .n_in = n_in, .n_out = N_OUT, .row_bytes = rb, .data = w };
  CHECK (g4_repack_supported (&m), "%s %lld: repack supported", g4_type_name (wt), (long long) n_in);
  const g4_matrix p = g4_repack (&m, wp);
  CHECK (p.packed && p.data == wp && p.n_out == N_OUT && p.row_bytes == rb);
  CHECK (!g4_repack_supported (&p), "a packed matrix is not packed again");

  const g4_isa isa = g4_kernels_isa ();
  float *plain = product (&m, x, T), *packed = product (&p, x, T);
  g4_kernels_force (G4_ISA_SCALAR);
  float *ref = product (&p, x, T);
  g4_kernels_force (isa);
  /* rows [16, 48) of the packed matrix as a view */
  g4_matrix v = p;
  v.data = (const unsigned char *) p.data + 16 * rb;
  v.n_out = 32;
  float *view = product (&v, x, T);

  int mismatches = 0, view_mismatches = 0;
  double worst = 0.0;
  for (int t = 0; t < T; t++)
    for (int o = 0; o < LDY; o++) {
      const float got = packed[t * LDY + o];
      if (o >= N_OUT) {
        CHECK (got == -1.0f, "%s T=%d: y beyond n_out written", g4_type_name (wt), T);
        continue;
      }
      mismatches += memcmp (&got, &ref[t * LDY + o], sizeof got) != 0;
      if (o >= 16)
        view_mismatches += memcmp (&got, &view[t * LDY + o - 16], sizeof got) != 0;
      float wf[1024];
      g4_dequantize_row (wt, w + o * rb, wf, n_in);
      double mag = 0.0;
      for (int64_t i = 0; i < n_in; i++)
        mag += fabs ((double) wf[i] * x[t * n_in + i]);
      const double err = fabs ((double) got - plain[t * LDY + o]) / mag;
      worst = err > worst ? err : worst;
    }
  CHECK (mismatches == 0, "%s %s T=%d: %d outputs differ from the scalar packed "
      "reference", g4_isa_name (isa), g4_type_name (wt), T, mismatches);
  CHECK (view_mismatches == 0, "%s %s T=%d: %d outputs of a row view differ",
      g4_isa_name (isa), g4_type_name (wt), T, view_mismatches);
  CHECK (worst <= TOL_PLAIN, "%s %s T=%d: packed vs plain rel err %.2e > %.0e",
      g4_isa_name (isa), g4_type_name (wt), T, worst, TOL_PLAIN);
  if (T == 70)
    printf ("%-6s %-5s n_in=%lld: packed vs plain worst rel err %.2e\n", g4_isa_name (isa),
        g4_type_name (wt), (long long) n_in, worst);
  free (plain);
  free (packed);
  free (ref);
  free (view);
  free (w);
  free (wp);
  free (x);
}

int
main (void)
{
  static const int Ts[] = { 1, 3, 8, 9, 70 };
  test_rng_seed (0x9E3779B97F4A7C15ull);
  for (int isa = G4_ISA_SCALAR; isa <= G4_ISA_AVX512; isa++) {
    if (!g4_kernels_force ((g4_isa) isa)) {
      printf ("%-6s skipped: not in this CPU or build\n", g4_isa_name ((g4_isa) isa));
      continue;
    }
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
      for (size_t i = 0; i < sizeof Ts / sizeof Ts[0]; i++) {
        check_type (types[k], 512, Ts[i]);
        if (g4_type_traits_get (types[k])->block_size == 32)
          check_type (types[k], 544, Ts[i]);
        else
          check_type (types[k], 768, Ts[i]);
      }
  }
  /* what g4_repack refuses */
  const g4_matrix odd = { .type = G4_TYPE_Q4_0, .n_in = 64, .n_out = 37,
    .row_bytes = g4_row_size (G4_TYPE_Q4_0, 64) };
  const g4_matrix kq = { .type = G4_TYPE_Q3_K, .n_in = 256, .n_out = 32,
    .row_bytes = g4_row_size (G4_TYPE_Q3_K, 256) };
  const g4_matrix strided = { .type = G4_TYPE_Q8_0, .n_in = 64, .n_out = 32,
    .row_bytes = 2 * g4_row_size (G4_TYPE_Q8_0, 64) };
  CHECK (!g4_repack_supported (&odd) && !g4_repack_supported (&kq)
      && !g4_repack_supported (&strided), "repack refuses odd n_out, types without a layout, strided rows");
  return test_exit_status ();
}
