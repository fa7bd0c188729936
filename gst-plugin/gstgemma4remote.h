/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backend=openai, for the jobs: the chat they would run locally sent to
 * the worker's server (g4remote), the answer through the same piece
 * callback, and the media made on the worker thread: audio as WAV, frames
 * as JPEG at the size the soft-token budget needs. A job is sent by its
 * prepare function (up to max-inflight jobs in flight, see
 * gst_gemma4_worker_queue_job) and answered in its work function, in
 * stream order. A failed request is a dropped job: the job then publishes
 * what its drop function does. */
#ifndef __GST_GEMMA4_REMOTE_H__
#define __GST_GEMMA4_REMOTE_H__

#include <gst/gst.h>

#include "gemma4.h"
#include "g4remote.h"
#include "gstgemma4settings.h"
#include "gstgemma4worker.h"

G_BEGIN_DECLS

/* gst_gemma4_remote_receive: the request failed, was warned about and
 * counted as a drop. */
#define GST_GEMMA4_FLOW_DROPPED GST_FLOW_CUSTOM_SUCCESS

typedef struct
{
  const gchar *instruction;     /* the user instruction (prompt or task's) */
  const gchar *placeholder;     /* as gst_gemma4_settings_chat */
  const G4RemoteMedia *media;
  guint n_media;
  const gchar *json_schema;     /* NULL or the answer's schema */
  const GstGemma4JobTiming *timing;     /* of the job: live or not */
  /* TRUE: the answer's pieces are handed on as they come (partial results)
   * once the job is the oldest, not only when the answer is complete */
  gboolean streamed;
} GstGemma4RemoteAsk;

/* In a job's prepare function: sends ask to w's server with element's
 * settings s (system prompt, thinking, sampling, max-tokens,
 * request-timeout from now); the answer is kept for the job's work
 * function. The media may be freed once this returns. */
void gst_gemma4_remote_send (GstGemma4Worker * w, GstElement * element,
    const GstGemma4Settings * s, const GstGemma4RemoteAsk * ask);
/* In the job's work function: the answer of its next request (in the order
 * they were sent) through on_piece (as it comes when streamed; the other
 * requests in flight go on meanwhile). OK with *tokens and *seconds; FLUSHING
 * when cancelled; GST_GEMMA4_FLOW_DROPPED (timing: of the job, for the QOS
 * message). */
GstFlowReturn gst_gemma4_remote_receive (GstGemma4Worker * w,
    g4_piece_fn on_piece, void *user, const GstGemma4JobTiming * timing,
    guint * tokens, gdouble * seconds);

/* A request of a job (the worker keeps them with the job). */
gboolean gst_gemma4_remote_request_finished (GstGemma4RemoteRequest * r);
/* Whether its job may run: the request finished, or its pieces are handed
 * on as they come (GstGemma4RemoteAsk.streamed). */
gboolean gst_gemma4_remote_request_ready (GstGemma4RemoteRequest * r);
/* Once finished. */
void gst_gemma4_remote_request_free (GstGemma4RemoteRequest * r);

/* view as JPEG at g4remote_image_size; NULL with error. */
GBytes *gst_gemma4_remote_jpeg (const g4_image_view * view,
    guint max_soft_tokens, GError ** error);

G_END_DECLS

#endif /* __GST_GEMMA4_REMOTE_H__ */
