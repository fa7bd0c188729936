/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every way of linking a gemma4 element's outputs to sinks that wait for
 * preroll, without a queue in between: main src {to a sink, unlinked} x
 * JSON pad {to a sink, through a queue, unlinked or not requested}, for
 * gemma4asr, gemma4vision and gemma4caption. Each pipeline prerolls and
 * reaches EOS (or, for gemma4vision with its video unlinked, the
 * not-linked error) within a bound, with results on the linked outputs;
 * and state changes and flushes never wait on a sink that blocks. */
#include <string.h>

#include "element_test_util.h"

/* seconds for a pipeline to preroll and finish, or to change state */
#define BOUND 40

typedef enum
{ MAIN_SINK, MAIN_UNLINKED } MainLink;
typedef enum
{ JSON_SINK, JSON_QUEUE, JSON_UNLINKED } JsonLink;

static const gchar *const main_names[] = { "sink", "unlinked" };
static const gchar *const json_names[] = { "sink", "queue ! sink",
  "unlinked"
};

typedef struct
{
  const gchar *factory;
  const gchar *input;           /* up to the element */
  const gchar *props;
  const gchar *json_pad;
  const gchar *main_sink;       /* without queue */
  const gchar *json_sink;
  gboolean main_is_text;        /* else video (gemma4vision's src) */
} ElementCase;

static const ElementCase asr_case = {
  "gemma4asr",
  "audiotestsrc num-buffers=40 ! audioconvert ! audioresample",
  "", "unsynced_src",
  "appsink wait-on-eos=false", "fdsink fd=2", TRUE
};

static const ElementCase vision_case = {
  "gemma4vision",
  "videotestsrc num-buffers=3 ! video/x-raw,width=64,height=48",
  "", "json_src",
  "fakesink sync=true", "filesink location=/dev/null", FALSE
};

static const ElementCase caption_case = {
  "gemma4caption",
  "videotestsrc num-buffers=10 ! "
      "video/x-raw,width=64,height=48,framerate=10/1",
  "window=1000 frames-per-window=1", "json_src",
  "srtenc ! filesink location=/dev/null", "filesink location=/dev/null",
  TRUE
};

typedef struct
{
  gint main, json;               /* main: text (buffers, GAPs) or video */
} Counts;

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  gint *n = user_data;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER)
    g_atomic_int_inc (n);
  else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_GAP)
    g_atomic_int_inc (n);
  return GST_PAD_PROBE_OK;
}

static void
count_pad (GstElement * e, const gchar * name, gint * n)
{
  GstPad *pad = gst_element_get_static_pad (e, name);

  fail_unless (pad != NULL, "%s has no pad %s", GST_ELEMENT_NAME (e), name);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, count_probe, n, NULL);
  gst_object_unref (pad);
}

static GstElement *
make_pipeline (const ElementCase * c, MainLink m, JsonLink j)
{
  GError *error = NULL;
  gchar *desc = g_strdup_printf ("%s ! %s name=e model-path=\"%s\" "
      "mmproj-path=\"%s\" max-tokens=4 n-threads=2 %s %s%s %s%s%s",
      c->input, c->factory, model_path, mmproj_path, c->props,
      m == MAIN_SINK ? "! " : "", m == MAIN_SINK ? c->main_sink : "",
      j == JSON_UNLINKED ? "" : "e.", j == JSON_UNLINKED ? "" : c->json_pad,
      j == JSON_SINK ? " ! " : j == JSON_QUEUE ? " ! queue ! " : "");
  gchar *full = g_strconcat (desc, j == JSON_UNLINKED ? "" : c->json_sink,
      NULL);
  GstElement *p = gst_parse_launch (full, &error);

  fail_unless (p != NULL, "%s: %s", full, error ? error->message : "?");
  g_print ("  %s\n", full);
  g_free (desc);
  g_free (full);
  return p;
}

