/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A 24/7 camera and microphone in miniature: gemma4asr, gemma4vision and
 * gemma4caption on live sources in one pipeline for SECONDS, while a random
 * (seeded) hand changes their properties, seeks and cycles the pipeline
 * through PAUSED and READY. At the end, after EOS: anonymous memory and the
 * thread count are where they were after warm-up (memory within 16 MiB),
 * no error was posted and no warning but those of an overloaded live
 * element (late results, dropped jobs), and every job is accounted for: the
 * results each element posted are its stats' jobs plus drops. With
 * "cycles" the hand only seeks and cycles the states, in quick succession.
 * usage: soak SECONDS [SEED [cycles]] (GEMMA4_TEST_MODEL,
 * GEMMA4_TEST_MMPROJ, GST_PLUGIN_PATH set by meson) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>

#define GROWTH_LIMIT (16u << 20)
/* After a flushing seek this live pipeline prerolls again in up to about
 * its latency (seconds: the elements' windows and budgets), the time its
 * sources wait on the clock before their next buffer. */
#define PREROLL_TIMEOUT (30 * GST_SECOND)
#define EOS_TIMEOUT (60 * G_USEC_PER_SEC)

static guint64
proc_status (const gchar * field)
{
  guint64 v = 0;
  gchar *status = NULL, *line;
  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL)
      && (line = strstr (status, field)))
    v = g_ascii_strtoull (line + strlen (field), NULL, 10);
  g_free (status);
  return v;
}

typedef struct
{
  const gchar *name;
  guint results;
} Counted;

static Counted counted[] = { {"asr", 0}, {"vision", 0}, {"caption", 0} };

/* What a live element under load may say: it is behind, results came late,
 * jobs were dropped. Anything else is a failure. */
static gboolean
expected_warning (const gchar * text)
{
  static const gchar *const ok[] = { "late", "behind", "drop", "budget",
    "slower than", "overrun", "re-stamped", NULL
  };
  gchar *lower = g_ascii_strdown (text, -1);
  gboolean found = FALSE;
  for (guint i = 0; ok[i] && !found; i++)
    found = strstr (lower, ok[i]) != NULL;
  g_free (lower);
  return found;
}

static guint bad_messages;

static void
drain_bus (GstBus * bus, gboolean * eos)
{
  GstMessage *m;
  while ((m = gst_bus_pop (bus))) {
    GError *e = NULL;
    gchar *dbg = NULL;
    switch (GST_MESSAGE_TYPE (m)) {
      case GST_MESSAGE_ERROR:
        gst_message_parse_error (m, &e, &dbg);
        printf ("ERROR from %s: %s\n", GST_OBJECT_NAME (m->src), e->message);
        bad_messages++;
        break;
      case GST_MESSAGE_WARNING:
        gst_message_parse_warning (m, &e, &dbg);
        if (!expected_warning (e->message)) {
          printf ("WARNING from %s: %s\n", GST_OBJECT_NAME (m->src), e->message);
          bad_messages++;
        }
        break;
      case GST_MESSAGE_ELEMENT:
        if (gst_structure_has_name (gst_message_get_structure (m), "gemma4-result")) {
          for (guint i = 0; i < G_N_ELEMENTS (counted); i++)
            if (g_str_equal (GST_OBJECT_NAME (m->src), counted[i].name))
              counted[i].results++;
        }
        break;
      case GST_MESSAGE_EOS:
        *eos = TRUE;
        break;
      default:
        break;
    }
    g_clear_error (&e);
    g_free (dbg);
    gst_message_unref (m);
  }
}

/* One random change: a property of one element, a seek, or a state cycle
 * (only the last two when cycles_only). */
