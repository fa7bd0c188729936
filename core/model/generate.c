/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The generation loop: prompt prefill, sampling (restricted by a constraint
 * when one is given), streaming valid UTF-8, separating the thought channel
 * (docs/tokenizer-and-chat.md#thinking) from the answer, stop tokens
 * (docs/tokenizer-and-chat.md#stop-and-sampling), stop strings and max
 * tokens. */
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

g4_status
g4_generate (g4_session * s, const g4_batch * prompt, const g4_generate_params * p,
    g4_generate_result * res, g4_error * err)
{
  const g4_model *m = s->model;
  const g4_vocab *vocab = m->vocab;
  g4_generate_result r = { 0 };
  if (!vocab)
    return g4_set_error (err, G4_STATUS_UNSUPPORTED, "the model has no tokenizer: cannot generate text");
  if (!prompt || prompt->n < 1)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "empty prompt");
  const int n_prompt = prompt->n;
  const int V = m->hp.n_vocab;
  float *logits = malloc (sizeof (float) * (size_t) V);
  g4_sampler *smp = g4_sampler_new (&p->sampling, V);
  emitter e = {.p = p };
  for (int i = 0; i < p->n_stop; i++) {
    size_t n = strlen (p->stop[i]);
    e.max_stop = n > e.max_stop ? n : e.max_stop;
  }
  g4_status st = G4_OK;
  if (!logits || !smp) {
    st = g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
    goto done;
  }
  for (int i = 0; prompt->tokens && i < n_prompt; i++)
    if (!(prompt->embd_mask && prompt->embd_mask[i]))
      g4_sampler_accept (smp, prompt->tokens[i]);

  const g4_token ch_open = g4_vocab_find (vocab, "<|channel>");
  const g4_token ch_close = g4_vocab_find (vocab, "<channel|>");
  const g4_token thought_label = g4_vocab_find (vocab, "thought");
  const g4_token newline = g4_vocab_find (vocab, "\n");
  int n_suppress = 0;
  const g4_token *suppress = g4_vocab_suppress_tokens (vocab, &n_suppress);
  bool in_thought = false;
  int label = 0;                /* tokens of the "thought\n" label still to skip */
  g4_constraint *con = p->constraint;
  if (con)
    g4_constraint_reset (con);

  double t0 = now_seconds ();
  g4_batch b = *prompt;
  b.want_logits = NULL;
  st = g4_session_decode (s, &b, logits, err);
  r.n_prompt = n_prompt;
  r.prompt_seconds = now_seconds () - t0;
  t0 = now_seconds ();
  g4_utf8_stream us = { 0 };
  char piece[512];
  r.stop = G4_STOP_MAX_TOKENS;
  while (st == G4_OK && (p->max_tokens <= 0 || r.n_generated < p->max_tokens)) {
    for (int i = 0; i < n_suppress; i++)
      if (suppress[i] >= 0 && suppress[i] < V)
        logits[suppress[i]] = -INFINITY;
    /* both record t for the penalty */
    g4_token t = con ? sample_constrained (con, smp, &p->sampling, logits, V)
        : g4_sampler_sample (smp, logits);
    if (t < 0) {
      r.stop = G4_STOP_EOG;     /* a dead end: the answer so far is all there is */
      break;
    }
    if (con)
      g4_constraint_accept (con, t);
    r.n_generated++;
    if (g4_vocab_is_eog (vocab, t)) {
      r.stop = G4_STOP_EOG;
      break;
    }
    if (t == ch_open) {
      in_thought = true;
      label = 2;
    } else if (t == ch_close) {
      in_thought = false;
    } else if (label > 0 && ((label == 2 && t == thought_label) || (label == 1 && t == newline))) {
      label--;
    } else {
      label = 0;
      int n = g4_utf8_stream_push (&us, vocab, t, false, piece, sizeof piece);
      if (n > 0) {
        if (in_thought)
          deliver (&e, piece, (size_t) n, true);
        else
          st = push_answer (&e, piece, (size_t) n, err);
      }
      if (e.stopped) {
        r.stop = e.reason;
        break;
      }
    }
    if (con && g4_constraint_done (con)) {
      r.stop = G4_STOP_EOG;
      break;
    }
    b = (g4_batch) {.n = 1,.tokens = &t };
    st = g4_session_decode (s, &b, logits, err);
  }
  if (!e.stopped && e.len > 0)
    deliver (&e, e.buf, e.len, false);
  r.generate_seconds = now_seconds () - t0;
done:
  if (res)
    *res = r;
  free (e.buf);
  free (logits);
  g4_sampler_free (smp);
  return st;
}
