/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4vision: runs a Gemma 4 vision prompt on sampled video frames. The
 * streaming thread only takes a reference to the frame's memory and queues a
 * job; the worker thread maps it, encodes it (or each upstream region)
 * without a copy, generates, parses boxes and hands the result back, and the
 * video leaves untouched with the result attached as region-of-interest and
 * result metas. */

/**
 * SECTION:element-gemma4vision
 * @title: gemma4vision
 *
 * Image understanding with Google's Gemma 4 models (GGUF language model plus
 * the mmproj file holding the vision encoder) on a video stream. The video
 * passes through bit for bit; every #GstGemma4Vision:inference-interval-th
 * frame (and at most one per #GstGemma4Vision:min-interval) is sent to the
 * model with the prompt of #GstGemma4Vision:task.
 *
 * Outputs:
 * - on the video: a `GstGemma4ResultMeta` custom meta (the result record,
 *   below, with `repeated` and `timestamp` of the frame it is on) and, for
 *   task=detect, one #GstVideoRegionOfInterestMeta per box
 *   (roi_type the label, only labels of #GstGemma4Vision:labels become
 *   quarks; params structure `gemma4/detection` with label, confidence
 *   when the model wrote one, source_pts; the meta's id is the box's index
 *   in the record's objects).
 *   videoscale and videoconvert keep both (GStreamer 1.22's videoscale
 *   scales the region and keeps type and ids but drops the params). Built
 *   against GStreamer >= 1.24 (gstreamer-analytics-1.0 found), each box is
 *   also an object-detection entry of the buffer's GstAnalyticsRelationMeta
 *   (type the label, confidence 1 when the model gave none).
 *   #GstGemma4Vision:attach says which frame gets a result: the next frame
 *   that leaves (the video never waits), the frame it describes (frames are
 *   held up to #GstGemma4Vision:latency, which is added to the LATENCY
 *   answer), or every frame until a new result (marked repeated).
 * - request pad `text_src` (`text/x-raw, format=utf8`, sparse): the answer
 *   as soon as it is ready, PTS the described frame's, DURATION until the
 *   next sampled frame (inference-interval frames, at least min-interval);
 *   GAP events for records without text (dropped job, empty answer), so
 *   textoverlay never waits for text that will not come.
 * - request pad `json_src` (`application/x-json`): the result records, one
 *   JSON object per line (schemas/vision.schema.json): `kind` "vision",
 *   `status`, `text`, `is_final`, `start` (the described frame's PTS),
 *   `duration`, `timestamp`, `running_time` and `inference_time` (ns),
 *   `tokens`, `late`, `model`, `element`, `task`, `width`, `height`,
 *   `repeated` and `objects`: `[{"label", "x", "y", "w", "h" (pixels of the
 *   frame), "detection": {"label", "bounding_box": {"x_min", "y_min",
 *   "x_max", "y_max"} (0-1 of the frame)}, "box_2d": [y_min, x_min, y_max,
 *   x_max] (0-1000 of the image the model saw, as it wrote them)}]`, the
 *   form DL Streamer's gvametaconvert writes; `confidence` only when the
 *   model wrote one, `region_id` and `text` for inference-region=roi-list.
 * - an element message `gemma4-result` per sampled frame on the bus, the
 *   same record.
 *
 * Every sampled frame ends in exactly one record on the bus and the JSON
 * pad, its `status` ok, empty (no answer, or no region to ask), dropped
 * (the model was busy), late or error.
 *
 * Detection uses constrained decoding, so the model can only write a JSON
 * list of boxes; an answer that still does not parse gives a warning and
 * the raw text. With #GstGemma4Vision:inference-region=roi-list the prompt
 * runs on the crop of each upstream region of interest (those whose type is
 * in #GstGemma4Vision:object-class), boxes relative to the frame. Regions
 * are clipped to the frame; those with no pixels in it, or too thin for the
 * vision encoder, are skipped.
 *
 * With attach=exact in a live pipeline the held frames wait inside the
 * element, not in the streaming thread, so the source keeps its rate; a
 * held frame leaves with the first frame after its result or its budget
 * (and at EOS), so a source that stops sending holds them until it resumes.
 *
 * `text_src` and `json_src` are both pushed from the inference thread: with
 * both linked, put a queue after each (as after a demuxer), or the
 * pipeline cannot preroll.
 *
 * Inference never blocks the streaming thread in a live pipeline: while the
 * model is busy a newer frame replaces the waiting one (counted in
 * #GstGemma4Vision:stats, a GAP on `text_src`, a QOS message at most once a
 * second). In a file pipeline every sampled frame is inferred (upstream
 * waits). A frame the vision encoder cannot take (too thin or too small
 * for #GstGemma4Vision:image-size, such as 1x1000) is skipped: a record
 * with status dropped, one warning, counted as skipped-frames in
 * #GstGemma4Vision:stats.
 *
 * Latency: in a live pipeline the video pad reports upstream's latency plus
 * #GstGemma4Vision:latency with attach=exact (frames are held that long at
 * most; #GstGemma4Vision:stats counts those released without their result
 * as held-timeouts) and upstream's alone otherwise; the text and JSON pads
 * report upstream's plus #GstGemma4Vision:latency. Raise latency when the
 * bus warns that inference runs over it.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 rtspsrc location=rtsp://camera ! decodebin ! videoconvert ! \
 *     gemma4vision model-path=E2B.gguf mmproj-path=mmproj.gguf task=detect \
 *     labels="person,car" name=v ! videoconvert ! autovideosink \
 *     v.json_src ! filesink location=boxes.jsonl
 * ]| detects people and cars on a camera, JSON lines to a file.
 * |[
 * gst-launch-1.0 filesrc location=film.mp4 ! decodebin ! videoconvert ! \
 *     gemma4vision model-path=E2B.gguf mmproj-path=mmproj.gguf \
 *     min-interval=5000 name=v ! textoverlay name=o ! autovideosink \
 *     v.text_src ! o.text_sink
 * ]| describes the film every five seconds on the picture.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif


#include <gst/video/video.h>
#ifdef HAVE_GST_ANALYTICS
#include <gst/analytics/analytics.h>
#endif

#include "gemma4.h"
#include "gstgemma4element.h"
#include "gstgemma4enums.h"
#include "gstgemma4frame.h"
#include "gstgemma4meta.h"
#include "gstgemma4output.h"
#include "gstgemma4settings.h"
#include "gstgemma4vision.h"
#include "gstgemma4visionjob.h"
#include "gstgemma4worker.h"

GST_DEBUG_CATEGORY (gst_gemma4_vision_debug);
#define GST_CAT_DEFAULT gst_gemma4_vision_debug

#define DEFAULT_LATENCY 1000
#define DEFAULT_MAX_TOKENS 256
#define DEFAULT_TEMPERATURE 0.0f
#define DEFAULT_TASK GST_GEMMA4_VISION_TASK_DESCRIBE
#define DEFAULT_IMAGE_SIZE GST_GEMMA4_IMAGE_SIZE_BUDGET
/* Google's recommendation for video frames (280 is theirs for images). */
#define DEFAULT_MAX_SOFT_TOKENS 70
#define DEFAULT_INFERENCE_INTERVAL 1
#define DEFAULT_MIN_INTERVAL 0
#define DEFAULT_ATTACH GST_GEMMA4_ATTACH_NEXT
#define DEFAULT_REGION GST_GEMMA4_INFERENCE_REGION_FULL_FRAME
/* One job runs and one waits: more would only describe older frames. */
#define MAX_PENDING_JOBS 1

