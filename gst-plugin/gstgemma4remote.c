/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backend=openai for the jobs (see gstgemma4remote.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/video/video.h>

#include "gstgemma4remote.h"


struct _GstGemma4RemoteRequest
{
  GstGemma4Worker *worker;
  G4RemoteCall *call;           /* NULL: not sent (error says why) */
  GError *error;
  /* the answer's pieces until the job takes them: "t" (thought) or "a"
   * (answer) and the text */
  GPtrArray *pieces;
  gboolean streamed;
};

static gboolean
keep_piece (const gchar * text, gsize len, gboolean in_thought,
    gpointer data)
{
  GstGemma4RemoteRequest *r = data;
  gchar *piece = g_malloc (len + 2);

  piece[0] = in_thought ? 't' : 'a';
  memcpy (piece + 1, text, len);
  piece[len + 1] = '\0';
  g_ptr_array_add (r->pieces, piece);
  return !gst_gemma4_worker_is_cancelled (r->worker);
}

void
gst_gemma4_remote_send (GstGemma4Worker * w, GstElement * element,
    const GstGemma4Settings * s, const GstGemma4RemoteAsk * ask)
{
  GstGemma4RemoteRequest *r = g_new0 (GstGemma4RemoteRequest, 1);
  G4RemoteChat chat = { 0 };
  gchar *system, *user;
  gint64 deadline;

  gst_gemma4_settings_chat (s, element, ask->instruction, ask->placeholder,
      &system, &user, &chat.thinking);
  GST_OBJECT_LOCK (element);
  chat.max_tokens = s->max_tokens;
  chat.temperature = s->temperature;
  chat.top_p = s->top_p;
  chat.min_p = s->min_p;
  chat.top_k = s->top_k;
  chat.seed = s->seed;
  deadline = g_get_monotonic_time () +
      gst_gemma4_settings_job_timeout (s, ask->timing->live) * (gint64) 1000;
  GST_OBJECT_UNLOCK (element);
  chat.system = system;
  chat.user = user;
  chat.media = ask->media;
  chat.n_media = ask->n_media;
  chat.json_schema = ask->json_schema;

  r->worker = w;
  r->streamed = ask->streamed;
  r->pieces = g_ptr_array_new_with_free_func (g_free);
  r->call = g4remote_client_chat_start (gst_gemma4_worker_get_remote (w),
      &chat, deadline, keep_piece, r, gst_gemma4_worker_get_cancellable (w),
      NULL, NULL, &r->error);
  gst_gemma4_worker_add_request (w, r);
  g_free (system);
  g_free (user);
}

gboolean
gst_gemma4_remote_request_finished (GstGemma4RemoteRequest * r)
{
  return !r->call || g4remote_call_is_finished (r->call);
}

gboolean
gst_gemma4_remote_request_ready (GstGemma4RemoteRequest * r)
{
  return r->streamed || gst_gemma4_remote_request_finished (r);
}

void
gst_gemma4_remote_request_free (GstGemma4RemoteRequest * r)
{
  g4remote_call_free (r->call);
  g_clear_error (&r->error);
  g_ptr_array_unref (r->pieces);
  g_free (r);
}

/* The pieces from *given on through on_piece; FALSE once it says stop. */
static gboolean
give_pieces (GstGemma4RemoteRequest * r, guint * given, g4_piece_fn on_piece,
    void *user)
{
  for (; *given < r->pieces->len; (*given)++) {
    const gchar *piece = g_ptr_array_index (r->pieces, *given);
    if (!on_piece (piece + 1, (int) strlen (piece + 1), piece[0] == 't',
            user))
      return FALSE;
  }
  return TRUE;
}

GstFlowReturn
gst_gemma4_remote_receive (GstGemma4Worker * w, g4_piece_fn on_piece,
    void *user, const GstGemma4JobTiming * timing, guint * tokens,
    gdouble * seconds)
{
  GstGemma4RemoteRequest *r = gst_gemma4_worker_take_request (w);
  G4RemoteUsage usage = { 0 };
  GError *error = NULL;
  gboolean ok = FALSE;
  guint given = 0;
  gboolean more = TRUE;

  g_return_val_if_fail (r != NULL, GST_FLOW_ERROR);
  if (r->call) {
    /* streamed: each piece as it comes, the worker's context turning the
     * other requests meanwhile; else what came before a failure is cut
     * (it goes out only with an answer) */
    while (r->streamed && !g4remote_call_is_finished (r->call)) {
      more = more && give_pieces (r, &given, on_piece, user);
      g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
    }
    g4remote_call_wait (r->call);
    ok = g4remote_call_result (r->call, &usage, &error);
  } else {
    error = g_steal_pointer (&r->error);
  }
  if (ok && more)
    give_pieces (r, &given, on_piece, user);
  gst_gemma4_remote_request_free (r);
  *tokens = usage.tokens;
  *seconds = usage.seconds;
  if (ok)
    return gst_gemma4_worker_is_cancelled (w) ? GST_FLOW_FLUSHING :
        GST_FLOW_OK;
  if (gst_gemma4_worker_is_cancelled (w)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_error_free (error);
    return GST_FLOW_FLUSHING;
  }
  gst_gemma4_worker_remote_failed (w, error);
  gst_gemma4_worker_drop_running (w, timing);
  g_error_free (error);
  return GST_GEMMA4_FLOW_DROPPED;
}

/* The resized image as an I420 buffer: jpegenc takes RGB too, but writes
 * an RGB JPEG then, which not every server's decoder reads. */
static GstBuffer *
i420_of (const g4_image_view * view, gint width, gint height,
    GstVideoInfo * out, GError ** error)
{
  GstVideoInfo in;
  GstBuffer *rgb, *yuv;
  GstVideoFrame src, dest;
  GstVideoConverter *conv;
  GstMapInfo map;
  g4_error err = { 0 };
  g4_status st;

  gst_video_info_set_format (&in, GST_VIDEO_FORMAT_RGB, width, height);
  gst_video_info_set_format (out, GST_VIDEO_FORMAT_I420, width, height);
  rgb = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&in), NULL);
  gst_buffer_map (rgb, &map, GST_MAP_WRITE);
  st = g4_image_resize (view, width, height, map.data,
      GST_VIDEO_INFO_PLANE_STRIDE (&in, 0), &err);
  gst_buffer_unmap (rgb, &map);
  if (st != G4_OK) {
    gst_buffer_unref (rgb);
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_ENCODE,
        "could not scale the image: %s", err.message);
    return NULL;
  }
  yuv = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (out), NULL);
  gst_video_frame_map (&src, &in, rgb, GST_MAP_READ);
  gst_video_frame_map (&dest, out, yuv, GST_MAP_WRITE);
  conv = gst_video_converter_new (&in, out, NULL);
  gst_video_converter_frame (conv, &src, &dest);
  gst_video_converter_free (conv);
  gst_video_frame_unmap (&dest);
  gst_video_frame_unmap (&src);
  gst_buffer_unref (rgb);
  return yuv;
}

