/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the core/text tests: a failure counter with CHECK, a
 * monotonic clock, whole-file reading, id-list parsing and opening the
 * committed 262144-token vocab fixture. */
#ifndef TEXT_TEST_H
#define TEXT_TEST_H

#include <stdio.h>

#include "gguf.h"
#include "vocab.h"

extern int test_failures;

#define CHECK(cond) \
  do { \
    if (!(cond)) { \
      fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      test_failures++; \
    } \
  } while (0)

double test_now_ms (void);
/* Whole file, NUL terminated (the NUL is not counted in *len); NULL on error. */
char *test_read_file (const char *path, size_t * len);
/* Parses whitespace-separated ids; returns how many (at most max). */
int test_parse_ids (const char *s, g4_token * ids, int max);
/* Opens path and loads its vocab, printing how long each step took; exits
 * with status 1 when either fails. */
void test_open_vocab (const char *path, g4_gguf ** g, g4_vocab ** v);
/* Compares a token list with the expected one; prints both on mismatch. */
bool test_same_ids (const char *what, const g4_token * got, int n_got,
    const g4_token * want, int n_want);

#endif
