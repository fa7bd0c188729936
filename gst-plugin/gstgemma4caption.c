/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4caption: describes raw video over time windows with a Gemma 4 model
 * and its vision encoder. The streaming thread samples a few frames per
 * window and downscales only those, once; a worker thread encodes them, runs
 * the chat prompt (frame times, frames, instruction) and pushes timed text,
 * JSON, bus messages and GAP events in stream order. */

/**
 * SECTION:element-gemma4caption
 * @title: gemma4caption
 *
 * Video captioning with Google's Gemma 4 models (GGUF language model plus
 * the mmproj file holding the vision encoder). The element takes raw video
 * (RGB, BGR, RGBA, BGRx, GRAY8, I420, YV12, NV12, ...) and produces text.
 *
 * The video is cut into windows of #GstGemma4Caption:window ms, one
 * starting every window - #GstGemma4Caption:window-overlap ms from the
 * first frame. In each window #GstGemma4Caption:frames-per-window instants
 * are spread evenly (or one every 1/#GstGemma4Caption:sample-fps s) and the
 * frame closest to each instant, within the window, is sampled: it is
 * downscaled at once to the size the vision encoder works at and only that
 * small copy is kept (a frame two overlapping windows pick is copied once
 * and shared), so memory does not grow with the window. When a window is
 * complete the model gets its frames, each after its time as `mm:ss` (as
 * Hugging Face's Gemma 4 processor lays out video), then the instruction:
 * #GstGemma4Caption:prompt, where `{num_frames}`, `{start}`, `{end}`,
 * `{timestamps}` and `{previous}` (the last #GstGemma4Caption:history-size
 * captions) are replaced.
 *
 * Outputs:
 * - `src`: `text/x-raw, format=utf8`, a sparse stream: one buffer per
 *   window with PTS the window start and DURATION the time until the next
 *   window starts (window - window-overlap; the last window runs to the end
 *   of the video), so captions never overlap and srtenc, webvttenc and
 *   textoverlay show one at a time. GAP events cover time without video.
 * - `json_src` (request pad): `application/x-json`, the result records,
 *   one JSON object per line (schemas/caption.schema.json): `kind`
 *   "caption", `status`, `text`, `is_final`, `start` and `duration` (the
 *   whole window described), `timestamp`, `running_time` and
 *   `inference_time` (ns), `tokens`, `late`, `model`, `element`, `frames`
 *   (PTS of the sampled frames), `prompt` (the user turn as built).
 * - an element message `gemma4-result` per window on the bus with the same
 *   fields, and the same structure on each text buffer as the custom meta
 *   `GstGemma4ResultMeta`.
 *
 * Every window with frames ends in exactly one record on the bus and the
 * JSON pad, its `status` ok, empty (the model wrote nothing), dropped (not
 * captioned: the element could not keep up), late or error; the text pad
 * gets a GAP for each record without text.
 *
 * A frame the vision encoder cannot take (too thin or too small for
 * #GstGemma4Caption:image-size, such as 1x1000) is not sampled: one
 * warning, counted as skipped-frames in #GstGemma4Caption:stats; a window
 * left without a frame gets a GAP on the text and no record.
 *
 * A frame without a timestamp follows the previous one (the first starts the
 * segment); when neither the buffers nor the caps give frame durations
 * (still images, variable-rate video), the last caption runs to the end of
 * its window.
 *
 * In a live pipeline the element reports a latency of upstream + window +
 * #GstGemma4Caption:latency; inference runs off the streaming thread and,
 * when it cannot keep up, the oldest pending window is dropped (a record
 * with status dropped and a GAP on the text go out in its place, a QOS
 * message is posted and #GstGemma4Caption:stats counts it). In a file
 * pipeline nothing is dropped: upstream waits. At EOS the window in
 * progress is captioned (if it holds a sampled frame) before EOS goes on.
 * The model is loaded on a thread when the element goes to READY, with
 * PROGRESS messages; the first sampled frame waits for it (its copy is
 * sized by the encoder).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=film.mp4 ! decodebin ! videoconvert ! \
 *     gemma4caption model-path=gemma-4-E2B-it-Q4_0.gguf \
 *     mmproj-path=mmproj-gemma-4-E2B-it-f16.gguf ! srtenc ! \
 *     filesink location=film.srt
 * ]| writes a caption every 10 s of a film as subtitles.
 * |[
 * gst-launch-1.0 filesrc location=film.mp4 ! decodebin ! videoconvert ! \
 *     tee name=t ! queue max-size-time=0 max-size-buffers=0 \
 *     max-size-bytes=0 ! textoverlay name=o ! autovideosink \
 *     t. ! queue ! gemma4caption model-path=E2B.gguf mmproj-path=mmproj.gguf \
 *     window=5000 ! o.text_sink
 * ]| shows the captions on the video; the queue in front of textoverlay
 * holds the frames of a window while it is being described.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/video/video.h>

#include "gemma4.h"
#include "gstgemma4caption.h"
#include "gstgemma4captionjob.h"
#include "gstgemma4captionwindows.h"
#include "gstgemma4element.h"
#include "gstgemma4enums.h"
#include "gstgemma4frame.h"
#include "gstgemma4output.h"
#include "gstgemma4result.h"
#include "gstgemma4settings.h"
#include "gstgemma4worker.h"

GST_DEBUG_CATEGORY (gst_gemma4_caption_debug);
#define GST_CAT_DEFAULT gst_gemma4_caption_debug

#define DEFAULT_LATENCY 2000
#define DEFAULT_MAX_TOKENS 128
#define DEFAULT_TEMPERATURE 0.0f
#define DEFAULT_WINDOW 10000
#define DEFAULT_WINDOW_OVERLAP 0
#define DEFAULT_FRAMES_PER_WINDOW 8
#define DEFAULT_SAMPLE_FPS 0.0
#define DEFAULT_IMAGE_SIZE GST_GEMMA4_IMAGE_SIZE_BUDGET
/* Google's recommendation for video frames (and Hugging Face's video
 * processor default). */