enum
{
  PROP_TASK = GST_GEMMA4_PROP_LAST,
  PROP_LABELS,
  PROP_IMAGE_SIZE,
  PROP_MAX_SOFT_TOKENS,
  PROP_INFERENCE_INTERVAL,
  PROP_MIN_INTERVAL,
  PROP_ATTACH,
  PROP_INFERENCE_REGION,
  PROP_OBJECT_CLASS,
};

static const GstGemma4SettingsDefaults vision_defaults = {
  .latency_ms = DEFAULT_LATENCY,
  .max_tokens = DEFAULT_MAX_TOKENS,
  .temperature = DEFAULT_TEMPERATURE,
  .prompt_doc = "Instruction given with each frame (NULL = the built-in one "
      "of task; required by task=custom). The frame goes where the text has "
      "<|image|>, or before the text. Applied to the next job",
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_GEMMA4_VIDEO_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_GEMMA4_VIDEO_CAPS));
static GstStaticPadTemplate text_template = GST_STATIC_PAD_TEMPLATE ("text_src",
    GST_PAD_SRC, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("text/x-raw, format = (string) utf8"));
static GstStaticPadTemplate json_template = GST_STATIC_PAD_TEMPLATE ("json_src",
    GST_PAD_SRC, GST_PAD_REQUEST, GST_STATIC_CAPS ("application/x-json"));

