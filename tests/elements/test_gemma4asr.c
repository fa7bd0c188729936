/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4asr on the real engine (tiny generated E2B-like model, audio mmproj
 * fixture): properties and configuration errors, caps, timing of results
 * for the fixture WAVs, GAP events over silence, LATENCY answers, live
 * overload, EOS drain, flush cancellation, model sharing and state cycles.
 * The tiny model's text is gibberish: the tests check structure, timing,
 * counts and messages. GEMMA4_TEST_MODEL, GEMMA4_TEST_MMPROJ and
 * GEMMA4_TEST_DATA name the files; GST_CHECKS picks one test. */
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__                /* defined by the headers above */
#include <malloc.h>
#endif

#include <glib/gstdio.h>

#include "element_test_util.h"
#include "wav.h"

#define RATE 16000
#define F32_CAPS "audio/x-raw, format=F32LE, rate=16000, channels=1, " \
  "layout=interleaved"
#define S16_CAPS "audio/x-raw, format=S16LE, rate=16000, channels=1, " \
  "layout=interleaved"

static const gchar *data_dir;

static GstClockTime
samples_to_time (guint64 n)
{
  return gst_util_uint64_scale_int (n, GST_SECOND, RATE);
}

/* A gemma4asr with the test model, 2 threads and short answers. */
#define new_asr(...) element_test_new ("gemma4asr", 6, __VA_ARGS__)

static gfloat *
load_wav (const gchar * name, gsize * n)
{
  gchar *path = g_build_filename (data_dir, "mm", name, NULL);
  char why[256] = "";
  int64_t count = 0;
  gfloat *x = wav_read_16k_mono (path, &count, why, sizeof why);

  fail_unless (x != NULL, "%s: %s", path, why);
  g_free (path);
  *n = (gsize) count;
  return x;
}

static GstHarness *
asr_harness (GstElement * e, gboolean live, const gchar * caps)
{
  GstHarness *h = gst_harness_new_with_element (e, "sink", "src");

  gst_harness_set_live (h, live);
  if (caps)
    gst_harness_set_src_caps_str (h, caps);
  return h;
}

/* Pushes F32 samples in buffers of per_buf, timestamped from pts. */
static GstClockTime
push_f32 (GstHarness * h, const gfloat * x, gsize n, GstClockTime pts,
    gsize per_buf)
{
  for (gsize i = 0; i < n; i += per_buf) {
    gsize m = MIN (per_buf, n - i);
    GstBuffer *b = gst_buffer_new_memdup (x + i, m * sizeof (gfloat));
    GST_BUFFER_PTS (b) = pts + samples_to_time (i);
    GST_BUFFER_DURATION (b) = samples_to_time (i + m) - samples_to_time (i);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  }
  return pts + samples_to_time (n);
}

/* An asr result lasts as long as its text. */
static void
check_asr_result (const Span * s)
{
  guint64 duration = 0;

  fail_unless (gst_structure_get_uint64 (s->result, "duration", &duration));
  fail_unless_equals_uint64 (duration, s->duration);
}

static void
asr_output_init (Output * out)
{
  output_init (out, "asr");
  out->check_result = check_asr_result;
}

static const gchar *const stats_fields[] = { "jobs", "drops", "late",
  "mean-inference-time", "max-inference-time", "tokens-per-second",
  "model-serial", "model-users", "batch-max", NULL
};

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("gemma4asr", NULL);
  guint chunk, overlap, latency, lateness, max_tokens, min_speech, max_silence;
  gint leaky, vad, task;
  gboolean thinking, partial;
  gfloat temperature, top_p;
  gdouble threshold;
  gchar *prompt;
  GstPad *src, *json;

  fail_unless (e != NULL);
  g_object_get (e, "chunk-duration", &chunk, "chunk-overlap", &overlap,
      "latency", &latency, "lateness", &lateness, "max-tokens", &max_tokens,
      "min-speech-duration", &min_speech, "max-silence", &max_silence,
      "leaky", &leaky, "vad", &vad, "task", &task, "thinking", &thinking,
      "partial-results", &partial, "temperature", &temperature,
      "top-p", &top_p, "vad-threshold", &threshold, "prompt", &prompt, NULL);
  fail_unless_equals_int (chunk, 5000);
  fail_unless_equals_int (overlap, 1000);
  fail_unless_equals_int (latency, 1500);
  fail_unless_equals_int (lateness, 0);
  fail_unless_equals_int (max_tokens, 256);
  fail_unless_equals_int (min_speech, 250);
  fail_unless_equals_int (max_silence, 600);
  fail_unless_equals_int (leaky, 2);    /* auto */
  fail_unless_equals_int (vad, 1);      /* energy */
  fail_unless_equals_int (task, 0);     /* transcribe */
  fail_unless (!thinking && !partial);
  fail_unless_equals_float (temperature, 0.0f);
  fail_unless_equals_float (top_p, 0.95f);
  fail_unless_equals_float (threshold, -40.0);
  fail_unless (prompt == NULL);

  g_object_set (e, "chunk-duration", 30000, "prompt", "Say <|audio|> back",
      "language", "de", "task", 1, "seed", G_GUINT64_CONSTANT (1) << 40,
      "leaky", 1, NULL);
  g_object_get (e, "chunk-duration", &chunk, "prompt", &prompt, "leaky",
      &leaky, NULL);
  fail_unless_equals_int (chunk, 30000);
  fail_unless_equals_string (prompt, "Say <|audio|> back");
  fail_unless_equals_int (leaky, 1);
  g_free (prompt);

  /* GObject refuses values out of range and keeps the old one */
  ASSERT_WARNING (g_object_set (e, "chunk-duration", 30001, NULL));
  ASSERT_WARNING (g_object_set (e, "vad-threshold", 3.0, NULL));
  ASSERT_WARNING (g_object_set (e, "top-p", 1.5f, NULL));
  g_object_get (e, "chunk-duration", &chunk, NULL);
  fail_unless_equals_int (chunk, 30000);

  check_stats_fields (e, stats_fields);

  src = gst_element_get_static_pad (e, "src");
  /* the JSON records on json_src, as on the other elements; unsynced_src
   * is its other name, one of the two at a time */
  json = gst_element_request_pad_simple (e, "json_src");
  fail_unless (src && json);
  fail_unless (gst_element_request_pad_simple (e, "unsynced_src") == NULL);
  gst_element_release_request_pad (e, json);
  gst_object_unref (json);
  json = gst_element_request_pad_simple (e, "unsynced_src");
  fail_unless (json != NULL);
  gst_element_release_request_pad (e, json);
  gst_object_unref (src);
  gst_object_unref (json);
  g_print ("properties: defaults, round trip, 3 out-of-range values "
      "refused, stats fields\n");
  gst_object_unref (e);
}