GBytes *
gst_gemma4_remote_jpeg (const g4_image_view * view, guint max_soft_tokens,
    GError ** error)
{
  GstVideoInfo info;
  GstBuffer *buf;
  gint width, height;
  GstCaps *caps, *to;
  GstSample *sample, *jpeg;
  GstMapInfo map;
  GBytes *out = NULL;

  g4remote_image_size (view->width, view->height, max_soft_tokens,
      &width, &height);
  buf = i420_of (view, width, height, &info, error);

  if (!buf)
    return NULL;
  caps = gst_video_info_to_caps (&info);
  to = gst_caps_new_empty_simple ("image/jpeg");
  sample = gst_sample_new (buf, caps, NULL, NULL);
  /* jpegenc through GStreamer's own conversion pipeline (plugins-good) */
  jpeg = gst_video_convert_sample (sample, to, GST_CLOCK_TIME_NONE, error);
  if (jpeg) {
    GstBuffer *b = gst_sample_get_buffer (jpeg);
    gst_buffer_map (b, &map, GST_MAP_READ);
    out = g_bytes_new (map.data, map.size);
    gst_buffer_unmap (b, &map);
    gst_sample_unref (jpeg);
  }
  gst_sample_unref (sample);
  gst_caps_unref (caps);
  gst_caps_unref (to);
  gst_buffer_unref (buf);
  return out;
}