/* attach=exact in a live pipeline: a frame waiting for its result and those
 * behind it wait here, so the streaming thread never blocks on inference
 * (the source would fall behind the clock). */
typedef struct
{
  GstBuffer *buf;
  guint64 seq;                  /* its job, 0 when not sampled */
  gint64 deadline;              /* monotonic time it leaves at the latest */
} HeldFrame;

#define gst_gemma4_vision_parent_class parent_class
G_DEFINE_TYPE (GstGemma4Vision, gst_gemma4_vision, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (gemma4vision, "gemma4vision", GST_RANK_NONE,
    GST_TYPE_GEMMA4_VISION);

/* Call with result_lock. */
static void
clear_results (GstGemma4Vision * self)
{
  g_queue_clear_full (&self->ready, (GDestroyNotify) vision_result_unref);
  g_clear_pointer (&self->last, vision_result_unref);
}

static void
vision_clear (GstElement * element)
{
  GstGemma4Vision *self = GST_GEMMA4_VISION (element);

  clear_results (self);
  g_mutex_clear (&self->result_lock);
  g_cond_clear (&self->result_cond);
  g_hash_table_unref (self->seen_labels);
  if (self->constraint)
    g4_constraint_free (self->constraint);
  g_free (self->constraint_key);
}

/* ---- properties ---------------------------------------------------------- */

/* The running worker's, else the last run's, the attach=exact frames
 * released without their result and the frames the encoder could not take.
 * Call with the object lock. */
static GstStructure *
vision_stats (GstElement * element)
{
  GstGemma4Vision *self = GST_GEMMA4_VISION (element);
  GstStructure *s = gst_gemma4_worker_stats_property (self->core.worker,
      self->core.last_stats);
  guint64 held, skipped;

  g_mutex_lock (&self->result_lock);
  held = self->held_timeouts;
  skipped = self->skipped_frames;
  g_mutex_unlock (&self->result_lock);
  gst_structure_set (s, "held-timeouts", G_TYPE_UINT64, held,
      "skipped-frames", G_TYPE_UINT64, skipped, NULL);
  return s;
}

/* ---- side pads (text_src, json_src), each pushed by its own task ------- */

/* A result is out within the budget after its frame. Call with the object
 * lock. */
static GstClockTime
vision_own_latency (GstElement * element)
{
  return GST_GEMMA4_VISION (element)->core.settings.latency_ms * GST_MSECOND;
}

/* ---- video, on the streaming thread -------------------------------------- */

static gboolean
gst_gemma4_vision_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstGemma4Vision *self = GST_GEMMA4_VISION (trans);
  GstVideoInfo info;

  if (!gst_video_info_from_caps (&info, incaps)
      || !gst_gemma4_frame_format_supported (GST_VIDEO_INFO_FORMAT (&info))) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("gemma4vision cannot read %" GST_PTR_FORMAT ": put videoconvert in "
            "front", incaps), (NULL));
    return FALSE;
  }
  self->info = info;
  return TRUE;
}

/* Whether this frame is inferred (inference-interval and min-interval);
 * *span: the time until the next sampled frame, as far as it can be told
 * (GST_CLOCK_TIME_NONE when the frames have no duration). */
