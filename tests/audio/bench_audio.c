/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Audio encoder speed: seconds of encoding per second of audio for a WAV file
 * (16 kHz mono) and an mmproj, with 1 and 2 threads (or the given counts),
 * fastest of R runs. Not a test: run by hand next to the reference.
 * usage: bench_audio MMPROJ WAV [RUNS [THREADS...]] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gemma4.h"
#include "wav.h"

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

int
main (int argc, char **argv)
{
  if (argc < 3) {
    fprintf (stderr, "usage: %s MMPROJ WAV [RUNS [THREADS...]]\n", argv[0]);
    return 2;
  }
  const int runs = argc > 3 ? atoi (argv[3]) : 3;
  g4_error err = { 0 };
  g4_mmproj *mm;
  char why[256];
  int64_t n;
  float *pcm = wav_read_16k_mono (argv[2], &n, why, sizeof why);
  if (!pcm || g4_mmproj_load (argv[1], &mm, &err)) {
    fprintf (stderr, "%s\n", pcm ? err.message : why);
    return 1;
  }
  const int nt = g4_audio_n_tokens (mm, n);
  float *out = malloc (sizeof (float) * (size_t) nt * (size_t) g4_mmproj_n_embd (mm));
  const double secs = (double) n / G4_AUDIO_SAMPLE_RATE;
  const int default_threads[2] = { 1, 2 };
  const int n_cfg = argc > 4 ? argc - 4 : 2;
  g4_audio_encode (mm, pcm, n, 2, NULL, out, &err);    /* page the weights in */
  for (int c = 0; c < n_cfg; c++) {
    const int th = argc > 4 ? atoi (argv[4 + c]) : default_threads[c];
    double best = 1e30;
    for (int r = 0; r < runs; r++) {
      const double t0 = now ();
      if (g4_audio_encode (mm, pcm, n, th, NULL, out, &err)) {
        fprintf (stderr, "%s\n", err.message);
        return 1;
      }
      const double dt = now () - t0;
      best = dt < best ? dt : best;
    }
    printf ("%s: %.2f s of audio, %d tokens, %d thread(s): %.3f s (%.1f ms per second of audio)\n",
        argv[2], secs, nt, th, best, 1000 * best / secs);
  }
  free (out);
  free (pcm);
  g4_mmproj_free (mm);
  return 0;
}
