/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shared model registry and per-model scheduler (see
 * gstgemma4modelregistry.h). Entries live in one hash table under one lock;
 * each entry has its own lock for loading and scheduling, so a slow load
 * never blocks elements that use other models. */

/* Prompt positions a generation feeds per step while a latency job is in the
 * batch: a 280-token image prompt costs the others' next token a few
 * passes' time instead of one long one (images are never split). */
#define LATENCY_PREFILL_CHUNK 64
/* Prompt heads kept per model: one per distinct task and instruction of the
 * elements sharing it is plenty (a head is a few hundred KB of KV). */
#define PREFIX_CACHE_HEADS 16
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>

#include "gstgemma4modelregistry.h"

typedef enum
{
  MODEL_UNLOADED,
  MODEL_LOADING,
  MODEL_READY,
  MODEL_FAILED,
} ModelState;

struct _GstGemma4Model
{
  gchar *key;                   /* hash table key, owned by the table */
  gchar *model_path;
  gchar *mmproj_path;           /* may be NULL */
  gchar *name;
  gint refcount;                /* under registry_lock */

  GMutex lock;
  GCond load_cond;
  ModelState state;
  gchar *error;                 /* why the load failed */
  g4_model *model;
  g4_mmproj *mmproj;
  g4_prefix_cache *prefixes;    /* prompt heads of the elements sharing it */
  guint serial;

  GCond turn_cond;
  GQueue waiters;               /* callers waiting for their turn, in order */
  gboolean busy;                /* someone holds the turn */

  /* the batch (under lock) */
  GCond batch_cond;
  GQueue pending;               /* BatchJob waiting for a place */
  GPtrArray *active;            /* BatchJob in the batch, in order of joining */
  gboolean stepping;            /* a caller's thread runs a step */
  guint64 arrivals;

  /* images waiting for the next encoder call (under lock; batch_cond) */
  GQueue images;                /* ImageJob */
  gboolean encoding;            /* a caller's thread runs (or prepares) a call */
};

typedef struct
{
  g4_image_item *item;
  gboolean done;
  guint batch;                  /* images in its call */
  g4_status status;
  g4_error err;
} ImageJob;

typedef struct
{
  g4_generation *g;
  GstGemma4BatchOptions *o;
  guint64 order;                /* arrival */
  gboolean done;
} BatchJob;

static GMutex registry_lock;
static GHashTable *registry;    /* key -> GstGemma4Model */
static guint load_serial;

G_DEFINE_QUARK (gst-gemma4-model-error-quark, gst_gemma4_model_error);

/* Paths are compared after resolving symlinks and relative names, so two
 * spellings of one file share. */
static gchar *
canonical_path (const gchar * path)
{
  char *r;
  gchar *out;

  if (!path)
    return NULL;
  r = realpath (path, NULL);
  if (!r)
    return g_canonicalize_filename (path, NULL);
  out = g_strdup (r);
  free (r);
  return out;
}

static void
model_free (GstGemma4Model * m)
{
  g_assert (m->waiters.length == 0);
  g_assert (m->pending.length == 0 && m->active->len == 0);
  g_assert (m->images.length == 0);
  g_ptr_array_free (m->active, TRUE);
  g_cond_clear (&m->batch_cond);
  g4_prefix_cache_free (m->prefixes);
  if (m->mmproj)
    g4_mmproj_free (m->mmproj);
  if (m->model)
    g4_model_free (m->model);
  g_free (m->model_path);
  g_free (m->mmproj_path);
  g_free (m->name);
  g_free (m->error);
  g_mutex_clear (&m->lock);
  g_cond_clear (&m->load_cond);
  g_cond_clear (&m->turn_cond);
  g_free (m);
}

