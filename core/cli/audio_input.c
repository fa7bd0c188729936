/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Audio input for gemma4-cli (embed, transcribe): WAV files (PCM 8/16/24/32
 * bit, float) are read here, other formats (any audio or video FFmpeg
 * decodes) with FFmpeg when the CLI is built with it; the channels are
 * averaged to mono (as the reference's miniaudio decoder does) and the audio
 * is resampled to 16 kHz (a windowed-sinc resampler here for WAV,
 * libswresample for the rest). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio_input.h"
#include "gemma4.h"

#ifdef G4_HAVE_FFMPEG
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

#include "av_decode.h"
#endif

/* Decoded audio: interleaved float samples before mono/16 kHz conversion. */
typedef struct {
  float *x;
  int64_t n_frames;
  int channels, rate;
} pcm_buf;

static bool
pcm_append (pcm_buf * p, const float *x, int64_t n_frames, int64_t *cap)
{
  const int64_t need = (p->n_frames + n_frames) * p->channels;
  if (need > *cap) {
    int64_t c = *cap ? *cap : 1 << 16;
    while (c < need)
      c *= 2;
    float *nx = realloc (p->x, sizeof (float) * (size_t) c);
    if (!nx)
      return false;
    p->x = nx;
    *cap = c;
  }
  memcpy (p->x + p->n_frames * p->channels, x, sizeof (float) * (size_t) (n_frames * p->channels));
  p->n_frames += n_frames;
  return true;
}

/* ---- WAV (RIFF) ---- */

static uint32_t
le32 (const uint8_t * b)
{
  return b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;
}

static uint16_t
le16 (const uint8_t * b)
{
  return (uint16_t) (b[0] | b[1] << 8);
}

static float
wav_sample (const uint8_t * s, int bits, bool is_float)
{
  if (is_float) {
    if (bits == 32) {
      float f;
      memcpy (&f, s, 4);
      return f;
    }
    double d;
    memcpy (&d, s, 8);
    return (float) d;
  }
  switch (bits) {
    case 8:
      return (s[0] - 128) / 128.0f;
    case 16:
      return (int16_t) le16 (s) / 32768.0f;
    case 24:
      return (float) ((int32_t) ((uint32_t) s[0] << 8 | (uint32_t) s[1] << 16 | (uint32_t) s[2] << 24) / 256)
          / 8388608.0f;
    default:
      return (float) ((int32_t) le32 (s) / 2147483648.0);
  }
}

/* Reads a RIFF/WAVE file; false with a message on anything malformed. */
static bool
read_wav (const char *path, pcm_buf * p)
{
  FILE *f = fopen (path, "rb");
  if (!f) {
    fprintf (stderr, "gemma4-cli: cannot open %s\n", path);
    return false;
  }
  uint8_t hdr[12], ch[8], fmt[40];
  const char *why = NULL;
  uint16_t format = 0, bits = 0;
  bool have_fmt = false;
  int64_t cap = 0;
  if (fread (hdr, 1, 12, f) != 12 || memcmp (hdr, "RIFF", 4) || memcmp (hdr + 8, "WAVE", 4))
#ifdef G4_HAVE_FFMPEG
    why = "not a RIFF/WAVE file";
#else
    why = "not a RIFF/WAVE file (this gemma4-cli was built without FFmpeg: WAV only)";
#endif
  while (!why && fread (ch, 1, 8, f) == 8) {
    const uint32_t len = le32 (ch + 4);
    if (!memcmp (ch, "fmt ", 4)) {
      if (len < 16 || len > sizeof fmt || fread (fmt, 1, len, f) != len) {
        why = "bad fmt chunk";
        break;
      }
      format = le16 (fmt);
      p->channels = le16 (fmt + 2);
      p->rate = (int) le32 (fmt + 4);
      bits = le16 (fmt + 14);
      if (format == 0xFFFE && len >= 26)       /* WAVE_FORMAT_EXTENSIBLE: the GUID's first 2 bytes */
        format = le16 (fmt + 24);
      have_fmt = true;
      if (len & 1)
        fseek (f, 1, SEEK_CUR);
      continue;
    }
    if (memcmp (ch, "data", 4)) {
      if (fseek (f, (long) len + (len & 1), SEEK_CUR))
        why = "truncated chunk";
      continue;
    }
    const bool is_float = format == 3;
    if (!have_fmt)
      why = "data chunk before fmt chunk";
    else if (!((format == 1 && (bits == 8 || bits == 16 || bits == 24 || bits == 32))
            || (is_float && (bits == 32 || bits == 64))))
      why = "unsupported sample format (PCM 8/16/24/32 bit or float 32/64 bit)";
    else if (p->channels < 1 || p->channels > 64 || p->rate < 1000 || p->rate > 768000)
      why = "unsupported channel count or sample rate";
    if (why)
      break;
    const int frame_bytes = bits / 8 * p->channels;
    uint8_t buf[4096 * 8];
    float fbuf[4096];
    const int64_t per_read = (int64_t) (sizeof buf / (size_t) frame_bytes);
    int64_t left = len / frame_bytes;
    while (left > 0 && !why) {
      const int64_t want = left < per_read ? left : per_read;
      const size_t got = fread (buf, (size_t) frame_bytes, (size_t) want, f);
      if (got == 0)
        break;                  /* a data length past the end of the file: keep what is there */
      for (int64_t done = 0; done < (int64_t) got;) {
        const int64_t nf = (int64_t) got - done < (int64_t) (4096 / p->channels)
            ? (int64_t) got - done : 4096 / p->channels;
        for (int64_t i = 0; i < nf * p->channels; i++)
          fbuf[i] = wav_sample (buf + (done * p->channels + i) * (bits / 8), bits, is_float);
        if (!pcm_append (p, fbuf, nf, &cap))
          why = "out of memory";
        done += nf;
      }
      left -= (int64_t) got;
    }
    break;
  }
  fclose (f);
  if (!why && p->n_frames == 0)
    why = "no audio data";
  if (why)
    fprintf (stderr, "gemma4-cli: %s: %s\n", path, why);
  return why == NULL;
}

/* ---- FFmpeg ---- */

#ifdef G4_HAVE_FFMPEG
static bool
is_wav (const char *path)
{
  uint8_t hdr[12];
  FILE *f = fopen (path, "rb");
  const bool yes = f && fread (hdr, 1, 12, f) == 12 && !memcmp (hdr, "RIFF", 4)
      && !memcmp (hdr + 8, "WAVE", 4);
  if (f)
    fclose (f);
  return yes;
}

/* Decodes the best audio stream to interleaved float at 16 kHz, channels kept. */
static bool
read_ffmpeg (const char *path, pcm_buf * p)
{
  cli_av d = { 0 };
  SwrContext *swr = NULL;
  AVFrame *fr = av_frame_alloc ();
  float *out = NULL;
  int out_cap = 0;
  int64_t cap = 0;
  char msg[128] = "";
  int r = 0;
  const char *why = !fr ? "out of memory" : cli_av_open (&d, path, NULL, msg, sizeof msg);
  if (!why) {
    if (!cli_av_find_stream (&d, AVMEDIA_TYPE_AUDIO))
      why = "no audio stream";
    else if (!cli_av_open_decoder (&d))
      why = "cannot open the audio decoder";
    else {
      AVCodecContext *cc = d.cc;
      if (cc->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default (&cc->ch_layout, cc->ch_layout.nb_channels);
      p->channels = cc->ch_layout.nb_channels;
      p->rate = G4_AUDIO_SAMPLE_RATE;
      if (p->channels < 1 || swr_alloc_set_opts2 (&swr, &cc->ch_layout, AV_SAMPLE_FMT_FLT,
              G4_AUDIO_SAMPLE_RATE, &cc->ch_layout, cc->sample_fmt, cc->sample_rate, 0,
              NULL) < 0 || swr_init (swr) < 0)
        why = "cannot set up the resampler";
    }
  }
  while (!why && (r = cli_av_next_frame (&d, fr)) > 0) {
    const int n = swr_get_out_samples (swr, fr->nb_samples);
    if (n > out_cap) {
      out_cap = n;
      float *o = realloc (out, sizeof (float) * (size_t) n * (size_t) p->channels);
      if (!o) {
        why = "out of memory";
        break;
      }
      out = o;
    }
    uint8_t *dst = (uint8_t *) out;
    const int got = swr_convert (swr, &dst, out_cap, (const uint8_t **) fr->extended_data,
        fr->nb_samples);
    if (got < 0)
      why = "resampling failed";
    else if (!pcm_append (p, out, got, &cap))
      why = "out of memory";
    av_frame_unref (fr);
  }
  if (!why && r < 0) {
    av_strerror (r, msg, sizeof msg);
    why = msg;
  }
  while (!why && swr) {         /* the resampler's delay */
    const int n = swr_get_out_samples (swr, 0);
    if (n <= 0)
      break;
    float *o = realloc (out, sizeof (float) * (size_t) n * (size_t) p->channels);
    if (!o)
      break;
    out = o;
    uint8_t *dst = (uint8_t *) out;
    const int got = swr_convert (swr, &dst, n, NULL, 0);
    if (got <= 0 || !pcm_append (p, out, got, &cap))
      break;
  }
  if (!why && p->n_frames == 0)
    why = "no audio decoded";
  if (why)
    fprintf (stderr, "gemma4-cli: %s: %s\n", path, why);
  free (out);
  swr_free (&swr);
  cli_av_close (&d);
  av_frame_free (&fr);
  return why == NULL;
}
#endif

/* ---- mono 16 kHz ---- */

static double
sinc (double x)
{
  return x == 0.0 ? 1.0 : sin (M_PI * x) / (M_PI * x);
}

/* Averages the channels, then resamples with a Hann-windowed sinc of 32 zero
 * crossings a side, low-passed at the lower of the two Nyquist frequencies. */
static float *
to_mono_16k (const pcm_buf * p, int64_t *n_out)
{
  float *mono = malloc (sizeof (float) * (size_t) p->n_frames);
  if (!mono)
    return NULL;
  for (int64_t i = 0; i < p->n_frames; i++) {
    double s = 0;
    for (int c = 0; c < p->channels; c++)
      s += p->x[i * p->channels + c];
    mono[i] = (float) (s / p->channels);
  }
  if (p->rate == G4_AUDIO_SAMPLE_RATE) {
    *n_out = p->n_frames;
    return mono;
  }
  const double ratio = (double) G4_AUDIO_SAMPLE_RATE / p->rate;
  const double cut = ratio < 1.0 ? ratio : 1.0, half = 32.0 / cut;   /* taps a side, in input samples */
  const int64_t n = (int64_t) floor ((double) p->n_frames * ratio);
  float *out = malloc (sizeof (float) * (size_t) (n > 0 ? n : 1));
  for (int64_t j = 0; out && j < n; j++) {
    const double t = j / ratio;
    const int64_t i0 = (int64_t) ceil (t - half), i1 = (int64_t) floor (t + half);
    double s = 0;
    for (int64_t i = i0 < 0 ? 0 : i0; i <= i1 && i < p->n_frames; i++) {
      const double x = i - t, w = 0.5 + 0.5 * cos (M_PI * x / half);
      s += mono[i] * cut * sinc (cut * x) * w;
    }
    out[j] = (float) s;
  }
  free (mono);
  *n_out = n;
  return out;
}

float *
cli_audio_read (const char *path, int64_t *n_samples)
{
  pcm_buf pcm = { 0 };
#ifdef G4_HAVE_FFMPEG
  const bool ok = is_wav (path) ? read_wav (path, &pcm) : read_ffmpeg (path, &pcm);
#else
  const bool ok = read_wav (path, &pcm);
#endif
  float *x = ok ? to_mono_16k (&pcm, n_samples) : NULL;
  if (ok && !x)
    fprintf (stderr, "gemma4-cli: out of memory\n");
  free (pcm.x);
  return x;
}
