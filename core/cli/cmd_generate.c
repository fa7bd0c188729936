/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4-cli generate: chat-formatted generation streamed to stdout, the
 * thought channel to stderr (or hidden). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: gemma4-cli generate -m MODEL.gguf -p PROMPT [-n N] [--system S] [--think]\n"
    "                           [--temp T] [--top-k K] [--top-p P] [--min-p P]\n"
    "                           [--repeat-penalty R] [--seed S] [--stop STR]...\n"
    "                           [--raw] [--hide-thought] [-t THREADS] [-c CTX]\n"
    "Renders PROMPT as a user turn with the model's chat format (thinking mode with\n"
    "--think) and streams the answer to stdout; the thought goes to stderr unless\n"
    "--hide-thought. --raw feeds PROMPT as it is (after <bos>). Defaults: greedy\n"
    "(--temp 0), -n 256, context 4096.\n";

#define MAX_STOP 8

typedef struct {
  bool hide_thought;
  bool thought_open;
  char last;                    /* the last byte of the answer written, 0 before one */
} stream_state;

/* Ends the output as a line: an open thought is closed, an answer that did
 * not end with a newline gets one. */
static void
end_output (stream_state * st)
{
  if (st->thought_open && !st->hide_thought)
    fputs ("\n[/thought]\n", stderr);
  st->thought_open = false;
  if (st->last && st->last != '\n')
    putchar ('\n');
  fflush (stdout);
}

static bool
on_piece (const char *text, int len, bool in_thought, void *user)
{
  stream_state *st = user;
  if (in_thought) {
    if (!st->hide_thought) {
      if (!st->thought_open)
        fputs ("[thought] ", stderr);
      fwrite (text, 1, (size_t) len, stderr);
    }
    st->thought_open = true;
    return true;
  }
  if (st->thought_open && !st->hide_thought)
    fputs ("\n[/thought]\n", stderr);
  st->thought_open = false;
  fwrite (text, 1, (size_t) len, stdout);
  if (len > 0)
    st->last = text[len - 1];
  fflush (stdout);
  return true;
}

typedef struct {
  const char *prompt, *system, *stop[MAX_STOP];
  int n_stop;
  bool think, raw, hide_thought;
  cli_gen_opts gen;
} generate_opts;

static cli_opt_result
opt (const char *a, const char *v, void *user)
{
  generate_opts *g = user;
  bool ok = true;
  const cli_opt_result r = cli_gen_opt (a, v, &g->gen);
  if (r != CLI_UNKNOWN)
    return r;
  if (!strcmp (a, "--think") || !strcmp (a, "--raw") || !strcmp (a, "--hide-thought")) {
    g->think |= !strcmp (a, "--think");
    g->raw |= !strcmp (a, "--raw");
    g->hide_thought |= !strcmp (a, "--hide-thought");
    return CLI_FLAG;
  }
  if (!strcmp (a, "-p") || !strcmp (a, "--prompt"))
    g->prompt = v;
  else if (!strcmp (a, "--system"))
    g->system = v;
  else if (!strcmp (a, "--top-k"))
    ok = cli_int (a, v, 0, 1 << 24, &g->gen.sampling.top_k);
  else if (!strcmp (a, "--top-p"))
    ok = cli_float (a, v, 1e-6f, 1.0f, &g->gen.sampling.top_p);
  else if (!strcmp (a, "--min-p"))
    ok = cli_float (a, v, 0.0f, 1.0f, &g->gen.sampling.min_p);
  else if (!strcmp (a, "--repeat-penalty"))
    ok = cli_float (a, v, 1e-3f, 100.0f, &g->gen.sampling.repeat_penalty);
  else if (!strcmp (a, "--stop")) {
    ok = g->n_stop < MAX_STOP;
    if (ok)
      g->stop[g->n_stop++] = v;
  } else
    return CLI_UNKNOWN;
  return ok ? CLI_VALUE : CLI_BAD;
}

static int
run (int argc, char **argv)
{
  cli_model_opts o = { 0 };
  generate_opts go = {.gen = {.max_tokens = 256,.sampling = g4_sampler_default_params ()} };
  go.gen.sampling.temperature = 0.0f;
  if (cli_parse (&cmd_generate, argc, argv, &o, opt, &go))
    return 2;
  const char *prompt = go.prompt, *system = go.system;
  const bool think = go.think, raw = go.raw;
  stream_state ss = {.hide_thought = go.hide_thought };
  if (!o.model || !prompt)
    return cli_usage_error (&cmd_generate, "-m MODEL and -p PROMPT are required");
  g4_model *m = cli_load_model (o.model, false);
  if (!m)
    return 1;
  const g4_vocab *vocab = g4_model_get_vocab (m);
  if (!vocab) {
    fprintf (stderr, "gemma4-cli: %s has no tokenizer; use 'logits' with token ids\n", o.model);
    g4_model_free (m);
    return 1;
  }
  char *text;
  if (raw) {
    text = malloc (strlen (prompt) + 6);
    if (text)
      sprintf (text, "<bos>%s", prompt);
  } else {
    g4_chat_message msgs[2];
    int nm = 0;
    if (system)
      msgs[nm++] = (g4_chat_message) {G4_ROLE_SYSTEM, system};
    msgs[nm++] = (g4_chat_message) {G4_ROLE_USER, prompt};
    g4_template_flavor fl = g4_model_template_flavor (m);
    size_t need = g4_chat_render (fl, msgs, nm, think, true, NULL, 0);
    text = malloc (need + 1);
    if (text)
      g4_chat_render (fl, msgs, nm, think, true, text, need + 1);
  }
  g4_prompt pr = { 0 };
  g4_error perr = { 0 };
  if (!text || g4_prompt_build (m, text, NULL, 0, &pr, &perr))
    fprintf (stderr, "gemma4-cli: %s\n", text ? perr.message : "out of memory");
  free (text);
  int rc = 1;
  g4_session *s = pr.n > 0 ? cli_new_session (m, &o, 0) : NULL;
  if (s) {
    g4_generate_params gp = {.max_tokens = go.gen.max_tokens,.stop = go.stop,.n_stop = go.n_stop,
      .sampling = go.gen.sampling,.on_piece = on_piece,.user = &ss
    };
    g4_generate_result res;
    g4_error err = { 0 };
    g4_batch b = {.n = pr.n,.tokens = pr.tokens };
    g4_status st = g4_generate (s, &b, &gp, &res, &err);
    end_output (&ss);
    if (st)
      fprintf (stderr, "gemma4-cli: %s\n", err.message);
    fprintf (stderr, "prompt: %d tokens, %.2f tok/s; generated: %d tokens, %.2f tok/s\n",
        res.n_prompt, res.prompt_seconds > 0 ? res.n_prompt / res.prompt_seconds : 0.0,
        res.n_generated, res.generate_seconds > 0 ? res.n_generated / res.generate_seconds : 0.0);
    rc = st ? 1 : 0;
  }
  g4_prompt_free (&pr);
  g4_session_free (s);
  g4_model_free (m);
  return rc;
}

const cli_command cmd_generate = { "generate", "generate a chat answer, streamed",
  usage_text, run
};
