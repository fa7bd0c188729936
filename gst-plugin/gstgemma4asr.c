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
 * - `unsynced_src`: `application/x-json`, one object per result (`text`,
 *   `is_final`, `start`, `duration`, `late`, ...), partial results too with
 *   #GstGemma4Asr:partial-results.
 * - an element message `gemma4-result` per result on the bus, and the same
 *   structure on each text buffer as the custom meta `GstGemma4ResultMeta`
 *   (gst_buffer_get_custom_meta (), gst_custom_meta_get_structure ()).
 *
 * Timing: the voice activity detector (#GstGemma4Asr:vad) finds
 * utterances; those longer than #GstGemma4Asr:chunk-duration are cut into
 * chunks, each transcribed with #GstGemma4Asr:chunk-overlap of the previous
 * chunk's audio in front, and words repeated at the seam are removed.
 * In a live pipeline the element reports a latency of upstream +
 * chunk-duration + #GstGemma4Asr:latency; inference runs off the streaming
 * thread and, when it cannot keep up, the oldest pending chunk is dropped
 * (a GAP goes out in its place, a QOS message is posted and
 * #GstGemma4Asr:stats counts it). In a file pipeline nothing is dropped:
 * upstream waits.
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
#include "gstgemma4meta.h"
#include "gstgemma4enums.h"
#include "gstgemma4output.h"
#include "gstgemma4segmenter.h"
#include "gstgemma4settings.h"
#include "gstgemma4text.h"
#include "gstgemma4worker.h"

GST_DEBUG_CATEGORY_STATIC (gst_gemma4_asr_debug);
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

static GstStaticPadTemplate json_template =
GST_STATIC_PAD_TEMPLATE ("unsynced_src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-json"));

struct _GstGemma4Asr
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;
  GstPad *jsonpad;

  /* properties, under the object lock */
  GstGemma4Settings settings;
  GstGemma4AsrTask task;
  gchar *language;
  gchar *target_language;
  guint chunk_ms;
  guint overlap_ms;
  GstGemma4Vad vad;
  gdouble vad_threshold;
  guint min_speech_ms;
  guint max_silence_ms;
  gboolean partial_results;
  GstStructure *last_stats;     /* stats of the last run, kept in NULL */
  GstGemma4Upstream upstream;

  /* READY and up; set and cleared under the object lock */
  GstGemma4Worker *worker;

  /* streaming thread */
  gboolean float_input;
  GstSegment segment;
  gboolean anchored;
  GstClockTime anchor;          /* timestamp of the segmenter's sample 0 */
  gboolean live_checked;
  GstGemma4Segmenter segmenter;
  gfloat *conv;
  gsize conv_size;

  GstGemma4Output output;

  /* worker thread */
  gchar *prev_text;             /* the previous chunk's text, for the seam */
};

typedef struct
{
  GstGemma4Segment *seg;
  GstClockTime pts, duration;
  GstSegment segment;
  gint64 ready_at;              /* monotonic us when its audio was complete */
  gboolean live;
} AsrJob;

#define gst_gemma4_asr_parent_class parent_class
G_DEFINE_TYPE (GstGemma4Asr, gst_gemma4_asr, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (gemma4asr, "gemma4asr", GST_RANK_NONE,
    GST_TYPE_GEMMA4_ASR);

static GParamSpec *stats_pspec;

static void gst_gemma4_asr_finalize (GObject * object);
static void gst_gemma4_asr_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_gemma4_asr_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_gemma4_asr_change_state (GstElement *
    element, GstStateChange transition);
static GstFlowReturn gst_gemma4_asr_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buf);
static gboolean gst_gemma4_asr_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_gemma4_asr_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_gemma4_asr_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);

