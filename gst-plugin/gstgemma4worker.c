/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-element inference worker (see gstgemma4worker.h): the thread, its
 * ordered queue with the job bound and drop policy, flushing and
 * cancellation, model loading with PROGRESS messages, and statistics. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgemma4remote.h"
#include "gstgemma4worker.h"

GST_DEBUG_CATEGORY_STATIC (gst_gemma4_worker_debug);
#define GST_CAT_DEFAULT gst_gemma4_worker_debug

/* Consecutive over-budget jobs before a warning: one slow job is noise. */
#define OVERRUNS_BEFORE_WARNING 3
/* Under steady overload: at most one overrun warning this often (us), and
 * one QOS message of drops (as GStreamer's decoders throttle theirs). */
#define WARNING_INTERVAL (10 * G_USEC_PER_SEC)
#define QOS_INTERVAL G_USEC_PER_SEC
/* backend=openai: at most one warning of failed requests this often (us) */
#define FAILURE_WARNING_INTERVAL G_USEC_PER_SEC

typedef struct
{
  GstGemma4WorkFunc prepare;    /* backend=openai */
  GstGemma4WorkFunc func;
  GstGemma4WorkFunc drop_func;
  gpointer data;
  GDestroyNotify destroy;
  gboolean is_job;
  gboolean is_drop;             /* a job dropped under load, its drop_func to run */
  GstGemma4JobTiming timing;
  gint64 queued_at;             /* monotonic us */
  /* backend=openai, worker thread: the job's requests, and what its
   * prepare function returned */
  GQueue requests;
  GstFlowReturn prepared;
} Item;

struct _GstGemma4Worker
{
  GstElement *owner;            /* not reffed: the owner frees the worker */
  gint n_threads;
  guint n_ctx;
  guint max_jobs;
  GstGemma4SchedulingPolicy policy;
  guint max_batch;
  guint latency_ms;

  GThread *thread;
  GMutex lock;
  GCond cond;
  GQueue items;
  guint n_jobs;                 /* jobs among items */
  gboolean running;             /* an item is out of the queue and running */
  gboolean flushing;
  gboolean quit;
  gboolean failed;              /* model or session could not be made */
  volatile gint cancel;
  GstFlowReturn last_flow;

  GstGemma4Model *model;       /* NULL with backend=openai */
  g4_session *session;          /* worker thread only */

  /* backend=openai: the client (worker thread only) and what it is made
   * of; the cancellable ends a request on a flush */
  G4RemoteClient *remote;
  gchar *server_url, *server_model, *api_key_env;
  G4RemoteDialect dialect;
  guint max_retries;
  guint connect_timeout_ms;
  GCancellable *cancellable;
  GCancellable *stop;
  /* the requests' context: the worker thread iterates it, others wake it
   * when they queue, flush or stop */
  GMainContext *context;
  GQueue flight;                /* items out of the queue, not yet run */
  guint n_flight_jobs;
  guint max_inflight;
  Item *current;                /* worker thread: being prepared or run */           /* the connection attempt: only stopping ends it */
  /* backend=openai: whether the server answered at start (-1: not yet),
   * and a READY->PAUSED returned ASYNC for it */
  gint connected;
  gboolean async_pending;
  guint64 remote_failures;
  guint64 failures_unwarned;
  gint64 last_failure_warning;
  gboolean has_turn;            /* worker thread only: holds the model's turn */
  GstGemma4BatchOptions batch;  /* worker thread only: the running job's */

  guint64 jobs, drops, late, tokens;
  guint batch_max;              /* the most generations decoded together */
  guint image_batch_max;        /* the most images encoded in one call */
  guint64 prompt_reused;        /* prompt positions not computed again */
  guint64 started;              /* jobs the thread took (QOS "processed") */
  gint64 last_qos;              /* monotonic time of the last QOS message */
  GstClockTime inference_sum, inference_max;
  gdouble generate_seconds;
  guint overruns;               /* in a row */
  guint64 overruns_total;
  guint64 overruns_unwarned;    /* since the last warning */
  gint64 last_overrun_warning;

  /* worker thread: memory kept from job to job */
  g4_prompt prompt;
  gfloat *media;
  gsize media_cap;
};

static void
item_free (Item * item)
{
  g_queue_clear_full (&item->requests,
      (GDestroyNotify) gst_gemma4_remote_request_free);
  if (item->destroy)
    item->destroy (item->data);
  g_free (item);
}

static void
post_progress (GstGemma4Worker * w, GstProgressType type, const gchar * text)
{
  gst_element_post_message (w->owner,
      gst_message_new_progress (GST_OBJECT (w->owner), type, "loading",
          text));
}

/* From now on items fail with ERROR. */
static void
mark_failed (GstGemma4Worker * w)
{
  g_mutex_lock (&w->lock);
  w->failed = TRUE;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
}

/* The start's outcome: a READY->PAUSED waiting for it completes (or
 * fails, the ERROR posted first). */
static void
set_connected (GstGemma4Worker * w, gboolean ok)
{
  gboolean pending;

  g_mutex_lock (&w->lock);
  w->connected = ok;
  pending = w->async_pending;
  w->async_pending = FALSE;
  g_mutex_unlock (&w->lock);
  if (!pending)
    return;
  if (ok) {
    gst_element_post_message (w->owner,
        gst_message_new_async_done (GST_OBJECT (w->owner),
            GST_CLOCK_TIME_NONE));
    gst_element_continue_state (w->owner, GST_STATE_CHANGE_SUCCESS);
  } else {
    gst_element_abort_state (w->owner);
  }
}

