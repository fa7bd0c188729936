/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4vision on the real engine (tiny generated E2B-like model, vision
 * mmproj fixture): properties and configuration errors, every video format
 * (negotiation, bit-identical passthrough, a result each), the attach modes,
 * sampling, live overload, ROI metas through videoscale, the JSON and text
 * outputs, constrained detection, flushes and state changes mid-inference.
 * The tiny model's text is gibberish: the tests check structure, timing,
 * counts and geometry. GEMMA4_TEST_MODEL, GEMMA4_TEST_MMPROJ and
 * GEMMA4_TEST_AUDIO_MMPROJ name the files; GST_CHECKS picks one test. */
#include <stdio.h>
#include <string.h>

#include <gst/video/video.h>

#include "element_test_util.h"
#include "gstgemma4result.h"

#define W 64
#define H 48
#define FRAME_DURATION (GST_SECOND / 10)
/* how long a test waits for a result before it fails: 20 s, or
 * GEMMA4_TEST_RESULT_TIMEOUT seconds (runs under valgrind) */
#define RESULT_TIMEOUT result_timeout
static GstClockTime result_timeout = 20 * GST_SECOND;

static const gchar *audio_mmproj_path;

/* A gemma4vision with the test model, 2 threads and short answers; the
 * latency budget is large because attach=exact holds the first frame while
 * the model loads. */
#define new_vision(...) element_test_new ("gemma4vision", 3, "latency", \
    30000, __VA_ARGS__)

static gchar *
caps_string (const gchar * format, gint w, gint h)
{
  return g_strdup_printf ("video/x-raw, format=%s, width=%d, height=%d, "
      "framerate=10/1", format, w, h);
}

/* A frame of a deterministic pattern (every byte, padding included). */
static GstBuffer *
make_frame (const gchar * format, gint w, gint h, guint n)
{
  GstVideoInfo info;
  GstBuffer *buf;
  GstMapInfo map;

  fail_unless (gst_video_info_set_format (&info,
          gst_video_format_from_string (format), w, h));
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  for (gsize i = 0; i < map.size; i++)
    map.data[i] = (guint8) (i * 31 + n * 17 + (i / 97));
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = n * FRAME_DURATION;
  GST_BUFFER_DURATION (buf) = FRAME_DURATION;
  return buf;
}

static GstHarness *
video_harness (GstElement * e, const gchar * format, gint width, gint height,
    gboolean live)
{
  GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
  gchar *caps = caps_string (format, width, height);

  gst_harness_set_live (h, live);
  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
  return h;
}

/* The next gemma4-result message (a structure to free), NULL on timeout. */
static GstStructure *
wait_result (GstBus * bus)
{
  for (;;) {
    GstMessage *m = gst_bus_timed_pop_filtered (bus, RESULT_TIMEOUT,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR);
    GstStructure *s;

    if (!m)
      return NULL;
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
      GError *err = NULL;
      gst_message_parse_error (m, &err, NULL);
      fail ("error while waiting for a result: %s", err->message);
    }
    if (gst_message_has_name (m, "gemma4-result")) {
      s = gst_structure_copy (gst_message_get_structure (m));
      gst_message_unref (m);
      return s;
    }
    gst_message_unref (m);
  }
}

/* Until the PROGRESS message that says the model is loaded. */
static void
wait_loaded (GstBus * bus)
{
  for (;;) {
    GstMessage *m = gst_bus_timed_pop_filtered (bus, RESULT_TIMEOUT,
        GST_MESSAGE_PROGRESS);
    GstProgressType type;

    fail_unless (m != NULL, "the model did not load");
    gst_message_parse_progress (m, &type, NULL, NULL);
    gst_message_unref (m);
    if (type == GST_PROGRESS_TYPE_COMPLETE)
      return;
  }
}

/* The result meta's structure on buf, or NULL. */
static const GstStructure *
result_of (GstBuffer * buf)
{
  GstCustomMeta *meta = gst_buffer_get_custom_meta (buf,
      "GstGemma4ResultMeta");

  return meta ? gst_custom_meta_get_structure (meta) : NULL;
}

static guint64
source_pts (GstBuffer * buf)
{
  const GstStructure *s = result_of (buf);
  guint64 pts = GST_CLOCK_TIME_NONE;

  fail_unless (s != NULL, "no result meta on the frame at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (GST_BUFFER_PTS (buf)));
  fail_unless (gst_structure_get_uint64 (s, "start", &pts));
  return pts;
}

/* The JSON form of the result meta on buf, as the JSON pad writes it
 * (valid until the next call). */
static const gchar *
json_of (GstBuffer * buf)
{
  static gchar *json;

  g_free (json);
  json = gst_gemma4_result_to_json (result_of (buf));
  return json;
}

static guint
n_objects (const GstStructure * r)
{
  const GValue *objects = gst_structure_get_value (r, "objects");

  fail_unless (objects && GST_VALUE_HOLDS_ARRAY (objects));
  return gst_value_array_get_size (objects);
}

static gboolean
is_repeated (GstBuffer * buf)
{
  gboolean repeated = FALSE;

  fail_unless (gst_structure_get_boolean (result_of (buf), "repeated",
          &repeated));
  return repeated;
}

static void
check_same_bytes (GstBuffer * a, GstBuffer * b)
{
  GstMapInfo ma, mb;

  fail_unless (gst_buffer_map (a, &ma, GST_MAP_READ));
  fail_unless (gst_buffer_map (b, &mb, GST_MAP_READ));
  fail_unless_equals_uint64 (ma.size, mb.size);
  fail_unless (memcmp (ma.data, mb.data, ma.size) == 0,
      "the frame's bytes changed");
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
}

/* Pushes frame n, pulls it back and checks its bytes. */
static GstBuffer *
push_pull (GstHarness * h, const gchar * format, gint w, gint hh, guint n)
{
  GstBuffer *in = make_frame (format, w, hh, n);
  GstBuffer *ref = gst_buffer_copy_deep (in);
  GstBuffer *out;

  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != NULL);
  check_same_bytes (ref, out);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), n * FRAME_DURATION);
  gst_buffer_unref (ref);
  return out;
}

static void
expect_error (GstBus * bus, const gchar * what)
{
  check_error_mentions (gst_bus_timed_pop_filtered (bus, RESULT_TIMEOUT,
          GST_MESSAGE_ERROR), what);
}

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("gemma4vision", NULL);
  guint soft, interval, min_interval, latency, max_tokens;
  gint task, size, attach, region, leaky;
  gchar *labels, *object_class;
  GstStructure *stats;
  GstPad *text, *json;

  fail_unless (e != NULL);
  g_object_get (e, "task", &task, "image-size", &size, "max-soft-tokens",
      &soft, "inference-interval", &interval, "min-interval", &min_interval,
      "attach", &attach, "inference-region", &region, "labels", &labels,
      "object-class", &object_class, "latency", &latency, "max-tokens",
      &max_tokens, "leaky", &leaky, NULL);
  fail_unless_equals_int (task, 0);     /* describe */
  fail_unless_equals_int (size, 1);     /* budget */
  fail_unless_equals_int (soft, 70);
  fail_unless_equals_int (interval, 1);
  fail_unless_equals_int (min_interval, 0);
  fail_unless_equals_int (attach, 0);   /* next */
  fail_unless_equals_int (region, 0);   /* full-frame */
  fail_unless_equals_int (latency, 1000);
  fail_unless_equals_int (max_tokens, 256);
  fail_unless_equals_int (leaky, 2);    /* auto */
  fail_unless (labels == NULL && object_class == NULL);

  gst_util_set_object_arg (G_OBJECT (e), "task", "detect");
  gst_util_set_object_arg (G_OBJECT (e), "attach", "repeat");
  gst_util_set_object_arg (G_OBJECT (e), "image-size", "native");
  gst_util_set_object_arg (G_OBJECT (e), "inference-region", "roi-list");
  g_object_set (e, "labels", "person, car", "max-soft-tokens", 280,
      "object-class", "face", NULL);
  g_object_get (e, "task", &task, "attach", &attach, "image-size", &size,
      "inference-region", &region, "labels", &labels, "max-soft-tokens",
      &soft, "object-class", &object_class, NULL);
  fail_unless_equals_int (task, 1);
  fail_unless_equals_int (attach, 2);
  fail_unless_equals_int (size, 0);
  fail_unless_equals_int (region, 1);
  fail_unless_equals_int (soft, 280);
  fail_unless_equals_string (labels, "person, car");
  fail_unless_equals_string (object_class, "face");
  g_free (labels);
  g_free (object_class);

  ASSERT_WARNING (g_object_set (e, "max-soft-tokens", 69, NULL));
  ASSERT_WARNING (g_object_set (e, "max-soft-tokens", 1121, NULL));
  ASSERT_WARNING (g_object_set (e, "inference-interval", 0, NULL));
  g_object_get (e, "max-soft-tokens", &soft, NULL);
  fail_unless_equals_int (soft, 280);

  g_object_get (e, "stats", &stats, NULL);
  fail_unless (gst_structure_has_name (stats, "gemma4-stats"));
  fail_unless (gst_structure_has_field (stats, "held-timeouts"));
  gst_structure_free (stats);

  text = gst_element_request_pad_simple (e, "text_src");
  json = gst_element_request_pad_simple (e, "json_src");
  fail_unless (text && json);
  gst_element_release_request_pad (e, text);
  gst_element_release_request_pad (e, json);
  gst_object_unref (text);
  gst_object_unref (json);
  g_print ("properties: defaults, enums by nick, 3 out-of-range values "
      "refused, request pads\n");
  gst_object_unref (e);
}

