/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4-cli bench: prompt-processing and generation throughput, like
 * llama-bench's pp/tg tests, and the vision and audio encoders' time for one
 * file (median of the repetitions), and peak RSS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "audio_input.h"
#include "cli.h"
#include "image_input.h"

static const char usage_text[] =
    "usage: gemma4-cli bench -m MODEL.gguf [-p 512] [-n 128] [-d 0] [-t THREADS] [-r REPS]\n"
    "                        [--parallel N] [--json]\n"
    "       gemma4-cli bench --mmproj MMPROJ.gguf --image IMAGE [--image-size native|budget]\n"
    "                        [--max-soft-tokens N] [--parallel N] [-t THREADS] [-r REPS] [--json]\n"
    "       gemma4-cli bench --mmproj MMPROJ.gguf --audio WAV [-t THREADS] [-r REPS] [--json]\n"
    "       (any of them with --profile)\n"
    "Measures prompt processing (one batch of -p tokens on an empty context) and\n"
    "generation (-n tokens one at a time) in tokens/s, or the time the vision or\n"
    "audio encoder takes for one file (-m may be given too: both are measured),\n"
    "the median of -r repetitions (default 3) after one warm-up, and the process's\n"
    "peak RSS. -d N: both start after N tokens already in the context (each\n"
    "sequence's, decoded untimed before each repetition), as llama-bench's -d.\n"
    "--parallel N (default 1) runs N sequences together, each pass\n"
    "holding all of them (N prompts, then one token of each): the speeds are\n"
    "aggregate tokens/s of all N; with --image, N copies of the image go through\n"
    "one encoder call (g4_image_encode_many) and the time is per image. With\n"
    "--json prints one object with the keys of\n"
    "what was measured:\n"
    "{\"pp_tokens_per_s\":...,\"tg_tokens_per_s\":...,\"parallel\":...,\"image_encode_ms\":...,\n"
    "\"image_tokens\":...,\"audio_encode_ms\":...,\"audio_tokens\":...,\"audio_seconds\":...,\n"
    "\"peak_rss_bytes\":...}\n"
    "--profile then runs each measured thing once more (a prompt, the generated\n"
    "tokens, an encoding) and prints where its time went by kind of step (each\n"
    "matrix product by weight type and shape, attention, norms, ..., thread\n"
    "wait), to stderr with --json.\n";

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
  qsort (v, (size_t) n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct {
  int n_pp, n_tg, n_depth, reps, parallel;
  bool json, profile;
  const char *mmproj, *image, *audio;
  cli_image_opts img;
} bench_opts;

static cli_opt_result
opt (const char *a, const char *v, void *user)
{
  bench_opts *b = user;
  if (!strcmp (a, "--json") || !strcmp (a, "--profile")) {
    *(a[2] == 'j' ? &b->json : &b->profile) = true;
    return CLI_FLAG;
  }
  cli_opt_result r = cli_image_opt (a, v, &b->img);
  if (r != CLI_UNKNOWN)
    return r;
  const char **path = !strcmp (a, "--mmproj") ? &b->mmproj : !strcmp (a, "--image") ? &b->image
      : !strcmp (a, "--audio") ? &b->audio : NULL;
  if (path) {
    *path = v;
    return v ? CLI_VALUE : CLI_BAD;
  }
  int *dst = !strcmp (a, "-p") ? &b->n_pp : !strcmp (a, "-n") ? &b->n_tg
      : !strcmp (a, "-d") ? &b->n_depth : !strcmp (a, "-r") ? &b->reps
      : !strcmp (a, "--parallel") ? &b->parallel : NULL;
  if (!dst)
    return CLI_UNKNOWN;
  const int lo = dst == &b->reps || dst == &b->parallel ? 1 : 0;
  const int hi = dst == &b->parallel ? 64 : 1 << 20;
  return cli_int (a, v, lo, hi, dst) ? CLI_VALUE : CLI_BAD;
}

/* Prints the steps recorded since g4_profile_enable, longest first, with
 * their share of wall seconds, and stops profiling. */
static void
print_profile (FILE * f, const char *what, double wall)
{
  g4_profile_entry e[96];
  const int n = g4_profile_get (e, 96);
  g4_profile_enable (false);
  fprintf (f, "profile of %s: %.1f ms\n%-48s %10s %8s %6s\n", what, wall * 1e3, "step", "ms",
      "calls", "%");
  for (int i = 0; i < n; i++)
    fprintf (f, "%-48s %10.2f %8lld %6.1f\n", e[i].kind, e[i].seconds * 1e3,
        (long long) e[i].calls, 100.0 * e[i].seconds / wall);
}

/* Medians of what was measured; negative: not measured. */
typedef struct {
  double pp, tg, image_ms, audio_ms, audio_seconds;
  int image_tokens, audio_tokens;
} bench_result;

/* The measured steps of bench_text on its n sessions: every prompt of n_pp
 * tokens decoded together, or n_tg tokens of each sequence one at a time,
 * all sequences in each pass; each after start_at_depth. */
typedef struct {
  g4_session **s;
  int n, n_depth, n_pp, n_tg;
  const g4_token *ids;          /* per sequence: n_depth + n_pp + n_tg tokens */
  float **logits;
  g4_batch *b;
} text_run;

/* Sequence i's tokens from k on. */
static const g4_token *
tokens_of (const text_run * t, int i, int k)
{
  return t->ids + (size_t) i * (t->n_depth + t->n_pp + t->n_tg) + k;
}

/* Empty contexts, then each sequence's n_depth first tokens (untimed). */
static g4_status
start_at_depth (text_run * t, g4_error * err)
{
  for (int i = 0; i < t->n; i++) {
    g4_session_reset (t->s[i]);
    t->b[i] = (g4_batch) {.n = t->n_depth,.tokens = tokens_of (t, i, 0) };
  }
  return t->n_depth > 0 ? g4_session_decode_many (t->s, t->b, t->n, t->logits, err) : G4_OK;
}

static g4_status
run_prompts (text_run * t, g4_error * err)
{
  for (int i = 0; i < t->n; i++)
    t->b[i] = (g4_batch) {.n = t->n_pp,.tokens = tokens_of (t, i, t->n_depth) };
  return g4_session_decode_many (t->s, t->b, t->n, t->logits, err);
}

static g4_status
run_tokens (text_run * t, g4_error * err)
{
  g4_status st = G4_OK;
  for (int k = 0; k < t->n_tg && st == G4_OK; k++) {
    for (int i = 0; i < t->n; i++)
      t->b[i] = (g4_batch) {.n = 1,.tokens = tokens_of (t, i, t->n_depth + t->n_pp + k) };
    st = g4_session_decode_many (t->s, t->b, t->n, t->logits, err);
  }
  return st;
}

/* Prompt processing and generation speed of the text model, in *res: with
 * --parallel N, N sequences decoded together (aggregate tokens/s). */
static int
bench_text (const cli_model_opts * o0, const bench_opts * bo, bench_result * res)
{
  cli_model_opts o = *o0;
  const int n_pp = bo->n_pp, n_tg = bo->n_tg, n_depth = bo->n_depth, reps = bo->reps;
  const int N = bo->parallel;
  g4_model *m = cli_load_model (o.model, false);
  if (!m)
    return 1;
  const g4_model_info *in = g4_model_get_info (m);
  if (o.n_ctx == 0)
    o.n_ctx = n_depth + (n_pp > n_tg ? n_pp : n_tg) + 1;
  text_run t = {.n = N,.n_depth = n_depth,.n_pp = n_pp,.n_tg = n_tg };
  t.s = calloc ((size_t) N, sizeof *t.s);
  t.logits = calloc ((size_t) N, sizeof *t.logits);
  t.b = calloc ((size_t) N, sizeof *t.b);
  g4_token *ids = malloc (sizeof *ids * (size_t) N * (n_depth + n_pp + n_tg));
  double *pp = calloc ((size_t) reps, sizeof *pp), *tg = calloc ((size_t) reps, sizeof *tg);
  int rc = 1;
  if (!t.s || !t.logits || !t.b || !ids || !pp || !tg)
    goto out;
  for (int i = 0; i < N; i++) {
    /* the first session's buffers serve the passes: room for every prompt */
    const int longest = n_pp > n_depth ? n_pp : n_depth;
    const int n_batch = (longest > 0 ? longest : 1) * (i == 0 ? N : 1);
    if (!(t.s[i] = cli_new_session (m, &o, n_batch))
        || !(t.logits[i] = malloc (sizeof (float) * (size_t) in->n_vocab)))
      goto out;
  }
  srand (42);
  for (int i = 0; i < N * (n_depth + n_pp + n_tg); i++)
    ids[i] = rand () % in->n_vocab;
  t.ids = ids;
  g4_error err = { 0 };
  rc = 0;
  /* one untimed warm-up pass pages the weights in, as llama-bench does */
  for (int r = -1; r < reps && rc == 0; r++) {
    double t0;
    if (n_pp > 0) {
      rc = start_at_depth (&t, &err) != G4_OK;
      t0 = now ();
      rc = rc || run_prompts (&t, &err) != G4_OK;
      if (r >= 0)
        pp[r] = (double) N * n_pp / (now () - t0);
    }
    rc = rc || start_at_depth (&t, &err) != G4_OK;
    t0 = now ();
    rc = rc || run_tokens (&t, &err) != G4_OK;
    if (r >= 0 && n_tg > 0)
      tg[r] = (double) N * n_tg / (now () - t0);
  }
  if (rc == 0 && bo->profile) {
    FILE *f = bo->json ? stderr : stdout;
    char what[64];
    if (n_pp > 0) {
      rc = start_at_depth (&t, &err) != G4_OK;
      g4_profile_enable (true);
      double t0 = now ();
      rc = rc || run_prompts (&t, &err) != G4_OK;
      snprintf (what, sizeof what, "pp%d", n_pp);
      print_profile (f, what, now () - t0);
    }
    rc = rc || start_at_depth (&t, &err) != G4_OK;
    g4_profile_enable (true);
    double t0 = now ();
    rc = rc || run_tokens (&t, &err) != G4_OK;
    snprintf (what, sizeof what, "tg%d", n_tg);
    if (n_tg > 0)
      print_profile (f, what, now () - t0);
    g4_profile_enable (false);
  }
  if (rc)
    fprintf (stderr, "gemma4-cli: %s\n", err.message);
  res->pp = n_pp > 0 ? median (pp, reps) : 0;
  res->tg = n_tg > 0 ? median (tg, reps) : 0;
out:
  for (int i = 0; t.s && i < N; i++) {
    g4_session_free (t.s[i]);
    free (t.logits[i]);
  }
  free (t.s);
  free (t.logits);
  free (t.b);
  free (pp);
  free (tg);
  free (ids);
  g4_model_free (m);
  return rc;
}

/* Encoder time of the image or audio file of bo, in *res. */
static int
bench_encoder (const cli_model_opts * o, const bench_opts * bo, bench_result * res)
{
  g4_error err = { 0 };
  g4_mmproj *mm;
  if (g4_mmproj_load (bo->mmproj, &mm, &err)) {
    fprintf (stderr, "gemma4-cli: %s\n", err.message);
    return 1;
  }
  const bool audio = bo->audio != NULL;
  if (audio ? !g4_mmproj_has_audio (mm) : !g4_mmproj_has_vision (mm)) {
    fprintf (stderr, "gemma4-cli: %s has no %s encoder\n", bo->mmproj, audio ? "audio" : "vision");
    g4_mmproj_free (mm);
    return 1;
  }
  cli_image img = { 0 };
  float *pcm = NULL;
  int64_t n_samples = 0;
  int n_tokens = -1;
  if (audio) {
    if ((pcm = cli_audio_read (bo->audio, &n_samples)))
      n_tokens = g4_audio_n_tokens (mm, n_samples);
  } else if (cli_image_read (bo->image, &img)) {
    n_tokens = g4_image_n_tokens (mm, img.width, img.height, bo->img.sizing,
        bo->img.max_soft_tokens);
  }
  /* with --parallel N, N copies of the image in each call */
  const int N = audio ? 1 : bo->parallel;
  const size_t rows = (size_t) n_tokens * g4_mmproj_n_embd (mm);
  float *out = n_tokens > 0 ? malloc (sizeof (float) * rows * N) : NULL;
  g4_image_item *items = calloc ((size_t) N, sizeof *items);
  const g4_image_view view = g4_image_view_rgb (img.rgb, img.width, img.height, 3 * img.width);
  for (int i = 0; out && items && i < N; i++)
    items[i] = (g4_image_item) {.img = &view,.sizing = bo->img.sizing,
      .max_soft_tokens = bo->img.max_soft_tokens,.out = out + rows * i };
  double *ms = calloc ((size_t) bo->reps, sizeof *ms);
  int rc = 1;
  if (n_tokens <= 0 && (pcm || img.rgb))
    fprintf (stderr, "gemma4-cli: %s gives no tokens\n", audio ? bo->audio : bo->image);
  if (out && ms && items) {
    rc = 0;
    /* with --profile, one more run after the timed ones */
    for (int r = -1; r < bo->reps + bo->profile && rc == 0; r++) {
      if (r == bo->reps)
        g4_profile_enable (true);
      double t0 = now ();
      if (audio)
        rc = g4_audio_encode (mm, pcm, n_samples, o->n_threads, NULL, out, &err) != G4_OK;
      else
        rc = g4_image_encode_many (mm, items, N, o->n_threads, &err) != G4_OK;
      if (r >= 0 && r < bo->reps)
        ms[r] = (now () - t0) * 1e3 / N;
      else if (r == bo->reps)
        print_profile (bo->json ? stderr : stdout, audio ? "audio encoding" : "image encoding",
            now () - t0);
    }
    if (rc)
      fprintf (stderr, "gemma4-cli: %s\n", err.message);
    if (audio) {
      res->audio_ms = median (ms, bo->reps);
      res->audio_tokens = n_tokens;
      res->audio_seconds = (double) n_samples / G4_AUDIO_SAMPLE_RATE;
    } else {
      res->image_ms = median (ms, bo->reps);
      res->image_tokens = n_tokens;
    }
  }
  free (ms);
  free (out);
  free (items);
  free (pcm);
  cli_image_free (&img);
  g4_mmproj_free (mm);
  return rc;
}

static int
run (int argc, char **argv)
{
  cli_model_opts o = { 0 };
  bench_opts bo = {.n_pp = 512,.n_tg = 128,.reps = 3,.parallel = 1 };
  if (cli_parse (&cmd_bench, argc, argv, &o, opt, &bo))
    return 2;
  if (!o.model && !bo.mmproj)
    return cli_usage_error (&cmd_bench, "-m MODEL or --mmproj MMPROJ is required");
  if (bo.mmproj && !bo.image == !bo.audio)
    return cli_usage_error (&cmd_bench, "--mmproj needs one of --image IMAGE or --audio WAV");
  if (!bo.mmproj && (bo.image || bo.audio))
    return cli_usage_error (&cmd_bench, "--image and --audio need --mmproj MMPROJ");
  bench_result res = {.pp = -1,.tg = -1,.image_ms = -1,.audio_ms = -1 };
  int rc = 0;
  if (o.model)
    rc = bench_text (&o, &bo, &res);
  if (!rc && bo.mmproj)
    rc = bench_encoder (&o, &bo, &res);
  if (rc)
    return rc;
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  long long rss = (long long) ru.ru_maxrss * 1024;
  int threads = o.n_threads ? o.n_threads : (int) sysconf (_SC_NPROCESSORS_ONLN);
  if (bo.json) {
    printf ("{");
    if (o.model)
      printf ("\"pp_tokens_per_s\":%.3f,\"tg_tokens_per_s\":%.3f,\"n_prompt\":%d,\"n_gen\":%d,"
          "\"n_depth\":%d,\"parallel\":%d,", res.pp, res.tg, bo.n_pp, bo.n_tg, bo.n_depth,
          bo.parallel);
    if (res.image_ms >= 0)
      printf ("\"image_encode_ms\":%.3f,\"image_tokens\":%d,\"images_per_call\":%d,",
          res.image_ms, res.image_tokens, bo.parallel);
    if (res.audio_ms >= 0)
      printf ("\"audio_encode_ms\":%.3f,\"audio_tokens\":%d,\"audio_seconds\":%.3f,",
          res.audio_ms, res.audio_tokens, res.audio_seconds);
    printf ("\"peak_rss_bytes\":%lld,\"threads\":%d,\"reps\":%d}\n", rss, threads, bo.reps);
  } else {
    printf ("threads: %d, reps: %d\n", threads, bo.reps);
    if (o.model)
      printf ("model: %s\nparallel: %d\npp%d @ d%d: %.2f tokens/s\ntg%d @ d%d: %.2f tokens/s\n",
          o.model, bo.parallel, bo.n_pp, bo.n_depth, res.pp, bo.n_tg, bo.n_depth, res.tg);
    if (res.image_ms >= 0)
      printf ("image: %s\nimage encode: %.1f ms, %d tokens (%d images per call)\n", bo.image,
          res.image_ms, res.image_tokens, bo.parallel);
    if (res.audio_ms >= 0)
      printf ("audio: %s (%.2f s)\naudio encode: %.1f ms, %d tokens\n", bo.audio,
          res.audio_seconds, res.audio_ms, res.audio_tokens);
    printf ("peak RSS: %.1f MiB\n", rss / 1048576.0);
  }
  return 0;
}

const cli_command cmd_bench = { "bench", "measure prompt, generation and encoder speed", usage_text, run };
