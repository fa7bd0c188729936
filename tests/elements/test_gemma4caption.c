/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4caption on the real engine (tiny generated E2B-like model, vision
 * mmproj fixture): properties and configuration errors, window timing on a
 * non-live stream, which frames are sampled (uniform, sample-fps, overlap
 * with shared copies), the prompt's placeholders and history, bounded
 * memory over a long window, GAP events, live overload, an srtenc pipeline,
 * LATENCY answers, flush and state cycles. The tiny model's text is
 * gibberish: the tests check structure, timing, frame lists, prompts and
 * counts. GEMMA4_TEST_MODEL and GEMMA4_TEST_MMPROJ name the files;
 * GST_CHECKS picks one test. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "element_test_util.h"

#define WIDTH 32
#define HEIGHT 24
#define MS GST_MSECOND

/* A gemma4caption with the test model, 2 threads and short answers. */
#define new_caption(...) element_test_new ("gemma4caption", 3, __VA_ARGS__)

static GstHarness *
caption_harness (GstElement * e, gboolean live, gint fps)
{
  GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
  gchar *caps = g_strdup_printf ("video/x-raw, format=RGB, width=%d, "
      "height=%d, framerate=%d/1", WIDTH, HEIGHT, fps);

  gst_harness_set_live (h, live);
  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
  return h;
}

/* One frame of size bytes (pattern i), with these timestamps (NONE
 * allowed). */
static void
push_frame (GstHarness * h, gsize size, guint i, GstClockTime pts,
    GstClockTime dur)
{
  guint8 *px = g_malloc (size);
  GstBuffer *b;

  for (gsize j = 0; j < size; j++)
    px[j] = (guint8) (i * 7 + j * 13);
  b = gst_buffer_new_wrapped (px, size);
  GST_BUFFER_PTS (b) = pts;
  GST_BUFFER_DURATION (b) = dur;
  fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
}

/* Frames at fps from pts (each a different pattern, so they are images);
 * returns the time after the last one. */
static GstClockTime
push_frames (GstHarness * h, guint n, gint fps, GstClockTime pts)
{
  GstClockTime dur = GST_SECOND / fps;

  for (guint i = 0; i < n; i++)
    push_frame (h, WIDTH * HEIGHT * 3, i, pts + i * dur, dur);
  return pts + n * dur;
}

/* A caption's result names its prompt and sampled frames. */
static void
check_caption_result (const Span * s)
{
  const GValue *frames = gst_structure_get_value (s->result, "frames");

  fail_unless (gst_structure_get_string (s->result, "prompt") != NULL);
  fail_unless (frames && GST_VALUE_HOLDS_ARRAY (frames));
}

static void
caption_output_init (Output * out)
{
  output_init (out, "caption");
  out->check_result = check_caption_result;
}

static const gchar *
prompt_of (const Span * s)
{
  return gst_structure_get_string (s->result, "prompt");
}

/* The caption i (a text span, not a gap) has these timings and frames
 * (frame times in ms). */
static void
check_caption (const Span * s, GstClockTime start, GstClockTime display,
    GstClockTime window, const guint * frames_ms, guint n)
{
  const GValue *frames;
  guint64 described = 0;

  fail_unless (s->text != NULL, "a gap at %" GST_TIME_FORMAT " where a "
      "caption was expected", GST_TIME_ARGS (s->start));
  fail_unless_equals_uint64 (s->start, start);
  fail_unless_equals_uint64 (s->duration, display);
  frames = gst_structure_get_value (s->result, "frames");
  fail_unless (gst_structure_get_uint64 (s->result, "duration", &described));
  fail_unless_equals_uint64 (described, window);
  fail_unless_equals_int (gst_value_array_get_size (frames), n);
  for (guint i = 0; i < n; i++)
    fail_unless_equals_uint64 (g_value_get_uint64
        (gst_value_array_get_value (frames, i)), frames_ms[i] * MS);
}

static const gchar *const stats_fields[] = { "jobs", "drops", "late",
  "mean-inference-time", "frames", "samples", "skipped-frames",
  "samples-alive-max", "sample-bytes-max", NULL
};

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("gemma4caption", NULL);
  guint window, overlap, fpw, soft, history, latency, max_tokens;
  gdouble fps;
  gint image_size;
  gchar *prompt;
  GstPad *json;

  fail_unless (e != NULL);
  g_object_get (e, "window", &window, "window-overlap", &overlap,
      "frames-per-window", &fpw, "sample-fps", &fps, "image-size",
      &image_size, "max-soft-tokens", &soft, "history-size", &history,
      "latency", &latency, "max-tokens", &max_tokens, "prompt", &prompt,
      NULL);
  fail_unless_equals_int (window, 10000);
  fail_unless_equals_int (overlap, 0);
  fail_unless_equals_int (fpw, 8);
  fail_unless_equals_float (fps, 0.0);
  fail_unless_equals_int (image_size, 1);       /* budget */
  fail_unless_equals_int (soft, 70);
  fail_unless_equals_int (history, 2);
  fail_unless_equals_int (latency, 2000);
  fail_unless_equals_int (max_tokens, 128);
  fail_unless (prompt == NULL);

  g_object_set (e, "window", 4000, "window-overlap", 1000, "sample-fps", 2.5,
      "history-size", 0, NULL);
  g_object_get (e, "window", &window, "window-overlap", &overlap,
      "sample-fps", &fps, "history-size", &history, NULL);
  fail_unless_equals_int (window, 4000);
  fail_unless_equals_int (overlap, 1000);
  fail_unless_equals_float (fps, 2.5);
  fail_unless_equals_int (history, 0);
  ASSERT_WARNING (g_object_set (e, "frames-per-window", 65, NULL));
  ASSERT_WARNING (g_object_set (e, "max-soft-tokens", 2000, NULL));
  ASSERT_WARNING (g_object_set (e, "window", 50, NULL));

  check_stats_fields (e, stats_fields);

  /* the JSON pad on request, released cleanly */
  json = gst_element_request_pad_simple (e, "json_src");
  fail_unless (json != NULL);
  gst_element_release_request_pad (e, json);
  gst_object_unref (json);
  g_print ("properties: defaults, round trip, 3 out-of-range values "
      "refused, stats fields, json_src on request\n");
  gst_object_unref (e);
}

