/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The prompt-head cache (gemma4.h, g4_prefix_cache): the KV of the
 * positions of a prompt before its first media, copied out of the session
 * that computed them and into the sessions whose prompts begin the same way,
 * as the reference server's prompt cache does across its slots. A position's
 * keys and values depend only on the tokens up to it, and each row of a pass
 * is computed the same whatever the other rows (tests core/batched), so a
 * copied head is bit for bit the head the session would compute. Heads live
 * in the first slots of each layer: only heads that no sliding ring has
 * wrapped over are stored. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

typedef struct {
  g4_token *tokens;
  int n;
  g4_kv_type type;
  uint8_t **kt, **v;            /* [n_layer]: compact copies (g4_kv_cache_copy_head), NULL without a cache */
  uint64_t used;                /* the cache's clock at its last use */
} entry;

struct g4_prefix_cache {
  const g4_model *model;
  pthread_mutex_t lock;
  entry *e;
  int n, max;
  uint64_t clock;
};

static void
entry_free (entry * e, int n_layer)
{
  for (int l = 0; e->kt && l < n_layer; l++) {
    free (e->kt[l]);
    free (e->v[l]);
  }
  free (e->kt);
  free (e->v);
  free (e->tokens);
  memset (e, 0, sizeof *e);
}

g4_status
g4_prefix_cache_new (const g4_model * m, int max_heads, g4_prefix_cache ** out, g4_error * err)
{
  *out = NULL;
  if (!m || max_heads < 1)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "prefix cache: no model or max_heads %d < 1",
        max_heads);
  g4_prefix_cache *c = calloc (1, sizeof *c);
  if (c)
    c->e = calloc ((size_t) max_heads, sizeof *c->e);
  if (!c || !c->e) {
    free (c);
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  }
  c->model = m;
  c->max = max_heads;
  pthread_mutex_init (&c->lock, NULL);
  *out = c;
  return G4_OK;
}

void
g4_prefix_cache_free (g4_prefix_cache * c)
{
  if (!c)
    return;
  for (int i = 0; i < c->n; i++)
    entry_free (&c->e[i], c->model->hp.info.n_layer);
  free (c->e);
  pthread_mutex_destroy (&c->lock);
  free (c);
}

/* Whether the first n slots of every layer of s can hold positions 0..n-1. */
static bool
fits (const g4_session * s, int n)
{
  for (int l = 0; l < s->kv.n_layer; l++)
    if (s->kv.layers[l].cap > 0 && s->kv.layers[l].cap < n)
      return false;
  return n <= s->p.n_ctx;
}

int
g4_prefix_cache_load (g4_prefix_cache * c, g4_session * s, const g4_batch * b)
{
  if (!c || !s || !b || c->model != s->model)
    return 0;
  const int head = g4_batch_head (b);
  int got = 0;
  pthread_mutex_lock (&c->lock);
  entry *best = NULL;
  for (int i = 0; i < c->n; i++) {
    entry *e = &c->e[i];
    if (e->n <= head && e->n > s->n_past && e->type == s->kv.type
        && (!best || e->n > best->n) && fits (s, e->n)
        && !memcmp (e->tokens, b->tokens, sizeof (g4_token) * (size_t) e->n))
      best = e;
  }
  if (best) {
    for (int l = 0; l < s->kv.n_layer; l++)
      if (best->kt[l])
        g4_kv_cache_copy_head (&s->kv, l, best->n, best->kt[l], best->v[l], true);
    memcpy (s->held, best->tokens, sizeof (g4_token) * (size_t) best->n);
    s->n_past = best->n;
    s->kv_top = s->kv_top > best->n ? s->kv_top : best->n;
    best->used = ++c->clock;
    got = best->n;
  }
  pthread_mutex_unlock (&c->lock);
  return got;
}

/* The entry holding exactly tokens[0..n), or NULL. Call with the lock. */
static entry *
find (g4_prefix_cache * c, const g4_token * tokens, int n, g4_kv_type type)
{
  for (int i = 0; i < c->n; i++)
    if (c->e[i].n == n && c->e[i].type == type
        && !memcmp (c->e[i].tokens, tokens, sizeof (g4_token) * (size_t) n))
      return &c->e[i];
  return NULL;
}

/* The head of s (n positions) copied out; false when out of memory. */
static bool
copy_out (const g4_session * s, int n, const g4_token * tokens, entry * e)
{
  const int L = s->kv.n_layer;
  e->n = n;
  e->type = s->kv.type;
  e->tokens = malloc (sizeof (g4_token) * (size_t) n);
  e->kt = calloc ((size_t) L, sizeof *e->kt);
  e->v = calloc ((size_t) L, sizeof *e->v);
  if (!e->tokens || !e->kt || !e->v)
    return false;
  memcpy (e->tokens, tokens, sizeof (g4_token) * (size_t) n);
  for (int l = 0; l < L; l++) {
    const g4_kv_layer *kl = &s->kv.layers[l];
    if (kl->cap == 0)
      continue;
    const size_t bytes = (size_t) n * kl->width * s->kv.esize;
    e->kt[l] = malloc (bytes);
    e->v[l] = malloc (bytes);
    if (!e->kt[l] || !e->v[l])
      return false;
    /* only read: the cast keeps one copy function for both ways */
    g4_kv_cache_copy_head ((g4_kv_cache *) & s->kv, l, n, e->kt[l], e->v[l], false);
  }
  return true;
}

bool
g4_prefix_cache_store (g4_prefix_cache * c, const g4_session * s, const g4_batch * b)
{
  if (!c || !s || !b || c->model != s->model)
    return false;
  const int n = g4_batch_head (b);
  if (n < 1 || s->n_past < n || !fits (s, s->kv_top)
      || memcmp (s->held, b->tokens, sizeof (g4_token) * (size_t) n))
    return false;
  pthread_mutex_lock (&c->lock);
  entry *old = find (c, b->tokens, n, s->kv.type);
  if (old)
    old->used = ++c->clock;
  pthread_mutex_unlock (&c->lock);
  if (old)
    return true;
  /* copied without the lock: the session is the caller's */
  entry e = { 0 };
  const int L = s->kv.n_layer;
  if (!copy_out (s, n, b->tokens, &e)) {
    entry_free (&e, L);
    return false;
  }
  pthread_mutex_lock (&c->lock);
  if (find (c, b->tokens, n, s->kv.type)) {
    entry_free (&e, L);         /* another session stored it meanwhile */
  } else {
    int i = c->n;               /* a free slot, else the least recently used head */
    if (c->n < c->max)
      c->n++;
    else
      for (int j = i = 0; j < c->n; j++)
        i = c->e[j].used < c->e[i].used ? j : i;
    entry_free (&c->e[i], L);
    e.used = ++c->clock;
    c->e[i] = e;
  }
  pthread_mutex_unlock (&c->lock);
  return true;
}