GST_END_TEST;

GST_START_TEST (test_configuration_errors)
{
  gchar *prompt_file = NULL;
  gint fd = g_file_open_tmp ("gemma4-prompt-XXXXXX", &prompt_file, NULL);
  GstElement *a, *b;
  GstBus *bus;

  fail_unless (fd >= 0);
  fail_unless (write (fd, "Transcribe.", 11) == 11);
  close (fd);

  expect_ready_failure (new_asr ("model-path", NULL, NULL),
      "model-path is not set");
  expect_ready_failure (new_asr ("mmproj-path", NULL, NULL),
      "mmproj-path is not set");
  expect_ready_failure (new_asr ("prompt", "x", "prompt-path", prompt_file,
          NULL), "prompt and prompt-path are both set");
  expect_ready_failure (new_asr ("model-path", "/nonexistent/model.gguf",
          NULL), "/nonexistent/model.gguf");
  expect_ready_failure (new_asr ("mmproj-path", "/nonexistent/mm.gguf",
          NULL), "/nonexistent/mm.gguf");
  expect_ready_failure (new_asr ("prompt-path", "/nonexistent/prompt.txt",
          NULL), "prompt-path");

  /* an id names one model: another element may not reuse it for others */
  a = new_asr ("model-instance-id", "x", NULL);
  bus = attach_bus (a);
  fail_unless_equals_int (gst_element_set_state (a, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  b = new_asr ("model-instance-id", "x", "model-path", mmproj_path, NULL);
  expect_ready_failure (b, "already holds model");
  fail_unless_equals_int (gst_element_set_state (a, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_set_bus (a, NULL);
  gst_object_unref (bus);
  gst_object_unref (a);

  g_unlink (prompt_file);
  g_free (prompt_file);
  g_print ("configuration errors: 7 refused at NULL->READY with a clear "
      "message\n");
}

GST_END_TEST;

/* A file that exists but is no model: the load fails on the worker with a
 * PROGRESS error and an ERROR naming the file; data is refused; NULL works. */
static void
check_broken_file (const gchar * property, const gchar * path)
{
  GstElement *e = new_asr (property, path, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = asr_harness (e, FALSE, F32_CAPS);
  GstMessage *msg;
  gboolean progress_error = FALSE;
  gfloat silence[320] = { 0 };
  gchar *name = g_path_get_basename (path);
  GstBuffer *buf;

  /* the PROGRESS error comes first, then the ERROR */
  while ((msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
              GST_MESSAGE_PROGRESS | GST_MESSAGE_ERROR))) {
    GstProgressType type;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
      break;
    gst_message_parse_progress (msg, &type, NULL, NULL);
    progress_error |= type == GST_PROGRESS_TYPE_ERROR;
    gst_message_unref (msg);
  }
  fail_unless (progress_error, "no PROGRESS error message");
  check_error_mentions (msg, name);
  buf = gst_buffer_new_memdup (silence, sizeof silence);
  GST_BUFFER_PTS (buf) = 0;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_ERROR);
  gst_harness_teardown (h);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  g_free (name);
}

GST_START_TEST (test_broken_model)
{
  gchar *bad = g_build_filename (data_dir, "gguf-bad", "bad-magic.gguf", NULL);

  check_broken_file ("model-path", bad);
  check_broken_file ("mmproj-path", bad);
  g_free (bad);
  g_print ("broken model and broken mmproj: load error posted, data "
      "refused, clean shutdown\n");
}

GST_END_TEST;

static const gchar *bad_caps[] = {
  "audio/x-raw, format=S16LE, rate=44100, channels=1, layout=interleaved",
  "audio/x-raw, format=S16LE, rate=16000, channels=2, layout=interleaved",
  "audio/x-raw, format=S32LE, rate=16000, channels=1, layout=interleaved",
  "video/x-raw",
};

static const gchar *json_keys[] = { "\"kind\":\"asr\"", "\"is_final\":true",
  "\"status\":\"ok\"",
  "\"start\":0", "\"duration\":1000000000", "\"text\":",
  "\"model\":\"tiny-e2b.gguf\"", "\"late\":false"
};

GST_START_TEST (test_caps)
{
  GstElement *e = new_asr ("vad", 0, "chunk-duration", 1000, NULL);
  GstPad *sink = gst_element_get_static_pad (e, "sink");
  GstCaps *caps = gst_pad_query_caps (sink, NULL);
  GstCaps *good = gst_caps_from_string (F32_CAPS);
  GstHarness *h, *hj;
  Output out;
  gfloat *x;
  gint16 *s16;
  gsize n;
  GstBuffer *buf, *jbuf;
  GstMapInfo map;
  GstFlowReturn ret;
  GstSegment seg;

  fail_unless (gst_caps_can_intersect (caps, good));
  for (guint i = 0; i < G_N_ELEMENTS (bad_caps); i++) {
    GstCaps *c = gst_caps_from_string (bad_caps[i]);
    fail_if (gst_pad_query_accept_caps (sink, c), "accepted %s", bad_caps[i]);
    gst_caps_unref (c);
  }
  fail_unless (gst_pad_query_accept_caps (sink, good));
  gst_caps_unref (caps);
  gst_caps_unref (good);
  gst_object_unref (sink);

  /* 44.1 kHz is refused: pushing data is not-negotiated */
  h = asr_harness (e, FALSE, NULL);
  caps = gst_caps_from_string ("audio/x-raw, format=S16LE, rate=44100, "
      "channels=1, layout=interleaved");
  gst_harness_push_event (h, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&seg));
  buf = gst_buffer_new_allocate (NULL, 882, NULL);
  gst_buffer_memset (buf, 0, 0, 882);
  ret = gst_harness_push (h, buf);
  fail_unless_equals_int (ret, GST_FLOW_NOT_NEGOTIATED);
  gst_harness_teardown (h);
  gst_object_unref (e);

  /* S16LE works and the outputs carry their caps, text as a sparse stream */
  e = new_asr ("vad", 0, "chunk-duration", 1000, NULL);
  h = asr_harness (e, FALSE, S16_CAPS);
  hj = gst_harness_new_with_element (e, NULL, "unsynced_src");
  x = load_wav ("speech.wav", &n);
  n = RATE;
  s16 = g_new (gint16, n);
  for (gsize i = 0; i < n; i++)
    s16[i] = (gint16) CLAMP (x[i] * 32768.0f, -32768.0f, 32767.0f);
  buf = gst_buffer_new_memdup (s16, n * sizeof (gint16));
  GST_BUFFER_PTS (buf) = 0;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  asr_output_init (&out);
  collect_until_eos (h, &out);
  fail_unless (out.sparse, "the text stream-start is not sparse");
  fail_unless (out.caps != NULL);
  caps = gst_caps_from_string ("text/x-raw, format=utf8");
  fail_unless (gst_caps_is_equal (out.caps, caps));
  gst_caps_unref (caps);
  check_tiling (&out, 0, GST_SECOND);

  jbuf = gst_harness_pull (hj);
  fail_unless (jbuf != NULL);
  fail_unless (gst_buffer_map (jbuf, &map, GST_MAP_READ));
  for (guint i = 0; i < G_N_ELEMENTS (json_keys); i++)
    fail_unless (g_strstr_len ((const gchar *) map.data, map.size,
            json_keys[i]), "JSON lacks %s: %.*s", json_keys[i],
        (int) map.size, map.data);
  gst_buffer_unmap (jbuf, &map);
  gst_buffer_unref (jbuf);
  g_print ("caps: 4 bad caps refused, not-negotiated on 44.1 kHz, S16LE "
      "gives text/x-raw (sparse) and JSON\n");

  output_clear (&out);
  gst_harness_teardown (hj);
  gst_harness_teardown (h);
  gst_object_unref (e);
  g_free (x);
  g_free (s16);
}

GST_END_TEST;

typedef struct
{
  Output out;
  GMutex lock;
} ProbeData;

static GstPadProbeReturn
sink_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user)
{
  ProbeData *pd = user;

  g_mutex_lock (&pd->lock);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER)
    add_buffer (&pd->out, GST_PAD_PROBE_INFO_BUFFER (info));
  else
    add_event (&pd->out, GST_PAD_PROBE_INFO_EVENT (info));
  g_mutex_unlock (&pd->lock);
  return GST_PAD_PROBE_OK;
}

