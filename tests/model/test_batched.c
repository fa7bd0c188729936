/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Batched decoding gives, bit for bit, what the same sequences give decoded
 * one at a time (the tolerance is zero: every row of a pass is computed the
 * same whatever the other rows are):
 * - g4_session_decode_many over a prompt from an empty context, a one-token
 *   decode after a prefill, a prompt with image (bidirectional) and audio
 *   rows, and a long prompt split over passes by its session's small n_batch,
 *   then one more token each: logits and positions equal;
 * - g4_generation_step over generations with different prompt lengths,
 *   image and audio rows, chunked prefill mixed with decoding, joining at
 *   different steps, finishing at different times (max tokens), greedy and
 *   seeded sampling, one cancelled mid-batch: the others' outputs equal their
 *   runs alone, and a chunked prefill equals g4_generate's whole one;
 * - bad calls: the same session twice, a bad token in one batch (nothing is
 *   decoded);
 * - prefix reuse (g4_generate_params.reuse_prefix): a prompt whose head
 *   (before its media) is the previous job's keeps those positions and gives
 *   what a fresh session gives; when the sliding layers' ring no longer holds
 *   the window before the head, nothing is kept (same result);
 * - the prefix cache (g4_generate_params.prefix_cache): a head computed by
 *   one session is copied into another session's (other batch size) and
 *   gives what computing it gives; a head a ring wrapped over is not
 *   stored; heads of another model or KV type, and a head longer than the
 *   prompt's, are not loaded; the least recently used head goes first.
 * usage: test_batched MODEL.gguf (the real-vocabulary model) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemma4.h"
#include "test_util.h"

static g4_model *model;
static int V, d;

static g4_session *
new_session_kv (int n_batch, volatile int *cancel, g4_kv_type kv)
{
  g4_session_params sp = g4_session_default_params ();
  sp.n_ctx = 256;
  sp.n_batch = n_batch;
  sp.cancel = cancel;
  sp.kv_type = kv;
  g4_session *s = NULL;
  g4_error err = { 0 };
  if (g4_session_new (model, &sp, &s, &err))
    printf ("session: %s\n", err.message);
  return s;
}

static g4_session *
new_session (int n_batch, volatile int *cancel)
{
  return new_session_kv (n_batch, cancel, g4_session_default_params ().kv_type);
}

/* A prompt of n positions: tokens, with optional media rows at [m0, m0+nm). */
typedef struct {
  int n;
  g4_token tok[96];
  float *embd;
  bool mask[96], bidi[96];
} prompt;

static void
make_prompt (prompt * p, int n, int seed, int m0, int nm, bool image)
{
  memset (p, 0, sizeof *p);
  p->n = n;
  p->tok[0] = 2;
  for (int i = 1; i < n; i++)
    p->tok[i] = 1000 + (seed * 7919 + i * 104729) % 200000;
  if (nm > 0) {
    p->embd = calloc ((size_t) n * d, sizeof (float));
    for (int i = m0; i < m0 + nm; i++) {
      p->mask[i] = true;
      p->bidi[i] = image;
      for (int c = 0; c < d; c++)
        p->embd[(size_t) i * d + c] = 0.5f * sinf (0.37f * (float) (c + 13 * i + seed));
    }
  }
}

static g4_batch
batch_of (const prompt * p)
{
  return (g4_batch) {.n = p->n,.tokens = p->tok,.embd = p->embd,
    .embd_mask = p->embd ? p->mask : NULL,.bidirectional = p->embd ? p->bidi : NULL };
}

/* ---- g4_session_decode_many ---------------------------------------------- */

enum { N_SEQ = 4 };
static prompt pre[N_SEQ], step1[N_SEQ];

/* The sessions of one run, with what each held before. */
static void
setup (g4_session ** s)
{
  g4_error err = { 0 };
  for (int i = 0; i < N_SEQ; i++) {
    s[i] = new_session (i == 3 ? 16 : 0, NULL);
    if (i == 1) {
      float *lg = malloc (sizeof (float) * (size_t) V);
      prompt held;
      make_prompt (&held, 11, 99, 0, 0, false);
      g4_batch hb = batch_of (&held);
      CHECK (g4_session_decode (s[i], &hb, lg, &err) == G4_OK, "hold: %s", err.message);
      free (lg);
    }
  }
}