#define DEFAULT_MAX_SOFT_TOKENS 70
#define DEFAULT_HISTORY_SIZE 2
#define MAX_WINDOW_MS (3600 * 1000)
/* One job runs and one waits: more would only add latency. */
#define MAX_PENDING_JOBS 1

enum
{
  PROP_WINDOW = GST_GEMMA4_PROP_LAST,
  PROP_WINDOW_OVERLAP,
  PROP_FRAMES_PER_WINDOW,
  PROP_SAMPLE_FPS,
  PROP_IMAGE_SIZE,
  PROP_MAX_SOFT_TOKENS,
  PROP_HISTORY_SIZE,
};

static GstGemma4SettingsDefaults caption_defaults = {
  .latency_ms = DEFAULT_LATENCY,
  .max_tokens = DEFAULT_MAX_TOKENS,
  .temperature = DEFAULT_TEMPERATURE,
  /* prompt_doc: set in class_init, it quotes the engine's default */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_GEMMA4_VIDEO_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("text/x-raw, format = (string) utf8"));

static GstStaticPadTemplate json_template =
GST_STATIC_PAD_TEMPLATE ("json_src",
    GST_PAD_SRC,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("application/x-json"));

#define gst_gemma4_caption_parent_class parent_class
G_DEFINE_TYPE (GstGemma4Caption, gst_gemma4_caption, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (gemma4caption, "gemma4caption", GST_RANK_NONE,
    GST_TYPE_GEMMA4_CAPTION);

static void
caption_clear (GstElement * element)
{
  GstGemma4Caption *self = GST_GEMMA4_CAPTION (element);

  gst_gemma4_caption_drop_windows (self);
  gst_gemma4_caption_candidate_clear (&self->prev);
  gst_gemma4_caption_clear_history (self);
}

/* The worker's counters plus the sampling ones. Call with the object
 * lock. */
static GstStructure *
make_stats (GstElement * element)
{
  GstGemma4Caption *self = GST_GEMMA4_CAPTION (element);
  GstStructure *s = gst_gemma4_worker_get_stats (self->core.worker);

  gst_structure_set (s, "frames", G_TYPE_UINT64, self->frames_in,
      "samples", G_TYPE_UINT64, self->samples_made,
      "skipped-frames", G_TYPE_UINT64, self->skipped_frames,
      "samples-alive-max", G_TYPE_UINT, self->samples_alive_max,
      "sample-bytes-max", G_TYPE_UINT64, self->sample_bytes_max, NULL);
  return s;
}

/* The running worker's and the sampling counters, else the last run's.
 * Call with the object lock. */
static GstStructure *
caption_stats (GstElement * element)
{
  GstGemma4Caption *self = GST_GEMMA4_CAPTION (element);

  if (self->core.worker || !self->core.last_stats)
    return make_stats (element);
  return gst_structure_copy (self->core.last_stats);
}

/* ---- input, on the streaming thread ---------------------------------- */

static GstFlowReturn
gst_gemma4_caption_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstGemma4Caption *self = GST_GEMMA4_CAPTION (parent);
  Candidate cur = { 0 };
  GstFlowReturn ret;

  GST_OBJECT_LOCK (self);
  self->frames_in++;
  GST_OBJECT_UNLOCK (self);
  if (!self->have_info) {
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("No caps before the first "
            "frame"), (NULL));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!self->live_checked) {
    gst_gemma4_element_check_live (&self->core, &self->segment, GST_BUFFER_PTS (buf));
    self->live_checked = TRUE;
  }
  cur.buf = buf;
  /* a frame without a timestamp follows the previous one; the first one
   * starts the segment */
  if (GST_BUFFER_PTS_IS_VALID (buf))
    cur.pts = GST_BUFFER_PTS (buf);
  else if (GST_CLOCK_TIME_IS_VALID (self->next_pts))
    cur.pts = self->next_pts;
  else
    cur.pts = self->segment.start;
  if (GST_BUFFER_DURATION_IS_VALID (buf))
    cur.end = cur.pts + GST_BUFFER_DURATION (buf);
  else if (GST_VIDEO_INFO_FPS_N (&self->info) > 0)
    cur.end = cur.pts + gst_util_uint64_scale_int (GST_SECOND,
        GST_VIDEO_INFO_FPS_D (&self->info), GST_VIDEO_INFO_FPS_N (&self->info));
  else
    cur.end = GST_CLOCK_TIME_NONE;
  self->next_pts = GST_CLOCK_TIME_IS_VALID (cur.end) ? cur.end : cur.pts;
  /* frames outside the segment (a decoder's lead-in after a seek) are not
   * part of the video */
  if (!gst_segment_clip (&self->segment, GST_FORMAT_TIME, cur.pts, cur.end,
          NULL, NULL)) {
    GST_LOG_OBJECT (self, "clipped the frame at %" GST_TIME_FORMAT,
        GST_TIME_ARGS (cur.pts));
    gst_buffer_unref (buf);
    return gst_gemma4_worker_get_flow (self->core.worker);
  }
  if (self->anchored && cur.pts < self->prev.pts) {
    GST_DEBUG_OBJECT (self, "timestamps went back: new windows from %"
        GST_TIME_FORMAT, GST_TIME_ARGS (cur.pts));
    gst_gemma4_caption_finish_windows (self);
  }
  if (!self->anchored) {
    self->anchored = TRUE;
    self->next_start = cur.pts;
  }

  ret = gst_gemma4_caption_close_windows (self, cur.pts);
  if (ret == GST_FLOW_OK)
    gst_gemma4_caption_open_windows (self, cur.pts);
  for (GList * l = self->windows.head; l && ret == GST_FLOW_OK; l = l->next) {
    Window *w = l->data;
    if (cur.pts < w->start || cur.pts >= w->end)
      continue;
    if (!gst_gemma4_caption_resolve (self, w, &cur))
      ret = GST_FLOW_ERROR;
    w->content_end = MAX (w->content_end, cur.end);
  }
  gst_gemma4_caption_keep_as_prev (self, &cur);
  if (ret == GST_FLOW_OK)
    ret = gst_gemma4_worker_get_flow (self->core.worker);
  return ret;
}