GST_END_TEST;

GST_START_TEST (test_configuration_errors)
{
  GstElement *e;
  GstHarness *h;
  GstBus *bus;
  GstFlowReturn ret = GST_FLOW_OK;

  expect_ready_failure (new_vision ("task", 3, NULL), "labels");
  expect_ready_failure (new_vision ("task", 3, "labels", " , ", NULL),
      "labels");
  expect_ready_failure (new_vision ("task", 4, NULL), "prompt");
  expect_ready_failure (new_vision ("mmproj-path", NULL, NULL),
      "mmproj-path is not set");

  /* an mmproj with only an audio encoder: a clear error on the first frame,
   * data refused, and the element still shuts down */
  e = new_vision ("mmproj-path", audio_mmproj_path, NULL);
  bus = attach_bus (e);
  h = video_harness (e, "RGB", W, H, FALSE);
  for (guint i = 0; i < 500 && ret == GST_FLOW_OK; i++) {
    ret = gst_harness_push (h, make_frame ("RGB", W, H, i));
    g_usleep (20000);
  }
  fail_unless_equals_int (ret, GST_FLOW_ERROR);
  expect_error (bus, "vision encoder");
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
  g_print ("configuration errors: classify without labels, custom without "
      "prompt, no mmproj, audio-only mmproj\n");
}

GST_END_TEST;

/* Values the jobs cannot run with are refused in PLAYING (old value kept,
 * a warning naming the placeholder kind), the model's properties too; the
 * stream goes on. At startup the same values are errors. */
GST_START_TEST (test_live_property_checks)
{
  GstElement *e = new_vision (NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = video_harness (e, "RGB", W, H, FALSE);
  GstStructure *r;
  gchar *path = NULL;
  gint task;

  wait_loaded (bus);
  expect_refused (e, bus, "prompt", "describe <|audio|>",
      "gemma4vision takes <|image|>, the prompt has <|audio|>");
  expect_refused (e, bus, "prompt", "<|image|> and <|image|>", "2 times");
  expect_refused (e, bus, "system-prompt", "look <|image|>", "<|image|>");
  expect_refused (e, bus, "labels", "cat, <|audio|>", "<|audio|>");
  expect_refused (e, bus, "task", "custom", "prompt");
  expect_refused (e, bus, "task", "classify", "labels");
  expect_refused (e, bus, "prompt-path", "/nonexistent/prompt.txt",
      "Could not read");
  expect_load_properties_refused (e, bus);
  /* prompt-path "" is unset */
  g_object_set (e, "prompt-path", "", NULL);
  g_object_get (e, "prompt-path", &path, NULL);
  fail_unless (path == NULL);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING) == NULL);
  /* in the right order a change is taken */
  expect_taken (e, bus, "prompt", "<|image|> What is it?");
  expect_taken (e, bus, "labels", "cat,dog");
  gst_util_set_object_arg (G_OBJECT (e), "task", "classify");
  g_object_get (e, "task", &task, NULL);
  fail_unless_equals_int (task, 3);
  expect_refused (e, bus, "labels", "", "labels");

  fail_unless_equals_int (gst_harness_push (h, make_frame ("RGB", W, H, 0)),
      GST_FLOW_OK);
  r = wait_result (bus);
  fail_unless (r != NULL, "no result after the refused values");
  fail_unless_equals_string (gst_structure_get_string (r, "task"),
      "classify");
  gst_structure_free (r);
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);

  expect_ready_failure (new_vision ("prompt", "what <|audio|>", NULL),
      "gemma4vision takes <|image|>, the prompt has <|audio|>");
  /* set in READY: an error going to PAUSED */
  e = new_vision (NULL);
  bus = attach_bus (e);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  g_object_set (e, "prompt", "<|audio|>", NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  check_error_mentions (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR),
      "<|audio|>");
  gst_element_set_state (e, GST_STATE_NULL);
  detach_bus (e, bus);
  gst_object_unref (e);
}

GST_END_TEST;

/* image-size=native: a frame the encoder cannot take (1x1000) is skipped
 * with one warning, counted, its record dropped; the stream goes on. */
GST_START_TEST (test_unencodable_frame)
{
  GstElement *e = new_vision ("image-size", 0, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = video_harness (e, "RGB", 1, 1000, FALSE);
  guint dropped;

  for (guint i = 0; i < 2; i++)
    fail_unless_equals_int (gst_harness_push (h, make_frame ("RGB", 1, 1000,
                i)), GST_FLOW_OK);
  gst_harness_set_src_caps_str (h, "video/x-raw, format=RGB, width=64, "
      "height=48, framerate=10/1");
  fail_unless_equals_int (gst_harness_push (h, make_frame ("RGB", W, H, 2)),
      GST_FLOW_OK);
  /* EOS waits for the jobs */
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (count_results (bus, "dropped", &dropped), 3);
  fail_unless_equals_int (dropped, 2);
  fail_unless_equals_int (count_warnings (bus, NULL, NULL), 1);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
  fail_unless_equals_uint64 (stat_u64 (e, "skipped-frames"), 2);
  fail_unless_equals_uint64 (stat_u64 (e, "jobs"), 1);
  g_print ("unencodable frame: two 1x1000 frames skipped (dropped records, "
      "1 warning), then a 64x48 one inferred\n");
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
}

GST_END_TEST;

static const gchar *formats[] = { "RGB", "BGR", "RGBA", "BGRA", "ARGB",
  "ABGR", "RGBx", "BGRx", "xRGB", "xBGR", "GRAY8", "I420", "YV12", "NV12"
};

GST_START_TEST (test_caps)
{
  gdouble total_ms = 0;

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    /* odd sizes exercise strides and chroma rounding */
    GstElement *e = new_vision ("max-tokens", 1, "attach", 1, NULL);
    GstBus *bus = attach_bus (e);
    GstHarness *h = video_harness (e, formats[f], 50, 37, FALSE);
    GstBuffer *out = push_pull (h, formats[f], 50, 37, 0);
    GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
    GstStructure *r = wait_result (bus);
    guint64 t = 0;

    fail_unless (r != NULL, "%s: no result", formats[f]);
    fail_unless_equals_string (gst_structure_get_string (gst_caps_get_structure
            (caps, 0), "format"), formats[f]);
    /* attach=exact: the frame carries its own result */
    fail_unless_equals_uint64 (source_pts (out), 0);
    fail_unless (gst_structure_get_uint64 (r, "inference_time", &t));
    total_ms += t / 1e6;
    gst_structure_free (r);
    gst_caps_unref (caps);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
    detach_bus (e, bus);
    gst_object_unref (e);
  }
  g_print ("caps: %u formats negotiated at 50x37, bytes identical, a result "
      "each (mean inference %.0f ms)\n", (guint) G_N_ELEMENTS (formats),
      total_ms / G_N_ELEMENTS (formats));
}