GST_END_TEST;

/* Settings that cannot work are refused at NULL->READY with a message
 * naming them. */
GST_START_TEST (test_bad_properties)
{
  expect_ready_failure (new_caption ("window-overlap", 10000, NULL),
      "window-overlap (10000 ms) must be less than window (10000 ms)");
  expect_ready_failure (new_caption ("window", 2000, "window-overlap", 3000,
          NULL), "must be less than window");
  expect_ready_failure (new_caption ("sample-fps", 10.0, NULL),
      "100 frames per window, more than 64");
  expect_ready_failure (new_caption ("mmproj-path", NULL, NULL),
      "mmproj-path is not set");
  {
    /* the same range as gemma4vision's */
    GstElement *e = new_caption (NULL);
    GParamSpecUInt *soft = G_PARAM_SPEC_UINT (g_object_class_find_property
        (G_OBJECT_GET_CLASS (e), "max-soft-tokens"));
    fail_unless_equals_int (soft->minimum, 70);
    fail_unless_equals_int (soft->maximum, 1120);
    gst_object_unref (e);
  }

  g_print ("bad properties: 4 refused at NULL->READY with a clear "
      "message; max-soft-tokens 70-1120\n");
}

GST_END_TEST;

/* A prompt with a placeholder of its own is refused in PLAYING (old value
 * kept, a warning naming the kind: the element places the frames), so are
 * windows that cannot be made and the model's properties; the captions go
 * on. At startup it is an error. */
GST_START_TEST (test_live_property_checks)
{
  GstElement *e = new_caption ("window", 1000, "frames-per-window", 2, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = caption_harness (e, FALSE, 5);
  Output out;

  expect_refused (e, bus, "prompt", "What happens in <|image|>?",
      "the prompt may hold no placeholder but has <|image|>");
  expect_refused (e, bus, "prompt", "<|audio|>", "<|audio|>");
  /* windows that cannot be made: the old shape goes on */
  expect_refused (e, bus, "window-overlap", "1000", "must be less than");
  expect_load_properties_refused (e, bus);
  expect_taken (e, bus, "prompt", "Say what happens.");
  push_frames (h, 5, 5, 0);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  caption_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 0, GST_SECOND);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
  output_clear (&out);
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
  expect_ready_failure (new_caption ("prompt", "<|image|> what", NULL),
      "<|image|>");
}

GST_END_TEST;

/* 25 s at 5 fps, 10 s windows of 5 frames: captions 0-10, 10-20 and the
 * partial 20-25 emitted at EOS, before EOS. Frames are those at the
 * instants 0, 2, 4, 6, 8 s of each window; the partial window's instants
 * past its last frame (26, 28 s) get that frame (24.8 s), once. The prompt
 * carries frame times and substituted placeholders, and the history. */
