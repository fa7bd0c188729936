/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4-cli embed end to end: the fixture WAV gives the library's rows
 * bit for bit; stereo, 24-bit and float copies of it give the same rows;
 * a band-limited signal written at 48 kHz and 44.1 kHz (WAV: our resampler)
 * and as 22.05 kHz stereo Sun AU (FFmpeg, when built with it) gives rows
 * close to the same signal written at 16 kHz; bad input fails cleanly.
 * usage: test_embed_cli GEMMA4_CLI MMPROJ SPEECH.wav
 * (G4_CLI_FFMPEG=1 in the environment: the CLI was built with FFmpeg) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gemma4.h"
#include "wav.h"

/* resampled audio against the same signal synthesised at 16 kHz, as
 * rms (diff) / rms (rows): the log-mel magnifies the resampler's and PCM16's
 * noise in the quiet bands (measured 0.16% from 48 kHz float, 0.49% from
 * 44.1 kHz PCM16, 0.45% through FFmpeg from 22.05 kHz) */
#define TOLERANCE_RESAMPLED 2e-2

static int failures;
static const char *cli, *mmproj_path;
static char dir[256];

#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf ("FAIL %s:%d: ", __FILE__, __LINE__); printf (__VA_ARGS__); printf ("\n"); } } while (0)

static void
put16 (FILE * f, unsigned v)
{
  fputc ((int) (v & 255), f);
  fputc ((int) (v >> 8 & 255), f);
}

static void
put32 (FILE * f, uint32_t v)
{
  put16 (f, v & 0xffff);
  put16 (f, v >> 16);
}

/* A WAV of n frames of ch channels; every channel gets x (format 1: PCM of
 * bits, 3: float32). */
static void
write_wav (const char *path, const float *x, int64_t n, int rate, int ch, int format, int bits)
{
  FILE *f = fopen (path, "wb");
  const uint32_t data = (uint32_t) (n * ch * (bits / 8));
  fwrite ("RIFF", 1, 4, f);
  put32 (f, 36 + data);
  fwrite ("WAVEfmt ", 1, 8, f);
  put32 (f, 16);
  put16 (f, (unsigned) format);
  put16 (f, (unsigned) ch);
  put32 (f, (uint32_t) rate);
  put32 (f, (uint32_t) (rate * ch * (bits / 8)));
  put16 (f, (unsigned) (ch * (bits / 8)));
  put16 (f, (unsigned) bits);
  fwrite ("data", 1, 4, f);
  put32 (f, data);
  for (int64_t i = 0; i < n; i++)
    for (int c = 0; c < ch; c++) {
      if (format == 3) {
        fwrite (&x[i], 4, 1, f);
        continue;
      }
      const int32_t v = (int32_t) lrintf (x[i] * (bits == 16 ? 32768.0f : 8388608.0f));
      fputc (v & 255, f);
      fputc (v >> 8 & 255, f);
      if (bits == 24)
        fputc (v >> 16 & 255, f);
    }
  fclose (f);
}

/* Sun AU, 16-bit big-endian PCM, two equal channels: decoded by FFmpeg. */
static void
write_au (const char *path, const float *x, int64_t n, int rate)
{
  FILE *f = fopen (path, "wb");
  const uint8_t hdr[24] = { '.', 's', 'n', 'd', 0, 0, 0, 24, 255, 255, 255, 255, 0, 0, 0, 3,
    (uint8_t) (rate >> 24), (uint8_t) (rate >> 16), (uint8_t) (rate >> 8), (uint8_t) rate, 0, 0, 0, 2 };
  fwrite (hdr, 1, 24, f);
  for (int64_t i = 0; i < n; i++)
    for (int c = 0; c < 2; c++) {
      const int v = (int) lrintf (x[i] * 32767.0f);
      fputc (v >> 8 & 255, f);
      fputc (v & 255, f);
    }
  fclose (f);
}

/* Runs the CLI on an audio file; returns the rows (NULL on failure) and the
 * exit status in *rc. */
static float *
embed (const char *audio, int *rc, size_t *n)
{
  char cmd[1024], out[300];
  snprintf (out, sizeof out, "%s/out.f32", dir);
  unlink (out);
  snprintf (cmd, sizeof cmd, "'%s' embed --mmproj '%s' --audio '%s' -o '%s' -t 2 2>'%s/err.txt'",
      cli, mmproj_path, audio, out, dir);
  *rc = system (cmd);
  FILE *f = fopen (out, "rb");
  if (!f)
    return NULL;
  fseek (f, 0, SEEK_END);
  *n = (size_t) ftell (f) / sizeof (float);
  fseek (f, 0, SEEK_SET);
  float *v = malloc (sizeof (float) * (*n ? *n : 1));
  if (fread (v, sizeof (float), *n, f) != *n)
    *n = 0;
  fclose (f);
  return v;
}

/* rms (a - b) / rms (b) */
static double
rel_rms (const float *a, const float *b, size_t n)
{
  double d2 = 0, b2 = 0;
  for (size_t i = 0; i < n; i++) {
    d2 += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
    b2 += (double) b[i] * b[i];
  }
  return sqrt (d2 / b2);
}

static void
check_same (const char *what, const char *audio, const float *want, size_t n_want, double tol)
{
  int rc;
  size_t n = 0;
  float *got = embed (audio, &rc, &n);
  CHECK (rc == 0 && got && n == n_want, "%s: exit %d, %zu floats (expected %zu)", what, rc, n, n_want);
  if (got && n == n_want) {
    const double d = rel_rms (got, want, n);
    CHECK (d <= tol, "%s: rel_rms %g > %g", what, d, tol);
    printf ("%s: %zu rows, rel_rms %.3g (limit %g)\n", what, n / 128, d, tol);
  }
  free (got);
}