static gboolean
set_caps (GstElement * element, GstCaps * caps)
{
  GstGemma4Caption *self = GST_GEMMA4_CAPTION (element);
  GstVideoInfo info;

  if (!gst_video_info_from_caps (&info, caps)
      || !gst_gemma4_frame_format_supported (GST_VIDEO_INFO_FORMAT (&info))) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("gemma4caption cannot read %" GST_PTR_FORMAT ": put videoconvert in "
            "front", caps), (NULL));
    return FALSE;
  }
  /* the previous frame was mapped with the old layout: it cannot be picked
   * any more */
  if (self->prev.buf && !self->prev.sample)
    gst_clear_buffer (&self->prev.buf);
  self->info = info;
  self->have_info = TRUE;
  return TRUE;
}

static void
reset_stream (GstGemma4Caption * self)
{
  gst_gemma4_caption_drop_windows (self);
  gst_gemma4_caption_candidate_clear (&self->prev);
  self->anchored = FALSE;
  self->next_pts = GST_CLOCK_TIME_NONE;
  self->live_checked = FALSE;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
}

/* Worker-side state; call only while the worker is idle. */
static void
reset_output (GstGemma4Caption * self)
{
  gst_gemma4_caption_clear_history (self);
  gst_gemma4_output_reset (&self->core.output);
}

static void
finish_video (GstElement * element)
{
  gst_gemma4_caption_finish_windows (GST_GEMMA4_CAPTION (element));
}