static void
gst_gemma4_asr_class_init (GstGemma4AsrClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;

  gobject_class->set_property = gst_gemma4_asr_set_property;
  gobject_class->get_property = gst_gemma4_asr_get_property;
  gobject_class->finalize = gst_gemma4_asr_finalize;

  gst_gemma4_settings_install_properties (gobject_class, &asr_defaults);
  stats_pspec = g_object_class_find_property (gobject_class, "stats");

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
          "Push the text so far on unsynced_src (is_final false) while a "
          "result is being generated", DEFAULT_PARTIAL_RESULTS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  GST_DEBUG_CATEGORY_INIT (gst_gemma4_asr_debug, "gemma4asr", 0,
      "Gemma 4 speech transcriber");

  gst_element_class_set_static_metadata (element_class,
      "Gemma 4 speech transcriber", "Filter/Converter/Audio/Text",
      "Transcribes or translates speech into timed text with a Gemma 4 "
      "model", "gst-gemma4 developers");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_gemma4_asr_change_state);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class, &json_template);
}

static void
setup_src_pad (GstGemma4Asr * self, GstPad * pad)
{
  gst_pad_set_event_function (pad,
      GST_DEBUG_FUNCPTR (gst_gemma4_asr_src_event));
  gst_pad_set_query_function (pad,
      GST_DEBUG_FUNCPTR (gst_gemma4_asr_src_query));
  gst_pad_use_fixed_caps (pad);
  gst_element_add_pad (GST_ELEMENT (self), pad);
}

static void
gst_gemma4_asr_init (GstGemma4Asr * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_gemma4_asr_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_gemma4_asr_sink_event));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  self->jsonpad = gst_pad_new_from_static_template (&json_template,
      "unsynced_src");
  setup_src_pad (self, self->srcpad);
  setup_src_pad (self, self->jsonpad);

  gst_gemma4_settings_init (&self->settings, &asr_defaults);
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
  gst_gemma4_output_init (&self->output, GST_ELEMENT (self), &self->settings,
      "gemma4asr");
  gst_gemma4_output_add_pad (&self->output, self->srcpad, FALSE);
  gst_gemma4_output_add_pad (&self->output, self->jsonpad, TRUE);
}

static void
gst_gemma4_asr_finalize (GObject * object)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (object);

  gst_gemma4_settings_clear (&self->settings);
  g_free (self->language);
  g_free (self->target_language);
  if (self->last_stats)
    gst_structure_free (self->last_stats);
  gst_gemma4_segmenter_clear (&self->segmenter);
  g_free (self->conv);
  g_free (self->prev_text);
  gst_gemma4_output_clear (&self->output);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* Call with the object lock; TRUE when the reported latency changed
 * (chunk length is part of it). */
static gboolean
set_own_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (object);
  gboolean latency_changed = FALSE;

  switch (prop_id) {
    case PROP_TASK:
      self->task = g_value_get_enum (value);
      break;
    case PROP_LANGUAGE:
      g_free (self->language);
      self->language = g_value_dup_string (value);
      break;
    case PROP_TARGET_LANGUAGE:
      g_free (self->target_language);
      self->target_language = g_value_dup_string (value);
      break;
    case PROP_CHUNK_DURATION:
      latency_changed = self->chunk_ms != g_value_get_uint (value);
      self->chunk_ms = g_value_get_uint (value);
      break;
    case PROP_CHUNK_OVERLAP:
      self->overlap_ms = g_value_get_uint (value);
      break;
    case PROP_VAD:
      self->vad = g_value_get_enum (value);
      break;
    case PROP_VAD_THRESHOLD:
      self->vad_threshold = g_value_get_double (value);
      break;
    case PROP_MIN_SPEECH_DURATION:
      self->min_speech_ms = g_value_get_uint (value);
      break;
    case PROP_MAX_SILENCE:
      self->max_silence_ms = g_value_get_uint (value);
      break;
    case PROP_PARTIAL_RESULTS:
      self->partial_results = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  return latency_changed;
}

static void
gst_gemma4_asr_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (object);

  gst_gemma4_settings_set_element_property (&self->settings,
      GST_ELEMENT (self), &self->worker, prop_id, value, pspec,
      set_own_property);
}

/* The running worker's, else the last run's. Call with the object lock. */
static GstStructure *
get_stats (GstElement * element)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (element);

  return gst_gemma4_worker_stats_property (self->worker, self->last_stats);
}

