/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4asr: transcribes (or translates) 16 kHz mono speech with a Gemma 4
 * model and its audio encoder. Audio is cut into utterances and chunks on the
 * streaming thread; a worker thread encodes each piece, runs the chat prompt
 * and pushes timed text, JSON, bus messages and GAP events in stream order. */

/**
 * SECTION:element-gemma4asr
 * @title: gemma4asr
 *
 * Speech to text with Google's Gemma 4 E2B or E4B models (GGUF language
 * model plus the mmproj file holding the audio encoder). Put audioconvert !
 * audioresample in front: the element takes 16 kHz mono S16LE or F32LE.
 *
 * Outputs:
 * - `src`: `text/x-raw, format=utf8`, a sparse stream: one buffer per speech
 *   segment with PTS/DURATION the segment's, GAP events over silence so
 *   textoverlay, srtenc and muxers never wait. After each finished utterance
 *   the custom downstream event `rstranscribe/final-transcript` follows.
 * - request pad `json_src` (`unsynced_src` is another name for it, as
 *   earlier versions called their always pad): `application/x-json`, the
 *   result records, one JSON
 *   object per line (schemas/asr.schema.json): `kind` "asr", `status`,
 *   `text`, `is_final`, `start`, `duration`, `timestamp`, `running_time`
 *   and `inference_time` (ns), `tokens`, `late`, `model`, `element`,
 *   `task`, `language`; partial results too (`is_final` false) with
 *   #GstGemma4Asr:partial-results.
 * - an element message `gemma4-result` per chunk on the bus with the same
 *   fields, and the same structure on each text buffer as the custom meta
 *   `GstGemma4ResultMeta` (gst_buffer_get_custom_meta (),
 *   gst_custom_meta_get_structure ()).
 *
 * Every chunk ends in exactly one record on the bus and the JSON pad, its
 * `status` telling silence from loss: ok, empty (the model wrote nothing),
 * dropped (not transcribed: the element could not keep up), late (after
 * the #GstGemma4Asr:latency budget, live) or error. The text pad gets a
 * GAP for each record without text.
 *
 * Timing: the voice activity detector (#GstGemma4Asr:vad) finds
 * utterances; those longer than #GstGemma4Asr:chunk-duration are cut into
 * chunks, each transcribed with #GstGemma4Asr:chunk-overlap of the previous
 * chunk's audio in front, and words repeated at the seam are removed.
 * In a live pipeline the element reports a latency of upstream +
 * chunk-duration + #GstGemma4Asr:latency; inference runs off the streaming
 * thread and, when it cannot keep up, the oldest pending chunk is dropped
 * (a record with status dropped and a GAP on the text go out in its
 * place, a QOS message is posted and #GstGemma4Asr:stats counts it). In
 * a file pipeline nothing is dropped: upstream waits.
 *
 * The model is loaded on a thread when the element goes to READY, with
 * PROGRESS messages; elements naming the same files share it.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=speech.wav ! decodebin ! audioconvert ! \
 *     audioresample ! gemma4asr model-path=gemma-4-E2B-it-Q4_0.gguf \
 *     mmproj-path=mmproj-gemma-4-E2B-it-f16.gguf ! srtenc ! \
 *     filesink location=speech.srt
 * ]| writes subtitles for a file.
 * |[
 * gst-launch-1.0 autoaudiosrc ! audioconvert ! audioresample ! \
 *     gemma4asr model-path=E2B.gguf mmproj-path=mmproj.gguf latency=2000 ! \
 *     fakesink dump=true
 * ]| transcribes a microphone live.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/audio/audio.h>

#include "gemma4.h"
#include "gstgemma4asr.h"
#include "gstgemma4asrjob.h"
#include "gstgemma4element.h"
#include "gstgemma4enums.h"
#include "gstgemma4output.h"
#include "gstgemma4segmenter.h"
#include "gstgemma4settings.h"
#include "gstgemma4worker.h"

GST_DEBUG_CATEGORY (gst_gemma4_asr_debug);
#define GST_CAT_DEFAULT gst_gemma4_asr_debug

#define RATE G4_AUDIO_SAMPLE_RATE
#define MAX_AUDIO_MS 30000      /* the encoder's piece; longer audio is cut */

