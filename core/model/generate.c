/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Generation: prompt prefill, sampling (restricted by a constraint when one
 * is given), streaming valid UTF-8, separating the thought channel
 * (docs/tokenizer-and-chat.md#thinking) from the answer, stop tokens
 * (docs/tokenizer-and-chat.md#stop-and-sampling), stop strings and max
 * tokens. A generation advances one forward pass at a time, and one pass
 * serves every generation stepped together (g4_generation_step), each on its
 * own session; g4_generate is one generation stepped alone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "constraint.h"
#include "error.h"
#include "session.h"
#include "vocab.h"

static double
now_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Answer text is held back while its tail could still become a stop string,
 * so a stop string is never partly delivered. */
typedef struct {
  const g4_generate_params *p;
  char *buf;                    /* undelivered answer text */
  size_t len, cap;
  size_t max_stop;
  bool stopped;                 /* a stop string matched, or the callback said stop */
  g4_stop_reason reason;
} emitter;

static bool
deliver (emitter * e, const char *text, size_t n, bool thought)
{
  if (n == 0 || !e->p->on_piece)
    return true;
  if (!e->p->on_piece (text, (int) n, thought, e->p->user)) {
    e->stopped = true;
    e->reason = G4_STOP_CALLBACK;
    return false;
  }
  return true;
}

/* Length of the longest prefix of UTF-8 text s[0..n) that ends on a character boundary. */
static size_t
utf8_boundary (const char *s, size_t n)
{
  size_t i = n;
  while (i > 0 && i > n - 4 && ((unsigned char) s[i - 1] & 0xc0) == 0x80)
    i--;
  if (i == 0)
    return n;
  unsigned char lead = (unsigned char) s[i - 1];
  size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return n - (i - 1) >= need ? n : i - 1;
}

static g4_status
push_answer (emitter * e, const char *text, size_t n, g4_error * err)
{
  if (e->len + n + 1 > e->cap) {
    size_t cap = (e->len + n + 1) * 2;
    char *b = realloc (e->buf, cap);
    if (!b)
      return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
    e->buf = b;
    e->cap = cap;
  }
  memcpy (e->buf + e->len, text, n);
  e->len += n;
  e->buf[e->len] = '\0';
  for (int i = 0; i < e->p->n_stop; i++) {
    const char *hit = e->p->stop[i][0] ? strstr (e->buf, e->p->stop[i]) : NULL;
    if (hit) {
      deliver (e, e->buf, (size_t) (hit - e->buf), false);
      e->stopped = true;
      e->reason = G4_STOP_STRING;
      e->len = 0;
      return G4_OK;
    }
  }
  size_t keep = e->max_stop > 0 ? e->max_stop - 1 : 0;
  if (e->len > keep) {
    size_t out = utf8_boundary (e->buf, e->len - keep);
    if (out > 0 && deliver (e, e->buf, out, false)) {
      memmove (e->buf, e->buf + out, e->len - out);
      e->len -= out;
    }
  }
  return G4_OK;
}

/* The next token under constraint c: greedy without a repetition penalty
 * checks the best candidates until one is allowed; anything else samples
 * from the allowed tokens only. -1 when no allowed token is left. */
static g4_token
sample_constrained (g4_constraint * c, g4_sampler * smp, const g4_sampler_params * sp,
    float *logits, int n_vocab)
{
  const bool penalty = sp->repeat_penalty > 0.0f && sp->repeat_penalty != 1.0f && sp->repeat_last_n > 0;
  if (sp->temperature <= 0.0f && !penalty) {
    g4_token t = g4_constraint_best (c, logits, n_vocab);
    if (t >= 0)
      g4_sampler_accept (smp, t);
    return t;
  }
  if (g4_constraint_mask (c, logits, n_vocab) == 0)
    return -1;
  g4_token t = g4_sampler_sample (smp, logits);
  return g4_constraint_allows (c, t) ? t : -1;
}

struct g4_generation {
  g4_session *s;
  g4_batch prompt;
  g4_generate_params p;
  int fed;                      /* prompt positions decoded */
  bool *no_logits;              /* [prompt.n] false: a prompt chunk that is not the last */
  g4_token next;                /* the sampled token the next pass feeds */
  float *logits;
  g4_sampler *smp;
  emitter e;
  g4_utf8_stream us;
  g4_token ch_open, ch_close, thought_label, newline;
  const g4_token *suppress;
  int n_suppress;
  bool in_thought;
  int label;                    /* tokens of the "thought\n" label still to skip */
  double t0;                    /* start of the current phase (prompt, then generation) */
  int head;                     /* prompt positions before its first media */
  bool head_cached;             /* the prefix cache holds the head, or will not take it */
  g4_generate_result r;
  bool done;
  g4_error err;                 /* how it ended: code G4_OK or the failure */
};

g4_status
g4_generation_new (g4_session * s, const g4_batch * prompt, const g4_generate_params * p,
    g4_generation ** out, g4_error * err)
{
  *out = NULL;
  if (!s || !p)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "no session or parameters");
  const g4_model *m = s->model;
  const g4_vocab *vocab = m->vocab;
  if (!vocab)
    return g4_set_error (err, G4_STATUS_UNSUPPORTED, "the model has no tokenizer: cannot generate text");
  if (!prompt || prompt->n < 1)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "empty prompt");
  const int V = m->hp.n_vocab;
  g4_generation *g = calloc (1, sizeof *g);
  if (!g)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  g->s = s;
  g->prompt = *prompt;
  g->prompt.want_logits = NULL;
  g->p = *p;
  g->e.p = &g->p;
  g->logits = malloc (sizeof (float) * (size_t) V);
  g->no_logits = calloc ((size_t) prompt->n, sizeof *g->no_logits);
  g->smp = g4_sampler_new (&p->sampling, V);
  if (!g->logits || !g->no_logits || !g->smp) {
    g4_generation_free (g);
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  }
  for (int i = 0; i < p->n_stop; i++) {
    size_t n = strlen (p->stop[i]);
    g->e.max_stop = n > g->e.max_stop ? n : g->e.max_stop;
  }
  for (int i = 0; prompt->tokens && i < prompt->n; i++)
    if (!(prompt->embd_mask && prompt->embd_mask[i]))
      g4_sampler_accept (g->smp, prompt->tokens[i]);
  g->ch_open = g4_vocab_find (vocab, "<|channel>");
  g->ch_close = g4_vocab_find (vocab, "<channel|>");
  g->thought_label = g4_vocab_find (vocab, "thought");
  g->newline = g4_vocab_find (vocab, "\n");
  g->suppress = g4_vocab_suppress_tokens (vocab, &g->n_suppress);
  if (p->constraint)
    g4_constraint_reset (p->constraint);
  if (p->reuse_prefix) {
    g->fed = g4_session_keep_prefix (s, prompt);
    const int cached = g4_prefix_cache_load (p->prefix_cache, s, prompt);
    g->fed = cached > g->fed ? cached : g->fed;
    g->r.n_prompt_reused = g->fed;
  }
  g->head = g4_batch_head (prompt);
  g->head_cached = !p->reuse_prefix || !p->prefix_cache || g->fed >= g->head;
  g->r.n_prompt = prompt->n;
  g->r.stop = G4_STOP_MAX_TOKENS;
  g->t0 = now_seconds ();
  *out = g;
  return G4_OK;
}

