/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The inference worker of a gemma4 element: one thread that loads (or joins)
 * the shared model, owns the element's g4_session and runs a bounded queue of
 * items in order. Items are either jobs (inference, bounded, droppable under
 * load) or serialized output (events), so everything the element sends
 * downstream leaves in stream order from this one thread. */
#ifndef __GST_GEMMA4_WORKER_H__
#define __GST_GEMMA4_WORKER_H__

#include <gst/gst.h>

#include "gemma4.h"
#include "g4remote.h"
#include "gstgemma4modelregistry.h"
#include "gstgemma4settings.h"

G_BEGIN_DECLS

typedef struct _GstGemma4RemoteRequest GstGemma4RemoteRequest;

/* Runs on the worker thread; w is the worker running it (the owner may
 * already have let go of its pointer while stopping). */
typedef GstFlowReturn (*GstGemma4WorkFunc) (GstElement * owner,
    GstGemma4Worker * w, gpointer data);

/* Where a job sits in the stream, for the QOS message of a drop. */
typedef struct
{
  GstClockTime timestamp, duration;
  GstClockTime running_time, stream_time;
  gboolean live;                /* upstream is live (scheduling-policy=auto) */
} GstGemma4JobTiming;

/* The timing of a job at timestamp in segment, upstream live or not. */
GstGemma4JobTiming gst_gemma4_job_timing (const GstSegment * segment,
    GstClockTime timestamp, GstClockTime duration, gboolean live);

/* Takes what it needs from settings (call with the owner's object lock
 * held), finds the shared model and starts the thread, which loads it with
 * PROGRESS messages. Errors (paths disagreeing with model-instance-id) are
 * returned, not posted. */
GstGemma4Worker *gst_gemma4_worker_new (GstElement * owner,
    const GstGemma4Settings * settings, guint max_jobs, GError ** error);
/* Cancels what runs, drops what is queued, joins the thread and releases
 * the session and the model. */
void gst_gemma4_worker_free (GstGemma4Worker * w);

/* Queues serialized output: never dropped, never blocks. */
GstFlowReturn gst_gemma4_worker_queue (GstGemma4Worker * w,
    GstGemma4WorkFunc func, gpointer data, GDestroyNotify destroy);
/* Queues a job. When max_jobs are pending: leaky drops the oldest pending
 * job (its drop_func then runs in its place, counted, with a QOS message
 * at most once a second carrying the jobs started and dropped so far),
 * otherwise the call waits for room (or flushing). Returns the flow of the
 * last item run, FLUSHING when flushing, ERROR when the model failed.
 *
 * backend=openai: prepare (may be NULL) sends the job's requests
 * (gst_gemma4_remote_send) once fewer than max-inflight jobs are in
 * flight, then func runs once they are all answered and everything queued
 * before the job ran: up to max-inflight requests wait for their servers
 * at once, their results go out in stream order. A prepare returning
 * GST_GEMMA4_FLOW_LATER runs again when the job is the next to publish;
 * one returning another flow than OK is that job's flow (func does not
 * run). With the local engine, prepare is not called. */
GstFlowReturn gst_gemma4_worker_queue_job (GstGemma4Worker * w,
    GstGemma4WorkFunc prepare, GstGemma4WorkFunc func,
    GstGemma4WorkFunc drop_func, gpointer data, GDestroyNotify destroy,
    gboolean leaky, const GstGemma4JobTiming * timing);
#define GST_GEMMA4_FLOW_LATER GST_FLOW_CUSTOM_SUCCESS_1

/* What the streaming thread should return: the flow of the last job,
 * FLUSHING when flushing, ERROR when the model failed. */
GstFlowReturn gst_gemma4_worker_get_flow (GstGemma4Worker * w);

/* TRUE: cancel the running item, drop the queue, refuse new items.
 * FALSE: wait until the running item returned, then accept items again. */
void gst_gemma4_worker_set_flushing (GstGemma4Worker * w, gboolean flushing);
/* Waits until the queue is empty and nothing runs, or flushing (a flush,
 * PAUSED->READY, stopping), or an error (the model failed, a job or push
 * returned ERROR). */
