/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4vision's jobs on the worker thread (see gstgemma4visionjob.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "gstgemma4frame.h"
#include "gstgemma4output.h"
#include "gstgemma4remote.h"
#include "gstgemma4result.h"
#include "gstgemma4settings.h"
#include "gstgemma4visionjob.h"
#include "gstgemma4worker.h"

#define GST_CAT_DEFAULT gst_gemma4_vision_debug

/* Quarks are never freed: labels the model invents are bounded. */
#define MAX_LABEL_QUARKS 64
#define MAX_DETECTIONS 256
/* Tokens one box of the constrained list takes, about: the list is capped
 * so that it closes within max-tokens. */
#define TOKENS_PER_BOX 40

/* ---- results ------------------------------------------------------- */

VisionResult *
vision_result_ref (VisionResult * r)
{
  g_atomic_int_inc (&r->refcount);
  return r;
}

static void
object_clear (gpointer data)
{
  VisionObject *o = data;

  g_free (o->label);
  g_free (o->text);
}

void
vision_result_unref (VisionResult * r)
{
  if (!r || !g_atomic_int_dec_and_test (&r->refcount))
    return;
  g_array_free (r->objects, TRUE);
  if (r->s)
    gst_structure_free (r->s);
  g_free (r);
}

gchar **
gst_gemma4_vision_split_list (const gchar * list)
{
  gchar **items, **out;
  guint n = 0;

  if (!list)
    return NULL;
  items = g_strsplit (list, ",", -1);
  out = g_new0 (gchar *, g_strv_length (items) + 1);
  for (guint i = 0; items[i]; i++) {
    g_strstrip (items[i]);
    if (items[i][0])
      out[n++] = g_strdup (items[i]);
  }
  g_strfreev (items);
  if (n == 0)
    g_clear_pointer (&out, g_strfreev);
  return out;
}

/* ---- jobs, on the worker thread ------------------------------------------ */

static void
mark_done (GstGemma4Vision * self, guint64 seq, VisionResult * r)
{
  g_mutex_lock (&self->result_lock);
  if (r && !self->flushing)
    g_queue_push_tail (&self->ready, vision_result_ref (r));
  self->done_seq = MAX (self->done_seq, seq);
  g_cond_broadcast (&self->result_cond);
  g_mutex_unlock (&self->result_lock);
}

/* Region types: the configured labels, or the first MAX_LABEL_QUARKS the
 * model used, else "object". */
static GQuark
label_quark (GstGemma4Vision * self, gchar ** labels, const gchar * label)
{
  if (labels) {
    if (g_strv_contains ((const gchar * const *) labels, label))
      return g_quark_from_string (label);
    return g_quark_from_static_string ("object");
  }
  if (!g_hash_table_contains (self->seen_labels, label)) {
    if (g_hash_table_size (self->seen_labels) >= MAX_LABEL_QUARKS)
      return g_quark_from_static_string ("object");
    g_hash_table_add (self->seen_labels, g_strdup (label));
  }
  return g_quark_from_string (label);
}

/* The constraint of a task on these labels (detect: the box list; classify:
 * one of the labels), built once per task and label set; NULL for tasks
 * answered freely. */
static g4_constraint *
task_constraint (GstGemma4Vision * self, const g4_model * lm,
    GstGemma4VisionTask task, gchar ** labels, gint max_objects)
{
  const gint n_labels = labels ? (gint) g_strv_length (labels) : 0;
  gchar *joined, *key;
  g4_error err = { 0 };

  if (task != GST_GEMMA4_VISION_TASK_DETECT
      && (task != GST_GEMMA4_VISION_TASK_CLASSIFY || n_labels == 0))
    return NULL;
  joined = labels ? g_strjoinv (",", labels) : g_strdup ("");
  key = g_strdup_printf ("%d:%d:%s", task, max_objects, joined);

  g_free (joined);
  if (self->constraint && !g_strcmp0 (key, self->constraint_key)) {
    g_free (key);
    return self->constraint;
  }
  if (self->constraint)
    g4_constraint_free (self->constraint);
  g_free (self->constraint_key);
  self->constraint_key = key;
  self->constraint = task == GST_GEMMA4_VISION_TASK_DETECT
      ? g4_constraint_detection_new (g4_model_get_vocab (lm),
      (const char *const *) labels, n_labels, max_objects, &err)
      : g4_constraint_choice_new (g4_model_get_vocab (lm),
      (const char *const *) labels, n_labels, &err);
  if (!self->constraint)
    GST_WARNING_OBJECT (self, "no answer constraint: %s", err.message);
  return self->constraint;
}