#define DEFAULT_LATENCY 1500
#define DEFAULT_MAX_TOKENS 256
#define DEFAULT_TEMPERATURE 0.0f
#define DEFAULT_TASK GST_GEMMA4_ASR_TASK_TRANSCRIBE
#define DEFAULT_CHUNK_DURATION 5000
#define DEFAULT_CHUNK_OVERLAP 1000
#define DEFAULT_VAD GST_GEMMA4_VAD_ENERGY
#define DEFAULT_VAD_THRESHOLD -40.0
#define DEFAULT_MIN_SPEECH 250
#define DEFAULT_MAX_SILENCE 600
#define DEFAULT_PARTIAL_RESULTS FALSE
/* One job runs and one waits: more would only add latency. */
#define MAX_PENDING_JOBS 1
/* A discontinuity smaller than this is jitter, not missing audio. */
#define DISCONT_TOLERANCE (20 * GST_MSECOND)

enum
{
  PROP_TASK = GST_GEMMA4_PROP_LAST,
  PROP_LANGUAGE,
  PROP_TARGET_LANGUAGE,
  PROP_CHUNK_DURATION,
  PROP_CHUNK_OVERLAP,
  PROP_VAD,
  PROP_VAD_THRESHOLD,
  PROP_MIN_SPEECH_DURATION,
  PROP_MAX_SILENCE,
  PROP_PARTIAL_RESULTS,
};

static const GstGemma4SettingsDefaults asr_defaults = {
  .latency_ms = DEFAULT_LATENCY,
  .max_tokens = DEFAULT_MAX_TOKENS,
  .temperature = DEFAULT_TEMPERATURE,
  .prompt_doc = "Instruction given with each piece of audio (NULL = a "
      "built-in one for task, language and target-language). The audio goes "
      "where the text has <|audio|>, or before the text. Applied to the next "
      "job",
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/x-raw, format = (string) { S16LE, F32LE }, "
        "rate = (int) 16000, channels = (int) 1, "
        "layout = (string) interleaved"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("text/x-raw, format = (string) utf8"));

/* The JSON records on a request pad, as gemma4vision and gemma4caption have
 * them; unsynced_src is the same output under its earlier name (one of the
 * two at a time). */
static GstStaticPadTemplate json_template =
GST_STATIC_PAD_TEMPLATE ("json_src",
    GST_PAD_SRC,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("application/x-json"));

static GstStaticPadTemplate json_alias_template =
GST_STATIC_PAD_TEMPLATE ("unsynced_src",
    GST_PAD_SRC,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("application/x-json"));

#define gst_gemma4_asr_parent_class parent_class
G_DEFINE_TYPE (GstGemma4Asr, gst_gemma4_asr, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (gemma4asr, "gemma4asr", GST_RANK_NONE,
    GST_TYPE_GEMMA4_ASR);

static void
asr_clear (GstElement * element)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (element);

  gst_gemma4_segmenter_clear (&self->segmenter);
  g_free (self->conv);
  g_free (self->prev_text);
}

/* ---- input, on the streaming thread --------------------------------------- */

static GstClockTime
sample_time (GstGemma4Asr * self, guint64 sample)
{
  return self->anchor + gst_util_uint64_scale_int (sample, GST_SECOND, RATE);
}