/* Call with the object lock. */
static void
get_own_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (object);

  switch (prop_id) {
    case PROP_TASK:
      g_value_set_enum (value, self->task);
      break;
    case PROP_LANGUAGE:
      g_value_set_string (value, self->language);
      break;
    case PROP_TARGET_LANGUAGE:
      g_value_set_string (value, self->target_language);
      break;
    case PROP_CHUNK_DURATION:
      g_value_set_uint (value, self->chunk_ms);
      break;
    case PROP_CHUNK_OVERLAP:
      g_value_set_uint (value, self->overlap_ms);
      break;
    case PROP_VAD:
      g_value_set_enum (value, self->vad);
      break;
    case PROP_VAD_THRESHOLD:
      g_value_set_double (value, self->vad_threshold);
      break;
    case PROP_MIN_SPEECH_DURATION:
      g_value_set_uint (value, self->min_speech_ms);
      break;
    case PROP_MAX_SILENCE:
      g_value_set_uint (value, self->max_silence_ms);
      break;
    case PROP_PARTIAL_RESULTS:
      g_value_set_boolean (value, self->partial_results);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_gemma4_asr_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (object);

  gst_gemma4_settings_get_element_property (&self->settings,
      GST_ELEMENT (self), prop_id, value, pspec, get_stats, get_own_property);
}

/* ---- output, on the worker thread ---------------------------------------- */

typedef struct
{
  GstGemma4Asr *self;
  GstGemma4Worker *worker;
  const AsrJob *job;
  GString *text;
  gboolean partial;
  const gchar *task;
} GenerateContext;

static const gchar *
task_nick (GstGemma4AsrTask task)
{
  return task == GST_GEMMA4_ASR_TASK_TRANSLATE ? "translate" : "transcribe";
}

static GstBuffer *
json_buffer (GstGemma4Asr * self, const AsrJob * job, const gchar * task,
    const gchar * text, gboolean is_final, GstClockTime pts,
    const GstStructure * extra)
{
  GString *s = g_string_new ("{\"kind\":\"asr\",\"task\":");
  GstBuffer *buf;
  gsize len;

  gst_gemma4_json_append_string (s, task);
  g_string_append (s, ",\"text\":");
  gst_gemma4_json_append_string (s, text);
  g_string_append_printf (s, ",\"is_final\":%s,\"start\":%" G_GUINT64_FORMAT
      ",\"duration\":%" G_GUINT64_FORMAT ",\"timestamp\":%" G_GUINT64_FORMAT,
      is_final ? "true" : "false", job->pts, job->duration, pts);
  if (extra) {
    const gchar *lang = gst_structure_get_string (extra, "language");
    guint64 inference = 0;
    guint tokens = 0;
    gboolean late = FALSE;
    gst_structure_get (extra, "inference-time", G_TYPE_UINT64, &inference,
        "tokens", G_TYPE_UINT, &tokens, "late", G_TYPE_BOOLEAN, &late, NULL);
    g_string_append (s, ",\"language\":");
    if (lang)
      gst_gemma4_json_append_string (s, lang);
    else
      g_string_append (s, "null");
    g_string_append (s, ",\"model\":");
    gst_gemma4_json_append_string (s, gst_structure_get_string (extra,
            "model"));
    g_string_append_printf (s, ",\"late\":%s,\"inference_time\":%"
        G_GUINT64_FORMAT ",\"tokens\":%u", late ? "true" : "false",
        inference, tokens);
  }
  g_string_append (s, ",\"element\":");
  gst_gemma4_json_append_string (s, GST_ELEMENT_NAME (self));
  g_string_append (s, "}\n");
  len = s->len;
  buf = gst_buffer_new_wrapped (g_string_free (s, FALSE), len);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = job->duration;
  return buf;
}

static bool
on_piece (const char *text, int len, bool in_thought, void *user)
{
  GenerateContext *ctx = user;
  GstGemma4Asr *self = ctx->self;

  if (!in_thought) {
    g_string_append_len (ctx->text, text, len);
    if (ctx->partial) {
      gchar *so_far = g_strstrip (g_strdup (ctx->text->str));
      gst_pad_push (self->jsonpad, json_buffer (self, ctx->job, ctx->task,
              so_far, FALSE, ctx->job->pts, NULL));
      g_free (so_far);
    }
  }
  return !gst_gemma4_worker_is_cancelled (ctx->worker);
}

