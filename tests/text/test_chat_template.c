/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Chat rendering against Google's Jinja template: the expected prompts below
 * were rendered by jinja2 from google-gemma-4-31B-it.jinja (the LARGE flavour;
 * the SMALL one differs only in ending at "<|turn>model\n", as the E2B template
 * does) and their ids come from llama-tokenize with special parsing. Also:
 * g4_chat_split_thought, flavour detection on the 26B template of the vocab
 * fixture, and bounded output. */
#include <stdlib.h>
#include <string.h>

#include "text_test.h"

#define EMPTY_THOUGHT "<|channel>thought\n<channel|>"
#define MAX_IDS 256

typedef struct {
  const char *name;
  g4_chat_message msgs[4];
  int n_msgs;
  bool thinking;
  const char *prompt;           /* LARGE flavour, generation prompt included */
  const char *ids;              /* of prompt */
} chat_case;

static const chat_case cases[] = {
  { "capital", { { G4_ROLE_USER, "What is the capital of France?" } }, 1, false,
    "<bos><|turn>user\nWhat is the capital of France?<turn|>\n<|turn>model\n" EMPTY_THOUGHT,
    "2 105 2364 107 3689 563 506 5279 529 7001 236881 106 107 105 4368 107 100 45518 107 101" },
  { "capital+think", { { G4_ROLE_USER, "What is the capital of France?" } }, 1, true,
    "<bos><|turn>system\n<|think|>\n<turn|>\n<|turn>user\nWhat is the capital of France?<turn|>\n"
    "<|turn>model\n",
    "2 105 9731 107 98 107 106 107 105 2364 107 3689 563 506 5279 529 7001 236881 106 107 105 "
    "4368 107" },
  { "hi+think", { { G4_ROLE_USER, "Hi" } }, 1, true,
    "<bos><|turn>system\n<|think|>\n<turn|>\n<|turn>user\nHi<turn|>\n<|turn>model\n",
    "2 105 9731 107 98 107 106 107 105 2364 107 10979 106 107 105 4368 107" },
  { "multi", { { G4_ROLE_SYSTEM, "  You are terse.  " }, { G4_ROLE_USER, " Hello!\n" },
      { G4_ROLE_MODEL, "<|channel>thought\nThe user greets.<channel|>Hi there.  " },
      { G4_ROLE_USER, "Capital of France?" } }, 4, false,
    "<bos><|turn>system\nYou are terse.<turn|>\n<|turn>user\nHello!<turn|>\n<|turn>model\n"
    "Hi there.<turn|>\n<|turn>user\nCapital of France?<turn|>\n<|turn>model\n" EMPTY_THOUGHT,
    "2 105 9731 107 3048 659 17514 236761 106 107 105 2364 107 9259 236888 106 107 105 4368 107 "
    "10979 993 236761 106 107 105 2364 107 64753 529 7001 236881 106 107 105 4368 107 100 45518 "
    "107 101" },
  { "multi+think", { { G4_ROLE_SYSTEM, "  You are terse.  " }, { G4_ROLE_USER, " Hello!\n" },
      { G4_ROLE_MODEL, "<|channel>thought\nThe user greets.<channel|>Hi there.  " },
      { G4_ROLE_USER, "Capital of France?" } }, 4, true,
    "<bos><|turn>system\n<|think|>\nYou are terse.<turn|>\n<|turn>user\nHello!<turn|>\n"
    "<|turn>model\nHi there.<turn|>\n<|turn>user\nCapital of France?<turn|>\n<|turn>model\n",
    "2 105 9731 107 98 107 3048 659 17514 236761 106 107 105 2364 107 9259 236888 106 107 105 "
    "4368 107 10979 993 236761 106 107 105 2364 107 64753 529 7001 236881 106 107 105 4368 107" },
  { "media", { { G4_ROLE_USER, "<|image|>What is in this picture?" },
      { G4_ROLE_MODEL, "A cat." }, { G4_ROLE_USER, "Transcribe: <|audio|>" } }, 3, false,
    "<bos><|turn>user\n<|image|>What is in this picture?<turn|>\n<|turn>model\nA cat.<turn|>\n"
    "<|turn>user\nTranscribe: <|audio|><turn|>\n<|turn>model\n" EMPTY_THOUGHT,
    "2 105 2364 107 258880 3689 563 528 672 6083 236881 106 107 105 4368 107 236776 5866 236761 "
    "106 107 105 2364 107 5183 17038 236787 236743 258881 106 107 105 4368 107 100 45518 107 101" },
  { "strip", { { G4_ROLE_USER, "q" },
      { G4_ROLE_MODEL, " <|channel>thought\nA<channel|>Answer<channel|> tail <|channel>unterminated" },
      { G4_ROLE_USER, "\xE3\x80\x80" "again\xC2\xA0" } }, 3, false,
    "<bos><|turn>user\nq<turn|>\n<|turn>model\nAnswer tail<turn|>\n<|turn>user\nagain<turn|>\n"
    "<|turn>model\n" EMPTY_THOUGHT,
    "2 105 2364 107 236809 106 107 105 4368 107 7925 9743 106 107 105 2364 107 34179 106 107 105 "
    "4368 107 100 45518 107 101" },
};