GST_END_TEST;

GST_START_TEST (test_attach_modes)
{
  GstElement *e;
  GstBus *bus;
  GstHarness *h;
  GstBuffer *out;
  GstStructure *r;

  /* next: the frame described goes out at once, its result on a later one */
  e = new_vision (NULL);
  bus = attach_bus (e);
  h = video_harness (e, "RGB", W, H, FALSE);
  g_object_set (e, "inference-interval", 100, NULL);
  out = push_pull (h, "RGB", W, H, 0);
  fail_unless (result_of (out) == NULL, "attach=next waited for a result");
  gst_buffer_unref (out);
  r = wait_result (bus);
  fail_unless (r != NULL);
  gst_structure_free (r);
  out = push_pull (h, "RGB", W, H, 1);
  fail_unless_equals_uint64 (source_pts (out), 0);
  fail_unless (!is_repeated (out));
  gst_buffer_unref (out);
  out = push_pull (h, "RGB", W, H, 2);
  fail_unless (result_of (out) == NULL, "attach=next attached twice");
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);

  /* exact: every inferred frame carries its own result */
  e = new_vision ("attach", 1, "inference-interval", 2, NULL);
  h = video_harness (e, "RGB", W, H, FALSE);
  for (guint i = 0; i < 6; i++) {
    out = push_pull (h, "RGB", W, H, i);
    if (i % 2 == 0) {
      fail_unless_equals_uint64 (source_pts (out), i * FRAME_DURATION);
    } else {
      fail_unless (result_of (out) == NULL);
    }
    gst_buffer_unref (out);
  }
  fail_unless_equals_uint64 (stat_u64 (e, "held-timeouts"), 0);
  gst_harness_teardown (h);
  gst_object_unref (e);

  /* exact with a 1 ms budget: the frame leaves without its result, which
   * then goes on no other frame */
  e = new_vision ("attach", 1, "inference-interval", 100, "latency", 1, NULL);
  bus = attach_bus (e);
  h = video_harness (e, "RGB", W, H, FALSE);
  out = push_pull (h, "RGB", W, H, 0);
  fail_unless (result_of (out) == NULL);
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (stat_u64 (e, "held-timeouts"), 1);
  r = wait_result (bus);
  fail_unless (r != NULL);
  gst_structure_free (r);
  out = push_pull (h, "RGB", W, H, 1);
  fail_unless (result_of (out) == NULL, "a late result landed on frame 1");
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);

  /* repeat: a new result once, then repeated on every frame until the next */
  e = new_vision ("attach", 2, "inference-interval", 3, NULL);
  bus = attach_bus (e);
  h = video_harness (e, "RGB", W, H, FALSE);
  gst_buffer_unref (push_pull (h, "RGB", W, H, 0));
  r = wait_result (bus);
  fail_unless (r != NULL);
  gst_structure_free (r);
  for (guint i = 1; i < 3; i++) {
    out = push_pull (h, "RGB", W, H, i);
    fail_unless_equals_uint64 (source_pts (out), 0);
    fail_unless_equals_int (is_repeated (out), i > 1);
    gst_buffer_unref (out);
  }
  out = push_pull (h, "RGB", W, H, 3);  /* inferred: its result comes later */
  fail_unless_equals_uint64 (source_pts (out), 0);
  fail_unless (is_repeated (out));
  gst_buffer_unref (out);
  r = wait_result (bus);
  fail_unless (r != NULL);
  gst_structure_free (r);
  out = push_pull (h, "RGB", W, H, 4);
  fail_unless_equals_uint64 (source_pts (out), 3 * FRAME_DURATION);
  fail_unless (!is_repeated (out));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
  g_print ("attach: next puts frame 0's result on frame 1 only; exact on "
      "frames 0, 2, 4 themselves (with a 1 ms budget on none, 1 "
      "held-timeout); repeat marks frames 2 and 3 repeated\n");
}

GST_END_TEST;