/* The request as the chat template lays it out, audio placeholder included. */
static gchar *
render_prompt (GstGemma4Asr * self, const g4_model * model)
{
  g4_chat_message msgs[2];
  gint n = 0;
  gchar *instruction, *content, *out;
  const gchar *user;
  gboolean thinking;
  gsize len;

  GST_OBJECT_LOCK (self);
  user = gst_gemma4_settings_instruction (&self->settings);
  if (user) {
    instruction = g_strdup (user);
  } else if (self->task == GST_GEMMA4_ASR_TASK_TRANSLATE) {
    const gchar *target = self->target_language ? self->target_language :
        "English";
    instruction = self->language ?
        g_strdup_printf ("Translate the %s speech in this audio into %s. "
        "Write only the translation, with no comments.", self->language,
        target) : g_strdup_printf ("Translate the speech in this audio into "
        "%s. Write only the translation, with no comments.", target);
  } else {
    instruction = self->language ?
        g_strdup_printf ("Transcribe this %s audio. Write only the words that "
        "are spoken, with no comments.", self->language) :
        g_strdup ("Transcribe this audio in the language that is spoken. "
        "Write only the words that are spoken, with no comments.");
  }
  if (self->settings.system_prompt)
    msgs[n++] = (g4_chat_message) {
    G4_ROLE_SYSTEM, g_strdup (self->settings.system_prompt)};
  thinking = self->settings.thinking;
  GST_OBJECT_UNLOCK (self);

  content = strstr (instruction, "<|audio|>") ? g_strdup (instruction) :
      g_strconcat ("<|audio|>", instruction, NULL);
  msgs[n++] = (g4_chat_message) {
  G4_ROLE_USER, content};
  len = g4_chat_render (g4_model_template_flavor (model), msgs, n, thinking,
      true, NULL, 0);
  out = g_malloc (len + 1);
  g4_chat_render (g4_model_template_flavor (model), msgs, n, thinking, true,
      out, len + 1);
  for (gint i = 0; i < n; i++)
    g_free ((gchar *) msgs[i].content);
  g_free (instruction);
  return out;
}

/* Posts the gemma4-result message and attaches the same result to buf. */
static void
post_result (GstGemma4Asr * self, const AsrJob * job, const gchar * text,
    GstStructure * extra, GstClockTime pts, GstBuffer * buf)
{
  GstStructure *s = gst_structure_copy (extra);

  gst_structure_set_name (s, "gemma4-result");
  gst_structure_set (s, "text", G_TYPE_STRING, text,
      "kind", G_TYPE_STRING, "asr",
      "is-final", G_TYPE_BOOLEAN, TRUE,
      "start", G_TYPE_UINT64, job->pts,
      "duration", G_TYPE_UINT64, job->duration,
      "timestamp", G_TYPE_UINT64, pts,
      "running-time", G_TYPE_UINT64,
      gst_segment_to_running_time (&job->segment, GST_FORMAT_TIME, job->pts),
      NULL);
  gst_gemma4_buffer_add_result_meta (buf, s);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static GstFlowReturn
push_result (GstGemma4Asr * self, const AsrJob * job, const gchar * text,
    GstStructure * extra, gboolean late)
{
  GstClockTime pts = job->pts + gst_gemma4_settings_lateness (&self->settings,
      GST_ELEMENT (self));
  GstBuffer *buf;

  if (late)
    pts = gst_gemma4_output_restamp_late (&self->output, &self->upstream,
        &job->segment, job->pts, pts, "gemma4asr/late-result");
  pts = gst_gemma4_output_place (&self->output, pts, job->duration);

  buf = gst_buffer_new_memdup (text, strlen (text));
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = job->duration;
  post_result (self, job, text, extra, pts, buf);
  return gst_gemma4_output_push (&self->output, buf, json_buffer (self, job,
          gst_structure_get_string (extra, "task"), text, TRUE, pts, extra));
}

static void
send_final_transcript (GstGemma4Asr * self)
{
  gst_pad_push_event (self->srcpad,
      gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
          gst_structure_new_empty ("rstranscribe/final-transcript")));
}

