/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Detokenizer tests on the 262144-token vocab: single pieces (U+2581, byte,
 * control, user-defined and end-of-generation tokens), the round trip
 * detokenize(tokenize(x)) == x over every valid UTF-8 input of the tokenizer
 * cases, the UTF-8 stream over the same tokens (characters split across byte
 * tokens), ill-formed byte sequences, and random token streams that must
 * only ever yield valid UTF-8. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "text_test.h"

#define MAX_IDS 65536

static g4_token ids[MAX_IDS];

/* Strict UTF-8 check (no overlongs, surrogates or code points past U+10FFFF). */
static bool
valid_utf8 (const char *s, size_t n)
{
  const uint8_t *u = (const uint8_t *) s;
  for (size_t i = 0; i < n;) {
    uint8_t b = u[i];
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b < 0x80)
      len = 1;
    else if (b >= 0xC2 && b <= 0xDF)
      len = 2;
    else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      lo = b == 0xE0 ? 0xA0 : 0x80;
      hi = b == 0xED ? 0x9F : 0xBF;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      lo = b == 0xF0 ? 0x90 : 0x80;
      hi = b == 0xF4 ? 0x8F : 0xBF;
    } else
      return false;
    if (i + len > n)
      return false;
    for (size_t k = 1; k < len; k++) {
      uint8_t c = u[i + k];
      if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF))
        return false;
    }
    i += len;
  }
  return true;
}

static bool
piece_is (const g4_vocab * v, g4_token t, bool special, const char *want, size_t n_want)
{
  char buf[64];
  int n = g4_token_to_piece (v, t, special, buf, sizeof buf);
  return n == (int) n_want && memcmp (buf, want, n_want) == 0;
}

static void
check_pieces (const g4_vocab * v)
{
  CHECK (piece_is (v, 236743, false, " ", 1));          /* U+2581 */
  CHECK (piece_is (v, 138, false, "  ", 2));
  CHECK (piece_is (v, 26352, false, " Hello", 6));
  CHECK (piece_is (v, 238 + 0x41, false, "A", 1));      /* <0x41> */
  CHECK (piece_is (v, 238, false, "", 1));              /* <0x00>: one NUL byte */
  CHECK (piece_is (v, 105, false, "", 0));              /* <|turn>: control */
  CHECK (piece_is (v, 105, true, "<|turn>", 7));
  CHECK (piece_is (v, 100, false, "<|channel>", 10));   /* user-defined */
  CHECK (piece_is (v, 50, false, "", 0));               /* <|tool_response>: end of generation */
  CHECK (piece_is (v, 50, true, "<|tool_response>", 16));
  CHECK (piece_is (v, 107, false, "\n", 1));
  CHECK (g4_token_to_piece (v, -1, true, NULL, 0) == -1);
  CHECK (g4_token_to_piece (v, v->n_tokens, true, NULL, 0) == -1);
  CHECK (g4_token_to_piece (NULL, 5, true, NULL, 0) == -1);
  /* Too small: the length comes back, nothing is written. */
  char small[4] = "xyz";
  CHECK (g4_token_to_piece (v, 26352, false, small, 3) == 6 && strcmp (small, "xyz") == 0);
  CHECK (g4_token_to_piece (v, 26352, false, NULL, 0) == 6);

  CHECK (g4_vocab_is_eog (v, 1) && g4_vocab_is_eog (v, 106) && g4_vocab_is_eog (v, 50));
  CHECK (!g4_vocab_is_eog (v, 2) && !g4_vocab_is_eog (v, 105) && !g4_vocab_is_eog (v, -1));
  CHECK (g4_vocab_is_control (v, 105) && g4_vocab_is_control (v, 2));
  CHECK (!g4_vocab_is_control (v, 100) && !g4_vocab_is_control (v, 9259));
  CHECK (g4_vocab_bos (v) == 2 && g4_vocab_eos (v) == 1 && g4_vocab_n_tokens (v) == 262144);
  CHECK (g4_vocab_find (v, "<|think|>") == 98 && g4_vocab_find (v, "\xE2\x96\x81Paris") == 9079);
  CHECK (g4_vocab_find (v, "no such token here") == -1);
}

/* Pushes ids through a stream; returns the concatenated text (caller frees),
 * counts the pushes that held back part of a character and says whether every
 * chunk was valid and, with complete, nothing was left pending at the end. */