/* Pushes n frames spaced by step, then EOS; returns the jobs run. */
static guint64
sampled (GstElement * e, guint n, GstClockTime step)
{
  GstHarness *h = video_harness (e, "GRAY8", W, H, FALSE);
  guint64 jobs;

  for (guint i = 0; i < n; i++) {
    GstBuffer *b = make_frame ("GRAY8", W, H, i);
    GST_BUFFER_PTS (b) = i * step;
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  jobs = stat_u64 (e, "jobs") + stat_u64 (e, "drops");
  gst_harness_teardown (h);
  return jobs;
}

GST_START_TEST (test_sampling)
{
  GstElement *a = new_vision ("inference-interval", 3, "max-tokens", 1, NULL);
  GstElement *b = new_vision ("min-interval", 250, "max-tokens", 1, NULL);
  guint64 by_count = sampled (a, 10, FRAME_DURATION);
  /* frames at 0, 100, ... 900 ms: 0, 300, 600 and 900 are 250 ms apart */
  guint64 by_time = sampled (b, 10, 100 * GST_MSECOND);

  fail_unless_equals_uint64 (by_count, 4);      /* frames 0, 3, 6, 9 */
  fail_unless_equals_uint64 (by_time, 4);
  g_print ("sampling: inference-interval=3 inferred %" G_GUINT64_FORMAT
      " of 10 frames, min-interval=250 ms %" G_GUINT64_FORMAT " of 10 frames "
      "100 ms apart (4 and 4 expected)\n", by_count, by_time);
  gst_object_unref (a);
  gst_object_unref (b);
}

GST_END_TEST;

GST_START_TEST (test_live_overload)
{
  /* many tokens per job: the worker is far slower than the frames */
  GstElement *e = new_vision ("max-tokens", 40, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = video_harness (e, "RGB", 160, 120, TRUE);
  GstHarness *th = gst_harness_new_with_element (e, NULL, "text_src");
  GstEvent *ev;
  gint64 worst = 0;
  guint64 jobs, drops, qos = 0, gaps = 0;
  guint dropped, results;
  guint64 last_dropped, first_processed;
  gint64 pushing;
  const guint n = 30;

  wait_loaded (bus);
  pushing = g_get_monotonic_time ();
  /* 50 fps: far faster than an inference of 40 tokens */
  for (guint i = 0; i < n; i++) {
    GstBuffer *b = make_frame ("RGB", 160, 120, i);
    gint64 t0 = g_get_monotonic_time ();
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    worst = MAX (worst, g_get_monotonic_time () - t0);
    gst_buffer_unref (gst_harness_pull (h));
    g_usleep (20000);
  }
  pushing = g_get_monotonic_time () - pushing;
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  jobs = stat_u64 (e, "jobs");
  drops = stat_u64 (e, "drops");
  /* every sampled frame ends in one record: the dropped ones say so */
  results = count_results (bus, "dropped", &dropped);
  qos = count_drop_qos (bus, &last_dropped, &first_processed);
  while ((ev = gst_harness_try_pull_event (th))) {
    gaps += GST_EVENT_TYPE (ev) == GST_EVENT_GAP;
    gst_event_unref (ev);
  }
  g_print ("live overload: %u frames pushed, slowest push %.1f ms, %"
      G_GUINT64_FORMAT " jobs run, %" G_GUINT64_FORMAT " dropped, %"
      G_GUINT64_FORMAT " QOS messages, %" G_GUINT64_FORMAT " text gaps\n", n,
      worst / 1000.0, jobs, drops, qos, gaps);
  /* dropped spans are gaps on the text pad */
  fail_unless (gaps >= drops);
  fail_unless (drops > 0, "nothing dropped under overload");
  fail_unless (jobs >= 2, "the worker ran %" G_GUINT64_FORMAT " jobs", jobs);
  fail_unless_equals_uint64 (jobs + drops, n);
  /* throttled: the first drop, then at most one a second, with the jobs
   * started (the first one was running) */
  fail_unless (qos >= 1 && qos <= 1 + (guint64) pushing / G_USEC_PER_SEC, "%"
      G_GUINT64_FORMAT " QOS messages for %" G_GUINT64_FORMAT " drops in "
      "%.1f s", qos, drops, pushing / 1e6);
  fail_unless (first_processed >= 1);
  fail_unless_equals_int (results, n);
  fail_unless_equals_int (dropped, drops);
  /* a push only refs the frame and queues a job: bounded well below one
   * inference (tolerance 100 ms for a loaded machine) */
  fail_unless (worst < 100000, "a push took %.1f ms", worst / 1000.0);
  gst_harness_teardown (th);
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
}

GST_END_TEST;

/* The region meta gemma4vision made for upstream region parent (upstream
 * metas here have parent_id 0). */
static GstVideoRegionOfInterestMeta *
find_answer (GstBuffer * buf, gint parent)
{
  gpointer state = NULL;
  GstMeta *meta;

  while ((meta = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    if (roi->parent_id == parent)
      return roi;
  }
  return NULL;
}

/* Four gemma4vision elements sharing one model in one pipeline: with
 * max-batch=4 their jobs are decoded together (batch-max > 1), their frames
 * encoded together (image-batch-max > 1), and every element's answers are
 * those of max-batch=1 (one job at a time): batched decoding and encoding
 * are bit-identical, greedy. Runs the pipeline to EOS; returns each
 * element's answers in order, joined by newlines. */
static void
run_shared (guint max_batch, gchar ** texts, guint * batch_max,
    guint * image_batch_max)
{
  GString *desc = g_string_new (NULL);
  const gint patterns[4] = { 0, 4, 7, 18 };
  GstElement *pipe;
  GstBus *bus;
  GstMessage *msg;
  gboolean eos = FALSE;

  for (guint i = 0; i < 4; i++) {
    g_string_append_printf (desc, "videotestsrc num-buffers=3 pattern=%d ! "
        "video/x-raw,format=RGB,width=64,height=48,framerate=10/1 ! "
        "gemma4vision name=v%u model-path=\"%s\" mmproj-path=\"%s\" "
        "max-tokens=8 max-batch=%u scheduling-policy=throughput ! "
        "fakesink sync=false ", patterns[i], i, model_path, mmproj_path,
        max_batch);
    texts[i] = g_strdup ("");
  }
  pipe = gst_parse_launch (desc->str, NULL);
  g_string_free (desc, TRUE);
  fail_unless (pipe != NULL);
  bus = gst_element_get_bus (pipe);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while (!eos && (msg = gst_bus_timed_pop (bus, RESULT_TIMEOUT))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
      check_error_mentions (msg, "(no error expected)");
    else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
      eos = TRUE;
    else if (gst_message_has_name (msg, "gemma4-result")) {
      const gchar *name = GST_OBJECT_NAME (GST_MESSAGE_SRC (msg));
      guint i = (guint) (name[1] - '0');
      gchar *t = texts[i];
      fail_unless (i < 4, "%s", name);
      texts[i] = g_strconcat (t, gst_structure_get_string
          (gst_message_get_structure (msg), "text"), "\n", NULL);
      g_free (t);
    }
    if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ERROR)
      gst_message_unref (msg);
  }
  fail_unless (eos, "no EOS");
  for (guint i = 0; i < 4; i++) {
    gchar *name = g_strdup_printf ("v%u", i);
    GstElement *v = gst_bin_get_by_name (GST_BIN (pipe), name);
    batch_max[i] = (guint) stat_u64 (v, "batch-max");
    image_batch_max[i] = (guint) stat_u64 (v, "image-batch-max");
    fail_unless_equals_uint64 (stat_u64 (v, "jobs"), 3);
    fail_unless_equals_uint64 (stat_u64 (v, "model-users"), 4);
    gst_object_unref (v);
    g_free (name);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
}

GST_START_TEST (test_shared_batch)
{
  gchar *alone[4], *together[4];
  guint max_alone[4], max_together[4], most = 0;
  guint images_alone[4], images_together[4], most_images = 0;

  run_shared (1, alone, max_alone, images_alone);
  run_shared (4, together, max_together, images_together);
  for (guint i = 0; i < 4; i++) {
    fail_unless_equals_int (max_alone[i], 1);
    fail_unless_equals_int (images_alone[i], 1);
    most = MAX (most, max_together[i]);
    most_images = MAX (most_images, images_together[i]);
    fail_unless_equals_int (strlen (together[i]) > 3, TRUE);
    fail_unless_equals_string (together[i], alone[i]);
    g_free (alone[i]);
    g_free (together[i]);
  }
  fail_unless (most >= 2, "the four elements never decoded together");
  g_print ("shared batch: 4 elements x 3 frames, max-batch=4 decoded up to "
      "%u together, encoded up to %u frames in one call, every answer equal "
      "to max-batch=1's\n", most, most_images);
}

GST_END_TEST;

/* The answer of a gemma4vision (max-tokens 30) on frame n; with_other:
 * while another element sharing the model generates a long answer in the
 * same batch, which is then flushed out of it. */
static gchar *
answer_beside (guint n, gboolean with_other)
{
  GstElement *e = new_vision ("max-tokens", 30, NULL);
  GstElement *o = with_other ? new_vision ("max-tokens", 3000, NULL) : NULL;
  GstBus *bus = attach_bus (e), *obus = o ? attach_bus (o) : NULL;
  GstHarness *h = video_harness (e, "RGB", W, H, FALSE);
  GstHarness *oh = o ? video_harness (o, "RGB", W, H, FALSE) : NULL;
  GstStructure *r;
  gchar *text;

  wait_loaded (bus);
  if (o) {
    wait_loaded (obus);
    gst_buffer_unref (push_pull (oh, "RGB", W, H, 7));
  }
  gst_buffer_unref (push_pull (h, "RGB", W, H, n));
  r = wait_result (bus);
  fail_unless (r != NULL, "no answer");
  text = g_strdup (gst_structure_get_string (r, "text"));
  gst_structure_free (r);
  if (o) {
    fail_unless (stat_u64 (e, "batch-max") >= 2, "never in a batch with the "
        "other element");
    /* the long generation leaves the batch at once */
    check_flush_cancels (oh, o);
  }
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
  if (o) {
    gst_harness_teardown (oh);
    detach_bus (o, obus);
    gst_object_unref (o);
  }
  return text;
}

/* Two gemma4vision elements sharing one model, one after the other: the
 * second one's first prompt takes its head (the turn header before the
 * image) from the model's prefix cache, which the first one filled, and its
 * answer on the same frame is the one the first computed. */
GST_START_TEST (test_shared_prefix)
{
  GstElement *e[2];
  GstBus *bus[2];
  GstHarness *h[2];
  gchar *text[2];

  for (guint i = 0; i < 2; i++) {
    GstStructure *r;

    e[i] = new_vision ("max-tokens", 8, NULL);
    bus[i] = attach_bus (e[i]);
    h[i] = video_harness (e[i], "RGB", W, H, FALSE);
    wait_loaded (bus[i]);
    gst_buffer_unref (push_pull (h[i], "RGB", W, H, 5));
    r = wait_result (bus[i]);
    fail_unless (r != NULL, "no answer");
    text[i] = g_strdup (gst_structure_get_string (r, "text"));
    gst_structure_free (r);
  }
  fail_unless_equals_uint64 (stat_u64 (e[0], "prompt-reused"), 0);
  fail_unless (stat_u64 (e[1], "prompt-reused") > 0, "the second element "
      "computed the head the first one had");
  fail_unless_equals_string (text[1], text[0]);
  g_print ("shared prefix: %" G_GUINT64_FORMAT " prompt positions taken from "
      "the other element's, same answer\n", stat_u64 (e[1], "prompt-reused"));
  for (guint i = 0; i < 2; i++) {
    gst_harness_teardown (h[i]);
    detach_bus (e[i], bus[i]);
    gst_object_unref (e[i]);
    g_free (text[i]);
  }
}

GST_END_TEST;

/* Four gemma4vision elements sharing one model get a frame each at the
 * same moment: the frames are encoded in one call (image-batch-max > 1;
 * which frames join a call depends on timing, so a few rounds are allowed),
 * and every element answers each of its frames. */
GST_START_TEST (test_shared_encode)
{
  GstElement *e[4];
  GstBus *bus[4];
  GstHarness *h[4];
  guint64 most = 0;
  guint round;

  for (guint i = 0; i < 4; i++) {
    e[i] = new_vision ("max-tokens", 4, NULL);
    bus[i] = attach_bus (e[i]);
    h[i] = video_harness (e[i], "RGB", W, H, FALSE);
  }
  for (guint i = 0; i < 4; i++)
    wait_loaded (bus[i]);
  for (round = 0; round < 5 && most < 2; round++) {
    for (guint i = 0; i < 4; i++)
      gst_buffer_unref (push_pull (h[i], "RGB", W, H, 4 * round + i));
    for (guint i = 0; i < 4; i++) {
      GstStructure *r = wait_result (bus[i]);
      fail_unless (r != NULL, "element %u did not answer", i);
      gst_structure_free (r);
      most = MAX (most, stat_u64 (e[i], "image-batch-max"));
    }
  }
  fail_unless (most >= 2, "four frames ready together were never encoded "
      "together");
  g_print ("shared encode: up to %" G_GUINT64_FORMAT " frames in one encoder "
      "call after %u rounds\n", most, round);
  for (guint i = 0; i < 4; i++) {
    gst_harness_teardown (h[i]);
    detach_bus (e[i], bus[i]);
    gst_object_unref (e[i]);
  }
}

GST_END_TEST;

GST_START_TEST (test_shared_flush)
{
  gchar *alone = answer_beside (3, FALSE);
  gchar *beside = answer_beside (3, TRUE);

  fail_unless_equals_string (beside, alone);
  g_print ("shared flush: an answer decoded beside another element's is the "
      "one given alone (%zu bytes); that element's flush ended its long "
      "generation at once\n", strlen (alone));
  g_free (alone);
  g_free (beside);
}

GST_END_TEST;

/* appsrc ! gemma4vision inference-region=roi-list ! videoscale (2x) !
 * appsink: the answers on the upstream regions come out as region metas
 * scaled with the frame. */
GST_START_TEST (test_roi_after_scale)
{
  gchar *desc = g_strdup_printf ("appsrc name=src format=time caps=\"%s\" ! "
      "gemma4vision name=v model-path=\"%s\" mmproj-path=\"%s\" n-threads=2 "
      "max-tokens=2 latency=30000 attach=exact inference-region=roi-list "
      "object-class=face ! videoscale ! video/x-raw,width=%d,height=%d ! "
      "appsink name=sink sync=false", "video/x-raw,format=RGB,width=64,"
      "height=48,framerate=10/1", model_path, mmproj_path, 2 * W, 2 * H);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  GstBuffer *in = make_frame ("RGB", W, H, 0);
  GstVideoRegionOfInterestMeta *roi;
  GstFlowReturn ret;
  GstSample *sample;
  GstBuffer *out;
  const gchar *json;
  const struct
  {
    const gchar *type;
    gint x, y, w, h;
  } rois[] = { {"face", 4, 6, 20, 16}, {"car", 30, 10, 30, 30},
  {"face", 40, 20, 16, 24}
  };

  g_free (desc);
  fail_unless (pipe && src && sink);
  for (guint i = 0; i < G_N_ELEMENTS (rois); i++) {
    roi = gst_buffer_add_video_region_of_interest_meta (in, rois[i].type,
        rois[i].x, rois[i].y, rois[i].w, rois[i].h);
    roi->id = (gint) i + 10;
  }
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  g_signal_emit_by_name (src, "push-buffer", in, &ret);
  fail_unless_equals_int (ret, GST_FLOW_OK);
  gst_buffer_unref (in);
  g_signal_emit_by_name (src, "end-of-stream", &ret);
  g_signal_emit_by_name (sink, "pull-sample", &sample);
  fail_unless (sample != NULL);
  out = gst_sample_get_buffer (sample);

  /* faces 10 and 12 were inferred, the car (11) was not */
  json = json_of (out);
  fail_unless (json != NULL);
  fail_unless (find_answer (out, 11) == NULL);
  fail_unless (strstr (json, "\"region_id\":11") == NULL, "%s", json);
  for (guint i = 0; i < G_N_ELEMENTS (rois); i += 2) {
    gchar *key = g_strdup_printf ("\"region_id\":%u", i + 10);
    roi = find_answer (out, (gint) i + 10);
    fail_unless (roi != NULL, "no answer for region %u", i + 10);
    fail_unless_equals_string (g_quark_to_string (roi->roi_type), "face");
    /* scaled exactly 2x (tolerance 1 px for rounding) */
    fail_unless (ABS ((gint) roi->x - 2 * rois[i].x) <= 1
        && ABS ((gint) roi->y - 2 * rois[i].y) <= 1
        && ABS ((gint) roi->w - 2 * rois[i].w) <= 1
        && ABS ((gint) roi->h - 2 * rois[i].h) <= 1,
        "region %u at %u,%u %ux%u", i + 10, roi->x, roi->y, roi->w, roi->h);
    /* the meta's id indexes the result's objects (1.22's videoscale drops
     * region params) */
    fail_unless (strstr (json, key) != NULL, "%s", json);
    g_free (key);
  }
  g_print ("roi after scale: 2 of 3 upstream regions (object-class=face) "
      "answered; their metas doubled through videoscale within 1 px\n");
  gst_sample_unref (sample);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipe);
}

GST_END_TEST;

/* Counts buffers whose size is not that of the pad's current caps. */
static GstPadProbeReturn
check_size_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstVideoInfo vi;

  fail_unless (caps && gst_video_info_from_caps (&vi, caps));
  if (gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info)) != vi.size)
    g_atomic_int_inc ((gint *) data);
  gst_caps_unref (caps);
  return GST_PAD_PROBE_OK;
}

