/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4caption's windows on the worker thread (see gstgemma4captionjob.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstgemma4captionjob.h"
#include "gstgemma4output.h"
#include "gstgemma4remote.h"
#include "gstgemma4result.h"
#include "gstgemma4worker.h"

#define GST_CAT_DEFAULT gst_gemma4_caption_debug

void
gst_gemma4_caption_job_free (gpointer data)
{
  CaptionJob *job = data;

  for (guint i = 0; i < job->n_frames; i++)
    gst_gemma4_caption_sample_unref (job->frames[i]);
  g_free (job);
}

void
gst_gemma4_caption_clear_history (GstGemma4Caption * self)
{
  g_queue_clear_full (&self->history, g_free);
}

/* ---- the caption, on the worker thread ---------------------------- */

/* Stream time in ms, 0 when unknown. */
static gint64
stream_ms (const GstSegment * segment, GstClockTime t)
{
  GstClockTime st = gst_segment_to_stream_time (segment, GST_FORMAT_TIME, t);

  return GST_CLOCK_TIME_IS_VALID (st) ? (gint64) (st / GST_MSECOND) : 0;
}

/* The user turn (g4_caption_prompt: frame times and images as Hugging
 * Face's Gemma 4 processor lays out a video, then the instruction with its
 * placeholders replaced); instruction NULL is the engine's default. */
static gchar *
build_user_turn (GstGemma4Caption * self, const CaptionJob * job,
    const gchar * instruction)
{
  gint64 at[MAX_FRAMES];
  const gchar *previous[MAX_HISTORY];
  gint n_previous = 0;
  guint keep;
  gsize len;
  gchar *out;

  for (guint i = 0; i < job->n_frames; i++)
    at[i] = job->frames[i]->stream_time == GST_CLOCK_TIME_NONE ? 0 :
        (gint64) (job->frames[i]->stream_time / GST_MSECOND);
  GST_OBJECT_LOCK (self);
  keep = self->history_size;
  GST_OBJECT_UNLOCK (self);
  /* the newest history-size captions, even right after it was lowered */
  for (GList * l = g_queue_peek_nth_link (&self->history,
          self->history.length > keep ? self->history.length - keep : 0); l;
      l = l->next)
    previous[n_previous++] = l->data;
  len = g4_caption_prompt (instruction, at, (gint) job->n_frames,
      stream_ms (&job->segment, job->start),
      stream_ms (&job->segment, job->start + job->duration), previous,
      n_previous, NULL, 0);
  out = g_malloc (len + 1);
  g4_caption_prompt (instruction, at, (gint) job->n_frames,
      stream_ms (&job->segment, job->start),
      stream_ms (&job->segment, job->start + job->duration), previous,
      n_previous, out, len + 1);
  return out;
}

/* The user turn of job with the instruction set now. */
static gchar *
user_turn_of (GstGemma4Caption * self, const CaptionJob * job)
{
  gchar *instruction, *user_turn;

  GST_OBJECT_LOCK (self);
  instruction =
      g_strdup (gst_gemma4_settings_instruction (&self->core.settings));
  GST_OBJECT_UNLOCK (self);
  user_turn = build_user_turn (self, job, instruction);
  g_free (instruction);
  return user_turn;
}

/* Whether the user turn holds the previous captions (the engine's default
 * instruction does). */
static gboolean
uses_history (GstGemma4Caption * self)
{
  const gchar *instruction;
  gboolean uses;

  GST_OBJECT_LOCK (self);
  instruction = gst_gemma4_settings_instruction (&self->core.settings);
  uses = self->history_size > 0 && (!instruction
      || strstr (instruction, "{previous}"));
  GST_OBJECT_UNLOCK (self);
  return uses;
}

/* The caption record of job: the common fields, the sampled frames' PTS
 * and, once built, the user turn. */