static void
check_decode_many (void)
{
  make_prompt (&pre[0], 23, 1, 0, 0, false);
  make_prompt (&pre[1], 1, 2, 0, 0, false);
  make_prompt (&pre[2], 30, 3, 4, 6, true);
  for (int i = 20; i < 25; i++) {       /* audio rows after the image */
    pre[2].mask[i] = true;
    for (int c = 0; c < d; c++)
      pre[2].embd[(size_t) i * d + c] = 0.25f * cosf (0.11f * (float) (c + i));
  }
  make_prompt (&pre[3], 40, 4, 0, 0, false);
  for (int i = 0; i < N_SEQ; i++)
    make_prompt (&step1[i], 1, 10 + i, 0, 0, false);
  bool want2[96] = { 0 };
  want2[27] = want2[28] = want2[29] = true;
  const int n_out[N_SEQ] = { 1, 1, 3, 1 };

  g4_session *a[N_SEQ], *b[N_SEQ];
  setup (a);
  setup (b);
  float *la[N_SEQ], *lb[N_SEQ];
  g4_batch ba[N_SEQ];
  for (int i = 0; i < N_SEQ; i++) {
    la[i] = malloc (sizeof (float) * (size_t) V * 3);
    lb[i] = malloc (sizeof (float) * (size_t) V * 3);
    ba[i] = batch_of (&pre[i]);
  }
  ba[2].want_logits = want2;
  g4_error err = { 0 };
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < N_SEQ; i++) {
      g4_batch one = round ? batch_of (&step1[i]) : ba[i];
      CHECK (g4_session_decode (a[i], &one, la[i], &err) == G4_OK, "alone %d: %s", i, err.message);
    }
    g4_batch bb[N_SEQ];
    for (int i = 0; i < N_SEQ; i++)
      bb[i] = round ? batch_of (&step1[i]) : ba[i];
    CHECK (g4_session_decode_many (b, bb, N_SEQ, lb, &err) == G4_OK, "together: %s", err.message);
    for (int i = 0; i < N_SEQ; i++) {
      const int rows = round ? 1 : n_out[i];
      CHECK (g4_session_n_past (a[i]) == g4_session_n_past (b[i]), "round %d seq %d: n_past %d vs %d",
          round, i, g4_session_n_past (a[i]), g4_session_n_past (b[i]));
      CHECK (!memcmp (la[i], lb[i], sizeof (float) * (size_t) V * rows),
          "round %d seq %d: batched logits differ from the sequence alone", round, i);
    }
  }
  printf ("decode_many: 4 sequences (prefill, decode, image+audio rows, a prompt over 3 "
      "passes) then one token each: logits bit-identical to each alone\n");

  /* bad calls decode nothing */
  g4_session *twice[2] = { b[0], b[0] };
  g4_batch tb[2] = { batch_of (&step1[0]), batch_of (&step1[1]) };
  float *tl[2] = { lb[0], lb[1] };
  CHECK (g4_session_decode_many (twice, tb, 2, tl, &err) == G4_STATUS_INVALID_ARG,
      "the same session twice must be refused");
  const int past0 = g4_session_n_past (b[0]);
  g4_token bad = V + 5;
  g4_session *pair[2] = { b[0], b[1] };
  tb[1] = (g4_batch) {.n = 1,.tokens = &bad };
  err = (g4_error) { 0 };
  CHECK (g4_session_decode_many (pair, tb, 2, tl, &err) == G4_STATUS_INVALID_ARG,
      "a bad token must be refused");
  CHECK (g4_session_n_past (b[0]) == past0, "a refused call must decode nothing");
  printf ("bad calls refused, nothing decoded: %s\n", err.message);

  for (int i = 0; i < N_SEQ; i++) {
    g4_session_free (a[i]);
    g4_session_free (b[i]);
    free (la[i]);
    free (lb[i]);
  }
}

/* ---- g4_generation_step -------------------------------------------------- */

enum { N_JOB = 5, CHUNK = 7, CANCELLED_JOB = 1 };
static prompt jp[N_JOB];
static const int max_tokens[N_JOB] = { 8, 40, 13, 30, 5 };

