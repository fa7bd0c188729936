/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Token sampling: repetition penalty (llama.cpp's: positive logits divided,
 * others multiplied, once per distinct token of the last repeat_last_n), then
 * greedy argmax when temperature <= 0, else top-k, temperature, softmax,
 * top-p, min-p and a draw from xoshiro256** seeded by splitmix64, so a seed
 * gives the same tokens on every platform. All buffers are sized in
 * g4_sampler_new; sampling allocates nothing. */
#include "gemma4.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  float logit;                  /* then the unnormalised probability */
  g4_token id;
} candidate;

struct g4_sampler {
  g4_sampler_params p;
  int n_vocab;
  candidate *cand;              /* [n_vocab] */
  g4_token *history;            /* ring of the last repeat_last_n tokens */
  int n_history, history_pos;
  uint32_t *stamp;              /* [n_vocab] round in which a token was last penalised */
  uint32_t round;
  uint64_t rng[4];
};

g4_sampler_params
g4_sampler_default_params (void)
{
  /* Gemma 4's generation_config.json: temperature 1, top_k 64, top_p 0.95. */
  return (g4_sampler_params) {
    .temperature = 1.0f,
    .top_k = 64,
    .top_p = 0.95f,
    .min_p = 0.0f,
    .repeat_penalty = 1.0f,
    .repeat_last_n = 64,
    .seed = 0x67656d6d6134ull,
  };
}

/* ---- PRNG ------------------------------------------------------------------- */