/* What one job asks, read under the object lock when it starts (is
 * sent, with backend=openai). */
typedef struct _VisionJobConfig
{
  GstGemma4VisionTask task;
  gchar **labels;
  gchar *instruction;           /* the user instruction */
  gchar *chat;                  /* rendered prompt with one <|image|> (local) */
  g4_image_sizing sizing;
  gint max_soft_tokens;
  gint max_objects;
  g4_generate_params gp;
  GstGemma4InferenceRegion region;
  gchar **object_class;
  GstClockTime budget;
} JobConfig;

static const gchar *
task_nick (GstGemma4VisionTask task)
{
  GEnumClass *klass = g_type_class_ref (GST_TYPE_GEMMA4_VISION_TASK);
  const gchar *nick = g_enum_get_value (klass, task)->value_nick;

  g_type_class_unref (klass);
  return nick;
}

static void
job_config_read (GstGemma4Vision * self, const g4_model * lm, JobConfig * c)
{
  static const g4_vision_task tasks[] = {
    [GST_GEMMA4_VISION_TASK_DESCRIBE] = G4_VISION_DESCRIBE,
    [GST_GEMMA4_VISION_TASK_DETECT] = G4_VISION_DETECT,
    [GST_GEMMA4_VISION_TASK_OCR] = G4_VISION_OCR,
    [GST_GEMMA4_VISION_TASK_CLASSIFY] = G4_VISION_CLASSIFY,
  };
  const gchar *user;
  gchar *instruction;
  gsize len;

  memset (c, 0, sizeof *c);
  GST_OBJECT_LOCK (self);
  c->task = self->task;
  c->labels = gst_gemma4_vision_split_list (self->labels);
  c->sizing = self->image_size == GST_GEMMA4_IMAGE_SIZE_NATIVE ?
      G4_IMAGE_NATIVE : G4_IMAGE_BUDGET;
  c->max_soft_tokens = (gint) self->max_soft_tokens;
  c->gp.max_tokens = (int) self->core.settings.max_tokens;
  c->gp.sampling = gst_gemma4_settings_sampling (&self->core.settings);
  c->region = self->region;
  c->object_class = gst_gemma4_vision_split_list (self->object_class);
  c->budget = self->core.settings.latency_ms * GST_MSECOND;
  user = gst_gemma4_settings_instruction (&self->core.settings);
  if (user || c->task == GST_GEMMA4_VISION_TASK_CUSTOM) {
    instruction = g_strdup (user ? user : "");
  } else {
    gchar *joined = c->labels ? g_strjoinv (",", c->labels) : NULL;
    len = g4_vision_task_prompt (tasks[c->task], joined, NULL, 0);
    instruction = g_malloc (len + 1);
    g4_vision_task_prompt (tasks[c->task], joined, instruction, len + 1);
    g_free (joined);
  }
  GST_OBJECT_UNLOCK (self);

  c->max_objects = CLAMP (c->gp.max_tokens / TOKENS_PER_BOX, 1, 64);
  c->instruction = instruction;
  if (lm)
    c->chat = gst_gemma4_settings_render_chat (&self->core.settings,
        GST_ELEMENT (self), lm, instruction, "<|image|>");
}

static void
job_config_clear (JobConfig * c)
{
  g_strfreev (c->labels);
  g_strfreev (c->object_class);
  g_free (c->instruction);
  g_free (c->chat);
}

/* One region the prompt runs on, in pixels of the frame. */
typedef struct
{
  gint x, y, w, h;
  gint id;                      /* upstream ROI id, -1 for the whole frame */
  GQuark roi_type;
} Region;