void
g4_generation_free (g4_generation * g)
{
  if (!g)
    return;
  free (g->e.buf);
  free (g->logits);
  free (g->no_logits);
  g4_sampler_free (g->smp);
  free (g);
}

bool
g4_generation_done (const g4_generation * g)
{
  return g->done;
}

g4_status
g4_generation_result (const g4_generation * g, g4_generate_result * res, g4_error * err)
{
  if (res)
    *res = g->r;
  if (g->err.code != G4_OK && err)
    *err = g->err;
  return g->err.code;
}

/* Ends g with status st (G4_OK or a failure already in g->err): the held
 * answer text goes out, the phase's time is recorded. */
static void
finish (g4_generation * g, g4_status st)
{
  if (!g->e.stopped && g->e.len > 0)
    deliver (&g->e, g->e.buf, g->e.len, false);
  const double t = now_seconds () - g->t0;
  if (g->fed < g->prompt.n)
    g->r.prompt_seconds = t;
  else
    g->r.generate_seconds = t;
  g->err.code = st;
  g->done = true;
}

/* Samples from g->logits and handles the token; false when g is done. */
static bool
take_token (g4_generation * g)
{
  const g4_generate_params *p = &g->p;
  const g4_vocab *vocab = g->s->model->vocab;
  const int V = g->s->model->hp.n_vocab;
  g4_constraint *con = p->constraint;
  float *logits = g->logits;
  g4_generate_result *r = &g->r;
  for (int i = 0; i < g->n_suppress; i++)
    if (g->suppress[i] >= 0 && g->suppress[i] < V)
      logits[g->suppress[i]] = -INFINITY;
  /* both record t for the penalty */
  g4_token t = con ? sample_constrained (con, g->smp, &p->sampling, logits, V)
      : g4_sampler_sample (g->smp, logits);
  if (t < 0) {
    r->stop = G4_STOP_EOG;      /* a dead end: the answer so far is all there is */
    return false;
  }
  if (con)
    g4_constraint_accept (con, t);
  r->n_generated++;
  if (g4_vocab_is_eog (vocab, t)) {
    r->stop = G4_STOP_EOG;
    return false;
  }
  if (t == g->ch_open) {
    g->in_thought = true;
    g->label = 2;
  } else if (t == g->ch_close) {
    g->in_thought = false;
  } else if (g->label > 0 && ((g->label == 2 && t == g->thought_label)
          || (g->label == 1 && t == g->newline))) {
    g->label--;
  } else {
    g->label = 0;
    char piece[512];
    int n = g4_utf8_stream_push (&g->us, vocab, t, false, piece, sizeof piece);
    if (n > 0) {
      if (g->in_thought)
        deliver (&g->e, piece, (size_t) n, true);
      else if (push_answer (&g->e, piece, (size_t) n, &g->err)) {
        finish (g, g->err.code);
        return false;
      }
    }
    if (g->e.stopped) {
      r->stop = g->e.reason;
      return false;
    }
  }
  if (con && g4_constraint_done (con)) {
    r->stop = G4_STOP_EOG;
    return false;
  }
  g->next = t;
  /* the last token is not fed: nothing would read its logits */
  return p->max_tokens <= 0 || r->n_generated < p->max_tokens;
}