GstGemma4Model *
gst_gemma4_model_get (const gchar * model_path, const gchar * mmproj_path,
    const gchar * instance_id, GError ** error)
{
  gchar *model = canonical_path (model_path);
  gchar *mmproj = canonical_path (mmproj_path);
  gchar *key;
  GstGemma4Model *m;

  if (instance_id)
    key = g_strconcat ("id:", instance_id, NULL);
  else
    key = g_strconcat ("files:", model ? model : "", "\n",
        mmproj ? mmproj : "", NULL);

  g_mutex_lock (&registry_lock);
  if (!registry)
    registry = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  m = g_hash_table_lookup (registry, key);
  if (m) {
    if (model && g_strcmp0 (model, m->model_path) != 0) {
      g_set_error (error, GST_GEMMA4_MODEL_ERROR,
          GST_GEMMA4_MODEL_ERROR_SETTINGS,
          "model-instance-id '%s' already holds model %s, not %s",
          instance_id, m->model_path, model);
      m = NULL;
    } else if (mmproj && g_strcmp0 (mmproj, m->mmproj_path) != 0) {
      g_set_error (error, GST_GEMMA4_MODEL_ERROR,
          GST_GEMMA4_MODEL_ERROR_SETTINGS,
          "model-instance-id '%s' already holds mmproj %s, not %s",
          instance_id, m->mmproj_path ? m->mmproj_path : "(none)", mmproj);
      m = NULL;
    } else {
      m->refcount++;
    }
    g_free (key);
  } else if (!model) {
    g_set_error (error, GST_GEMMA4_MODEL_ERROR,
        GST_GEMMA4_MODEL_ERROR_SETTINGS,
        "no element has loaded model-instance-id '%s' and model-path is "
        "not set", instance_id);
    g_free (key);
  } else {
    m = g_new0 (GstGemma4Model, 1);
    m->key = key;
    m->model_path = g_strdup (model);
    m->mmproj_path = g_strdup (mmproj);
    m->name = g_path_get_basename (model);
    m->refcount = 1;
    g_mutex_init (&m->lock);
    g_cond_init (&m->load_cond);
    g_cond_init (&m->turn_cond);
    g_queue_init (&m->waiters);
    g_cond_init (&m->batch_cond);
    g_queue_init (&m->pending);
    g_queue_init (&m->images);
    m->active = g_ptr_array_new ();
    g_hash_table_insert (registry, key, m);
  }
  g_mutex_unlock (&registry_lock);
  g_free (model);
  g_free (mmproj);
  return m;
}

void
gst_gemma4_model_unref (GstGemma4Model * m)
{
  gboolean last;

  if (!m)
    return;
  g_mutex_lock (&registry_lock);
  last = --m->refcount == 0;
  if (last)
    g_hash_table_remove (registry, m->key);
  g_mutex_unlock (&registry_lock);
  if (last)
    model_free (m);
}

/* Runs without m->lock: loading may take seconds and other users only wait
 * on the state. */
static gboolean
load_files (GstGemma4Model * m, g4_model ** model, g4_mmproj ** mmproj,
    gchar ** message)
{
  g4_error err = { 0 };

  *model = NULL;
  *mmproj = NULL;
  if (g4_model_load (m->model_path, NULL, model, &err) != G4_OK) {
    *message = g_strdup_printf ("Could not load model %s: %s",
        m->model_path, err.message);
    return FALSE;
  }
  if (!m->mmproj_path)
    return TRUE;
  if (g4_mmproj_load (m->mmproj_path, mmproj, &err) != G4_OK) {
    *message = g_strdup_printf ("Could not load mmproj %s: %s",
        m->mmproj_path, err.message);
  } else if (g4_mmproj_n_embd (*mmproj) != g4_model_get_info (*model)->n_embd) {
    *message = g_strdup_printf ("mmproj %s produces rows of width %d but "
        "model %s has width %d: they do not belong together", m->mmproj_path,
        g4_mmproj_n_embd (*mmproj), m->model_path,
        g4_model_get_info (*model)->n_embd);
  } else {
    return TRUE;
  }
  if (*mmproj)
    g4_mmproj_free (*mmproj);
  g4_model_free (*model);
  *model = NULL;
  *mmproj = NULL;
  return FALSE;
}