static gboolean
sample_frame (GstGemma4Vision * self, GstBuffer * buf, GstClockTime * span)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstClockTime rt = gst_segment_to_running_time (&trans->segment,
      GST_FORMAT_TIME, GST_BUFFER_PTS (buf));
  guint interval;
  GstClockTime min_interval;

  GST_OBJECT_LOCK (self);
  interval = self->inference_interval;
  min_interval = self->min_interval_ms * GST_MSECOND;
  GST_OBJECT_UNLOCK (self);

  *span = GST_BUFFER_DURATION (buf);
  if (!GST_CLOCK_TIME_IS_VALID (*span) && GST_VIDEO_INFO_FPS_N (&self->info))
    *span = gst_util_uint64_scale (GST_SECOND,
        GST_VIDEO_INFO_FPS_D (&self->info), GST_VIDEO_INFO_FPS_N (&self->info));
  if (GST_CLOCK_TIME_IS_VALID (*span))
    *span = MAX (*span * interval, min_interval);
  self->frames_since++;
  if (self->frames_since < interval)
    return FALSE;
  if (min_interval && GST_CLOCK_TIME_IS_VALID (rt)
      && GST_CLOCK_TIME_IS_VALID (self->last_sampled)
      && rt < self->last_sampled + min_interval)
    return FALSE;
  self->frames_since = 0;
  self->last_sampled = rt;
  return TRUE;
}

/* Region metas and the result meta of r on buf (writable). */
static void
attach_result (GstGemma4Vision * self, GstBuffer * buf, VisionResult * r,
    gboolean repeated)
{
  GstStructure *s = gst_structure_copy (r->s);
  gint width = GST_VIDEO_INFO_WIDTH (&self->info);
  gint height = GST_VIDEO_INFO_HEIGHT (&self->info);

#ifdef HAVE_GST_ANALYTICS
  GstAnalyticsRelationMeta *relations = NULL;

  if (r->objects->len) {
    relations = gst_buffer_get_analytics_relation_meta (buf);
    if (!relations)
      relations = gst_buffer_add_analytics_relation_meta (buf);
  }
#endif

  for (guint i = 0; i < r->objects->len; i++) {
    const VisionObject *o = &g_array_index (r->objects, VisionObject, i);
    GstVideoRegionOfInterestMeta *meta;
    GstStructure *params;
    /* caps changed since the frame was described: scale to this one */
    gint x = (gint) gst_util_uint64_scale_int (o->x, width, r->width);
    gint y = (gint) gst_util_uint64_scale_int (o->y, height, r->height);
    gint w = (gint) gst_util_uint64_scale_int (o->w, width, r->width);
    gint h = (gint) gst_util_uint64_scale_int (o->h, height, r->height);

    meta = gst_buffer_add_video_region_of_interest_meta_id (buf, o->roi_type,
        x, y, w, h);
    meta->id = (gint) i;
    meta->parent_id = o->parent_id;
    params = gst_structure_new ("gemma4/detection",
        "label", G_TYPE_STRING, o->label,
        "source_pts", G_TYPE_UINT64, r->pts, NULL);
    if (o->confidence >= 0.0f)
      gst_structure_set (params, "confidence", G_TYPE_DOUBLE,
          (gdouble) o->confidence, NULL);
    if (o->text)
      gst_structure_set (params, "text", G_TYPE_STRING, o->text, NULL);
    gst_video_region_of_interest_meta_add_param (meta, params);
#ifdef HAVE_GST_ANALYTICS
    /* the model states no confidence for most boxes: those get 1 */
    if (relations) {
      GstAnalyticsODMtd od;
      gst_analytics_relation_meta_add_od_mtd (relations, o->roi_type, x, y, w,
          h, o->confidence >= 0.0f ? o->confidence : 1.0f, &od);
    }
#endif
  }
  gst_structure_set (s, "repeated", G_TYPE_BOOLEAN, repeated,
      "timestamp", G_TYPE_UINT64, GST_BUFFER_PTS (buf), NULL);
  gst_gemma4_buffer_add_result_meta (buf, s);
  gst_structure_free (s);
}

/* The monotonic time a frame held from now leaves at the latest. */
static gint64
hold_deadline (GstGemma4Vision * self)
{
  gint64 budget;

  GST_OBJECT_LOCK (self);
  budget = (gint64) self->core.settings.latency_ms * 1000;
  GST_OBJECT_UNLOCK (self);
  return g_get_monotonic_time () + budget;
}

/* attach=exact: waits until job seq is done, or the deadline. Call with
 * result_lock. */
static void
wait_for_job (GstGemma4Vision * self, guint64 seq, gint64 deadline)
{
  while (self->done_seq < seq && !self->flushing)
    if (!g_cond_wait_until (&self->result_cond, &self->result_lock,
            deadline))
      break;
}