GstStateChangeReturn
gst_gemma4_worker_wait_server (GstGemma4Worker * w)
{
  GstStateChangeReturn ret = GST_STATE_CHANGE_SUCCESS;

  if (!w || w->model)
    return ret;
  g_mutex_lock (&w->lock);
  if (w->connected < 0) {
    w->async_pending = TRUE;
    ret = GST_STATE_CHANGE_ASYNC;
  } else if (!w->connected) {
    ret = GST_STATE_CHANGE_FAILURE;
  }
  g_mutex_unlock (&w->lock);
  if (ret == GST_STATE_CHANGE_ASYNC)
    gst_element_post_message (w->owner,
        gst_message_new_async_start (GST_OBJECT (w->owner)));
  return ret;
}

static void
remote_progress (const gchar * text, gpointer w)
{
  post_progress (w, GST_PROGRESS_TYPE_CONTINUE, text);
}

/* backend=openai: the client, and a server answering within
 * request-timeout, on the worker thread (its libsoup context is this
 * thread's). */
static gboolean
worker_connect (GstGemma4Worker * w)
{
  G4RemoteConfig config = { w->server_url, w->server_model, w->api_key_env,
    w->dialect, w->max_retries, w->context
  };
  GError *error = NULL;
  gchar *text;

  text = g_strdup_printf ("Connecting to %s", w->server_url);
  post_progress (w, GST_PROGRESS_TYPE_START, text);
  g_free (text);
  w->remote = g4remote_client_new (&config, &error);
  if (w->remote && !g4remote_client_connect (w->remote,
          g_get_monotonic_time () + w->connect_timeout_ms * (gint64) 1000,
          remote_progress, w, w->stop, &error))
    g_clear_pointer (&w->remote, g4remote_client_free);
  if (!w->remote) {
    mark_failed (w);
    post_progress (w, GST_PROGRESS_TYPE_ERROR, error->message);
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      GST_ELEMENT_ERROR (w->owner, RESOURCE, OPEN_READ,
          ("backend=openai: %s (server-url %s, waited %u ms: "
              "request-timeout)", error->message, w->server_url,
              w->connect_timeout_ms), (NULL));
    g_clear_error (&error);
    set_connected (w, FALSE);
    return FALSE;
  }
  text = g_strdup_printf ("Using %s at %s",
      g4remote_client_get_model (w->remote),
      g4remote_client_get_urls (w->remote));
  GST_INFO_OBJECT (w->owner, "%s", text);
  post_progress (w, GST_PROGRESS_TYPE_COMPLETE, text);
  g_free (text);
  set_connected (w, TRUE);
  return TRUE;
}

/* Model and session, on the worker thread so NULL->READY never waits for
 * the files and the streaming thread never does either. A failure is marked
 * before it is posted, so whoever reacts to the error finds data refused. */
static gboolean
worker_load (GstGemma4Worker * w)
{
  GError *error = NULL;
  gboolean loaded_here = FALSE;
  gint64 t0 = g_get_monotonic_time ();
  gchar *text;
  g4_session_params sp = g4_session_default_params ();
  g4_error err = { 0 };
  g4_session *session = NULL;

  text = g_strdup_printf ("Loading %s", gst_gemma4_model_get_path (w->model));
  post_progress (w, GST_PROGRESS_TYPE_START, text);
  g_free (text);
  if (!gst_gemma4_model_wait_ready (w->model, &loaded_here, &error)) {
    mark_failed (w);
    post_progress (w, GST_PROGRESS_TYPE_ERROR, error->message);
    GST_ELEMENT_ERROR (w->owner, RESOURCE, OPEN_READ, ("%s", error->message),
        (NULL));
    g_clear_error (&error);
    return FALSE;
  }
  sp.n_ctx = (int) w->n_ctx;
  sp.n_threads = w->n_threads;
  sp.cancel = &w->cancel;
  if (g4_session_new (gst_gemma4_model_get_model (w->model), &sp, &session,
          &err) != G4_OK) {
    text = g_strdup_printf ("Could not create a context of %u positions for "
        "%s: %s", w->n_ctx, gst_gemma4_model_get_path (w->model), err.message);
    mark_failed (w);
    post_progress (w, GST_PROGRESS_TYPE_ERROR, text);
    GST_ELEMENT_ERROR (w->owner, RESOURCE, FAILED, ("%s", text), (NULL));
    g_free (text);
    return FALSE;
  }
  w->session = session;
  text = g_strdup_printf ("%s %s in %.0f ms", loaded_here ? "Loaded" :
      "Sharing", gst_gemma4_model_get_name (w->model),
      (g_get_monotonic_time () - t0) / 1000.0);
  GST_INFO_OBJECT (w->owner, "%s", text);
  post_progress (w, GST_PROGRESS_TYPE_COMPLETE, text);
  g_free (text);
  return TRUE;
}

