/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4asr's chunks on the worker thread (see gstgemma4asrjob.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstgemma4asrjob.h"
#include "gstgemma4output.h"
#include "gstgemma4remote.h"
#include "gstgemma4result.h"
#include "gstgemma4text.h"
#include "gstgemma4worker.h"

#define GST_CAT_DEFAULT gst_gemma4_asr_debug

typedef struct
{
  GstGemma4Answer answer;       /* first: on_piece hands it on */
  GstGemma4Asr *self;
  const AsrJob *job;
  gboolean partial;
  const GstStructure *result;   /* partial results are copies of it */
  GstFlowReturn flow;           /* of the partial results */
} GenerateContext;

static const gchar *
task_nick (GstGemma4AsrTask task)
{
  return task == GST_GEMMA4_ASR_TASK_TRANSLATE ? "translate" : "transcribe";
}

/* The asr record of job: the common fields, task and, when set, language. */
static GstStructure *
new_result (GstGemma4Asr * self, GstGemma4Worker * w, const AsrJob * job)
{
  GstStructure *s = gst_gemma4_result_new ("asr", GST_ELEMENT (self),
      gst_gemma4_worker_get_model_name (w),
      &job->segment, job->pts, job->duration);

  GST_OBJECT_LOCK (self);
  gst_structure_set (s, "task", G_TYPE_STRING, task_nick (self->task), NULL);
  if (self->language)
    gst_structure_set (s, "language", G_TYPE_STRING, self->language, NULL);
  GST_OBJECT_UNLOCK (self);
  return s;
}

static bool
on_piece (const char *text, int len, bool in_thought, void *user)
{
  GenerateContext *ctx = user;
  GstGemma4Asr *self = ctx->self;

  if (!gst_gemma4_answer_piece (text, len, in_thought, &ctx->answer))
    return false;
  if (!in_thought && ctx->partial && ctx->flow == GST_FLOW_OK) {
    GstStructure *s = gst_structure_copy (ctx->result);
    gchar *so_far = g_strstrip (g_strdup (ctx->answer.text->str));
    gst_structure_set (s, "text", G_TYPE_STRING, so_far,
        "is_final", G_TYPE_BOOLEAN, FALSE, NULL);
    g_free (so_far);
    ctx->flow = gst_gemma4_output_publish_partial (&self->core.output, s,
        ctx->job->pts, ctx->job->duration);
  }
  return true;
}

/* The job's one record (bus, meta, text or GAP, JSON). */
static GstFlowReturn
publish (GstGemma4Asr * self, const AsrJob * job, GstStructure * result)
{
  gboolean late = FALSE;
  GstClockTime pts;

  gst_structure_get_boolean (result, "late", &late);
  pts = gst_gemma4_output_stamp (&self->core.output, &self->core.upstream,
      &job->segment, job->pts, job->duration, late, "gemma4asr/late-result");
  return gst_gemma4_output_publish (&self->core.output, result, pts,
      job->duration);
}

static void
send_final_transcript (GstGemma4Asr * self)
{
  gst_gemma4_output_push_pad_event (&self->core.output, FALSE,
      gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
          gst_structure_new_empty ("rstranscribe/final-transcript")));
}

/* The instruction of a chunk: prompt, or the task's. */
static gchar *
instruction_of (GstGemma4Asr * self)
{
  const gchar *user;
  gchar *instruction;
  gboolean translate;
  gsize len;

  GST_OBJECT_LOCK (self);
  user = gst_gemma4_settings_instruction (&self->core.settings);
  if (user) {
    instruction = g_strdup (user);
  } else {
    translate = self->task == GST_GEMMA4_ASR_TASK_TRANSLATE;
    len = g4_asr_prompt (translate, self->language, self->target_language,
        NULL, 0);
    instruction = g_malloc (len + 1);
    g4_asr_prompt (translate, self->language, self->target_language,
        instruction, len + 1);
  }
  GST_OBJECT_UNLOCK (self);
  return instruction;
}