static void
set_segment (GstElement * element, const GstSegment * segment)
{
  GstGemma4Caption *self = GST_GEMMA4_CAPTION (element);

  self->segment = *segment;
  self->next_pts = GST_CLOCK_TIME_NONE;
  self->live_checked = FALSE;
}

static void
flushed (GstElement * element)
{
  GstGemma4Caption *self = GST_GEMMA4_CAPTION (element);

  reset_output (self);
  gst_gemma4_caption_drop_windows (self);
  gst_gemma4_caption_candidate_clear (&self->prev);
  self->anchored = FALSE;
  self->next_pts = GST_CLOCK_TIME_NONE;
}

static const GstGemma4InputFuncs input_funcs = {
  set_caps, finish_video, set_segment, flushed
};

static gboolean
gst_gemma4_caption_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstGemma4Caption *self = GST_GEMMA4_CAPTION (parent);

  GST_LOG_OBJECT (self, "%" GST_PTR_FORMAT, event);
  if (GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START) {
    gst_gemma4_caption_finish_windows (self);
    reset_stream (self);
    gst_gemma4_output_queue_start (&self->core.output, self->core.worker, event,
        NULL);
    return TRUE;
  }
  return gst_gemma4_element_sink_event (&self->core, &input_funcs, pad,
      parent, event);
}

static gboolean
gst_gemma4_caption_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_ALLOCATION:
      /* frames are read through GstVideoMeta: any stride or offset */
      gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
      return TRUE;
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

/* A caption comes out a window plus its inference after its start. Call
 * with the object lock. */
static GstClockTime
caption_own_latency (GstElement * element)
{
  GstGemma4Caption *self = GST_GEMMA4_CAPTION (element);

  return ((GstClockTime) self->window_ms + self->core.settings.latency_ms) *
      GST_MSECOND;
}

static gboolean
caption_prepare (GstElement * element, GstStateChange transition)
{
  GstGemma4Caption *self = GST_GEMMA4_CAPTION (element);

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      GST_OBJECT_LOCK (self);
      self->frames_in = self->samples_made = self->skipped_frames = 0;
      self->samples_alive_max = 0;
      self->sample_bytes_max = 0;
      GST_OBJECT_UNLOCK (self);
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      reset_stream (self);
      self->have_info = FALSE;
      reset_output (self);
      break;
    default:
      break;
  }
  return TRUE;
}

static void
caption_finish (GstElement * element, GstStateChange transition)
{
  GstGemma4Caption *self = GST_GEMMA4_CAPTION (element);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    reset_stream (self);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL) {
    self->mm = NULL;
    reset_output (self);
  }
}

/* ---- the element -------------------------------------------------------- */

#define FIELD(id, member, latency) \
  { id, G_STRUCT_OFFSET (GstGemma4Caption, member), latency }
static const GstGemma4Field caption_fields[] = {
  /* the window length is part of the latency */
  FIELD (PROP_WINDOW, window_ms, TRUE),
  FIELD (PROP_WINDOW_OVERLAP, overlap_ms, FALSE),
  FIELD (PROP_FRAMES_PER_WINDOW, frames_per_window, FALSE),
  FIELD (PROP_SAMPLE_FPS, sample_fps, FALSE),
  FIELD (PROP_IMAGE_SIZE, image_size, FALSE),
  FIELD (PROP_MAX_SOFT_TOKENS, max_soft_tokens, FALSE),
  FIELD (PROP_HISTORY_SIZE, history_size, FALSE),
  {0}
};

static const GstGemma4ElementInfo caption_info = {
  .core_offset = G_STRUCT_OFFSET (GstGemma4Caption, core),
  .name = "gemma4caption",
  .placeholder = NULL,          /* the frames' own go in front */
  .defaults = &caption_defaults,
  .fields = caption_fields,
  .max_jobs = MAX_PENDING_JOBS,
  .clear = caption_clear,
  .check = gst_gemma4_caption_windows_valid,
  .stats = caption_stats,
  .own_latency = caption_own_latency,
  .prepare = caption_prepare,
  .finish = caption_finish,
};

