/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dot-product kernels of every weight type under every ISA this CPU has:
 * - activation quantizers byte-exact with ggml's quantize_row_q8_*_ref, and
 *   dots close to ggml's on its own quantized weights (DATA_DIR: act.f32,
 *   act.Q8_{0,1,K}, TYPE.q, TYPE.dot, see below);
 * - on random blocks at ragged lengths: each ISA against vec_scalar.c, and the
 *   scalar kernels against a double dot of the dequantized operands.
 * Usage: test_vec_dot DATA_DIR */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "quant_blocks.h"
#include "test_util.h"
#include "vec.h"

/* Errors are relative to sum |w_i * a_i|, so cancellation cannot hide one. */
/* ISA vs scalar, integer-accumulating kernels: only float block sums differ */
#define TOL_SIMD_INT 1e-5
/* ISA vs scalar, F32/F16/BF16: float lanes against a double sum */
#define TOL_SIMD_FLOAT 1e-5
/* scalar vs double dot of the dequantized weight and quantized activation */
#define TOL_EXACT 1e-5
/* ... for Q4_1/Q5_1, whose offset term uses the fp16-rounded s = d * sum */
#define TOL_OFFSET 1e-3
/* scalar vs double dot with the float activations: activation quantization
 * (Q8_K has one scale per 256 values, and the test data vary 1000x in scale
 * within them) */
#define TOL_QUANT 3e-2
/* ours vs ggml's vec_dot on the same blocks */
#define TOL_GGML 1e-5

/* ggml fixture: NR weight rows and NT activation rows of N values; TYPE.dot
 * holds ggml's dot [t][r] as float. */
#define N 1024
#define NR 8
#define NT 4

static const g4_type weight_types[] = {
  G4_TYPE_F32, G4_TYPE_F16, G4_TYPE_BF16, G4_TYPE_Q4_0, G4_TYPE_Q4_1,
  G4_TYPE_Q5_0, G4_TYPE_Q5_1, G4_TYPE_Q8_0, G4_TYPE_Q2_K, G4_TYPE_Q3_K,
  G4_TYPE_Q4_K, G4_TYPE_Q5_K, G4_TYPE_Q6_K, G4_TYPE_IQ4_NL, G4_TYPE_IQ4_XS,
};
#define N_WEIGHT_TYPES (sizeof weight_types / sizeof weight_types[0])

static bool
is_float_type (g4_type t)
{
  return t == G4_TYPE_F32 || t == G4_TYPE_F16 || t == G4_TYPE_BF16;
}

/* Activations in the partner type back to floats (d * q). */
static void
dequantize_act (g4_type type, const void *src, float *dst, int64_t n)
{
  if (type == G4_TYPE_F32) {
    memcpy (dst, src, (size_t) n * sizeof (float));
  } else if (type == G4_TYPE_Q8_0) {
    g4_dequantize_row (type, src, dst, n);
  } else if (type == G4_TYPE_Q8_1) {
    const block_q8_1 *b = src;
    for (int64_t i = 0; i < n; i++)
      dst[i] = g4_fp16_to_fp32 (b[i / QK8_1].d) * b[i / QK8_1].qs[i % QK8_1];
  } else {
    const block_q8_K *b = src;
    for (int64_t i = 0; i < n; i++)
      dst[i] = b[i / QK_K].d * b[i / QK_K].qs[i % QK_K];
  }
}

/* sum w_i * a_i in double, and sum |w_i * a_i| */
static double
dot_double (const float *w, const float *a, int64_t n, double *mag)
{
  double s = 0.0, m = 0.0;
  for (int64_t i = 0; i < n; i++) {
    s += (double) w[i] * a[i];
    m += fabs ((double) w[i] * a[i]);
  }
  *mag = m;
  return s;
}

static double
rel_err (double got, double want, double mag)
{
  return fabs (got - want) / (mag > 0.0 ? mag : 1.0);
}

/* ---- ggml fixture --------------------------------------------------------- */

static void
check_quantizers_vs_ggml (const char *dir, const float *act)
{
  static const g4_type partners[] = { G4_TYPE_Q8_0, G4_TYPE_Q8_1, G4_TYPE_Q8_K };
  static const g4_type users[] = { G4_TYPE_Q4_0, G4_TYPE_Q4_1, G4_TYPE_Q4_K };
  for (int p = 0; p < 3; p++) {
    const g4_kernel_entry *e = g4_kernels_entry (users[p]);
    size_t row = g4_row_size (partners[p], N);
    char name[64];
    snprintf (name, sizeof name, "act.%s", g4_type_name (partners[p]));
    unsigned char *want = test_read_fixture (dir, name, NT * row);
    if (want == NULL)
      continue;
    unsigned char *got = malloc (NT * row);
    for (int t = 0; t < NT; t++)
      e->quantize_act (act + t * N, got + t * row, N);
    size_t first = 0;
    while (first < NT * row && got[first] == want[first])
      first++;
    CHECK (first == NT * row, "%s %s quantizer: byte %zu differs from ggml "
        "(got %u, expected %u)", g4_isa_name (g4_kernels_isa ()),
        g4_type_name (partners[p]), first, got[first], want[first]);
    free (got);
    free (want);
  }
}

