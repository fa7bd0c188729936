/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Log-mel features of the gemma4a encoder (docs/audio-encoder.md#log-mel):
 * 16 kHz input, 20 ms periodic Hann window, 10 ms hop, 160 zeros in front
 * ("semicausal"), 512-point FFT magnitude, HTK mel filters 0-8 kHz without
 * area normalisation, natural log with a floor.
 *
 * Where the reference (llama.cpp mtmd) and Hugging Face differ, we follow the
 * reference: the floor is ln(max(m, 1e-3)) (HF: ln(m + 1e-3), up to ~2e-3
 * apart), audio longer than 30 s is encoded as independent 30 s pieces (HF
 * truncates to 30 s / 750 tokens; see audio_encoder.c), and 1..160 samples give
 * one frame (HF: none). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"

#define MEL_FLOOR 1e-3

static double
hz_to_mel (double f)
{
  return 2595.0 * log10 (1.0 + f / 700.0);
}

static double
mel_to_hz (double m)
{
  return 700.0 * (pow (10.0, m / 2595.0) - 1.0);
}

g4_status
g4_mel_init (g4_mel_bank * mb, int n_mel, g4_error * err)
{
  memset (mb, 0, sizeof *mb);
  if (n_mel < 1 || n_mel > G4_MEL_MAX_BANDS)
    return g4_set_error (err, G4_STATUS_FORMAT, "%d mel bands, expected 1..%d", n_mel,
        G4_MEL_MAX_BANDS);
  mb->n_mel = n_mel;
  mb->filters = calloc ((size_t) n_mel * G4_MEL_N_BINS, sizeof *mb->filters);
  mb->bin_lo = calloc ((size_t) n_mel, sizeof *mb->bin_lo);
  mb->bin_hi = calloc ((size_t) n_mel, sizeof *mb->bin_hi);
  if (!mb->filters || !mb->bin_lo || !mb->bin_hi) {
    g4_mel_clear (mb);
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  }
  for (int i = 0; i < G4_MEL_WINDOW; i++)
    mb->window[i] = 0.5f - 0.5f * cosf (2.0f * (float) M_PI * (float) i / G4_MEL_WINDOW);
  for (int k = 0; k < G4_MEL_N_FFT / 2; k++) {
    mb->cos_tab[k] = (float) cos (2.0 * M_PI * k / G4_MEL_N_FFT);
    mb->sin_tab[k] = (float) sin (2.0 * M_PI * k / G4_MEL_N_FFT);
  }
  int bits = 0;
  while ((1 << bits) < G4_MEL_N_FFT)
    bits++;
  for (int i = 0; i < G4_MEL_N_FFT; i++) {
    int r = 0;
    for (int b = 0; b < bits; b++)
      r |= ((i >> b) & 1) << (bits - 1 - b);
    mb->bitrev[i] = r;
  }

  /* n_mel + 2 edges equally spaced in mel between 0 and 8 kHz */
  const double sr = G4_AUDIO_SAMPLE_RATE, lo = hz_to_mel (0.0), hi = hz_to_mel (sr / 2);
  double hz[G4_MEL_MAX_BANDS + 2];
  for (int i = 0; i < n_mel + 2; i++)
    hz[i] = mel_to_hz (lo + (hi - lo) * i / (n_mel + 1));
  for (int m = 0; m < n_mel; m++) {
    const double fl = hz[m], fc = hz[m + 1], fr = hz[m + 2];
    const double dl = fmax (1e-30, fc - fl), dr = fmax (1e-30, fr - fc);
    mb->bin_lo[m] = G4_MEL_N_BINS;
    for (int k = 0; k < G4_MEL_N_BINS; k++) {
      const double f = k * sr / G4_MEL_N_FFT;
      double w = 0.0;
      if (f >= fl && f <= fc)
        w = (f - fl) / dl;
      else if (f > fc && f <= fr)
        w = (fr - f) / dr;
      mb->filters[(size_t) m * G4_MEL_N_BINS + k] = (float) w;
      if (w != 0.0) {
        if (k < mb->bin_lo[m])
          mb->bin_lo[m] = k;
        mb->bin_hi[m] = k + 1;
      }
    }
    if (mb->bin_hi[m] == 0)
      mb->bin_lo[m] = 0;
  }
  return G4_OK;
}

void
g4_mel_clear (g4_mel_bank * mb)
{
  free (mb->filters);
  free (mb->bin_lo);
  free (mb->bin_hi);
  memset (mb, 0, sizeof *mb);
}

int64_t
g4_mel_n_frames (int64_t n)
{
  /* A piece of exactly one sample gives 0 here and the reference fails on the
   * whole recording; we give it one frame like 2..160 samples. */
  const int64_t t = (n + G4_MEL_HOP - (G4_MEL_WINDOW + 1)) / G4_MEL_HOP + 1;
  return t > 1 ? t : 1;
}

/* In-place iterative radix-2 complex FFT of G4_MEL_N_FFT points (decimation in
 * time, X_k = sum_n x_n e^{-2 pi i k n / N}). */
static void
fft (const g4_mel_bank * mb, float *re, float *im)
{
  const int N = G4_MEL_N_FFT;
  for (int i = 0; i < N; i++) {
    const int r = mb->bitrev[i];
    if (r > i) {
      float t = re[i];
      re[i] = re[r];
      re[r] = t;
      t = im[i];
      im[i] = im[r];
      im[r] = t;
    }
  }
  for (int size = 2; size <= N; size *= 2) {
    const int half = size / 2, step = N / size;
    for (int base = 0; base < N; base += size)
      for (int j = 0; j < half; j++) {
        const float wr = mb->cos_tab[j * step], wi = -mb->sin_tab[j * step];
        const int a = base + j, b = a + half;
        const float tr = wr * re[b] - wi * im[b], ti = wr * im[b] + wi * re[b];
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
  }
}

void
g4_mel_compute (const g4_mel_bank * mb, const float *x, int64_t n, float *out, float *work)
{
  const int64_t n_frames = g4_mel_n_frames (n);
  float *re = work, *im = work + G4_MEL_N_FFT;
  for (int64_t i = 0; i < n_frames; i++) {
    const int64_t start = i * G4_MEL_HOP - G4_MEL_WINDOW / 2;
    memset (work, 0, sizeof (float) * 2 * G4_MEL_N_FFT);
    for (int j = 0; j < G4_MEL_WINDOW; j++) {
      const int64_t s = start + j;
      if (s >= 0 && s < n)
        re[j] = mb->window[j] * x[s];
    }
    fft (mb, re, im);
    for (int k = 0; k < G4_MEL_N_BINS; k++)
      re[k] = sqrtf (re[k] * re[k] + im[k] * im[k]);
    float *row = out + i * mb->n_mel;
    for (int m = 0; m < mb->n_mel; m++) {
      const float *f = mb->filters + (size_t) m * G4_MEL_N_BINS;
      double sum = 0.0;
      for (int k = mb->bin_lo[m]; k < mb->bin_hi[m]; k++)
        sum += (double) (re[k] * f[k]);
      row[m] = (float) log (sum > MEL_FLOOR ? sum : MEL_FLOOR);
    }
  }
}