/* State changes in another thread, so one that hangs fails the test. */
typedef struct
{
  GstElement *p;
  GstState state;
  gint done;
} StateChange;

static gpointer
change_state_thread (gpointer data)
{
  StateChange *sc = data;

  gst_element_set_state (sc->p, sc->state);
  g_atomic_int_set (&sc->done, 1);
  return NULL;
}

static void
set_state_within (GstElement * p, GstState state, gint seconds)
{
  StateChange sc = { p, state, 0 };
  GThread *t = g_thread_new ("state", change_state_thread, &sc);
  gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (!g_atomic_int_get (&sc.done) && g_get_monotonic_time () < end)
    g_usleep (10000);
  fail_unless (g_atomic_int_get (&sc.done), "setting %s hangs",
      gst_element_state_get_name (state));
  g_thread_join (t);
}

/* Plays p until EOS or an error, within the bound: returns the error (or
 * NULL at EOS). */
static GstMessage *
run (GstElement * p)
{
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *msg;

  gst_element_set_state (p, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, BOUND * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_object_unref (bus);
  fail_unless (msg != NULL, "no EOS and no error in %d s: the pipeline "
      "hangs", BOUND);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    gst_message_unref (msg);
    return NULL;
  }
  return msg;
}

static void
check_links (const ElementCase * c, MainLink m, JsonLink j)
{
  GstElement *p, *e;
  GstMessage *err;
  Counts n = { 0, 0 };
  GError *error = NULL;
  gchar *debug = NULL;

  g_print ("%s: main %s, json %s\n", c->factory, main_names[m],
      json_names[j]);
  p = make_pipeline (c, m, j);
  e = gst_bin_get_by_name (GST_BIN (p), "e");
  count_pad (e, "src", &n.main);
  if (j != JSON_UNLINKED)
    count_pad (e, c->json_pad, &n.json);
  err = run (p);
  if (err)
    gst_message_parse_error (err, &error, &debug);
  if (m == MAIN_UNLINKED && !c->main_is_text) {
    /* the video has nowhere to go: the source says so */
    fail_unless (err != NULL, "no not-linked error");
    fail_unless (debug && strstr (debug, "not-linked"), "error %s (%s) is "
        "not the not-linked one", error->message, debug);
  } else {
    fail_unless (err == NULL, "error: %s (%s)", error ? error->message : "",
        debug);
    if (m == MAIN_SINK)
      fail_unless (g_atomic_int_get (&n.main) > 0, "nothing on src");
    if (j != JSON_UNLINKED)
      fail_unless (g_atomic_int_get (&n.json) > 0, "nothing on %s",
          c->json_pad);
  }
  g_print ("    src items %d, json buffers %d\n", n.main, n.json);
  set_state_within (p, GST_STATE_NULL, BOUND);
  if (err)
    gst_message_unref (err);
  g_clear_error (&error);
  g_free (debug);
  gst_object_unref (e);
  gst_object_unref (p);
}

/* Every combination with at least one sink (without any, nothing could
 * preroll or end). */
static void
check_all_links (const ElementCase * c)
{
  for (MainLink m = MAIN_SINK; m <= MAIN_UNLINKED; m++)
    for (JsonLink j = JSON_SINK; j <= JSON_UNLINKED; j++)
      if (m == MAIN_SINK || j != JSON_UNLINKED)
        check_links (c, m, j);
}

GST_START_TEST (test_asr_links)
{
  check_all_links (&asr_case);
}

GST_END_TEST;

GST_START_TEST (test_vision_links)
{
  check_all_links (&vision_case);
}

GST_END_TEST;

GST_START_TEST (test_caption_links)
{
  check_all_links (&caption_case);
}

GST_END_TEST;

/* The video unlinked, the JSON to a file: the not-linked error comes while
 * the JSON sink waits for preroll; EOS must not wait on it, again and
 * again. */