static void
configure_segmenter (GstGemma4Asr * self)
{
  GstGemma4SegmenterConfig cfg;
  guint chunk, overlap;

  GST_OBJECT_LOCK (self);
  chunk = self->chunk_ms;
  overlap = MIN (MIN (self->overlap_ms, chunk / 2), MAX_AUDIO_MS - chunk);
  cfg.vad = self->vad == GST_GEMMA4_VAD_ENERGY;
  cfg.threshold_db = self->vad_threshold;
  cfg.min_speech = (guint64) self->min_speech_ms * RATE / 1000;
  cfg.max_silence = (guint64) self->max_silence_ms * RATE / 1000;
  GST_OBJECT_UNLOCK (self);
  cfg.chunk = (guint64) chunk * RATE / 1000;
  cfg.overlap = (guint64) overlap * RATE / 1000;
  gst_gemma4_segmenter_configure (&self->segmenter, &cfg);
}

/* Sends the segmenter's output to the worker, in order. */
static GstFlowReturn
queue_segments (GstGemma4Asr * self, GQueue * segs)
{
  GstGemma4Segment *seg;
  GstFlowReturn ret = GST_FLOW_OK;
  gboolean live, leaky = gst_gemma4_element_is_leaky (&self->core, &live);
  while ((seg = g_queue_pop_head (segs))) {
    GstClockTime start = sample_time (self, seg->start);
    GstClockTime duration = sample_time (self, seg->end) - start;
    GstGemma4JobTiming timing = gst_gemma4_job_timing (&self->segment, start,
        duration, live);
    AsrJob *job;

    if (ret != GST_FLOW_OK || !seg->speech) {
      if (ret == GST_FLOW_OK)
        gst_gemma4_output_queue_gap (&self->core.output, self->core.worker,
            start, duration);
      gst_gemma4_segment_free (seg);
      continue;
    }
    job = g_new0 (AsrJob, 1);
    job->seg = seg;
    job->pts = start;
    job->duration = duration;
    job->segment = self->segment;
    job->ready_at = g_get_monotonic_time ();
    job->live = live;
    ret = gst_gemma4_worker_queue_job (self->core.worker,
        gst_gemma4_asr_prepare, gst_gemma4_asr_process, gst_gemma4_asr_drop,
        job,
        gst_gemma4_asr_job_free, leaky, &timing);
  }
  return ret;
}

/* End of continuous audio (EOS, new segment, gap, discontinuity). */
static void
finish_audio (GstElement * element)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (element);
  GQueue segs = G_QUEUE_INIT;

  if (!self->anchored)
    return;
  gst_gemma4_segmenter_finish (&self->segmenter, &segs);
  queue_segments (self, &segs);
  self->anchored = FALSE;
}

static const gfloat *
to_float (GstGemma4Asr * self, const GstMapInfo * map, gsize * n)
{
  if (self->float_input) {
    *n = map->size / sizeof (gfloat);
    return (const gfloat *) map->data;
  }
  *n = map->size / sizeof (gint16);
  if (self->conv_size < *n) {
    self->conv = g_renew (gfloat, self->conv, *n);
    self->conv_size = *n;
  }
  for (gsize i = 0; i < *n; i++)
    self->conv[i] = GINT16_FROM_LE (((const gint16 *) map->data)[i]) /
        32768.0f;
  return self->conv;
}