/* filesrc ! wavparse ! gemma4asr (fixed chunks) ! fakesink: one result per
 * chunk, each timed as its chunk, one bus message each. */
static void
run_wav_pipeline (const gchar * wav, guint chunk_ms, guint64 n_samples)
{
  gchar *path = g_build_filename (data_dir, "mm", wav, NULL);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! wavparse ! "
      "audioconvert ! gemma4asr name=asr model-path=\"%s\" "
      "mmproj-path=\"%s\" n-threads=2 max-tokens=4 vad=none "
      "chunk-duration=%u chunk-overlap=250 ! fakesink name=sink sync=false",
      path, model_path, mmproj_path, chunk_ms);
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  GstElement *asr, *sink;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  ProbeData pd;
  const GstClockTime chunk = chunk_ms * GST_MSECOND;
  const GstClockTime end = samples_to_time (n_samples);
  const guint n_chunks = (guint) ((end + chunk - 1) / chunk);
  guint results = 0;
  gint64 t0 = g_get_monotonic_time ();

  fail_unless (pipeline != NULL, "%s", error ? error->message : desc);
  asr_output_init (&pd.out);
  g_mutex_init (&pd.lock);
  asr = gst_bin_get_by_name (GST_BIN (pipeline), "asr");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, sink_probe, &pd, NULL);
  bus = gst_element_get_bus (pipeline);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  for (;;) {
    msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT);
    fail_unless (msg != NULL, "no EOS within 60 s");
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR, "pipeline error");
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      gst_message_unref (msg);
      break;
    }
    if (gst_message_has_name (msg, "gemma4-result")) {
      const GstStructure *s = gst_message_get_structure (msg);
      guint64 start, duration, rt, inference;
      guint tokens;
      gboolean late;
      fail_unless (gst_structure_get (s, "start", G_TYPE_UINT64, &start,
              "duration", G_TYPE_UINT64, &duration, "running_time",
              G_TYPE_UINT64, &rt, "inference_time", G_TYPE_UINT64, &inference,
              "tokens", G_TYPE_UINT, &tokens, "late", G_TYPE_BOOLEAN, &late,
              NULL));
      fail_unless_equals_string (gst_structure_get_string (s, "kind"), "asr");
      fail_unless_equals_string (gst_structure_get_string (s, "model"),
          "tiny-e2b.gguf");
      fail_unless (gst_structure_get_string (s, "text") != NULL);
      fail_unless_equals_uint64 (start, results * chunk);
      fail_unless_equals_uint64 (rt, start);
      fail_unless_equals_uint64 (duration, MIN (chunk, end - start));
      fail_unless (inference > 0 && tokens > 0 && !late);
      results++;
    }
    gst_message_unref (msg);
  }
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  output_sort (&pd.out);
  check_tiling (&pd.out, 0, end);
  for (guint i = 0; i < pd.out.spans->len; i++) {
    const Span *s = &g_array_index (pd.out.spans, Span, i);
    fail_unless_equals_uint64 (s->start, i * chunk);
    fail_unless_equals_uint64 (s->duration, MIN (chunk, end - s->start));
  }
  fail_unless_equals_int (pd.out.spans->len, n_chunks);
  fail_unless_equals_int (results, count_text (&pd.out));
  fail_unless_equals_int (pd.out.finals, n_chunks);
  fail_unless_equals_uint64 (stat_u64 (asr, "jobs"), n_chunks);
  fail_unless_equals_uint64 (stat_u64 (asr, "drops"), 0);
  g_print ("%s: %u chunks of %u ms, %u with text, %u gaps, PTS/DURATION "
      "exact, %.1f s\n", wav, n_chunks, chunk_ms, results,
      n_chunks - results, (g_get_monotonic_time () - t0) / 1e6);

  output_clear (&pd.out);
  g_mutex_clear (&pd.lock);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (asr);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (desc);
  g_free (path);
}

GST_START_TEST (test_wav_pipeline)
{
  run_wav_pipeline ("speech.wav", 1000, 53273);
  run_wav_pipeline ("tone.wav", 1000, 40000);
}

GST_END_TEST;

GST_START_TEST (test_long_wav)
{
  run_wav_pipeline ("long.wav", 10000, 1148525);
}

GST_END_TEST;

/* speech, 3 s of digital silence, speech: two utterances, the silence comes
 * out as GAP events, no text is invented for it. */