static uint64_t
splitmix64 (uint64_t * x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint64_t
rotl (uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static uint64_t
xoshiro256ss (uint64_t s[4])
{
  uint64_t result = rotl (s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

/* Uniform in [0, 1) from the top 53 bits. */
static double
uniform (uint64_t s[4])
{
  return (double) (xoshiro256ss (s) >> 11) * 0x1.0p-53;
}

/* ---- lifecycle ---------------------------------------------------------------- */

g4_sampler *
g4_sampler_new (const g4_sampler_params * p, int n_vocab)
{
  if (n_vocab <= 0)
    return NULL;
  g4_sampler *s = calloc (1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->p = p ? *p : g4_sampler_default_params ();
  if (s->p.top_k < 0 || s->p.top_k >= n_vocab)
    s->p.top_k = 0;
  if (!(s->p.top_p > 0.0f) || s->p.top_p > 1.0f)
    s->p.top_p = 1.0f;
  if (!(s->p.min_p > 0.0f))
    s->p.min_p = 0.0f;
  if (!(s->p.repeat_penalty > 0.0f))
    s->p.repeat_penalty = 1.0f;
  if (s->p.repeat_last_n < 0 || s->p.repeat_penalty == 1.0f)
    s->p.repeat_last_n = 0;
  s->n_vocab = n_vocab;
  s->cand = malloc ((size_t) n_vocab * sizeof *s->cand);
  s->stamp = calloc ((size_t) n_vocab, sizeof *s->stamp);
  s->history = malloc ((size_t) (s->p.repeat_last_n ? s->p.repeat_last_n : 1) * sizeof *s->history);
  if (!s->cand || !s->stamp || !s->history) {
    g4_sampler_free (s);
    return NULL;
  }
  uint64_t x = s->p.seed;
  for (int i = 0; i < 4; i++)
    s->rng[i] = splitmix64 (&x);
  return s;
}

void
g4_sampler_free (g4_sampler * s)
{
  if (s == NULL)
    return;
  free (s->cand);
  free (s->stamp);
  free (s->history);
  free (s);
}

void
g4_sampler_accept (g4_sampler * s, g4_token t)
{
  if (s == NULL || s->p.repeat_last_n == 0 || t < 0 || t >= s->n_vocab)
    return;
  s->history[s->history_pos] = t;
  s->history_pos = (s->history_pos + 1) % s->p.repeat_last_n;
  if (s->n_history < s->p.repeat_last_n)
    s->n_history++;
}

/* ---- the chain ------------------------------------------------------------------ */

static void
repetition_penalty (g4_sampler * s, float *logits)
{
  if (s->n_history == 0)
    return;
  if (++s->round == 0) {
    memset (s->stamp, 0, (size_t) s->n_vocab * sizeof *s->stamp);
    s->round = 1;
  }
  const float penalty = s->p.repeat_penalty;
  for (int i = 0; i < s->n_history; i++) {
    g4_token t = s->history[i];
    if (s->stamp[t] == s->round)
      continue;
    s->stamp[t] = s->round;
    logits[t] = logits[t] <= 0.0f ? logits[t] * penalty : logits[t] / penalty;
  }
}

#define LANES 16

/* First index of the largest logit (NaN never wins; 0 when all are NaN).
 * The maximum first, in independent lanes that vectorize, then its first
 * index: greedy decoding of several sequences pays this per sequence. */
static g4_token
argmax (const float *logits, int n)
{
  float part[LANES];
  for (int j = 0; j < LANES; j++)
    part[j] = -INFINITY;
  int i = 0;
  for (; i + LANES <= n; i += LANES)
    for (int j = 0; j < LANES; j++)
      part[j] = logits[i + j] > part[j] ? logits[i + j] : part[j];
  float max = -INFINITY;
  for (int j = 0; j < LANES; j++)
    max = part[j] > max ? part[j] : max;
  for (; i < n; i++)
    max = logits[i] > max ? logits[i] : max;
  for (i = 0; i < n; i++)
    if (logits[i] == max)
      return i;
  return 0;
}

/* Candidate order: higher logit first, lower id on ties. */
static bool
better (const candidate * a, const candidate * b)
{
  return a->logit > b->logit || (a->logit == b->logit && a->id < b->id);
}

static int
cmp_candidate (const void *a, const void *b)
{
  const candidate *x = a, *y = b;
  return better (x, y) ? -1 : better (y, x) ? 1 : 0;
}

/* Restores the min-heap (worst candidate on top) below position i. */
static void
sift_down (candidate * h, int n, int i)
{
  for (;;) {
    int c = 2 * i + 1;
    if (c >= n)
      return;
    if (c + 1 < n && better (&h[c], &h[c + 1]))
      c++;
    if (!better (&h[i], &h[c]))
      return;
    candidate tmp = h[i];
    h[i] = h[c];
    h[c] = tmp;
    i = c;
  }
}

/* Keeps the k best candidates of logits, sorted best first. */
static int
top_k (g4_sampler * s, const float *logits, int k)
{
  candidate *h = s->cand;
  for (int i = 0; i < k; i++)
    h[i] = (candidate) { isnan (logits[i]) ? -INFINITY : logits[i], i };
  for (int i = k / 2 - 1; i >= 0; i--)
    sift_down (h, k, i);
  for (int i = k; i < s->n_vocab; i++) {
    candidate c = { isnan (logits[i]) ? -INFINITY : logits[i], i };
    if (better (&c, &h[0])) {
      h[0] = c;
      sift_down (h, k, 0);
    }
  }
  qsort (h, k, sizeof *h, cmp_candidate);
  return k;
}

static int
all_candidates (g4_sampler * s, const float *logits)
{
  for (int i = 0; i < s->n_vocab; i++)
    s->cand[i] = (candidate) { isnan (logits[i]) ? -INFINITY : logits[i], i };
  return s->n_vocab;
}

/* Turns logits into unnormalised probabilities exp((l - max) / T); returns
 * their sum. */
static double
softmax (candidate * c, int n, float temperature)
{
  float max = c[0].logit;
  for (int i = 1; i < n; i++)
    max = c[i].logit > max ? c[i].logit : max;
  double sum = 0.0;
  for (int i = 0; i < n; i++) {
    c[i].logit = expf ((c[i].logit - max) / temperature);
    sum += c[i].logit;
  }
  return sum;
}

/* Smallest prefix (of candidates sorted best first) whose mass reaches top_p. */
static int
top_p (const candidate * c, int n, double sum, float p)
{
  double cum = 0.0, limit = p * sum;
  for (int i = 0; i < n; i++) {
    cum += c[i].logit;
    if (cum >= limit)
      return i + 1;
  }
  return n;
}

#define N_BINS 64

/* Bin of probability x by log2(x / max): 0 for the top octave. */
static int
octave (float x, float max)
{
  if (!(x > 0.0f))
    return N_BINS - 1;
  int e;
  frexpf (x / max, &e);
  return 1 - e < N_BINS - 1 ? 1 - e : N_BINS - 1;
}

/* top_p over unsorted candidates without sorting the whole vocabulary: bins
 * by octave below the most likely token are added from the top until they
 * hold top_p of the mass; only their candidates can be in the nucleus, and
 * only they are sorted. */
static int
top_p_unsorted (candidate * c, int n, double sum, float p)
{
  double mass[N_BINS] = { 0 };
  float max = 0.0f;
  for (int i = 0; i < n; i++)
    max = c[i].logit > max ? c[i].logit : max;
  for (int i = 0; i < n; i++)
    mass[octave (c[i].logit, max)] += c[i].logit;
  double cum = 0.0, limit = p * sum;
  int last = N_BINS - 1;
  for (int b = 0; b < N_BINS; b++) {
    cum += mass[b];
    if (cum >= limit) {
      last = b;
      break;
    }
  }
  int kept = 0;
  for (int i = 0; i < n; i++)
    if (octave (c[i].logit, max) <= last)
      c[kept++] = c[i];
  qsort (c, kept, sizeof *c, cmp_candidate);
  return top_p (c, kept, sum, p);
}

/* Drops candidates below min_p times the most likely one; keeps the order. */
static int
min_p (candidate * c, int n, float p)
{
  float max = 0.0f;
  for (int i = 0; i < n; i++)
    max = c[i].logit > max ? c[i].logit : max;
  int kept = 0;
  for (int i = 0; i < n; i++)
    if (c[i].logit >= p * max)
      c[kept++] = c[i];
  return kept;
}

static g4_token
draw (g4_sampler * s, const candidate * c, int n)
{
  double sum = 0.0;
  for (int i = 0; i < n; i++)
    sum += c[i].logit;
  double u = uniform (s->rng) * sum, cum = 0.0;
  for (int i = 0; i < n; i++) {
    cum += c[i].logit;
    if (u < cum)
      return c[i].id;
  }
  return c[n - 1].id;
}

g4_token
g4_sampler_sample (g4_sampler * s, float *logits)
{
  if (s == NULL || logits == NULL)
    return -1;
  repetition_penalty (s, logits);
  g4_token best = argmax (logits, s->n_vocab);
  if (!(s->p.temperature > 0.0f) || !isfinite (logits[best])) {
    g4_sampler_accept (s, best);
    return best;
  }

  bool sorted = s->p.top_k > 0;
  int n = sorted ? top_k (s, logits, s->p.top_k) : all_candidates (s, logits);
  double sum = softmax (s->cand, n, s->p.temperature);
  if (s->p.top_p < 1.0f)
    n = sorted ? top_p (s->cand, n, sum, s->p.top_p)
        : top_p_unsorted (s->cand, n, sum, s->p.top_p);
  if (s->p.min_p > 0.0f)
    n = min_p (s->cand, n, s->p.min_p);
  g4_token t = draw (s, s->cand, n);
  g4_sampler_accept (s, t);
  return t;
}
