/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g4_vocab_load on GGUF images built here in memory: a tiny "gemma4" vocab
 * that pins the encoder's rules (merge order, leftmost ties, newline runs,
 * byte fallback, longest special token first, CONTROL only when parsing
 * special tokens, end-of-generation tokens) and one broken variant per
 * validation, each with its status and a fragment of its message. Also the
 * committed tiny model fixture, which has no tokenizer. */
#include <stdlib.h>
#include <string.h>

#include "text_test.h"

/* ---- a minimal GGUF v3 writer (metadata only) ------------------------------- */

typedef enum { KV_STR, KV_U32, KV_BOOL, KV_STR_ARR, KV_I32_ARR, KV_U32_ARR } kv_kind;

typedef struct {
  const char *key;
  kv_kind kind;
  const char *s;
  uint32_t u;
  const char *const *strs;
  const int32_t *ints;
  int n;
} kv;

static void
put_kv (test_bytes * b, const kv * k)
{
  test_bytes_gguf_str (b, k->key);
  switch (k->kind) {
    case KV_STR: test_bytes_u32 (b, G4_GGUF_STRING); test_bytes_gguf_str (b, k->s); break;
    case KV_U32: test_bytes_u32 (b, G4_GGUF_UINT32); test_bytes_u32 (b, k->u); break;
    case KV_BOOL: test_bytes_u32 (b, G4_GGUF_BOOL); test_bytes_put (b, &(uint8_t) { k->u != 0 }, 1); break;
    case KV_STR_ARR:
      test_bytes_u32 (b, G4_GGUF_ARRAY);
      test_bytes_u32 (b, G4_GGUF_STRING);
      test_bytes_u64 (b, (uint64_t) k->n);
      for (int i = 0; i < k->n; i++)
        test_bytes_gguf_str (b, k->strs[i]);
      break;
    case KV_I32_ARR:
    case KV_U32_ARR:
      test_bytes_u32 (b, G4_GGUF_ARRAY);
      test_bytes_u32 (b, k->kind == KV_I32_ARR ? G4_GGUF_INT32 : G4_GGUF_UINT32);
      test_bytes_u64 (b, (uint64_t) k->n);
      test_bytes_put (b, k->ints, 4 * (size_t) k->n);
      break;
  }
}

/* ---- the tiny vocab ------------------------------------------------------------ */

enum { T_A = 8, T_B, T_C, T_AB, T_BC, T_ABC, T_SPACE, T_SPACE_A, T_NL, T_NL2, T_BYTE0,
  T_UNUSED = T_BYTE0 + 256, T_E_ACUTE, N_TOKENS };

static const char *tokens[N_TOKENS];
static int32_t types[N_TOKENS];
static char byte_names[256][7];

static const char *const merges[] = {
  "b c", "a b", "a bc", "\xE2\x96\x81 a", "ab c", "b c",
};

