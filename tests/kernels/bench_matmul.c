/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Not a test: throughput of g4_matmul on a 1536 x 6144 weight matrix (n_out
 * 1536, n_in 6144, Gemma 4 E2B's ffn_down) in Q4_0, Q4_K, Q6_K, Q8_0, IQ4_XS and F16,
 * for T = 1 (decode: weight bytes per second is what counts) and T = 64, 256
 * (prefill: GFLOP/s), under every ISA this CPU has; the types with a packed layout also
 * repacked (type shown as Q4_0 p...). Times are the fastest
 * call, so that a shared machine disturbs them less.
 * Usage: bench_matmul [N_THREADS [ISA]] (ISA: scalar, avx2 or avx512; all
 * by default) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "test_util.h"

/* Random bytes, with every 2-byte word that could be a block scale replaced
 * by a small finite half: slower paths for NaN or inf must not flatter or
 * hurt the numbers. For F16 every element is such a half. */
static void
fill_weights (unsigned char *w, size_t size)
{
  for (size_t i = 0; i + 1 < size; i += 2) {
    uint16_t h = (uint16_t) test_rng_u32 ();
    if (((h >> 10) & 0x1f) >= 0x1e)
      h &= 0xbfff;              /* keep the exponent below inf/NaN */
    memcpy (w + i, &h, 2);
  }
}

int
main (int argc, char **argv)
{
  int n_threads = argc > 1 ? atoi (argv[1]) : 1;
  const char *only = argc > 2 ? argv[2] : NULL;
  const int64_t n_out = 1536, n_in = 6144;
  static const g4_type types[] = { G4_TYPE_Q4_0, G4_TYPE_Q4_K, G4_TYPE_Q6_K, G4_TYPE_Q8_0,
    G4_TYPE_IQ4_XS, G4_TYPE_F16 };
  static const int Ts[] = { 1, 64, 256 };
  const int T_max = 256;

  test_rng_seed (0x9E3779B97F4A7C15ull);
  float *x = malloc ((size_t) T_max * n_in * sizeof (float));
  float *y = malloc ((size_t) T_max * n_out * sizeof (float));
  for (int64_t i = 0; i < T_max * n_in; i++)
    x[i] = test_rng_float (-1.0f, 1.0f);
  printf ("g4_matmul %lld x %lld (n_out x n_in), %d thread(s)\n", (long long) n_out,
      (long long) n_in, n_threads);
  printf ("%-6s %-6s %4s %10s %10s %10s\n", "isa", "type", "T", "us/call", "GFLOP/s", "GB/s");
  for (int isa = G4_ISA_SCALAR; isa <= G4_ISA_AVX512; isa++) {
    if (only != NULL && strcmp (only, g4_isa_name ((g4_isa) isa)) != 0)
      continue;
    if (!g4_kernels_force ((g4_isa) isa)) {
      printf ("%-6s skipped: not in this CPU or build\n", g4_isa_name ((g4_isa) isa));
      continue;
    }
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
      const g4_type t = types[k];
      const size_t row_bytes = g4_row_size (t, n_in);
      unsigned char *w = malloc (row_bytes * n_out);
      fill_weights (w, row_bytes * n_out);
      void *scratch = malloc (g4_matmul_scratch_size (t, n_in, T_max) + 1);
      unsigned char *wp = aligned_alloc (64, row_bytes * n_out);
      g4_matrix plain = { .type = t, .n_in = n_in, .n_out = n_out, .row_bytes = row_bytes, .data = w };
      for (int v = 0; v < 2; v++) {
      if (v == 1 && !g4_repack_supported (&plain))
        break;
      const g4_matrix m = v == 0 ? plain : g4_repack (&plain, wp);
      for (size_t j = 0; j < sizeof Ts / sizeof Ts[0]; j++) {
        const int T = Ts[j];
        g4_matmul (&m, x, T, y, n_out, scratch, n_threads);
        /* the fastest of the calls in at least 0.3 s (and 3 calls): other
         * processes only ever slow a call down */
        int calls = 0;
        double t_start = test_now_ms (), per = 1e30;
        do {
          double t0 = test_now_ms ();
          g4_matmul (&m, x, T, y, n_out, scratch, n_threads);
          double el = (test_now_ms () - t0) * 1e-3;
          if (el < per)
            per = el;
          calls++;
        } while (test_now_ms () - t_start < 300 || calls < 3);
        printf ("%-6s %-5s%s %4d %10.1f %10.1f %10.1f\n", g4_isa_name ((g4_isa) isa),
            g4_type_name (t), m.packed ? "p" : " ", T, per * 1e6, 2.0 * (double) n_in * n_out * T / per * 1e-9,
            (double) row_bytes * n_out / per * 1e-9);
        fflush (stdout);
      }
      }
      free (w);
      free (wp);
      free (scratch);
    }
  }
  free (x);
  free (y);
  return 0;
}
