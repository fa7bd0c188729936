/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4caption's windows on the streaming thread (see
 * gstgemma4captionwindows.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "gstgemma4captionwindows.h"
#include "gstgemma4frame.h"
#include "gstgemma4modelregistry.h"
#include "gstgemma4output.h"
#include "gstgemma4remote.h"
#include "gstgemma4worker.h"

#define GST_CAT_DEFAULT gst_gemma4_caption_debug

/* Frames per window the sampling properties ask for. Call with the object
 * lock. */
static guint64
frames_wanted (GstGemma4Caption * self)
{
  if (self->sample_fps > 0.0)
    return (guint64) MAX (1.0, ceil (self->window_ms * self->sample_fps /
            1000.0 - 1e-9));
  return self->frames_per_window;
}

/* The window properties agree with each other; otherwise why says how
 * not. Call with the object lock. */
gboolean
gst_gemma4_caption_windows_valid (GstElement * element, gchar ** why)
{
  GstGemma4Caption *self = GST_GEMMA4_CAPTION (element);
  guint64 n = frames_wanted (self);

  if (self->overlap_ms >= self->window_ms) {
    *why = g_strdup_printf ("window-overlap (%u ms) must be less than window "
        "(%u ms)", self->overlap_ms, self->window_ms);
    return FALSE;
  }
  if (n > MAX_FRAMES) {
    *why = g_strdup_printf ("sample-fps %.3g over a window of %u ms gives %"
        G_GUINT64_FORMAT " frames per window, more than %d: lower sample-fps "
        "or window", self->sample_fps, self->window_ms, n, MAX_FRAMES);
    return FALSE;
  }
  return TRUE;
}

static void
sample_clear (gpointer data)
{
  Sample *s = data;
  GstGemma4Caption *self = s->owner;

  GST_OBJECT_LOCK (self);
  self->sample_bytes -= (gint64) s->width * s->height * 3;
  GST_OBJECT_UNLOCK (self);
  g_atomic_int_add (&self->samples_alive, -1);
  g_free (s->rgb);
}

static Sample *
sample_ref (Sample * s)
{
  return g_atomic_rc_box_acquire (s);
}

void
gst_gemma4_caption_sample_unref (Sample * s)
{
  g_atomic_rc_box_release_full (s, sample_clear);
}

void
gst_gemma4_caption_candidate_clear (Candidate * c)
{
  gst_clear_buffer (&c->buf);
  if (c->sample)
    gst_gemma4_caption_sample_unref (c->sample);
  memset (c, 0, sizeof *c);
}

static void
window_free (Window * w)
{
  for (guint i = 0; i < w->n_frames; i++)
    gst_gemma4_caption_sample_unref (w->frames[i]);
  g_free (w);
}

void
gst_gemma4_caption_drop_windows (GstGemma4Caption * self)
{
  g_queue_clear_full (&self->windows, (GDestroyNotify) window_free);
}

/* The vision encoder, to size the copies. The worker thread loads the
 * model; the first sampled frame waits for it as the first job would (the
 * registry lets any thread wait, and the model pointer is fixed for the
 * worker's life). A failed load was posted by the worker. */
static const g4_mmproj *
encoder (GstGemma4Caption * self)
{
  GstGemma4Model *m;
  GError *error = NULL;
  const g4_mmproj *mm;

  if (self->mm)
    return self->mm;
  m = gst_gemma4_worker_get_model (self->core.worker);
  if (!gst_gemma4_model_wait_ready (m, NULL, &error)) {
    GST_DEBUG_OBJECT (self, "no model: %s", error->message);
    g_clear_error (&error);
    return NULL;
  }
  mm = gst_gemma4_model_get_mmproj (m);
  if (!mm || !g4_mmproj_has_vision (mm)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("mmproj-path does not hold a vision encoder: use the mmproj file "
            "that matches the Gemma 4 model"), (NULL));
    return NULL;
  }
  self->mm = mm;
  return mm;
}