static char *
stream_all (const g4_vocab * v, const g4_token * t, int n, bool special, bool complete,
    size_t * len, int *n_held, bool *all_valid)
{
  char *text = malloc ((size_t) n * 128 + 1);
  g4_utf8_stream s = { 0 };
  *len = 0;
  *n_held = 0;
  *all_valid = true;
  for (int i = 0; i < n; i++) {
    char chunk[512];
    int k = g4_utf8_stream_push (&s, v, t[i], special, chunk, sizeof chunk);
    if (k < 0) {
      *all_valid = false;
      continue;
    }
    *all_valid &= valid_utf8 (chunk, (size_t) k) && chunk[k] == '\0';
    *n_held += s.n_pending > 0;
    memcpy (text + *len, chunk, (size_t) k);
    *len += (size_t) k;
  }
  *all_valid &= !complete || s.n_pending == 0;
  return text;
}

/* The input as it should come back: U+2581 in the input is read as a space
 * marker and so decodes to a space. */
static size_t
expected_text (const char *text, size_t len, char *out)
{
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    if (len - i >= 3 && memcmp (text + i, "\xE2\x96\x81", 3) == 0) {
      out[n++] = ' ';
      i += 2;
    } else
      out[n++] = text[i];
  }
  return n;
}

static bool
round_trip (const g4_vocab * v, const char *input, size_t n_input, int *n_held)
{
  char *text = malloc (n_input + 1);
  size_t len = expected_text (input, n_input, text);
  bool ok = true;
  for (int mode = 0; mode < 2; mode++) {
    bool special = mode == 1;
    /* mode 0: BOS added (renders empty), specials as text; mode 1: specials
     * parsed and rendered back. */
    int n = g4_tokenize (v, input, n_input, !special, special, ids, MAX_IDS);
    if (n < 0 || n > MAX_IDS) {
      ok = false;
      break;
    }
    char *joined = malloc ((size_t) n * 128 + 1);
    size_t pos = 0;
    for (int i = 0; i < n; i++) {
      int k = g4_token_to_piece (v, ids[i], special, joined + pos, 128);
      ok &= k >= 0 && k <= 128;
      pos += k > 0 ? (size_t) k : 0;
    }
    ok &= pos == len && memcmp (joined, text, len) == 0;
    free (joined);

    size_t slen;
    int held;
    bool valid;
    char *streamed = stream_all (v, ids, n, special, true, &slen, &held, &valid);
    ok &= valid && slen == len && memcmp (streamed, text, len) == 0;
    *n_held += held;
    free (streamed);
  }
  free (text);
  return ok;
}

static void
check_round_trips (const g4_vocab * v, const char *vocab_path, const char *dir)
{
  int n_inputs = 0, n_ok = 0, n_skipped = 0, n_held = 0;
  DIR *d = opendir (dir);
  CHECK (d != NULL);
  struct dirent *e;
  while (d && (e = readdir (d)) != NULL) {
    size_t nl = strlen (e->d_name), len;
    if (nl <= 4 || strcmp (e->d_name + nl - 4, ".inp") != 0)
      continue;
    char path[4096];
    snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
    char *text = test_read_file (path, &len);
    CHECK (text != NULL);
    if (text && !valid_utf8 (text, len))
      n_skipped++;
    else if (text) {
      n_inputs++;
      bool ok = round_trip (v, text, len, &n_held);
      n_ok += ok;
      if (!ok)
        fprintf (stderr, "round trip failed: %s\n", e->d_name);
    }
    free (text);
  }
  if (d)
    closedir (d);

  /* llama.cpp's vectors too. */
  char path[4096];
  size_t n_inp;
  snprintf (path, sizeof path, "%s.inp", vocab_path);
  char *inp = test_read_file (path, &n_inp);
  CHECK (inp != NULL);
  for (char *p = inp; p;) {
    char *sep = strstr (p, "\n__ggml_vocab_test__\n");
    size_t len = sep ? (size_t) (sep - p) : strlen (p);
    n_inputs++;
    bool ok = round_trip (v, p, len, &n_held);
    n_ok += ok;
    if (!ok)
      fprintf (stderr, "round trip failed: llama vector '%.*s'\n", (int) len, p);
    p = sep ? sep + 21 : NULL;
  }
  free (inp);
  printf ("round trip: %d/%d inputs identical (%d invalid-UTF-8 inputs skipped); "
      "%d stream pushes held back a partial character\n", n_ok, n_inputs, n_skipped, n_held);
  CHECK (n_ok == n_inputs && n_inputs > 60);
  CHECK (n_held > 0);
}