gboolean
gst_gemma4_model_wait_ready (GstGemma4Model * m, gboolean * loaded_here,
    GError ** error)
{
  gboolean ok, here = FALSE;

  g_mutex_lock (&m->lock);
  if (m->state == MODEL_UNLOADED) {
    g4_model *model;
    g4_mmproj *mmproj;
    gchar *message = NULL;

    m->state = MODEL_LOADING;
    here = TRUE;
    g_mutex_unlock (&m->lock);
    ok = load_files (m, &model, &mmproj, &message);
    g_mutex_lock (&m->lock);
    /* without memory for it every prompt head is computed */
    if (ok && g4_prefix_cache_new (model, PREFIX_CACHE_HEADS, &m->prefixes,
            NULL) != G4_OK)
      m->prefixes = NULL;
    if (ok) {
      m->model = model;
      m->mmproj = mmproj;
      m->serial = g_atomic_int_add (&load_serial, 1) + 1;
      m->state = MODEL_READY;
    } else {
      m->error = message;
      m->state = MODEL_FAILED;
    }
    g_cond_broadcast (&m->load_cond);
  }
  while (m->state == MODEL_LOADING)
    g_cond_wait (&m->load_cond, &m->lock);
  ok = m->state == MODEL_READY;
  if (!ok)
    g_set_error_literal (error, GST_GEMMA4_MODEL_ERROR,
        GST_GEMMA4_MODEL_ERROR_LOAD, m->error);
  g_mutex_unlock (&m->lock);
  if (loaded_here)
    *loaded_here = here;
  return ok;
}

const g4_model *
gst_gemma4_model_get_model (GstGemma4Model * m)
{
  return m->model;
}

const g4_mmproj *
gst_gemma4_model_get_mmproj (GstGemma4Model * m)
{
  return m->mmproj;
}

g4_prefix_cache *
gst_gemma4_model_get_prefix_cache (GstGemma4Model * m)
{
  return m->prefixes;
}

const gchar *
gst_gemma4_model_get_name (GstGemma4Model * m)
{
  return m->name;
}

const gchar *
gst_gemma4_model_get_path (GstGemma4Model * m)
{
  return m->model_path;
}

guint
gst_gemma4_model_get_serial (GstGemma4Model * m)
{
  guint serial;

  g_mutex_lock (&m->lock);
  serial = m->serial;
  g_mutex_unlock (&m->lock);
  return serial;
}

guint
gst_gemma4_model_get_users (GstGemma4Model * m)
{
  guint users;

  g_mutex_lock (&registry_lock);
  users = (guint) m->refcount;
  g_mutex_unlock (&registry_lock);
  return users;
}

gboolean
gst_gemma4_model_acquire (GstGemma4Model * m, const volatile gint * cancel)
{
  gint me;                      /* its address identifies this waiter */

  g_mutex_lock (&m->lock);
  if (!m->busy && !m->stepping && g_queue_is_empty (&m->waiters)) {
    m->busy = TRUE;
    g_mutex_unlock (&m->lock);
    return TRUE;
  }
  g_queue_push_tail (&m->waiters, &me);
  while (!g_atomic_int_get (cancel)
      && (m->busy || m->stepping || g_queue_peek_head (&m->waiters) != &me))
    g_cond_wait (&m->turn_cond, &m->lock);
  g_queue_remove (&m->waiters, &me);
  if (g_atomic_int_get (cancel)) {
    g_cond_broadcast (&m->turn_cond);
    g_cond_broadcast (&m->batch_cond);
    g_mutex_unlock (&m->lock);
    return FALSE;
  }
  m->busy = TRUE;
  g_mutex_unlock (&m->lock);
  return TRUE;
}