/* attach=exact waits until the frame's result is in or the deadline (0:
 * not at all, a held frame whose result is in or whose time is up). */
static void
attach_results (GstGemma4Vision * self, GstBuffer * buf, GstGemma4Attach mode,
    guint64 exact_seq, gint64 deadline)
{
  VisionResult *r;

  g_mutex_lock (&self->result_lock);
  if (mode == GST_GEMMA4_ATTACH_EXACT) {
    if (exact_seq && deadline)
      wait_for_job (self, exact_seq, deadline);
    if (self->done_seq < exact_seq && !self->flushing) {
      self->held_timeouts++;
      GST_DEBUG_OBJECT (self, "frame %" G_GUINT64_FORMAT " released without "
          "its result (latency budget)", exact_seq);
    }
    /* only the frame described gets it; older ones came too late, newer
     * ones belong to frames still held */
    while ((r = g_queue_peek_head (&self->ready)) && r->seq <= exact_seq) {
      g_queue_pop_head (&self->ready);
      if (r->seq == exact_seq)
        attach_result (self, buf, r, FALSE);
      vision_result_unref (r);
    }
  } else if (g_queue_is_empty (&self->ready)) {
    if (mode == GST_GEMMA4_ATTACH_REPEAT && self->last)
      attach_result (self, buf, self->last, TRUE);
  } else {
    while ((r = g_queue_pop_head (&self->ready))) {
      attach_result (self, buf, r, FALSE);
      if (mode == GST_GEMMA4_ATTACH_REPEAT) {
        g_clear_pointer (&self->last, vision_result_unref);
        self->last = r;
      } else {
        vision_result_unref (r);
      }
    }
  }
  g_mutex_unlock (&self->result_lock);
}

static void
held_frame_free (gpointer data)
{
  HeldFrame *f = data;

  gst_buffer_unref (f->buf);
  g_free (f);
}

/* Streaming thread: held frames go out, oldest first, while their result
 * is in or their time is up; with all, every one (each waiting for its
 * result until its deadline), as before a serialized event. */
static GstFlowReturn
release_held (GstGemma4Vision * self, gboolean all)
{
  const gint64 now = g_get_monotonic_time ();
  GstFlowReturn ret = GST_FLOW_OK;
  HeldFrame *f;

  while (ret == GST_FLOW_OK && (f = g_queue_peek_head (&self->held))) {
    gboolean done;
    GstBuffer *buf;

    g_mutex_lock (&self->result_lock);
    done = self->done_seq >= f->seq;
    g_mutex_unlock (&self->result_lock);
    if (!all && !done && now < f->deadline)
      break;
    g_queue_pop_head (&self->held);
    buf = gst_buffer_make_writable (g_steal_pointer (&f->buf));
    attach_results (self, buf, GST_GEMMA4_ATTACH_EXACT, f->seq,
        all ? f->deadline : 0);
    g_free (f);
    ret = gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (self), buf);
  }
  return ret;
}

/* attach=exact, live: buf joins the held frames (it is released at the
 * first frame after its deadline, so one frame before the budget is spent). */
static GstFlowReturn
hold_frame (GstGemma4Vision * self, GstBuffer * buf, GstGemma4Attach mode,
    guint64 seq)
{
  HeldFrame *f = g_new0 (HeldFrame, 1);
  GstClockTime frame = GST_BUFFER_DURATION (buf);
  GstFlowReturn ret;

  if (!GST_CLOCK_TIME_IS_VALID (frame))
    frame = 0;
  f->buf = gst_buffer_ref (buf);
  f->seq = seq;
  f->deadline = MAX (g_get_monotonic_time (), hold_deadline (self) -
      (gint64) (frame / GST_USECOND));
  g_queue_push_tail (&self->held, f);
  /* attach changed from exact: what was held goes out before it */
  ret = release_held (self, mode != GST_GEMMA4_ATTACH_EXACT);
  return ret == GST_FLOW_OK ? GST_BASE_TRANSFORM_FLOW_DROPPED : ret;
}