/* The small copy of a frame picked for an instant, made the first time it
 * is picked: resized once to the encoder's canvas, which encodes to the
 * frame's rows. */
static Sample *
candidate_sample (GstGemma4Caption * self, Candidate * c)
{
  const gboolean remote = gst_gemma4_worker_is_remote (self->core.worker);
  const g4_mmproj *mm = remote ? NULL : encoder (self);
  g4_image_sizing sizing;
  gint max_soft, w, h;
  GstVideoFrame frame;
  g4_image_view view;
  g4_error err = { 0 };
  guint8 *rgb;
  Sample *s;
  guint alive;
  guint64 skipped = 0;

  if (c->sample || c->unencodable || (!mm && !remote))
    return c->sample;
  GST_OBJECT_LOCK (self);
  sizing = self->image_size == GST_GEMMA4_IMAGE_SIZE_NATIVE ?
      G4_IMAGE_NATIVE : G4_IMAGE_BUDGET;
  max_soft = (gint) self->max_soft_tokens;
  c->unencodable = !remote && !gst_gemma4_frame_encodable (mm,
      GST_VIDEO_INFO_WIDTH (&self->info), GST_VIDEO_INFO_HEIGHT (&self->info),
      sizing, max_soft);
  if (c->unencodable)
    skipped = ++self->skipped_frames;
  GST_OBJECT_UNLOCK (self);
  if (c->unencodable) {
    if (skipped == 1)
      gst_gemma4_frame_warn_unencodable (GST_ELEMENT (self),
          self->core.info->name, GST_VIDEO_INFO_WIDTH (&self->info),
          GST_VIDEO_INFO_HEIGHT (&self->info), sizing, max_soft);
    return NULL;
  }
  /* backend=openai: the size the JPEG goes at, else the encoder's canvas */
  if (remote)
    g4remote_image_size (GST_VIDEO_INFO_WIDTH (&self->info),
        GST_VIDEO_INFO_HEIGHT (&self->info), (guint) max_soft, &w, &h);
  else if (!g4_image_resample_size (mm, GST_VIDEO_INFO_WIDTH (&self->info),
          GST_VIDEO_INFO_HEIGHT (&self->info), sizing, max_soft, &w, &h)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("The vision encoder refuses %dx%d frames with image-size=%s and "
            "max-soft-tokens=%d",
            GST_VIDEO_INFO_WIDTH (&self->info),
            GST_VIDEO_INFO_HEIGHT (&self->info),
            sizing == G4_IMAGE_NATIVE ? "native" : "budget", max_soft),
        (NULL));
    return NULL;
  }
  if (!gst_video_frame_map (&frame, &self->info, c->buf, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ, ("Could not map a video frame"),
        (NULL));
    return NULL;
  }
  rgb = g_try_malloc ((gsize) w * h * 3);
  if (!rgb || !gst_gemma4_frame_view (&frame, &view)
      || (remote ? g4_image_resize (&view, w, h, rgb, w * 3, &err) :
          g4_image_resize_canvas (mm, &view, sizing, max_soft, rgb, w * 3,
              &err)) != G4_OK) {
    gst_video_frame_unmap (&frame);
    g_free (rgb);
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not downscale a %dx%d frame to %dx%d: %s",
            GST_VIDEO_INFO_WIDTH (&self->info),
            GST_VIDEO_INFO_HEIGHT (&self->info), w, h,
            rgb ? err.message : "out of memory"), (NULL));
    return NULL;
  }
  gst_video_frame_unmap (&frame);

  s = g_atomic_rc_box_new0 (Sample);
  s->owner = self;
  s->pts = c->pts;
  s->stream_time = gst_segment_to_stream_time (&self->segment,
      GST_FORMAT_TIME, c->pts);
  s->width = w;
  s->height = h;
  s->sizing = sizing;
  s->max_soft_tokens = max_soft;
  s->rgb = rgb;
  alive = (guint) g_atomic_int_add (&self->samples_alive, 1) + 1;
  GST_OBJECT_LOCK (self);
  self->samples_made++;
  self->sample_bytes += (gint64) w * h * 3;
  self->samples_alive_max = MAX (self->samples_alive_max, alive);
  self->sample_bytes_max = MAX (self->sample_bytes_max,
      (guint64) self->sample_bytes);
  GST_OBJECT_UNLOCK (self);
  GST_LOG_OBJECT (self, "sampled %" GST_TIME_FORMAT " as %dx%d",
      GST_TIME_ARGS (c->pts), w, h);
  c->sample = s;
  return s;
}

