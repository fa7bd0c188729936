/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* make_mmproj OUT.gguf [--text-embd T] [--layers L] [--type f32|q8_0] [--seed S]:
 * writes the random E2B-geometry gemma4a mmproj of mmproj_gen.h, for speed
 * measurements next to the reference without a real file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmproj_gen.h"

int
main (int argc, char **argv)
{
  int T = 1536, L = 12;
  bool q8_0 = false;
  uint64_t seed = 1;
  if (argc < 2 || argc % 2) {
    fprintf (stderr, "usage: %s OUT.gguf [--text-embd T] [--layers L] [--type f32|q8_0] [--seed S]\n",
        argv[0]);
    return 2;
  }
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!strcmp (argv[i], "--text-embd"))
      T = atoi (argv[i + 1]);
    else if (!strcmp (argv[i], "--layers"))
      L = atoi (argv[i + 1]);
    else if (!strcmp (argv[i], "--seed"))
      seed = strtoull (argv[i + 1], NULL, 10);
    else if (!strcmp (argv[i], "--type") && (!strcmp (argv[i + 1], "f32") || !strcmp (argv[i + 1], "q8_0")))
      q8_0 = !strcmp (argv[i + 1], "q8_0");
    else {
      fprintf (stderr, "make_mmproj: bad option %s %s\n", argv[i], argv[i + 1]);
      return 2;
    }
  }
  if (T < 1 || T > (1 << 16) || L < 1 || L > 64) {
    fprintf (stderr, "make_mmproj: --text-embd or --layers out of range\n");
    return 2;
  }
  g4_error err = { 0 };
  if (mmproj_gen_write (argv[1], T, L, q8_0, seed, &err)) {
    fprintf (stderr, "make_mmproj: %s\n", err.message);
    return 1;
  }
  return 0;
}