static GstFlowReturn
asr_process (GstElement * element, GstGemma4Worker * w, gpointer data)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (element);
  AsrJob *job = data;
  GstGemma4Model *model = gst_gemma4_worker_get_model (w);
  const g4_mmproj *mm = gst_gemma4_model_get_mmproj (model);
  const g4_model *lm = gst_gemma4_model_get_model (model);
  const gint64 t0 = g_get_monotonic_time ();
  g4_error err = { 0 };
  g4_status st;
  g4_prompt prompt = { 0 };
  g4_generate_params gp = { 0 };
  g4_generate_result res = { 0 };
  GenerateContext ctx = { 0 };
  GstStructure *extra;
  gchar *rendered, *text;
  gfloat *embd;
  gint n_tokens, n_embd;
  GstClockTime inference, budget;
  gboolean late, utterance_end = job->seg->utterance_end;
  gsize skip = 0;
  GstFlowReturn ret = GST_FLOW_OK;

  if (!mm || !g4_mmproj_has_audio (mm)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("mmproj-path does not hold an audio encoder: use the mmproj file of "
            "a Gemma 4 E2B or E4B model"), (NULL));
    return GST_FLOW_ERROR;
  }
  n_embd = g4_mmproj_n_embd (mm);
  n_tokens = g4_audio_n_tokens (mm, (int64_t) job->seg->n_pcm);
  embd = g_try_new (gfloat, (gsize) n_tokens * n_embd);
  if (!embd) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Out of memory for %d audio embeddings", n_tokens), (NULL));
    return GST_FLOW_ERROR;
  }
  st = g4_audio_encode (mm, job->seg->pcm, (int64_t) job->seg->n_pcm,
      gst_gemma4_worker_get_n_threads (w), gst_gemma4_worker_get_cancel (w),
      embd, &err);
  if (st == G4_STATUS_CANCELLED) {
    g_free (embd);
    return GST_FLOW_FLUSHING;
  }
  if (st != G4_OK) {
    g_free (embd);
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED,
        ("The audio encoder failed: %s", err.message), (NULL));
    return GST_FLOW_ERROR;
  }

  rendered = render_prompt (self, lm);
  st = g4_prompt_build (lm, rendered,
      &(g4_media) {.embd = embd,.n_tokens = n_tokens,.is_audio = true}, 1,
      &prompt, &err);
  g_free (rendered);
  g_free (embd);
  if (st != G4_OK) {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED,
        ("Could not build the prompt: %s", err.message), (NULL));
    return GST_FLOW_ERROR;
  }

  ctx.self = self;
  ctx.worker = w;
  ctx.job = job;
  ctx.text = g_string_new (NULL);
  GST_OBJECT_LOCK (self);
  gp.max_tokens = (int) self->settings.max_tokens;
  gp.sampling = gst_gemma4_settings_sampling (&self->settings);
  ctx.partial = self->partial_results;
  ctx.task = task_nick (self->task);
  budget = self->settings.latency_ms * GST_MSECOND;
  extra = gst_structure_new ("result", "task", G_TYPE_STRING, ctx.task,
      "model", G_TYPE_STRING, gst_gemma4_model_get_name (model), NULL);
  if (self->language)
    gst_structure_set (extra, "language", G_TYPE_STRING, self->language,
        NULL);
  GST_OBJECT_UNLOCK (self);
  gp.on_piece = on_piece;
  gp.user = &ctx;

  st = gst_gemma4_worker_generate (w, &prompt, &gp, &res, "text", job->pts,
      "lower chunk-duration", &err);
  ret = gst_gemma4_worker_finish_compute (w, st, &err, "Generation failed");
  if (ret != GST_FLOW_OK)
    goto done;
  late = gst_gemma4_worker_account (w, t0, job->ready_at, job->live, budget,
      (guint) res.n_generated, res.generate_seconds, &inference, extra);

  text = g_strstrip (g_strdup (ctx.text->str));
  /* the audio the overlap really repeated (the configured overlap is cut to
   * what a chunk can carry) */
  if (job->seg->continues && job->seg->n_pcm > 0)
    skip = gst_gemma4_text_seam_skip (self->prev_text, text,
        (gdouble) (job->seg->start - job->seg->audio_start) / job->seg->n_pcm);
  g_free (self->prev_text);
  self->prev_text = g_strdup (text);
  GST_DEBUG_OBJECT (self, "%" GST_TIME_FORMAT " +%" GST_TIME_FORMAT
      ": \"%s\" (seam skip %" G_GSIZE_FORMAT ", %d tokens, %.0f ms)",
      GST_TIME_ARGS (job->pts), GST_TIME_ARGS (job->duration), text, skip,
      res.n_generated, inference / 1e6);
  if (text[skip])
    ret = push_result (self, job, text + skip, extra, late);
  else
    gst_gemma4_output_push_gap (&self->output, job->pts, job->duration);
  g_free (text);
  if (utterance_end)
    send_final_transcript (self);
  g_object_notify_by_pspec (G_OBJECT (self), stats_pspec);