/* attach=exact in a live pipeline: the frames wait for their result
 * without blocking the pushes (a live source would fall behind the clock),
 * come out in order, each result on the frame it describes, and before
 * the caps change that followed them. */
GST_START_TEST (test_exact_live)
{
  GstElement *e = new_vision ("max-tokens", 40, "attach", 1, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = video_harness (e, "RGB", 160, 120, TRUE);
  gint64 worst = 0;
  guint64 jobs, last_dropped, first_processed;
  guint with_result = 0, qos;
  gint wrong_size = 0;
  const guint n = 30;
  GstPad *src = gst_element_get_static_pad (e, "src");

  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, check_size_probe,
      &wrong_size, NULL);
  gst_object_unref (src);
  wait_loaded (bus);
  /* 50 fps: far faster than an inference of 40 tokens; half-way the size
   * changes */
  for (guint i = 0; i < n; i++) {
    gint width = i < n / 2 ? 160 : 100, height = i < n / 2 ? 120 : 80;
    GstBuffer *b = make_frame ("RGB", width, height, i);
    gint64 t0;

    /* held frames leave first (waiting for their results): not timed */
    if (i == n / 2) {
      gchar *caps = caps_string ("RGB", width, height);
      gst_harness_set_src_caps_str (h, caps);
      g_free (caps);
    }
    t0 = g_get_monotonic_time ();
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    worst = MAX (worst, g_get_monotonic_time () - t0);
    g_usleep (20000);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  for (guint i = 0; i < n; i++) {
    GstBuffer *out = gst_harness_pull (h);

    fail_unless (out != NULL);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), i * FRAME_DURATION);
    if (result_of (out)) {
      fail_unless_equals_uint64 (source_pts (out), GST_BUFFER_PTS (out));
      with_result++;
    }
    gst_buffer_unref (out);
  }
  jobs = stat_u64 (e, "jobs");
  /* QOS of the frames dropped while a job ran: processed counts it */
  qos = count_drop_qos (bus, &last_dropped, &first_processed);
  fail_unless (qos >= 1, "no frame dropped");
  fail_unless (first_processed >= 1, "the first QOS says processed=%"
      G_GUINT64_FORMAT, first_processed);
  g_print ("exact live: %u frames pushed, slowest push %.1f ms, %"
      G_GUINT64_FORMAT " jobs run, %u frames out in order with their own "
      "result, %d after caps they do not match\n", n, worst / 1000.0, jobs,
      with_result, wrong_size);
  fail_unless_equals_int (wrong_size, 0);
  fail_unless (jobs >= 2, "the worker ran %" G_GUINT64_FORMAT " jobs", jobs);
  fail_unless_equals_uint64 (with_result, jobs);
  fail_unless_equals_uint64 (stat_u64 (e, "held-timeouts"), 0);
  /* no push waits for an inference (tolerance 100 ms, a loaded machine) */
  fail_unless (worst < 100000, "a push took %.1f ms", worst / 1000.0);
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
}