static GstFlowReturn
gst_gemma4_vision_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstGemma4Vision *self = GST_GEMMA4_VISION (trans);
  GstGemma4Attach mode;
  guint64 exact_seq = 0;
  GstClockTime span;
  GstFlowReturn ret = gst_gemma4_worker_get_flow (self->core.worker);

  if (ret == GST_FLOW_ERROR)
    return ret;
  if (!self->live_checked) {
    gst_gemma4_element_check_live (&self->core, &trans->segment, GST_BUFFER_PTS (buf));
    self->live_checked = TRUE;
  }
  GST_OBJECT_LOCK (self);
  mode = self->attach;
  GST_OBJECT_UNLOCK (self);

  if (sample_frame (self, buf, &span)) {
    VisionJob *job = g_new0 (VisionJob, 1);
    gboolean leaky = gst_gemma4_element_is_leaky (&self->core, &job->live);
    GstGemma4JobTiming timing = gst_gemma4_job_timing (&trans->segment,
        GST_BUFFER_PTS (buf), GST_BUFFER_DURATION (buf), job->live);

    job->self = self;
    /* a shallow copy shares the pixels (read-only here) and leaves buf
     * writable, so metas can still be attached to it */
    job->buf = gst_buffer_copy (buf);
    job->info = self->info;
    job->segment = trans->segment;
    job->span = span;
    job->seq = ++self->next_seq;
    job->queued_at = g_get_monotonic_time ();
    exact_seq = job->seq;
    ret = gst_gemma4_worker_queue_job (self->core.worker,
        gst_gemma4_vision_prepare, gst_gemma4_vision_process,
        gst_gemma4_vision_drop, job,
        gst_gemma4_vision_job_free, leaky, &timing);
    if (ret == GST_FLOW_ERROR)
      return ret;
  }
  if (!g_queue_is_empty (&self->held) || (mode == GST_GEMMA4_ATTACH_EXACT
          && self->core.upstream.live))
    return hold_frame (self, buf, mode, exact_seq);
  attach_results (self, buf, mode, exact_seq, hold_deadline (self));
  return GST_FLOW_OK;
}

/* flushing FALSE only while the streaming thread is idle (it owns
 * next_seq); flushing TRUE from any thread wakes a held frame. */
static void
reset_results (GstGemma4Vision * self, gboolean flushing)
{
  g_mutex_lock (&self->result_lock);
  self->flushing = flushing;
  clear_results (self);
  if (!flushing)
    self->done_seq = self->next_seq;
  g_cond_broadcast (&self->result_cond);
  g_mutex_unlock (&self->result_lock);
}

static void
reset_stream (GstGemma4Vision * self)
{
  self->live_checked = FALSE;
  /* the first frame is always inferred */
  self->frames_since = G_MAXUINT - 1;
  self->last_sampled = GST_CLOCK_TIME_NONE;
}