/* The local engine: one item after the other. */
static void
run_local (GstGemma4Worker * w, gboolean ok)
{
  g_mutex_lock (&w->lock);
  for (;;) {
    Item *item;
    GstFlowReturn ret;
    gboolean item_was_job;

    while (!w->quit && (w->flushing || g_queue_is_empty (&w->items)))
      g_cond_wait (&w->cond, &w->lock);
    if (w->quit)
      break;
    item = g_queue_pop_head (&w->items);
    item_was_job = item->is_job;
    if (item->is_job) {
      w->n_jobs--;
      w->started++;
    }
    w->running = TRUE;
    g_cond_broadcast (&w->cond);
    g_mutex_unlock (&w->lock);

    if (!ok) {
      ret = GST_FLOW_ERROR;
    } else if (!item->is_job) {
      ret = item->func (w->owner, w, item->data);
    } else if (gst_gemma4_model_acquire (w->model, &w->cancel)) {
      w->has_turn = TRUE;
      w->batch.latency = w->policy == GST_GEMMA4_SCHEDULING_LATENCY
          || (w->policy == GST_GEMMA4_SCHEDULING_AUTO && item->timing.live);
      w->batch.deadline = item->queued_at + (gint64) w->latency_ms * 1000;
      w->batch.max_batch = w->max_batch;
      ret = item->func (w->owner, w, item->data);
      gst_gemma4_worker_end_compute (w);
    } else {
      ret = GST_FLOW_FLUSHING;
    }
    item_free (item);

    g_mutex_lock (&w->lock);
    w->running = FALSE;
    /* Output items report success; only jobs say whether the last result
     * got through. */
    if (!w->flushing && (item_was_job || ret != GST_FLOW_OK))
      w->last_flow = ret;
    g_cond_broadcast (&w->cond);
  }
  g_mutex_unlock (&w->lock);
}

/* Call with the lock: whether a request in flight has not ended yet. */
static gboolean
requests_pending (GstGemma4Worker * w)
{
  for (GList * l = w->flight.head; l; l = l->next) {
    Item *item = l->data;
    for (GList * r = item->requests.head; r; r = r->next)
      if (!gst_gemma4_remote_request_finished (r->data))
        return TRUE;
  }
  return FALSE;
}

/* Call with the lock: whether the first item in flight may run (its
 * requests answered, or streamed). */
static gboolean
head_ready (GstGemma4Worker * w)
{
  Item *head = g_queue_peek_head (&w->flight);

  if (!head)
    return FALSE;
  for (GList * r = head->requests.head; r; r = r->next)
    if (!gst_gemma4_remote_request_ready (r->data))
      return FALSE;
  return TRUE;
}

/* Call with the lock: item (queued or in flight) prepared by its job's
 * function (unlocked meanwhile). */
static void
prepare_item (GstGemma4Worker * w, Item * item)
{
  w->current = item;
  g_mutex_unlock (&w->lock);
  item->prepared = item->prepare (w->owner, w, item->data);
  g_mutex_lock (&w->lock);
  w->current = NULL;
}

/* Call with the lock: runs the first item in flight (unlocked meanwhile). */
static void
run_head (GstGemma4Worker * w, gboolean ok)
{
  Item *item = g_queue_pop_head (&w->flight);
  const gboolean was_job = item->is_job;
  GstFlowReturn ret;

  if (was_job)
    w->n_flight_jobs--;
  w->current = item;
  g_mutex_unlock (&w->lock);
  if (!ok)
    ret = GST_FLOW_ERROR;
  else if (item->prepared != GST_FLOW_OK)
    ret = item->prepared;
  else
    ret = item->func (w->owner, w, item->data);
  item_free (item);
  g_mutex_lock (&w->lock);
  w->current = NULL;
  w->running = !g_queue_is_empty (&w->flight);
  if (!w->flushing && (was_job || ret != GST_FLOW_OK))
    w->last_flow = ret;
  g_cond_broadcast (&w->cond);
}

/* backend=openai: up to max-inflight jobs are sent (prepared) while the
 * first one in flight waits for its answer; items run in queue order, each
 * once its requests are answered (a streamed one as soon as it is the
 * first: it hands its pieces on as they come); meanwhile the thread
 * iterates the requests' context. A flush cancels every request, and the
 * items in flight go once all have ended. */
static void
run_remote (GstGemma4Worker * w, gboolean ok)
{
  g_mutex_lock (&w->lock);
  for (;;) {
    Item *next = g_queue_peek_head (&w->items);
    Item *head = g_queue_peek_head (&w->flight);

    if (w->flushing || w->quit) {
      if (!requests_pending (w) && head) {
        GList *gone = w->flight.head;
        g_queue_init (&w->flight);
        w->n_flight_jobs = 0;
        w->running = FALSE;
        g_cond_broadcast (&w->cond);
        g_mutex_unlock (&w->lock);
        g_list_free_full (gone, (GDestroyNotify) item_free);
        g_mutex_lock (&w->lock);
        continue;
      }
      if (w->quit && !head)
        break;
    } else if (head && head->prepared == GST_GEMMA4_FLOW_LATER) {
      prepare_item (w, head);
      continue;
    } else if (head_ready (w)) {
      run_head (w, ok);
      continue;
    } else if (next && (!next->is_job || w->n_flight_jobs < w->max_inflight)) {
      g_queue_pop_head (&w->items);
      if (next->is_job) {
        w->n_jobs--;
        w->started++;
        w->n_flight_jobs++;
      }
      g_queue_push_tail (&w->flight, next);
      w->running = TRUE;
      g_cond_broadcast (&w->cond);
      if (ok && next->is_job && next->prepare)
        prepare_item (w, next);
      continue;
    }
    g_mutex_unlock (&w->lock);
    g_main_context_iteration (w->context, TRUE);
    g_mutex_lock (&w->lock);
  }
  g_mutex_unlock (&w->lock);
}