void
gst_gemma4_model_release (GstGemma4Model * m)
{
  g_mutex_lock (&m->lock);
  m->busy = FALSE;
  g_cond_broadcast (&m->turn_cond);
  g_cond_broadcast (&m->batch_cond);
  g_mutex_unlock (&m->lock);
}

void
gst_gemma4_model_wake (GstGemma4Model * m)
{
  g_mutex_lock (&m->lock);
  g_cond_broadcast (&m->turn_cond);
  g_cond_broadcast (&m->batch_cond);
  g_mutex_unlock (&m->lock);
}

/* The waiting job that joins next: latency jobs by deadline before the
 * others, then arrival order. Call with m->lock. */
static BatchJob *
next_pending (GstGemma4Model * m)
{
  BatchJob *best = NULL;
  GList *l;

  for (l = m->pending.head; l; l = l->next) {
    BatchJob *j = l->data;
    gint64 dj = j->o->latency ? j->o->deadline : G_MAXINT64;
    gint64 db = best && best->o->latency ? best->o->deadline : G_MAXINT64;
    if (!best || dj < db || (dj == db && j->order < best->order))
      best = j;
  }
  return best;
}

/* Moves waiting jobs into the batch while every job in it, the newcomer
 * included, allows one more. Call with m->lock. */
static void
admit (GstGemma4Model * m)
{
  BatchJob *j;

  while ((j = next_pending (m))) {
    guint limit = j->o->max_batch, i;
    for (i = 0; i < m->active->len; i++)
      limit = MIN (limit, ((BatchJob *) g_ptr_array_index (m->active,
                  i))->o->max_batch);
    if (m->active->len >= limit)
      return;
    g_queue_remove (&m->pending, j);
    g_ptr_array_add (m->active, j);
  }
}

/* One forward pass for the whole batch, run without the lock by the calling
 * job's thread; finished generations leave. Call with m->lock. */
static void
step_batch (GstGemma4Model * m)
{
  guint n, i;
  gint chunk = 0;
  g4_generation **gens;
  g4_error err = { 0 };

  admit (m);
  n = m->active->len;
  if (n == 0)
    return;
  gens = g_newa (g4_generation *, n);
  for (i = 0; i < n; i++) {
    BatchJob *j = g_ptr_array_index (m->active, i);
    gens[i] = j->g;
    j->o->batch_seen = MAX (j->o->batch_seen, n);
    if (j->o->latency)
      chunk = LATENCY_PREFILL_CHUNK;
  }
  m->stepping = TRUE;
  g_mutex_unlock (&m->lock);
  /* a failed step ends every generation in it, with the error */
  g4_generation_step (gens, (int) n, chunk, &err);
  g_mutex_lock (&m->lock);
  m->stepping = FALSE;
  g_cond_broadcast (&m->turn_cond);
  for (i = m->active->len; i-- > 0;) {
    BatchJob *j = g_ptr_array_index (m->active, i);
    if (g4_generation_done (j->g)) {
      j->done = TRUE;
      g_ptr_array_remove_index (m->active, i);
    }
  }
  g_cond_broadcast (&m->batch_cond);
}

gboolean
gst_gemma4_model_generate (GstGemma4Model * m, g4_generation * g,
    GstGemma4BatchOptions * o)
{
  BatchJob job = { g, o, 0, FALSE };
  gboolean joined = TRUE;

  g_mutex_lock (&m->lock);
  job.order = m->arrivals++;
  g_queue_push_tail (&m->pending, &job);
  while (!job.done) {
    if (g_atomic_int_get (o->cancel) && g_queue_remove (&m->pending, &job)) {
      joined = FALSE;
      break;
    }
    if (!m->stepping && !m->busy && g_queue_is_empty (&m->waiters))
      step_batch (m);
    else
      g_cond_wait (&m->batch_cond, &m->lock);
  }
  g_mutex_unlock (&m->lock);
  return joined;
}