static GstStructure *
new_result (GstGemma4Caption * self, GstGemma4Worker * w,
    const CaptionJob * job)
{
  GstStructure *s = gst_gemma4_result_new ("caption", GST_ELEMENT (self),
      gst_gemma4_worker_get_model_name (w),
      &job->segment, job->start, job->duration);
  GValue frames = G_VALUE_INIT, v = G_VALUE_INIT;

  gst_value_array_init (&frames, job->n_frames);
  g_value_init (&v, G_TYPE_UINT64);
  for (guint i = 0; i < job->n_frames; i++) {
    g_value_set_uint64 (&v, job->frames[i]->pts);
    gst_value_array_append_value (&frames, &v);
  }
  g_value_unset (&v);
  gst_structure_take_value (s, "frames", &frames);
  return s;
}

/* The job's one record (bus, meta, text or GAP, JSON). */
static GstFlowReturn
publish (GstGemma4Caption * self, const CaptionJob * job,
    GstStructure * result)
{
  gboolean late = FALSE;
  GstClockTime pts;

  /* live: a caption that came late goes out where the clock stands, as
   * gemma4asr's text does, instead of being dropped as too late downstream */
  gst_structure_get_boolean (result, "late", &late);
  pts = gst_gemma4_output_stamp (&self->core.output, &self->core.upstream,
      &job->segment, job->start, job->display, late && job->live,
      "gemma4caption/late-result");
  return gst_gemma4_output_publish (&self->core.output, result, pts,
      job->display);
}

static void
remember_caption (GstGemma4Caption * self, const gchar * text)
{
  guint keep;

  GST_OBJECT_LOCK (self);
  keep = self->history_size;
  GST_OBJECT_UNLOCK (self);
  if (*text && keep > 0)
    g_queue_push_tail (&self->history, g_strdup (text));
  while (self->history.length > keep)
    g_free (g_queue_pop_head (&self->history));
}

/* Encodes the job's frames into one block of rows, media[i] pointing into
 * it. Returns the block (NULL with the flow in *ret on failure). */
static gfloat *
encode_frames (GstGemma4Caption * self, GstGemma4Worker * w,
    const g4_mmproj * mm, const CaptionJob * job, g4_media * media,
    GstFlowReturn * ret)
{
  const gint n_embd = g4_mmproj_n_embd (mm);
  gint counts[MAX_FRAMES];
  g4_image_view views[MAX_FRAMES];
  g4_image_item items[MAX_FRAMES];
  gsize total = 0, at = 0;
  gfloat *embd;
  g4_error err = { 0 };
  g4_status st;

  for (guint i = 0; i < job->n_frames; i++) {
    const Sample *s = job->frames[i];
    counts[i] = g4_image_n_tokens (mm, s->width, s->height, s->sizing,
        s->max_soft_tokens);
    if (counts[i] <= 0) {
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
          ("The vision encoder refuses a %dx%d frame with a budget of %d "
              "soft tokens", s->width, s->height, s->max_soft_tokens), (NULL));
      *ret = GST_FLOW_ERROR;
      return NULL;
    }
    total += (gsize) counts[i];
  }
  embd = gst_gemma4_worker_media_rows (w, total * n_embd);
  if (!embd) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Out of memory for %" G_GSIZE_FORMAT " image embeddings", total),
        (NULL));
    *ret = GST_FLOW_ERROR;
    return NULL;
  }
  /* the window's frames in one encoder call: its weights are read once */
  for (guint i = 0; i < job->n_frames; i++) {
    Sample *s = job->frames[i];
    views[i] = g4_image_view_rgb (s->rgb, s->width, s->height, s->width * 3);
    /* the copy is the encoder's canvas: both rules keep it as is */
    items[i] = (g4_image_item) {.img = &views[i],.sizing = s->sizing,
      .max_soft_tokens = s->max_soft_tokens,.out = embd + at * n_embd,
      .cancel = gst_gemma4_worker_get_cancel (w)};
    at += (gsize) counts[i];
  }
  st = g4_image_encode_many (mm, items, (gint) job->n_frames,
      gst_gemma4_worker_get_n_threads (w), &err);
  if (st != G4_OK) {
    if (st == G4_STATUS_CANCELLED) {
      *ret = GST_FLOW_FLUSHING;
    } else {
      GST_ELEMENT_ERROR (self, LIBRARY, FAILED,
          ("The vision encoder failed: %s", err.message), (NULL));
      *ret = GST_FLOW_ERROR;
    }
    return NULL;
  }
  for (guint i = 0; i < job->n_frames; i++)
    media[i] = (g4_media) {
    .embd = items[i].out,.n_tokens = items[i].n_tokens,.is_audio = false};
  return embd;
}