GST_END_TEST;

/* roi-list with a region partly outside the frame, one outside it, an
 * empty one, one at 2^32 and a 100x1 sliver: the model sees each region clipped
 * to the frame, answers and boxes lie in the clipped region (boxes mapped
 * from box_2d onto it within 1 px), the others are skipped, no error. */
GST_START_TEST (test_roi_clipped)
{
  struct
  {
    guint x, y, w, h;
  } rois[] = { {0, 0, 0, 0}, {5000, 10, 10, 10}, {10, 10, 0, 10},
  {0, 0, 100, 1}, {G_MAXUINT - 5, G_MAXUINT - 5, 100, 100}
  };
  /* describe: one answer on 60,40 40x40; detect: boxes on the whole frame
   * (the tiny model finds a box on frame 0 there) */
  const gint clip[2][4] = { {60, 40, 40, 40}, {0, 0, 100, 80} };

  for (gint task = 0; task < 2; task++) {
    GstElement *e = new_vision ("task", task, "max-tokens", 120, "attach", 1,
        "inference-region", 1, NULL);
    GstBus *bus = attach_bus (e);
    GstHarness *h = video_harness (e, "RGB", 100, 80, FALSE);
    GstBuffer *in = make_frame ("RGB", 100, 80, 0), *out;
    GstVideoRegionOfInterestMeta *roi;
    const gint *c = clip[task];
    const gchar *json, *at;
    gpointer state = NULL;
    GstMeta *meta;
    guint n = 0;

    rois[0].x = c[0];
    rois[0].y = c[1];
    rois[0].w = rois[0].h = 200;
    for (guint i = 0; i < G_N_ELEMENTS (rois); i++) {
      roi = gst_buffer_add_video_region_of_interest_meta (in, "face",
          rois[i].x, rois[i].y, rois[i].w, rois[i].h);
      roi->id = (gint) i;
    }
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless (out != NULL && result_of (out) != NULL);
    json = json_of (out);
    at = strstr (json, "\"box_2d\":[");
    while ((meta = gst_buffer_iterate_meta_filtered (out, &state,
                GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
      gint y0, x0, y1, x1;

      roi = (GstVideoRegionOfInterestMeta *) meta;
      if (!gst_video_region_of_interest_meta_get_param (roi,
              "gemma4/detection"))
        continue;               /* the upstream regions themselves */
      fail_unless_equals_int (roi->parent_id, 0);
      fail_unless ((gint) roi->x >= c[0] && (gint) roi->y >= c[1]
          && (gint) (roi->x + roi->w) <= c[0] + c[2]
          && (gint) (roi->y + roi->h) <= c[1] + c[3], "box %u,%u %ux%u "
          "outside the clipped region", roi->x, roi->y, roi->w, roi->h);
      if (task == 0)
        fail_unless (roi->x == 60 && roi->y == 40 && roi->w == 40
            && roi->h == 40, "answered at %u,%u %ux%u", roi->x, roi->y,
            roi->w, roi->h);
      else if (roi->id == 0) {
        fail_unless (at && sscanf (at, "\"box_2d\":[%d,%d,%d,%d]", &y0, &x0,
                &y1, &x1) == 4, "%s", json);
        fail_unless (ABS ((gint) roi->x - x0 * c[2] / 1000) <= 1
            && ABS ((gint) roi->y - y0 * c[3] / 1000) <= 1
            && ABS ((gint) (roi->x + roi->w) - x1 * c[2] / 1000) <= 1
            && ABS ((gint) (roi->y + roi->h) - y1 * c[3] / 1000) <= 1,
            "box %u,%u %ux%u is not box_2d %d,%d,%d,%d on the clipped region",
            roi->x, roi->y, roi->w, roi->h, y0, x0, y1, x1);
      }
      n++;
    }
    fail_unless (n >= 1, "no answer: %s", json);
    fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
    g_print ("roi clipped (%s): %u answers/boxes, all in the clipped region "
        "(box_2d mapped within 1 px); regions outside, empty or too thin "
        "skipped\n", task ? "detect" : "describe", n);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
    detach_bus (e, bus);
    gst_object_unref (e);
  }
}

GST_END_TEST;

/* The value of "key": at the top level of a one-line JSON object, or NULL
 * (a minimal check: the tests look for keys and their kinds). */
static const gchar *
json_value (const gchar * json, const gchar * key)
{
  gchar *pat = g_strdup_printf ("\"%s\":", key);
  const gchar *at = strstr (json, pat);
  const gchar *v = at ? at + strlen (pat) : NULL;

  g_free (pat);
  return v;
}

static gchar *
buffer_text (GstBuffer * buf)
{
  GstMapInfo map;
  gchar *s;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  s = g_strndup ((const gchar *) map.data, map.size);
  gst_buffer_unmap (buf, &map);
  fail_unless (g_utf8_validate (s, -1, NULL));
  return s;
}

/* The JSON pad's objects and the text pad's timing over 3 results. */
GST_START_TEST (test_json_and_text)
{
  GstElement *e = new_vision ("inference-interval", 2, "attach", 1, NULL);
  GstHarness *h = video_harness (e, "RGB", W, H, FALSE);
  GstHarness *th = gst_harness_new_with_element (e, NULL, "text_src");
  GstHarness *jh = gst_harness_new_with_element (e, NULL, "json_src");
  GstEvent *ev;
  gboolean sparse = FALSE;

  for (guint i = 0; i < 6; i++)
    gst_buffer_unref (push_pull (h, "RGB", W, H, i));
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  for (guint i = 0; i < 3; i++) {
    GstBuffer *j = gst_harness_pull (jh);
    GstBuffer *t = gst_harness_pull (th);
    gchar *s = buffer_text (j);
    gchar *pts = g_strdup_printf ("%" G_GUINT64_FORMAT, 2 * i *
        FRAME_DURATION);

    fail_unless (s[0] == '{' && g_str_has_suffix (s, "}\n"), "%s", s);
    fail_unless (strchr (s, '\n') == s + strlen (s) - 1, "one line: %s", s);
    fail_unless (g_str_has_prefix (json_value (s, "start"), pts), "%s", s);
    fail_unless (g_str_has_prefix (json_value (s, "status"), "\"ok\""), "%s",
        s);
    fail_unless (g_str_has_prefix (json_value (s, "task"), "\"describe\""));
    fail_unless (json_value (s, "text")[0] == '"');
    fail_unless (json_value (s, "objects")[0] == '[');
    fail_unless (g_ascii_isdigit (json_value (s, "inference_time")[0]));
    fail_unless (g_str_has_prefix (json_value (s, "width"), "64"));
    fail_unless (g_str_has_prefix (json_value (s, "height"), "48"));
    fail_unless_equals_uint64 (GST_BUFFER_PTS (j), 2 * i * FRAME_DURATION);
    /* text: until the next sampled frame */
    fail_unless_equals_uint64 (GST_BUFFER_PTS (t), 2 * i * FRAME_DURATION);
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (t), 2 * FRAME_DURATION);
    fail_unless (result_of (t) != NULL);
    if (i == 0)
      g_print ("json: %s", s);
    g_free (s);
    g_free (pts);
    gst_buffer_unref (j);
    gst_buffer_unref (t);
  }
  while ((ev = gst_harness_try_pull_event (th))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_STREAM_START) {
      GstStreamFlags flags = 0;
      gst_event_parse_stream_flags (ev, &flags);
      sparse = (flags & GST_STREAM_FLAG_SPARSE) != 0;
    }
    gst_event_unref (ev);
  }
  fail_unless (sparse, "the text stream is not marked sparse");
  g_print ("json and text: 3 results, keys and PTS right, text DURATION "
      "200 ms (inference-interval 2 at 10 fps), sparse stream\n");
  gst_harness_teardown (jh);
  gst_harness_teardown (th);
  gst_harness_teardown (h);
  gst_object_unref (e);
}