static gpointer
worker_thread (gpointer data)
{
  GstGemma4Worker *w = data;

  if (w->model) {
    run_local (w, worker_load (w));
    return NULL;
  }
  /* the requests' callbacks and libsoup's sources live on it */
  g_main_context_push_thread_default (w->context);
  run_remote (w, worker_connect (w));
  g4remote_client_free (w->remote);
  g_main_context_pop_thread_default (w->context);
  return NULL;
}

GstGemma4Worker *
gst_gemma4_worker_new (GstElement * owner, const GstGemma4Settings * s,
    guint max_jobs, GError ** error)
{
  GstGemma4Worker *w;
  GstGemma4Model *model;
  gchar *name;

  GST_DEBUG_CATEGORY_INIT (gst_gemma4_worker_debug, "gemma4worker", 0,
      "gemma4 inference worker");
  if (s->backend == GST_GEMMA4_BACKEND_OPENAI) {
    model = NULL;
    /* as many wait to be sent as are in flight */
    max_jobs = s->max_inflight;
  } else if (!(model = gst_gemma4_model_get (s->model_path, s->mmproj_path,
              s->model_instance_id, error))) {
    return NULL;
  }
  w = g_new0 (GstGemma4Worker, 1);
  w->owner = owner;
  w->model = model;
  w->n_threads = s->n_threads;
  w->n_ctx = s->context_size;
  w->max_jobs = MAX (max_jobs, 1);
  w->policy = s->scheduling_policy;
  w->max_batch = s->max_batch;
  w->latency_ms = s->latency_ms;
  w->batch.cancel = &w->cancel;
  w->server_url = g_strdup (s->server_url);
  w->server_model = g_strdup (s->server_model);
  w->api_key_env = g_strdup (s->api_key_env);
  w->dialect = (G4RemoteDialect) s->api_dialect;
  w->max_retries = s->max_retries;
  w->connect_timeout_ms = gst_gemma4_settings_request_timeout (s);
  w->cancellable = g_cancellable_new ();
  w->stop = g_cancellable_new ();
  w->max_inflight = MAX (s->max_inflight, 1);
  w->connected = -1;
  w->context = g_main_context_new ();
  g_queue_init (&w->flight);
  w->flushing = TRUE;
  w->last_flow = GST_FLOW_OK;
  g_mutex_init (&w->lock);
  g_cond_init (&w->cond);
  g_queue_init (&w->items);
  name = g_strdup_printf ("%s:worker", GST_ELEMENT_NAME (owner));
  w->thread = g_thread_new (name, worker_thread, w);
  g_free (name);
  return w;
}

/* Call with the lock; returns the items for item_free() outside it. A drop
 * taken away before it ran leaves no record: it is not counted either, so
 * the records of a run are always its jobs plus its drops. */
static GList *
take_items (GstGemma4Worker * w)
{
  GList *items = w->items.head;

  for (GList * l = items; l; l = l->next)
    if (((Item *) l->data)->is_drop)
      w->drops--;
  g_queue_init (&w->items);
  w->n_jobs = 0;
  return items;
}

static void
raise_cancel (GstGemma4Worker * w, gboolean quit)
{
  GList *items;

  g_mutex_lock (&w->lock);
  w->flushing = TRUE;
  w->quit |= quit;
  g_atomic_int_set (&w->cancel, 1);
  items = take_items (w);
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
  g_cancellable_cancel (w->cancellable);
  if (quit)
    g_cancellable_cancel (w->stop);
  if (w->model)
    gst_gemma4_model_wake (w->model);
  g_main_context_wakeup (w->context);
  g_list_free_full (items, (GDestroyNotify) item_free);
}

void
gst_gemma4_worker_free (GstGemma4Worker * w)
{
  if (!w)
    return;
  raise_cancel (w, TRUE);
  g_thread_join (w->thread);
  if (w->session)
    g4_session_free (w->session);
  g4_prompt_free (&w->prompt);
  g_free (w->media);
  if (w->model)
    gst_gemma4_model_unref (w->model);
  g_object_unref (w->cancellable);
  g_object_unref (w->stop);
  g_main_context_unref (w->context);
  g_free (w->server_url);
  g_free (w->server_model);
  g_free (w->api_key_env);
  g_mutex_clear (&w->lock);
  g_cond_clear (&w->cond);
  g_free (w);
}

void
gst_gemma4_worker_set_flushing (GstGemma4Worker * w, gboolean flushing)
{
  if (flushing) {
    raise_cancel (w, FALSE);
    return;
  }
  g_mutex_lock (&w->lock);
  while (w->running)
    g_cond_wait (&w->cond, &w->lock);
  g_atomic_int_set (&w->cancel, 0);
  /* nothing runs: no request holds it */
  g_cancellable_reset (w->cancellable);
  w->flushing = FALSE;
  w->last_flow = GST_FLOW_OK;
  w->overruns = 0;
  g_mutex_unlock (&w->lock);
}

