/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4-cli tokenize: ids of a text, comma-separated, as llama-tokenize prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: gemma4-cli tokenize -m MODEL.gguf -p TEXT [--no-bos] [--no-parse-special]\n"
    "Prints the token ids of TEXT comma-separated on one line. Special-token\n"
    "strings (<|turn>, <|image|>, ...) are parsed as tokens unless\n"
    "--no-parse-special. Works on vocab-only files.\n";

typedef struct {
  const char *text;
  bool bos, special;
} tokenize_opts;

static cli_opt_result
opt (const char *a, const char *v, void *user)
{
  tokenize_opts *t = user;
  if (!strcmp (a, "-p") || !strcmp (a, "--prompt")) {
    t->text = v;
    return CLI_VALUE;
  }
  if (!strcmp (a, "--no-bos") || !strcmp (a, "--no-parse-special")) {
    t->bos &= strcmp (a, "--no-bos") != 0;
    t->special &= strcmp (a, "--no-parse-special") != 0;
    return CLI_FLAG;
  }
  return CLI_UNKNOWN;
}

static int
run (int argc, char **argv)
{
  cli_model_opts o = { 0 };
  tokenize_opts t = {.bos = true,.special = true };
  if (cli_parse (&cmd_tokenize, argc, argv, &o, opt, &t))
    return 2;
  const char *text = t.text;
  if (!o.model || !text)
    return cli_usage_error (&cmd_tokenize, "-m MODEL and -p TEXT are required");
  g4_model *m = cli_load_model (o.model, true);
  if (!m)
    return 1;
  const g4_vocab *v = g4_model_get_vocab (m);
  if (!v) {
    fprintf (stderr, "gemma4-cli: %s has no tokenizer\n", o.model);
    g4_model_free (m);
    return 1;
  }
  size_t len = strlen (text);
  int cap = (int) len + 2;
  g4_token *ids = malloc (sizeof *ids * (size_t) cap);
  int n = ids ? g4_tokenize (v, text, len, t.bos, t.special, ids, cap) : -1;
  if (n < 0 || n > cap) {
    fprintf (stderr, "gemma4-cli: tokenization failed\n");
    free (ids);
    g4_model_free (m);
    return 1;
  }
  for (int i = 0; i < n; i++)
    printf ("%s%d", i ? "," : "", ids[i]);
  putchar ('\n');
  free (ids);
  g4_model_free (m);
  return 0;
}

const cli_command cmd_tokenize = { "tokenize", "print the token ids of a text", usage_text, run };
