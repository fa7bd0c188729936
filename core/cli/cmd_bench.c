/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4-cli bench: prompt-processing and generation throughput, like
 * llama-bench's pp/tg tests (median of the repetitions), and peak RSS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char usage_text[] =
    "usage: gemma4-cli bench -m MODEL.gguf [-p 512] [-n 128] [-t THREADS] [-r REPS] [--json]\n"
    "Measures prompt processing (one batch of -p tokens on an empty context) and\n"
    "generation (-n tokens one at a time) in tokens/s, the median of -r repetitions\n"
    "(default 3), and the process's peak RSS. With --json prints one object:\n"
    "{\"pp_tokens_per_s\":...,\"tg_tokens_per_s\":...,\"peak_rss_bytes\":...}\n";

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
  int n_pp, n_tg, reps;
  bool json;
} bench_opts;

static cli_opt_result
opt (const char *a, const char *v, void *user)
{
  bench_opts *b = user;
  if (!strcmp (a, "--json")) {
    b->json = true;
    return CLI_FLAG;
  }
  int *dst = !strcmp (a, "-p") ? &b->n_pp : !strcmp (a, "-n") ? &b->n_tg : !strcmp (a, "-r") ? &b->reps : NULL;
  if (!dst)
    return CLI_UNKNOWN;
  return cli_int (a, v, dst == &b->reps ? 1 : 0, 1 << 20, dst) ? CLI_VALUE : CLI_BAD;
}

static int
run (int argc, char **argv)
{
  cli_model_opts o = { 0 };
  bench_opts bo = {.n_pp = 512,.n_tg = 128,.reps = 3 };
  if (cli_parse (&cmd_bench, argc, argv, &o, opt, &bo))
    return 2;
  const int n_pp = bo.n_pp, n_tg = bo.n_tg, reps = bo.reps;
  const bool json = bo.json;
  if (!o.model)
    return cli_usage_error (&cmd_bench, "-m MODEL is required");
  g4_model *m = cli_load_model (o.model, false);
  if (!m)
    return 1;
  const g4_model_info *in = g4_model_get_info (m);
  if (o.n_ctx == 0)
    o.n_ctx = (n_pp > n_tg ? n_pp : n_tg) + 1;
  g4_session *s = cli_new_session (m, &o, n_pp > 0 ? n_pp : 1);
  g4_token *ids = malloc (sizeof *ids * (size_t) (n_pp + n_tg + 1));
  float *logits = malloc (sizeof (float) * (size_t) in->n_vocab);
  double *pp = calloc ((size_t) reps, sizeof *pp), *tg = calloc ((size_t) reps, sizeof *tg);
  if (!s || !ids || !logits || !pp || !tg) {
    g4_model_free (m);
    return 1;
  }
  srand (42);
  for (int i = 0; i < n_pp + n_tg + 1; i++)
    ids[i] = rand () % in->n_vocab;
  g4_error err = { 0 };
  int rc = 0;
  /* one untimed warm-up pass pages the weights in, as llama-bench does */
  for (int r = -1; r < reps && rc == 0; r++) {
    if (n_pp > 0) {
      g4_session_reset (s);
      g4_batch b = {.n = n_pp,.tokens = ids };
      double t0 = now ();
      rc = g4_session_decode (s, &b, logits, &err) != G4_OK;
      if (r >= 0)
        pp[r] = n_pp / (now () - t0);
    }
    g4_session_reset (s);
    double t0 = now ();
    for (int i = 0; i < n_tg && rc == 0; i++) {
      g4_batch b = {.n = 1,.tokens = ids + n_pp + i };
      rc = g4_session_decode (s, &b, logits, &err) != G4_OK;
    }
    if (r >= 0 && n_tg > 0)
      tg[r] = n_tg / (now () - t0);
  }
  if (rc) {
    fprintf (stderr, "gemma4-cli: %s\n", err.message);
  } else {
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    long long rss = (long long) ru.ru_maxrss * 1024;
    double pp_m = n_pp > 0 ? median (pp, reps) : 0, tg_m = n_tg > 0 ? median (tg, reps) : 0;
    int threads = o.n_threads ? o.n_threads : (int) sysconf (_SC_NPROCESSORS_ONLN);
    if (json)
      printf ("{\"pp_tokens_per_s\":%.3f,\"tg_tokens_per_s\":%.3f,\"peak_rss_bytes\":%lld,"
          "\"n_prompt\":%d,\"n_gen\":%d,\"threads\":%d,\"reps\":%d}\n", pp_m, tg_m, rss, n_pp,
          n_tg, threads, reps);
    else
      printf ("model: %s\nthreads: %d, reps: %d\npp%d: %.2f tokens/s\ntg%d: %.2f tokens/s\n"
          "peak RSS: %.1f MiB\n", o.model, threads, reps, n_pp, pp_m, n_tg, tg_m,
          rss / 1048576.0);
  }
  free (pp);
  free (tg);
  free (ids);
  free (logits);
  g4_session_free (s);
  g4_model_free (m);
  return rc;
}

const cli_command cmd_bench = { "bench", "measure prompt and generation speed", usage_text, run };