/* The encoders' turn for an image call: the jobs already waiting for the
 * turn go first, at most rounds of them (each either brings its image to
 * the call, which waits, or runs its own encoder and hands the turn on). */
static gboolean
acquire_after_waiters (GstGemma4Model * m, const volatile gint * cancel,
    guint rounds)
{
  if (!gst_gemma4_model_acquire (m, cancel))
    return FALSE;
  while (rounds-- > 0) {
    gboolean others;

    g_mutex_lock (&m->lock);
    others = !g_queue_is_empty (&m->waiters);
    g_mutex_unlock (&m->lock);
    if (!others)
      break;
    gst_gemma4_model_release (m);
    if (!gst_gemma4_model_acquire (m, cancel))
      return FALSE;
  }
  return TRUE;
}

/* Encodes jobs[0..n) in one call (each alone when the call refuses one of
 * them, so that a bad image fails only itself), without m->lock. */
static void
encode_images (GstGemma4Model * m, ImageJob ** jobs, guint n, gint n_threads)
{
  g4_image_item *items = g_newa (g4_image_item, n);
  g4_error err = { 0 };
  g4_status st;
  guint i;

  for (i = 0; i < n; i++)
    items[i] = *jobs[i]->item;
  st = g4_image_encode_many (m->mmproj, items, (int) n, n_threads, &err);
  for (i = 0; i < n; i++) {
    ImageJob *j = jobs[i];
    if (st == G4_STATUS_INVALID_ARG && n > 1) {
      j->status = g4_image_encode_many (m->mmproj, j->item, 1, n_threads,
          &j->err);
      continue;
    }
    *j->item = items[i];
    j->status = st;
    j->err = err;
  }
}

g4_status
gst_gemma4_model_encode_image (GstGemma4Model * m, g4_image_item * item,
    guint max_batch, gint n_threads, guint * batch_seen, g4_error * err)
{
  ImageJob job = { item, FALSE, 0, G4_OK, {0} };
  const volatile gint *cancel = item->cancel;

  g_mutex_lock (&m->lock);
  g_queue_push_tail (&m->images, &job);
  while (!job.done) {
    ImageJob **jobs;
    guint n = 0;

    if (cancel && g_atomic_int_get (cancel)
        && g_queue_remove (&m->images, &job)) {
      job.status = job.err.code = G4_STATUS_CANCELLED;
      g_strlcpy (job.err.message, "cancelled before its image was encoded",
          sizeof job.err.message);
      break;
    }
    if (m->encoding) {
      g_cond_wait (&m->batch_cond, &m->lock);
      continue;
    }
    /* this caller runs the next call, in the encoders' turn: the images
     * that arrive until it has the turn join it */
    m->encoding = TRUE;
    g_mutex_unlock (&m->lock);
    if (!acquire_after_waiters (m, cancel, MAX (max_batch, 1) - 1)) {
      g_mutex_lock (&m->lock);
      m->encoding = FALSE;
      g_cond_broadcast (&m->batch_cond);
      continue;
    }
    g_mutex_lock (&m->lock);
    jobs = g_newa (ImageJob *, MAX (max_batch, 1));
    g_queue_remove (&m->images, &job);
    jobs[n++] = &job;
    while (n < MAX (max_batch, 1) && !g_queue_is_empty (&m->images))
      jobs[n++] = g_queue_pop_head (&m->images);
    g_mutex_unlock (&m->lock);
    encode_images (m, jobs, n, n_threads);
    gst_gemma4_model_release (m);
    g_mutex_lock (&m->lock);
    for (guint i = 0; i < n; i++) {
      jobs[i]->batch = n;
      jobs[i]->done = TRUE;
    }
    m->encoding = FALSE;
    g_cond_broadcast (&m->batch_cond);
  }
  g_mutex_unlock (&m->lock);
  if (batch_seen)
    *batch_seen = job.batch;
  if (job.status != G4_OK && err)
    *err = job.err;
  return job.status;
}