/* Gives the window c's frame (once, even if it is the closest to several
 * instants); a frame the encoder cannot take is skipped. FALSE on an
 * error (posted). */
static gboolean
pick (GstGemma4Caption * self, Window * w, Candidate * c)
{
  Sample *s = candidate_sample (self, c);

  if (!s)
    return c->unencodable;
  if (w->n_frames == 0 || w->frames[w->n_frames - 1] != s)
    w->frames[w->n_frames++] = sample_ref (s);
  return TRUE;
}

static gboolean
prev_in (GstGemma4Caption * self, const Window * w)
{
  return self->prev.buf && self->prev.pts >= w->start
      && self->prev.pts < w->end;
}

/* Instants up to cur's time get the closer of the previous frame (when it
 * is in the window; the earlier one on a tie) and cur. */
gboolean
gst_gemma4_caption_resolve (GstGemma4Caption * self, Window * w,
    Candidate * cur)
{
  while (w->next < w->n_instants && w->instants[w->next] <= cur->pts) {
    GstClockTime t = w->instants[w->next];
    gboolean use_prev = prev_in (self, w) && self->prev.pts <= t
        && t - self->prev.pts <= cur->pts - t;
    if (!pick (self, w, use_prev ? &self->prev : cur))
      return FALSE;
    w->next++;
  }
  return TRUE;
}

/* Instants after the last frame of a window that ends get that frame. */
static gboolean
resolve_rest (GstGemma4Caption * self, Window * w)
{
  if (w->next < w->n_instants && prev_in (self, w)) {
    if (!pick (self, w, &self->prev))
      return FALSE;
  }
  w->next = w->n_instants;
  return TRUE;
}

/* Sends a finished window to the worker; its text lasts display. */
static GstFlowReturn
queue_window (GstGemma4Caption * self, Window * w, GstClockTime duration,
    GstClockTime display)
{
  CaptionJob *job;
  gboolean live, leaky = gst_gemma4_element_is_leaky (&self->core, &live);
  GstGemma4JobTiming timing = gst_gemma4_job_timing (&self->segment, w->start,
      duration, live);

  if (w->n_frames == 0) {
    gst_gemma4_output_queue_gap (&self->core.output, self->core.worker,
            w->start, display);
    return GST_FLOW_OK;
  }
  job = g_new0 (CaptionJob, 1);
  job->start = w->start;
  job->duration = duration;
  job->display = display;
  memcpy (job->frames, w->frames, w->n_frames * sizeof (Sample *));
  job->n_frames = w->n_frames;
  w->n_frames = 0;
  job->segment = self->segment;
  job->ready_at = g_get_monotonic_time ();
  job->live = live;
  GST_DEBUG_OBJECT (self, "window %" GST_TIME_FORMAT " +%" GST_TIME_FORMAT
      " with %u frames", GST_TIME_ARGS (w->start), GST_TIME_ARGS (duration),
      job->n_frames);
  return gst_gemma4_worker_queue_job (self->core.worker,
      gst_gemma4_caption_prepare, gst_gemma4_caption_process,
      gst_gemma4_caption_drop, job,
      gst_gemma4_caption_job_free, leaky, &timing);
}

