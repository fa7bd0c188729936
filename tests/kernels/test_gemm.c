/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The float GEMM of every ISA that has one against gemm_float_rows_scalar,
 * bit for bit: F32, F16 and BF16 weights, ragged n_in (column blocks and
 * their tails), a row stride larger than the row (KV cache views), row
 * ranges that start inside the matrix and end short of a panel, every count
 * of activation rows up to three register tiles, a padded ldy that must stay
 * untouched. Then g4_matmul on the same products for 1, 2 and 3 threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "test_util.h"
#include "vec.h"

#define MAX_T 37
/* the most rows g4_matmul is given */
#define MATMUL_T (G4_GEMM_MIN_T_TILED + 3)
#define SENTINEL -12345.0f

typedef struct {
  int64_t n_in, n_out;
  int pad;                      /* extra elements per weight row */
} shape;

static const shape shapes[] = {
  { 64, 32, 0 }, { 100, 37, 4 }, { 257, 70, 0 }, { 600, 33, 3 }, { 768, 96, 0 },
};

static const g4_type types[] = { G4_TYPE_F32, G4_TYPE_F16, G4_TYPE_BF16 };

/* the rows [r0, r1) for T activation rows: ISA kernel vs scalar, bit for bit,
 * nothing written outside them */
static void
check_rows (const g4_kernel_entry *e, const g4_matrix *m, const float *x, int64_t T,
    int64_t r0, int64_t r1)
{
  const int64_t ldy = m->n_out + 5;
  const size_t ny = (size_t) T * ldy;
  float *got = malloc (ny * sizeof (float)), *want = malloc (ny * sizeof (float));
  for (size_t i = 0; i < ny; i++)
    got[i] = want[i] = SENTINEL;
  e->gemm_rows (m, r0, r1, x, T, got, ldy);
  gemm_float_rows_scalar (m, r0, r1, x, T, want, ldy);
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < ny; i++)
    if (memcmp (&got[i], &want[i], sizeof (float)) != 0 && bad++ == 0)
      first = i;
  CHECK (bad == 0, "%s %s n_in %lld rows [%lld, %lld) T %lld: %zu outputs differ, first "
      "y[%zu][%zu] %.9g, scalar %.9g", g4_isa_name (g4_kernels_isa ()),
      g4_type_name (m->type), (long long) m->n_in, (long long) r0, (long long) r1,
      (long long) T, bad, first / ldy, first % ldy, got[first], want[first]);
  free (got);
  free (want);
}

/* g4_matmul gives the same bits for 1, 2 and 3 threads, and the scalar GEMM's
 * where g4_uses_gemm */
static void
check_matmul (const g4_matrix *m, const float *x, int64_t T)
{
  const int64_t ldy = m->n_out + 2;
  const size_t ny = (size_t) T * ldy;
  float *y[4];
  for (int k = 0; k < 4; k++) {
    y[k] = malloc (ny * sizeof (float));
    for (size_t i = 0; i < ny; i++)
      y[k][i] = SENTINEL;
  }
  for (int k = 0; k < 3; k++)
    g4_matmul (m, x, T, y[k], ldy, NULL, k + 1);
  gemm_float_rows_scalar (m, 0, m->n_out, x, T, y[3], ldy);
  CHECK (!memcmp (y[0], y[1], ny * sizeof (float)) && !memcmp (y[0], y[2], ny * sizeof (float)),
      "%s %s T %lld: 1, 2 and 3 threads differ", g4_isa_name (g4_kernels_isa ()),
      g4_type_name (m->type), (long long) T);
  CHECK (!g4_uses_gemm (g4_kernels_entry (m->type), T, true)
      || !memcmp (y[0], y[3], ny * sizeof (float)),
      "%s %s T %lld: g4_matmul is not the GEMM", g4_isa_name (g4_kernels_isa ()),
      g4_type_name (m->type), (long long) T);
  for (int k = 0; k < 4; k++)
    free (y[k]);
}

static void
check_type (const g4_kernel_entry *e, g4_type type, const shape *s)
{
  const size_t esize = g4_row_size (type, 1);
  const size_t row_bytes = (size_t) (s->n_in + s->pad) * esize;
  unsigned char *w = malloc ((size_t) s->n_out * row_bytes);
  for (int64_t o = 0; o < s->n_out; o++)
    test_random_row (type, w + o * row_bytes, s->n_in + s->pad);
  float *x = malloc ((size_t) MATMUL_T * s->n_in * sizeof (float));
  for (int64_t i = 0; i < MATMUL_T * s->n_in; i++)
    x[i] = test_rng_float (-1.0f, 1.0f);
  const g4_matrix m = {.type = type,.n_in = s->n_in,.n_out = s->n_out,.row_bytes = row_bytes,
    .data = w
  };
  for (int64_t T = 1; T <= MAX_T; T++)
    check_rows (e, &m, x, T, 0, s->n_out);
  /* a range inside the matrix, ending short of a panel */
  check_rows (e, &m, x, 13, e->gemm_panel < s->n_out ? e->gemm_panel : 0, s->n_out - 1);
  check_rows (e, &m, x, 5, 1, 2);
  for (int64_t T = 1; T <= 25; T += 6)
    check_matmul (&m, x, T);
  /* where the tiled ISAs switch to the GEMM */
  check_matmul (&m, x, G4_GEMM_MIN_T_TILED - 1);
  check_matmul (&m, x, MATMUL_T);
  free (w);
  free (x);
}

int
main (void)
{
  test_rng_seed (0x9E3779B97F4A7C15ull);
  int checked = 0;
  for (int isa = G4_ISA_SCALAR; isa <= G4_ISA_AVX512; isa++) {
    if (!g4_kernels_force ((g4_isa) isa)) {
      printf ("%-6s skipped: not in this CPU or build\n", g4_isa_name ((g4_isa) isa));
      continue;
    }
    const int before = checked;
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
      const g4_kernel_entry *e = g4_kernels_entry (types[k]);
      if (e->gemm_rows == NULL)
        continue;
      for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        check_type (e, types[k], &shapes[i]);
      checked++;
    }
    printf ("%-6s %s\n", g4_isa_name ((g4_isa) isa), checked > before ? "checked"
        : "has no float GEMM");
  }
  /* 77: skipped, no ISA of this CPU or build has one */
  return checked ? test_exit_status () : 77;
}