GST_START_TEST (test_windows)
{
  GstElement *e = new_caption ("frames-per-window", 5, "prompt",
      "N={num_frames} S={start} E={end} T={timestamps} P={previous} "
      "{unknown}", NULL);
  GstHarness *h = caption_harness (e, FALSE, 5);
  GstHarness *hj = gst_harness_new_with_element (e, NULL, "json_src");
  const guint f0[] = { 0, 2000, 4000, 6000, 8000 };
  const guint f1[] = { 10000, 12000, 14000, 16000, 18000 };
  const guint f2[] = { 20000, 22000, 24000, 24800 };
  GstBuffer *json;
  GstEvent *ev;
  GstStreamFlags flags = 0;
  GstCaps *caps;
  GstMapInfo map;
  gchar *want, *previous;
  GstClockTime t;
  Output out;

  t = push_frames (h, 125, 5, 0);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  caption_output_init (&out);
  collect_until_eos (h, &out);
  fail_unless (out.sparse, "the text stream is not sparse");
  fail_unless (out.caps != NULL);
  fail_unless_equals_string (gst_structure_get_string
      (gst_caps_get_structure (out.caps, 0), "format"), "utf8");
  fail_unless_equals_int (out.spans->len, 3);
  check_tiling (&out, 0, t);
  check_caption (span (&out, 0), 0, 10 * GST_SECOND, 10 * GST_SECOND, f0, 5);
  check_caption (span (&out, 1), 10 * GST_SECOND, 10 * GST_SECOND,
      10 * GST_SECOND, f1, 5);
  check_caption (span (&out, 2), 20 * GST_SECOND, 5 * GST_SECOND,
      5 * GST_SECOND, f2, 4);

  /* the user turn: "mm:ss <|image|>" per frame, then the instruction */
  fail_unless (g_str_has_prefix (prompt_of (span (&out, 0)), "00:00 <|image|> "
          "00:02 <|image|> 00:04 <|image|> 00:06 <|image|> 00:08 <|image|>"
          "\n\n"), "prompt: %s", prompt_of (span (&out, 0)));
  fail_unless (g_str_has_suffix (prompt_of (span (&out, 0)),
          "N=5 S=00:00 E=00:10 T=00:00, 00:02, 00:04, 00:06, 00:08 "
          "P=(none) {unknown}"), "prompt: %s", prompt_of (span (&out, 0)));
  want = g_strdup_printf ("N=5 S=00:10 E=00:20 T=00:10, 00:12, 00:14, "
      "00:16, 00:18 P=%s {unknown}", span (&out, 0)->text);
  fail_unless (g_str_has_suffix (prompt_of (span (&out, 1)), want),
      "prompt: %s", prompt_of (span (&out, 1)));
  g_free (want);
  previous = g_strdup_printf ("%s %s", span (&out, 0)->text,
      span (&out, 1)->text);
  want = g_strdup_printf ("N=4 S=00:20 E=00:25 T=00:20, 00:22, 00:24, 00:24 "
      "P=%s {unknown}", previous);
  fail_unless (g_str_has_suffix (prompt_of (span (&out, 2)), want),
      "prompt: %s", prompt_of (span (&out, 2)));
  g_free (want);
  g_free (previous);

  /* JSON: its own sparse stream, then one object per caption with the
   * window, frames and prompt */
  ev = gst_harness_pull_event (hj);
  fail_unless (ev && GST_EVENT_TYPE (ev) == GST_EVENT_STREAM_START);
  gst_event_parse_stream_flags (ev, &flags);
  fail_unless (flags & GST_STREAM_FLAG_SPARSE);
  gst_event_unref (ev);
  ev = gst_harness_pull_event (hj);
  fail_unless (ev && GST_EVENT_TYPE (ev) == GST_EVENT_CAPS);
  gst_event_parse_caps (ev, &caps);
  fail_unless (gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "application/x-json"));
  gst_event_unref (ev);
  ev = gst_harness_pull_event (hj);
  fail_unless (ev && GST_EVENT_TYPE (ev) == GST_EVENT_SEGMENT);
  gst_event_unref (ev);
  json = gst_harness_pull (hj);
  fail_unless (json != NULL);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (json), 0);
  fail_unless (gst_buffer_map (json, &map, GST_MAP_READ));
  fail_unless (g_strstr_len ((const gchar *) map.data, map.size,
          "\"start\":0,\"duration\":10000000000,"));
  fail_unless (g_strstr_len ((const gchar *) map.data, map.size,
          "\"frames\":[0,2000000000,4000000000,6000000000,8000000000]"));
  fail_unless (g_strstr_len ((const gchar *) map.data, map.size,
          "\"prompt\":\"00:00 <|image|>"));
  fail_unless (g_strstr_len ((const gchar *) map.data, map.size,
          "\"inference_time\":"));
  gst_buffer_unmap (json, &map);
  gst_buffer_unref (json);

  fail_unless_equals_uint64 (stat_u64 (e, "jobs"), 3);
  fail_unless_equals_uint64 (stat_u64 (e, "frames"), 125);
  fail_unless_equals_uint64 (stat_u64 (e, "samples"), 14);
  g_print ("windows: 25 s at 5 fps -> captions at 0 s (+10 s), 10 s (+10 s), "
      "20 s (+5 s, partial, before EOS); frames 5/5/4 at the expected PTS; "
      "14 of 125 frames copied; placeholders and history in the prompt\n");
  output_clear (&out);
  gst_harness_teardown (hj);
  gst_harness_teardown (h);
  gst_object_unref (e);
}

GST_END_TEST;

/* sample-fps instead of frames-per-window: 1.2 fps over 2.5 s windows of
 * 4 fps video; each instant takes the nearer frame. */
GST_START_TEST (test_sample_fps)
{
  GstElement *e = new_caption ("window", 2500, "sample-fps", 1.2, NULL);
  GstHarness *h = caption_harness (e, FALSE, 4);
  /* instants 0, 833, 1667 ms after each window start; frames every 250 ms */
  const guint f0[] = { 0, 750, 1750 };
  const guint f1[] = { 2500, 3250, 4250 };
  Output out;
  GstClockTime t;

  t = push_frames (h, 20, 4, 0);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  caption_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 0, t);
  fail_unless_equals_int (out.spans->len, 2);
  check_caption (span (&out, 0), 0, 2500 * MS, 2500 * MS, f0, 3);
  check_caption (span (&out, 1), 2500 * MS, 2500 * MS, 2500 * MS, f1, 3);
  g_print ("sample-fps: 1.2 fps over 2.5 s windows of 4 fps video picks 0, "
      "750, 1750 ms (+2.5 s)\n");
  output_clear (&out);
  gst_harness_teardown (h);
  gst_object_unref (e);
}

GST_END_TEST;

/* 10 s windows every 5 s, 2 frames each: a frame two windows pick is copied
 * once; text durations are the step so subtitles never overlap, the last
 * runs to the end of the video. Without history the default prompt says
 * so. */
GST_START_TEST (test_overlap)
{
  GstElement *e = new_caption ("window-overlap", 5000, "frames-per-window",
      2, "history-size", 0, NULL);
  GstHarness *h = caption_harness (e, FALSE, 5);
  const guint f0[] = { 0, 5000 }, f1[] = { 5000, 10000 };
  const guint f2[] = { 10000, 15000 }, f3[] = { 15000, 19800 };
  Output out;
  GstClockTime t;

  t = push_frames (h, 100, 5, 0);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  caption_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 0, t);
  fail_unless_equals_int (out.spans->len, 4);
  check_caption (span (&out, 0), 0, 5 * GST_SECOND, 10 * GST_SECOND, f0, 2);
  check_caption (span (&out, 1), 5 * GST_SECOND, 5 * GST_SECOND,
      10 * GST_SECOND, f1, 2);
  check_caption (span (&out, 2), 10 * GST_SECOND, 5 * GST_SECOND,
      10 * GST_SECOND, f2, 2);
  check_caption (span (&out, 3), 15 * GST_SECOND, 5 * GST_SECOND,
      5 * GST_SECOND, f3, 2);
  fail_unless_equals_uint64 (stat_u64 (e, "samples"), 5);
  /* history-size=0: no earlier captions in any prompt */
  for (guint i = 0; i < 4; i++)
    fail_unless (strstr (prompt_of (span (&out, i)), "Earlier captions: (none) "
            "Describe") != NULL, "prompt: %s", prompt_of (span (&out, i)));
  g_print ("overlap: 20 s, 10 s windows every 5 s -> 4 captions tiling "
      "0-20 s, 8 frames picked from 5 copies; no history with "
      "history-size=0\n");
  output_clear (&out);
  gst_harness_teardown (h);
  gst_object_unref (e);
}

