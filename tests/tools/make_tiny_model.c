/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* make_tiny_model OUT.gguf VOCAB.gguf [SEED]: writes the E2B-like test model
 * of tiny_model.h (used once to produce the reference logits with g4ref_mm,
 * and by the tests at run time). */
#include <stdio.h>
#include <stdlib.h>

#include "tiny_model.h"

int
main (int argc, char **argv)
{
  if (argc < 3 || argc > 4) {
    fprintf (stderr, "usage: %s OUT.gguf VOCAB.gguf [SEED]\n", argv[0]);
    return 2;
  }
  g4_error err = { 0 };
  const uint64_t seed = argc > 3 ? strtoull (argv[3], NULL, 10) : 1;
  if (tiny_model_write (argv[1], argv[2], seed, &err)) {
    fprintf (stderr, "make_tiny_model: %s\n", err.message);
    return 1;
  }
  return 0;
}