static void
check_dots_vs_ggml (const char *dir, const float *act)
{
  double worst = 0.0;
  for (size_t k = 0; k < N_WEIGHT_TYPES; k++) {
    g4_type wt = weight_types[k];
    if (is_float_type (wt))
      continue;
    const g4_kernel_entry *e = g4_kernels_entry (wt);
    size_t wrow = g4_row_size (wt, N), arow = g4_row_size (e->vec_dot_type, N);
    char name[64];
    snprintf (name, sizeof name, "%s.q", g4_type_name (wt));
    unsigned char *w = test_read_fixture (dir, name, NR * wrow);
    snprintf (name, sizeof name, "%s.dot", g4_type_name (wt));
    float *want = test_read_fixture (dir, name, NT * NR * sizeof (float));
    if (w == NULL || want == NULL) {
      free (w);
      free (want);
      continue;
    }
    unsigned char *a = malloc (NT * arow);
    float *wf = malloc (N * sizeof (float)), *af = malloc (N * sizeof (float));
    for (int t = 0; t < NT; t++) {
      e->quantize_act (act + t * N, a + t * arow, N);
      dequantize_act (e->vec_dot_type, a + t * arow, af, N);
      for (int r = 0; r < NR; r++) {
        g4_dequantize_row (wt, w + r * wrow, wf, N);
        double mag;
        dot_double (wf, af, N, &mag);
        float got = e->vec_dot (N, w + r * wrow, a + t * arow);
        double err = rel_err (got, want[t * NR + r], mag);
        CHECK (err <= TOL_GGML, "%s %s row %d act %d: %.7g, ggml %.7g "
            "(rel err %.2e > %.0e)", g4_isa_name (g4_kernels_isa ()),
            g4_type_name (wt), r, t, got, want[t * NR + r], err, TOL_GGML);
        if (err > worst)
          worst = err;
      }
    }
    free (a);
    free (wf);
    free (af);
    free (w);
    free (want);
  }
  printf ("%-6s vs ggml: worst rel err %.2e over 12 types\n",
      g4_isa_name (g4_kernels_isa ()), worst);
}

/* ---- random blocks -------------------------------------------------------- */

/* Activations whose 32-value blocks vary in scale by 3 decades, with an
 * all-zero block and a lone outlier when there is room for them. */
static void
random_activations (float *x, int64_t n)
{
  for (int64_t i = 0; i < n; i += 32) {
    float scale = powf (10.0f, test_rng_float (-1.5f, 1.5f));
    for (int64_t j = i; j < i + 32 && j < n; j++)
      x[j] = scale * test_rng_float (-1.0f, 1.0f);
  }
  if (n >= 512) {
    memset (x + 256, 0, 256 * sizeof (float));
    x[n - 5] = 300.0f;
  }
}

typedef struct {
  double simd, exact, quant;    /* worst relative errors seen */
} errors;

/* One weight type, one length: the current ISA against scalar, and (when the
 * current ISA is scalar) scalar against the double dots. */