static bool
stream_is (const g4_vocab * v, const g4_token * t, int n, const char *want)
{
  size_t len;
  int held;
  bool valid;
  char *got = stream_all (v, t, n, false, true, &len, &held, &valid);
  bool ok = valid && len == strlen (want) && memcmp (got, want, len) == 0;
  free (got);
  return ok;
}

#define B(x) (238 + (x))        /* the <0xHH> token of byte x */
#define FFFD "\xEF\xBF\xBD"

static void
check_stream_edges (const g4_vocab * v)
{
  const g4_token smile[] = { B (0xF0), B (0x9F), B (0x98), B (0x80) };
  g4_utf8_stream s = { 0 };
  char out[64];
  for (int i = 0; i < 3; i++)
    CHECK (g4_utf8_stream_push (&s, v, smile[i], false, out, sizeof out) == 0 && out[0] == '\0');
  CHECK (s.n_pending == 3);
  /* Too small for the character: refused, nothing consumed. */
  CHECK (g4_utf8_stream_push (&s, v, smile[3], false, out, 4) == -1 && s.n_pending == 3);
  CHECK (g4_utf8_stream_push (&s, v, smile[3], false, out, sizeof out) == 4
      && strcmp (out, "\xF0\x9F\x98\x80") == 0 && s.n_pending == 0);
  CHECK (g4_utf8_stream_push (&s, NULL, 5, false, out, sizeof out) == -1);
  CHECK (g4_utf8_stream_push (&s, v, -3, false, out, sizeof out) == -1);

  const g4_token lone[] = { B (0xFF) };
  CHECK (stream_is (v, lone, 1, FFFD));
  const g4_token broken[] = { B (0xE2), 236746 /* a */ };
  CHECK (stream_is (v, broken, 2, FFFD "a"));
  const g4_token surrogate[] = { B (0xED), B (0xA0), B (0x80) };
  CHECK (stream_is (v, surrogate, 3, FFFD FFFD FFFD));
  const g4_token overlong[] = { B (0xC0), B (0x80), 236746 };
  CHECK (stream_is (v, overlong, 3, FFFD FFFD "a"));
  /* A truncated character followed by a normal token starting a new one. */
  const g4_token cut[] = { B (0xE4), B (0xB8), 26352 };
  CHECK (stream_is (v, cut, 3, FFFD " Hello"));
  /* e with acute as bytes then a space token. */
  const g4_token acute[] = { B (0xC3), B (0xA9), 236743 };
  CHECK (stream_is (v, acute, 3, "\xC3\xA9 "));
}

/* Random ids (byte tokens over-represented): every chunk must be valid. */
static void
check_random_streams (const g4_vocab * v)
{
  uint64_t x = 0x1234567;
  int bad = 0, n_tokens = 0;
  for (int run = 0; run < 200; run++) {
    g4_token t[64];
    for (int i = 0; i < 64; i++) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      uint32_t r = (uint32_t) (x >> 33);
      t[i] = r % 4 == 0 ? (g4_token) ((r >> 2) % (uint32_t) v->n_tokens) : B ((int) (r >> 2) & 0xFF);
    }
    size_t len;
    int held;
    bool valid;
    free (stream_all (v, t, 64, run & 1, false, &len, &held, &valid));
    bad += !valid;
    n_tokens += 64;
  }
  printf ("random streams: %d tokens, %d runs with an invalid chunk\n", n_tokens, bad);
  CHECK (bad == 0);
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 2, "VOCAB.gguf TOKENIZER_CASES_DIR");
  g4_gguf *g;
  g4_vocab *v;
  test_open_vocab (argv[1], &g, &v);
  check_pieces (v);
  check_round_trips (v, argv[1], argv[2]);
  check_stream_edges (v);
  check_random_streams (v);
  g4_vocab_free (v);
  g4_gguf_close (g);
  return test_exit_status ();
}