GST_END_TEST;

/* The ROI meta of the first box follows from the box_2d the JSON gives
 * (0-1000 of a 100x80 frame; tolerance 1 px). */
static void
check_first_box (GstBuffer * out)
{
  const gchar *json = json_of (out);
  const gchar *at = json ? strstr (json, "\"box_2d\":[") : NULL;
  GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *)
      gst_buffer_get_meta (out, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE);
  gint y0, x0, y1, x1;

  fail_unless (at && roi);
  fail_unless (sscanf (at, "\"box_2d\":[%d,%d,%d,%d]", &y0, &x0, &y1,
          &x1) == 4);
  fail_unless (ABS ((gint) roi->x - x0 * 100 / 1000) <= 1
      && ABS ((gint) roi->y - y0 * 80 / 1000) <= 1
      && ABS ((gint) (roi->x + roi->w) - x1 * 100 / 1000) <= 1
      && ABS ((gint) (roi->y + roi->h) - y1 * 80 / 1000) <= 1,
      "box_2d %d,%d,%d,%d but meta %u,%u %ux%u", y0, x0, y1, x1, roi->x,
      roi->y, roi->w, roi->h);
}

/* task=detect with constrained decoding: what the tiny model writes is a
 * list of boxes that parses (no warning), labels from the set, each box's
 * pixels following from its 0-1000 coordinates. */
GST_START_TEST (test_detect_constrained)
{
  GstElement *e = new_vision ("task", 1, "labels", "person,car",
      "max-tokens", 120, "attach", 1, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = video_harness (e, "RGB", 100, 80, FALSE);
  GstBuffer *out = push_pull (h, "RGB", 100, 80, 0);
  const GstStructure *r = result_of (out);
  gpointer state = NULL;
  GstMeta *meta;
  guint boxes = 0, objects = 0, warnings, unparseable = 0;
  GstMessage *m;

  fail_unless (r != NULL);
  objects = n_objects (r);
  while ((meta = gst_buffer_iterate_meta_filtered (out, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    const GstStructure *p = gst_video_region_of_interest_meta_get_param (roi,
        "gemma4/detection");
    const gchar *label = gst_structure_get_string (p, "label");
    fail_unless (!g_strcmp0 (label, "person") || !g_strcmp0 (label, "car"),
        "label %s", label);
    fail_unless_equals_string (g_quark_to_string (roi->roi_type), label);
    fail_unless (gst_structure_has_field (p, "source_pts"));
    fail_unless (roi->x + roi->w <= 100 && roi->y + roi->h <= 80);
    boxes++;
  }
  fail_unless_equals_int (boxes, objects);
  /* greedy decoding of frame 0 gives a box on the tiny model */
  fail_unless (boxes >= 1, "no box: %s", gst_structure_get_string (r,
          "text"));
  check_first_box (out);
  gst_buffer_unref (out);
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    GError *err = NULL;
    gst_message_parse_warning (m, &err, NULL);
    fail ("warning: %s", err->message);
  }
  g_print ("detect: the constrained answer parsed, %u boxes with labels from "
      "the set, geometry from box_2d within 1 px\n", boxes);
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);

  /* answers cut at 2 tokens: those without even a list ("" or spaces)
   * cannot parse; together they give one warning (rate-limited), their
   * raw text is passed on and nothing crashes */
  e = new_vision ("task", 1, "labels", "person,car", "max-tokens", 2,
      "attach", 1, NULL);
  bus = attach_bus (e);
  h = video_harness (e, "RGB", 100, 80, FALSE);
  for (guint i = 0; i < 3; i++) {
    const gchar *text;
    out = push_pull (h, "RGB", 100, 80, i);
    text = gst_structure_get_string (result_of (out), "text");
    objects = 1;
    fail_unless (text != NULL);
    objects = n_objects (result_of (out));
    fail_unless_equals_int (objects, 0);
    unparseable += text[0] != '[' && text[0] != '{';
    gst_buffer_unref (out);
  }
  warnings = 0;
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    const GstStructure *details = NULL;
    gst_message_parse_warning_details (m, &details);
    fail_unless (details != NULL);
    fail_unless_equals_string (gst_structure_get_string (details, "reason"),
        "gemma4vision/unparseable");
    warnings++;
    gst_message_unref (m);
  }
  fail_unless_equals_int (warnings, unparseable ? 1 : 0);
  g_print ("detect: answers cut at 2 tokens: %u of 3 without a list, %u "
      "warning, raw text passed on\n", unparseable, warnings);
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
}

GST_END_TEST;

/* Flushes and state changes while a long generation runs. */
GST_START_TEST (test_flush_and_state)
{
  GstElement *e = new_vision ("max-tokens", 200, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = video_harness (e, "RGB", W, H, FALSE);
  GstStructure *r;
  GstSegment segment;
  gint64 t0;
  guint ok;

  wait_loaded (bus);
  gst_buffer_unref (push_pull (h, "RGB", W, H, 0));
  g_usleep (100000);
  t0 = g_get_monotonic_time ();
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  g_print ("flush: cancelled a generation in %.1f ms\n",
      (g_get_monotonic_time () - t0) / 1000.0);
  g_object_set (e, "max-tokens", 2, NULL);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  count_results (bus, "ok", &ok);
  gst_buffer_unref (push_pull (h, "RGB", W, H, 1));
  r = wait_result (bus);
  fail_unless (r != NULL, "no result after the flush");
  gst_structure_free (r);

  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);

  /* state changes mid-generation, to READY and to NULL */
  for (guint i = 0; i < 4; i++) {
    e = new_vision ("max-tokens", 200, NULL);
    bus = attach_bus (e);
    h = video_harness (e, "RGB", W, H, FALSE);
    wait_loaded (bus);
    gst_buffer_unref (push_pull (h, "RGB", W, H, i));
    g_usleep (100000);
    t0 = g_get_monotonic_time ();
    fail_unless (gst_element_set_state (e, i % 2 ? GST_STATE_NULL :
            GST_STATE_READY) == GST_STATE_CHANGE_SUCCESS);
    g_print ("state: to %s mid-generation in %.1f ms\n", i % 2 ? "NULL" :
        "READY", (g_get_monotonic_time () - t0) / 1000.0);
    gst_harness_teardown (h);
    detach_bus (e, bus);
    gst_object_unref (e);
  }
}

GST_END_TEST;

/* The video's LATENCY answer grows by the budget only with attach=exact;
 * the text pad's always does in a live pipeline. */
GST_START_TEST (test_latency_query)
{
  GstElement *e = new_vision ("latency", 400, NULL);
  GstHarness *h = video_harness (e, "RGB", W, H, TRUE);
  GstHarness *th = gst_harness_new_with_element (e, NULL, "text_src");
  GstClockTime next, exact, text;
  GstQuery *q = gst_query_new_latency ();
  gboolean live = FALSE;

  gst_harness_set_upstream_latency (h, 20 * GST_MSECOND);
  next = gst_harness_query_latency (h);
  g_object_set (e, "attach", 1, NULL);
  exact = gst_harness_query_latency (h);
  fail_unless (gst_pad_peer_query (th->sinkpad, q));
  gst_query_parse_latency (q, &live, &text, NULL);
  gst_query_unref (q);
  fail_unless_equals_uint64 (next, 20 * GST_MSECOND);
  fail_unless_equals_uint64 (exact, 420 * GST_MSECOND);
  fail_unless (live);
  fail_unless_equals_uint64 (text, 420 * GST_MSECOND);
  g_print ("latency: upstream 20 ms, attach=next %" G_GUINT64_FORMAT
      " ms, attach=exact %" G_GUINT64_FORMAT " ms, text pad %" G_GUINT64_FORMAT
      " ms (budget 400 ms)\n", next / GST_MSECOND, exact / GST_MSECOND,
      text / GST_MSECOND);
  gst_harness_teardown (th);
  gst_harness_teardown (h);
  gst_object_unref (e);
}