/* The window on the local engine: frames encoded, prompt built and run. */
static GstFlowReturn
infer_local (GstGemma4Caption * self, GstGemma4Worker * w,
    const CaptionJob * job, const gchar * user_turn,
    g4_generate_params * gp, guint * tokens, gdouble * seconds)
{
  GstGemma4Model *model = gst_gemma4_worker_get_model (w);
  const g4_mmproj *mm = gst_gemma4_model_get_mmproj (model);
  const g4_model *lm = gst_gemma4_model_get_model (model);
  g4_media media[MAX_FRAMES];
  g4_error err = { 0 };
  g4_status st;
  g4_prompt *prompt = gst_gemma4_worker_get_prompt (w);
  g4_generate_result res = { 0 };
  gchar *rendered;
  GstFlowReturn ret = GST_FLOW_OK;

  if (!encode_frames (self, w, mm, job, media, &ret))
    return ret;
  rendered = gst_gemma4_settings_render_chat (&self->core.settings,
      GST_ELEMENT (self), lm, user_turn, NULL);
  st = g4_prompt_build (lm, rendered, media, (int) job->n_frames, prompt,
      &err);
  g_free (rendered);
  if (st != G4_OK) {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED,
        ("Could not build the prompt (a prompt may not hold <|image|> of "
            "its own): %s", err.message), (NULL));
    return GST_FLOW_ERROR;
  }
  st = gst_gemma4_worker_generate (w, prompt, gp, &res, "caption",
      job->start, "lower frames-per-window or max-soft-tokens", &err);
  ret = gst_gemma4_worker_finish_compute (w, st, &err, "Generation failed");
  *tokens = (guint) res.n_generated;
  *seconds = res.generate_seconds;
  return ret;
}

/* The window to the server (backend=openai): the same user turn, each
 * frame's copy as a JPEG in its place. A prompt holding the previous
 * captions waits for them. */
GstFlowReturn
gst_gemma4_caption_prepare (GstElement * element, GstGemma4Worker * w,
    gpointer data)
{
  GstGemma4Caption *self = GST_GEMMA4_CAPTION (element);
  CaptionJob *job = data;
  const GstGemma4JobTiming timing = gst_gemma4_job_timing (&job->segment,
      job->start, job->duration, job->live);
  G4RemoteMedia media[MAX_FRAMES];
  GstGemma4RemoteAsk ask = { NULL, NULL, media, job->n_frames, NULL,
    &timing, FALSE
  };
  GstFlowReturn ret = GST_FLOW_OK;
  guint made = 0;
  gchar *user_turn;

  if (uses_history (self) && !gst_gemma4_worker_is_next (w))
    return GST_GEMMA4_FLOW_LATER;
  user_turn = user_turn_of (self, job);
  ask.instruction = user_turn;

  for (; made < job->n_frames; made++) {
    Sample *s = job->frames[made];
    g4_image_view view = g4_image_view_rgb (s->rgb, s->width, s->height,
        s->width * 3);
    GError *error = NULL;
    media[made].is_audio = FALSE;
    /* the copy is already at the size the budget gives */
    media[made].data = gst_gemma4_remote_jpeg (&view,
        (guint) s->max_soft_tokens, &error);
    if (!media[made].data) {
      GST_ELEMENT_ERROR (self, STREAM, ENCODE, ("Could not make a JPEG of a "
              "frame for the server: %s", error->message), (NULL));
      g_error_free (error);
      ret = GST_FLOW_ERROR;
      break;
    }
  }
  if (ret == GST_FLOW_OK)
    gst_gemma4_remote_send (w, element, &self->core.settings, &ask);
  for (guint i = 0; i < made; i++)
    g_bytes_unref (media[i].data);
  g_free (user_turn);
  return ret;
}