static void
check_fails (const char *what, const char *audio)
{
  int rc;
  size_t n;
  float *got = embed (audio, &rc, &n);
  char path[300], msg[256] = "";
  snprintf (path, sizeof path, "%s/err.txt", dir);
  FILE *f = fopen (path, "r");
  if (f) {
    if (!fgets (msg, sizeof msg, f))
      msg[0] = '\0';
    fclose (f);
  }
  CHECK (rc != 0 && !got && msg[0], "%s: exit %d, message '%s'", what, rc, msg);
  printf ("%s fails cleanly: %s", what, msg);
  free (got);
}

/* Band-limited test signal (gliding partials below 6 kHz, clear of the
 * resamplers' transition bands) at any rate. */
static float *
synth (int rate, double seconds, int64_t *n)
{
  *n = (int64_t) llround (seconds * rate);
  float *x = malloc (sizeof (float) * (size_t) *n);
  const double f[5] = { 220, 660, 1250, 3100, 5200 }, a[5] = { 0.3, 0.2, 0.15, 0.1, 0.05 };
  for (int64_t i = 0; i < *n; i++) {
    const double t = (double) i / rate, env = 0.5 + 0.5 * sin (2 * M_PI * 1.3 * t);
    double s = 0;
    for (int k = 0; k < 5; k++)
      s += a[k] * sin (2 * M_PI * f[k] * t * (1 + 0.05 * t));
    x[i] = (float) (s * env);
  }
  return x;
}

int
main (int argc, char **argv)
{
  if (argc != 4) {
    fprintf (stderr, "usage: %s GEMMA4_CLI MMPROJ SPEECH.wav\n", argv[0]);
    return 2;
  }
  cli = argv[1];
  mmproj_path = argv[2];
  const char *tmp = getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp";
  snprintf (dir, sizeof dir, "%s/g4-embed-XXXXXX", tmp);
  if (!mkdtemp (dir))
    return 1;
  g4_error err = { 0 };
  g4_mmproj *mm;
  char why[256], path[300];
  int64_t n;
  float *pcm = wav_read_16k_mono (argv[3], &n, why, sizeof why);
  if (!pcm || g4_mmproj_load (mmproj_path, &mm, &err)) {
    printf ("FAIL: %s\n", pcm ? err.message : why);
    return 1;
  }
  size_t nf = (size_t) g4_audio_n_tokens (mm, n) * 128;
  float *want = malloc (sizeof (float) * nf);
  g4_audio_encode (mm, pcm, n, 2, NULL, want, &err);

  check_same ("speech.wav", argv[3], want, nf, 0.0);
  snprintf (path, sizeof path, "%s/stereo.wav", dir);
  write_wav (path, pcm, n, 16000, 2, 1, 16);
  check_same ("stereo PCM16 copy", path, want, nf, 0.0);
  snprintf (path, sizeof path, "%s/pcm24.wav", dir);
  write_wav (path, pcm, n, 16000, 1, 1, 24);
  check_same ("PCM24 copy", path, want, nf, 0.0);
  snprintf (path, sizeof path, "%s/float.wav", dir);
  write_wav (path, pcm, n, 16000, 1, 3, 32);
  check_same ("float32 copy", path, want, nf, 0.0);

  int64_t n16, n48, n44, n22;
  float *s16 = synth (16000, 2.0, &n16), *s48 = synth (48000, 2.0, &n48),
      *s44 = synth (44100, 2.0, &n44), *s22 = synth (22050, 2.0, &n22);
  const size_t ns = (size_t) g4_audio_n_tokens (mm, n16) * 128;
  float *ws = malloc (sizeof (float) * ns);
  g4_audio_encode (mm, s16, n16, 2, NULL, ws, &err);
  snprintf (path, sizeof path, "%s/s48.wav", dir);
  write_wav (path, s48, n48, 48000, 1, 3, 32);
  check_same ("48 kHz float WAV", path, ws, ns, TOLERANCE_RESAMPLED);
  snprintf (path, sizeof path, "%s/s44.wav", dir);
  write_wav (path, s44, n44, 44100, 2, 1, 16);
  check_same ("44.1 kHz stereo PCM16 WAV", path, ws, ns, TOLERANCE_RESAMPLED);
  snprintf (path, sizeof path, "%s/s22.au", dir);
  write_au (path, s22, n22, 22050);
  if (strstr (getenv ("G4_CLI_FFMPEG") ? getenv ("G4_CLI_FFMPEG") : "", "1"))
    check_same ("22.05 kHz stereo AU (FFmpeg)", path, ws, ns, TOLERANCE_RESAMPLED);
  else
    check_fails ("AU without FFmpeg", path);

  snprintf (path, sizeof path, "%s/bad.wav", dir);
  FILE *f = fopen (path, "wb");
  fwrite ("RIFF\x10\0\0\0WAVEfmt \x10\0\0\0\x07\0\x01\0", 1, 24, f);
  fclose (f);
  check_fails ("truncated WAV", path);
  check_fails ("missing file", "/nonexistent/audio.wav");

  snprintf (path, sizeof path, "rm -rf '%s'", dir);
  if (system (path))
    printf ("cannot remove %s\n", dir);
  free (s16);
  free (s48);
  free (s44);
  free (s22);
  free (ws);
  free (want);
  free (pcm);
  g4_mmproj_free (mm);
  printf ("%s\n", failures ? "FAILED" : "all embed CLI checks passed");
  return failures != 0;
}