static gboolean
gst_gemma4_vision_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstGemma4Vision *self = GST_GEMMA4_VISION (trans);

  /* held frames leave before the event (caps, segment, gap) that follows
   * them; at EOS once every job is done */
  if (GST_EVENT_IS_SERIALIZED (event) && GST_EVENT_TYPE (event) !=
      GST_EVENT_FLUSH_STOP && GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    release_held (self, TRUE);
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_STREAM_START:
      reset_stream (self);
      gst_gemma4_output_queue_start (&self->core.output, self->core.worker,
          gst_event_ref (event), NULL);
      break;
    case GST_EVENT_SEGMENT:
      self->live_checked = FALSE;
      gst_gemma4_output_queue_event (&self->core.output, self->core.worker,
          gst_event_ref (event));
      break;
    case GST_EVENT_EOS:
      /* pending results go out (text, JSON) before EOS */
      gst_gemma4_output_queue_event (&self->core.output, self->core.worker,
          gst_event_ref (event));
      gst_gemma4_worker_drain (self->core.worker);
      release_held (self, TRUE);
      break;
    case GST_EVENT_FLUSH_START:
      reset_results (self, TRUE);
      gst_gemma4_worker_set_flushing (self->core.worker, TRUE);
      gst_gemma4_output_push_event_now (&self->core.output,
          gst_event_ref (event));
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_gemma4_worker_set_flushing (self->core.worker, FALSE);
      reset_results (self, FALSE);
      reset_stream (self);
      g_queue_clear_full (&self->held, held_frame_free);
      gst_gemma4_output_push_event_now (&self->core.output,
          gst_event_ref (event));
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static gboolean
gst_gemma4_vision_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstGemma4Vision *self = GST_GEMMA4_VISION (trans);

  if (direction == GST_PAD_SRC && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    GstClockTime own = 0;

    GST_OBJECT_LOCK (self);
    /* attach=exact holds frames up to the budget; otherwise none wait */
    if (self->attach == GST_GEMMA4_ATTACH_EXACT)
      own = self->core.settings.latency_ms * GST_MSECOND;
    GST_OBJECT_UNLOCK (self);
    return gst_gemma4_upstream_answer_latency (&self->core.upstream,
        GST_ELEMENT (self), GST_BASE_TRANSFORM_SINK_PAD (trans), query, own);
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->query (trans, direction,
      query);
}

/* Settings only this element checks (see GstGemma4ElementInfo.check),
 * under the object lock. */
static gboolean
check_task (GstElement * element, gchar ** why)
{
  GstGemma4Vision *self = GST_GEMMA4_VISION (element);
  gchar **labels = gst_gemma4_vision_split_list (self->labels);
  gboolean has_prompt =
      gst_gemma4_settings_instruction (&self->core.settings) != NULL
      || self->core.settings.prompt_path != NULL;

  g_strfreev (labels);
  /* the labels go into the built-in prompts */
  if (!gst_gemma4_check_placeholders ("gemma4vision", "labels", self->labels,
          NULL, why))
    return FALSE;
  if (self->task == GST_GEMMA4_VISION_TASK_CLASSIFY && !labels)
    *why = g_strdup ("task=classify needs labels: name the classes, "
        "comma-separated");
  else if (self->task == GST_GEMMA4_VISION_TASK_CUSTOM && !has_prompt)
    *why = g_strdup ("task=custom needs prompt or prompt-path");
  else
    return TRUE;
  return FALSE;
}

static gboolean
vision_prepare (GstElement * element, GstStateChange transition)
{
  GstGemma4Vision *self = GST_GEMMA4_VISION (element);

  /* releases a held frame before the worker flushes */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    reset_results (self, TRUE);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    reset_stream (self);
    reset_results (self, FALSE);
  }
  return TRUE;
}

/* The streaming thread has stopped. */
static void
vision_finish (GstElement * element, GstStateChange transition)
{
  GstGemma4Vision *self = GST_GEMMA4_VISION (element);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    g_queue_clear_full (&self->held, held_frame_free);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL) {
    if (self->constraint)
      g4_constraint_free (self->constraint);
    self->constraint = NULL;
    g_clear_pointer (&self->constraint_key, g_free);
  }
}

/* ---- the element -------------------------------------------------------- */

#define FIELD(id, member, latency) \
  { id, G_STRUCT_OFFSET (GstGemma4Vision, member), latency }
static const GstGemma4Field vision_fields[] = {
  FIELD (PROP_TASK, task, FALSE),
  FIELD (PROP_LABELS, labels, FALSE),
  FIELD (PROP_IMAGE_SIZE, image_size, FALSE),
  FIELD (PROP_MAX_SOFT_TOKENS, max_soft_tokens, FALSE),
  FIELD (PROP_INFERENCE_INTERVAL, inference_interval, FALSE),
  FIELD (PROP_MIN_INTERVAL, min_interval_ms, FALSE),
  /* attach=exact adds the budget to the video's latency */
  FIELD (PROP_ATTACH, attach, TRUE),
  FIELD (PROP_INFERENCE_REGION, region, FALSE),
  FIELD (PROP_OBJECT_CLASS, object_class, FALSE),
  {0}
};

static const GstGemma4ElementInfo vision_info = {
  .core_offset = G_STRUCT_OFFSET (GstGemma4Vision, core),
  .name = "gemma4vision",
  .placeholder = "<|image|>",
  .defaults = &vision_defaults,
  .fields = vision_fields,
  .max_jobs = MAX_PENDING_JOBS,
  .clear = vision_clear,
  .check = check_task,
  .stats = vision_stats,
  .own_latency = vision_own_latency,
  .prepare = vision_prepare,
  .finish = vision_finish,
};

