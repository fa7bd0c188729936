/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4-cli logits: float32 logits of every position of a token sequence,
 * n_tokens x n_vocab, row = position (the layout of the reference fixtures). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: gemma4-cli logits -m MODEL.gguf --tokens 2,5,7 -o OUT.f32\n"
    "                         [-t THREADS] [-c CTX] [--kv-type f16|f32] [--batch N]\n"
    "Writes float32 logits of every position (n_tokens x n_vocab, row = position,\n"
    "little endian). The KV cache defaults to f32 here, as the reference fixtures use.\n";

static int
parse_tokens (const char *s, g4_token ** out)
{
  int cap = 1;
  for (const char *p = s; *p; p++)
    cap += *p == ',';
  g4_token *ids = malloc (sizeof *ids * (size_t) cap);
  int n = 0;
  const char *p = s;
  while (ids && *p) {
    char *end;
    long v = strtol (p, &end, 10);
    if (end == p || v < 0 || v > INT32_MAX || (*end != ',' && *end != '\0')) {
      free (ids);
      return -1;
    }
    ids[n++] = (g4_token) v;
    p = *end ? end + 1 : end;
  }
  *out = ids;
  return ids ? n : -1;
}

typedef struct {
  const char *tokens, *out;
  int n_batch;
} logits_opts;

static cli_opt_result
opt (const char *a, const char *v, void *user)
{
  logits_opts *l = user;
  if (!strcmp (a, "--tokens"))
    l->tokens = v;
  else if (!strcmp (a, "-o"))
    l->out = v;
  else if (!strcmp (a, "--batch"))
    return cli_int (a, v, 1, 1 << 20, &l->n_batch) ? CLI_VALUE : CLI_BAD;
  else
    return CLI_UNKNOWN;
  return CLI_VALUE;
}

static int
run (int argc, char **argv)
{
  cli_model_opts o = {.kv_type = G4_KV_F32 };
  logits_opts lo = { 0 };
  if (cli_parse (&cmd_logits, argc, argv, &o, opt, &lo))
    return 2;
  const char *toks = lo.tokens, *outp = lo.out;
  if (!o.model || !toks || !outp)
    return cli_usage_error (&cmd_logits, "-m, --tokens and -o are required");
  g4_token *ids;
  int n = parse_tokens (toks, &ids);
  if (n < 1)
    return cli_usage_error (&cmd_logits, "--tokens expects comma-separated non-negative ids");
  g4_model *m = cli_load_model (o.model, false);
  if (!m) {
    free (ids);
    return 1;
  }
  if (o.n_ctx == 0)
    o.n_ctx = n;
  g4_session *s = cli_new_session (m, &o, lo.n_batch);
  const int V = s ? g4_model_get_info (m)->n_vocab : 0;
  float *logits = s ? malloc (sizeof (float) * (size_t) n * V) : NULL;
  bool *want = malloc (sizeof (bool) * (size_t) n);
  int rc = 1;
  g4_error err = { 0 };
  if (logits && want) {
    for (int i = 0; i < n; i++)
      want[i] = true;
    g4_batch b = {.n = n, .tokens = ids, .want_logits = want };
    if (g4_session_decode (s, &b, logits, &err)) {
      fprintf (stderr, "gemma4-cli: %s\n", err.message);
    } else if (cli_write_rows (outp, logits, V, n)) {
      rc = 0;
      fprintf (stderr, "wrote %d x %d logits to %s\n", n, V, outp);
    }
  }
  free (want);
  free (logits);
  free (ids);
  g4_session_free (s);
  g4_model_free (m);
  return rc;
}

const cli_command cmd_logits = { "logits", "write the logits of every position of a token sequence",
  usage_text, run
};