void gst_gemma4_worker_drain (GstGemma4Worker * w);

/* For the work functions, on the worker thread. */
/* The worker's prompt, rebuilt in place job after job (g4_prompt_build
 * reuses its memory; gst_gemma4_worker_generate runs it). */
g4_prompt *gst_gemma4_worker_get_prompt (GstGemma4Worker * w);
/* Room for n_floats media embeddings, kept and grown by the worker so that
 * encoding job after job allocates nothing once warm; NULL when out of
 * memory. Valid until the next call. */
gfloat *gst_gemma4_worker_media_rows (GstGemma4Worker * w, gsize n_floats);
g4_session *gst_gemma4_worker_get_session (GstGemma4Worker * w);
/* NULL with backend=openai */
GstGemma4Model *gst_gemma4_worker_get_model (GstGemma4Worker * w);
/* The model's name (backend=openai: the server's), for the records. */
const gchar *gst_gemma4_worker_get_model_name (GstGemma4Worker * w);
/* Whether the worker runs jobs on a server (backend=openai); any thread. */
gboolean gst_gemma4_worker_is_remote (GstGemma4Worker * w);
/* backend=openai: the client (worker thread), else NULL. */
G4RemoteClient *gst_gemma4_worker_get_remote (GstGemma4Worker * w);
/* backend=openai, for gstgemma4remote.c: a request of the job being
 * prepared (kept with it, freed with it once finished); the next one of the
 * job running, in the order they were added (NULL when none is left). */
void gst_gemma4_worker_add_request (GstGemma4Worker * w,
    GstGemma4RemoteRequest * r);
GstGemma4RemoteRequest *gst_gemma4_worker_take_request (GstGemma4Worker * w);
/* In a prepare function: whether every job before this one was published
 * (its prompt may then depend on their results). */
gboolean gst_gemma4_worker_is_next (GstGemma4Worker * w);
/* Cancelled once flushing or stopping, as the engine's cancel flag. */
GCancellable *gst_gemma4_worker_get_cancellable (GstGemma4Worker * w);
/* backend=openai: the running job's request failed (error): counted
 * ("server-failures" in stats), warned about at most once a second. */
void gst_gemma4_worker_remote_failed (GstGemma4Worker * w,
    const GError * error);
/* The running job is dropped (its request failed or missed its deadline):
 * counted with the jobs dropped under load, with their QOS message. */
void gst_gemma4_worker_drop_running (GstGemma4Worker * w,
    const GstGemma4JobTiming * timing);
gint gst_gemma4_worker_get_n_threads (GstGemma4Worker * w);
/* A job calls this when it is done with the model, before pushing its
 * results downstream (where it may block), so elements sharing the model
 * are not held up; otherwise the turn ends when the job returns. */
void gst_gemma4_worker_end_compute (GstGemma4Worker * w);
/* The engine's cancel flag: non-zero once flushing or stopping. */
const volatile gint *gst_gemma4_worker_get_cancel (GstGemma4Worker * w);
gboolean gst_gemma4_worker_is_cancelled (GstGemma4Worker * w);

/* Encodes an image of the shared model's mmproj for the running job, in a
 * call shared with the images of elements sharing the model that are ready
 * at the same time (gst_gemma4_model_encode_image, at most max-batch); the
 * job's turn ends first. */
g4_status gst_gemma4_worker_encode_image (GstGemma4Worker * w,
    const g4_image_view * view, g4_image_sizing sizing, gint max_soft_tokens,
    gfloat * out, gint * n_tokens, g4_error * err);

/* The answer of a generation, thoughts left out: set on_piece to
 * gst_gemma4_answer_piece and user to the answer; generation stops once
 * the worker is cancelled. */
typedef struct
{
  GstGemma4Worker *worker;
  GString *text;
} GstGemma4Answer;
bool gst_gemma4_answer_piece (const char *text, int len, bool in_thought,
    void *answer);