/* The chunk on the local engine: audio encoded, prompt built and run. */
static GstFlowReturn
infer_local (GstGemma4Asr * self, GstGemma4Worker * w, const AsrJob * job,
    g4_generate_params * gp, guint * tokens, gdouble * seconds)
{
  GstGemma4Model *model = gst_gemma4_worker_get_model (w);
  const g4_mmproj *mm = gst_gemma4_model_get_mmproj (model);
  const g4_model *lm = gst_gemma4_model_get_model (model);
  g4_prompt *prompt = gst_gemma4_worker_get_prompt (w);
  g4_generate_result res = { 0 };
  g4_error err = { 0 };
  g4_status st;
  gchar *instruction, *rendered;
  gfloat *embd;
  gint n_tokens, n_embd;
  GstFlowReturn ret;

  if (!mm || !g4_mmproj_has_audio (mm)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("mmproj-path does not hold an audio encoder: use the mmproj file of "
            "a Gemma 4 E2B or E4B model"), (NULL));
    return GST_FLOW_ERROR;
  }
  n_embd = g4_mmproj_n_embd (mm);
  n_tokens = g4_audio_n_tokens (mm, (int64_t) job->seg->n_pcm);
  embd = gst_gemma4_worker_media_rows (w, (gsize) n_tokens * n_embd);
  if (!embd) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Out of memory for %d audio embeddings", n_tokens), (NULL));
    return GST_FLOW_ERROR;
  }
  st = g4_audio_encode (mm, job->seg->pcm, (int64_t) job->seg->n_pcm,
      gst_gemma4_worker_get_n_threads (w), gst_gemma4_worker_get_cancel (w),
      embd, &err);
  if (st == G4_STATUS_CANCELLED)
    return GST_FLOW_FLUSHING;
  if (st != G4_OK) {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED,
        ("The audio encoder failed: %s", err.message), (NULL));
    return GST_FLOW_ERROR;
  }

  instruction = instruction_of (self);
  rendered = gst_gemma4_settings_render_chat (&self->core.settings,
      GST_ELEMENT (self), lm, instruction, "<|audio|>");
  g_free (instruction);
  st = g4_prompt_build (lm, rendered,
      &(g4_media) {.embd = embd,.n_tokens = n_tokens,.is_audio = true}, 1,
      prompt, &err);
  g_free (rendered);
  if (st != G4_OK) {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED,
        ("Could not build the prompt: %s", err.message), (NULL));
    return GST_FLOW_ERROR;
  }
  st = gst_gemma4_worker_generate (w, prompt, gp, &res, "text", job->pts,
      "lower chunk-duration", &err);
  ret = gst_gemma4_worker_finish_compute (w, st, &err, "Generation failed");
  *tokens = (guint) res.n_generated;
  *seconds = res.generate_seconds;
  return ret;
}

/* The chunk to the server (backend=openai): the same chat, the audio as
 * WAV. */
GstFlowReturn
gst_gemma4_asr_prepare (GstElement * element, GstGemma4Worker * w,
    gpointer data)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (element);
  AsrJob *job = data;
  const GstGemma4JobTiming timing = gst_gemma4_job_timing (&job->segment,
      job->pts, job->duration, job->live);
  G4RemoteMedia audio = { TRUE, g4remote_wav_new (job->seg->pcm,
          job->seg->n_pcm, G4_AUDIO_SAMPLE_RATE)
  };
  gchar *instruction = instruction_of (self);
  GstGemma4RemoteAsk ask = { instruction, "<|audio|>", &audio, 1, NULL,
    &timing, FALSE
  };

  GST_OBJECT_LOCK (self);
  ask.streamed = self->partial_results;
  GST_OBJECT_UNLOCK (self);
  gst_gemma4_remote_send (w, element, &self->core.settings, &ask);
  g_bytes_unref (audio.data);
  g_free (instruction);
  return GST_FLOW_OK;
}