static void
init_tokens (void)
{
  const char *head[] = { "<pad>", "<eos>", "<bos>", "<unk>", "<turn|>", "<|tool_response>",
    "<|u>", "<|u>long>", "a", "b", "c", "ab", "bc", "abc", "\xE2\x96\x81",
    "\xE2\x96\x81" "a", "\n", "\n\n" };
  const int32_t head_types[] = { 3, 3, 3, 3, 3, 4, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
  for (int i = 0; i < T_BYTE0; i++) {
    tokens[i] = head[i];
    types[i] = head_types[i];
  }
  for (int b = 0; b < 256; b++) {
    snprintf (byte_names[b], sizeof byte_names[b], "<0x%02X>", b);
    tokens[T_BYTE0 + b] = byte_names[b];
    types[T_BYTE0 + b] = 6;
  }
  tokens[T_UNUSED] = "<unused0>";
  types[T_UNUSED] = 5;
  tokens[T_E_ACUTE] = "\xC3\xA9";
  types[T_E_ACUTE] = 1;
}

#define BASE_KVS 8

static void
base_kvs (kv * k)
{
  k[0] = (kv) { "tokenizer.ggml.model", KV_STR, .s = "gemma4" };
  k[1] = (kv) { "tokenizer.ggml.tokens", KV_STR_ARR, .strs = tokens, .n = N_TOKENS };
  k[2] = (kv) { "tokenizer.ggml.token_type", KV_I32_ARR, .ints = types, .n = N_TOKENS };
  k[3] = (kv) { "tokenizer.ggml.merges", KV_STR_ARR, .strs = merges,
    .n = (int) (sizeof merges / sizeof merges[0]) };
  k[4] = (kv) { "tokenizer.ggml.bos_token_id", KV_U32, .u = 2 };
  k[5] = (kv) { "tokenizer.ggml.eos_token_id", KV_U32, .u = 1 };
  k[6] = (kv) { "tokenizer.ggml.padding_token_id", KV_U32, .u = 0 };
  k[7] = (kv) { "tokenizer.ggml.add_bos_token", KV_BOOL, .u = 1 };
}

/* Loads a vocab from the kvs whose key is not NULL. */
static g4_status
load (const kv * k, int n, g4_gguf ** g, g4_vocab ** v, g4_error * err, test_bytes * img)
{
  *img = (test_bytes) { 0 };
  int n_kv = 0;
  for (int i = 0; i < n; i++)
    n_kv += k[i].key != NULL;
  test_bytes_put (img, "GGUF", 4);
  test_bytes_u32 (img, 3);
  test_bytes_u64 (img, 0);
  test_bytes_u64 (img, (uint64_t) n_kv);
  for (int i = 0; i < n; i++)
    if (k[i].key)
      put_kv (img, &k[i]);
  *v = NULL;
  g4_status st = g4_gguf_open_memory (img->p, img->len, "tiny.gguf", g, err);
  if (st != G4_OK)
    return st;
  return g4_vocab_load (*g, v, err);
}

/* ---- encoder rules on the tiny vocab ----------------------------------------- */

static void
expect (const g4_vocab * v, const char *text, bool special, const g4_token * want, int n_want)
{
  g4_token got[64];
  int n = g4_tokenize (v, text, strlen (text), false, special, got, 64);
  char what[96];
  snprintf (what, sizeof what, "tiny \"%s\"%s", text, special ? " (special)" : "");
  test_same_ids (what, got, n, want, n_want);
}

#define EXPECT(text, special, ...) \
  do { \
    const g4_token want_[] = { __VA_ARGS__ }; \
    expect (v, text, special, want_, (int) (sizeof want_ / sizeof want_[0])); \
  } while (0)
#define BYTE(c) (T_BYTE0 + (uint8_t) (c))

static void
check_rules (void)
{
  kv k[BASE_KVS];
  base_kvs (k);
  k[7].u = 0;                   /* add_bos_token false: warned about, then forced */
  g4_gguf *g;
  g4_vocab *v;
  g4_error err = { 0 };
  test_bytes img;
  CHECK (load (k, BASE_KVS, &g, &v, &err, &img) == G4_OK);
  if (v == NULL) {
    fprintf (stderr, "tiny vocab: %s\n", err.message);
    free (img.p);
    return;
  }
  EXPECT ("abc", false, T_ABC);                 /* b c (rank 0) before a b (rank 1) */
  EXPECT ("abab", false, T_AB, T_AB);           /* equal ranks: leftmost first */
  EXPECT ("cab", false, T_C, T_AB);
  EXPECT (" a", false, T_SPACE_A);              /* ' ' -> U+2581 */
  EXPECT ("  a", false, T_SPACE, T_SPACE_A);
  EXPECT ("\n\n", false, T_NL2);                /* a newline run that is a token */
  EXPECT ("\n\n\n", false, T_NL, T_NL, T_NL);   /* one that is not: BPE, no merges */
  EXPECT ("a\nb", false, T_A, T_NL, T_B);       /* no merge across a newline */
  EXPECT ("d", false, BYTE ('d'));              /* byte fallback */
  EXPECT ("\xC3\xA9\xC3\xA8", false, T_E_ACUTE, BYTE (0xC3), BYTE (0xA8));
  EXPECT ("\xFF", false, BYTE (0xEF), BYTE (0xBF), BYTE (0xBD));   /* invalid -> U+FFFD */
  EXPECT ("<|u>long>", false, 7);               /* longest special token first */
  EXPECT ("<|u>lo", false, 6, BYTE ('l'), BYTE ('o'));
  EXPECT ("<bos>b", true, 2, T_B);
  EXPECT ("<bos>b", false, BYTE ('<'), T_B, BYTE ('o'), BYTE ('s'), BYTE ('>'), T_B);
  /* <|tool_response> is USER_DEFINED in the file but ends generation, so it is
   * treated as CONTROL, as llama.cpp does. */
  EXPECT ("<|tool_response>", true, 5);
  CHECK (g4_vocab_is_eog (v, 1) && g4_vocab_is_eog (v, 4) && g4_vocab_is_eog (v, 5));
  CHECK (g4_vocab_is_control (v, 5) && !g4_vocab_is_control (v, 6) && !g4_vocab_is_eog (v, 2));
  CHECK (v->add_bos);                           /* forced although the file says false */
  char buf[16];
  CHECK (g4_token_to_piece (v, T_UNUSED, true, buf, sizeof buf) == 0);
  CHECK (g4_token_to_piece (v, T_SPACE_A, false, buf, sizeof buf) == 2 && strcmp (buf, " a") == 0);
  CHECK (g4_vocab_lookup (v, "ab", 2) == T_AB && g4_vocab_find (v, "abcd") == -1);
  g4_token merged;
  CHECK (g4_vocab_merge_rank (v, T_B, T_C, &merged) == 0 && merged == T_BC);  /* first of the duplicates */
  CHECK (g4_vocab_merge_rank (v, T_C, T_A, &merged) == -1);
  int n_suppress;
  g4_vocab_suppress_tokens (v, &n_suppress);
  CHECK (n_suppress == 0);
  printf ("tiny vocab: %d tokens, %d merges, %d special tokens\n", v->n_tokens, v->n_merges,
      v->n_special);
  g4_vocab_free (v);
  g4_gguf_close (g);
  free (img.p);
}

/* ---- validation --------------------------------------------------------------- */

static int n_rejections;

static void
expect_failure (const char *what, kv * k, int n, g4_status want, const char *fragment)
{
  g4_gguf *g = NULL;
  g4_vocab *v;
  g4_error err = { 0 };
  test_bytes img;
  g4_status st = load (k, n, &g, &v, &err, &img);
  bool ok = st == want && v == NULL && strstr (err.message, fragment) != NULL;
  if (!ok) {
    fprintf (stderr, "%s: got %s \"%s\", expected %s with \"%s\"\n", what, g4_status_name (st),
        err.message, g4_status_name (want), fragment);
    test_failures++;
  }
  n_rejections += ok;
  g4_vocab_free (v);
  g4_gguf_close (g);
  free (img.p);
}

static void
check_validation (void)
{
  kv k[BASE_KVS + 1];
  int n_cases = 0;
#define CASE(what, edit, want, fragment) \
  do { \
    base_kvs (k); \
    edit; \
    n_cases++; \
    expect_failure (what, k, BASE_KVS + 1, want, fragment); \
  } while (0)
  k[BASE_KVS].key = NULL;

  CASE ("no model key", k[0].key = NULL, G4_STATUS_UNSUPPORTED, "no tokenizer in file");
  CASE ("model none", k[0].s = "none", G4_STATUS_UNSUPPORTED, "no tokenizer in file");
  CASE ("model llama", k[0].s = "llama", G4_STATUS_UNSUPPORTED, "\"llama\" is not supported");
  CASE ("model not a string", (k[0] = (kv) { "tokenizer.ggml.model", KV_U32, .u = 1 }),
      G4_STATUS_FORMAT, "tokenizer.ggml.model");
  CASE ("no tokens", k[1].key = NULL, G4_STATUS_FORMAT, "missing key 'tokenizer.ggml.tokens'");
  CASE ("empty tokens", (k[1].n = 0, k[2].n = 0), G4_STATUS_FORMAT, "is empty");
  CASE ("tokens not strings", (k[1] = (kv) { "tokenizer.ggml.tokens", KV_I32_ARR, .ints = types,
          .n = N_TOKENS }), G4_STATUS_FORMAT, "not an array of strings");
  CASE ("no token types", k[2].key = NULL, G4_STATUS_FORMAT, "missing key 'tokenizer.ggml.token_type'");
  CASE ("short token types", k[2].n = N_TOKENS - 1, G4_STATUS_FORMAT, "expected 276 (one per token)");
  CASE ("unsigned token types", k[2].kind = KV_U32_ARR, G4_STATUS_FORMAT, "not an array of int32");
  int32_t bad_types[N_TOKENS];
  memcpy (bad_types, types, sizeof bad_types);
  bad_types[9] = 9;
  CASE ("token type 9", k[2].ints = bad_types, G4_STATUS_FORMAT, "[9] is 9, expected 0..6");
  const char *bad_tokens[N_TOKENS];
  memcpy (bad_tokens, tokens, sizeof bad_tokens);
  bad_tokens[T_BYTE0 + 3] = "<0xZ3>";
  CASE ("bad byte token", k[1].strs = bad_tokens, G4_STATUS_FORMAT, "expected \"<0xHH>\"");
  CASE ("no merges", k[3].key = NULL, G4_STATUS_FORMAT, "missing key 'tokenizer.ggml.merges'");
  const char *const no_space[] = { "b c", "abc" };
  CASE ("merge without space", (k[3].strs = no_space, k[3].n = 2), G4_STATUS_FORMAT,
      "[1] \"abc\" is not two tokens");
  const char *const unknown[] = { "b c", "a d" };
  CASE ("merge of a non-token", (k[3].strs = unknown, k[3].n = 2), G4_STATUS_FORMAT,
      "the right part is not a token");
  const char *const no_result[] = { "c a" };
  CASE ("merge result not a token", (k[3].strs = no_result, k[3].n = 1), G4_STATUS_FORMAT,
      "the merged text is not a token");
  CASE ("no bos", k[4].key = NULL, G4_STATUS_FORMAT, "missing key 'tokenizer.ggml.bos_token_id'");
  CASE ("bos out of range", k[4].u = N_TOKENS, G4_STATUS_FORMAT, "is 276, expected a token id below 276");
  CASE ("pad out of range", k[6].u = 100000, G4_STATUS_FORMAT, "tokenizer.ggml.padding_token_id");
  CASE ("add_bos not a bool", (k[7] = (kv) { "tokenizer.ggml.add_bos_token", KV_STR, .s = "yes" }),
      G4_STATUS_FORMAT, "tokenizer.ggml.add_bos_token");
  const int32_t suppress_bad[] = { 3, 276 };
  CASE ("suppress out of range", (k[BASE_KVS] = (kv) { "tokenizer.ggml.suppress_tokens",
          KV_I32_ARR, .ints = suppress_bad, .n = 2 }), G4_STATUS_FORMAT, "[1] is 276");
  CASE ("suppress unsigned", (k[BASE_KVS] = (kv) { "tokenizer.ggml.suppress_tokens",
          KV_U32_ARR, .ints = suppress_bad, .n = 1 }), G4_STATUS_FORMAT, "not an array of int32");
  printf ("validation: %d/%d broken vocabs rejected with the expected status and message\n",
      n_rejections, n_cases);

  /* A valid suppress list is kept. */
  base_kvs (k);
  const int32_t suppress[] = { T_UNUSED, 4 };
  k[BASE_KVS] = (kv) { "tokenizer.ggml.suppress_tokens", KV_I32_ARR, .ints = suppress, .n = 2 };
  g4_gguf *g;
  g4_vocab *v;
  g4_error err = { 0 };
  test_bytes img;
  CHECK (load (k, BASE_KVS + 1, &g, &v, &err, &img) == G4_OK);
  if (v) {
    int n;
    const g4_token *s = g4_vocab_suppress_tokens (v, &n);
    CHECK (n == 2 && s[0] == T_UNUSED && s[1] == 4);
    g4_vocab_free (v);
    g4_gguf_close (g);
  }
  free (img.p);
}

static void
check_fixture_without_tokenizer (const char *path)
{
  g4_gguf *g;
  g4_vocab *v = NULL;
  g4_error err = { 0 };
  CHECK (g4_gguf_open (path, &g, &err) == G4_OK);
  if (err.code != G4_OK)
    return;
  g4_status st = g4_vocab_load (g, &v, &err);
  printf ("model fixture: %s: %s\n", g4_status_name (st), err.message);
  CHECK (st == G4_STATUS_UNSUPPORTED && v == NULL);
  CHECK (strncmp (err.message, "no tokenizer in file", 20) == 0);
  g4_gguf_close (g);
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 1, "MODEL_WITHOUT_TOKENIZER.gguf");
  init_tokens ();
  check_rules ();
  check_validation ();
  check_fixture_without_tokenizer (argv[1]);
  return test_exit_status ();
}