static void
check_random (g4_type wt, int64_t nblocks, g4_isa isa, errors *worst)
{
  const int64_t bs = g4_type_traits_get (wt)->block_size;
  const int64_t n = nblocks * (bs == 1 ? 1 : bs);
  g4_kernels_force (G4_ISA_SCALAR);
  const g4_kernel_entry ref = *g4_kernels_entry (wt);
  g4_kernels_force (isa);
  const g4_kernel_entry *e = g4_kernels_entry (wt);
  const g4_type at = e->vec_dot_type;
  /* rows of the KV cache start anywhere: misalign the buffers */
  const size_t woff = wt == G4_TYPE_F32 ? 4 : is_float_type (wt) ? 2 : 1;
  const size_t aoff = at == G4_TYPE_F32 ? 4 : 1;
  unsigned char *wbuf = malloc (g4_row_size (wt, n) + woff);
  unsigned char *abuf = malloc (g4_row_size (at, n) + aoff);
  unsigned char *ascal = malloc (g4_row_size (at, n));
  float *x = malloc ((size_t) n * sizeof (float));
  float *wf = malloc ((size_t) n * sizeof (float)), *af = malloc ((size_t) n * sizeof (float));
  void *w = wbuf + woff, *a = abuf + aoff;
  for (int rep = 0; rep < 3; rep++) {
    test_random_row (wt, w, n);
    random_activations (x, n);
    if (at == G4_TYPE_F32) {
      memcpy (a, x, (size_t) n * sizeof (float));
      memcpy (ascal, x, (size_t) n * sizeof (float));
    } else {
      e->quantize_act (x, a, n);
      ref.quantize_act (x, ascal, n);
      CHECK (memcmp (a, ascal, g4_row_size (at, n)) == 0,
          "%s %s n=%lld: activation quantizer differs from scalar",
          g4_isa_name (isa), g4_type_name (at), (long long) n);
    }
    g4_dequantize_row (wt, w, wf, n);
    dequantize_act (at, ascal, af, n);
    double mag, mag_x;
    double exact = dot_double (wf, af, n, &mag);
    double full = dot_double (wf, x, n, &mag_x);
    float s_ref = ref.vec_dot (n, w, ascal);
    float s = e->vec_dot (n, w, a);
    double err = rel_err (s, s_ref, mag);
    double tol = is_float_type (wt) ? TOL_SIMD_FLOAT : TOL_SIMD_INT;
    CHECK (err <= tol, "%s %s n=%lld: %.8g, scalar %.8g (rel err %.2e > %.0e)",
        g4_isa_name (isa), g4_type_name (wt), (long long) n, s, s_ref, err, tol);
    if (err > worst->simd)
      worst->simd = err;
    if (isa != G4_ISA_SCALAR)
      continue;
    err = rel_err (s_ref, exact, mag);
    tol = wt == G4_TYPE_Q4_1 || wt == G4_TYPE_Q5_1 ? TOL_OFFSET : TOL_EXACT;
    CHECK (err <= tol, "scalar %s n=%lld: %.8g, dequantized double dot %.8g "
        "(rel err %.2e > %.0e)", g4_type_name (wt), (long long) n, s_ref,
        exact, err, tol);
    if (err > worst->exact)
      worst->exact = err;
    err = rel_err (s_ref, full, mag_x);
    CHECK (err <= TOL_QUANT, "scalar %s n=%lld: %.8g, float activations %.8g "
        "(rel err %.2e > %.0e)", g4_type_name (wt), (long long) n, s_ref,
        full, err, TOL_QUANT);
    if (err > worst->quant)
      worst->quant = err;
  }
  free (wbuf);
  free (abuf);
  free (ascal);
  free (x);
  free (wf);
  free (af);
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 1, "DATA_DIR");
  test_rng_seed (0x9E3779B97F4A7C15ull);
  float *act = test_read_fixture (argv[1], "act.f32", NT * N * sizeof (float));
  static const int64_t block_counts[] = { 1, 3, 17, 64 };
  /* F32/F16/BF16 rows have any length (KV cache rows): odd tails */
  static const int64_t float_lengths[] = { 1, 3, 17, 64, 100, 1031, 4099 };
  for (int isa = G4_ISA_SCALAR; isa <= G4_ISA_AVX512; isa++) {
    if (!g4_kernels_force ((g4_isa) isa)) {
      printf ("%-6s skipped: not in this CPU or build\n", g4_isa_name ((g4_isa) isa));
      continue;
    }
    if (act != NULL) {
      check_quantizers_vs_ggml (argv[1], act);
      check_dots_vs_ggml (argv[1], act);
    }
    for (size_t k = 0; k < N_WEIGHT_TYPES; k++) {
      g4_type wt = weight_types[k];
      errors worst = { 0 };
      const int64_t *lens = is_float_type (wt) ? float_lengths : block_counts;
      size_t n_lens = is_float_type (wt) ? sizeof float_lengths / sizeof *float_lengths
          : sizeof block_counts / sizeof *block_counts;
      for (size_t l = 0; l < n_lens; l++)
        check_random (wt, lens[l], (g4_isa) isa, &worst);
      if (isa == G4_ISA_SCALAR)
        printf ("scalar %-6s vs dequantized: rel err %.2e, vs float activations %.2e\n",
            g4_type_name (wt), worst.exact, worst.quant);
      else
        printf ("%-6s %-6s vs scalar: worst rel err %.2e\n",
            g4_isa_name ((g4_isa) isa), g4_type_name (wt), worst.simd);
    }
  }
  free (act);
  return test_exit_status ();
}
