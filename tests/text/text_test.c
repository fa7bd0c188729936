/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the core/text tests (see text_test.h). */
#include "text_test.h"

#include <stdlib.h>
#include <string.h>

int
test_parse_ids (const char *s, g4_token * ids, int max)
{
  int n = 0;
  char *end;
  for (;;) {
    long v = strtol (s, &end, 10);
    if (end == s || n == max)
      return n;
    ids[n++] = (g4_token) v;
    s = end;
  }
}

void
test_open_vocab (const char *path, g4_gguf ** g, g4_vocab ** v)
{
  g4_error err = { 0 };
  double t0 = test_now_ms ();
  if (g4_gguf_open (path, g, &err) != G4_OK) {
    fprintf (stderr, "cannot open %s: %s\n", path, err.message);
    exit (1);
  }
  double t1 = test_now_ms ();
  if (g4_vocab_load (*g, v, &err) != G4_OK) {
    fprintf (stderr, "cannot load the vocab of %s: %s\n", path, err.message);
    exit (1);
  }
  double t2 = test_now_ms ();
  printf ("vocab: %d tokens, %d merges; gguf open %.1f ms, vocab load %.1f ms\n",
      (*v)->n_tokens, (*v)->n_merges, t1 - t0, t2 - t1);
}

bool
test_same_ids (const char *what, const g4_token * got, int n_got, const g4_token * want,
    int n_want)
{
  if (n_got == n_want && memcmp (got, want, n_got * sizeof *got) == 0)
    return true;
  fprintf (stderr, "%s: token mismatch\n  got  (%d):", what, n_got);
  for (int i = 0; i < n_got && i < 64; i++)
    fprintf (stderr, " %d", got[i]);
  fprintf (stderr, "\n  want (%d):", n_want);
  for (int i = 0; i < n_want && i < 64; i++)
    fprintf (stderr, " %d", want[i]);
  fprintf (stderr, "\n");
  test_failures++;
  return false;
}
