/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backend=openai, for the jobs: the chat they would run locally sent to
 * the worker's server (g4remote), the answer through the same piece
 * callback, and the media made on the worker thread: audio as WAV, frames
 * as JPEG at the size the soft-token budget needs. A failed request is a
 * dropped job: the job then publishes what its drop function does. */
#ifndef __GST_GEMMA4_REMOTE_H__
#define __GST_GEMMA4_REMOTE_H__

#include <gst/gst.h>

#include "gemma4.h"
#include "g4remote.h"
#include "gstgemma4settings.h"
#include "gstgemma4worker.h"

G_BEGIN_DECLS

/* gst_gemma4_remote_ask: the request failed, was warned about and counted
 * as a drop. */
#define GST_GEMMA4_FLOW_DROPPED GST_FLOW_CUSTOM_SUCCESS

typedef struct
{
  const gchar *instruction;     /* the user instruction (prompt or task's) */
  const gchar *placeholder;     /* as gst_gemma4_settings_chat */
  const G4RemoteMedia *media;
  guint n_media;
  const gchar *json_schema;     /* NULL or the answer's schema */
  g4_piece_fn on_piece;
  void *user;
  const GstGemma4JobTiming *timing;     /* of the job, for a drop */
} GstGemma4RemoteAsk;

/* Runs ask on w's server with element's settings s (system prompt,
 * thinking, sampling, max-tokens, request-timeout). OK with *tokens and
 * *seconds; FLUSHING when cancelled; GST_GEMMA4_FLOW_DROPPED. */
GstFlowReturn gst_gemma4_remote_ask (GstGemma4Worker * w,
    GstElement * element, const GstGemma4Settings * s,
    const GstGemma4RemoteAsk * ask, guint * tokens, gdouble * seconds);

/* view as JPEG at g4remote_image_size; NULL with error. */
GBytes *gst_gemma4_remote_jpeg (const g4_image_view * view,
    guint max_soft_tokens, GError ** error);

G_END_DECLS

#endif /* __GST_GEMMA4_REMOTE_H__ */
