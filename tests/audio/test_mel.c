/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The log-mel front end (docs/audio-encoder.md#log-mel) against a direct
 * double-precision evaluation of its formulas (DFT by definition, mel
 * filters recomputed here): frame counts, random noise, silence at the floor,
 * and a 1 kHz tone peaking in the band centred nearest 1 kHz. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "audio.h"

#define TOLERANCE 1e-4          /* float FFT against a double DFT, in ln units */

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf ("FAIL %s:%d: ", __FILE__, __LINE__); printf (__VA_ARGS__); printf ("\n"); } } while (0)

static double
mel (double f)
{
  return 2595.0 * log10 (1.0 + f / 700.0);
}

static double
hz (double m)
{
  return 700.0 * (pow (10.0, m / 2595.0) - 1.0);
}

/* The spec's feat[i][m] for every band m, straight from the definitions. */
static void
direct (const float *x, int64_t n, int64_t i, int M, double *feat)
{
  double a[257];
  for (int k = 0; k <= 256; k++) {
    double re = 0, im = 0;
    for (int j = 0; j < 320; j++) {
      const int64_t s = 160 * i - 160 + j;
      if (s < 0 || s >= n)
        continue;
      const double w = 0.5 - 0.5 * cos (2 * M_PI * j / 320.0), v = w * x[s];
      re += v * cos (2 * M_PI * k * j / 512.0);
      im -= v * sin (2 * M_PI * k * j / 512.0);
    }
    a[k] = sqrt (re * re + im * im);
  }
  for (int m = 0; m < M; m++) {
    const double fl = hz (mel (8000.0) * m / (M + 1)), fc = hz (mel (8000.0) * (m + 1) / (M + 1)),
        fr = hz (mel (8000.0) * (m + 2) / (M + 1));
    double sum = 0;
    for (int k = 0; k <= 256; k++) {
      const double f = k * 16000.0 / 512;
      if (f >= fl && f <= fc)
        sum += a[k] * (f - fl) / (fc - fl);
      else if (f > fc && f <= fr)
        sum += a[k] * (fr - f) / (fr - fc);
    }
    feat[m] = log (fmax (sum, 1e-3));
  }
}

int
main (void)
{
  const int64_t lens[] = { 1, 160, 161, 320, 321, 16000, 480000 };
  const int64_t frames[] = { 1, 1, 1, 1, 2, 99, 2999 };
  for (int i = 0; i < 7; i++)
    CHECK (g4_mel_n_frames (lens[i]) == frames[i], "%lld samples: %lld frames, expected %lld",
        (long long) lens[i], (long long) g4_mel_n_frames (lens[i]), (long long) frames[i]);

  const int M = 128;
  g4_mel_bank mb;
  g4_error err = { 0 };
  if (g4_mel_init (&mb, M, &err)) {
    printf ("FAIL: %s\n", err.message);
    return 1;
  }
  CHECK (g4_mel_init (&(g4_mel_bank) { 0 }, 300, &err) == G4_STATUS_FORMAT, "300 bands accepted");

  const int64_t n = 4000, T = g4_mel_n_frames (n);
  float *x = malloc (sizeof (float) * n), *out = malloc (sizeof (float) * T * M), work[1024];
  uint32_t s = 12345;
  for (int64_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    x[i] = ((float) (s >> 8) / 16777216.0f - 0.5f) * (i < 2000 ? 0.9f : 0.01f);
  }
  g4_mel_compute (&mb, x, n, out, work);
  double mx = 0, feat[128];
  for (int64_t i = 0; i < T; i++) {
    direct (x, n, i, M, feat);
    for (int m = 0; m < M; m++)
      mx = fmax (mx, fabs (out[i * M + m] - feat[m]));
  }
  CHECK (mx <= TOLERANCE, "noise: max |diff| %g", mx);
  printf ("noise, %lld frames x %d bands: max |diff| %.3g from the double-precision DFT\n",
      (long long) T, M, mx);

  for (int64_t i = 0; i < n; i++)
    x[i] = 0.0f;
  g4_mel_compute (&mb, x, n, out, work);
  bool floor_ok = true;
  for (int64_t i = 0; i < T * M; i++)
    floor_ok &= out[i] == (float) log (1e-3);
  CHECK (floor_ok, "silence is not ln(1e-3) everywhere");

  for (int64_t i = 0; i < n; i++)
    x[i] = 0.5f * sinf (2.0f * (float) M_PI * 1000.0f * (float) i / 16000.0f);
  g4_mel_compute (&mb, x, n, out, work);
  int best = 0, nearest = 0;
  const float *row = out + 10 * M;
  for (int m = 0; m < M; m++) {
    best = row[m] > row[best] ? m : best;
    const double c = hz (mel (8000.0) * (m + 1) / (M + 1)),
        cb = hz (mel (8000.0) * (nearest + 1) / (M + 1));
    nearest = fabs (c - 1000.0) < fabs (cb - 1000.0) ? m : nearest;
  }
  CHECK (abs (best - nearest) <= 1, "1 kHz tone peaks in band %d, expected %d", best, nearest);
  printf ("silence: ln(1e-3) everywhere; 1 kHz tone: peak band %d (centre nearest 1 kHz: %d)\n",
      best, nearest);
  g4_mel_clear (&mb);
  free (x);
  free (out);
  return failures != 0;
}