GST_END_TEST;

/* Caps change mid-stream: a result described on a 64x48 frame lands on a
 * 128x96 one with its regions scaled; the next result is of the new size. */
GST_START_TEST (test_caps_change)
{
  GstElement *e = new_vision ("inference-region", 1, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h = video_harness (e, "RGB", W, H, FALSE);
  GstBuffer *in = make_frame ("RGB", W, H, 0), *out;
  GstVideoRegionOfInterestMeta *roi;
  GstStructure *r;
  gchar *caps = caps_string ("RGB", 2 * W, 2 * H);
  gint width = 0;

  roi = gst_buffer_add_video_region_of_interest_meta (in, "face", 8, 6, 16,
      20);
  roi->id = 7;
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  r = wait_result (bus);
  fail_unless (r != NULL);
  gst_structure_free (r);

  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
  out = push_pull (h, "RGB", 2 * W, 2 * H, 1);
  fail_unless_equals_uint64 (source_pts (out), 0);
  roi = find_answer (out, 7);
  fail_unless (roi != NULL);
  fail_unless (roi->x == 16 && roi->y == 12 && roi->w == 32 && roi->h == 40,
      "region at %u,%u %ux%u", roi->x, roi->y, roi->w, roi->h);
  gst_buffer_unref (out);
  /* frame 1 had no regions: nothing to ask; frame 2 has one */
  in = make_frame ("RGB", 2 * W, 2 * H, 2);
  gst_buffer_add_video_region_of_interest_meta (in, "face", 0, 0, 64, 64);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  r = wait_result (bus);
  fail_unless (r != NULL);
  fail_unless (gst_structure_get_int (r, "width", &width));
  fail_unless_equals_int (width, 2 * W);
  gst_structure_free (r);
  g_print ("caps change: 64x48 -> 128x96 mid-stream, the old result's "
      "region scaled to 16,12 32x40, the next result 128 wide\n");
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
}

GST_END_TEST;

/* videotestsrc ! gemma4vision ! textoverlay with the text pad into the
 * overlay and no queue: textoverlay holds each frame until text covers it,
 * so the text must come out as soon as a result is ready (a stall here
 * means it does not). */
GST_START_TEST (test_textoverlay)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=9 ! "
      "video/x-raw,format=RGB,width=64,height=48,framerate=10/1 ! "
      "gemma4vision name=v model-path=\"%s\" mmproj-path=\"%s\" n-threads=2 "
      "max-tokens=2 inference-interval=3 ! textoverlay name=o ! "
      "fakesink sync=false v.text_src ! o.text_sink", model_path,
      mmproj_path);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m;
  gint64 t0 = g_get_monotonic_time ();

  g_free (desc);
  fail_unless (pipe != NULL);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  m = gst_bus_timed_pop_filtered (bus, RESULT_TIMEOUT,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (m != NULL, "the pipeline stalled");
  fail_unless_equals_int (GST_MESSAGE_TYPE (m), GST_MESSAGE_EOS);
  g_print ("textoverlay: 9 frames, inference-interval=3, EOS in %.0f ms, no "
      "queue\n", (g_get_monotonic_time () - t0) / 1000.0);
  gst_message_unref (m);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
}

GST_END_TEST;

/* task=classify decodes under the choice constraint: on every frame the
 * tiny random model's answer is exactly one of the labels. */
GST_START_TEST (test_classify_constrained)
{
  static const gchar *const labels[] = { "cat", "dog", "traffic light" };
  GstElement *e = new_vision ("labels", "cat, dog, traffic light",
      "max-tokens", 32, NULL);
  GstBus *bus = attach_bus (e);
  GstHarness *h;

  gst_util_set_object_arg (G_OBJECT (e), "task", "classify");
  h = video_harness (e, "RGB", 100, 80, FALSE);
  for (guint i = 0; i < 3; i++) {
    GstStructure *r;
    const gchar *text;

    gst_buffer_unref (push_pull (h, "RGB", 100, 80, i));
    r = wait_result (bus);
    fail_unless (r != NULL, "frame %u: no result", i);
    text = gst_structure_get_string (r, "text");
    fail_unless (text && (g_strv_contains (labels, text)),
        "frame %u: '%s' is not one of the labels", i, text);
    gst_structure_free (r);
  }
  gst_harness_teardown (h);
  detach_bus (e, bus);
  gst_object_unref (e);
  g_print ("classify: 3 frames, each answer exactly one of the labels\n");
}

GST_END_TEST;

/* Every task runs and names itself in the result: ocr, classify (a label
 * set), custom (the prompt verbatim, with the image where it says). */
GST_START_TEST (test_tasks)
{
  const struct
  {
    const gchar *task, *labels, *prompt;
  } tasks[] = {
    {"ocr", NULL, NULL}, {"classify", "cat,dog", NULL},
    {"custom", NULL, "How many colors does <|image|> show?"},
    {"describe", NULL, "Describe it."},
  };

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++) {
    GstElement *e = new_vision ("labels", tasks[i].labels, "prompt",
        tasks[i].prompt, "max-tokens", 1, NULL);
    GstBus *bus = attach_bus (e);
    GstHarness *h;
    GstStructure *r;

    gst_util_set_object_arg (G_OBJECT (e), "task", tasks[i].task);
    h = video_harness (e, "NV12", W, H, FALSE);
    gst_buffer_unref (push_pull (h, "NV12", W, H, 0));
    r = wait_result (bus);
    fail_unless (r != NULL, "%s: no result", tasks[i].task);
    fail_unless_equals_string (gst_structure_get_string (r, "task"),
        tasks[i].task);
    fail_unless (gst_structure_get_string (r, "text") != NULL);
    gst_structure_free (r);
    gst_harness_teardown (h);
    detach_bus (e, bus);
    gst_object_unref (e);
  }
  g_print ("tasks: ocr, classify, custom and describe with a prompt each "
      "gave a result naming its task\n");
}

GST_END_TEST;

static Suite *
gemma4vision_suite (void)
{
  Suite *s = suite_create ("gemma4vision");
  TCase *tc = tcase_create ("general");

  element_test_setup ();
  audio_mmproj_path = g_getenv ("GEMMA4_TEST_AUDIO_MMPROJ");
  if (g_getenv ("GEMMA4_TEST_RESULT_TIMEOUT"))
    result_timeout = g_ascii_strtoull (g_getenv
        ("GEMMA4_TEST_RESULT_TIMEOUT"), NULL, 10) * GST_SECOND;
  tcase_set_timeout (tc, 120 + 6 * result_timeout / GST_SECOND);
  suite_add_tcase (s, tc);
  if (!model_path || !mmproj_path || !audio_mmproj_path) {
    g_printerr ("GEMMA4_TEST_MODEL, GEMMA4_TEST_MMPROJ and "
        "GEMMA4_TEST_AUDIO_MMPROJ must name the test files\n");
    return s;
  }
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_configuration_errors);
  tcase_add_test (tc, test_live_property_checks);
  tcase_add_test (tc, test_unencodable_frame);
  tcase_add_test (tc, test_shared_batch);
  tcase_add_test (tc, test_shared_flush);
  tcase_add_test (tc, test_shared_prefix);
  tcase_add_test (tc, test_shared_encode);
  tcase_add_test (tc, test_caps);
  tcase_add_test (tc, test_attach_modes);
  tcase_add_test (tc, test_sampling);
  tcase_add_test (tc, test_live_overload);
  tcase_add_test (tc, test_roi_after_scale);
  tcase_add_test (tc, test_roi_clipped);
  tcase_add_test (tc, test_exact_live);
  tcase_add_test (tc, test_json_and_text);
  tcase_add_test (tc, test_detect_constrained);
  tcase_add_test (tc, test_flush_and_state);
  tcase_add_test (tc, test_latency_query);
  tcase_add_test (tc, test_caps_change);
  tcase_add_test (tc, test_textoverlay);
  tcase_add_test (tc, test_tasks);
  tcase_add_test (tc, test_classify_constrained);
  return s;
}

GST_CHECK_MAIN (gemma4vision);