static void
random_action (GstElement * pipe, GRand * rnd, GstBus * bus, gboolean * eos,
    gboolean cycles_only)
{
  static const gchar *const prompts[][3] = {
    {"asr", "prompt", "Transcribe this: <|audio|>"},
    {"asr", "prompt", ""},
    {"vision", "prompt", "What moves in <|image|>?"},
    {"vision", "prompt", ""},
    {"caption", "prompt", "Say what happens from {start} to {end}."},
    {"caption", "prompt", ""},
  };
  const gchar *names[] = { "asr", "vision", "caption" };
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipe),
      names[g_rand_int_range (rnd, 0, 3)]);
  switch (cycles_only ? g_rand_int_range (rnd, 4, 7) : g_rand_int_range (rnd, 0, 8)) {
    case 0:
      g_object_set (e, "max-tokens", g_rand_int_range (rnd, 1, 5), NULL);
      break;
    case 1:
      g_object_set (e, "temperature", (gfloat) g_rand_double_range (rnd, 0, 1),
          "seed", (guint64) g_rand_int (rnd), NULL);
      break;
    case 2:
      g_object_set (e, "latency", g_rand_int_range (rnd, 500, 4000), NULL);
      break;
    case 3:{
      const gchar *const *p = prompts[g_rand_int_range (rnd, 0, 6)];
      GstElement *t = gst_bin_get_by_name (GST_BIN (pipe), p[0]);
      g_object_set (t, p[1], p[2], NULL);
      gst_object_unref (t);
      break;
    }
    case 4:
      gst_element_seek_simple (pipe, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, 0);
      break;
    case 5:
    case 6:{
      const GstState low = g_rand_boolean (rnd) ? GST_STATE_PAUSED : GST_STATE_READY;
      gst_element_set_state (pipe, low);
      gst_element_get_state (pipe, NULL, NULL, 10 * GST_SECOND);
      drain_bus (bus, eos);
      gst_element_set_state (pipe, GST_STATE_PLAYING);
      break;
    }
    default:
      g_object_set (e, "min-p", (gfloat) g_rand_double_range (rnd, 0, 0.2), NULL);
      break;
  }
  gst_object_unref (e);
}

static gpointer
send_eos (gpointer pipe)
{
  gst_element_send_event (pipe, gst_event_new_eos ());
  return NULL;
}

/* The end of the streams: every element finishes what it holds. The
 * pipeline must be done prerolling first (a flushing seek or a state
 * change makes its sinks preroll again): gst_element_send_event() holds the
 * pipeline's state lock while a live source's EOS handling takes the
 * source's stream lock, and a streaming thread that reached a prerolled
 * sink keeps that lock until the pipeline goes to PLAYING, which needs the
 * state lock (the same happens with videotestsrc ! identity ! fakesink
 * branches and the pipeline's latency set to 4 s). The event goes from
 * another thread so that a hang fails the test: a pipeline stuck like that
 * cannot be shut down, the test exits. */
static void
end_with_eos (GstElement * pipe, GstBus * bus, gboolean * eos)
{
  if (gst_element_get_state (pipe, NULL, NULL, PREROLL_TIMEOUT)
      == GST_STATE_CHANGE_ASYNC) {
    printf ("FAIL: the pipeline did not preroll within %" GST_TIME_FORMAT
        "\n", GST_TIME_ARGS (PREROLL_TIMEOUT));
    exit (1);
  }
  GThread *sender = g_thread_new ("eos", send_eos, pipe);
  const gint64 deadline = g_get_monotonic_time () + EOS_TIMEOUT;
  while (!*eos && g_get_monotonic_time () < deadline) {
    g_usleep (50000);
    drain_bus (bus, eos);
  }
  if (!*eos) {
    printf ("FAIL: no EOS within %d s of sending it\n",
        (gint) (EOS_TIMEOUT / G_USEC_PER_SEC));
    exit (1);
  }
  g_thread_join (sender);
}

