/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the detection parser: any bytes (read up to the first
 * NUL, from an exact-size copy so a read past it shows under the sanitizers)
 * either give -1 with a message or a count, and every detection written has
 * its box clamped to 0-1000 with min <= max, a NUL-terminated valid UTF-8
 * label and a confidence of -1 or in 0-1. Both coordinate orders and a small
 * max_out are tried; violations abort. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemma4.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static void
require (bool cond, const char *what)
{
  if (!cond) {
    fprintf (stderr, "fuzz_detection: invariant broken: %s\n", what);
    abort ();
  }
}

static bool
valid_utf8 (const unsigned char *s)
{
  while (*s) {
    int n = *s < 0x80 ? 1 : *s >= 0xc2 && *s <= 0xdf ? 2 : *s >= 0xe0 && *s <= 0xef ? 3
        : *s >= 0xf0 && *s <= 0xf4 ? 4 : 0;
    if (n == 0)
      return false;
    unsigned char lo = *s == 0xe0 ? 0xa0 : *s == 0xf0 ? 0x90 : 0x80;
    unsigned char hi = *s == 0xed ? 0x9f : *s == 0xf4 ? 0x8f : 0xbf;
    for (int i = 1; i < n; i++, lo = 0x80, hi = 0xbf)
      if (s[i] < lo || s[i] > hi)
        return false;
    s += n;
  }
  return true;
}

static void
check (const char *text, bool xy, int max_out)
{
  g4_detection d[8];
  g4_error err = { 0 };
  int n = g4_detections_parse (text, xy, d, max_out, &err);
  require (n >= -1, "count >= -1");
  require ((n == -1) == (err.code != G4_OK), "an error exactly when -1");
  require (n != -1 || err.message[0], "an error has a message");
  for (int i = 0; i < n && i < max_out; i++) {
    require (d[i].y_min >= 0 && d[i].x_min >= 0 && d[i].y_max <= 1000 && d[i].x_max <= 1000,
        "box clamped to 0-1000");
    require (d[i].y_min <= d[i].y_max && d[i].x_min <= d[i].x_max, "min <= max");
    require (memchr (d[i].label, '\0', sizeof d[i].label) != NULL, "label NUL terminated");
    require (valid_utf8 ((const unsigned char *) d[i].label), "label is valid UTF-8");
    require (d[i].confidence == -1.0f || (d[i].confidence >= 0 && d[i].confidence <= 1),
        "confidence -1 or in 0-1");
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  char *text = malloc (size + 1);
  if (!text)
    return 0;
  memcpy (text, data, size);
  text[size] = '\0';
  check (text, false, 8);
  check (text, true, 2);
  free (text);
  return 0;
}