void
gst_gemma4_worker_drain (GstGemma4Worker * w)
{
  g_mutex_lock (&w->lock);
  /* after an error nothing more goes out: the streaming thread goes on to
   * return it */
  while (!w->flushing && !w->failed && w->last_flow != GST_FLOW_ERROR
      && (w->running || !g_queue_is_empty (&w->items)))
    g_cond_wait (&w->cond, &w->lock);
  g_mutex_unlock (&w->lock);
}

/* Call with the lock. */
static GstFlowReturn
current_flow (GstGemma4Worker * w)
{
  if (w->flushing)
    return GST_FLOW_FLUSHING;
  if (w->failed)
    return GST_FLOW_ERROR;
  return w->last_flow;
}

GstFlowReturn
gst_gemma4_worker_get_flow (GstGemma4Worker * w)
{
  GstFlowReturn ret;

  g_mutex_lock (&w->lock);
  ret = current_flow (w);
  g_mutex_unlock (&w->lock);
  return ret;
}

GstFlowReturn
gst_gemma4_worker_queue (GstGemma4Worker * w, GstGemma4WorkFunc func,
    gpointer data, GDestroyNotify destroy)
{
  Item *item = g_new0 (Item, 1);
  GstFlowReturn ret;

  item->func = func;
  item->data = data;
  item->destroy = destroy;
  g_mutex_lock (&w->lock);
  ret = current_flow (w);
  if (!w->flushing) {
    g_queue_push_tail (&w->items, item);
    item = NULL;
    g_cond_broadcast (&w->cond);
    g_main_context_wakeup (w->context);
  }
  g_mutex_unlock (&w->lock);
  if (item)
    item_free (item);
  return ret;
}

static void
post_drop_qos (GstGemma4Worker * w, const GstGemma4JobTiming * t,
    guint64 processed, guint64 dropped)
{
  GstMessage *msg = gst_message_new_qos (GST_OBJECT (w->owner), TRUE,
      t->running_time, t->stream_time, t->timestamp, t->duration);

  gst_message_set_qos_stats (msg, GST_FORMAT_BUFFERS, processed, dropped);
  gst_element_post_message (w->owner, msg);
}

/* Call with the lock: one more drop; TRUE when its QOS message is due. */
static gboolean
count_drop (GstGemma4Worker * w, guint64 * processed, guint64 * drops)
{
  const gint64 now = g_get_monotonic_time ();
  gboolean due = !w->last_qos || now - w->last_qos >= QOS_INTERVAL;

  w->drops++;
  *processed = w->started;
  *drops = w->drops;
  if (due)
    w->last_qos = now;
  return due;
}

void
gst_gemma4_worker_drop_running (GstGemma4Worker * w,
    const GstGemma4JobTiming * timing)
{
  guint64 processed, drops;
  gboolean post_qos;

  g_mutex_lock (&w->lock);
  post_qos = count_drop (w, &processed, &drops);
  g_mutex_unlock (&w->lock);
  if (post_qos)
    post_drop_qos (w, timing, processed, drops);
}

GstFlowReturn
gst_gemma4_worker_queue_job (GstGemma4Worker * w, GstGemma4WorkFunc prepare,
    GstGemma4WorkFunc func, GstGemma4WorkFunc drop_func, gpointer data,
    GDestroyNotify destroy, gboolean leaky, const GstGemma4JobTiming * timing)
{
  Item *item = g_new0 (Item, 1);
  GstGemma4JobTiming dropped_timing = { 0 };
  gboolean dropped = FALSE, post_qos = FALSE;
  guint64 processed = 0, drops = 0;
  GstFlowReturn ret;

  item->prepare = prepare;
  item->func = func;
  item->drop_func = drop_func;
  item->data = data;
  item->destroy = destroy;
  item->is_job = TRUE;
  item->timing = *timing;
  item->queued_at = g_get_monotonic_time ();

  g_mutex_lock (&w->lock);
  if (leaky && w->n_jobs >= w->max_jobs) {
    GList *l;
    for (l = w->items.head; l; l = l->next) {
      Item *old = l->data;
      if (old->is_job) {
        old->is_job = FALSE;
        old->is_drop = TRUE;
        old->func = old->drop_func;
        dropped_timing = old->timing;
        break;
      }
    }
    w->n_jobs--;
    dropped = TRUE;
    post_qos = count_drop (w, &processed, &drops);
  }
  while (!w->flushing && !w->quit && w->n_jobs >= w->max_jobs)
    g_cond_wait (&w->cond, &w->lock);
  ret = current_flow (w);
  if (!w->flushing) {
    g_queue_push_tail (&w->items, item);
    w->n_jobs++;
    item = NULL;
    g_cond_broadcast (&w->cond);
    g_main_context_wakeup (w->context);
  }
  g_mutex_unlock (&w->lock);

  if (item)
    item_free (item);
  if (dropped) {
    GST_DEBUG_OBJECT (w->owner, "dropped the job at %" GST_TIME_FORMAT
        " (%" G_GUINT64_FORMAT " drops)",
        GST_TIME_ARGS (dropped_timing.timestamp), drops);
    if (post_qos)
      post_drop_qos (w, &dropped_timing, processed, drops);
  }
  return ret;
}

g4_prompt *
gst_gemma4_worker_get_prompt (GstGemma4Worker * w)
{
  return &w->prompt;
}

