/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Audio embeddings against the reference (llama.cpp mtmd, g4ref_mm) on the
 * fixture mmproj: exact token count and max |diff| <= 1e-2 (the reference
 * rounds the SSCP convolutions to F16, which we model; the rest differs by
 * float summation order only). Also checks that 1 and 2 threads give the
 * same bits.
 * usage: test_audio_parity MMPROJ WAV EXPECTED.emb.f32 N_TOKENS
 * MMPROJ "gen:L" stands for the random E2B-geometry mmproj of
 * tests/tools/mmproj_gen.h with L layers and text width 128, written to a
 * temporary file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gemma4.h"
#include "test_util.h"
#include "mmproj_gen.h"
#include "wav.h"

#define TOLERANCE_MAX_ABS 1e-2

int
main (int argc, char **argv)
{
  if (argc != 5) {
    fprintf (stderr, "usage: %s MMPROJ WAV EXPECTED.emb.f32 N_TOKENS\n", argv[0]);
    return 2;
  }
  const int want_tokens = atoi (argv[4]);
  g4_error err = { 0 };
  g4_mmproj *mm;
  const char *mm_path = argv[1];
  char tmp[512] = "";
  if (!strncmp (mm_path, "gen:", 4)) {
    snprintf (tmp, sizeof tmp, "%s/g4-mmproj-e2b-XXXXXX", getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp");
    const int fd = mkstemp (tmp);
    if (fd < 0 || close (fd) || mmproj_gen_write (tmp, 128, atoi (mm_path + 4), false, 1, &err)) {
      printf ("FAIL: cannot generate %s: %s\n", tmp, err.message);
      return 1;
    }
    mm_path = tmp;
  }
  const g4_status lst = g4_mmproj_load (mm_path, &mm, &err);
  if (tmp[0])
    unlink (tmp);               /* the mapping keeps the data */
  if (lst) {
    printf ("FAIL: %s\n", err.message);
    return 1;
  }
  char why[256];
  int64_t n;
  float *pcm = wav_read_16k_mono (argv[2], &n, why, sizeof why);
  size_t n_ref;
  float *ref = test_read_f32 (argv[3], &n_ref);
  if (!pcm || !ref) {
    printf ("FAIL: %s\n", pcm ? argv[3] : why);
    return 1;
  }
  const int d = g4_mmproj_n_embd (mm), nt = g4_audio_n_tokens (mm, n);
  int fails = 0;
  if (nt != want_tokens || (size_t) nt * d != n_ref) {
    printf ("FAIL: %lld samples give %d tokens of %d, expected %d (reference file holds %zu floats)\n",
        (long long) n, nt, d, want_tokens, n_ref);
    return 1;
  }
  float *out1 = malloc (sizeof (float) * n_ref), *out2 = malloc (sizeof (float) * n_ref);
  if (g4_audio_encode (mm, pcm, n, 1, NULL, out1, &err)
      || g4_audio_encode (mm, pcm, n, 2, NULL, out2, &err)) {
    printf ("FAIL: %s\n", err.message);
    return 1;
  }
  double mx = 0, sum = 0, ref_max = 0;
  size_t worst = 0;
  for (size_t i = 0; i < n_ref; i++) {
    const double dlt = fabs ((double) out1[i] - ref[i]);
    sum += dlt;
    if (!(dlt <= mx)) {
      mx = dlt;
      worst = i;
    }
    ref_max = fmax (ref_max, fabs (ref[i]));
  }
  if (!(mx <= TOLERANCE_MAX_ABS)) {
    printf ("FAIL: max |diff| %g at token %zu dim %zu (got %g, reference %g)\n", mx, worst / d,
        worst % d, out1[worst], ref[worst]);
    fails++;
  }
  if (memcmp (out1, out2, sizeof (float) * n_ref)) {
    printf ("FAIL: 1 and 2 threads give different embeddings\n");
    fails++;
  }
  printf ("%s: %d tokens x %d, max |diff| %.3g, mean |diff| %.3g (reference values up to %.3g)\n",
      argv[2], nt, d, mx, sum / (double) n_ref, ref_max);
  free (out1);
  free (out2);
  free (ref);
  free (pcm);
  g4_mmproj_free (mm);
  return fails ? 1 : 0;
}