typedef struct {
  test_answer out;
  g4_generate_result r;
  g4_status st;
} outcome;

static g4_generate_params
params_of (int j, test_answer * k)
{
  g4_generate_params gp = {.max_tokens = max_tokens[j],.sampling = g4_sampler_default_params (),
    .on_piece = test_collect_answer,.user = k };
  gp.sampling.temperature = 0;
  if (j >= 3) {
    gp.sampling.temperature = 1.0f;
    gp.sampling.top_k = 64;
    gp.sampling.seed = 1234 + (uint64_t) j;
  }
  return gp;
}

/* Job j alone: stepped with chunked prefill, or by g4_generate. */
static void
run_alone (int j, bool whole, outcome * o)
{
  memset (o, 0, sizeof *o);
  g4_session *s = new_session (0, NULL);
  g4_generate_params gp = params_of (j, &o->out);
  g4_batch pb = batch_of (&jp[j]);
  g4_error err = { 0 };
  if (whole) {
    o->st = g4_generate (s, &pb, &gp, &o->r, &err);
  } else {
    g4_generation *g;
    CHECK (g4_generation_new (s, &pb, &gp, &g, &err) == G4_OK, "new: %s", err.message);
    while (!g4_generation_done (g))
      CHECK (g4_generation_step (&g, 1, CHUNK, &err) == G4_OK, "step: %s", err.message);
    o->st = g4_generation_result (g, &o->r, &err);
    g4_generation_free (g);
  }
  g4_session_free (s);
}

static void
check_generation_steps (void)
{
  make_prompt (&jp[0], 9, 21, 0, 0, false);
  make_prompt (&jp[1], 31, 22, 0, 0, false);
  make_prompt (&jp[2], 40, 23, 5, 16, true);    /* an image across chunk edges */
  make_prompt (&jp[3], 17, 24, 0, 0, false);
  make_prompt (&jp[4], 26, 25, 3, 12, false);   /* audio rows */

  outcome alone[N_JOB], whole, together[N_JOB];
  for (int j = 0; j < N_JOB; j++)
    run_alone (j, false, &alone[j]);
  run_alone (2, true, &whole);
  CHECK (whole.st == G4_OK && alone[2].st == G4_OK && whole.r.n_generated == alone[2].r.n_generated
      && !strcmp (whole.out.text, alone[2].out.text), "chunked prefill differs from g4_generate's");

  volatile int cancel[N_JOB] = { 0 };
  g4_session *s[N_JOB];
  g4_generation *g[N_JOB];
  g4_generate_params gp[N_JOB];
  g4_batch pb[N_JOB];
  g4_error err = { 0 };
  memset (together, 0, sizeof together);
  for (int j = 0; j < N_JOB; j++) {
    s[j] = new_session (0, &cancel[j]);
    gp[j] = params_of (j, &together[j].out);
    pb[j] = batch_of (&jp[j]);
    g[j] = NULL;
  }
  /* job j joins at step 2 j; job 1 is cancelled 6 steps after joining */
  int running = 0, max_together = 0;
  for (int step = 0; step <= 2 * (N_JOB - 1) || running > 0; step++) {
    g4_generation *active[N_JOB];
    running = 0;
    for (int j = 0; j < N_JOB; j++) {
      if (!g[j] && step == 2 * j)
        CHECK (g4_generation_new (s[j], &pb[j], &gp[j], &g[j], &err) == G4_OK, "new %d: %s", j,
            err.message);
      if (j == CANCELLED_JOB && step == 2 * j + 6)
        cancel[j] = 1;
      if (g[j] && !g4_generation_done (g[j]))
        active[running++] = g[j];
    }
    max_together = running > max_together ? running : max_together;
    CHECK (g4_generation_step (active, running, CHUNK, &err) == G4_OK, "step: %s", err.message);
    if (step > 1000)
      break;
  }
  for (int j = 0; j < N_JOB; j++) {
    together[j].st = g4_generation_result (g[j], &together[j].r, &err);
    g4_generation_free (g[j]);
    g4_session_free (s[j]);
    free (jp[j].embd);
    if (j == CANCELLED_JOB) {
      CHECK (together[j].st == G4_STATUS_CANCELLED, "job %d: %s instead of cancelled", j,
          g4_status_name (together[j].st));
      continue;
    }
    CHECK (together[j].st == G4_OK && alone[j].st == G4_OK, "job %d failed", j);
    CHECK (together[j].r.n_generated == alone[j].r.n_generated
        && together[j].r.stop == alone[j].r.stop, "job %d: %d tokens (stop %d) vs %d alone (stop %d)",
        j, together[j].r.n_generated, together[j].r.stop, alone[j].r.n_generated, alone[j].r.stop);
    CHECK (!strcmp (together[j].out.text, alone[j].out.text), "job %d: text differs from alone", j);
    printf ("job %d: %d prompt positions, %d tokens, stop %d, %zu bytes: as alone\n", j,
        jp[j].n, together[j].r.n_generated, together[j].r.stop, together[j].out.len);
  }
  CHECK (max_together >= 4, "at most %d generations ran together", max_together);
}

