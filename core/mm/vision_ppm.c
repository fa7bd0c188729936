/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Binary PPM reader: "P6", whitespace and # comments, width, height, maxval
 * 255, one whitespace byte, then width * height RGB triples. Anything else
 * (ASCII P3, 16-bit samples, short data) is refused with a message. */
#include <stdio.h>
#include <stdlib.h>

#include "vision_ppm.h"

#define MAX_SIDE 32768

/* Next header number, skipping whitespace and comments; -1 on malformed input. */
static long
header_number (FILE * f)
{
  int c = fgetc (f);
  while (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '#') {
    if (c == '#')
      while (c != '\n' && c != EOF)
        c = fgetc (f);
    c = fgetc (f);
  }
  if (c < '0' || c > '9')
    return -1;
  long v = 0;
  while (c >= '0' && c <= '9' && v <= MAX_SIDE) {
    v = v * 10 + (c - '0');
    c = fgetc (f);
  }
  /* the single whitespace byte after the number (after maxval: before the data) */
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' ? v : -1;
}

g4_status
g4_ppm_read (const char *path, uint8_t ** rgb, int *width, int *height, g4_error * err)
{
  *rgb = NULL;
  FILE *f = fopen (path, "rb");
  if (!f)
    return g4_set_error (err, G4_STATUS_IO, "%s: cannot open", path);
  char magic[2];
  g4_status st = G4_OK;
  long w = -1, h = -1, maxval = -1;
  if (fread (magic, 1, 2, f) != 2 || magic[0] != 'P' || magic[1] != '6')
    st = g4_set_error (err, G4_STATUS_FORMAT, "%s: not a binary PPM (P6) file", path);
  else if ((w = header_number (f)) < 1 || w > MAX_SIDE || (h = header_number (f)) < 1
      || h > MAX_SIDE || (maxval = header_number (f)) < 0)
    st = g4_set_error (err, G4_STATUS_FORMAT,
        "%s: bad PPM header (width %ld, height %ld: expected 1..%d)", path, w, h, MAX_SIDE);
  else if (maxval != 255)
    st = g4_set_error (err, G4_STATUS_UNSUPPORTED, "%s: PPM maxval %ld, expected 255", path,
        maxval);
  if (!st) {
    const size_t n = (size_t) w * (size_t) h * 3;
    *rgb = malloc (n);
    if (!*rgb)
      st = g4_set_error (err, G4_STATUS_NO_MEMORY, "%s: out of memory", path);
    else if (fread (*rgb, 1, n, f) != n)
      st = g4_set_error (err, G4_STATUS_FORMAT, "%s: truncated PPM data (expected %zu bytes)",
          path, n);
  }
  fclose (f);
  if (st) {
    free (*rgb);
    *rgb = NULL;
    return st;
  }
  *width = (int) w;
  *height = (int) h;
  return G4_OK;
}
