/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4-cli: the command line tool for files, benchmarks and checks.
 * Dispatches to one subcommand per file (cmd_*.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_config.h"
#include "error.h"
#include "kernels.h"

static const cli_command *commands[] = {
  &cmd_info, &cmd_tokenize, &cmd_logits, &cmd_generate, &cmd_bench, &cmd_embed, &cmd_transcribe,
  &cmd_describe, &cmd_caption,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void
usage (FILE * f)
{
  fprintf (f, "usage: gemma4-cli COMMAND [OPTIONS]   (gemma4-cli COMMAND --help for details)\n"
      "       gemma4-cli --version\n\ncommands:\n");
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf (f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
}

bool
cli_int (const char *opt, const char *s, long min, long max, int *out)
{
  char *end;
  long v = s ? strtol (s, &end, 10) : 0;
  if (!s || *s == '\0' || *end != '\0' || v < min || v > max) {
    fprintf (stderr, "gemma4-cli: %s expects an integer in [%ld, %ld], got '%s'\n", opt, min,
        max, s ? s : "");
    return false;
  }
  *out = (int) v;
  return true;
}

bool
cli_float (const char *opt, const char *s, float min, float max, float *out)
{
  char *end;
  float v = s ? strtof (s, &end) : 0;
  if (!s || *s == '\0' || *end != '\0' || !(v >= min && v <= max)) {
    fprintf (stderr, "gemma4-cli: %s expects a number in [%g, %g], got '%s'\n", opt, min, max,
        s ? s : "");
    return false;
  }
  *out = v;
  return true;
}

int
cli_usage_error (const cli_command * c, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  fprintf (stderr, "gemma4-cli %s: ", c->name);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fprintf (stderr, "\n%s", c->usage);
  return 2;
}

static cli_opt_result
model_opt (const char *a, const char *v, cli_model_opts * o)
{
  if (!strcmp (a, "-m") || !strcmp (a, "--model")) {
    o->model = v;
    return CLI_VALUE;
  }
  if (!strcmp (a, "-t") || !strcmp (a, "--threads"))
    return cli_int (a, v, 1, 1024, &o->n_threads) ? CLI_VALUE : CLI_BAD;
  if (!strcmp (a, "-c") || !strcmp (a, "--ctx-size"))
    return cli_int (a, v, 1, 1 << 24, &o->n_ctx) ? CLI_VALUE : CLI_BAD;
  if (!strcmp (a, "--kv-type")) {
    if (v && (!strcmp (v, "f16") || !strcmp (v, "f32"))) {
      o->kv_type = !strcmp (v, "f16") ? G4_KV_F16 : G4_KV_F32;
      return CLI_VALUE;
    }
    fprintf (stderr, "gemma4-cli: --kv-type expects f16 or f32\n");
    return CLI_BAD;
  }
  return CLI_UNKNOWN;
}

int
cli_parse (const cli_command * c, int argc, char **argv, cli_model_opts * o,
    cli_opt_fn fn, void *user)
{
  for (int i = 1; i < argc;) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    cli_opt_result r = model_opt (a, v, o);
    if (r == CLI_UNKNOWN && fn)
      r = fn (a, v, user);
    if (r == CLI_UNKNOWN)
      return cli_usage_error (c, "unknown option '%s'", a);
    if (r == CLI_VALUE && !v)
      return cli_usage_error (c, "%s needs a value", a);
    if (r == CLI_BAD)
      return cli_usage_error (c, "bad value for %s: '%s'", a, v ? v : "");
    i += r == CLI_VALUE ? 2 : 1;
  }
  return 0;
}

g4_model *
cli_load_model (const char *path, bool vocab_only)
{
  g4_error err = { 0 };
  g4_model *m = NULL;
  g4_model_params mp = {.vocab_only = vocab_only };
  if (g4_model_load (path, &mp, &m, &err)) {
    fprintf (stderr, "gemma4-cli: cannot load model: %s\n", err.message);
    return NULL;
  }
  return m;
}

g4_session *
cli_new_session (const g4_model * m, const cli_model_opts * o, int n_batch)
{
  g4_error err = { 0 };
  g4_session_params sp = g4_session_default_params ();
  sp.n_threads = o->n_threads;
  sp.n_ctx = o->n_ctx;
  sp.kv_type = o->kv_type;
  sp.n_batch = n_batch;
  g4_session *s = NULL;
  if (g4_session_new (m, &sp, &s, &err)) {
    fprintf (stderr, "gemma4-cli: cannot create session: %s\n", err.message);
    return NULL;
  }
  return s;
}

cli_opt_result
cli_image_opt (const char *a, const char *v, cli_image_opts * o)
{
  if (!strcmp (a, "--image-size")) {
    if (!v || (strcmp (v, "native") && strcmp (v, "budget"))) {
      fprintf (stderr, "gemma4-cli: --image-size expects native or budget\n");
      return CLI_BAD;
    }
    o->sizing = !strcmp (v, "budget") ? G4_IMAGE_BUDGET : G4_IMAGE_NATIVE;
    return CLI_VALUE;
  }
  if (!strcmp (a, "--max-soft-tokens"))
    return cli_int (a, v, 1, 65536, &o->max_soft_tokens) ? CLI_VALUE : CLI_BAD;
  return CLI_UNKNOWN;
}

cli_opt_result
cli_gen_opt (const char *a, const char *v, cli_gen_opts * o)
{
  int seed = 0;
  bool ok;
  if (!strcmp (a, "--temp"))
    ok = cli_float (a, v, 0.0f, 100.0f, &o->sampling.temperature);
  else if (!strcmp (a, "--seed")) {
    ok = cli_int (a, v, 0, 0x7fffffff, &seed);
    o->sampling.seed = (uint64_t) seed;
  } else if (!strcmp (a, "-n"))
    ok = cli_int (a, v, 1, 1 << 20, &o->max_tokens);
  else
    return CLI_UNKNOWN;
  return ok ? CLI_VALUE : CLI_BAD;
}

cli_opt_result
cli_vision_opt (const char *a, const char *v, cli_vision_opts * o)
{
  cli_opt_result r;
  if (a[0] != '-' && !o->file) {
    o->file = a;
    return CLI_FLAG;
  }
  if ((r = cli_image_opt (a, v, &o->img)) != CLI_UNKNOWN
      || (r = cli_gen_opt (a, v, &o->gen)) != CLI_UNKNOWN)
    return r;
  if (!strcmp (a, "--mmproj"))
    o->mmproj = v;
  else if (!strcmp (a, "-p") || !strcmp (a, "--prompt"))
    o->prompt = v;
  else
    return CLI_UNKNOWN;
  return CLI_VALUE;
}

bool
cli_load_mm (const char *model_path, const char *mmproj_path, bool audio, g4_model ** m,
    g4_mmproj ** mm)
{
  g4_error err = { 0 };
  *m = NULL;
  if (g4_mmproj_load (mmproj_path, mm, &err)) {
    fprintf (stderr, "gemma4-cli: cannot load mmproj: %s\n", err.message);
    return false;
  }
  if (!(audio ? g4_mmproj_has_audio (*mm) : g4_mmproj_has_vision (*mm)))
    fprintf (stderr, "gemma4-cli: %s has no %s encoder (use the mmproj file of a Gemma 4 %s"
        "model)\n", mmproj_path, audio ? "audio" : "vision", audio ? "E2B or E4B " : "");
  else if ((*m = cli_load_model (model_path, false))) {
    if (!g4_model_get_vocab (*m))
      fprintf (stderr, "gemma4-cli: %s has no tokenizer: it cannot write text\n", model_path);
    else if (g4_model_get_info (*m)->n_embd != g4_mmproj_n_embd (*mm))
      fprintf (stderr, "gemma4-cli: the text model's width is %d but the mmproj file's is %d\n",
          g4_model_get_info (*m)->n_embd, g4_mmproj_n_embd (*mm));
    else
      return true;
  }
  g4_model_free (*m);
  g4_mmproj_free (*mm);
  *m = NULL;
  *mm = NULL;
  return false;
}

bool
cli_text_piece (const char *text, int len, bool in_thought, void *user)
{
  cli_text *t = user;
  if (in_thought)
    return true;
  if (t->len + (size_t) len + 1 > t->cap) {
    size_t c = t->cap ? t->cap : 256;
    while (c < t->len + (size_t) len + 1)
      c *= 2;
    char *s = realloc (t->s, c);
    if (!s)
      return false;
    t->s = s;
    t->cap = c;
  }
  memcpy (t->s + t->len, text, (size_t) len);
  t->len += (size_t) len;
  t->s[t->len] = '\0';
  if (t->echo) {
    fwrite (text, 1, (size_t) len, stdout);
    fflush (stdout);
  }
  return true;
}

void
cli_text_clear (cli_text * t)
{
  t->len = 0;
  if (t->s)
    t->s[0] = '\0';
}

void
cli_squeeze_spaces (char *s)
{
  char *w = s;
  bool space = true;
  for (const char *r = s; *r; r++) {
    const bool is_space = *r == ' ' || *r == '\n' || *r == '\r' || *r == '\t';
    if (is_space && !space)
      *w++ = ' ';
    else if (!is_space)
      *w++ = *r;
    space = is_space;
  }
  if (w > s && w[-1] == ' ')
    w--;
  *w = '\0';
}

FILE *
cli_open_output (const char *path)
{
  FILE *f = fopen (path, "wb");
  if (!f)
    fprintf (stderr, "gemma4-cli: cannot write %s: %s\n", path, strerror (errno));
  return f;
}

bool
cli_close_output (FILE * f, const char *path)
{
  /* a full disk shows at the write or only at the close: either is reported */
  int why = ferror (f) ? (errno ? errno : EIO) : 0;
  if (fclose (f) != 0 && !why)
    why = errno;
  if (why)
    fprintf (stderr, "gemma4-cli: cannot write %s: %s\n", path, strerror (why));
  return why == 0;
}

bool
cli_write_rows (const char *path, const float *x, int row_len, int n_rows)
{
  FILE *f = cli_open_output (path);
  if (!f)
    return false;
  fwrite (x, sizeof (float) * (size_t) row_len, (size_t) n_rows, f);
  return cli_close_output (f, path);
}

void
cli_format_hms (int64_t ms, char sep, char *out, size_t size)
{
  const long long t = ms > 0 ? ms : 0;
  snprintf (out, size, "%02lld:%02lld:%02lld%c%03lld", t / 3600000, t / 60000 % 60, t / 1000 % 60,
      sep, t % 1000);
}

void
cli_srt_block (FILE * f, int n, int64_t start_ms, int64_t end_ms, const char *text)
{
  char t0[32], t1[32];
  cli_format_hms (start_ms, ',', t0, sizeof t0);
  cli_format_hms (end_ms, ',', t1, sizeof t1);
  fprintf (f, "%d\n%s --> %s\n%s\n\n", n, t0, t1, text);
}

g4_status
cli_generate_media (g4_session * s, const g4_model * m, const char *content,
    const g4_media * media, int n_media, const g4_generate_params * p, g4_error * err)
{
  const g4_chat_message msg = { G4_ROLE_USER, content };
  const g4_template_flavor fl = g4_model_template_flavor (m);
  const size_t need = g4_chat_render (fl, &msg, 1, false, true, NULL, 0);
  char *text = malloc (need + 1);
  g4_prompt pr = { 0 };
  g4_status st;
  if (!text)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  g4_chat_render (fl, &msg, 1, false, true, text, need + 1);
  st = g4_prompt_build (m, text, media, n_media, &pr, err);
  free (text);
  if (!st) {
    g4_generate_result res;
    g4_session_reset (s);
    st = g4_generate (s, &(g4_batch) {.n = pr.n,.tokens = pr.tokens,.embd = pr.embd,
        .embd_mask = pr.embd_mask,.bidirectional = pr.bidirectional}, p, &res, err);
    if (st == G4_STATUS_CONTEXT_FULL && res.n_generated > 0) {
      fprintf (stderr, "gemma4-cli: %s (the answer is cut: raise -c)\n", err->message);
      st = G4_OK;
    } else if (st == G4_STATUS_CONTEXT_FULL) {
      char why[sizeof err->message];
      snprintf (why, sizeof why, "%s", err->message);
      err->code = G4_OK;        /* g4_set_error keeps a first error */
      g4_set_error (err, st, "the prompt does not fit the context (raise -c): %s", why);
    }
  }
  g4_prompt_free (&pr);
  return st;
}

int
main (int argc, char **argv)
{
  if (argc < 2 || !strcmp (argv[1], "-h") || !strcmp (argv[1], "--help")) {
    usage (argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!strcmp (argv[1], "-V") || !strcmp (argv[1], "--version")) {
    printf ("gemma4-cli (gst-gemma4) %s\nkernels: %s (running: %s)\n", G4_VERSION,
        G4_KERNEL_ISAS, g4_isa_name (g4_kernels_isa ()));
    return 0;
  }
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (!strcmp (argv[1], commands[i]->name)) {
      for (int j = 2; j < argc; j++)
        if (!strcmp (argv[j], "-h") || !strcmp (argv[j], "--help")) {
          fputs (commands[i]->usage, stdout);
          return 0;
        }
      return commands[i]->run (argc - 1, argv + 1);
    }
  fprintf (stderr, "gemma4-cli: unknown command '%s'\n", argv[1]);
  usage (stderr);
  return 2;
}