GST_START_TEST (test_gaps_over_silence)
{
  GstElement *e = new_asr (NULL);
  GstHarness *h = asr_harness (e, FALSE, F32_CAPS);
  gsize n;
  gfloat *x = load_wav ("speech.wav", &n);
  gfloat *silence = g_new0 (gfloat, 3 * RATE);
  GstClockTime t = 0, covered = 0;
  const GstClockTime quiet_from = 1250 * GST_MSECOND,
      quiet_to = 3750 * GST_MSECOND;
  Output out;
  guint gaps = 0;

  t = push_f32 (h, x, RATE, t, 480);
  t = push_f32 (h, silence, 3 * RATE, t, 480);
  t = push_f32 (h, x + RATE, RATE, t, 480);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  asr_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 0, t);
  for (guint i = 0; i < out.spans->len; i++) {
    const Span *s = &g_array_index (out.spans, Span, i);
    GstClockTime a = MAX (s->start, quiet_from);
    GstClockTime b = MIN (s->start + s->duration, quiet_to);
    if (s->text)
      fail_if (a < b, "text \"%s\" at %" GST_TIME_FORMAT " over silence",
          s->text, GST_TIME_ARGS (s->start));
    else if (a < b)
      covered += b - a, gaps++;
  }
  fail_unless_equals_uint64 (covered, quiet_to - quiet_from);
  fail_unless_equals_uint64 (stat_u64 (e, "jobs"), 2);
  fail_unless_equals_int (out.finals, 2);
  g_print ("gaps: 2 utterances transcribed, %u GAP events cover the 2.5 s "
      "inside the silence, %u spans in all\n", gaps, out.spans->len);
  output_clear (&out);
  gst_harness_teardown (h);
  gst_object_unref (e);
  g_free (x);
  g_free (silence);
}

GST_END_TEST;

GST_START_TEST (test_latency_query)
{
  GstElement *e = new_asr (NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = asr_harness (e, TRUE, F32_CAPS);
  GstHarness *hj = gst_harness_new_with_element (e, NULL, "unsynced_src");
  gboolean live;
  GstClockTime min, max;

  /* live: upstream + chunk-duration + latency, on both src pads */
  gst_harness_set_upstream_latency (h, 100 * GST_MSECOND);
  query_latency (h, &live, &min, &max);
  fail_unless (live);
  fail_unless_equals_uint64 (min, (100 + 5000 + 1500) * GST_MSECOND);
  fail_unless_equals_uint64 (max, GST_CLOCK_TIME_NONE);
  query_latency (hj, &live, &min, &max);
  fail_unless (live);
  fail_unless_equals_uint64 (min, (100 + 5000 + 1500) * GST_MSECOND);

  /* changing the budget posts a LATENCY message and changes the answer */
  expect_latency_message (e, bus, "chunk-duration", 2000, "latency", 500,
      NULL);
  query_latency (h, &live, &min, &max);
  fail_unless_equals_uint64 (min, (100 + 2000 + 500) * GST_MSECOND);

  /* not live: the answer is upstream's, not live */
  gst_harness_set_live (h, FALSE);
  query_latency (h, &live, &min, &max);
  fail_if (live);
  fail_unless_equals_uint64 (min, 100 * GST_MSECOND);
  g_print ("latency: live 6.6 s then 2.6 s after a change (LATENCY message), "
      "not live when upstream is not\n");
  gst_harness_teardown (hj);
  gst_harness_teardown (h);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
}

GST_END_TEST;

/* A live source much faster than inference: pushes never wait, the oldest
 * pending chunk is dropped (counted, QOS message, GAP in its place), EOS
 * still gets every span covered. */
GST_START_TEST (test_live_overload)
{
  GstElement *e = new_asr ("vad", 0, "chunk-duration", 500, "max-tokens", 300,
      "n-threads", 1, "chunk-overlap", 0, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = asr_harness (e, TRUE, F32_CAPS);
  gsize n;
  gfloat *x = load_wav ("long.wav", &n);
  const gsize total = 8 * RATE, per_buf = 320;
  gint64 worst = 0, t0 = g_get_monotonic_time ();
  guint qos, dropped;
  guint64 last_dropped, first_processed, jobs, drops;
  GstClockTime t = 0;
  Output out;

  for (gsize i = 0; i < total; i += per_buf) {
    gint64 a = g_get_monotonic_time ();
    t = push_f32 (h, x + i, per_buf, t, per_buf);
    worst = MAX (worst, g_get_monotonic_time () - a);
  }
  t0 = g_get_monotonic_time () - t0;
  /* blocking would mean waiting for inference: seconds */
  fail_unless (worst < 1000000, "a push took %" G_GINT64_FORMAT " us", worst);
  qos = count_drop_qos (bus, &last_dropped, &first_processed);
  drops = stat_u64 (e, "drops");
  fail_unless (drops >= 8, "only %" G_GUINT64_FORMAT " drops", drops);
  /* throttled: the first drop, then at most one a second with the counts
   * so far (all drops happen inside the pushes) */
  fail_unless (qos >= 1 && qos <= 1 + t0 / G_USEC_PER_SEC, "%u QOS messages "
      "for %" G_GUINT64_FORMAT " drops in %.1f s", qos, drops, t0 / 1e6);
  fail_unless (last_dropped <= drops);

  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  asr_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 0, t);
  jobs = stat_u64 (e, "jobs");
  fail_unless_equals_uint64 (jobs + drops, 16);
  fail_unless_equals_int (count_text (&out), jobs);
  /* every job ends in one record: the dropped ones say so */
  fail_unless_equals_int (count_results (bus, "dropped", &dropped), 16);
  fail_unless_equals_int (dropped, drops);
  g_print ("live overload: 8 s pushed in %.0f ms (worst push %.1f ms), %"
      G_GUINT64_FORMAT " chunks dropped with %u QOS messages and records, %"
      G_GUINT64_FORMAT " transcribed\n", t0 / 1e3, worst / 1e3, drops, qos,
      jobs);
  output_clear (&out);
  gst_harness_teardown (h);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  g_free (x);
}

GST_END_TEST;

/* One second of speech through a configured element: one job, its span
 * covered; returns the text (NULL when the answer was empty: a gap). */
static gchar *
transcribe_one (GstElement * e)
{
  GstHarness *h = asr_harness (e, FALSE, F32_CAPS);
  gsize n;
  gfloat *x = load_wav ("speech.wav", &n);
  Output out;
  gchar *text = NULL;

  push_f32 (h, x, RATE, 0, 1600);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  asr_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 0, GST_SECOND);
  fail_unless_equals_uint64 (stat_u64 (e, "jobs"), 1);
  if (count_text (&out) == 1)
    text = g_strdup (g_array_index (out.spans, Span, 0).text);
  output_clear (&out);
  gst_harness_teardown (h);
  gst_object_unref (e);
  g_free (x);
  return text;
}