/* ---- prefix reuse --------------------------------------------------------- */

/* Runs prompt p on s with reuse_prefix (seeded sampling, n tokens). */
static void
run_reusing (g4_session * s, const prompt * p, int n, outcome * o)
{
  memset (o, 0, sizeof *o);
  g4_generate_params gp = params_of (3, &o->out);
  gp.max_tokens = n;
  gp.reuse_prefix = true;
  g4_batch pb = batch_of (p);
  g4_error err = { 0 };
  o->st = g4_generate (s, &pb, &gp, &o->r, &err);
  CHECK (o->st == G4_OK, "generate: %s", err.message);
}

static void
check_prefix_reuse (void)
{
  enum { HEAD = 9 };
  prompt first, second;
  make_prompt (&first, 30, 31, HEAD, 8, true);
  make_prompt (&second, 27, 32, HEAD, 5, true);
  memcpy (second.tok, first.tok, sizeof (g4_token) * HEAD);
  /* ring of the whole context; a ring of 6 + 8 - 1 slots overwritten by a
   * long first job; the same ring after a short first job */
  const struct {
    int n_batch, first_tokens, reused;
  } cases[] = { {0, 20, HEAD}, {8, 20, 0}, {8, 1, HEAD} };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    g4_session *s = new_session (cases[c].n_batch, NULL);
    g4_session *fresh = new_session (cases[c].n_batch, NULL);
    outcome a, b, ref;
    first.n = cases[c].first_tokens == 1 ? HEAD + 4 : 30;
    run_reusing (s, &first, cases[c].first_tokens, &a);
    run_reusing (s, &second, 12, &b);
    run_reusing (fresh, &second, 12, &ref);
    CHECK (a.r.n_prompt_reused == 0 && ref.r.n_prompt_reused == 0, "nothing to reuse at first");
    CHECK (b.r.n_prompt_reused == cases[c].reused, "case %zu: %d positions reused, expected %d",
        c, b.r.n_prompt_reused, cases[c].reused);
    CHECK (b.r.n_generated == ref.r.n_generated && !strcmp (b.out.text, ref.out.text),
        "case %zu: reusing the prefix changed the answer", c);
    printf ("prefix reuse (n_batch %d, first job %d tokens): %d positions kept, answer as "
        "fresh\n", cases[c].n_batch, cases[c].first_tokens, b.r.n_prompt_reused);
    g4_session_free (s);
    g4_session_free (fresh);
  }
  free (first.embd);
  free (second.embd);
}

/* ---- prefix cache ---------------------------------------------------------- */

/* Runs p on a new session (n_batch, kv type) with reuse_prefix and cache c. */
static void
run_cached (g4_prefix_cache * c, int n_batch, g4_kv_type kv, const prompt * p, outcome * o)
{
  memset (o, 0, sizeof *o);
  g4_session *s = new_session_kv (n_batch, NULL, kv);
  g4_error err = { 0 };
  CHECK (s != NULL);
  if (!s)
    return;
  g4_generate_params gp = params_of (0, &o->out);
  gp.max_tokens = 12;
  gp.reuse_prefix = true;
  gp.prefix_cache = c;
  g4_batch pb = batch_of (p);
  o->st = g4_generate (s, &pb, &gp, &o->r, &err);
  CHECK (o->st == G4_OK, "generate: %s", err.message);
  g4_session_free (s);
}