/* Windows that end at or before t are complete. */
GstFlowReturn
gst_gemma4_caption_close_windows (GstGemma4Caption * self, GstClockTime t)
{
  Window *w;
  GstFlowReturn ret = GST_FLOW_OK;

  while (ret == GST_FLOW_OK && (w = g_queue_peek_head (&self->windows))
      && w->end <= t) {
    g_queue_pop_head (&self->windows);
    if (!resolve_rest (self, w))
      ret = GST_FLOW_ERROR;
    else
      ret = queue_window (self, w, w->end - w->start, w->step);
    window_free (w);
  }
  return ret;
}

/* End of continuous video (EOS, gap, new segment): every open window is
 * captioned with what it has; the last one's text runs to the end of the
 * video. The next frame starts new windows. */
GstFlowReturn
gst_gemma4_caption_finish_windows (GstGemma4Caption * self)
{
  Window *w;
  GstFlowReturn ret = GST_FLOW_OK;

  for (GList * l = self->windows.head; l && ret == GST_FLOW_OK; l = l->next)
    if (!resolve_rest (self, l->data))
      ret = GST_FLOW_ERROR;
  while ((w = g_queue_pop_head (&self->windows))) {
    GstClockTime end = MIN (w->end, w->content_end);
    GstClockTime display = g_queue_is_empty (&self->windows) ?
        end - w->start : w->step;
    if (ret == GST_FLOW_OK)
      ret = queue_window (self, w, end - w->start, display);
    window_free (w);
  }
  gst_gemma4_caption_candidate_clear (&self->prev);
  self->anchored = FALSE;
  return ret;
}

/* A new window from start, with its sampling instants. */
static void
open_window (GstGemma4Caption * self, GstClockTime start,
    const WindowShape * shape)
{
  Window *w = g_new0 (Window, 1);

  w->start = start;
  w->end = start + shape->window;
  w->step = shape->step;
  w->n_instants = shape->n;
  for (guint i = 0; i < w->n_instants; i++)
    w->instants[i] = start + (shape->fps > 0.0 ?
        (GstClockTime) (i * GST_SECOND / shape->fps) :
        gst_util_uint64_scale (shape->window, i, shape->n));
  w->content_end = start;
  g_queue_push_tail (&self->windows, w);
}

/* Reads the window shape into self->shape: valid, since the element core
 * checks the window properties (gst_gemma4_caption_windows_valid) before
 * READY->PAUSED and refuses a value that breaks them after. */
static void
read_shape (GstGemma4Caption * self)
{
  GST_OBJECT_LOCK (self);
  self->shape.window = self->window_ms * GST_MSECOND;
  self->shape.step = (self->window_ms - self->overlap_ms) * GST_MSECOND;
  self->shape.n = (guint) frames_wanted (self);
  self->shape.fps = self->sample_fps;
  GST_OBJECT_UNLOCK (self);
}

/* Opens the windows that start at or before t. Windows that also end
 * before t (video jumped over them) have no frames: one GAP covers them. */
void
gst_gemma4_caption_open_windows (GstGemma4Caption * self, GstClockTime t)
{
  while (self->next_start <= t) {
    const WindowShape *shape = &self->shape;
    read_shape (self);
    if (self->next_start + shape->window <= t) {
      guint64 skip = (t - self->next_start - shape->window) / shape->step + 1;
      GstClockTime from = self->next_start;
      self->next_start += skip * shape->step;
      gst_gemma4_output_queue_gap (&self->core.output, self->core.worker,
            from, self->next_start - from);
      continue;
    }
    open_window (self, self->next_start, shape);
    self->next_start += shape->step;
  }
}

/* Keeps the previous frame only while an open window may still pick it. */
void
gst_gemma4_caption_keep_as_prev (GstGemma4Caption * self, Candidate * cur)
{
  gboolean needed = FALSE;

  for (GList * l = self->windows.head; l && !needed; l = l->next) {
    Window *w = l->data;
    needed = w->next < w->n_instants;
  }
  gst_gemma4_caption_candidate_clear (&self->prev);
  self->prev = *cur;
  if (!needed && !self->prev.sample)
    gst_clear_buffer (&self->prev.buf);
}