/* Every way of prompting runs through the chat template and gives a
 * result; the prompt reaches the model (a different prompt, a different
 * greedy answer). With thinking on, the random model's answer is all
 * control tokens, so only the job is checked there. */
GST_START_TEST (test_prompting)
{
  gchar *prompt_file = NULL;
  gint fd = g_file_open_tmp ("gemma4-prompt-XXXXXX", &prompt_file, NULL);
  const gchar *file_prompt = "Write down what you hear: <|audio|>";
  gchar *plain, *translated, *custom, *from_file, *system, *thinking;
  GstElement *keeper = new_asr (NULL);  /* one model load for all six */

  fail_unless_equals_int (gst_element_set_state (keeper, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (fd >= 0);
  fail_unless (write (fd, file_prompt, strlen (file_prompt)) ==
      (gssize) strlen (file_prompt));
  close (fd);

  plain = transcribe_one (new_asr ("vad", 0, NULL));
  translated = transcribe_one (new_asr ("vad", 0, "task", 1,
          "target-language", "French", "language", "en", NULL));
  custom = transcribe_one (new_asr ("vad", 0, "prompt",
          "Write down what you hear: <|audio|>", NULL));
  from_file = transcribe_one (new_asr ("vad", 0, "prompt-path", prompt_file,
          NULL));
  system = transcribe_one (new_asr ("vad", 0, "system-prompt",
          "You are a court stenographer.", NULL));
  thinking = transcribe_one (new_asr ("vad", 0, "thinking", TRUE, NULL));
  fail_unless (plain && translated && custom && from_file && system,
      "a prompting mode gave no text");
  fail_unless_equals_string (custom, from_file);
  fail_if (g_str_equal (plain, custom) && g_str_equal (plain, translated)
      && g_str_equal (plain, system), "the prompt does not reach the model");
  g_print ("prompting: task=translate, prompt, prompt-path (same text as "
      "prompt), system-prompt transcribe; thinking ran its job (%s)\n",
      thinking ? "text" : "empty answer, a gap");
  fail_unless_equals_int (gst_element_set_state (keeper, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (keeper);
  g_unlink (prompt_file);
  g_free (prompt_file);
  g_free (plain);
  g_free (translated);
  g_free (custom);
  g_free (from_file);
  g_free (system);
  g_free (thinking);
}

GST_END_TEST;

/* A prompt the jobs cannot run with is refused in PLAYING (old value kept,
 * a warning naming the placeholder kind), the model's properties too; the
 * stream goes on with the old prompt. At startup it is an error. */
GST_START_TEST (test_live_property_checks)
{
  GstElement *e = new_asr ("vad", 0, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = asr_harness (e, FALSE, F32_CAPS);
  gsize n;
  gfloat *x = load_wav ("speech.wav", &n);
  Output out;

  expect_refused (e, bus, "prompt", "<|image|> what",
      "gemma4asr takes <|audio|>, the prompt has <|image|>");
  expect_refused (e, bus, "prompt", "<|audio|> then <|audio|>", "2 times");
  expect_refused (e, bus, "language", "<|audio|>", "<|audio|>");
  expect_load_properties_refused (e, bus);
  expect_taken (e, bus, "prompt", "Write down what you hear: <|audio|>");
  push_f32 (h, x, RATE, 0, 1600);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  asr_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 0, GST_SECOND);
  fail_unless_equals_uint64 (stat_u64 (e, "jobs"), 1);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
  output_clear (&out);
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
  g_free (x);
  expect_ready_failure (new_asr ("prompt", "<|image|> what", NULL),
      "gemma4asr takes <|audio|>, the prompt has <|image|>");
}

GST_END_TEST;

/* Live with leaky=none and a budget every job exceeds: nothing is dropped,
 * results are flagged late (JSON, bus, stats) and the third overrun in a
 * row posts one warning. */
GST_START_TEST (test_latency_budget)
{
  GstElement *e = new_asr ("vad", 0, "chunk-duration", 500, "chunk-overlap",
      0, "latency", 1, "leaky", 0, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = asr_harness (e, TRUE, F32_CAPS);
  gsize n;
  gfloat *x = load_wav ("speech.wav", &n);
  GstMessage *msg;
  guint warnings = 0, late_results = 0;
  GstClockTime t;
  Output out;

  t = push_f32 (h, x, 2 * RATE, 0, 1600);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  asr_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 0, t);
  while ((msg = gst_bus_pop (bus))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      const GstStructure *details = NULL;
      gst_message_parse_warning_details (msg, &details);
      fail_unless (details != NULL);
      if (!g_strcmp0 (gst_structure_get_string (details, "reason"),
              "gemma4/overrun"))
        warnings++;
    } else if (gst_message_has_name (msg, "gemma4-result")) {
      gboolean late = FALSE;
      gst_structure_get_boolean (gst_message_get_structure (msg), "late",
          &late);
      late_results += late;
    }
    gst_message_unref (msg);
  }
  fail_unless_equals_uint64 (stat_u64 (e, "jobs"), 4);
  fail_unless_equals_uint64 (stat_u64 (e, "drops"), 0);
  fail_unless_equals_uint64 (stat_u64 (e, "late"), 4);
  fail_unless_equals_int (late_results, 4);
  fail_unless_equals_int (warnings, 1);
  g_print ("latency budget: 4 live jobs over a 1 ms budget, none dropped "
      "(leaky=none), 4 flagged late, 1 overrun warning\n");
  output_clear (&out);
  gst_harness_teardown (h);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  g_free (x);
}

GST_END_TEST;

/* Waits until e has run jobs jobs (the stats are live). */
static void
wait_jobs (GstElement * e, guint64 jobs)
{
  for (guint i = 0; i < 3000 && stat_u64 (e, "jobs") < jobs; i++)
    g_usleep (10000);
  fail_unless_equals_uint64 (stat_u64 (e, "jobs"), jobs);
}

/* Overruns in a row warn, but at most every 10 s: a run that recovers for
 * one job and overruns again says nothing new so soon; the stats count
 * every overrun. */
GST_START_TEST (test_overrun_warnings)
{
  GstElement *e = new_asr ("vad", 0, "chunk-duration", 500, "chunk-overlap",
      0, "latency", 1, "leaky", 0, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = asr_harness (e, TRUE, F32_CAPS);
  gsize n;
  gfloat *x = load_wav ("long.wav", &n);
  GstClockTime t;
  Output out;

  t = push_f32 (h, x, 2 * RATE, 0, 1600);
  wait_jobs (e, 4);
  g_object_set (e, "latency", 600000, NULL);
  t = push_f32 (h, x + 2 * RATE, RATE / 2, t, 1600);
  wait_jobs (e, 5);
  g_object_set (e, "latency", 1, NULL);
  t = push_f32 (h, x + 5 * RATE / 2, 3 * RATE / 2, t, 1600);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  asr_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 0, t);
  fail_unless_equals_int (count_warnings (bus, "gemma4/overrun", NULL), 1);
  fail_unless_equals_uint64 (stat_u64 (e, "jobs"), 8);
  fail_unless_equals_uint64 (stat_u64 (e, "overruns"), 7);
  g_print ("overrun warnings: 7 of 8 live jobs over budget, in two runs, 1 "
      "warning\n");
  output_clear (&out);
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
  g_free (x);
}

GST_END_TEST;

/* A live pipeline whose only sink takes the text: PLAYING comes before
 * the first result (10 s of audio away), since the outputs start with an
 * empty GAP the sink prerolls on. */
GST_START_TEST (test_live_preroll)
{
  gchar *desc = g_strdup_printf ("audiotestsrc is-live=true "
      "samplesperbuffer=1600 ! audio/x-raw, format=S16LE, rate=16000, "
      "channels=1 ! gemma4asr vad=none chunk-duration=10000 max-tokens=3 "
      "n-threads=2 model-path=\"%s\" mmproj-path=\"%s\" ! fakesink",
      model_path, mmproj_path);
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  gint64 t0;

  fail_unless (pipeline != NULL, "%s", error ? error->message : "?");
  t0 = g_get_monotonic_time ();
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_get_state (pipeline, NULL, NULL,
          5 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  g_print ("live preroll: PLAYING after %.0f ms, the first result is 10 s "
      "of audio away\n", (g_get_monotonic_time () - t0) / 1e3);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
  g_free (desc);
}

GST_END_TEST;

/* A timestamp jump (DISCONT) and an upstream GAP event end the audio before
 * them; the holes come out as GAP events and timing follows the new PTS. */
GST_START_TEST (test_discontinuity)
{
  GstElement *e = new_asr ("vad", 0, "chunk-duration", 1000, "chunk-overlap",
      0, NULL);
  GstHarness *h = asr_harness (e, FALSE, F32_CAPS);
  gsize n;
  gfloat *x = load_wav ("speech.wav", &n);
  GstBuffer *buf;
  Output out;

  push_f32 (h, x, RATE, 0, 1600);
  /* 2 s of nothing, then a DISCONT buffer at 3 s */
  buf = gst_buffer_new_memdup (x + RATE, RATE * sizeof (gfloat));
  GST_BUFFER_PTS (buf) = 3 * GST_SECOND;
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  /* upstream says 4 s - 5 s is silent */
  fail_unless (gst_harness_push_event (h, gst_event_new_gap (4 * GST_SECOND,
              GST_SECOND)));
  push_f32 (h, x + 2 * RATE, RATE, 5 * GST_SECOND, 1600);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  asr_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 0, 6 * GST_SECOND);
  fail_unless_equals_int (count_text (&out), 3);
  for (guint i = 0, k = 0; i < out.spans->len; i++) {
    const Span *sp = &g_array_index (out.spans, Span, i);
    const GstClockTime starts[] = { 0, 3 * GST_SECOND, 5 * GST_SECOND };
    if (sp->text) {
      fail_unless_equals_uint64 (sp->start, starts[k++]);
      fail_unless_equals_uint64 (sp->duration, GST_SECOND);
    }
  }
  g_print ("discontinuity: results at 0, 3 and 5 s, GAP events over the "
      "2 s jump and the upstream gap\n");
  output_clear (&out);
  gst_harness_teardown (h);
  gst_object_unref (e);
  g_free (x);
}

GST_END_TEST;

GST_START_TEST (test_eos_drains)
{
  GstElement *e = new_asr ("vad", 0, "chunk-duration", 1000, "max-tokens", 12,
      "chunk-overlap", 0, NULL);
  GstHarness *h = asr_harness (e, FALSE, F32_CAPS);
  gsize n;
  gfloat *x = load_wav ("speech.wav", &n);
  GstClockTime t;
  Output out;

  t = push_f32 (h, x, 5 * RATE / 2, 0, 1600);
  /* the last job may still be running or waiting: EOS must wait for it */
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  asr_output_init (&out);
  collect_until_eos (h, &out);
  fail_unless_equals_uint64 (stat_u64 (e, "jobs"), 3);
  check_tiling (&out, 0, t);
  fail_unless_equals_int (count_text (&out), 3);
  g_print ("eos: 3 chunks, all 3 results before EOS\n");
  output_clear (&out);
  gst_harness_teardown (h);
  gst_object_unref (e);
  g_free (x);
}

GST_END_TEST;

/* FLUSH_START stops a long generation at once; FLUSH_STOP leaves the
 * element ready for new data. */
GST_START_TEST (test_flush_cancels)
{
  GstElement *e = new_asr ("vad", 0, "chunk-duration", 1000, "max-tokens",
      3000, "partial-results", TRUE, NULL);
  GstHarness *h = asr_harness (e, FALSE, F32_CAPS);
  GstHarness *hj = gst_harness_new_with_element (e, NULL, "unsynced_src");
  gsize n;
  gfloat *x = load_wav ("speech.wav", &n);
  GstBuffer *partial;
  GstSegment seg;
  GstMapInfo map;
  gint64 flush_us;
  Output out;

  push_f32 (h, x, RATE, 0, 1600);
  partial = gst_harness_pull (hj);      /* generation has started */
  fail_unless (partial != NULL);
  fail_unless (gst_buffer_map (partial, &map, GST_MAP_READ));
  fail_unless (g_strstr_len ((const gchar *) map.data, map.size,
          "\"is_final\":false"));
  gst_buffer_unmap (partial, &map);
  gst_buffer_unref (partial);

  flush_us = check_flush_cancels (h, e);

  g_object_set (e, "max-tokens", 4, NULL);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  push_f32 (h, x, RATE, 0, 1600);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  asr_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 0, GST_SECOND);
  fail_unless_equals_uint64 (stat_u64 (e, "jobs"), 1);
  g_print ("flush: a 3000-token generation cancelled in %.1f ms, then a new "
      "segment transcribed\n", flush_us / 1e3);
  output_clear (&out);
  gst_harness_teardown (hj);
  gst_harness_teardown (h);
  gst_object_unref (e);
  g_free (x);
}

GST_END_TEST;

static guint
wait_loaded (GstBus * bus, guint n, guint * loaded)
{
  guint complete = 0;

  *loaded = 0;
  while (complete < n) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
        GST_MESSAGE_PROGRESS | GST_MESSAGE_ERROR);
    GstProgressType type;
    gchar *text = NULL;
    fail_unless (msg != NULL, "models not loaded within 30 s");
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
    gst_message_parse_progress (msg, &type, NULL, &text);
    if (type == GST_PROGRESS_TYPE_COMPLETE) {
      complete++;
      *loaded += g_str_has_prefix (text, "Loaded");
    }
    g_free (text);
    gst_message_unref (msg);
  }
  return complete;
}