static void
check_prefix_cache (void)
{
  enum { HEAD = 9 };
  prompt first, second, other;
  make_prompt (&first, 30, 41, HEAD, 8, true);
  make_prompt (&second, 27, 42, HEAD, 5, true);
  make_prompt (&other, 20, 43, HEAD, 5, true);
  memcpy (second.tok, first.tok, sizeof (g4_token) * HEAD);
  g4_prefix_cache *c = NULL;
  g4_error err = { 0 };
  CHECK (g4_prefix_cache_new (model, 0, &c, &err) == G4_STATUS_INVALID_ARG);
  CHECK (g4_prefix_cache_new (model, 1, &c, &err) == G4_OK, "%s", err.message);
  outcome a, b, ref, f16, wrapped;
  run_cached (NULL, 0, G4_KV_F32, &second, &ref);
  run_cached (c, 0, G4_KV_F32, &first, &a);
  run_cached (c, 5, G4_KV_F32, &second, &b);
  CHECK (a.r.n_prompt_reused == 0, "an empty cache gave %d positions", a.r.n_prompt_reused);
  CHECK (b.r.n_prompt_reused == HEAD, "%d positions from the cache, expected %d",
      b.r.n_prompt_reused, HEAD);
  CHECK (b.r.n_generated == ref.r.n_generated && !strcmp (b.out.text, ref.out.text),
      "the cached head changed the answer: '%s' vs '%s'", b.out.text, ref.out.text);
  /* a session of another KV type computes its own */
  run_cached (c, 0, G4_KV_F16, &second, &f16);
  CHECK (f16.r.n_prompt_reused == 0, "an F32 head was copied into an F16 cache");
  /* a prompt whose head is shorter than the cached one */
  prompt shorter = second;
  shorter.embd = second.embd;
  for (int i = HEAD - 3; i < HEAD; i++)
    shorter.mask[i] = true;
  outcome sh;
  run_cached (c, 0, G4_KV_F32, &shorter, &sh);
  CHECK (sh.r.n_prompt_reused == 0, "a head longer than the prompt's was loaded");
  /* max_heads 1: the other head replaces the first (the F16 one came last) */
  g4_prefix_cache_free (c);
  CHECK (g4_prefix_cache_new (model, 1, &c, &err) == G4_OK, "%s", err.message);
  run_cached (c, 0, G4_KV_F32, &first, &a);
  run_cached (c, 0, G4_KV_F32, &other, &a);
  run_cached (c, 0, G4_KV_F32, &second, &b);
  CHECK (b.r.n_prompt_reused == 0, "the evicted head was still there");
  run_cached (c, 0, G4_KV_F32, &second, &b);
  CHECK (b.r.n_prompt_reused == HEAD, "the head stored last was not there");
  /* a ring of 6 + 8 - 1 slots has wrapped over the head once it is fed */
  g4_prefix_cache_free (c);
  CHECK (g4_prefix_cache_new (model, 4, &c, &err) == G4_OK, "%s", err.message);
  run_cached (c, 8, G4_KV_F32, &first, &a);
  run_cached (c, 0, G4_KV_F32, &second, &wrapped);
  CHECK (wrapped.r.n_prompt_reused == 0, "a head from a wrapped ring was stored");
  CHECK (!strcmp (wrapped.out.text, ref.out.text));
  printf ("prefix cache: a %d-position head copied across sessions, answer as computed\n",
      HEAD);
  g4_prefix_cache_free (c);
  free (first.embd);
  free (second.embd);
  free (other.embd);
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 1, "MODEL.gguf");
  if (!(model = test_load_model (argv[1])))
    return 1;
  V = g4_model_get_info (model)->n_vocab;
  d = g4_model_get_info (model)->n_embd;
  check_decode_many ();
  for (int i = 0; i < N_SEQ; i++)
    free (pre[i].embd);
  check_generation_steps ();
  check_prefix_reuse ();
  check_prefix_cache ();
  g4_model_free (model);
  printf ("%s\n", test_failures ? "FAILED" : "batched decoding checks passed");
  return test_exit_status ();
}
