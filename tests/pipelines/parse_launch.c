/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A stand-in for gst-launch-1.0 that builds the pipeline and stops there:
 * every element must exist, every property name and value must be accepted
 * and every static or request pad link must succeed, as gst-launch would
 * require, but nothing starts. The pipeline scripts run it through
 * GEMMA4_LAUNCH. Options before the description (-q, -e) are ignored. */
#include <stdio.h>

#include <gst/gst.h>

static void
count_element (const GValue * item, gpointer user_data)
{
  (*(guint *) user_data)++;
}

int
main (int argc, char **argv)
{
  GError *err = NULL;
  GstElement *pipeline;
  GstIterator *it;
  guint n_elements = 0;
  int first = 1;

  gst_init (&argc, &argv);
  while (first < argc && argv[first][0] == '-')
    first++;
  if (first == argc) {
    fprintf (stderr, "usage: %s [-q] [-e] PIPELINE-DESCRIPTION\n", argv[0]);
    return 2;
  }
  pipeline = gst_parse_launchv_full ((const gchar **) argv + first, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, &err);
  if (pipeline == NULL || err != NULL) {
    fprintf (stderr, "the pipeline does not build: %s\n",
        err ? err->message : "unknown error");
    g_clear_error (&err);
    if (pipeline)
      gst_object_unref (pipeline);
    return 1;
  }
  it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  gst_iterator_foreach (it, count_element, &n_elements);
  gst_iterator_free (it);
  printf ("built: %u elements\n", n_elements);
  gst_object_unref (pipeline);
  return 0;
}