GstFlowReturn
gst_gemma4_asr_process (GstElement * element, GstGemma4Worker * w,
    gpointer data)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (element);
  AsrJob *job = data;
  const gint64 t0 = g_get_monotonic_time ();
  const GstGemma4JobTiming timing = gst_gemma4_job_timing (&job->segment,
      job->pts, job->duration, job->live);
  g4_generate_params gp = { 0 };
  GenerateContext ctx = { 0 };
  GstStructure *result;
  gchar *text;
  GstClockTime inference, budget;
  gboolean utterance_end = job->seg->utterance_end;
  guint tokens = 0;
  gdouble seconds = 0.0;
  gsize skip = 0;
  GstFlowReturn ret = GST_FLOW_OK;

  ctx.self = self;
  ctx.answer.worker = w;
  ctx.job = job;
  ctx.answer.text = g_string_new (NULL);
  ctx.result = result = new_result (self, w, job);
  GST_OBJECT_LOCK (self);
  gp.max_tokens = (int) self->core.settings.max_tokens;
  gp.sampling = gst_gemma4_settings_sampling (&self->core.settings);
  ctx.partial = self->partial_results;
  budget = self->core.settings.latency_ms * GST_MSECOND;
  GST_OBJECT_UNLOCK (self);
  gp.on_piece = on_piece;
  gp.user = &ctx;

  ret = gst_gemma4_worker_is_remote (w) ?
      gst_gemma4_remote_receive (w, gp.on_piece, gp.user, &timing, &tokens,
      &seconds) :
      infer_local (self, w, job, &gp, &tokens, &seconds);
  if (ret == GST_FLOW_ERROR) {
    gst_gemma4_result_set_status (result, GST_GEMMA4_STATUS_ERROR);
    publish (self, job, result);
  }
  if (ret != GST_FLOW_OK) {
    if (ret != GST_FLOW_ERROR)
      gst_structure_free (result);
    g_string_free (ctx.answer.text, TRUE);
    return ret == GST_GEMMA4_FLOW_DROPPED ?
        gst_gemma4_asr_drop (element, w, data) : ret;
  }
  gst_gemma4_worker_account (w, t0, job->ready_at, job->live, budget,
      tokens, seconds, &inference, result);

  text = g_strstrip (g_string_free (ctx.answer.text, FALSE));
  /* the audio the overlap really repeated (the configured overlap is cut to
   * what a chunk can carry) */
  if (job->seg->continues && job->seg->n_pcm > 0)
    skip = gst_gemma4_text_seam_skip (self->prev_text, text,
        (gdouble) (job->seg->start - job->seg->audio_start) / job->seg->n_pcm);
  g_free (self->prev_text);
  self->prev_text = g_strdup (text);
  GST_DEBUG_OBJECT (self, "%" GST_TIME_FORMAT " +%" GST_TIME_FORMAT
      ": \"%s\" (seam skip %" G_GSIZE_FORMAT ", %u tokens, %.0f ms)",
      GST_TIME_ARGS (job->pts), GST_TIME_ARGS (job->duration), text, skip,
      tokens, inference / 1e6);
  gst_gemma4_result_set_text (result, text + skip);
  g_free (text);
  ret = publish (self, job, result);
  if (ret == GST_FLOW_OK)
    ret = ctx.flow;
  if (utterance_end)
    send_final_transcript (self);
  gst_gemma4_element_notify_stats (&self->core);
  return ret;
}

/* A job dropped under load: a record without text (a gap on the text). */
GstFlowReturn
gst_gemma4_asr_drop (GstElement * element, GstGemma4Worker * w,
    gpointer data)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (element);
  AsrJob *job = data;
  GstStructure *result = new_result (self, w, job);

  g_clear_pointer (&self->prev_text, g_free);
  gst_gemma4_result_set_status (result, GST_GEMMA4_STATUS_DROPPED);
  gst_gemma4_element_notify_stats (&self->core);
  return publish (self, job, result);
}

void
gst_gemma4_asr_job_free (gpointer data)
{
  AsrJob *job = data;

  gst_gemma4_segment_free (job->seg);
  g_free (job);
}
