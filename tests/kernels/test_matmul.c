/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g4_matmul for every weight type under every ISA this CPU has, T in {1, 2,
 * 7, 33}, an odd n_out and a padded ldy: close to a naive dequantize + double
 * dot loop, bit-identical to the ISA's single-row vec_dot on the quantized
 * activations, and bit-identical for 1, 2 and 3 threads. F16/F32 also run
 * with a ragged n_in and a row stride larger than the row (KV cache views). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "quant_blocks.h"
#include "vec.h"

/* matmul vs double dot of the dequantized weights and float activations,
 * relative to sum |w * x|: the activation quantization error */
#define TOL_NAIVE 1e-2

#define N_OUT 37
#define LDY (N_OUT + 3)
#define SENTINEL -12345.0f

static int failures;

#define CHECK(cond, ...) \
  do { \
    if (!(cond)) { \
      failures++; \
      printf ("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf (__VA_ARGS__); \
      printf ("\n"); \
    } \
  } while (0)

static const g4_type weight_types[] = {
  G4_TYPE_F32, G4_TYPE_F16, G4_TYPE_BF16, G4_TYPE_Q4_0, G4_TYPE_Q4_1,
  G4_TYPE_Q5_0, G4_TYPE_Q5_1, G4_TYPE_Q8_0, G4_TYPE_Q2_K, G4_TYPE_Q3_K,
  G4_TYPE_Q4_K, G4_TYPE_Q5_K, G4_TYPE_Q6_K, G4_TYPE_IQ4_NL, G4_TYPE_IQ4_XS,
};

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint32_t
rng_u32 (void)
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t) ((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

static float
rng_float (float lo, float hi)
{
  return lo + (hi - lo) * (float) (rng_u32 () >> 8) * 0x1p-24f;
}

/* Random quant bytes; every fp16 scale of a block (its leading d, and m or
 * dmin right after it where the type has one) made finite and small. */
static void
random_row (g4_type t, unsigned char *dst, int64_t n)
{
  if (t == G4_TYPE_F32) {
    for (int64_t i = 0; i < n; i++) {
      float v = rng_float (-1.0f, 1.0f);
      memcpy (dst + 4 * i, &v, 4);
    }
    return;
  }
  if (t == G4_TYPE_F16 || t == G4_TYPE_BF16) {
    for (int64_t i = 0; i < n; i++) {
      float v = rng_float (-1.0f, 1.0f);
      uint32_t bits;
      memcpy (&bits, &v, 4);
      uint16_t h = t == G4_TYPE_F16 ? g4_fp32_to_fp16 (v) : (uint16_t) (bits >> 16);
      memcpy (dst + 2 * i, &h, 2);
    }
    return;
  }
  const g4_type_traits *tt = g4_type_traits_get (t);
  for (size_t i = 0; i < g4_row_size (t, n); i++)
    dst[i] = (unsigned char) rng_u32 ();
  for (int64_t b = 0; b < n / tt->block_size; b++) {
    unsigned char *blk = dst + b * tt->type_size;
    /* offset of the fp16 d (and of m/dmin right after it, if any) */
    size_t d_off = 0;
    bool has_min = false;
    switch (t) {
      case G4_TYPE_Q4_1: case G4_TYPE_Q5_1: case G4_TYPE_Q2_K:
        has_min = true;
        d_off = t == G4_TYPE_Q2_K ? offsetof (block_q2_K, d) : 0;
        break;
      case G4_TYPE_Q4_K: case G4_TYPE_Q5_K:
        has_min = true;
        break;
      case G4_TYPE_Q3_K: d_off = offsetof (block_q3_K, d); break;
      case G4_TYPE_Q6_K: d_off = offsetof (block_q6_K, d); break;
      default: break;
    }
    for (int k = 0; k < (has_min ? 2 : 1); k++) {
      uint16_t h = g4_fp32_to_fp16 (rng_float (0.001f, 0.02f));
      memcpy (blk + d_off + 2 * k, &h, 2);
    }
  }
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
    random_row (wt, w + o * row_bytes, n_in);
  for (int64_t i = 0; i < T * n_in; i++)
    x[i] = rng_float (-1.0f, 1.0f);
  size_t scratch_size = g4_matmul_scratch_size (wt, n_in, T);
  void *scratch = malloc (scratch_size + 1);
  g4_matrix m = { .type = wt, .n_in = n_in, .n_out = N_OUT, .row_bytes = row_bytes, .data = w };
  for (int k = 0; k < 3; k++) {
    y[k] = malloc ((size_t) T * LDY * sizeof (float));
    for (int i = 0; i < T * LDY; i++)
      y[k][i] = SENTINEL;
    g4_matmul (&m, x, T, y[k], LDY, scratch, k + 1);
  }
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
      float single = e->vec_dot (n_in, w + o * row_bytes, act + t * act_stride);
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
      "vec_dot", isa, g4_type_name (wt), T, mismatches);
  if (T == 33)
    printf ("%-6s %-6s n_in=%-4lld T=1,2,7,33: worst rel err vs naive %.2e\n",
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
  static const int Ts[] = { 1, 2, 7, 33 };
  for (int isa = G4_ISA_SCALAR; isa <= G4_ISA_AVX512; isa++) {
    if (!g4_kernels_force ((g4_isa) isa)) {
      printf ("%-6s skipped: not in this CPU or build\n", g4_isa_name ((g4_isa) isa));
      continue;
    }
    for (size_t k = 0; k < sizeof weight_types / sizeof weight_types[0]; k++) {
      g4_type wt = weight_types[k];
      for (int i = 0; i < 4; i++)
        check_type (wt, 512, g4_row_size (wt, 512), Ts[i]);
      /* an odd number of 32-value blocks: the two-block kernels' tail */
      if (g4_type_traits_get (wt)->block_size == 32)
        for (int i = 0; i < 4; i++)
          check_type (wt, 544, g4_row_size (wt, 544), Ts[i]);
      if (wt == G4_TYPE_F32 || wt == G4_TYPE_F16) {
        size_t esize = g4_row_size (wt, 1);
        CHECK (g4_matmul_scratch_size (wt, 100, 7) == 0,
            "%s: float weights need no scratch", g4_type_name (wt));
        for (int i = 0; i < 4; i++)
          check_type (wt, 100, 4 * 100 * esize, Ts[i]);
      }
    }
  }
  if (failures)
    printf ("%d failures\n", failures);
  return failures ? 1 : 0;
}