static GArray *
job_regions (const VisionJob * job, const JobConfig * c)
{
  GArray *regions = g_array_new (FALSE, FALSE, sizeof (Region));
  gpointer state = NULL;
  GstMeta *meta;

  if (c->region == GST_GEMMA4_INFERENCE_REGION_FULL_FRAME) {
    Region r = { 0, 0, GST_VIDEO_INFO_WIDTH (&job->info),
      GST_VIDEO_INFO_HEIGHT (&job->info), -1, 0
    };
    g_array_append_val (regions, r);
    return regions;
  }
  while ((meta = gst_buffer_iterate_meta_filtered (job->buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    /* clipped to the frame: the model sees only that part, and boxes in
     * its answer are relative to it */
    guint64 x1 = MIN ((guint64) roi->x + roi->w,
        (guint64) GST_VIDEO_INFO_WIDTH (&job->info));
    guint64 y1 = MIN ((guint64) roi->y + roi->h,
        (guint64) GST_VIDEO_INFO_HEIGHT (&job->info));
    Region r = { (gint) roi->x, (gint) roi->y, 0, 0, roi->id, roi->roi_type };

    if (c->object_class && !g_strv_contains ((const gchar * const *)
            c->object_class, g_quark_to_string (roi->roi_type)))
      continue;
    if (x1 <= roi->x || y1 <= roi->y) {
      GST_DEBUG_OBJECT (job->self, "region %d (%u,%u %ux%u) has no pixels "
          "in the frame: skipped", roi->id, roi->x, roi->y, roi->w, roi->h);
      continue;
    }
    r.w = (gint) (x1 - roi->x);
    r.h = (gint) (y1 - roi->y);
    g_array_append_val (regions, r);
  }
  return regions;
}

/* Rate-limited: a model that never writes JSON must not flood the bus. */
static void
warn_unparseable (GstGemma4Vision * self, const gchar * text,
    const gchar * why)
{
  gint64 now = g_get_monotonic_time ();

  if (self->last_parse_warning && now - self->last_parse_warning <
      10 * G_USEC_PER_SEC)
    return;
  self->last_parse_warning = now;
  GST_ELEMENT_WARNING_WITH_DETAILS (self, STREAM, DECODE,
      ("The model's answer holds no boxes (%s); the raw text is passed on",
          why), ("answer: %s", text),
      ("reason", G_TYPE_STRING, "gemma4vision/unparseable",
          "text", G_TYPE_STRING, text, NULL));
}

/* Boxes of a detection answer into objects, relative to the region. */
static void
add_detections (GstGemma4Vision * self, const JobConfig * c,
    const Region * reg, const gchar * text, GArray * objects)
{
  g4_detection *dets = g_new0 (g4_detection, MAX_DETECTIONS);
  g4_error err = { 0 };
  gint n = g4_detections_parse (text, false, dets, MAX_DETECTIONS, &err);

  if (n < 0)
    warn_unparseable (self, text, err.message);
  for (gint i = 0; i < MIN (n, MAX_DETECTIONS); i++) {
    const g4_detection *d = &dets[i];
    VisionObject o = { 0 };
    gint x1 = reg->x + (gint) lroundf (d->x_min * reg->w / 1000.0f);
    gint y1 = reg->y + (gint) lroundf (d->y_min * reg->h / 1000.0f);
    gint x2 = reg->x + (gint) lroundf (d->x_max * reg->w / 1000.0f);
    gint y2 = reg->y + (gint) lroundf (d->y_max * reg->h / 1000.0f);

    o.x = x1;
    o.y = y1;
    o.w = x2 - x1;
    o.h = y2 - y1;
    o.box_2d[0] = (gint) lroundf (d->y_min);
    o.box_2d[1] = (gint) lroundf (d->x_min);
    o.box_2d[2] = (gint) lroundf (d->y_max);
    o.box_2d[3] = (gint) lroundf (d->x_max);
    o.label = g_strdup (d->label);
    o.roi_type = label_quark (self, c->labels, d->label);
    o.confidence = d->confidence;
    o.parent_id = reg->id;
    g_array_append_val (objects, o);
  }
  g_free (dets);
}

/* The region to the server (backend=openai): its crop as JPEG, the same
 * chat, the box list's schema for detection. FALSE when the JPEG could not
 * be made (posted). */
static gboolean
send_region (GstGemma4Vision * self, GstGemma4Worker * w,
    const VisionJob * job, const JobConfig * c, const g4_image_view * frame,
    const Region * reg)
{
  const GstGemma4JobTiming timing = gst_gemma4_job_timing (&job->segment,
      GST_BUFFER_PTS (job->buf), job->span, job->live);
  G4RemoteMedia image = { FALSE, NULL };
  GstGemma4RemoteAsk ask = { c->instruction, "<|image|>", &image, 1, NULL,
    &timing, FALSE
  };
  gchar *schema = NULL;
  GError *error = NULL;
  g4_image_view view;

  if (!g4_image_view_crop (frame, reg->x, reg->y, reg->w, reg->h, &view))
    return TRUE;
  image.data = gst_gemma4_remote_jpeg (&view, (guint) c->max_soft_tokens,
      &error);
  if (!image.data) {
    GST_ELEMENT_ERROR (self, STREAM, ENCODE, ("Could not make a JPEG of the "
            "frame for the server: %s", error->message), (NULL));
    g_error_free (error);
    return FALSE;
  }
  /* the answers the local engine's constraints allow */
  if (c->task == GST_GEMMA4_VISION_TASK_DETECT)
    schema = g4remote_detection_schema ((const gchar * const *) c->labels,
        c->labels ? g_strv_length (c->labels) : 0, (guint) c->max_objects);
  else if (c->task == GST_GEMMA4_VISION_TASK_CLASSIFY && c->labels)
    schema = g4remote_choice_schema ((const gchar * const *) c->labels,
        g_strv_length (c->labels));
  ask.json_schema = schema;
  gst_gemma4_remote_send (w, GST_ELEMENT (self), &self->core.settings, &ask);
  g_free (schema);
  g_bytes_unref (image.data);
  return TRUE;
}

/* The server's answer for the region (sent by send_region unless it has
 * no pixels: skipped). The flow of gst_gemma4_remote_receive. */
static GstFlowReturn
receive_region (GstGemma4Worker * w, const VisionJob * job,
    const g4_image_view * frame, const Region * reg, GString * text,
    gboolean * skipped, guint * tokens, gdouble * seconds)
{
  const GstGemma4JobTiming timing = gst_gemma4_job_timing (&job->segment,
      GST_BUFFER_PTS (job->buf), job->span, job->live);
  GstGemma4Answer ctx = { w, text };
  g4_image_view view;
  guint n = 0;
  gdouble t = 0.0;
  GstFlowReturn ret;

  *skipped = !g4_image_view_crop (frame, reg->x, reg->y, reg->w, reg->h,
      &view);
  if (*skipped)
    return GST_FLOW_OK;
  ret = gst_gemma4_remote_receive (w, gst_gemma4_answer_piece, &ctx, &timing,
      &n, &t);
  *tokens += n;
  *seconds += t;
  return ret;
}

/* Encodes the region, runs the prompt; the answer in text. */
static g4_status
infer_region (GstGemma4Vision * self, GstGemma4Worker * w,
    const JobConfig * c, const g4_image_view * frame, const Region * reg,
    GString * text, gboolean * skipped, guint * tokens, gdouble * seconds,
    g4_error * err)
{
  GstGemma4Model *model = gst_gemma4_worker_get_model (w);
  const g4_mmproj *mm = gst_gemma4_model_get_mmproj (model);
  const g4_model *lm = gst_gemma4_model_get_model (model);
  g4_image_view view;
  g4_generate_params gp = c->gp;
  g4_generate_result res = { 0 };
  g4_prompt *prompt = gst_gemma4_worker_get_prompt (w);
  GstGemma4Answer ctx = { w, text };
  gfloat *embd;
  gint n_tokens;
  g4_status st;

  *skipped = TRUE;
  if (!g4_image_view_crop (frame, reg->x, reg->y, reg->w, reg->h, &view))
    return G4_OK;
  n_tokens = g4_image_n_tokens (mm, view.width, view.height, c->sizing,
      c->max_soft_tokens);
  if (n_tokens <= 0) {
    /* one odd upstream region (a sliver) must not stop the stream; a
     * whole frame like that never gets here (skip_unencodable) */
    GST_DEBUG_OBJECT (self, "region %d (%dx%d) gives no image tokens: "
        "skipped", reg->id, view.width, view.height);
    return G4_OK;
  }
  *skipped = FALSE;
  embd = gst_gemma4_worker_media_rows (w,
      (gsize) n_tokens * g4_mmproj_n_embd (mm));
  if (!embd) {
    err->code = G4_STATUS_NO_MEMORY;
    g_snprintf (err->message, sizeof err->message, "out of memory for %d "
        "image embeddings", n_tokens);
    return err->code;
  }
  st = gst_gemma4_worker_encode_image (w, &view, c->sizing,
      c->max_soft_tokens, embd, &n_tokens, err);
  if (st == G4_OK)
    st = g4_prompt_build (lm, c->chat, &(g4_media) {
        .embd = embd,.n_tokens = n_tokens,.is_audio = false}, 1, prompt,
        err);
  if (st != G4_OK)
    return st;

  gp.on_piece = gst_gemma4_answer_piece;
  gp.user = &ctx;
  gp.constraint = task_constraint (self, lm, c->task, c->labels,
      c->max_objects);
  st = gst_gemma4_worker_generate (w, prompt, &gp, &res, "answer",
      GST_CLOCK_TIME_NONE, "lower max-soft-tokens", err);
  *tokens += (guint) res.n_generated;
  *seconds += res.generate_seconds;
  return st;
}

/* One object of a record: pixels of the frame (x, y, w, h) and, as DL
 * Streamer's gvametaconvert writes them, detection.bounding_box normalised
 * to 0-1; box_2d as the model wrote it (0-1000 of the region it saw). */
static void
append_object (GValue * objects, const VisionObject * o, gint width,
    gint height)
{
  GstStructure *bbox = gst_structure_new ("bounding_box",
      "x_min", G_TYPE_DOUBLE, (gdouble) o->x / width,
      "y_min", G_TYPE_DOUBLE, (gdouble) o->y / height,
      "x_max", G_TYPE_DOUBLE, (gdouble) (o->x + o->w) / width,
      "y_max", G_TYPE_DOUBLE, (gdouble) (o->y + o->h) / height, NULL);
  GstStructure *detection = gst_structure_new ("detection",
      "label", G_TYPE_STRING, o->label, NULL);
  GstStructure *obj = gst_structure_new ("object",
      "label", G_TYPE_STRING, o->label,
      "x", G_TYPE_INT, o->x, "y", G_TYPE_INT, o->y,
      "w", G_TYPE_INT, o->w, "h", G_TYPE_INT, o->h, NULL);
  GValue v = G_VALUE_INIT;

  gst_structure_set (detection, "bounding_box", GST_TYPE_STRUCTURE, bbox,
      NULL);
  gst_structure_free (bbox);
  if (o->confidence >= 0.0f) {
    gst_structure_set (obj, "confidence", G_TYPE_DOUBLE,
        (gdouble) o->confidence, NULL);
    gst_structure_set (detection, "confidence", G_TYPE_DOUBLE,
        (gdouble) o->confidence, NULL);
  }
  gst_structure_set (obj, "detection", GST_TYPE_STRUCTURE, detection, NULL);
  gst_structure_free (detection);
  if (o->box_2d[0] >= 0) {
    GValue box = G_VALUE_INIT, c = G_VALUE_INIT;
    gst_value_array_init (&box, 4);
    g_value_init (&c, G_TYPE_INT);
    for (gint i = 0; i < 4; i++) {
      g_value_set_int (&c, o->box_2d[i]);
      gst_value_array_append_value (&box, &c);
    }
    gst_structure_take_value (obj, "box_2d", &box);
  }
  if (o->parent_id >= 0)
    gst_structure_set (obj, "region_id", G_TYPE_INT, o->parent_id, NULL);
  if (o->text)
    gst_structure_set (obj, "text", G_TYPE_STRING, o->text, NULL);
  g_value_init (&v, GST_TYPE_STRUCTURE);
  gst_value_set_structure (&v, obj);
  gst_structure_free (obj);
  gst_value_array_append_and_take_value (objects, &v);
}

/* The vision record of job: the common fields, task, frame size, objects,
 * repeated (only a video meta attached again says TRUE). */
static GstStructure *
new_result (GstGemma4Vision * self, GstGemma4Worker * w,
    const VisionJob * job, const gchar * task, const VisionResult * r)
{
  GstStructure *s = gst_gemma4_result_new ("vision", GST_ELEMENT (self),
      gst_gemma4_worker_get_model_name (w),
      &job->segment, GST_BUFFER_PTS (job->buf), job->span);
  gint width = GST_VIDEO_INFO_WIDTH (&job->info);
  gint height = GST_VIDEO_INFO_HEIGHT (&job->info);
  GValue objects = G_VALUE_INIT;

  gst_value_array_init (&objects, r ? r->objects->len : 0);
  for (guint i = 0; r && i < r->objects->len; i++)
    append_object (&objects, &g_array_index (r->objects, VisionObject, i),
        width, height);
  gst_structure_set (s, "task", G_TYPE_STRING, task,
      "width", G_TYPE_INT, width, "height", G_TYPE_INT, height, NULL);
  gst_structure_take_value (s, "objects", &objects);
  gst_structure_set (s, "repeated", G_TYPE_BOOLEAN, FALSE, NULL);
  return s;
}

/* A record without a result for the video (dropped, no region to ask,
 * failed): text, JSON and the bus get it. */
static void
publish_no_result (GstGemma4Vision * self, GstGemma4Worker * w,
    const VisionJob * job, const gchar * task, GstGemma4Status status)
{
  GstStructure *s = new_result (self, w, job, task, NULL);

  gst_gemma4_result_set_status (s, status);
  gst_gemma4_output_publish (&self->core.output, s, GST_BUFFER_PTS (job->buf),
      job->span);
}

/* A whole frame the encoder cannot take (too thin or too small for its
 * sizing rule): one warning, then counted in the stats ("skipped-frames");
 * its record says dropped. TRUE when the frame is skipped. */
static gboolean
skip_unencodable (GstGemma4Vision * self, GstGemma4Worker * w,
    const VisionJob * job, const JobConfig * c, const gchar * task)
{
  const g4_mmproj *mm =
      gst_gemma4_worker_get_model (w) ?
      gst_gemma4_model_get_mmproj (gst_gemma4_worker_get_model (w)) : NULL;
  gint width = GST_VIDEO_INFO_WIDTH (&job->info);
  gint height = GST_VIDEO_INFO_HEIGHT (&job->info);
  guint64 skipped;

  if (!mm || c->region != GST_GEMMA4_INFERENCE_REGION_FULL_FRAME
      || gst_gemma4_frame_encodable (mm, width, height, c->sizing,
          c->max_soft_tokens))
    return FALSE;
  g_mutex_lock (&self->result_lock);
  skipped = ++self->skipped_frames;
  g_mutex_unlock (&self->result_lock);
  if (skipped == 1)
    gst_gemma4_frame_warn_unencodable (GST_ELEMENT (self),
        self->core.info->name, width, height, c->sizing, c->max_soft_tokens);
  publish_no_result (self, w, job, task, GST_GEMMA4_STATUS_DROPPED);
  return TRUE;
}

GstFlowReturn
gst_gemma4_vision_prepare (GstElement * element, GstGemma4Worker * w,
    gpointer data)
{
  GstGemma4Vision *self = GST_GEMMA4_VISION (element);
  VisionJob *job = data;
  GstVideoFrame frame;
  g4_image_view view;
  GArray *regions;
  gboolean ok = TRUE;

  if (!gst_video_frame_map (&frame, &job->info, job->buf, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ, ("Could not map a frame"),
        (NULL));
    return GST_FLOW_ERROR;
  }
  gst_gemma4_frame_view (&frame, &view);
  job->sent = g_new0 (JobConfig, 1);
  job_config_read (self, NULL, job->sent);
  regions = job_regions (job, job->sent);
  for (guint i = 0; i < regions->len && ok; i++)
    ok = send_region (self, w, job, job->sent, &view,
        &g_array_index (regions, Region, i));
  g_array_free (regions, TRUE);
  gst_video_frame_unmap (&frame);
  return ok ? GST_FLOW_OK : GST_FLOW_ERROR;
}

GstFlowReturn
gst_gemma4_vision_process (GstElement * element, GstGemma4Worker * w,
    gpointer data)
{
  GstGemma4Vision *self = GST_GEMMA4_VISION (element);
  VisionJob *job = data;
  GstGemma4Model *model = gst_gemma4_worker_get_model (w);
  const g4_mmproj *mm = model ? gst_gemma4_model_get_mmproj (model) : NULL;
  const gint64 t0 = g_get_monotonic_time ();
  GstVideoFrame frame;
  g4_image_view view;
  g4_error err = { 0 };
  g4_status st = G4_OK;
  JobConfig c;
  GArray *regions;
  GString *all = g_string_new (NULL);
  VisionResult *r;
  GstClockTime inference;
  guint tokens = 0;
  gdouble seconds = 0.0;
  gboolean late;
  gchar *text;
  const gchar *task;
  GstFlowReturn ret = GST_FLOW_OK;

  if (model && (!mm || !g4_mmproj_has_vision (mm))) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("mmproj-path does not hold a vision encoder: use the mmproj file "
            "that comes with the Gemma 4 model"), (NULL));
    g_string_free (all, TRUE);
    return GST_FLOW_ERROR;
  }
  if (!gst_video_frame_map (&frame, &job->info, job->buf, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ, ("Could not map a frame"),
        (NULL));
    g_string_free (all, TRUE);
    return GST_FLOW_ERROR;
  }
  gst_gemma4_frame_view (&frame, &view);
  if (job->sent) {
    c = *job->sent;
    g_clear_pointer (&job->sent, g_free);
  } else {
    job_config_read (self, model ? gst_gemma4_model_get_model (model) : NULL,
        &c);
  }
  task = task_nick (c.task);
  if (skip_unencodable (self, w, job, &c, task)) {
    gst_video_frame_unmap (&frame);
    job_config_clear (&c);
    g_string_free (all, TRUE);
    gst_gemma4_element_notify_stats (&self->core);
    return GST_FLOW_OK;
  }
  regions = job_regions (job, &c);
  if (regions->len == 0) {
    /* roi-list and no region of the wanted types: nothing to ask */
    publish_no_result (self, w, job, task, GST_GEMMA4_STATUS_EMPTY);
    gst_video_frame_unmap (&frame);
    g_array_free (regions, TRUE);
    job_config_clear (&c);
    g_string_free (all, TRUE);
    return GST_FLOW_OK;
  }

  r = g_new0 (VisionResult, 1);
  r->refcount = 1;
  r->seq = job->seq;
  r->pts = GST_BUFFER_PTS (job->buf);
  r->duration = job->span;
  r->width = GST_VIDEO_INFO_WIDTH (&job->info);
  r->height = GST_VIDEO_INFO_HEIGHT (&job->info);
  r->objects = g_array_new (FALSE, TRUE, sizeof (VisionObject));
  g_array_set_clear_func (r->objects, object_clear);

  for (guint i = 0; i < regions->len && st == G4_OK && ret == GST_FLOW_OK;
      i++) {
    const Region *reg = &g_array_index (regions, Region, i);
    GString *answer = g_string_new (NULL);
    gboolean skipped;

    if (model)
      st = infer_region (self, w, &c, &view, reg, answer, &skipped, &tokens,
          &seconds, &err);
    else
      ret = receive_region (w, job, &view, reg, answer, &skipped, &tokens,
          &seconds);
    g_strstrip (answer->str);
    answer->len = strlen (answer->str);
    if (!model && c.task == GST_GEMMA4_VISION_TASK_CLASSIFY && c.labels) {
      gchar *label = g4remote_choice_answer (answer->str);
      g_string_assign (answer, label);
      g_free (label);
    }
    /* an answer cut by a failure or a flush gives no objects */
    if (ret == GST_FLOW_OK && st == G4_OK
        && c.task == GST_GEMMA4_VISION_TASK_DETECT)
      add_detections (self, &c, reg, answer->str, r->objects);
    else if (ret == GST_FLOW_OK && st == G4_OK && reg->id >= 0 && !skipped) {
      VisionObject o = { reg->x, reg->y, reg->w, reg->h, {-1, -1, -1, -1},
        g_strdup (g_quark_to_string (reg->roi_type)), reg->roi_type, -1.0f,
        g_strdup (answer->str), reg->id
      };
      g_array_append_val (r->objects, o);
    }
    if (all->len && answer->len)
      g_string_append_c (all, '\n');
    g_string_append (all, answer->str);
    g_string_free (answer, TRUE);
  }
  gst_video_frame_unmap (&frame);
  g_array_free (regions, TRUE);
  if (ret == GST_GEMMA4_FLOW_DROPPED) {
    job_config_clear (&c);
    vision_result_unref (r);
    g_string_free (all, TRUE);
    return gst_gemma4_vision_drop (element, w, data);
  }
  if (ret == GST_FLOW_OK)
    ret = gst_gemma4_worker_finish_compute (w, st, &err, "Inference failed");
  if (ret == GST_FLOW_ERROR)
    publish_no_result (self, w, job, task, GST_GEMMA4_STATUS_ERROR);
  if (ret != GST_FLOW_OK) {
    job_config_clear (&c);
    vision_result_unref (r);
    g_string_free (all, TRUE);
    return ret;
  }

  late = gst_gemma4_worker_account (w, t0, job->queued_at, job->live,
      c.budget, tokens, seconds, &inference, NULL);
  text = g_string_free (all, FALSE);
  r->s = new_result (self, w, job, task, r);
  gst_structure_set (r->s, "inference_time", G_TYPE_UINT64, inference,
      "tokens", G_TYPE_UINT, tokens, "late", G_TYPE_BOOLEAN, late, NULL);
  gst_gemma4_result_set_text (r->s, text);
  GST_DEBUG_OBJECT (self, "%" GST_TIME_FORMAT ": \"%s\" (%u objects, %u "
      "tokens, %.0f ms)", GST_TIME_ARGS (r->pts), text, r->objects->len,
      tokens, inference / 1e6);
  mark_done (self, job->seq, r);
  /* out at once, lasting until the next sampled frame: textoverlay waits
   * for text covering each frame, so holding it until the next result
   * would stall a pipeline without queues; a side output that nobody
   * reads must not stop the video: flows are not returned */
  gst_gemma4_output_publish (&self->core.output, gst_structure_copy (r->s),
      r->pts, r->duration);
  vision_result_unref (r);
  g_free (text);
  job_config_clear (&c);
  gst_gemma4_element_notify_stats (&self->core);
  return GST_FLOW_OK;
}

GstFlowReturn
gst_gemma4_vision_drop (GstElement * element, GstGemma4Worker * w,
    gpointer data)
{
  GstGemma4Vision *self = GST_GEMMA4_VISION (element);
  VisionJob *job = data;
  GstGemma4VisionTask task;

  GST_OBJECT_LOCK (self);
  task = self->task;
  GST_OBJECT_UNLOCK (self);
  publish_no_result (self, w, job, task_nick (task),
      GST_GEMMA4_STATUS_DROPPED);
  gst_gemma4_element_notify_stats (&self->core);
  return GST_FLOW_OK;
}

void
gst_gemma4_vision_job_free (gpointer data)
{
  VisionJob *job = data;

  mark_done (job->self, job->seq, NULL);
  if (job->sent) {
    job_config_clear (job->sent);
    g_free (job->sent);
  }
  gst_buffer_unref (job->buf);
  g_free (job);
}