/* The SMALL prompt: the LARGE one without the prefilled empty thought block. */
static size_t
small_prompt (const chat_case * c, char *out)
{
  size_t n = strlen (c->prompt), k = strlen (EMPTY_THOUGHT);
  if (!c->thinking && n >= k && strcmp (c->prompt + n - k, EMPTY_THOUGHT) == 0)
    n -= k;
  memcpy (out, c->prompt, n);
  out[n] = '\0';
  return n;
}

static void
check_render (const g4_vocab * v, const chat_case * c, g4_template_flavor flavor)
{
  char want_text[1024], got_text[1024];
  g4_token want[MAX_IDS], got[MAX_IDS];
  int n_want = test_parse_ids (c->ids, want, MAX_IDS);
  size_t n_text;
  if (flavor == G4_TEMPLATE_LARGE) {
    n_text = strlen (c->prompt);
    memcpy (want_text, c->prompt, n_text + 1);
  } else {
    n_text = small_prompt (c, want_text);
    if (!c->thinking)
      n_want -= 4;              /* 100 45518 107 101 */
  }
  size_t n = g4_chat_render (flavor, c->msgs, c->n_msgs, c->thinking, true, got_text,
      sizeof got_text);
  char what[64];
  snprintf (what, sizeof what, "%s (%s)", c->name, flavor == G4_TEMPLATE_LARGE ? "LARGE" : "SMALL");
  if (n != n_text || strcmp (got_text, want_text) != 0) {
    fprintf (stderr, "%s: rendered\n%s\nexpected\n%s\n", what, got_text, want_text);
    test_failures++;
    return;
  }
  /* T16 (docs/tokenizer-and-chat.md#encoding): the template carries <bos>, so
   * no BOS is added here. */
  int n_got = g4_tokenize (v, got_text, n, false, true, got, MAX_IDS);
  test_same_ids (what, got, n_got, want, n_want);
}

static void
check_bounds (void)
{
  const g4_chat_message m[] = { { G4_ROLE_USER, "Hi" } };
  const char *full = "<bos><|turn>user\nHi<turn|>\n<|turn>model\n";
  char buf[64];
  memset (buf, 'x', sizeof buf);
  CHECK (g4_chat_render (G4_TEMPLATE_SMALL, m, 1, false, true, buf, 10) == strlen (full));
  CHECK (strcmp (buf, "<bos><|tu") == 0 && buf[10] == 'x');
  CHECK (g4_chat_render (G4_TEMPLATE_SMALL, m, 1, false, true, NULL, 0) == strlen (full));
  CHECK (g4_chat_render (G4_TEMPLATE_LARGE, m, 1, false, false, buf, sizeof buf)
      == strlen ("<bos><|turn>user\nHi<turn|>\n"));
  CHECK (strcmp (buf, "<bos><|turn>user\nHi<turn|>\n") == 0);
  CHECK (g4_chat_render (G4_TEMPLATE_LARGE, NULL, 0, false, false, buf, sizeof buf) == 5
      && strcmp (buf, "<bos>") == 0);
  /* A NULL content renders as empty text. */
  const g4_chat_message empty[] = { { G4_ROLE_SYSTEM, NULL }, { G4_ROLE_USER, NULL } };
  CHECK (g4_chat_render (G4_TEMPLATE_SMALL, empty, 2, false, false, buf, sizeof buf) > 0);
  CHECK (strcmp (buf, "<bos><|turn>system\n<turn|>\n<|turn>user\n<turn|>\n") == 0);
}