static void
gst_gemma4_caption_class_init (GstGemma4CaptionClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;

  /* owned by the class's param spec for the life of the process */
  caption_defaults.prompt_doc = g_strdup_printf ("Instruction given after "
      "the frames of each window (NULL = \"%s\"). {num_frames}, {start}, "
      "{end} (mm:ss), {timestamps} (the frames' mm:ss) and {previous} (the "
      "last history-size captions, or \"(none)\") are replaced. Applied to "
      "the next window", g4_caption_default_instruction ());
  gst_gemma4_element_class_init (element_class, &caption_info);

  /**
   * GstGemma4Caption:window:
   *
   * Length of the video each caption describes, in ms.
   */
  g_object_class_install_property (gobject_class, PROP_WINDOW,
      g_param_spec_uint ("window", "Window",
          "Video described by each caption, in ms (part of the live "
          "latency). Applied from the next window", 100, MAX_WINDOW_MS,
          DEFAULT_WINDOW, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstGemma4Caption:window-overlap:
   *
   * Time, in ms, that each window shares with the next.
   */
  g_object_class_install_property (gobject_class, PROP_WINDOW_OVERLAP,
      g_param_spec_uint ("window-overlap", "Window overlap",
          "Time in ms each window shares with the next one (a new window "
          "starts every window - window-overlap ms); must be less than "
          "window (while streaming, windows keep their last valid shape, "
          "with a warning, until it is). Frames sampled for both are "
          "copied once",
          0, MAX_WINDOW_MS, DEFAULT_WINDOW_OVERLAP,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstGemma4Caption:frames-per-window:
   *
   * Frames sampled uniformly in each window.
   */
  g_object_class_install_property (gobject_class, PROP_FRAMES_PER_WINDOW,
      g_param_spec_uint ("frames-per-window", "Frames per window",
          "Frames sampled per window: the frames closest to this many "
          "instants spread evenly from the window start (ignored when "
          "sample-fps > 0)", 1, MAX_FRAMES, DEFAULT_FRAMES_PER_WINDOW,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstGemma4Caption:sample-fps:
   *
   * Sampling rate within each window; 0 uses frames-per-window.
   */
  g_object_class_install_property (gobject_class, PROP_SAMPLE_FPS,
      g_param_spec_double ("sample-fps", "Sample rate",
          "When > 0, frames sampled per second of each window instead of "
          "frames-per-window (at most 64 frames per window: window * "
          "sample-fps beyond that is an error)", 0.0, 60.0,
          DEFAULT_SAMPLE_FPS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  gst_gemma4_settings_install_image_properties (gobject_class,
      PROP_IMAGE_SIZE, PROP_MAX_SOFT_TOKENS, DEFAULT_IMAGE_SIZE,
      DEFAULT_MAX_SOFT_TOKENS);
  /**
   * GstGemma4Caption:history-size:
   *
   * Previous captions given as context ({previous} in the prompt).
   */
  g_object_class_install_property (gobject_class, PROP_HISTORY_SIZE,
      g_param_spec_uint ("history-size", "History size",
          "Previous captions kept as context for a coherent narrative: "
          "they replace {previous} in the prompt (0 = none). Cleared on "
          "flush", 0, MAX_HISTORY, DEFAULT_HISTORY_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  GST_DEBUG_CATEGORY_INIT (gst_gemma4_caption_debug, "gemma4caption", 0,
      "Gemma 4 video captioner");

  gst_element_class_set_static_metadata (element_class,
      "Gemma 4 video captioner", "Filter/Analyzer/Video/Text",
      "Describes video over time windows as timed text with a Gemma 4 "
      "model", "gst-gemma4 developers");

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class, &json_template);
}

static void
gst_gemma4_caption_init (GstGemma4Caption * self)
{
  GstPad *sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");

  gst_pad_set_chain_function (sinkpad,
      GST_DEBUG_FUNCPTR (gst_gemma4_caption_chain));
  gst_pad_set_event_function (sinkpad,
      GST_DEBUG_FUNCPTR (gst_gemma4_caption_sink_event));
  gst_pad_set_query_function (sinkpad,
      GST_DEBUG_FUNCPTR (gst_gemma4_caption_sink_query));
  gst_element_add_pad (GST_ELEMENT (self), sinkpad);
  gst_gemma4_element_init (&self->core, GST_ELEMENT (self), sinkpad);
  gst_gemma4_element_add_src_pad (&self->core,
      gst_pad_new_from_static_template (&src_template, "src"), FALSE);

  self->window_ms = DEFAULT_WINDOW;
  self->overlap_ms = DEFAULT_WINDOW_OVERLAP;
  self->frames_per_window = DEFAULT_FRAMES_PER_WINDOW;
  self->sample_fps = DEFAULT_SAMPLE_FPS;
  self->image_size = DEFAULT_IMAGE_SIZE;
  self->max_soft_tokens = DEFAULT_MAX_SOFT_TOKENS;
  self->history_size = DEFAULT_HISTORY_SIZE;

  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  self->next_pts = GST_CLOCK_TIME_NONE;
  g_queue_init (&self->windows);
  g_queue_init (&self->history);
}