gfloat *
gst_gemma4_worker_media_rows (GstGemma4Worker * w, gsize n_floats)
{
  if (n_floats > w->media_cap || !w->media) {
    /* half as much again: sizes that creep up reallocate rarely */
    const gsize cap = MAX (n_floats, w->media_cap + w->media_cap / 2);
    gfloat *p = g_try_new (gfloat, MAX (cap, 1));
    if (!p)
      return NULL;
    g_free (w->media);
    w->media = p;
    w->media_cap = cap;
  }
  return w->media;
}

g4_session *
gst_gemma4_worker_get_session (GstGemma4Worker * w)
{
  return w->session;
}

GstGemma4Model *
gst_gemma4_worker_get_model (GstGemma4Worker * w)
{
  return w->model;
}

const gchar *
gst_gemma4_worker_get_model_name (GstGemma4Worker * w)
{
  return w->model ? gst_gemma4_model_get_name (w->model) :
      g4remote_client_get_model (w->remote);
}

gboolean
gst_gemma4_worker_is_remote (GstGemma4Worker * w)
{
  return w->model == NULL;
}

G4RemoteClient *
gst_gemma4_worker_get_remote (GstGemma4Worker * w)
{
  return w->remote;
}

void
gst_gemma4_worker_add_request (GstGemma4Worker * w,
    GstGemma4RemoteRequest * r)
{
  g_queue_push_tail (&w->current->requests, r);
}

GstGemma4RemoteRequest *
gst_gemma4_worker_take_request (GstGemma4Worker * w)
{
  return g_queue_pop_head (&w->current->requests);
}

gboolean
gst_gemma4_worker_is_next (GstGemma4Worker * w)
{
  gboolean next;

  g_mutex_lock (&w->lock);
  next = g_queue_peek_head (&w->flight) == w->current;
  g_mutex_unlock (&w->lock);
  return next;
}

GCancellable *
gst_gemma4_worker_get_cancellable (GstGemma4Worker * w)
{
  return w->cancellable;
}

void
gst_gemma4_worker_remote_failed (GstGemma4Worker * w, const GError * error)
{
  const gint64 now = g_get_monotonic_time ();
  guint64 failures = 0, total;
  gboolean warn;

  g_mutex_lock (&w->lock);
  total = ++w->remote_failures;
  w->failures_unwarned++;
  warn = !w->last_failure_warning
      || now - w->last_failure_warning >= FAILURE_WARNING_INTERVAL;
  if (warn) {
    failures = w->failures_unwarned;
    w->failures_unwarned = 0;
    w->last_failure_warning = now;
  }
  g_mutex_unlock (&w->lock);
  GST_DEBUG_OBJECT (w->owner, "request failed: %s", error->message);
  if (!warn)
    return;
  GST_ELEMENT_WARNING_WITH_DETAILS (w->owner, RESOURCE, READ,
      ("The server did not answer a job, which is dropped: %s (%"
          G_GUINT64_FORMAT " failed jobs since the last warning, at most one "
          "warning every %d s; the total is \"server-failures\" in stats)",
          error->message, failures,
          (gint) (FAILURE_WARNING_INTERVAL / G_USEC_PER_SEC)), (NULL),
      ("reason", G_TYPE_STRING, error->domain == G4REMOTE_ERROR
          && error->code == G4REMOTE_ERROR_TIMEOUT ? "gemma4/server-timeout" :
          "gemma4/server-failed",
          "server-url", G_TYPE_STRING, w->server_url,
          "failures", G_TYPE_UINT64, failures,
          "total", G_TYPE_UINT64, total, NULL));
}

void
gst_gemma4_worker_end_compute (GstGemma4Worker * w)
{
  if (!w->has_turn)
    return;
  w->has_turn = FALSE;
  gst_gemma4_model_release (w->model);
}

gint
gst_gemma4_worker_get_n_threads (GstGemma4Worker * w)
{
  return w->n_threads;
}

const volatile gint *
gst_gemma4_worker_get_cancel (GstGemma4Worker * w)
{
  return &w->cancel;
}

gboolean
gst_gemma4_worker_is_cancelled (GstGemma4Worker * w)
{
  return g_atomic_int_get (&w->cancel) != 0;
}

bool
gst_gemma4_answer_piece (const char *text, int len, bool in_thought,
    void *answer)
{
  GstGemma4Answer *a = answer;

  if (!in_thought)
    g_string_append_len (a->text, text, len);
  return !gst_gemma4_worker_is_cancelled (a->worker);
}

