/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Vision encoder benchmark (a tool, not a test): encodes one PPM image a
 * number of times in native sizing and prints each run's wall time and the
 * minimum, which is what to compare against the reference on a shared machine.
 * usage: bench_vision MMPROJ IMAGE.ppm [THREADS [RUNS [OUT.f32]]] */
#include <stdio.h>
#include <stdlib.h>

#include "gemma4.h"
#include "test_util.h"
#include "vision_ppm.h"

int
main (int argc, char **argv)
{
  if (argc < 3 || argc > 6) {
    fprintf (stderr, "usage: %s MMPROJ IMAGE.ppm [THREADS [RUNS [OUT.f32]]]\n", argv[0]);
    return 2;
  }
  const int threads = argc > 3 ? atoi (argv[3]) : 2, runs = argc > 4 ? atoi (argv[4]) : 3;
  if (threads < 1 || runs < 1) {
    fprintf (stderr, "THREADS and RUNS must be positive\n");
    return 2;
  }
  g4_error err = { 0 };
  g4_mmproj *mm;
  uint8_t *rgb;
  int w, h;
  if (g4_mmproj_load (argv[1], &mm, &err) || g4_ppm_read (argv[2], &rgb, &w, &h, &err)) {
    fprintf (stderr, "%s\n", err.message);
    return 1;
  }
  const int nt = g4_image_n_tokens (mm, w, h, G4_IMAGE_NATIVE, 0);
  if (nt < 0) {
    fprintf (stderr, "%s: no vision encoder\n", argv[1]);
    return 1;
  }
  const size_t n_out = (size_t) nt * g4_mmproj_n_embd (mm);
  float *out = malloc (sizeof (float) * n_out);
  double best = 0;
  for (int r = 0; r < runs; r++) {
    int got;
    const double t0 = test_now_ms ();
    if (g4_image_encode (mm, rgb, w, h, 3 * w, G4_IMAGE_NATIVE, 0, threads, NULL, out, &got,
            &err)) {
      fprintf (stderr, "%s\n", err.message);
      return 1;
    }
    const double ms = test_now_ms () - t0;
    best = r == 0 || ms < best ? ms : best;
    printf ("run %d: %.1f ms\n", r + 1, ms);
  }
  printf ("%s %dx%d: %d tokens, %d thread(s), min %.1f ms over %d run(s)\n", argv[2], w, h, nt,
      threads, best, runs);
  if (argc > 5 && !test_write_file (argv[5], out, sizeof (float) * n_out)) {
    fprintf (stderr, "cannot write %s\n", argv[5]);
    return 1;
  }
  free (out);
  free (rgb);
  g4_mmproj_free (mm);
  return 0;
}
