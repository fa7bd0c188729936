/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An application that keeps every result: runs gemma4vision, gemma4caption
 * or gemma4asr on N buffers of a test source with the tiny model, keeps each
 * gemma4-result bus message in a list (as a program logging its results
 * does) and samples the process's resident memory. Memory after warm-up may
 * grow by no more than what the kept messages hold (twice their serialised
 * size, for the GstStructure's own bookkeeping) plus 8 MiB: a worker that
 * allocates per frame or per job fragments the heap around the small kept
 * messages and grows by far more (issue 12, item 1).
 * usage: retain vision|caption|asr N (GEMMA4_TEST_MODEL, GEMMA4_TEST_MMPROJ,
 * GST_PLUGIN_PATH set by meson) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gst/gst.h>

#define SLACK (8u << 20)

/* Anonymous resident memory (RssAnon): the heap and the thread stacks, not
 * the pages of the memory-mapped model, which become resident as generation
 * touches more of the token tables and are the page cache's to drop. */
static gsize
rss_bytes (void)
{
  gsize kib = 0;
  gchar *status = NULL, *line;
  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL)
      && (line = strstr (status, "RssAnon:")))
    kib = g_ascii_strtoull (line + strlen ("RssAnon:"), NULL, 10);
  g_free (status);
  return kib * 1024;
}

static gchar *
description (const gchar * kind, guint n, const gchar * model, const gchar * mmproj)
{
  const gchar *fmt = g_str_equal (kind, "vision")
      ? "videotestsrc pattern=ball num-buffers=%u ! "
      "video/x-raw,width=320,height=240,framerate=10/1 ! gemma4vision "
      "model-path=\"%s\" mmproj-path=\"%s\" max-tokens=2 n-threads=1 ! fakesink"
      : g_str_equal (kind, "caption")
      ? "videotestsrc pattern=ball num-buffers=%u ! "
      "video/x-raw,width=320,height=240,framerate=10/1 ! gemma4caption "
      "model-path=\"%s\" mmproj-path=\"%s\" window=1000 frames-per-window=2 "
      "max-tokens=2 n-threads=1 ! fakesink"
      : "audiotestsrc wave=sine freq=220 samplesperbuffer=1600 num-buffers=%u ! "
      "audio/x-raw,rate=16000,channels=1 ! gemma4asr model-path=\"%s\" "
      "mmproj-path=\"%s\" chunk-duration=2000 max-tokens=2 n-threads=1 ! fakesink";
  return g_strdup_printf (fmt, n, model, mmproj);
}

int
main (int argc, char **argv)
{
  const gchar *model = g_getenv ("GEMMA4_TEST_MODEL");
  const gchar *mmproj = g_getenv ("GEMMA4_TEST_MMPROJ");
  GError *error = NULL;
  GList *kept = NULL;
  gsize kept_bytes = 0, warm_rss = 0, warm_kept = 0, peak = 0;
  guint n_results = 0, warm_after;
  gboolean ok = TRUE;

  gst_init (&argc, &argv);
  if (argc != 3 || !model || !mmproj || (!g_str_equal (argv[1], "vision")
          && !g_str_equal (argv[1], "caption") && !g_str_equal (argv[1], "asr"))) {
    fprintf (stderr, "usage: %s vision|caption|asr N (GEMMA4_TEST_MODEL and "
        "GEMMA4_TEST_MMPROJ set)\n", argv[0]);
    return 2;
  }
  const guint n = (guint) atoi (argv[2]);
  gchar *desc = description (argv[1], n, model, mmproj);
  GstElement *pipe = gst_parse_launch (desc, &error);
  g_free (desc);
  if (!pipe) {
    fprintf (stderr, "pipeline: %s\n", error->message);
    return 1;
  }
  /* results a job: the first quarter warm up the caches and the model */
  const guint expected = g_str_equal (argv[1], "vision") ? n
      : g_str_equal (argv[1], "caption") ? n / 10 : n / 20;
  warm_after = MAX (expected / 4, 5);
  GstBus *bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  printf ("%s, %u buffers: results, anonymous RSS (MiB), kept messages (KiB)\n",
      argv[1], n);
  for (;;) {
    GstMessage *m = gst_bus_timed_pop_filtered (bus, 600 * GST_SECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    if (!m) {
      fprintf (stderr, "no EOS within 600 s\n");
      ok = FALSE;
      break;
    }
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
      gst_message_parse_error (m, &error, NULL);
      fprintf (stderr, "error: %s\n", error->message);
      gst_message_unref (m);
      ok = FALSE;
      break;
    }
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS) {
      gst_message_unref (m);
      break;
    }
    const GstStructure *s = gst_message_get_structure (m);
    if (!gst_structure_has_name (s, "gemma4-result")) {
      gst_message_unref (m);
      continue;
    }
    gchar *str = gst_structure_to_string (s);
    kept_bytes += strlen (str) + sizeof (GstMessage);
    g_free (str);
    kept = g_list_prepend (kept, m);
    n_results++;
    const gsize rss = rss_bytes ();
    peak = MAX (peak, rss);
    if (n_results == warm_after) {
      warm_rss = rss;
      warm_kept = kept_bytes;
    }
    if (n_results % MAX (expected / 10, 1) == 0)
      printf ("%6u %8.1f %8.1f\n", n_results, rss / 1048576.0, kept_bytes / 1024.0);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  const gsize end_rss = rss_bytes ();
  const gsize allowed = 2 * (kept_bytes - warm_kept) + SLACK;
  const gssize growth = (gssize) MAX (end_rss, peak) - (gssize) warm_rss;
  printf ("%u results; RSS after warm-up (%u results) %.1f MiB, peak %.1f MiB: "
      "growth %.1f MiB, allowed %.1f MiB (kept messages %.1f KiB)\n", n_results,
      warm_after, warm_rss / 1048576.0, peak / 1048576.0, growth / 1048576.0,
      allowed / 1048576.0, kept_bytes / 1024.0);
  if (n_results < warm_after + 1) {
    fprintf (stderr, "only %u results\n", n_results);
    ok = FALSE;
  } else if (growth > (gssize) allowed) {
    fprintf (stderr, "memory grew by %.1f MiB, more than the kept results "
        "account for (%.1f MiB allowed)\n", growth / 1048576.0, allowed / 1048576.0);
    ok = FALSE;
  }
  g_list_free_full (kept, (GDestroyNotify) gst_message_unref);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  return ok ? 0 : 1;
}