/* The rows g feeds in the next pass: the rest of its prompt, at most
 * max_prefill (<= 0: no limit) but never ending inside an image (its rows
 * attend to each other within one pass), or its last sampled token. */
static g4_batch
next_rows (g4_generation * g, int max_prefill)
{
  if (g->fed == g->prompt.n)
    return (g4_batch) {.n = 1,.tokens = &g->next };
  const g4_batch *pr = &g->prompt;
  int end = pr->n;
  if (max_prefill > 0 && g->fed + max_prefill < end) {
    end = g->fed + max_prefill;
    while (end < pr->n && pr->bidirectional && pr->bidirectional[end - 1]
        && pr->bidirectional[end])
      end++;
  }
  const int d = g->s->model->hp.info.n_embd;
  return (g4_batch) {.n = end - g->fed,
    .tokens = pr->tokens ? pr->tokens + g->fed : NULL,
    .embd = pr->embd ? pr->embd + (size_t) g->fed * d : NULL,
    .embd_mask = pr->embd_mask ? pr->embd_mask + g->fed : NULL,
    .bidirectional = pr->bidirectional ? pr->bidirectional + g->fed : NULL,
    .want_logits = end < pr->n ? g->no_logits : NULL };
}

g4_status
g4_generation_step (g4_generation * const *gens, int n, int max_prefill, g4_error * err)
{
  if (n < 0 || (n > 0 && !gens))
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "no generations");
  enum { ON_STACK = 16 };
  g4_session *stack_s[ON_STACK];
  g4_batch stack_b[ON_STACK];
  float *stack_l[ON_STACK];
  g4_generation *stack_g[ON_STACK];
  const bool heap = n > ON_STACK;
  g4_session **s = heap ? malloc (sizeof *s * (size_t) n) : stack_s;
  g4_batch *b = heap ? malloc (sizeof *b * (size_t) n) : stack_b;
  float **l = heap ? malloc (sizeof *l * (size_t) n) : stack_l;
  g4_generation **in = heap ? malloc (sizeof *in * (size_t) n) : stack_g;
  g4_status st = G4_OK;
  if (!s || !b || !l || !in) {
    st = g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
    for (int i = 0; i < n; i++)
      if (!gens[i]->done) {
        gens[i]->err = *err;
        finish (gens[i], st);
      }
    goto out;
  }
  int k = 0;
  for (int i = 0; i < n; i++) {
    g4_generation *g = gens[i];
    if (g->done)
      continue;
    const volatile int *cancel = g->s->p.cancel;
    if (cancel && *cancel) {
      g4_set_error (&g->err, G4_STATUS_CANCELLED, "generation cancelled");
      finish (g, G4_STATUS_CANCELLED);
      continue;
    }
    b[k] = next_rows (g, max_prefill);
    g4_status bad = g4_session_check (g->s, &b[k], &g->err);
    if (bad) {
      finish (g, bad);
      continue;
    }
    s[k] = g->s;
    l[k] = g->logits;
    in[k++] = g;
  }
  if (k == 0)
    goto out;
  g4_error pass_err = { 0 };
  g4_status pass = g4_session_decode_many (s, b, k, l, &pass_err);
  for (int i = 0; i < k; i++) {
    g4_generation *g = in[i];
    if (pass) {
      g->err = pass_err;
      finish (g, pass);
      continue;
    }
    const bool sample = g->fed == g->prompt.n || g->fed + b[i].n == g->prompt.n;
    if (g->fed < g->prompt.n) {
      g->fed += b[i].n;
      if (!g->head_cached && g->fed >= g->head) {
        g4_prefix_cache_store (g->p.prefix_cache, g->s, &g->prompt);
        g->head_cached = true;
      }
      if (g->fed == g->prompt.n) {
        const double t = now_seconds ();
        g->r.prompt_seconds = t - g->t0;
        g->t0 = t;
      }
    }
    if (sample && !take_token (g) && !g->done)
      finish (g, G4_OK);
  }
  /* a pass that could not run at all (out of memory) fails the step */
  if (pass && pass != G4_STATUS_CANCELLED)
    st = g4_set_error (err, pass, "%s", pass_err.message);
out:
  if (heap) {
    free (s);
    free (b);
    free (l);
    free (in);
  }
  return st;
}

g4_status
g4_generate (g4_session * s, const g4_batch * prompt, const g4_generate_params * p,
    g4_generate_result * res, g4_error * err)
{
  g4_generation *g;
  g4_status st = g4_generation_new (s, prompt, p, &g, err);
  if (st) {
    if (res)
      *res = (g4_generate_result) { 0 };
    return st;
  }
  /* every step feeds g or ends it (a failed step with its error) */
  while (!g->done)
    g4_generation_step (&g, 1, 0, err);
  st = g4_generation_result (g, res, err);
  g4_generation_free (g);
  return st;
}
