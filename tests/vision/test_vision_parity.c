/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image embeddings against the reference (llama.cpp mtmd, g4ref_mm) on the
 * fixture mmproj in native sizing: exact token count and max |diff| <= 1e-2
 * (we model the reference's F16 patch im2col; the rest differs by float
 * summation order and the reference's F16 GELU table). Also checks that 1 and
 * 2 threads give the same bits and that a padded stride changes nothing
 * (unless "once", for the large image: it encodes once, on 2 threads).
 * usage: test_vision_parity MMPROJ IMAGE.ppm EXPECTED.emb.f32 N_TOKENS [once] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemma4.h"
#include "test_util.h"
#include "vision_ppm.h"

#define TOLERANCE_MAX_ABS 1e-2

int
main (int argc, char **argv)
{
  const bool once = argc == 6 && !strcmp (argv[5], "once");
  if (!once)
    test_usage (argc, argv, 4, "MMPROJ IMAGE.ppm EXPECTED.emb.f32 N_TOKENS [once]");
  const int want_tokens = atoi (argv[4]);
  g4_error err = { 0 };
  g4_mmproj *mm;
  if (g4_mmproj_load (argv[1], &mm, &err)) {
    printf ("FAIL: %s\n", err.message);
    return 1;
  }
  uint8_t *rgb;
  int w, h;
  if (g4_ppm_read (argv[2], &rgb, &w, &h, &err)) {
    printf ("FAIL: %s\n", err.message);
    return 1;
  }
  size_t n_ref;
  float *ref = test_read_f32 (argv[3], &n_ref);
  if (!ref) {
    printf ("FAIL: cannot read %s\n", argv[3]);
    return 1;
  }
  const int d = g4_mmproj_n_embd (mm);
  const int nt = g4_image_n_tokens (mm, w, h, G4_IMAGE_NATIVE, 0);
  if (nt != want_tokens || (size_t) nt * d != n_ref) {
    printf ("FAIL: %dx%d gives %d tokens of %d, expected %d (reference file holds %zu floats)\n",
        w, h, nt, d, want_tokens, n_ref);
    return 1;
  }
  float *out1 = malloc (sizeof (float) * n_ref), *out2 = malloc (sizeof (float) * n_ref);
  /* the same image with 5 bytes of padding after each row */
  const int stride = 3 * w + 5;
  uint8_t *padded = malloc ((size_t) stride * h);
  for (int y = 0; y < h; y++) {
    memcpy (padded + (size_t) y * stride, rgb + (size_t) y * 3 * w, (size_t) 3 * w);
    memset (padded + (size_t) y * stride + 3 * w, 0xff, 5);
  }
  int got1 = 0, got2 = nt;
  const int threads = once ? 2 : 1;
  const double t0 = test_now_ms ();
  if (g4_image_encode (mm, rgb, w, h, 3 * w, G4_IMAGE_NATIVE, 0, threads, NULL, out1, &got1, &err)) {
    printf ("FAIL: %s\n", err.message);
    return 1;
  }
  const double t1 = test_now_ms ();
  if (once)
    memcpy (out2, out1, sizeof (float) * n_ref);
  else if (g4_image_encode (mm, padded, w, h, stride, G4_IMAGE_NATIVE, 0, 2, NULL, out2, &got2, &err)) {
    printf ("FAIL: %s\n", err.message);
    return 1;
  }
  CHECK (got1 == nt && got2 == nt, "encode reported %d and %d tokens, expected %d", got1, got2, nt);
  const test_diff df = test_compare_f32 (out1, ref, n_ref);
  CHECK (df.max_abs <= TOLERANCE_MAX_ABS, "max |diff| %g at token %zu dim %zu (got %g, reference %g)",
      df.max_abs, df.worst / d, df.worst % d, out1[df.worst], ref[df.worst]);
  CHECK (!memcmp (out1, out2, sizeof (float) * n_ref),
      "1 thread with a packed image and 2 threads with a padded stride differ");
  float ref_max = 0;
  for (size_t i = 0; i < n_ref; i++)
    ref_max = fmaxf (ref_max, fabsf (ref[i]));
  printf ("%s: %d tokens x %d, max |diff| %.3g, mean |diff| %.3g, rel rms %.3g (reference values "
      "up to %.3g), %.0f ms on %d thread(s)\n", argv[2], nt, d, df.max_abs, df.mean_abs,
      df.rel_rms, ref_max, t1 - t0, threads);
  free (out1);
  free (out2);
  free (padded);
  free (ref);
  free (rgb);
  g4_mmproj_free (mm);
  return test_exit_status ();
}