static GstFlowReturn
gst_gemma4_asr_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (parent);
  GstClockTime pts = GST_BUFFER_PTS (buf);
  GQueue segs = G_QUEUE_INIT;
  GstMapInfo map;
  const gfloat *x;
  gsize n;
  GstFlowReturn ret;

  if (!self->live_checked) {
    gst_gemma4_element_check_live (&self->core, &self->segment, pts);
    self->live_checked = TRUE;
  }
  if (self->anchored && GST_BUFFER_IS_DISCONT (buf)
      && GST_CLOCK_TIME_IS_VALID (pts)) {
    GstClockTime expected = sample_time (self,
        gst_gemma4_segmenter_position (&self->segmenter));
    if (pts > expected + DISCONT_TOLERANCE
        || pts + DISCONT_TOLERANCE < expected) {
      GST_DEBUG_OBJECT (self, "discontinuity: expected %" GST_TIME_FORMAT
          ", got %" GST_TIME_FORMAT, GST_TIME_ARGS (expected),
          GST_TIME_ARGS (pts));
      finish_audio (GST_ELEMENT (self));
      if (pts > expected)
        gst_gemma4_output_queue_gap (&self->core.output, self->core.worker,
            expected, pts - expected);
    }
  }
  if (!self->anchored) {
    self->anchor = GST_CLOCK_TIME_IS_VALID (pts) ? pts : self->segment.start;
    self->anchored = TRUE;
    gst_gemma4_segmenter_reset (&self->segmenter);
  }
  configure_segmenter (self);

  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (self, RESOURCE, READ, ("Could not map the audio"),
        (NULL));
    return GST_FLOW_ERROR;
  }
  x = to_float (self, &map, &n);
  gst_gemma4_segmenter_push (&self->segmenter, x, n, &segs);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);

  ret = queue_segments (self, &segs);
  if (ret == GST_FLOW_OK)
    ret = gst_gemma4_worker_get_flow (self->core.worker);
  return ret;
}

static gboolean
set_caps (GstElement * element, GstCaps * caps)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (element);
  GstAudioInfo info;

  if (!gst_audio_info_from_caps (&info, caps)
      || GST_AUDIO_INFO_RATE (&info) != RATE
      || GST_AUDIO_INFO_CHANNELS (&info) != 1
      || (GST_AUDIO_INFO_FORMAT (&info) != GST_AUDIO_FORMAT_S16LE
          && GST_AUDIO_INFO_FORMAT (&info) != GST_AUDIO_FORMAT_F32LE)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("gemma4asr takes 16000 Hz mono S16LE or F32LE audio, not %"
            GST_PTR_FORMAT ": put audioconvert ! audioresample in front",
            caps), (NULL));
    return FALSE;
  }
  self->float_input = GST_AUDIO_INFO_FORMAT (&info) == GST_AUDIO_FORMAT_F32LE;
  return TRUE;
}

/* ISO 639 codes ("en", "deu"): what GST_TAG_LANGUAGE_CODE holds; a
 * language given by name only goes into the prompt. */
static gboolean
is_language_code (const gchar * language)
{
  gsize n = language ? strlen (language) : 0;

  if (n < 2 || n > 3)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_islower (language[i]))
      return FALSE;
  return TRUE;
}

/* The outputs start with the input, the text tagged with its language. */
static void
start_streams (GstGemma4Asr * self, GstEvent * event)
{
  GstTagList *tags = NULL;
  gchar *language;

  GST_OBJECT_LOCK (self);
  language = g_strdup (self->task == GST_GEMMA4_ASR_TASK_TRANSLATE ?
      self->target_language : self->language);
  GST_OBJECT_UNLOCK (self);
  if (is_language_code (language)) {
    tags = gst_tag_list_new (GST_TAG_LANGUAGE_CODE, language, NULL);
    gst_tag_list_set_scope (tags, GST_TAG_SCOPE_STREAM);
  }
  g_free (language);
  gst_gemma4_output_queue_start (&self->core.output, self->core.worker, event,
      tags);
}

static void
reset_stream (GstGemma4Asr * self)
{
  self->anchored = FALSE;
  self->live_checked = FALSE;
  gst_gemma4_segmenter_reset (&self->segmenter);
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
}

/* Worker-side state; call only while the worker is idle. */
static void
reset_output (GstGemma4Asr * self)
{
  g_clear_pointer (&self->prev_text, g_free);
  gst_gemma4_output_reset (&self->core.output);
}

static void
set_segment (GstElement * element, const GstSegment * segment)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (element);

  self->segment = *segment;
  self->live_checked = FALSE;
}

