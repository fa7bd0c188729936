/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs gemma4asr, gemma4vision and gemma4caption on the test model and
 * writes every result record each output path gives, one JSON line each,
 * for validate_results.py to check against schemas/: OUTDIR/<kind>-bus.jsonl
 * (element messages, through the plugin's serializer, which the JSON pad
 * uses too), <kind>-meta.jsonl (GstGemma4ResultMeta of the text buffers and,
 * for gemma4vision, of the video frames) and <kind>-json_pad.jsonl (the
 * JSON pad's buffers as they are).
 * usage: dump_results OUTDIR MODEL MMPROJ SPEECH.WAV */
#include <stdio.h>
#include <string.h>

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include "gstgemma4result.h"

static const gchar *outdir;

static FILE *
open_out (const gchar * kind, const gchar * path)
{
  gchar *name = g_strdup_printf ("%s/%s-%s.jsonl", outdir, kind, path);
  FILE *f = fopen (name, "w");

  if (!f)
    g_error ("cannot write %s", name);
  g_free (name);
  return f;
}

static void
write_structure (FILE * f, const GstStructure * s)
{
  gchar *line = gst_gemma4_result_to_json (s);

  fputs (line, f);
  g_free (line);
}

/* appsink holds EOS back until its samples are taken: they are written as
 * they come, from the streaming threads. */
static GMutex write_lock;

typedef struct
{
  FILE *f;
  gboolean meta;                /* the result meta, else the bytes */
} SinkOut;

static GstFlowReturn
new_sample (GstAppSink * sink, gpointer user)
{
  SinkOut *out = user;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf = gst_sample_get_buffer (sample);
  GstMapInfo map;

  g_mutex_lock (&write_lock);
  if (out->meta) {
    GstCustomMeta *meta = gst_buffer_get_custom_meta (buf,
        "GstGemma4ResultMeta");
    if (meta)
      write_structure (out->f, gst_custom_meta_get_structure (meta));
  } else if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
    fwrite (map.data, 1, map.size, out->f);
    gst_buffer_unmap (buf, &map);
  }
  g_mutex_unlock (&write_lock);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static void
connect_sink (GstElement * pipeline, const gchar * name, SinkOut * out)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstAppSinkCallbacks callbacks = {.new_sample = new_sample };

  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, out, NULL);
  gst_object_unref (sink);
}

/* Runs desc to EOS: the bus records into kind-bus.jsonl, the metas of the
 * appsinks named in metas into kind-meta.jsonl, the appsink "json" into
 * kind-json_pad.jsonl. */
static void
run (const gchar * kind, const gchar * desc, const gchar * const *metas)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  FILE *bus_out = open_out (kind, "bus");
  SinkOut meta_out = { open_out (kind, "meta"), TRUE };
  SinkOut json_out = { open_out (kind, "json_pad"), FALSE };
  GstBus *bus;
  guint n = 0;

  if (!pipeline)
    g_error ("%s: %s", desc, error->message);
  for (guint i = 0; metas[i]; i++)
    connect_sink (pipeline, metas[i], &meta_out);
  connect_sink (pipeline, "json", &json_out);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 300 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT);
    if (!msg)
      g_error ("%s: no EOS within 300 s", kind);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      gst_message_parse_error (msg, &error, NULL);
      g_error ("%s: %s", kind, error->message);
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      gst_message_unref (msg);
      break;
    }
    if (gst_message_has_name (msg, GST_GEMMA4_RESULT_NAME)) {
      write_structure (bus_out, gst_message_get_structure (msg));
      n++;
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fclose (bus_out);
  fclose (meta_out.f);
  fclose (json_out.f);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_print ("%s: %u records on the bus\n", kind, n);
}

#define SINK "appsink sync=false async=false"

int
main (int argc, char **argv)
{
  gchar *desc;

  gst_init (&argc, &argv);
  if (argc != 5) {
    g_printerr ("usage: dump_results OUTDIR MODEL MMPROJ SPEECH.WAV\n");
    return 2;
  }
  outdir = argv[1];

  desc = g_strdup_printf ("filesrc location=\"%s\" ! wavparse ! audioconvert "
      "! audioresample ! gemma4asr name=e model-path=\"%s\" mmproj-path=\"%s\" "
      "n-threads=2 max-tokens=4 vad=none chunk-duration=1000 "
      "partial-results=true language=en ! queue ! " SINK " name=text "
      "e.json_src ! queue ! " SINK " name=json", argv[4], argv[2],
      argv[3]);
  run ("asr", desc, (const gchar *[]) { "text", NULL });
  g_free (desc);

  /* detection gives objects; the last frames find the model busy only in
   * a live pipeline, so every frame is a job here */
  desc = g_strdup_printf ("videotestsrc num-buffers=2 ! video/x-raw,"
      "format=RGB,width=100,height=80,framerate=10/1 ! gemma4vision name=e "
      "model-path=\"%s\" mmproj-path=\"%s\" n-threads=2 max-tokens=120 "
      "task=detect labels=person,car attach=exact latency=300000 ! " SINK " name=video "
      "e.text_src ! queue ! " SINK " name=text "
      "e.json_src ! queue ! " SINK " name=json", argv[2], argv[3]);
  run ("vision", desc, (const gchar *[]) { "video", "text", NULL });
  g_free (desc);

  desc = g_strdup_printf ("videotestsrc num-buffers=25 ! video/x-raw,"
      "format=RGB,width=64,height=48,framerate=10/1 ! gemma4caption name=e "
      "model-path=\"%s\" mmproj-path=\"%s\" n-threads=2 max-tokens=4 "
      "window=1000 frames-per-window=2 ! queue ! " SINK " name=text "
      "e.json_src ! queue ! " SINK " name=json", argv[2], argv[3]);
  run ("caption", desc, (const gchar *[]) { "text", NULL });
  g_free (desc);
  return 0;
}