done:
  gst_structure_free (extra);
  g_string_free (ctx.text, TRUE);
  return ret;
}

/* A job dropped under load: its span becomes a gap. */
static GstFlowReturn
asr_drop (GstElement * element, GstGemma4Worker * w, gpointer data)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (element);
  AsrJob *job = data;

  g_clear_pointer (&self->prev_text, g_free);
  gst_gemma4_output_push_gap (&self->output, job->pts, job->duration);
  g_object_notify_by_pspec (G_OBJECT (self), stats_pspec);
  return GST_FLOW_OK;
}

static void
asr_job_free (gpointer data)
{
  AsrJob *job = data;

  gst_gemma4_segment_free (job->seg);
  g_free (job);
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
  gboolean live, leaky = gst_gemma4_settings_is_leaky (&self->settings,
      &self->upstream, GST_ELEMENT (self), &live);
  while ((seg = g_queue_pop_head (segs))) {
    GstClockTime start = sample_time (self, seg->start);
    GstClockTime duration = sample_time (self, seg->end) - start;
    GstGemma4JobTiming timing = gst_gemma4_job_timing (&self->segment, start,
        duration);
    AsrJob *job;

    if (ret != GST_FLOW_OK || !seg->speech) {
      if (ret == GST_FLOW_OK)
        gst_gemma4_output_queue_gap (&self->output, self->worker,
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
    ret = gst_gemma4_worker_queue_job (self->worker, asr_process, asr_drop,
        job, asr_job_free, leaky, &timing);
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
    gst_gemma4_upstream_query (&self->upstream, GST_ELEMENT (self),
        self->sinkpad);
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
        gst_gemma4_output_queue_gap (&self->output, self->worker,
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
    ret = gst_gemma4_worker_get_flow (self->worker);
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
  gst_gemma4_output_queue_start (&self->output, self->worker, event, tags);
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
  gst_gemma4_output_reset (&self->output);
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
  return gst_gemma4_output_sink_event (&self->output, self->worker,
      &input_funcs, pad, parent, event);
}

static gboolean
gst_gemma4_asr_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  return gst_gemma4_output_src_event (GST_GEMMA4_ASR (parent)->sinkpad,
      event);
}

static gboolean
gst_gemma4_asr_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:{
      GstClockTime own;

      GST_OBJECT_LOCK (self);
      own = (self->chunk_ms + self->settings.latency_ms) * GST_MSECOND;
      GST_OBJECT_UNLOCK (self);
      return gst_gemma4_upstream_answer_latency (&self->upstream,
          GST_ELEMENT (self), self->sinkpad, query, own);
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static GstStateChangeReturn
gst_gemma4_asr_change_state (GstElement * element, GstStateChange transition)
{
  GstGemma4Asr *self = GST_GEMMA4_ASR (element);
  GstStateChangeReturn ret;

  gst_gemma4_worker_change_state (self->worker, transition);
  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!gst_gemma4_worker_open (&self->worker, element, &self->settings,
              MAX_PENDING_JOBS, NULL))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      reset_stream (self);
      reset_output (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_NULL:
      gst_gemma4_worker_close (&self->worker, element, &self->last_stats,
          NULL);
      reset_output (self);
      break;
    default:
      break;
  }
  return ret;
}