static void
flushed (GstElement * element)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (element);

  reset_output (self);
  self->anchored = FALSE;
  gst_gemma4_segmenter_reset (&self->segmenter);
}

static const GstGemma4InputFuncs input_funcs = {
  set_caps, finish_audio, set_segment, flushed
};

static gboolean
gst_gemma4_asr_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (parent);

  GST_LOG_OBJECT (self, "%" GST_PTR_FORMAT, event);
  if (GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START) {
    reset_stream (self);
    start_streams (self, event);
    return TRUE;
  }
  return gst_gemma4_element_sink_event (&self->core, &input_funcs, pad,
      parent, event);
}

/* Text comes out a chunk plus its inference after the audio. Call with
 * the object lock. */
static GstClockTime
asr_own_latency (GstElement * element)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (element);

  return (self->chunk_ms + self->core.settings.latency_ms) * GST_MSECOND;
}

static gboolean
asr_prepare (GstElement * element, GstStateChange transition)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (element);

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    reset_stream (self);
    reset_output (self);
  }
  return TRUE;
}

static void
asr_finish (GstElement * element, GstStateChange transition)
{
  if (transition == GST_STATE_CHANGE_READY_TO_NULL)
    reset_output (GST_GEMMA4_ASR (element));
}

/* The languages go into the built-in prompt (see
 * GstGemma4ElementInfo.check); under the object lock. */
static gboolean
check_languages (GstElement * element, gchar ** why)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (element);

  return gst_gemma4_check_placeholders ("gemma4asr", "language",
      self->language, NULL, why) && gst_gemma4_check_placeholders ("gemma4asr",
      "target-language", self->target_language, NULL, why);
}

/* ---- the element -------------------------------------------------------- */

#define FIELD(id, member, latency) \
  { id, G_STRUCT_OFFSET (GstGemma4Asr, member), latency }
static const GstGemma4Field asr_fields[] = {
  FIELD (PROP_TASK, task, FALSE),
  FIELD (PROP_LANGUAGE, language, FALSE),
  FIELD (PROP_TARGET_LANGUAGE, target_language, FALSE),
  /* the chunk length is part of the latency */
  FIELD (PROP_CHUNK_DURATION, chunk_ms, TRUE),
  FIELD (PROP_CHUNK_OVERLAP, overlap_ms, FALSE),
  FIELD (PROP_VAD, vad, FALSE),
  FIELD (PROP_VAD_THRESHOLD, vad_threshold, FALSE),
  FIELD (PROP_MIN_SPEECH_DURATION, min_speech_ms, FALSE),
  FIELD (PROP_MAX_SILENCE, max_silence_ms, FALSE),
  FIELD (PROP_PARTIAL_RESULTS, partial_results, FALSE),
  {0}
};

static const GstGemma4ElementInfo asr_info = {
  .core_offset = G_STRUCT_OFFSET (GstGemma4Asr, core),
  .name = "gemma4asr",
  .placeholder = "<|audio|>",
  .check = check_languages,
  .defaults = &asr_defaults,
  .fields = asr_fields,
  .max_jobs = MAX_PENDING_JOBS,
  .clear = asr_clear,
  .own_latency = asr_own_latency,
  .prepare = asr_prepare,
  .finish = asr_finish,
};