void
gst_gemma4_worker_record (GstGemma4Worker * w, GstClockTime inference,
    guint tokens, gdouble generate_seconds, gboolean late,
    GstClockTime budget)
{
  const gint64 now = g_get_monotonic_time ();
  gboolean warn = FALSE;
  guint64 overruns = 0;

  g_mutex_lock (&w->lock);
  w->jobs++;
  w->late += late ? 1 : 0;
  w->tokens += tokens;
  w->generate_seconds += generate_seconds;
  w->inference_sum += inference;
  w->inference_max = MAX (w->inference_max, inference);
  if (GST_CLOCK_TIME_IS_VALID (budget) && inference > budget) {
    w->overruns++;
    w->overruns_total++;
    w->overruns_unwarned++;
    warn = w->overruns >= OVERRUNS_BEFORE_WARNING && (!w->last_overrun_warning
        || now - w->last_overrun_warning >= WARNING_INTERVAL);
  } else {
    w->overruns = 0;
  }
  if (warn) {
    overruns = w->overruns_unwarned;
    w->overruns_unwarned = 0;
    w->last_overrun_warning = now;
  }
  g_mutex_unlock (&w->lock);

  if (warn) {
    GST_ELEMENT_WARNING_WITH_DETAILS (w->owner, CORE, CLOCK,
        ("Inference took %" G_GUINT64_FORMAT " ms, over the latency budget "
            "of %" G_GUINT64_FORMAT " ms (%" G_GUINT64_FORMAT " jobs over it "
            "since the last warning, at most one every %d s; the total is "
            "\"overruns\" in stats): raise the latency property or use a "
            "smaller model", inference / GST_MSECOND, budget / GST_MSECOND,
            overruns, (gint) (WARNING_INTERVAL / G_USEC_PER_SEC)), (NULL),
        ("reason", G_TYPE_STRING, "gemma4/overrun",
            "inference_time", G_TYPE_UINT64, inference,
            "latency", G_TYPE_UINT64, budget,
            "overruns", G_TYPE_UINT64, overruns, NULL));
  }
}

guint64
gst_gemma4_worker_get_drops (GstGemma4Worker * w)
{
  guint64 drops;

  g_mutex_lock (&w->lock);
  drops = w->drops;
  g_mutex_unlock (&w->lock);
  return drops;
}

GstStructure *
gst_gemma4_worker_get_stats (GstGemma4Worker * w)
{
  guint64 jobs = 0, drops = 0, late = 0, tokens = 0, overruns = 0;
  guint64 server_failures = 0;
  GstClockTime sum = 0, max = 0;
  gdouble gen = 0.0;
  guint serial = 0, users = 0, batch_max = 0, image_batch_max = 0;
  guint64 prompt_reused = 0;

  if (w) {
    g_mutex_lock (&w->lock);
    jobs = w->jobs;
    drops = w->drops;
    late = w->late;
    overruns = w->overruns_total;
    server_failures = w->remote_failures;
    tokens = w->tokens;
    sum = w->inference_sum;
    max = w->inference_max;
    gen = w->generate_seconds;
    batch_max = w->batch_max;
    image_batch_max = w->image_batch_max;
    prompt_reused = w->prompt_reused;
    g_mutex_unlock (&w->lock);
    if (w->model) {
      serial = gst_gemma4_model_get_serial (w->model);
      users = gst_gemma4_model_get_users (w->model);
    }
  }
  return gst_structure_new ("gemma4-stats",
      "jobs", G_TYPE_UINT64, jobs,
      "drops", G_TYPE_UINT64, drops,
      "late", G_TYPE_UINT64, late,
      "overruns", G_TYPE_UINT64, overruns,
      "mean-inference-time", G_TYPE_UINT64, jobs ? sum / jobs : 0,
      "max-inference-time", G_TYPE_UINT64, max,
      "tokens-per-second", G_TYPE_DOUBLE, gen > 0.0 ? tokens / gen : 0.0,
      "model-serial", G_TYPE_UINT, serial,
      "model-users", G_TYPE_UINT, users,
      "batch-max", G_TYPE_UINT, batch_max,
      "image-batch-max", G_TYPE_UINT, image_batch_max,
      "prompt-reused", G_TYPE_UINT64, prompt_reused,
      "server-failures", G_TYPE_UINT64, server_failures, NULL);
}

gboolean
gst_gemma4_worker_open (GstGemma4Worker ** worker, GstElement * element,
    GstGemma4Settings * settings, guint max_jobs, GstGemma4CheckFunc check)
{
  GstGemma4Worker *w = NULL;
  GError *error = NULL;
  gchar *why = NULL;

  if (!gst_gemma4_settings_check (settings, element, TRUE))
    return FALSE;
  GST_OBJECT_LOCK (element);
  if (!check || check (element, &why))
    w = gst_gemma4_worker_new (element, settings, max_jobs, &error);
  *worker = w;
  GST_OBJECT_UNLOCK (element);
  if (!w) {
    GST_ELEMENT_ERROR (element, LIBRARY, SETTINGS, ("%s",
            why ? why : error->message), (NULL));
    g_free (why);
    g_clear_error (&error);
    return FALSE;
  }
  return TRUE;
}

void
gst_gemma4_worker_change_state (GstGemma4Worker * w,
    GstStateChange transition)
{
  if (!w)
    return;
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    gst_gemma4_worker_set_flushing (w, FALSE);
  /* Unblocks a chain function waiting for room and cancels generation
   * before the pads are deactivated (which waits for both). */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_gemma4_worker_set_flushing (w, TRUE);
  /* a READY->PAUSED still waiting for the server is given up */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY
      || transition == GST_STATE_CHANGE_READY_TO_READY
      || transition == GST_STATE_CHANGE_READY_TO_NULL) {
    g_mutex_lock (&w->lock);
    w->async_pending = FALSE;
    g_mutex_unlock (&w->lock);
  }
}

void
gst_gemma4_worker_close (GstGemma4Worker ** worker, GstElement * element,
    GstStructure ** last_stats, GstGemma4StatsFunc stats)
{
  GstGemma4Worker *w;

  GST_OBJECT_LOCK (element);
  w = *worker;
  if (*last_stats)
    gst_structure_free (*last_stats);
  *last_stats = stats ? stats (element) : gst_gemma4_worker_get_stats (w);
  *worker = NULL;
  GST_OBJECT_UNLOCK (element);
  gst_gemma4_worker_free (w);
}

