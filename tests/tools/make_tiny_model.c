/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* make_tiny_model OUT.gguf VOCAB.gguf [SEED [e2b|dense]]: writes the test
 * model of tiny_model.h, E2B-like unless told dense (used once to produce the
 * reference logits with g4ref_mm, and by the tests at run time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiny_model.h"

int
main (int argc, char **argv)
{
  const char *family = argc > 4 ? argv[4] : "e2b";
  if (argc < 3 || argc > 5 || (strcmp (family, "e2b") && strcmp (family, "dense"))) {
    fprintf (stderr, "usage: %s OUT.gguf VOCAB.gguf [SEED [e2b|dense]]\n", argv[0]);
    return 2;
  }
  g4_error err = { 0 };
  const uint64_t seed = argc > 3 ? strtoull (argv[3], NULL, 10) : 1;
  if (tiny_model_write_family (argv[1], argv[2], seed,
          strcmp (family, "dense") ? TINY_E2B : TINY_DENSE, &err)) {
    fprintf (stderr, "make_tiny_model: %s\n", err.message);
    return 1;
  }
  return 0;
}