static GMutex log_lock;

static void
capture_engine_log (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user)
{
  GString *log = user;

  if (!g_strcmp0 (gst_debug_category_get_name (category), "gemma4")) {
    g_mutex_lock (&log_lock);
    g_string_append_printf (log, "%s\n", gst_debug_message_get (message));
    g_mutex_unlock (&log_lock);
  }
}

/* The engine's messages go to the debug category gemma4 (GST_DEBUG=gemma4:5
 * shows them), not to stderr: the session the worker makes logs its size. */
GST_START_TEST (test_engine_log)
{
  GstElement *e = new_asr (NULL);
  GString *log = g_string_new (NULL);
  gboolean seen = FALSE;

  gst_debug_set_active (TRUE);
  gst_debug_set_threshold_for_name ("gemma4", GST_LEVEL_INFO);
  gst_debug_add_log_function (capture_engine_log, log, NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  for (guint i = 0; i < 600 && !seen; i++) {
    g_usleep (50000);
    g_mutex_lock (&log_lock);
    seen = strstr (log->str, "session: context") != NULL;
    g_mutex_unlock (&log_lock);
  }
  gst_element_set_state (e, GST_STATE_NULL);
  gst_debug_remove_log_function (capture_engine_log);
  fail_unless (seen, "no engine message in category gemma4: %s", log->str);
  g_print ("engine log: %s", log->str);
  g_string_free (log, TRUE);
  gst_object_unref (e);
}

GST_END_TEST;

GST_START_TEST (test_shared_model)
{
  GstElement *e[5];
  GstBus *bus = gst_bus_new ();
  GstHarness *ha, *hb;
  guint loaded;
  gsize n;
  gfloat *x = load_wav ("speech.wav", &n);
  Output oa, ob;

  e[0] = new_asr ("vad", 0, "chunk-duration", 1000, "chunk-overlap", 0, NULL);
  e[1] = new_asr ("vad", 0, "chunk-duration", 1000, "chunk-overlap", 0, NULL);
  e[2] = new_asr ("model-instance-id", "x", NULL);
  e[3] = new_asr ("model-instance-id", "x", "model-path", NULL,
      "mmproj-path", NULL, NULL);
  e[4] = new_asr ("model-instance-id", "y", NULL);
  for (guint i = 0; i < 5; i++) {
    gst_element_set_bus (e[i], bus);
    fail_unless_equals_int (gst_element_set_state (e[i], GST_STATE_READY),
        GST_STATE_CHANGE_SUCCESS);
  }
  wait_loaded (bus, 5, &loaded);
  fail_unless_equals_int (loaded, 3);
  fail_unless_equals_uint64 (stat_u64 (e[0], "model-serial"),
      stat_u64 (e[1], "model-serial"));
  fail_unless_equals_uint64 (stat_u64 (e[2], "model-serial"),
      stat_u64 (e[3], "model-serial"));
  fail_if (stat_u64 (e[0], "model-serial") == stat_u64 (e[2],
          "model-serial"));
  fail_if (stat_u64 (e[4], "model-serial") == stat_u64 (e[2],
          "model-serial"));
  fail_unless_equals_uint64 (stat_u64 (e[0], "model-users"), 2);
  fail_unless_equals_uint64 (stat_u64 (e[3], "model-users"), 2);
  fail_unless_equals_uint64 (stat_u64 (e[4], "model-users"), 1);

  /* the two sharing elements both get through the model's scheduler */
  ha = asr_harness (e[0], FALSE, F32_CAPS);
  hb = asr_harness (e[1], FALSE, F32_CAPS);
  push_f32 (ha, x, 2 * RATE, 0, 1600);
  push_f32 (hb, x, 2 * RATE, 0, 1600);
  fail_unless (gst_harness_push_event (ha, gst_event_new_eos ()));
  fail_unless (gst_harness_push_event (hb, gst_event_new_eos ()));
  asr_output_init (&oa);
  asr_output_init (&ob);
  collect_until_eos (ha, &oa);
  collect_until_eos (hb, &ob);
  fail_unless_equals_int (count_text (&oa), 2);
  fail_unless_equals_int (count_text (&ob), 2);
  /* same model, same input, greedy: the same text */
  for (guint i = 0; i < 2; i++)
    fail_unless_equals_string (g_array_index (oa.spans, Span, i).text,
        g_array_index (ob.spans, Span, i).text);
  g_print ("sharing: 5 elements, 3 loads (same files, id x, id y), users "
      "2/2/1, both sharers transcribed the same text\n");
  output_clear (&oa);
  output_clear (&ob);
  gst_harness_teardown (ha);
  gst_harness_teardown (hb);
  for (guint i = 0; i < 2; i++) {
    gst_element_set_bus (e[i], NULL);
    gst_object_unref (e[i]);
  }
  for (guint i = 2; i < 5; i++) {
    fail_unless_equals_int (gst_element_set_state (e[i], GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    gst_element_set_bus (e[i], NULL);
    gst_object_unref (e[i]);
  }
  gst_object_unref (bus);
  g_free (x);
}

GST_END_TEST;

static guint
count_threads (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  fail_unless (dir != NULL);
  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);
  return n;
}

/* OpenMP helper threads of a finished worker exit just after it: give them
 * a moment to get down to the count. */
static guint
settled_threads (guint expected)
{
  guint n = count_threads ();

  for (guint i = 0; i < 100 && n > expected; i++) {
    g_usleep (10000);
    n = count_threads ();
  }
  return n;
}

static guint64
rss_kib (void)
{
  gchar *status = NULL;
  const gchar *line;
  guint64 kib = 0;

#ifdef __GLIBC__
  /* freed blocks stay in the arenas of threads that came and went; give
   * them back so the figure is the memory still in use, not where the
   * arenas happened to be cut */
  malloc_trim (0);
#endif
  fail_unless (g_file_get_contents ("/proc/self/status", &status, NULL,
          NULL));
  /* anonymous memory only: the mapped model's pages come in as generation
   * touches new token rows, which is no leak */
  line = strstr (status, "RssAnon:");
  fail_unless (line != NULL);
  kib = g_ascii_strtoull (line + 8, NULL, 10);
  g_free (status);
  return kib;
}

/* NULL <-> PLAYING many times (GEMMA4_TEST_CYCLES, 100 by default), often in
 * the middle of a generation, the last one after a whole job: every
 * teardown is quick, threads and model references come back to where they
 * were, memory does not grow. A READY element keeps the model loaded so the
 * cycles measure the element, not file loading. */
GST_START_TEST (test_state_cycles)
{
  const gchar *env = g_getenv ("GEMMA4_TEST_CYCLES");
  const guint cycles = env ? (guint) atoi (env) : 100;
  /* valgrind keeps 20 MB of freed blocks back: its run allows more */
  const gchar *limit_env = g_getenv ("GEMMA4_TEST_RSS_GROWTH_KIB");
  const guint64 rss_limit = limit_env ? g_ascii_strtoull (limit_env, NULL,
      10) : 16 * 1024;
  GstElement *keeper = new_asr (NULL);
  GstBus *bus = gst_bus_new ();
  GstElement *e = new_asr ("vad", 0, "chunk-duration", 1000, "max-tokens",
      200, NULL);
  GstHarness *h;
  gsize n;
  gfloat *x = load_wav ("speech.wav", &n);
  guint loaded, threads0 = 0;
  guint64 rss_early = 0, rss_late;
  gint64 worst = 0;
  GRand *rand = g_rand_new_with_seed (7);

  gst_element_set_bus (keeper, bus);
  fail_unless_equals_int (gst_element_set_state (keeper, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  wait_loaded (bus, 1, &loaded);
  h = asr_harness (e, FALSE, NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  g_usleep (200000);
  threads0 = count_threads ();
  for (guint c = 0; c < cycles; c++) {
    GstEvent *ev;
    GstBuffer *buf;
    gint64 t0;
    gchar *id = g_strdup_printf ("cycle-%u", c);

    fail_unless (gst_element_set_state (e, GST_STATE_PLAYING) !=
        GST_STATE_CHANGE_FAILURE);
    gst_harness_push_event (h, gst_event_new_stream_start (id));
    g_free (id);
    gst_harness_set_src_caps_str (h, F32_CAPS);
    if (c == cycles - 1)
      g_object_set (e, "max-tokens", 4, NULL);
    push_f32 (h, x, RATE + RATE / 5, 0, 1600);
    if (c == cycles - 1) {
      /* the last cycle runs a whole job: teardown after a result too */
      buf = gst_harness_pull (h);
      fail_unless (buf != NULL, "no result in the last cycle");
      gst_buffer_unref (buf);
    } else if (c % 2) {
      g_usleep (g_rand_int_range (rand, 0, 60000));
    }
    t0 = g_get_monotonic_time ();
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    worst = MAX (worst, g_get_monotonic_time () - t0);
    fail_unless_equals_uint64 (stat_u64 (keeper, "model-users"), 1);
    while ((ev = gst_harness_try_pull_event (h)))
      gst_event_unref (ev);
    while ((buf = gst_harness_try_pull (h)))
      gst_buffer_unref (buf);
    fail_unless (settled_threads (threads0) <= threads0,
        "%u threads after cycle %u, %u before the cycles", count_threads (), c,
        threads0);
    if (c == cycles / 5)
      rss_early = rss_kib ();
  }
  rss_late = rss_kib ();
  fail_unless (worst < 2000000, "a teardown took %" G_GINT64_FORMAT " us",
      worst);
  fail_unless (rss_late < rss_early + rss_limit, "anonymous RSS grew from %"
      G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " KiB", rss_early, rss_late);
  g_print ("state cycles: %u NULL<->PLAYING (half mid-generation), worst "
      "teardown %.1f ms, threads back to %u, anonymous RSS %" G_GUINT64_FORMAT
      " -> %" G_GUINT64_FORMAT " KiB\n", cycles, worst / 1e3, threads0,
      rss_early, rss_late);
  gst_harness_teardown (h);
  gst_object_unref (e);
  fail_unless_equals_int (gst_element_set_state (keeper, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_set_bus (keeper, NULL);
  gst_object_unref (keeper);
  gst_object_unref (bus);
  g_rand_free (rand);
  g_free (x);
}

GST_END_TEST;

static Suite *
gemma4asr_suite (void)
{
  Suite *s = suite_create ("gemma4asr");
  TCase *tc = tcase_create ("general");

  element_test_setup ();
  data_dir = g_getenv ("GEMMA4_TEST_DATA");
  if (!data_dir)
    g_error ("set GEMMA4_TEST_DATA");
  tcase_set_timeout (tc, 80);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_configuration_errors);
  tcase_add_test (tc, test_broken_model);
  tcase_add_test (tc, test_caps);
  tcase_add_test (tc, test_wav_pipeline);
  tcase_add_test (tc, test_long_wav);
  tcase_add_test (tc, test_gaps_over_silence);
  tcase_add_test (tc, test_latency_query);
  tcase_add_test (tc, test_live_overload);
  tcase_add_test (tc, test_prompting);
  tcase_add_test (tc, test_live_property_checks);
  tcase_add_test (tc, test_overrun_warnings);
  tcase_add_test (tc, test_live_preroll);
  tcase_add_test (tc, test_latency_budget);
  tcase_add_test (tc, test_discontinuity);
  tcase_add_test (tc, test_eos_drains);
  tcase_add_test (tc, test_flush_cancels);
  tcase_add_test (tc, test_shared_model);
  tcase_add_test (tc, test_engine_log);
  tcase_add_test (tc, test_state_cycles);
  return s;
}

GST_CHECK_MAIN (gemma4asr);