GstStructure *
gst_gemma4_worker_stats_property (GstGemma4Worker * w,
    const GstStructure * last_stats)
{
  if (!w && last_stats)
    return gst_structure_copy (last_stats);
  return gst_gemma4_worker_get_stats (w);
}

g4_status
gst_gemma4_worker_generate (GstGemma4Worker * w, g4_prompt * prompt,
    const g4_generate_params * gp, g4_generate_result * res,
    const gchar * what, GstClockTime pts, const gchar * advice,
    g4_error * err)
{
  g4_generate_params p = *gp;
  g4_generation *g;
  g4_status st;

  *res = (g4_generate_result) { 0 };
  /* the head of the prompt before the media is usually the previous job's,
   * or that of another element sharing the model */
  p.reuse_prefix = true;
  p.prefix_cache = gst_gemma4_model_get_prefix_cache (w->model);
  st = g4_generation_new (w->session,
      &(g4_batch) {.n = prompt->n,.tokens = prompt->tokens,
      .embd = prompt->embd,.embd_mask = prompt->embd_mask,
      .bidirectional = prompt->bidirectional}, &p, &g, err);
  if (st != G4_OK)
    return st;
  /* the next element may encode while this one decodes */
  gst_gemma4_worker_end_compute (w);
  w->batch.batch_seen = 0;
  if (gst_gemma4_model_generate (w->model, g, &w->batch)) {
    st = g4_generation_result (g, res, err);
    g_mutex_lock (&w->lock);
    w->batch_max = MAX (w->batch_max, w->batch.batch_seen);
    w->prompt_reused += (guint64) res->n_prompt_reused;
    g_mutex_unlock (&w->lock);
  } else {
    st = err->code = G4_STATUS_CANCELLED;
    g_strlcpy (err->message, "cancelled before its turn", sizeof err->message);
  }
  g4_generation_free (g);

  if (st != G4_STATUS_CONTEXT_FULL)
    return st;
  if (GST_CLOCK_TIME_IS_VALID (pts))
    GST_ELEMENT_WARNING (w->owner, STREAM, FAILED,
        ("The context is full (%s): the %s for %" GST_TIME_FORMAT " is cut; "
            "raise context-size or %s", err->message, what,
            GST_TIME_ARGS (pts), advice), (NULL));
  else
    GST_ELEMENT_WARNING (w->owner, STREAM, FAILED,
        ("The context is full (%s): the %s is cut; raise context-size or %s",
            err->message, what, advice), (NULL));
  return G4_OK;
}

g4_status
gst_gemma4_worker_encode_image (GstGemma4Worker * w, const g4_image_view * view,
    g4_image_sizing sizing, gint max_soft_tokens, gfloat * out,
    gint * n_tokens, g4_error * err)
{
  g4_image_item item = {.img = view,.sizing = sizing,
    .max_soft_tokens = max_soft_tokens,.out = out,.cancel = &w->cancel
  };
  guint batch = 0;
  g4_status st;

  /* the images of other elements join this one's call while it waits */
  gst_gemma4_worker_end_compute (w);
  st = gst_gemma4_model_encode_image (w->model, &item, w->max_batch,
      w->n_threads, &batch, err);
  g_mutex_lock (&w->lock);
  w->image_batch_max = MAX (w->image_batch_max, batch);
  g_mutex_unlock (&w->lock);
  *n_tokens = item.n_tokens;
  return st;
}

GstFlowReturn
gst_gemma4_worker_finish_compute (GstGemma4Worker * w, g4_status st,
    const g4_error * err, const gchar * failed)
{
  gst_gemma4_worker_end_compute (w);
  if (st == G4_STATUS_CANCELLED || gst_gemma4_worker_is_cancelled (w))
    return GST_FLOW_FLUSHING;
  if (st != G4_OK) {
    GST_ELEMENT_ERROR (w->owner, LIBRARY, FAILED, ("%s: %s", failed,
            err->message), (NULL));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

gboolean
gst_gemma4_worker_account (GstGemma4Worker * w, gint64 t0, gint64 ready_at,
    gboolean live, GstClockTime budget, guint tokens,
    gdouble generate_seconds, GstClockTime * inference,
    GstStructure * result)
{
  const gint64 now = g_get_monotonic_time ();
  gboolean late = live && (GstClockTime) (now - ready_at) * GST_USECOND >
      budget;

  *inference = (now - t0) * GST_USECOND;
  gst_gemma4_worker_record (w, *inference, tokens, generate_seconds, late,
      live ? budget : GST_CLOCK_TIME_NONE);
  if (result)
    gst_structure_set (result, "inference_time", G_TYPE_UINT64, *inference,
        "tokens", G_TYPE_UINT, tokens, "late", G_TYPE_BOOLEAN, late, NULL);
  return late;
}

GstGemma4JobTiming
gst_gemma4_job_timing (const GstSegment * segment, GstClockTime timestamp,
    GstClockTime duration, gboolean live)
{
  GstGemma4JobTiming t;

  t.live = live;
  t.timestamp = timestamp;
  t.duration = duration;
  t.running_time = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
      timestamp);
  t.stream_time = gst_segment_to_stream_time (segment, GST_FORMAT_TIME,
      timestamp);
  return t;
}