static void
gst_gemma4_asr_class_init (GstGemma4AsrClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;

  gst_gemma4_element_class_init (element_class, &asr_info);

  g_object_class_install_property (gobject_class, PROP_TASK,
      g_param_spec_enum ("task", "Task",
          "Transcribe the speech, or translate it into target-language",
          GST_TYPE_GEMMA4_ASR_TASK, DEFAULT_TASK,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_LANGUAGE,
      g_param_spec_string ("language", "Language",
          "Language spoken, as a hint in the prompt: a name or a BCP-47 code "
          "(NULL = let the model tell); also tagged on the text stream",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_TARGET_LANGUAGE,
      g_param_spec_string ("target-language", "Target language",
          "Language to translate into with task=translate (NULL = English)",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_CHUNK_DURATION,
      g_param_spec_uint ("chunk-duration", "Chunk duration",
          "Most audio per inference in ms; longer utterances are cut. Part "
          "of the live latency; the model takes at most 30000",
          200, MAX_AUDIO_MS, DEFAULT_CHUNK_DURATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_CHUNK_OVERLAP,
      g_param_spec_uint ("chunk-overlap", "Chunk overlap",
          "Audio in ms from the end of the previous chunk put in front of the "
          "next one of the same utterance, so words cut at the seam are "
          "heard whole; words repeated at the seam (never more than the overlap "
          "can hold) are removed. Limited to half of chunk-duration and to "
          "30000 - chunk-duration",
          0, 10000, DEFAULT_CHUNK_OVERLAP,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_VAD,
      g_param_spec_enum ("vad", "Voice activity detection",
          "How speech is found: energy sends silence out as GAP events "
          "instead of asking the model (which invents text on silence); none "
          "transcribes fixed chunks", GST_TYPE_GEMMA4_VAD, DEFAULT_VAD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_VAD_THRESHOLD,
      g_param_spec_double ("vad-threshold", "VAD threshold",
          "A 20 ms frame louder than this RMS level (dBFS) is speech",
          -120.0, 0.0, DEFAULT_VAD_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MIN_SPEECH_DURATION,
      g_param_spec_uint ("min-speech-duration", "Minimum speech duration",
          "Speech frames in ms needed before an utterance starts (shorter "
          "noises are silence)", 0, 10000, DEFAULT_MIN_SPEECH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MAX_SILENCE,
      g_param_spec_uint ("max-silence", "Maximum silence",
          "Silence in ms that ends an utterance", 20, 10000,
          DEFAULT_MAX_SILENCE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_PARTIAL_RESULTS,
      g_param_spec_boolean ("partial-results", "Partial results",
          "Push the text so far on json_src (is_final false) while a "
          "result is being generated", DEFAULT_PARTIAL_RESULTS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  GST_DEBUG_CATEGORY_INIT (gst_gemma4_asr_debug, "gemma4asr", 0,
      "Gemma 4 speech transcriber");

  gst_element_class_set_static_metadata (element_class,
      "Gemma 4 speech transcriber", "Filter/Converter/Audio/Text",
      "Transcribes or translates speech into timed text with a Gemma 4 "
      "model", "gst-gemma4 developers");

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class, &json_template);
  gst_element_class_add_static_pad_template (element_class,
      &json_alias_template);
}

static void
gst_gemma4_asr_init (GstGemma4Asr * self)
{
  GstPad *sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");

  gst_pad_set_chain_function (sinkpad,
      GST_DEBUG_FUNCPTR (gst_gemma4_asr_chain));
  gst_pad_set_event_function (sinkpad,
      GST_DEBUG_FUNCPTR (gst_gemma4_asr_sink_event));
  gst_element_add_pad (GST_ELEMENT (self), sinkpad);
  gst_gemma4_element_init (&self->core, GST_ELEMENT (self), sinkpad);

  gst_gemma4_element_add_src_pad (&self->core,
      gst_pad_new_from_static_template (&src_template, "src"), FALSE);

  self->task = DEFAULT_TASK;
  self->chunk_ms = DEFAULT_CHUNK_DURATION;
  self->overlap_ms = DEFAULT_CHUNK_OVERLAP;
  self->vad = DEFAULT_VAD;
  self->vad_threshold = DEFAULT_VAD_THRESHOLD;
  self->min_speech_ms = DEFAULT_MIN_SPEECH;
  self->max_silence_ms = DEFAULT_MAX_SILENCE;
  self->partial_results = DEFAULT_PARTIAL_RESULTS;

  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  gst_gemma4_segmenter_init (&self->segmenter);
}