GstFlowReturn
gst_gemma4_caption_process (GstElement * element, GstGemma4Worker * w,
    gpointer data)
{
  GstGemma4Caption *self = GST_GEMMA4_CAPTION (element);
  CaptionJob *job = data;
  const gint64 t0 = g_get_monotonic_time ();
  const GstGemma4JobTiming timing = gst_gemma4_job_timing (&job->segment,
      job->start, job->duration, job->live);
  g4_generate_params gp = { 0 };
  GString *answer;
  GstGemma4Answer ctx;
  GstStructure *result;
  gchar *user_turn, *text;
  GstClockTime inference, budget;
  guint tokens = 0;
  gdouble seconds = 0.0;
  GstFlowReturn ret = GST_FLOW_OK;

  answer = g_string_new (NULL);
  GST_OBJECT_LOCK (self);
  gp.max_tokens = (int) self->core.settings.max_tokens;
  gp.sampling = gst_gemma4_settings_sampling (&self->core.settings);
  budget = self->core.settings.latency_ms * GST_MSECOND;
  GST_OBJECT_UNLOCK (self);
  user_turn = user_turn_of (self, job);
  result = new_result (self, w, job);
  gst_structure_set (result, "prompt", G_TYPE_STRING, user_turn, NULL);

  ctx.text = answer;
  ctx.worker = w;
  gp.on_piece = gst_gemma4_answer_piece;
  gp.user = &ctx;
  ret = gst_gemma4_worker_is_remote (w) ?
      gst_gemma4_remote_receive (w, gp.on_piece, gp.user, &timing, &tokens,
      &seconds) :
      infer_local (self, w, job, user_turn, &gp, &tokens, &seconds);
  g_free (user_turn);
  if (ret != GST_FLOW_OK) {
    if (ret == GST_FLOW_ERROR) {
      gst_gemma4_result_set_status (result, GST_GEMMA4_STATUS_ERROR);
      publish (self, job, result);
    } else {
      gst_structure_free (result);
    }
    g_string_free (answer, TRUE);
    return ret == GST_GEMMA4_FLOW_DROPPED ?
        gst_gemma4_caption_drop (element, w, data) : ret;
  }
  gst_gemma4_worker_account (w, t0, job->ready_at, job->live, budget,
      tokens, seconds, &inference, result);

  text = g_strstrip (g_string_free (answer, FALSE));
  GST_DEBUG_OBJECT (self, "%" GST_TIME_FORMAT " +%" GST_TIME_FORMAT
      ", %u frames: \"%s\" (%u tokens, %.0f ms)", GST_TIME_ARGS (job->start),
      GST_TIME_ARGS (job->duration), job->n_frames, text, tokens,
      inference / 1e6);
  gst_gemma4_result_set_text (result, text);
  ret = publish (self, job, result);
  remember_caption (self, text);
  g_free (text);
  gst_gemma4_element_notify_stats (&self->core);
  return ret;
}

/* A window dropped under load: a record without text (a gap on the text). */
GstFlowReturn
gst_gemma4_caption_drop (GstElement * element, GstGemma4Worker * w,
    gpointer data)
{
  GstGemma4Caption *self = GST_GEMMA4_CAPTION (element);
  CaptionJob *job = data;
  GstStructure *result = new_result (self, w, job);

  gst_gemma4_result_set_status (result, GST_GEMMA4_STATUS_DROPPED);
  gst_gemma4_element_notify_stats (&self->core);
  return publish (self, job, result);
}