int
main (int argc, char **argv)
{
  const gchar *model = g_getenv ("GEMMA4_TEST_MODEL");
  const gchar *mmproj = g_getenv ("GEMMA4_TEST_MMPROJ");
  GError *error = NULL;
  gboolean eos = FALSE, ok = TRUE;

  gst_init (&argc, &argv);
  if (argc < 2 || !model || !mmproj) {
    fprintf (stderr, "usage: %s SECONDS [SEED] (GEMMA4_TEST_MODEL and "
        "GEMMA4_TEST_MMPROJ set)\n", argv[0]);
    return 2;
  }
  const gdouble seconds = g_ascii_strtod (argv[1], NULL);
  GRand *rnd = g_rand_new_with_seed (argc > 2 ? (guint32) atoi (argv[2]) : 1);
  const gboolean cycles_only = argc > 3 && g_str_equal (argv[3], "cycles");
  gchar *desc = g_strdup_printf (
      "audiotestsrc is-live=true wave=sine freq=220 samplesperbuffer=1600 ! "
      "audio/x-raw,rate=16000,channels=1 ! gemma4asr name=asr chunk-duration=2000 "
      "model-path=\"%s\" mmproj-path=\"%s\" max-tokens=2 n-threads=1 ! fakesink sync=true "
      "videotestsrc is-live=true pattern=ball ! video/x-raw,width=160,height=120,framerate=10/1 ! "
      "gemma4vision name=vision model-path=\"%s\" mmproj-path=\"%s\" max-tokens=2 "
      "n-threads=1 ! fakesink sync=true "
      "videotestsrc is-live=true pattern=smpte ! video/x-raw,width=160,height=120,framerate=5/1 ! "
      "gemma4caption name=caption model-path=\"%s\" mmproj-path=\"%s\" window=2000 "
      "frames-per-window=2 max-tokens=2 n-threads=1 ! fakesink sync=true",
      model, mmproj, model, mmproj, model, mmproj);
  GstElement *pipe = gst_parse_launch (desc, &error);
  g_free (desc);
  if (!pipe) {
    fprintf (stderr, "pipeline: %s\n", error->message);
    return 1;
  }
  GstBus *bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  const gint64 t0 = g_get_monotonic_time ();
  const gint64 end = t0 + (gint64) (seconds * G_USEC_PER_SEC);
  const gint64 warm = t0 + (gint64) (seconds * G_USEC_PER_SEC / 5);
  guint64 warm_anon = 0, warm_threads = 0, peak_anon = 0, max_threads = 0;
  guint actions = 0;
  printf ("time (s), anonymous RSS (MiB), threads, actions\n");
  while (g_get_monotonic_time () < end && !eos) {
    g_usleep (g_rand_int_range (rnd, cycles_only ? 0 : 200,
            cycles_only ? 300 : 1500) * 1000);
    drain_bus (bus, &eos);
    random_action (pipe, rnd, bus, &eos, cycles_only);
    actions++;
    const guint64 anon = proc_status ("RssAnon:") * 1024;
    const guint64 threads = proc_status ("Threads:");
    if (g_get_monotonic_time () >= warm) {
      if (!warm_anon) {
        warm_anon = anon;
        warm_threads = threads;
      }
      peak_anon = MAX (peak_anon, anon);
      max_threads = MAX (max_threads, threads);
    }
    if (actions % 20 == 0)
      printf ("%6.0f %8.1f %4" G_GUINT64_FORMAT " %5u\n",
          (g_get_monotonic_time () - t0) / 1e6, anon / 1048576.0, threads, actions);
  }
  if (!eos)
    end_with_eos (pipe, bus, &eos);
  for (guint i = 0; i < G_N_ELEMENTS (counted); i++) {
    GstElement *e = gst_bin_get_by_name (GST_BIN (pipe), counted[i].name);
    GstStructure *st = NULL;
    guint64 jobs = 0, drops = 0;
    g_object_get (e, "stats", &st, NULL);
    gst_structure_get_uint64 (st, "jobs", &jobs);
    gst_structure_get_uint64 (st, "drops", &drops);
    printf ("%s: %u results posted, stats: %" G_GUINT64_FORMAT " jobs + %"
        G_GUINT64_FORMAT " drops\n", counted[i].name, counted[i].results, jobs, drops);
    if (counted[i].results != jobs + drops || counted[i].results == 0) {
      printf ("FAIL: %s's results and stats disagree\n", counted[i].name);
      ok = FALSE;
    }
    gst_structure_free (st);
    gst_object_unref (e);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  printf ("%u actions; anonymous RSS after warm-up %.1f MiB, peak %.1f MiB; threads %"
      G_GUINT64_FORMAT " after warm-up, at most %" G_GUINT64_FORMAT "; %u unexpected "
      "warnings or errors\n", actions, warm_anon / 1048576.0, peak_anon / 1048576.0,
      warm_threads, max_threads, bad_messages);
  if (peak_anon > warm_anon + GROWTH_LIMIT) {
    printf ("FAIL: memory grew by %.1f MiB\n", (peak_anon - warm_anon) / 1048576.0);
    ok = FALSE;
  }
  if (max_threads > warm_threads + 2) {
    printf ("FAIL: threads grew from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT "\n",
        warm_threads, max_threads);
    ok = FALSE;
  }
  if (bad_messages)
    ok = FALSE;
  g_rand_free (rnd);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  return ok ? 0 : 1;
}
