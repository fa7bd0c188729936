/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tokenizer test vectors against the 262144-token Gemma 4 vocab:
 * 1. llama.cpp's ggml-vocab-gemma-4.gguf.inp/.out (no BOS, no special parsing);
 * 2. tests/data/tokenizer/NAME.inp with NAME.out produced by llama-tokenize,
 *    one line per mode ("parse_special ids..." and "no_parse_special ids...",
 *    both with BOS): multilingual text, emoji, code, whitespace and newline
 *    runs, special-token strings, invalid UTF-8, long inputs.
 * Prints the load time and the tokenizer's throughput. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "text_test.h"

#define SEPARATOR "\n__ggml_vocab_test__\n"
#define MAX_IDS 65536

static g4_token got[MAX_IDS], want[MAX_IDS];
static double tokenize_ms;
static size_t tokenized_bytes;

static int
tokenize (const g4_vocab * v, const char *text, size_t len, bool add_bos, bool special)
{
  double t0 = test_now_ms ();
  int n = g4_tokenize (v, text, len, add_bos, special, got, MAX_IDS);
  tokenize_ms += test_now_ms () - t0;
  tokenized_bytes += len;
  CHECK (n >= 0 && n <= MAX_IDS);
  return n;
}

/* The .inp file is the inputs joined by SEPARATOR (no trailing newline after
 * the last one); the .out file has one line of ids per input. */
static void
run_llama_vectors (const g4_vocab * v, const char *vocab_path)
{
  char path[4096];
  size_t n_inp, n_out;
  snprintf (path, sizeof path, "%s.inp", vocab_path);
  char *inp = test_read_file (path, &n_inp);
  snprintf (path, sizeof path, "%s.out", vocab_path);
  char *out = test_read_file (path, &n_out);
  CHECK (inp != NULL && out != NULL);
  if (!inp || !out) {
    free (inp);
    free (out);
    return;
  }
  int n_cases = 0, n_ok = 0;
  char *p = inp, *line = out;
  const size_t sep_len = strlen (SEPARATOR);
  for (;;) {
    char *sep = strstr (p, SEPARATOR);
    size_t len = sep ? (size_t) (sep - p) : strlen (p);
    char *eol = strchr (line, '\n');
    CHECK (*line != '\0');
    if (*line == '\0')
      break;
    if (eol)
      *eol = '\0';
    int n_want = test_parse_ids (line, want, MAX_IDS);
    int n = tokenize (v, p, len, false, false);
    char what[64];
    snprintf (what, sizeof what, "llama vector %d", n_cases);
    n_ok += test_same_ids (what, got, n, want, n_want);
    n_cases++;
    line = eol ? eol + 1 : line + strlen (line);
    if (sep == NULL)
      break;
    p = sep + sep_len;
  }
  CHECK (*line == '\0');
  printf ("llama.cpp vectors: %d/%d match\n", n_ok, n_cases);
  CHECK (n_cases == 46);
  free (inp);
  free (out);
}

static int
cmp_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
run_case (const g4_vocab * v, const char *dir, const char *name, int *n_ok, int *n_checks)
{
  char path[4096];
  size_t n_text, n_out;
  snprintf (path, sizeof path, "%s/%s.inp", dir, name);
  char *text = test_read_file (path, &n_text);
  snprintf (path, sizeof path, "%s/%s.out", dir, name);
  char *out = test_read_file (path, &n_out);
  CHECK (text != NULL && out != NULL);
  for (char *line = out; text && out && *line;) {
    char *eol = strchr (line, '\n');
    if (eol)
      *eol = '\0';
    bool special = strncmp (line, "parse_special ", 14) == 0;
    CHECK (special || strncmp (line, "no_parse_special ", 17) == 0);
    int n_want = test_parse_ids (strchr (line, ' '), want, MAX_IDS);
    int n = tokenize (v, text, n_text, true, special);
    char what[300];
    snprintf (what, sizeof what, "%s (%s)", name, special ? "parse_special" : "no_parse_special");
    *n_ok += test_same_ids (what, got, n, want, n_want);
    (*n_checks)++;
    if (!eol)
      break;
    line = eol + 1;
  }
  free (text);
  free (out);
}

static void
run_generated (const g4_vocab * v, const char *dir)
{
  DIR *d = opendir (dir);
  CHECK (d != NULL);
  if (d == NULL)
    return;
  char *names[256];
  int n_names = 0;
  struct dirent *e;
  while ((e = readdir (d)) != NULL && n_names < 256) {
    size_t len = strlen (e->d_name);
    if (len > 4 && strcmp (e->d_name + len - 4, ".inp") == 0)
      names[n_names++] = strndup (e->d_name, len - 4);
  }
  closedir (d);
  qsort (names, n_names, sizeof *names, cmp_names);
  int n_ok = 0, n_checks = 0;
  for (int i = 0; i < n_names; i++) {
    run_case (v, dir, names[i], &n_ok, &n_checks);
    free (names[i]);
  }
  printf ("llama-tokenize cases: %d/%d match (%d inputs x 2 modes)\n", n_ok, n_checks, n_names);
  CHECK (n_names >= 20 && n_checks == 2 * n_names);
}