static void
check_split (const char *raw, const char *answer, const char *thought)
{
  char a[128], t[128];
  g4_chat_split_thought (raw, a, sizeof a, t, sizeof t);
  if (strcmp (a, answer) != 0 || strcmp (t, thought) != 0) {
    fprintf (stderr, "split \"%s\": got answer \"%s\" thought \"%s\"\n", raw, a, t);
    test_failures++;
  }
}

static void
check_splits (void)
{
  check_split ("<|channel>thought\nThe user greets.<channel|>Hi there.  ", "Hi there.",
      "The user greets.");
  check_split ("  Plain answer\n", "Plain answer", "");
  check_split ("<|channel>thought\n<channel|>Answer", "Answer", "");
  check_split ("<|channel>thought\nA<channel|>Answer<channel|> tail <|channel>unterminated",
      "Answer tail", "A\nunterminated");
  check_split ("<|channel>No label here<channel|>Done", "Done", "No label here");
  check_split ("Answer<channel|>", "Answer", "");
  check_split ("", "", "");
  char a[6], t[1];
  g4_chat_split_thought ("h\xC3\xA9llo world", a, sizeof a, t, sizeof t);
  CHECK (strcmp (a, "h\xC3\xA9ll") == 0 && t[0] == '\0');
  g4_chat_split_thought ("x\xE2\x82\xAC", a, 3, t, sizeof t);   /* never cuts a character */
  CHECK (strcmp (a, "x") == 0);
  g4_chat_split_thought (NULL, a, sizeof a, NULL, 0);
  CHECK (a[0] == '\0');
}

static void
check_flavors (const g4_gguf * g)
{
  CHECK (g4_template_flavor_detect (NULL) == G4_TEMPLATE_SMALL);
  /* The E2B template writes a thought block only for tool-calling turns. */
  CHECK (g4_template_flavor_detect ("{{- '<|channel>thought\\n' + thinking_text + "
          "'\\n<channel|>' -}}{%- if add_generation_prompt -%}{{- '<|turn>model\\n' -}}") ==
      G4_TEMPLATE_SMALL);
  CHECK (g4_template_flavor_detect ("{{- '<|turn>model\\n' -}}{%- if not enable_thinking -%}"
          "{{- '<|channel>thought\\n<channel|>' -}}") == G4_TEMPLATE_LARGE);
  g4_gguf_str tmpl;
  g4_error err = { 0 };
  CHECK (g4_gguf_get_str (g, "tokenizer.chat_template", &tmpl, &err) == G4_OK);
  char *s = strndup (tmpl.ptr, tmpl.len);
  g4_template_flavor f = g4_template_flavor_detect (s);
  printf ("26B-A4B template (%zu bytes): %s\n", (size_t) tmpl.len,
      f == G4_TEMPLATE_LARGE ? "LARGE" : "SMALL");
  CHECK (f == G4_TEMPLATE_LARGE);
  free (s);
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 1, "VOCAB.gguf");
  g4_gguf *g;
  g4_vocab *v;
  test_open_vocab (argv[1], &g, &v);
  int n = (int) (sizeof cases / sizeof cases[0]);
  for (int i = 0; i < n; i++) {
    check_render (v, &cases[i], G4_TEMPLATE_LARGE);
    check_render (v, &cases[i], G4_TEMPLATE_SMALL);
  }
  printf ("chat render: %d conversations x 2 flavours checked against jinja2 + llama-tokenize\n", n);
  check_bounds ();
  check_splits ();
  check_flavors (g);
  g4_vocab_free (v);
  g4_gguf_close (g);
  return test_exit_status ();
}