static void
gst_gemma4_vision_class_init (GstGemma4VisionClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstBaseTransformClass *trans_class = (GstBaseTransformClass *) klass;
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;

  gst_gemma4_element_class_init (element_class, &vision_info);

  g_object_class_install_property (gobject_class, PROP_TASK,
      g_param_spec_enum ("task", "Task",
          "What to ask about each frame; selects the built-in prompt and how "
          "the answer is read (detect: boxes)", GST_TYPE_GEMMA4_VISION_TASK,
          DEFAULT_TASK, flags));
  g_object_class_install_property (gobject_class, PROP_LABELS,
      g_param_spec_string ("labels", "Labels",
          "Comma-separated vocabulary of detect (empty: any object) and "
          "classify (required). Only these labels become region types; "
          "others are \"object\"", NULL, flags));
  gst_gemma4_settings_install_image_properties (gobject_class,
      PROP_IMAGE_SIZE, PROP_MAX_SOFT_TOKENS, DEFAULT_IMAGE_SIZE,
      DEFAULT_MAX_SOFT_TOKENS);
  g_object_class_install_property (gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint ("inference-interval", "Inference interval",
          "Run the model on every Nth frame", 1, G_MAXINT,
          DEFAULT_INFERENCE_INTERVAL, flags));
  g_object_class_install_property (gobject_class, PROP_MIN_INTERVAL,
      g_param_spec_uint ("min-interval", "Minimum interval",
          "Least running time in ms between two inferred frames (0 = no "
          "limit); robust to variable frame rates", 0, G_MAXINT,
          DEFAULT_MIN_INTERVAL, flags));
  g_object_class_install_property (gobject_class, PROP_ATTACH,
      g_param_spec_enum ("attach", "Attach",
          "Which video frames carry a result: the next one out (the video "
          "never waits), the frame described (held up to latency ms, added "
          "to the reported latency), or every frame until a new result",
          GST_TYPE_GEMMA4_ATTACH, DEFAULT_ATTACH, flags));
  g_object_class_install_property (gobject_class, PROP_INFERENCE_REGION,
      g_param_spec_enum ("inference-region", "Inference region",
          "The whole frame, or the crop of each upstream region of interest "
          "meta (filtered by object-class)",
          GST_TYPE_GEMMA4_INFERENCE_REGION, DEFAULT_REGION, flags));
  g_object_class_install_property (gobject_class, PROP_OBJECT_CLASS,
      g_param_spec_string ("object-class", "Object class",
          "Comma-separated region types inferred with "
          "inference-region=roi-list (NULL = all)", NULL, flags));

  GST_DEBUG_CATEGORY_INIT (gst_gemma4_vision_debug, "gemma4vision", 0,
      "Gemma 4 image understanding");

  gst_element_class_set_static_metadata (element_class,
      "Gemma 4 image understanding", "Filter/Analyzer/Video",
      "Describes, reads or finds objects in video frames with a Gemma 4 "
      "model; the video passes through with the results as metadata",
      "gst-gemma4 developers");

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class, &text_template);
  gst_element_class_add_static_pad_template (element_class, &json_template);

  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_gemma4_vision_set_caps);
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_gemma4_vision_transform_ip);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_gemma4_vision_sink_event);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_gemma4_vision_query);
  /* metas are added in place; pixels are never written */
  trans_class->transform_ip_on_passthrough = FALSE;
}

static void
gst_gemma4_vision_init (GstGemma4Vision * self)
{
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_gemma4_element_init (&self->core, GST_ELEMENT (self),
      GST_BASE_TRANSFORM_SINK_PAD (self));
  self->task = DEFAULT_TASK;
  self->image_size = DEFAULT_IMAGE_SIZE;
  self->max_soft_tokens = DEFAULT_MAX_SOFT_TOKENS;
  self->inference_interval = DEFAULT_INFERENCE_INTERVAL;
  self->min_interval_ms = DEFAULT_MIN_INTERVAL;
  self->attach = DEFAULT_ATTACH;
  self->region = DEFAULT_REGION;
  gst_video_info_init (&self->info);
  g_mutex_init (&self->result_lock);
  g_cond_init (&self->result_cond);
  g_queue_init (&self->ready);
  g_queue_init (&self->held);
  self->seen_labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
}