/* A few properties that need no reference: bad arguments, max_tokens, BOS. */
static void
run_api_checks (const g4_vocab * v)
{
  CHECK (g4_tokenize (NULL, "a", 1, false, false, got, MAX_IDS) == -1);
  CHECK (g4_tokenize (v, NULL, 1, false, false, got, MAX_IDS) == -1);
  CHECK (g4_tokenize (v, "a", 1, false, false, got, -1) == -1);
  CHECK (g4_tokenize (v, "", 0, true, false, got, MAX_IDS) == 1 && got[0] == 2);
  CHECK (g4_tokenize (v, NULL, 0, false, false, NULL, 0) == 0);
  /* Counting without storage, then a truncated write. */
  const char *s = "Hello world! Café déjà vu";
  const g4_token cafe[] = { 2, 9259, 1902, 236888, 62367, 29234, 11042 };
  int n = g4_tokenize (v, s, strlen (s), true, false, NULL, 0);
  CHECK (n == 7);
  test_same_ids ("Cafe", got, g4_tokenize (v, s, strlen (s), true, false, got, MAX_IDS), cafe, 7);
  got[2] = -7;
  CHECK (g4_tokenize (v, s, strlen (s), true, false, got, 2) == n);
  CHECK (got[0] == 2 && got[1] == 9259 && got[2] == -7);
  /* T16 (docs/tokenizer-and-chat.md#encoding): spaces -> U+2581, digits never merge. */
  const g4_token hello[] = { 26352, 1902 }, digits[] = { 236800, 236800, 236800, 236800 };
  n = g4_tokenize (v, " Hello world", 12, false, false, got, MAX_IDS);
  test_same_ids ("\" Hello world\"", got, n, hello, 2);
  n = g4_tokenize (v, "3333", 4, false, false, got, MAX_IDS);
  test_same_ids ("\"3333\"", got, n, digits, 4);
}

/* Random mixtures of special-token strings, partial ones, invalid bytes,
 * multi-byte characters, spaces and newlines: no crash, ids in range, and the
 * count without storage equals the stored count. */
static void
run_random_inputs (const g4_vocab * v)
{
  static const char *const pool[] = {
    "<|turn>", "<turn|>", "<|channel>", "<channel|>", "<bos>", "<|tool_response>", "<|",
    "|>", "<", ">", " ", "  ", "\n", "\n\n\n", "\t", "a", "Hello", "\xE2\x96\x81",
    "\xC3\xA9", "\xF0\x9F\x98\x80", "\xE2", "\x80", "\xFF", "\xF4\x90\x80\x80",
    "\xED\xA0\x80", "\xC0\x80", "3", "\x00", "\xE4\xB8\xAD", "<0x41>",
  };
  const int n_pool = (int) (sizeof pool / sizeof pool[0]);
  char text[4096];
  uint64_t x = 42;
  int bad = 0;
  for (int run = 0; run < 3000; run++) {
    size_t len = 0;
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    int parts = (int) (x >> 58);
    for (int i = 0; i < parts; i++) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      const char *p = pool[(x >> 33) % (uint64_t) n_pool];
      size_t n = p[0] == '\0' ? 1 : strlen (p);
      memcpy (text + len, p, n);
      len += n;
    }
    bool special = run & 1;
    int n = tokenize (v, text, len, run & 2, special);
    int counted = g4_tokenize (v, text, len, run & 2, special, NULL, 0);
    bool ok = n >= 0 && n == counted;
    for (int i = 0; ok && i < n; i++)
      ok = got[i] >= 0 && got[i] < v->n_tokens;
    bad += !ok;
  }
  printf ("random inputs: 3000 tokenized, %d bad\n", bad);
  CHECK (bad == 0);
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 2, "VOCAB.gguf TOKENIZER_CASES_DIR");
  g4_gguf *g;
  g4_vocab *v;
  test_open_vocab (argv[1], &g, &v);
  run_api_checks (v);
  run_llama_vectors (v, argv[1]);
  run_generated (v, argv[2]);
  run_random_inputs (v);
  printf ("tokenize: %zu bytes in %.1f ms (%.1f MB/s)\n", tokenized_bytes, tokenize_ms,
      tokenized_bytes / 1e3 / (tokenize_ms > 0 ? tokenize_ms : 1));
  g4_vocab_free (v);
  g4_gguf_close (g);
  return test_exit_status ();
}