GST_END_TEST;

/* A minute-long window of 30 fps video: only the sampled frames are ever
 * copied, and only they stay in memory. */
GST_START_TEST (test_memory_bound)
{
  GstElement *e = new_caption ("window", 60000, "frames-per-window", 4,
      NULL);
  GstHarness *h = caption_harness (e, FALSE, 30);
  GstStructure *st = NULL;
  guint64 bytes_max = 0;
  guint alive_max = 0;
  Output out;

  push_frames (h, 1800, 30, 0);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  caption_output_init (&out);
  collect_until_eos (h, &out);
  fail_unless_equals_int (out.spans->len, 1);
  fail_unless_equals_uint64 (stat_u64 (e, "frames"), 1800);
  fail_unless_equals_uint64 (stat_u64 (e, "samples"), 4);
  g_object_get (e, "stats", &st, NULL);
  fail_unless (gst_structure_get (st, "samples-alive-max", G_TYPE_UINT,
          &alive_max, "sample-bytes-max", G_TYPE_UINT64, &bytes_max, NULL));
  gst_structure_free (st);
  fail_unless (alive_max <= 4, "%u copies alive at once", alive_max);
  /* 70 soft tokens: at most 70 * 9 patches of 16x16 RGB each */
  fail_unless (bytes_max <= 4 * 70 * 9 * 16 * 16 * 3,
      "%" G_GUINT64_FORMAT " bytes of copies", bytes_max);
  g_print ("memory: 1800 frames in a 60 s window, 4 copied, at most %u "
      "alive, %" G_GUINT64_FORMAT " bytes of copies at most\n", alive_max,
      bytes_max);
  output_clear (&out);
  gst_harness_teardown (h);
  gst_object_unref (e);
}

GST_END_TEST;

/* Time without video: an upstream GAP event ends the window in progress
 * and comes out as a GAP; a timestamp jump over whole windows gives one
 * GAP for them. */
GST_START_TEST (test_gaps)
{
  GstElement *e = new_caption ("window", 2000, "frames-per-window", 2, NULL);
  GstHarness *h = caption_harness (e, FALSE, 5);
  const guint f0[] = { 0, 1000 }, f1[] = { 2000, 2800 };
  const guint f2[] = { 10000, 11000 };
  Output out;

  push_frames (h, 15, 5, 0);
  fail_unless (gst_harness_push_event (h, gst_event_new_gap (3 * GST_SECOND,
              GST_SECOND)));
  /* windows re-start at the next frame: 4 s; 6 s and 8 s have no video */
  push_frames (h, 5, 5, 4 * GST_SECOND);
  push_frames (h, 10, 5, 10 * GST_SECOND);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  caption_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 0, 12 * GST_SECOND);
  fail_unless_equals_int (out.spans->len, 6);
  check_caption (span (&out, 0), 0, 2 * GST_SECOND, 2 * GST_SECOND, f0, 2);
  check_caption (span (&out, 1), 2 * GST_SECOND, GST_SECOND, GST_SECOND, f1,
      2);
  fail_unless (span (&out, 2)->text == NULL);   /* 3-4 s: upstream gap */
  fail_unless (span (&out, 3)->text != NULL);   /* 4-6 s */
  fail_unless (span (&out, 4)->text == NULL);   /* 6-10 s: no video */
  fail_unless_equals_uint64 (span (&out, 4)->duration, 4 * GST_SECOND);
  check_caption (span (&out, 5), 10 * GST_SECOND, 2 * GST_SECOND,
      2 * GST_SECOND, f2, 2);
  g_print ("gaps: GAP events over an upstream gap (3-4 s) and a jump over "
      "two empty windows (6-10 s); captions around them\n");
  output_clear (&out);
  gst_harness_teardown (h);
  gst_object_unref (e);
}

GST_END_TEST;

/* image-size=native (upper bound 1120, its default): the copies are the
 * encoder's letterboxed canvas (32x24 enlarged to 80 tokens of 12 px:
 * 120x96, the fit 120x90 and a black band), which encodes to the frame's
 * rows (tests/vision/test_image_view). */
GST_START_TEST (test_native_size)
{
  GstElement *e = new_caption ("image-size", 0, "max-soft-tokens", 1120,
      "window", 1000, "frames-per-window", 2, NULL);
  GstHarness *h = caption_harness (e, FALSE, 5);
  const guint f0[] = { 0, 400 };
  Output out;

  push_frames (h, 5, 5, 0);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  caption_output_init (&out);
  collect_until_eos (h, &out);
  fail_unless_equals_int (out.spans->len, 1);
  check_caption (span (&out, 0), 0, GST_SECOND, GST_SECOND, f0, 2);
  fail_unless_equals_uint64 (stat_u64 (e, "samples"), 2);
  fail_unless_equals_uint64 (stat_u64 (e, "sample-bytes-max"),
      2 * 120 * 96 * 3);
  g_print ("native size: a 1 s window captioned from 2 native-size copies "
      "(%" G_GUINT64_FORMAT " bytes at most, == 2 canvases of 120x96)\n",
      stat_u64 (e, "sample-bytes-max"));
  output_clear (&out);
  gst_harness_teardown (h);
  gst_object_unref (e);
}

GST_END_TEST;

/* image-size=native: frames the encoder cannot take (1x1000) are skipped
 * with one warning and counted, as gemma4vision does, not an error: their
 * window has no frame (a GAP), the next one is captioned. */