/* Accounts a finished job. With budget valid (live), inference time over
 * budget three times in a row posts a warning, at most once every 10 s,
 * with the count of overruns since the last one (their total is in the
 * stats). */
void gst_gemma4_worker_record (GstGemma4Worker * w, GstClockTime inference,
    guint tokens, gdouble generate_seconds, gboolean late,
    GstClockTime budget);
guint64 gst_gemma4_worker_get_drops (GstGemma4Worker * w);

/* A new gemma4-stats structure (see the "stats" property); w may be NULL. */
GstStructure *gst_gemma4_worker_get_stats (GstGemma4Worker * w);

/* ---- for the elements: what they do alike around their worker ------------ */

/* Checks of an element's own properties, under its object lock; FALSE with
 * why set when they disagree. */
typedef gboolean (*GstGemma4CheckFunc) (GstElement * element, gchar ** why);

/* NULL->READY: the configuration checks (then check, if not NULL), then a
 * new worker in *worker, set under the object lock. On failure posts the
 * error and returns FALSE. */
gboolean gst_gemma4_worker_open (GstGemma4Worker ** worker,
    GstElement * element, GstGemma4Settings * settings, guint max_jobs,
    GstGemma4CheckFunc check);
/* The worker's part of a state change, before the element's parent class
 * changes state: READY->PAUSED accepts items again (the output may then be
 * reset), PAUSED->READY flushes; w may be NULL (nothing to do). */
void gst_gemma4_worker_change_state (GstGemma4Worker * w,
    GstStateChange transition);
/* READY->PAUSED, after the parent class: with backend=openai, SUCCESS
 * once a server answered at start, FAILURE when none did (the ERROR names
 * the URL), else ASYNC (async-start posted): the change completes (or is
 * aborted) once the worker knows; a change back to READY or NULL meanwhile
 * gives that up. SUCCESS with the local engine or w NULL. */
GstStateChangeReturn gst_gemma4_worker_wait_server (GstGemma4Worker * w);
/* READY->NULL: takes *worker out under the object lock, keeping its
 * statistics in *last_stats (read by stats, or the worker's when NULL),
 * and frees it. */
void gst_gemma4_worker_close (GstGemma4Worker ** worker, GstElement * element,
    GstStructure ** last_stats, GstGemma4StatsFunc stats);
/* The "stats" property: the running worker's, else the last run's, else
 * zeros. Call with the object lock. */
GstStructure *gst_gemma4_worker_stats_property (GstGemma4Worker * w,
    const GstStructure * last_stats);

/* Runs prompt (the worker's, kept for the next job) on the session, from a
 * fresh start (keeping what the previous job computed of the same prompt
 * head), in the model's batch with the generations of every element
 * sharing it (scheduling-policy, max-batch); the job's turn ends first, so
 * that the next job may encode meanwhile. A full
 * context is no error: it posts a warning ("the <what> [for <pts>] is cut;
 * raise context-size or <advice>") and returns G4_OK with what came. */
g4_status gst_gemma4_worker_generate (GstGemma4Worker * w, g4_prompt * prompt,
    const g4_generate_params * gp, g4_generate_result * res,
    const gchar * what, GstClockTime pts, const gchar * advice,
    g4_error * err);
/* After a job's inference: ends the compute turn and returns FLUSHING when
 * cancelled, ERROR (posted as "<failed>: <message>") when st is a failure,
 * else OK. */
GstFlowReturn gst_gemma4_worker_finish_compute (GstGemma4Worker * w,
    g4_status st, const g4_error * err, const gchar * failed);
/* Records a job that started at t0 on input complete at ready_at (monotonic
 * us): late when live and past budget. Returns late; *inference: the job's
 * time; result, if not NULL, gets inference_time, tokens and late. */
gboolean gst_gemma4_worker_account (GstGemma4Worker * w, gint64 t0,
    gint64 ready_at, gboolean live, GstClockTime budget, guint tokens,
    gdouble generate_seconds, GstClockTime * inference,
    GstStructure * result);

G_END_DECLS

#endif /* __GST_GEMMA4_WORKER_H__ */
