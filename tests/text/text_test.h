/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the core/text tests on top of test_util.h: id-list
 * parsing, opening the committed 262144-token vocab fixture and comparing
 * token lists. */
#ifndef TEXT_TEST_H
#define TEXT_TEST_H

#include <stdio.h>

#include "gguf.h"
#include "test_util.h"
#include "vocab.h"

/* Parses whitespace-separated ids; returns how many (at most max). */
int test_parse_ids (const char *s, g4_token * ids, int max);
/* Opens path and loads its vocab, printing how long each step took; exits
 * with status 1 when either fails. */
void test_open_vocab (const char *path, g4_gguf ** g, g4_vocab ** v);
/* Compares a token list with the expected one; prints both on mismatch. */
bool test_same_ids (const char *what, const g4_token * got, int n_got,
    const g4_token * want, int n_want);

#endif