GST_START_TEST (test_unencodable_frames)
{
  GstElement *e = new_caption ("image-size", 0, "window", 1000,
      "frames-per-window", 2, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = caption_harness (e, FALSE, 5);
  const guint f1[] = { 1000, 1400 };
  Output out;

  gst_harness_set_src_caps_str (h, "video/x-raw, format=RGB, width=1, "
      "height=1000, framerate=5/1");
  for (guint i = 0; i < 5; i++)
    push_frame (h, 1 * 1000 * 3, i, i * 200 * MS, 200 * MS);
  gst_harness_set_src_caps_str (h, "video/x-raw, format=RGB, width=32, "
      "height=24, framerate=5/1");
  push_frames (h, 5, 5, GST_SECOND);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  caption_output_init (&out);
  collect_until_eos (h, &out);
  fail_unless_equals_int (count_warnings (bus,
          "gemma4caption/unencodable-frame", NULL), 1);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
  fail_unless_equals_uint64 (stat_u64 (e, "skipped-frames"), 2);
  fail_unless_equals_uint64 (stat_u64 (e, "jobs"), 1);
  fail_unless_equals_int (out.spans->len, 2);
  fail_unless (span (&out, 0)->text == NULL, "the skipped window has text");
  check_caption (span (&out, 1), GST_SECOND, GST_SECOND, GST_SECOND, f1, 2);
  g_print ("unencodable frames: two 1x1000 frames skipped (1 warning, a "
      "GAP for their window), the next window captioned\n");
  output_clear (&out);
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
}

GST_END_TEST;

/* A live source much faster than captioning: pushes never wait for
 * inference, the oldest pending window is dropped (counted, QOS message,
 * GAP in its place), and the text still covers the whole stream at EOS. */
GST_START_TEST (test_live_overload)
{
  GstElement *keeper = new_caption (NULL);
  GstElement *e = new_caption ("window", 200, "frames-per-window", 1,
      "max-tokens", 200, "n-threads", 1, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h;
  GstClockTime t = 0;
  gint64 worst = 0;
  guint qos, dropped;
  guint64 drops, jobs, last_dropped, first_processed;
  gint64 pushing;
  Output out;

  /* the model is loaded before: the first frame waits for nothing */
  fail_unless_equals_int (gst_element_set_state (keeper, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (gst_element_get_state (keeper, NULL, NULL,
          GST_CLOCK_TIME_NONE) == GST_STATE_CHANGE_SUCCESS);
  h = caption_harness (e, TRUE, 10);
  pushing = g_get_monotonic_time ();
  for (guint i = 0; i < 40; i++) {
    gint64 a = g_get_monotonic_time ();
    t = push_frames (h, 1, 10, t);
    if (i > 0)
      worst = MAX (worst, g_get_monotonic_time () - a);
  }
  pushing = g_get_monotonic_time () - pushing;
  fail_unless (worst < 500000, "a push took %" G_GINT64_FORMAT " us", worst);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  caption_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 0, t);
  qos = count_drop_qos (bus, &last_dropped, &first_processed);
  drops = stat_u64 (e, "drops");
  jobs = stat_u64 (e, "jobs");
  fail_unless (drops >= 5, "only %" G_GUINT64_FORMAT " drops", drops);
  /* throttled: the first drop, then at most one a second */
  fail_unless (qos >= 1 && qos <= 1 + pushing / G_USEC_PER_SEC, "%u QOS "
      "messages for %" G_GUINT64_FORMAT " drops in %.1f s", qos, drops,
      pushing / 1e6);
  fail_unless (last_dropped <= drops);
  fail_unless_equals_uint64 (jobs + drops, 20);
  /* every window ends in one record: the dropped ones say so */
  fail_unless_equals_int (count_results (bus, "dropped", &dropped), 20);
  fail_unless_equals_int (dropped, drops);
  g_print ("live overload: 20 windows of 200 ms pushed (worst push %.1f ms), "
      "%" G_GUINT64_FORMAT " dropped with %u QOS messages and records, %"
      G_GUINT64_FORMAT " captioned\n", worst / 1e3, drops, qos, jobs);
  output_clear (&out);
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
  fail_unless_equals_int (gst_element_set_state (keeper, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (keeper);
}

GST_END_TEST;

/* Live captions over a 1 ms budget are flagged late, as gemma4asr's text
 * is; none is dropped with leaky=none and the text still tiles the stream.
 * The clock never passed them, so nothing is re-stamped and nothing is
 * said about it. */
GST_START_TEST (test_late_results)
{
  GstElement *e = new_caption ("window", 500, "frames-per-window", 1,
      "latency", 1, "leaky", 0, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = caption_harness (e, TRUE, 10);
  GstMessage *msg;
  guint late_results = 0, restamped = 0;
  GstClockTime t;
  Output out;

  t = push_frames (h, 15, 10, 0);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  caption_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 0, t);
  while ((msg = gst_bus_pop (bus))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      const GstStructure *details = NULL;
      gst_message_parse_warning_details (msg, &details);
      if (details && !g_strcmp0 (gst_structure_get_string (details,
                  "reason"), "gemma4caption/late-result"))
        restamped++;
    } else if (gst_message_has_name (msg, "gemma4-result")) {
      gboolean late = FALSE;
      gst_structure_get_boolean (gst_message_get_structure (msg), "late",
          &late);
      late_results += late;
    }
    gst_message_unref (msg);
  }
  fail_unless_equals_uint64 (stat_u64 (e, "jobs"), 3);
  fail_unless_equals_uint64 (stat_u64 (e, "drops"), 0);
  fail_unless_equals_int (late_results, 3);
  fail_unless_equals_int (restamped, 0);
  g_print ("late results: 3 live captions over a 1 ms budget flagged late, "
      "no re-stamp warning (none moved), none dropped\n");
  output_clear (&out);
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
}

GST_END_TEST;

/* Late captions the clock has passed are re-stamped to it, and under
 * steady lateness the warning comes at most every 10 s, with the count of
 * results moved since the last one: here one warning for 12. */
GST_START_TEST (test_late_warnings)
{
  GstElement *e = new_caption ("window", 200, "frames-per-window", 1,
      "latency", 1, "leaky", 0, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = caption_harness (e, TRUE, 10);
  GstStructure *details = NULL;
  guint moved = 0;
  guint64 restamped = 0;
  Output out;

  gst_harness_use_testclock (h);
  /* the clock is far past the stream: every result comes too late */
  fail_unless (gst_harness_set_time (h, 100 * GST_SECOND));
  push_frames (h, 24, 10, 0);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  caption_output_init (&out);
  collect_until_eos (h, &out);
  for (guint i = 0; i < out.spans->len; i++)
    moved += span (&out, i)->start >= 90 * GST_SECOND;
  fail_unless_equals_int (count_warnings (bus, "gemma4caption/late-result",
          &details), 1);
  fail_unless (gst_structure_get_uint64 (details, "restamped", &restamped));
  fail_unless_equals_uint64 (restamped, 1);
  fail_unless_equals_uint64 (stat_u64 (e, "late"), 12);
  fail_unless_equals_int (moved, 12);
  gst_structure_free (details);
  g_print ("late warnings: 12 captions re-stamped to the clock, 1 warning\n");
  output_clear (&out);
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
}

GST_END_TEST;

/* Live, the text starts with an empty GAP at the first frame (sinks
 * preroll on it instead of waiting for the first caption); not in a file
 * pipeline. */
GST_START_TEST (test_live_preroll)
{
  for (gint live = 0; live < 2; live++) {
    GstElement *e = new_caption ("window", 1000, "frames-per-window", 2,
        NULL);
    GstHarness *h = caption_harness (e, live, 5);
    Output out;

    push_frames (h, 5, 5, 3 * GST_SECOND);
    fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
    caption_output_init (&out);
    collect_until_eos (h, &out);
    fail_unless_equals_int (out.preroll_gaps, live);
    check_tiling (&out, 3 * GST_SECOND, 4 * GST_SECOND);
    output_clear (&out);
    gst_harness_teardown (h);
    gst_object_unref (e);
  }
  g_print ("live preroll: an empty GAP first when live, none otherwise\n");
}

GST_END_TEST;

/* videotestsrc (I420) through gemma4caption into srtenc and a file: one
 * subtitle per 1 s window, timed as the windows. */
GST_START_TEST (test_srt_pipeline)
{
  gchar *path = NULL;
  gint fd = g_file_open_tmp ("gemma4-caption-XXXXXX.srt", &path, NULL);
  gchar *desc, *srt = NULL;
  GError *error = NULL;
  GstElement *pipeline;
  GstBus *bus;
  GstMessage *msg;
  guint entries = 0;

  fail_unless (fd >= 0);
  close (fd);
  desc = g_strdup_printf ("videotestsrc num-buffers=30 ! "
      "video/x-raw, format=I420, width=64, height=48, framerate=10/1 ! "
      "gemma4caption window=1000 frames-per-window=2 max-tokens=3 "
      "n-threads=2 model-path=\"%s\" mmproj-path=\"%s\" ! srtenc ! "
      "filesink location=\"%s\"", model_path, mmproj_path, path);
  pipeline = gst_parse_launch (desc, &error);
  fail_unless (pipeline != NULL, "%s", error ? error->message : "?");
  bus = gst_element_get_bus (pipeline);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "the pipeline did not reach EOS");
  gst_message_unref (msg);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (g_file_get_contents (path, &srt, NULL, NULL));
  for (const gchar * p = srt; (p = strstr (p, " --> ")); p++)
    entries++;
  fail_unless_equals_int (entries, 3);
  fail_unless (strstr (srt, "00:00:00,000 --> 00:00:01,000") != NULL, "%s",
      srt);
  fail_unless (strstr (srt, "00:00:01,000 --> 00:00:02,000") != NULL, "%s",
      srt);
  fail_unless (strstr (srt, "00:00:02,000 --> 00:00:03,000") != NULL, "%s",
      srt);
  g_print ("srt pipeline: 3 s of I420 videotestsrc -> 3 subtitles, 0-1, 1-2, "
      "2-3 s\n");
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_unlink (path);
  g_free (path);
  g_free (srt);
  g_free (desc);
}

GST_END_TEST;

GST_START_TEST (test_latency_query)
{
  GstElement *e = new_caption (NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = caption_harness (e, TRUE, 5);
  GstHarness *hj = gst_harness_new_with_element (e, NULL, "json_src");
  gboolean live;
  GstClockTime min, max;

  /* live: upstream + window + latency, on both src pads */
  gst_harness_set_upstream_latency (h, 100 * MS);
  query_latency (h, &live, &min, &max);
  fail_unless (live);
  fail_unless_equals_uint64 (min, (100 + 10000 + 2000) * MS);
  query_latency (hj, &live, &min, &max);
  fail_unless (live);
  fail_unless_equals_uint64 (min, (100 + 10000 + 2000) * MS);

  /* a new window posts a LATENCY message and changes the answer */
  expect_latency_message (e, bus, "window", 4000, NULL);
  query_latency (h, &live, &min, &max);
  fail_unless_equals_uint64 (min, (100 + 4000 + 2000) * MS);

  gst_harness_set_live (h, FALSE);
  query_latency (h, &live, &min, &max);
  fail_if (live);
  fail_unless_equals_uint64 (min, 100 * MS);
  g_print ("latency: live 12.1 s, 6.1 s after a window change (LATENCY "
      "message), not live when upstream is not\n");
  gst_harness_teardown (hj);
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
}

GST_END_TEST;

/* FLUSH_START stops a long generation at once; FLUSH_STOP clears the
 * windows and history and the element captions the next segment. */
GST_START_TEST (test_flush)
{
  GstElement *e = new_caption ("window", 1000, "frames-per-window", 2,
      "max-tokens", 3000, NULL);
  GstHarness *h = caption_harness (e, FALSE, 5);
  GstSegment seg;
  gint64 flush_us;
  Output out;

  /* one complete window (closed by the frame at 1 s) and one open */
  push_frames (h, 6, 5, 0);
  g_usleep (300000);
  flush_us = check_flush_cancels (h, e);

  g_object_set (e, "max-tokens", 3, NULL);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  push_frames (h, 5, 5, 0);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  caption_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 0, GST_SECOND);
  fail_unless_equals_int (out.spans->len, 1);
  fail_unless (g_str_has_suffix (prompt_of (span (&out, 0)), "(none) Describe "
          "what happens in these frames in one or two sentences."),
      "history survived the flush: %s", prompt_of (span (&out, 0)));
  fail_unless_equals_uint64 (stat_u64 (e, "jobs"), 1);
  g_print ("flush: a 3000-token caption cancelled in %.1f ms, then a new "
      "segment captioned with no history\n", flush_us / 1e3);
  output_clear (&out);
  gst_harness_teardown (h);
  gst_object_unref (e);
}

GST_END_TEST;

/* NULL <-> PLAYING while captioning, half the time mid-generation: every
 * teardown is quick; the last cycle gets a caption. */
GST_START_TEST (test_state_cycles)
{
  const guint cycles = 10;
  GstElement *keeper = new_caption (NULL);
  GstElement *e = new_caption ("window", 1000, "frames-per-window", 2,
      "max-tokens", 200, NULL);
  GstHarness *h;
  gint64 worst = 0;

  /* a READY element keeps the model loaded: the cycles measure the
   * element, not file loading */
  fail_unless_equals_int (gst_element_set_state (keeper, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  h = gst_harness_new_with_element (e, "sink", "src");
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  for (guint c = 0; c < cycles; c++) {
    GstEvent *ev;
    GstBuffer *buf;
    gint64 t0;
    gchar *id = g_strdup_printf ("cycle-%u", c);
    gchar *caps = g_strdup_printf ("video/x-raw, format=RGB, width=%d, "
        "height=%d, framerate=5/1", WIDTH, HEIGHT);

    fail_unless (gst_element_set_state (e, GST_STATE_PLAYING) !=
        GST_STATE_CHANGE_FAILURE);
    gst_harness_push_event (h, gst_event_new_stream_start (id));
    gst_harness_set_src_caps_str (h, caps);
    g_free (id);
    g_free (caps);
    if (c == cycles - 1)
      g_object_set (e, "max-tokens", 3, NULL);
    push_frames (h, 6, 5, 0);
    if (c == cycles - 1) {
      buf = gst_harness_pull (h);
      fail_unless (buf != NULL, "no caption in the last cycle");
      gst_buffer_unref (buf);
    } else if (c % 2) {
      g_usleep (100000);
    }
    t0 = g_get_monotonic_time ();
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    worst = MAX (worst, g_get_monotonic_time () - t0);
    while ((ev = gst_harness_try_pull_event (h)))
      gst_event_unref (ev);
    while ((buf = gst_harness_try_pull (h)))
      gst_buffer_unref (buf);
  }
  fail_unless (worst < 2000000, "a teardown took %" G_GINT64_FORMAT " us",
      worst);
  g_print ("state cycles: %u NULL<->PLAYING (half mid-generation), worst "
      "teardown %.1f ms\n", cycles, worst / 1e3);
  gst_harness_teardown (h);
  gst_object_unref (e);
  fail_unless_equals_int (gst_element_set_state (keeper, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (keeper);
}

GST_END_TEST;

/* Frames without timestamps follow the previous frame (the first one starts
 * the segment); frames without a duration or frame rate (a still image,
 * variable-rate video) let the last caption run to its window's end. */
GST_START_TEST (test_untimed)
{
  GstElement *e = new_caption ("window", 1000, "frames-per-window", 2, NULL);
  GstHarness *h = caption_harness (e, FALSE, 0);
  const guint f0[] = { 0, 0 }, f1[] = { 0, 450 }, f2[] = { 1200, 1250 };
  Output out;

  for (guint i = 0; i < 3; i++)
    push_frame (h, WIDTH * HEIGHT * 3, i, GST_CLOCK_TIME_NONE,
        GST_CLOCK_TIME_NONE);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  caption_output_init (&out);
  collect_until_eos (h, &out);
  fail_unless_equals_int (out.spans->len, 1);
  check_caption (span (&out, 0), 0, GST_SECOND, GST_SECOND, f0, 2);
  output_clear (&out);
  gst_harness_teardown (h);
  gst_object_unref (e);

  /* variable rate, no durations: 0, 300, 450, 900 | 1200, 1250 ms */
  e = new_caption ("window", 1000, "frames-per-window", 2, NULL);
  h = caption_harness (e, FALSE, 0);
  for (guint i = 0; i < 6; i++) {
    const guint ms[] = { 0, 300, 450, 900, 1200, 1250 };
    push_frame (h, WIDTH * HEIGHT * 3, i, ms[i] * MS, GST_CLOCK_TIME_NONE);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  caption_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 0, 2 * GST_SECOND);
  fail_unless_equals_int (out.spans->len, 2);
  check_caption (span (&out, 0), 0, GST_SECOND, GST_SECOND, f1, 2);
  check_caption (span (&out, 1), GST_SECOND, GST_SECOND, GST_SECOND, f2, 2);
  g_print ("untimed: 3 frames without timestamps -> one 1 s caption; "
      "variable-rate frames without durations -> 0-1 s and 1-2 s\n");
  output_clear (&out);
  gst_harness_teardown (h);
  gst_object_unref (e);
}

GST_END_TEST;

/* New caps (size and format) in the middle of a window: the window gets
 * frames of both. */
GST_START_TEST (test_caps_change)
{
  GstElement *e = new_caption ("window", 1000, "frames-per-window", 5, NULL);
  GstHarness *h = caption_harness (e, FALSE, 5);
  const guint f0[] = { 0, 200, 400, 600, 800 };
  GstCaps *caps;
  Output out;

  push_frames (h, 3, 5, 0);
  /* the caps alone (gst_harness_set_src_caps also sends a new segment) */
  caps = gst_caps_from_string ("video/x-raw, format=I420, width=48, "
      "height=20, framerate=5/1");
  fail_unless (gst_harness_push_event (h, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  for (guint i = 3; i < 5; i++)
    push_frame (h, 48 * 20 + 2 * 24 * 10, i, i * 200 * MS, 200 * MS);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  caption_output_init (&out);
  collect_until_eos (h, &out);
  fail_unless_equals_int (out.spans->len, 1);
  check_caption (span (&out, 0), 0, GST_SECOND, GST_SECOND, f0, 5);
  g_print ("caps change: RGB 32x24 then I420 48x20 in one window -> one "
      "caption of 5 frames\n");
  output_clear (&out);
  gst_harness_teardown (h);
  gst_object_unref (e);
}

GST_END_TEST;

/* A segment from 10 s whose stream time starts at 60 s: frames before it
 * (a decoder's lead-in after a seek) are clipped, captions keep the buffer
 * times, the prompt says stream time. */
GST_START_TEST (test_segment_start)
{
  GstElement *e = new_caption ("window", 1000, "frames-per-window", 1,
      "prompt", "S={start} E={end}", NULL);
  GstHarness *h = caption_harness (e, FALSE, 5);
  const guint f0[] = { 10000 }, f1[] = { 11000 };
  GstSegment seg;
  Output out;

  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = 10 * GST_SECOND;
  seg.time = 60 * GST_SECOND;
  seg.position = seg.start;
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  push_frames (h, 9, 5, 9600 * MS);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  caption_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 10 * GST_SECOND, 11400 * MS);
  fail_unless_equals_int (out.spans->len, 2);
  check_caption (span (&out, 0), 10 * GST_SECOND, GST_SECOND, GST_SECOND,
      f0, 1);
  check_caption (span (&out, 1), 11 * GST_SECOND, 400 * MS, 400 * MS, f1, 1);
  fail_unless (g_str_has_suffix (prompt_of (span (&out, 0)),
          "S=01:00 E=01:01"), "%s", prompt_of (span (&out, 0)));
  g_print ("segment start: frames from 9.6 s, segment from 10 s (stream time "
      "60 s) -> 2 frames clipped, captions at 10 and 11 s, prompt "
      "\"S=01:00 E=01:01\"\n");
  output_clear (&out);
  gst_harness_teardown (h);
  gst_object_unref (e);
}

GST_END_TEST;

/* window-overlap changed while frames flow applies from the next window;
 * one that disagrees with window keeps the last valid windows, with a
 * warning, instead of stopping the stream. */
GST_START_TEST (test_overlap_change)
{
  GstElement *e = new_caption ("window", 1000, "frames-per-window", 1, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = caption_harness (e, FALSE, 5);
  GstMessage *msg;
  GError *gerr = NULL;
  Output out;

  push_frames (h, 3, 5, 0);
  g_object_set (e, "window-overlap", 500, NULL);
  push_frames (h, 6, 5, 600 * MS);
  g_object_set (e, "window-overlap", 1500, NULL);
  push_frames (h, 6, 5, 1800 * MS);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  caption_output_init (&out);
  collect_until_eos (h, &out);
  check_tiling (&out, 0, 3 * GST_SECOND);
  /* windows from 0, 1, 1.5, 2 and 2.5 s */
  fail_unless_equals_int (out.spans->len, 5);
  fail_unless_equals_uint64 (span (&out, 0)->duration, GST_SECOND);
  fail_unless_equals_uint64 (span (&out, 1)->start, GST_SECOND);
  fail_unless_equals_uint64 (span (&out, 1)->duration, 500 * MS);
  fail_unless_equals_uint64 (span (&out, 4)->start, 2500 * MS);
  /* pop_filtered drops the other types */
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING | GST_MESSAGE_ERROR);
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING,
      "no warning for window-overlap > window");
  gst_message_parse_warning (msg, &gerr, NULL);
  fail_unless (strstr (gerr->message, "window-overlap (1500 ms)") != NULL,
      "%s", gerr->message);
  g_print ("overlap change: window-overlap 0 -> 500 ms at 0.5 s: windows "
      "from 0, 1, 1.5, 2, 2.5 s; 1500 ms at 1.7 s: \"%s\"\n", gerr->message);
  g_error_free (gerr);
  gst_message_unref (msg);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING |
          GST_MESSAGE_ERROR) == NULL, "the warning came more than once, or "
      "an error");
  output_clear (&out);
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
}

GST_END_TEST;

static Suite *
gemma4caption_suite (void)
{
  Suite *s = suite_create ("gemma4caption");
  TCase *tc = tcase_create ("general");

  element_test_setup ();
  tcase_set_timeout (tc, 80);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_bad_properties);
  tcase_add_test (tc, test_live_property_checks);
  tcase_add_test (tc, test_late_warnings);
  tcase_add_test (tc, test_live_preroll);
  tcase_add_test (tc, test_windows);
  tcase_add_test (tc, test_sample_fps);
  tcase_add_test (tc, test_overlap);
  tcase_add_test (tc, test_memory_bound);
  tcase_add_test (tc, test_gaps);
  tcase_add_test (tc, test_native_size);
  tcase_add_test (tc, test_unencodable_frames);
  tcase_add_test (tc, test_live_overload);
  tcase_add_test (tc, test_late_results);
  tcase_add_test (tc, test_srt_pipeline);
  tcase_add_test (tc, test_latency_query);
  tcase_add_test (tc, test_flush);
  tcase_add_test (tc, test_state_cycles);
  tcase_add_test (tc, test_untimed);
  tcase_add_test (tc, test_caps_change);
  tcase_add_test (tc, test_segment_start);
  tcase_add_test (tc, test_overlap_change);
  return s;
}

GST_CHECK_MAIN (gemma4caption);
