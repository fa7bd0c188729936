/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict WAV reader for tests (see wav.h): every chunk is bounds-checked and
 * anything but 16 kHz mono PCM16/float32 is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wav.h"

static uint32_t
le32 (const uint8_t *p)
{
  return p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint16_t
le16 (const uint8_t *p)
{
  return (uint16_t) (p[0] | p[1] << 8);
}

static uint8_t *
slurp (const char *path, size_t *size)
{
  FILE *f = fopen (path, "rb");
  if (!f)
    return NULL;
  uint8_t *buf = NULL;
  long len;
  if (fseek (f, 0, SEEK_END) == 0 && (len = ftell (f)) >= 0 && fseek (f, 0, SEEK_SET) == 0) {
    buf = malloc ((size_t) len + 1);
    if (buf && fread (buf, 1, (size_t) len, f) != (size_t) len) {
      free (buf);
      buf = NULL;
    }
    *size = (size_t) len;
  }
  fclose (f);
  return buf;
}

float *
wav_read_16k_mono (const char *path, int64_t *n, char *why, int why_size)
{
  size_t size = 0;
  uint8_t *buf = slurp (path, &size);
  float *out = NULL;
  const char *err = NULL;
  uint16_t format = 0, channels = 0, bits = 0;
  uint32_t rate = 0;
  const uint8_t *data = NULL;
  uint32_t data_len = 0;
  if (!buf)
    err = "cannot read the file";
  else if (size < 12 || memcmp (buf, "RIFF", 4) || memcmp (buf + 8, "WAVE", 4))
    err = "not a RIFF/WAVE file";
  for (size_t off = 12; !err && off + 8 <= size;) {
    const uint32_t len = le32 (buf + off + 4);
    if (len > size - off - 8) {
      err = "chunk past the end of the file";
      break;
    }
    if (!memcmp (buf + off, "fmt ", 4)) {
      if (len < 16) {
        err = "short fmt chunk";
        break;
      }
      format = le16 (buf + off + 8);
      channels = le16 (buf + off + 10);
      rate = le32 (buf + off + 12);
      bits = le16 (buf + off + 22);
    } else if (!memcmp (buf + off, "data", 4)) {
      data = buf + off + 8;
      data_len = len;
    }
    off += 8 + len + (len & 1);
  }
  if (!err && (!data || !format))
    err = "no fmt or data chunk";
  if (!err && (channels != 1 || rate != 16000))
    err = "not 16 kHz mono";
  if (!err && !((format == 1 && bits == 16) || (format == 3 && bits == 32)))
    err = "not PCM16 or float32";
  if (!err) {
    const int64_t count = data_len / (bits / 8);
    out = malloc (sizeof (float) * (size_t) (count > 0 ? count : 1));
    for (int64_t i = 0; out && i < count; i++) {
      if (bits == 16)
        out[i] = (int16_t) le16 (data + 2 * i) / 32768.0f;
      else
        memcpy (&out[i], data + 4 * i, 4);
    }
    *n = count;
    if (!out)
      err = "out of memory";
  }
  if (err)
    snprintf (why, (size_t) why_size, "%s: %s", path, err);
  free (buf);
  return out;
}