GST_START_TEST (test_unlinked_video_repeats)
{
  for (gint i = 0; i < 6; i++)
    check_links (&vision_case, MAIN_UNLINKED, JSON_SINK);
}

GST_END_TEST;

static GstPadProbeReturn
eos_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    g_atomic_int_set ((gint *) user_data, 1);
  return GST_PAD_PROBE_OK;
}

/* The JSON sink kept in PAUSED (it blocks in its preroll wait at the first
 * record) while the rest plays: the video's EOS (gemma4vision drains its
 * worker first) still reaches the video sink. */
GST_START_TEST (test_eos_while_json_blocks)
{
  GstElement *p = make_pipeline (&vision_case, MAIN_SINK, JSON_SINK);
  GstElement *e = gst_bin_get_by_name (GST_BIN (p), "e");
  GstPad *json = gst_element_get_static_pad (e, "json_src");
  GstPad *peer = gst_pad_get_peer (json);
  GstElement *json_sink = gst_pad_get_parent_element (peer);
  GstPad *src = gst_element_get_static_pad (e, "src");
  gint eos = 0;
  gint64 end = g_get_monotonic_time () + BOUND * G_USEC_PER_SEC;

  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, eos_probe,
      &eos, NULL);
  gst_element_set_locked_state (json_sink, TRUE);
  gst_element_set_state (json_sink, GST_STATE_PAUSED);
  gst_element_set_state (p, GST_STATE_PLAYING);
  while (!g_atomic_int_get (&eos) && g_get_monotonic_time () < end)
    g_usleep (10000);
  fail_unless (g_atomic_int_get (&eos), "no EOS on src in %d s: the "
      "streaming thread waits on the blocked JSON sink", BOUND);
  gst_element_set_locked_state (json_sink, FALSE);
  set_state_within (p, GST_STATE_NULL, BOUND);
  gst_object_unref (src);
  gst_object_unref (json_sink);
  gst_object_unref (peer);
  gst_object_unref (json);
  gst_object_unref (e);
  gst_object_unref (p);
}

GST_END_TEST;

/* Waits for p to preroll (ASYNC_DONE) within the bound. */
static void
wait_preroll (GstBus * bus, const gchar * when)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, BOUND * GST_SECOND,
      GST_MESSAGE_ASYNC_DONE | GST_MESSAGE_ERROR);

  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ASYNC_DONE,
      "no preroll %s", when);
  gst_message_unref (msg);
}

/* Both outputs to sinks that block in PAUSED (prerolled, more results
 * coming): a flushing seek, then PAUSED->READY, come through at once. */
GST_START_TEST (test_flush_while_blocked)
{
  GstElement *p = make_pipeline (&vision_case, MAIN_SINK, JSON_SINK);
  GstBus *bus = gst_element_get_bus (p);

  gst_element_set_state (p, GST_STATE_PAUSED);
  wait_preroll (bus, "at first");
  /* the worker has more results queued behind the prerolled ones */
  g_usleep (G_USEC_PER_SEC);
  fail_unless (gst_element_seek_simple (p, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, 0));
  wait_preroll (bus, "after the flush");
  g_usleep (G_USEC_PER_SEC);
  set_state_within (p, GST_STATE_READY, BOUND);
  set_state_within (p, GST_STATE_NULL, BOUND);
  gst_object_unref (bus);
  gst_object_unref (p);
}

GST_END_TEST;

static Suite *
output_links_suite (void)
{
  Suite *s = suite_create ("output-links");
  TCase *tc = tcase_create ("general");

  element_test_setup ();
  tcase_set_timeout (tc, 600);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_asr_links);
  tcase_add_test (tc, test_vision_links);
  tcase_add_test (tc, test_caption_links);
  tcase_add_test (tc, test_unlinked_video_repeats);
  tcase_add_test (tc, test_eos_while_json_blocks);
  tcase_add_test (tc, test_flush_while_blocked);
  return s;
}

GST_CHECK_MAIN (output_links);
