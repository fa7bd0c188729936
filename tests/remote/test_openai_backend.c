/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backend=openai against fake_server.py on 127.0.0.1: the happy path of
 * gemma4asr and gemma4vision (the request as the local engine would build
 * it, the same records), two servers sharing the load and one going away,
 * and every fault the server can inject: the element posts the right
 * warning or error, drops are counted, the pipeline reaches EOS (or fails
 * with a clear error when no server answers at start), bounded in time. */
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

/* No run may take longer: a hang fails the test instead of the suite. */
#define RUN_LIMIT (30 * G_USEC_PER_SEC)

static const gchar *python;
static const gchar *server_script;

/* ---- the fake server ---------------------------------------------------- */

typedef struct
{
  GSubprocess *proc;
  guint port;
  gchar *url;
} Server;

/* A fake server named name in mode (arg may be NULL), on port (0: any). */
static Server *
server_start_on (const gchar * name, const gchar * mode, const gchar * arg,
    guint port)
{
  Server *s = g_new0 (Server, 1);
  GError *error = NULL;
  gchar *line, *port_text = g_strdup_printf ("%u", port);
  GDataInputStream *out;

  s->proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
      G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, python, server_script, name,
      mode, arg ? arg : "", port_text, NULL);
  g_free (port_text);
  fail_unless (s->proc != NULL, "could not start the fake server: %s",
      error ? error->message : "");
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->proc));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  fail_unless (line && g_str_has_prefix (line, "PORT "),
      "the fake server did not start");
  s->port = (guint) g_ascii_strtoull (line + 5, NULL, 10);
  s->url = g_strdup_printf ("http://127.0.0.1:%u", s->port);
  g_free (line);
  g_object_unref (out);
  return s;
}

static Server *
server_start (const gchar * name, const gchar * mode, const gchar * arg)
{
  return server_start_on (name, mode, arg, 0);
}

/* Ends the server (it leaves when its stdin closes) and waits for it. */
static void
server_stop (Server * s)
{
  g_output_stream_close (g_subprocess_get_stdin_pipe (s->proc), NULL, NULL);
  g_subprocess_wait (s->proc, NULL, NULL);
  g_object_unref (s->proc);
  g_free (s->url);
  g_free (s);
}

static gchar *
server_get (Server * s, const gchar * path)
{
  SoupSession *session = soup_session_new ();
  gchar *url = g_strconcat (s->url, path, NULL);
  SoupMessage *msg = soup_message_new ("GET", url);
  GBytes *body = soup_session_send_and_read (session, msg, NULL, NULL);
  gchar *text;

  fail_unless (body != NULL, "the fake server does not answer %s", url);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_bytes_unref (body);
  g_object_unref (msg);
  g_object_unref (session);
  g_free (url);
  return text;
}

/* The server's counters and the last chat body as JSON text. */
static gint64
server_count (Server * s, const gchar * what)
{
  gchar *text = server_get (s, "/control/stats");
  JsonNode *root = json_from_string (text, NULL);
  gint64 n = json_object_get_int_member (json_node_get_object (root), what);

  json_node_unref (root);
  g_free (text);
  return n;
}

static gchar *
server_last_body (Server * s)
{
  gchar *text = server_get (s, "/control/stats");
  JsonNode *root = json_from_string (text, NULL);
  JsonNode *last = json_object_get_member (json_node_get_object (root),
      "last");
  gchar *out = json_to_string (last, FALSE);

  json_node_unref (root);
  g_free (text);
  return out;
}

/* ---- pipelines ------------------------------------------------------------ */

typedef struct
{
  guint ok, dropped, other;     /* gemma4-result messages by status */
  guint warnings;
  GString *warning_text;        /* every warning's text and details */
  GPtrArray *reasons;           /* the warnings' reasons */
  gchar *error;                 /* the first ERROR's text, if any */
  guint progress_waiting;       /* PROGRESS "Waiting for the server" */
  guint qos;
  gboolean eos;
  gint64 took;                  /* us */
  GstStructure *stats;
  GPtrArray *texts;             /* results' texts */
} Run;

static void
run_init (Run * r)
{
  memset (r, 0, sizeof *r);
  r->warning_text = g_string_new (NULL);
  r->reasons = g_ptr_array_new_with_free_func (g_free);
  r->texts = g_ptr_array_new_with_free_func (g_free);
}

static void
run_clear (Run * r)
{
  g_string_free (r->warning_text, TRUE);
  g_ptr_array_unref (r->reasons);
  g_ptr_array_unref (r->texts);
  g_free (r->error);
  if (r->stats)
    gst_structure_free (r->stats);
}

/* Called between the messages of a run. */
typedef void (*RunHook) (const Run * r, gpointer user);

static void
take_message (Run * r, GstMessage * m)
{
  const GstStructure *s = gst_message_get_structure (m);
  GError *error = NULL;
  const GstStructure *details = NULL;
  gchar *debug = NULL;

  switch (GST_MESSAGE_TYPE (m)) {
    case GST_MESSAGE_ELEMENT:
      if (gst_structure_has_name (s, "gemma4-result")) {
        const gchar *status = gst_structure_get_string (s, "status");
        if (!g_strcmp0 (status, "ok") || !g_strcmp0 (status, "late")) {
          r->ok++;
          g_ptr_array_add (r->texts, g_strdup (gst_structure_get_string (s,
                      "text")));
        } else if (!g_strcmp0 (status, "dropped")) {
          r->dropped++;
        } else {
          r->other++;
        }
      }
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (m, &error, &debug);
      gst_message_parse_warning_details (m, &details);
      r->warnings++;
      g_string_append_printf (r->warning_text, "%s\n", error->message);
      if (details) {
        gchar *d = gst_structure_to_string (details);
        g_string_append_printf (r->warning_text, "%s\n", d);
        g_free (d);
        g_ptr_array_add (r->reasons,
            g_strdup (gst_structure_get_string (details, "reason")));
      }
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (m, &error, &debug);
      if (!r->error)
        r->error = g_strdup (error->message);
      break;
    case GST_MESSAGE_PROGRESS:{
      GstProgressType type;
      gchar *code = NULL, *text = NULL;
      gst_message_parse_progress (m, &type, &code, &text);
      if (text && g_str_has_prefix (text, "Waiting for the server"))
        r->progress_waiting++;
      g_free (code);
      g_free (text);
      break;
    }
    case GST_MESSAGE_QOS:
      r->qos++;
      break;
    case GST_MESSAGE_EOS:
      r->eos = TRUE;
      break;
    default:
      break;
  }
  g_clear_error (&error);
  g_free (debug);
}

static gboolean
has_reason (const Run * r, const gchar * reason)
{
  for (guint i = 0; i < r->reasons->len; i++)
    if (!g_strcmp0 (g_ptr_array_index (r->reasons, i), reason))
      return TRUE;
  return FALSE;
}

/* Takes the messages of bus until EOS or an error, calling hook between
 * them; fails past RUN_LIMIT. */
static void
wait_end (GstBus * bus, Run * r, RunHook hook, gpointer user)
{
  const gint64 t0 = g_get_monotonic_time ();

  while (!r->eos && !r->error) {
    GstMessage *m = gst_bus_timed_pop (bus, 50 * GST_MSECOND);
    fail_if (g_get_monotonic_time () - t0 > RUN_LIMIT,
        "no EOS or error within %d s", (gint) (RUN_LIMIT / G_USEC_PER_SEC));
    if (m) {
      take_message (r, m);
      gst_message_unref (m);
    }
    if (hook)
      hook (r, user);
  }
  r->took = g_get_monotonic_time () - t0;
}

/* Runs desc (its gemma4 element named "e") to EOS or an error. */
static void
run_pipeline (const gchar * desc, Run * r, RunHook hook, gpointer user)
{
  GError *error = NULL;
  GstElement *p = gst_parse_launch (desc, &error);
  GstElement *e;
  GstBus *bus;

  fail_unless (p != NULL, "%s: %s", desc, error ? error->message : "");
  run_init (r);
  e = gst_bin_get_by_name (GST_BIN (p), "e");
  bus = gst_element_get_bus (p);
  gst_element_set_state (p, GST_STATE_PLAYING);
  wait_end (bus, r, hook, user);
  fail_unless_equals_int (gst_element_set_state (p, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  /* what came with the end */
  for (GstMessage * m; (m = gst_bus_pop (bus)); gst_message_unref (m))
    take_message (r, m);
  g_object_get (e, "stats", &r->stats, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  gst_object_unref (p);
}

static guint64
stat (const Run * r, const gchar * field)
{
  guint64 v = 0;

  fail_unless (gst_structure_get_uint64 (r->stats, field, &v), "stats lack %s",
      field);
  return v;
}

/* n_chunks 1-s chunks of a tone to gemma4asr on url, with extra
 * properties (after a request-timeout of 10 s: the start on a loaded
 * machine needs more than the default 1.5 s; extra may set another). */
static gchar *
asr_desc (const gchar * url, guint n_chunks, gboolean live,
    const gchar * extra)
{
  return g_strdup_printf ("audiotestsrc num-buffers=%u samplesperbuffer=1600 "
      "is-live=%s ! audio/x-raw,format=S16LE,rate=16000,channels=1 ! "
      "gemma4asr name=e backend=openai server-url=%s vad=none "
      "chunk-duration=1000 chunk-overlap=0 request-timeout=10000 %s ! "
      "fakesink sync=false",
      n_chunks * 10, live ? "true" : "false", url, extra ? extra : "");
}

static void
run_asr (Server * s, guint n_chunks, const gchar * extra, Run * r)
{
  gchar *desc = asr_desc (s->url, n_chunks, FALSE, extra);

  run_pipeline (desc, r, NULL, NULL);
  g_free (desc);
}

static void
print_case (const gchar * name, const Run * r)
{
  g_print ("%s: %u ok, %u dropped, %u warnings, error: %s, %.2f s, "
      "drops %" G_GUINT64_FORMAT ", server-failures %" G_GUINT64_FORMAT "\n",
      name, r->ok, r->dropped, r->warnings, r->error ? r->error : "none",
      r->took / 1e6, stat (r, "drops"), stat (r, "server-failures"));
}

/* ---- happy paths -------------------------------------------------------- */

GST_START_TEST (test_asr_happy)
{
  Server *s = server_start ("alpha", "ok", NULL);
  Run r;
  gchar *body;

  run_asr (s, 3, "system-prompt=\"Be brief.\" max-tokens=64 seed=7 "
      "request-timeout=20000", &r);
  print_case ("asr-happy", &r);
  fail_unless (r.eos && !r.error);
  fail_unless_equals_int (r.ok, 3);
  fail_unless_equals_int (r.dropped, 0);
  for (guint i = 0; i < r.texts->len; i++)
    fail_unless_equals_string (g_ptr_array_index (r.texts, i),
        "hello from alpha");
  fail_unless_equals_uint64 (stat (&r, "jobs"), 3);
  fail_unless_equals_uint64 (stat (&r, "drops"), 0);
  fail_unless_equals_int (server_count (s, "chat"), 3);
  body = server_last_body (s);
  /* the chat the local engine renders: system turn, then the audio and the
   * transcription instruction; thinking off; our sampling */
  fail_unless (strstr (body, "\"role\":\"system\",\"content\":\"Be brief.\""),
      "%s", body);
  fail_unless (strstr (body, "\"type\":\"input_audio\""), "%s", body);
  fail_unless (strstr (body, "\"format\":\"wav\""), "%s", body);
  fail_unless (strstr (body, "\"data\":\"UklGR"), "not a WAV: %.300s", body);
  fail_unless (strstr (body, "Transcribe"), "%.300s", body);
  fail_unless (strstr (body, "\"enable_thinking\":false"), "%s", body);
  fail_unless (strstr (body, "\"stream\":true"), "%s", body);
  fail_unless (strstr (body, "\"max_tokens\":64"), "%s", body);
  fail_unless (strstr (body, "\"seed\":7"), "%s", body);
  fail_unless (strstr (body, "\"model\":\"fake-gemma4\""), "%s", body);
  g_free (body);
  run_clear (&r);
  server_stop (s);
}

GST_END_TEST;

/* thinking: the request asks for it, the reasoning never reaches the
 * text; sglang (named by the server's model list) gets audio_url. */
GST_START_TEST (test_asr_thinking_sglang)
{
  Server *s = server_start ("sglang", "ok", NULL);
  Run r;
  gchar *body;

  run_asr (s, 1, "thinking=true", &r);
  fail_unless (r.eos && !r.error);
  fail_unless_equals_int (r.ok, 1);
  fail_unless_equals_string (g_ptr_array_index (r.texts, 0),
      "hello from sglang");
  body = server_last_body (s);
  fail_unless (strstr (body, "\"enable_thinking\":true"), "%s", body);
  fail_unless (strstr (body, "\"type\":\"audio_url\""), "%.300s", body);
  fail_unless (strstr (body, "data:audio/wav;base64,"), "%.300s", body);
  g_free (body);
  run_clear (&r);
  server_stop (s);
}

GST_END_TEST;

static void
count_partials (GstElement * sink, GstBuffer * buf, GstPad * pad, gpointer n)
{
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  if (g_strstr_len ((const gchar *) map.data, map.size, "\"is_final\":false"))
    g_atomic_int_inc ((gint *) n);
  gst_buffer_unmap (buf, &map);
}

/* partial-results: the streamed answer goes out piece by piece on the JSON
 * pad ("hello from alpha" comes in three pieces), then the final record. */
GST_START_TEST (test_asr_partial_results)
{
  Server *s = server_start ("alpha", "ok", NULL);
  gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=10 "
      "samplesperbuffer=1600 ! audio/x-raw,format=S16LE,rate=16000,channels=1 "
      "! gemma4asr name=e backend=openai server-url=%s vad=none "
      "chunk-duration=1000 partial-results=true request-timeout=10000 ! "
      "fakesink sync=false "
      "e.json_src ! fakesink name=j sync=false signal-handoffs=true", s->url);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *j = gst_bin_get_by_name (GST_BIN (p), "j");
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *m;
  gint partials = 0;

  g_signal_connect (j, "handoff", G_CALLBACK (count_partials), &partials);
  gst_element_set_state (p, GST_STATE_PLAYING);
  m = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS);
  gst_message_unref (m);
  gst_element_set_state (p, GST_STATE_NULL);
  fail_unless_equals_int (g_atomic_int_get (&partials), 3);
  gst_object_unref (j);
  gst_object_unref (bus);
  gst_object_unref (p);
  g_free (desc);
  server_stop (s);
}

GST_END_TEST;

typedef struct
{
  gint64 first_partial, first_final;
} PartialTimes;

static void
time_records (GstElement * sink, GstBuffer * buf, GstPad * pad, gpointer data)
{
  PartialTimes *t = data;
  GstMapInfo map;
  gint64 *when;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  when = g_strstr_len ((const gchar *) map.data, map.size,
      "\"is_final\":false") ? &t->first_partial : &t->first_final;
  if (!*when)
    *when = g_get_monotonic_time ();
  gst_buffer_unmap (buf, &map);
}

/* partial-results with requests pipelined: the oldest job's pieces go out
 * as the server streams them (0.3 s apart here), not all at once with its
 * answer. */
GST_START_TEST (test_asr_partial_results_stream)
{
  Server *s = server_start ("alpha", "trickle", "0.3");
  /* live: the sinks need no preroll, which would hold the first partial
   * in the JSON sink until the text sink got its first buffer */
  gchar *desc = g_strdup_printf ("audiotestsrc is-live=true num-buffers=10 "
      "samplesperbuffer=1600 ! audio/x-raw,format=S16LE,rate=16000,channels=1 "
      "! gemma4asr name=e backend=openai server-url=%s vad=none "
      "chunk-duration=1000 partial-results=true max-inflight=4 "
      "request-timeout=10000 ! fakesink sync=false "
      "e.json_src ! fakesink name=j sync=false signal-handoffs=true", s->url);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *j = gst_bin_get_by_name (GST_BIN (p), "j");
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *m;
  PartialTimes t = { 0 };

  g_signal_connect (j, "handoff", G_CALLBACK (time_records), &t);
  gst_element_set_state (p, GST_STATE_PLAYING);
  m = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS);
  gst_message_unref (m);
  gst_element_set_state (p, GST_STATE_NULL);
  g_print ("first partial %.2f s before the first final record\n",
      (t.first_final - t.first_partial) / 1e6);
  fail_unless (t.first_partial && t.first_final);
  /* three chunks 0.3 s apart: the first piece about 0.6 s before the end */
  fail_unless (t.first_final - t.first_partial > 400 * 1000,
      "the partial results came with the answer");
  gst_object_unref (j);
  gst_object_unref (bus);
  gst_object_unref (p);
  g_free (desc);
  server_stop (s);
}

GST_END_TEST;

static GstPadProbeReturn
count_rois (GstPad * pad, GstPadProbeInfo * info, gpointer n)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstVideoRegionOfInterestMeta *roi =
      gst_buffer_get_video_region_of_interest_meta (buf);

  if (roi && roi->roi_type == g_quark_from_string ("cat"))
    g_atomic_int_inc ((gint *) n);
  return GST_PAD_PROBE_OK;
}

/* gemma4vision detect: the frame as a JPEG data URI, the box list's
 * schema; the answer parsed into ROI metas on the video. */
GST_START_TEST (test_vision_detect)
{
  Server *s = server_start ("alpha", "ok", NULL);
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=3 ! "
      "video/x-raw,width=320,height=240 ! gemma4vision name=e "
      "backend=openai server-url=%s task=detect labels=cat,dog "
      "attach=exact latency=20000 ! fakesink name=sink sync=false", s->url);
  GError *error = NULL;
  GstElement *p = gst_parse_launch (desc, &error);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *m;
  gint rois = 0;
  gchar *body;

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_rois, &rois, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  m = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS);
  gst_message_unref (m);
  gst_element_set_state (p, GST_STATE_NULL);
  fail_unless_equals_int (g_atomic_int_get (&rois), 3);
  body = server_last_body (s);
  fail_unless (strstr (body, "\"url\":\"data:image/jpeg;base64,/9j/"),
      "%.300s", body);
  fail_unless (strstr (body, "\"response_format\":{\"type\":\"json_schema\""),
      "%.300s", body);
  fail_unless (strstr (body, "\"enum\":[\"cat\",\"dog\"]"), "%.300s", body);
  g_print ("vision-detect: 3 frames, 3 with a cat ROI from the server's "
      "boxes\n");
  g_free (body);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (bus);
  gst_object_unref (p);
  g_free (desc);
  server_stop (s);
}

GST_END_TEST;

/* gemma4vision classify: the labels as the answer's schema (a JSON string
 * out of them), the answer read back as the bare label. */
GST_START_TEST (test_vision_classify)
{
  Server *s = server_start ("alpha", "ok", NULL);
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=2 ! "
      "video/x-raw,width=320,height=240 ! gemma4vision name=e "
      "backend=openai server-url=%s task=classify labels=cat,dog "
      "request-timeout=10000 ! fakesink sync=false", s->url);
  gchar *body;
  Run r;

  run_pipeline (desc, &r, NULL, NULL);
  fail_unless (r.eos && !r.error);
  fail_unless_equals_int (r.ok, 2);
  for (guint i = 0; i < r.texts->len; i++)
    fail_unless_equals_string (g_ptr_array_index (r.texts, i), "dog");
  body = server_last_body (s);
  fail_unless (strstr (body, "\"schema\":{\"type\":\"string\","
          "\"enum\":[\"cat\",\"dog\"]}"), "%.300s", body);
  g_free (body);
  run_clear (&r);
  g_free (desc);
  server_stop (s);
}

GST_END_TEST;

/* gemma4caption: a window's frames as JPEGs in the places the user turn
 * gives them (each after its time stamp), one caption per window. */
GST_START_TEST (test_caption_window)
{
  Server *s = server_start ("alpha", "ok", NULL);
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=90 ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! gemma4caption "
      "name=e backend=openai server-url=%s window=3000 window-overlap=0 "
      "frames-per-window=4 request-timeout=10000 ! fakesink sync=false",
      s->url);
  gchar *body, *p;
  guint images = 0;
  Run r;

  run_pipeline (desc, &r, NULL, NULL);
  print_case ("caption-window", &r);
  fail_unless (r.eos && !r.error);
  fail_unless_equals_int (r.ok, 1);
  fail_unless_equals_string (g_ptr_array_index (r.texts, 0),
      "hello from alpha");
  body = server_last_body (s);
  for (p = body; (p = strstr (p, "data:image/jpeg;base64,")); p++)
    images++;
  fail_unless_equals_int (images, 4);
  fail_unless (strstr (body, "\"text\":\"00:00 \""), "%.200s", body);
  g_free (body);
  run_clear (&r);
  g_free (desc);
  server_stop (s);
}

GST_END_TEST;

/* Two servers: requests alternate (fewest in flight, ties in turn). */
GST_START_TEST (test_two_servers_share)
{
  Server *a = server_start ("alpha", "ok", NULL);
  Server *b = server_start ("beta", "ok", NULL);
  gchar *urls = g_strdup_printf ("%s,%s/v1", a->url, b->url);
  gchar *desc = asr_desc (urls, 6, FALSE, NULL);
  Run r;

  run_pipeline (desc, &r, NULL, NULL);
  print_case ("two-servers", &r);
  fail_unless (r.eos && !r.error);
  fail_unless_equals_int (r.ok, 6);
  fail_unless_equals_int (server_count (a, "chat"), 3);
  fail_unless_equals_int (server_count (b, "chat"), 3);
  run_clear (&r);
  g_free (desc);
  g_free (urls);
  server_stop (a);
  server_stop (b);
}

GST_END_TEST;

typedef struct
{
  Server **victim;
  guint after;
  gint64 victim_chats;          /* the chats it had taken when stopped */
} Kill;

static void
kill_after (const Run * r, gpointer data)
{
  Kill *k = data;

  if (r->ok + r->dropped == k->after && *k->victim) {
    gchar *text = server_get (*k->victim, "/control/gone");
    JsonNode *root = json_from_string (text, NULL);

    /* final: from here on the server answers nothing */
    k->victim_chats = json_object_get_int_member (json_node_get_object (root),
        "chat");
    json_node_unref (root);
    g_free (text);
    server_stop (*k->victim);
    *k->victim = NULL;
  }
}

/* One of two servers goes away mid-run: its requests fail over to the
 * other (connection refused is retried), nothing is lost.  The bus reports
 * results after the fact, so requests beta took before it went away may
 * still be reported after the kill: what beta answered is bounded by the
 * chats it had taken then, every other result comes from alpha. */
GST_START_TEST (test_server_goes_away)
{
  Server *a = server_start ("alpha", "ok", NULL);
  Server *b = server_start ("beta", "ok", NULL);
  gchar *urls = g_strdup_printf ("%s,%s", a->url, b->url);
  gchar *desc = asr_desc (urls, 8, FALSE, "request-timeout=20000");
  Kill k = { &b, 2, -1 };
  guint from_alpha = 0, from_beta = 0;
  Run r;

  run_pipeline (desc, &r, kill_after, &k);
  print_case ("one-of-two-goes-away", &r);
  fail_unless (r.eos && !r.error);
  fail_unless (k.victim_chats >= 1, "beta was never stopped or never used");
  fail_unless_equals_int (r.ok + r.dropped, 8);
  fail_unless (r.ok >= 7, "%u of 8 results", r.ok);
  for (guint i = 0; i < r.texts->len; i++) {
    const gchar *t = g_ptr_array_index (r.texts, i);
    from_alpha += !g_strcmp0 (t, "hello from alpha");
    from_beta += !g_strcmp0 (t, "hello from beta");
  }
  fail_unless_equals_int (from_alpha + from_beta, r.ok);
  fail_unless (from_beta <= k.victim_chats, "%u results from beta, which "
      "had taken %" G_GINT64_FORMAT " chats when it went away", from_beta,
      k.victim_chats);
  fail_unless (server_count (a, "chat") >= 8 - k.victim_chats);
  run_clear (&r);
  g_free (desc);
  g_free (urls);
  server_stop (a);
}

GST_END_TEST;

typedef struct
{
  Server *s;
  guint port;
  gint64 gone_at;
  guint ok_at_return;
} Outage;

/* The server goes away after the first result, comes back 2 s later. */
static void
outage (const Run * r, gpointer data)
{
  Outage *o = data;

  if (o->s && r->ok == 1 && !o->gone_at) {
    server_stop (o->s);
    o->s = NULL;
    o->gone_at = g_get_monotonic_time ();
  } else if (!o->s && o->gone_at
      && g_get_monotonic_time () - o->gone_at > 2 * G_USEC_PER_SEC) {
    o->s = server_start_on ("alpha", "ok", NULL, o->port);
    o->ok_at_return = r->ok;
  }
}

/* The only server goes away in a live pipeline and comes back: warnings
 * and drops meanwhile (never an error or a stall), results again after. */
GST_START_TEST (test_server_returns)
{
  Outage o = { server_start ("alpha", "ok", NULL), 0, 0, 0 };
  gchar *desc = asr_desc (o.s->url, 8, TRUE, "request-timeout=1500");
  Run r;

  o.port = o.s->port;
  run_pipeline (desc, &r, outage, &o);
  print_case ("only-server-returns", &r);
  fail_unless (r.eos && !r.error);
  fail_unless (r.dropped >= 1 && r.warnings >= 1, "%u dropped, %u warnings",
      r.dropped, r.warnings);
  fail_unless (has_reason (&r, "gemma4/server-failed"), "%s",
      r.warning_text->str);
  fail_unless (o.s && r.ok > o.ok_at_return,
      "no result after the server came back");
  fail_unless_equals_uint64 (stat (&r, "drops"), r.dropped);
  run_clear (&r);
  g_free (desc);
  if (o.s)
    server_stop (o.s);
}

GST_END_TEST;

typedef struct
{
  Server *s;
  guint port;
  gint64 gone_at, back_at, healthy_at, first_after;
  guint ok_at_healthy;
} Restart;

/* The server is killed after the first result and restarted 1 s later; it
 * then loads for 3 s (503 "loading" on /health and chat), as llama-server
 * does. */
static void
restart_loading (const Run * r, gpointer data)
{
  Restart *o = data;
  const gint64 now = g_get_monotonic_time ();

  if (o->s && r->ok == 1 && !o->gone_at) {
    server_stop (o->s);
    o->s = NULL;
    o->gone_at = now;
  } else if (!o->s && o->gone_at && now - o->gone_at > G_USEC_PER_SEC) {
    o->s = server_start_on ("alpha", "loading", "3", o->port);
    o->back_at = now;
    o->healthy_at = now + 3 * G_USEC_PER_SEC;
  } else if (o->healthy_at && now >= o->healthy_at && !o->ok_at_healthy) {
    o->ok_at_healthy = r->ok + 1;
  } else if (o->ok_at_healthy && r->ok >= o->ok_at_healthy && !o->first_after) {
    o->first_after = now;
  }
}

/* The only server of a live pipeline is restarted and loads a while, with
 * jobs coming all along (request-timeout following latency): results
 * resume within about one back-off period after it answers /health. */
GST_START_TEST (test_server_restarts_loading)
{
  Restart o = { 0 };
  gchar *desc;
  Run r;

  o.s = server_start ("alpha", "ok", NULL);
  o.port = o.s->port;
  desc = asr_desc (o.s->url, 14, TRUE, "request-timeout=0 latency=2000");
  run_pipeline (desc, &r, restart_loading, &o);
  print_case ("only-server-restarts-loading", &r);
  if (o.first_after)
    g_print ("first result %.2f s after the server was ready\n",
        (o.first_after - o.healthy_at) / 1e6);
  fail_unless (r.eos && !r.error);
  fail_unless (o.healthy_at != 0, "the server was not restarted");
  fail_unless (o.first_after != 0, "no result after the server was ready "
      "(%u ok, %u dropped): %s", r.ok, r.dropped, r.warning_text->str);
  fail_unless (o.first_after - o.healthy_at < 3 * G_USEC_PER_SEC,
      "the first result came %.1f s after the server was ready",
      (o.first_after - o.healthy_at) / 1e6);
  run_clear (&r);
  g_free (desc);
  if (o.s)
    server_stop (o.s);
}

GST_END_TEST;

/* ---- faults -------------------------------------------------------------- */

/* Every chunk of a 3-chunk file dropped with a warning of reason, counted
 * in drops and server-failures; the warning mentions what; the run took
 * less than max_s seconds (0: unbounded but for RUN_LIMIT). */
static void
expect_all_dropped (const gchar * mode, const gchar * arg,
    const gchar * extra, const gchar * reason, const gchar * what,
    gdouble max_s)
{
  Server *s = server_start ("alpha", mode, arg);
  Run r;

  run_asr (s, 3, extra, &r);
  print_case (mode, &r);
  fail_unless (r.eos, "%s: no EOS", mode);
  fail_unless (r.error == NULL, "%s: %s", mode, r.error);
  fail_unless_equals_int (r.ok, 0);
  fail_unless_equals_int (r.dropped, 3);
  fail_unless_equals_uint64 (stat (&r, "drops"), 3);
  fail_unless_equals_uint64 (stat (&r, "server-failures"), 3);
  fail_unless (r.warnings >= 1);
  fail_unless (has_reason (&r, reason), "%s: %s", mode, r.warning_text->str);
  fail_unless (strstr (r.warning_text->str, what), "%s: no \"%s\" in %s",
      mode, what, r.warning_text->str);
  fail_unless (max_s == 0 || r.took < max_s * G_USEC_PER_SEC,
      "%s took %.1f s", mode, r.took / 1e6);
  run_clear (&r);
  server_stop (s);
}

GST_START_TEST (test_fault_500)
{
  expect_all_dropped ("e500", NULL, NULL, "gemma4/server-failed",
      "answered 500", 0);
}

GST_END_TEST;

GST_START_TEST (test_fault_reset)
{
  expect_all_dropped ("reset", NULL, NULL, "gemma4/server-failed",
      "The server did not answer", 0);
}

GST_END_TEST;

GST_START_TEST (test_fault_malformed)
{
  expect_all_dropped ("malformed", NULL, NULL, "gemma4/server-failed",
      "malformed JSON", 0);
}

GST_END_TEST;

GST_START_TEST (test_fault_huge)
{
  expect_all_dropped ("huge", NULL, "request-timeout=20000",
      "gemma4/server-failed", "larger than", 0);
}

GST_END_TEST;

GST_START_TEST (test_fault_wrong_type)
{
  expect_all_dropped ("wrongtype", NULL, NULL, "gemma4/server-failed",
      "content type text/html", 0);
}

GST_END_TEST;

/* The first byte comes after the timeout: dropped at the deadline, the
 * connection closed (the run takes about 3 timeouts, 4.5 s, not 3 delays,
 * 18 s). */
GST_START_TEST (test_fault_slow_first_byte)
{
  expect_all_dropped ("slow", "6", "request-timeout=1500",
      "gemma4/server-timeout", "did not answer in time", 7.0);
}

GST_END_TEST;

GST_START_TEST (test_fault_never_answers_chat)
{
  expect_all_dropped ("hangchat", NULL, "request-timeout=1500",
      "gemma4/server-timeout", "did not answer in time", 7.0);
}

GST_END_TEST;

/* Every chunk of an n_chunks file answered by a server in mode; the
 * server goes back for more checks. */
static Server *
expect_all_answered (const gchar * name, const gchar * mode,
    const gchar * arg, guint n_chunks, const gchar * extra, Run * r)
{
  Server *s = server_start ("alpha", mode, arg);

  run_asr (s, n_chunks, extra, r);
  print_case (name, r);
  fail_unless (r->eos && !r->error);
  fail_unless_equals_int (r->ok, n_chunks);
  fail_unless_equals_int (r->dropped, 0);
  return s;
}

/* A file pipeline with the default request-timeout waits for a server
 * slower than the latency budget, as for the local engine: every job
 * answered. */
GST_START_TEST (test_file_waits_for_slow_server)
{
  Run r;
  Server *s = expect_all_answered ("file-slow-server", "slow", "3", 2,
      "request-timeout=0 latency=2000", &r);

  run_clear (&r);
  server_stop (s);
}

GST_END_TEST;

/* 429 with Retry-After: 1 is retried after a second, nothing dropped. */
GST_START_TEST (test_fault_429)
{
  Run r;
  Server *s = expect_all_answered ("429-retry-after", "e429", "1", 2,
      "request-timeout=5000", &r);

  fail_unless_equals_int (server_count (s, "chat"), 3);
  fail_unless (r.took >= G_USEC_PER_SEC, "Retry-After not honoured: %.2f s",
      r.took / 1e6);
  run_clear (&r);
  server_stop (s);
}

GST_END_TEST;

/* 503 while loading: the start waits with PROGRESS messages, then works. */
GST_START_TEST (test_fault_loading)
{
  Run r;
  Server *s = expect_all_answered ("503-loading", "loading", "1.5", 2,
      "request-timeout=5000", &r);

  fail_unless (r.progress_waiting >= 1);
  fail_unless (server_count (s, "health") >= 2);
  run_clear (&r);
  server_stop (s);
}

GST_END_TEST;

/* 429 past max-retries and the deadline: dropped, never retried past it. */
GST_START_TEST (test_fault_retries_bounded)
{
  Server *s = server_start ("alpha", "e429", "1000");
  Run r;

  run_asr (s, 1, "request-timeout=3000 max-retries=1", &r);
  print_case ("429-retries-bounded", &r);
  fail_unless (r.eos && !r.error);
  fail_unless_equals_int (r.dropped, 1);
  fail_unless_equals_int (server_count (s, "chat"), 2);
  run_clear (&r);
  server_stop (s);
}

GST_END_TEST;

/* Nothing answers at start: an ERROR naming the URL within
 * request-timeout. */
GST_START_TEST (test_fault_hang_at_start)
{
  Server *s = server_start ("alpha", "hang", NULL);
  Run r;

  run_asr (s, 2, "request-timeout=1000", &r);
  print_case ("server-never-answers", &r);
  fail_unless (r.error != NULL);
  fail_unless (strstr (r.error, s->url), "%s", r.error);
  fail_unless (r.took < 5 * G_USEC_PER_SEC, "took %.1f s", r.took / 1e6);
  run_clear (&r);
  server_stop (s);
}

GST_END_TEST;

GST_START_TEST (test_fault_no_server)
{
  Server *s = server_start ("alpha", "ok", NULL);
  gchar *url = g_strdup (s->url);
  gchar *desc;
  Run r;

  server_stop (s);
  desc = asr_desc (url, 1, FALSE, "request-timeout=1000");
  run_pipeline (desc, &r, NULL, NULL);
  print_case ("connection-refused", &r);
  fail_unless (r.error && strstr (r.error, url), "%s", r.error);
  run_clear (&r);
  g_free (desc);
  g_free (url);
}

GST_END_TEST;

/* The bearer token comes from api-key-env and shows up nowhere; a wrong
 * one is a 401, dropped with a warning that does not hold it either. */
GST_START_TEST (test_api_key)
{
  Server *s = server_start ("alpha", "auth", "s3cret-key");
  Run r;

  g_setenv ("G4_TEST_API_KEY", "s3cret-key", TRUE);
  run_asr (s, 1, "api-key-env=G4_TEST_API_KEY", &r);
  fail_unless (r.eos && !r.error);
  fail_unless_equals_int (r.ok, 1);
  run_clear (&r);

  g_setenv ("G4_TEST_API_KEY", "wrong-key-123", TRUE);
  run_asr (s, 1, "api-key-env=G4_TEST_API_KEY", &r);
  print_case ("401-wrong-key", &r);
  fail_unless (r.eos && !r.error);
  fail_unless_equals_int (r.dropped, 1);
  fail_unless (strstr (r.warning_text->str, "401"), "%s",
      r.warning_text->str);
  fail_if (strstr (r.warning_text->str, "wrong-key-123") != NULL);
  run_clear (&r);

  g_unsetenv ("G4_TEST_API_KEY");
  run_asr (s, 1, "api-key-env=G4_TEST_API_KEY", &r);
  fail_unless (r.error && strstr (r.error, "G4_TEST_API_KEY"), "%s",
      r.error);
  run_clear (&r);
  server_stop (s);
}

GST_END_TEST;

/* PAUSED->READY while the element still waits for a loading server does
 * not end the wait: back in PLAYING the results come. */
GST_START_TEST (test_state_cycle_while_connecting)
{
  Server *s = server_start ("alpha", "loading", "1.5");
  gchar *desc = asr_desc (s->url, 2, FALSE, "request-timeout=8000");
  GstElement *p = gst_parse_launch (desc, NULL);
  GstBus *bus = gst_element_get_bus (p);
  Run r;

  run_init (&r);
  gst_element_set_state (p, GST_STATE_PAUSED);
  g_usleep (200000);
  gst_element_set_state (p, GST_STATE_READY);
  gst_element_set_state (p, GST_STATE_PLAYING);
  wait_end (bus, &r, NULL, NULL);
  gst_element_set_state (p, GST_STATE_NULL);
  fail_unless (r.error == NULL, "%s", r.error);
  fail_unless_equals_int (r.ok, 2);
  run_clear (&r);
  gst_object_unref (bus);
  gst_object_unref (p);
  g_free (desc);
  server_stop (s);
}

GST_END_TEST;

/* A request that never ends, then the pipeline stops: the flush closes
 * the connection at once. */
GST_START_TEST (test_stop_cancels_request)
{
  Server *s = server_start ("alpha", "hangchat", NULL);
  gchar *desc = asr_desc (s->url, 3, FALSE, "request-timeout=60000");
  GstElement *p = gst_parse_launch (desc, NULL);
  gint64 t0;

  gst_element_set_state (p, GST_STATE_PLAYING);
  while (server_count (s, "chat") < 1)
    g_usleep (20000);
  t0 = g_get_monotonic_time ();
  fail_unless_equals_int (gst_element_set_state (p, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  g_print ("stop-cancels-request: PLAYING->NULL in %.0f ms while a request "
      "waited\n", (g_get_monotonic_time () - t0) / 1e3);
  fail_unless (g_get_monotonic_time () - t0 < G_USEC_PER_SEC);
  gst_object_unref (p);
  g_free (desc);
  server_stop (s);
}

GST_END_TEST;

/* Live, requests slower than the audio, one in flight: the leaky policy
 * drops under load as with the local engine (QOS, counted). */
GST_START_TEST (test_live_overload_drops)
{
  Server *s = server_start ("alpha", "slow", "1.6");
  gchar *desc = asr_desc (s->url, 6, TRUE,
      "max-inflight=1 request-timeout=5000");
  Run r;

  run_pipeline (desc, &r, NULL, NULL);
  print_case ("live-overload", &r);
  fail_unless (r.eos && !r.error);
  fail_unless (r.dropped >= 1 && r.ok >= 1, "%u ok, %u dropped", r.ok,
      r.dropped);
  fail_unless (r.qos >= 1);
  fail_unless_equals_uint64 (stat (&r, "drops"), r.dropped);
  fail_unless_equals_uint64 (stat (&r, "server-failures"), 0);
  run_clear (&r);
  g_free (desc);
  server_stop (s);
}

GST_END_TEST;

/* ---- several requests in flight ---------------------------------------- */

/* 8 chunks, each answered in 1 s, 4 in flight: about 2 s, not 8; every job
 * in the stats; the server had 4 requests open at once. */
GST_START_TEST (test_inflight_throughput)
{
  Server *s = server_start ("alpha", "slow", "1");
  Run r;

  run_asr (s, 8, "max-inflight=4", &r);
  print_case ("inflight-throughput", &r);
  fail_unless (r.eos && !r.error);
  fail_unless_equals_int (r.ok, 8);
  fail_unless_equals_uint64 (stat (&r, "jobs") + stat (&r, "drops"), 8);
  fail_unless_equals_int (server_count (s, "most_open"), 4);
  fail_unless (r.took < 4 * G_USEC_PER_SEC, "8 jobs of 1 s with 4 in flight "
      "took %.1f s", r.took / 1e6);
  run_clear (&r);
  server_stop (s);
}

GST_END_TEST;

/* Of each 4 requests in flight the last is answered first: the results
 * still go out in stream order (gemma4caption windows of 1 s, answered
 * with their first frame's time stamp). */
GST_START_TEST (test_inflight_order)
{
  Server *s = server_start ("alpha", "numbered", "0.8");
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=40 ! "
      "video/x-raw,width=160,height=120,framerate=5/1 ! gemma4caption "
      "name=e backend=openai server-url=%s window=1000 window-overlap=0 "
      "frames-per-window=1 prompt=Describe. max-inflight=4 "
      "request-timeout=10000 ! fakesink sync=false", s->url);
  Run r;

  run_pipeline (desc, &r, NULL, NULL);
  print_case ("inflight-order", &r);
  fail_unless (r.eos && !r.error);
  fail_unless_equals_int (r.ok, 8);
  for (guint i = 0; i < r.texts->len; i++) {
    gchar *want = g_strdup_printf ("answer 00:%02u", i);
    fail_unless_equals_string (g_ptr_array_index (r.texts, i), want);
    g_free (want);
  }
  fail_unless (server_count (s, "most_open") >= 3);
  run_clear (&r);
  g_free (desc);
  server_stop (s);
}

GST_END_TEST;

/* A flush while 4 requests wait for a server that never answers: all 4
 * connections close at once, and the element takes data again. */
GST_START_TEST (test_inflight_flush_cancels_all)
{
  Server *s = server_start ("alpha", "hangchat", NULL);
  gchar *desc = asr_desc (s->url, 8, FALSE,
      "max-inflight=4 request-timeout=60000");
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *e = gst_bin_get_by_name (GST_BIN (p), "e");
  GstPad *sink = gst_element_get_static_pad (e, "sink");
  gint64 t0, until;

  gst_element_set_state (p, GST_STATE_PLAYING);
  until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (server_count (s, "open") < 4 && g_get_monotonic_time () < until)
    g_usleep (20000);
  fail_unless_equals_int (server_count (s, "open"), 4);
  t0 = g_get_monotonic_time ();
  fail_unless (gst_pad_send_event (sink, gst_event_new_flush_start ()));
  fail_unless (gst_pad_send_event (sink, gst_event_new_flush_stop (TRUE)));
  until = t0 + 2 * G_USEC_PER_SEC;
  while (server_count (s, "closed") < 4 && g_get_monotonic_time () < until)
    g_usleep (20000);
  g_print ("inflight-flush: %" G_GINT64_FORMAT " of 4 connections closed in "
      "%.0f ms\n", server_count (s, "closed"),
      (g_get_monotonic_time () - t0) / 1e3);
  fail_unless_equals_int (server_count (s, "closed"), 4);
  fail_unless_equals_int (gst_element_set_state (p, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (sink);
  gst_object_unref (e);
  gst_object_unref (p);
  g_free (desc);
  server_stop (s);
}

GST_END_TEST;

/* ---- READY->PAUSED waits for the server ------------------------------- */

/* No server answers within request-timeout: the state change to PAUSED
 * itself fails, with an ERROR naming the URL; before that it is ASYNC with
 * PROGRESS messages. */
GST_START_TEST (test_start_state_change_fails)
{
  Server *s = server_start ("alpha", "hang", NULL);
  gchar *desc = asr_desc (s->url, 1, FALSE, "request-timeout=1500");
  GstElement *p = gst_parse_launch (desc, NULL);
  GstBus *bus = gst_element_get_bus (p);
  GstStateChangeReturn ret;
  GstState state;
  Run r;

  run_init (&r);
  fail_unless_equals_int (gst_element_set_state (p, GST_STATE_PAUSED),
      GST_STATE_CHANGE_ASYNC);
  ret = gst_element_get_state (p, &state, NULL, 10 * GST_SECOND);
  /* the ERROR may reach the pipeline's bus after the state change ended */
  for (GstMessage * m; !r.error && (m = gst_bus_timed_pop (bus,
              5 * GST_SECOND)); gst_message_unref (m))
    take_message (&r, m);
  g_print ("start-state-change-fails: %s, state %s, error: %s\n",
      gst_element_state_change_return_get_name (ret),
      gst_element_state_get_name (state), r.error);
  fail_unless_equals_int (ret, GST_STATE_CHANGE_FAILURE);
  fail_unless (r.error && strstr (r.error, s->url), "%s", r.error);
  fail_unless (r.progress_waiting >= 1);
  fail_unless_equals_int (gst_element_set_state (p, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  run_clear (&r);
  gst_object_unref (bus);
  gst_object_unref (p);
  g_free (desc);
  server_stop (s);
}

GST_END_TEST;

/* The server answers late (1.5 s loading): PAUSED is reached once it
 * does, not before. */
GST_START_TEST (test_start_waits_for_server)
{
  Server *s = server_start ("alpha", "loading", "1.5");
  gchar *desc = asr_desc (s->url, 1, FALSE, "request-timeout=8000");
  GstElement *p = gst_parse_launch (desc, NULL);
  GstState state;
  gint64 t0 = g_get_monotonic_time ();

  fail_unless_equals_int (gst_element_set_state (p, GST_STATE_PAUSED),
      GST_STATE_CHANGE_ASYNC);
  fail_unless_equals_int (gst_element_get_state (p, &state, NULL,
          10 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (state, GST_STATE_PAUSED);
  g_print ("start-waits-for-server: PAUSED after %.2f s\n",
      (g_get_monotonic_time () - t0) / 1e6);
  fail_unless (g_get_monotonic_time () - t0 > G_USEC_PER_SEC);
  fail_unless_equals_int (gst_element_set_state (p, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (p);
  g_free (desc);
  server_stop (s);
}

GST_END_TEST;

/* A change to NULL while READY->PAUSED waits for a server that never
 * answers returns at once. */
GST_START_TEST (test_stop_while_waiting_for_server)
{
  Server *s = server_start ("alpha", "hang", NULL);
  gchar *desc = asr_desc (s->url, 1, FALSE, "request-timeout=30000");
  GstElement *p = gst_parse_launch (desc, NULL);
  gint64 t0;

  fail_unless_equals_int (gst_element_set_state (p, GST_STATE_PLAYING),
      GST_STATE_CHANGE_ASYNC);
  g_usleep (300000);
  t0 = g_get_monotonic_time ();
  fail_unless_equals_int (gst_element_set_state (p, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  g_print ("stop-while-waiting: NULL in %.0f ms\n",
      (g_get_monotonic_time () - t0) / 1e3);
  fail_unless (g_get_monotonic_time () - t0 < G_USEC_PER_SEC);
  gst_object_unref (p);
  g_free (desc);
  server_stop (s);
}

GST_END_TEST;

/* ---- properties ------------------------------------------------------------- */

GST_START_TEST (test_properties)
{
  const gchar *factories[] = { "gemma4asr", "gemma4vision", "gemma4caption" };

  for (guint i = 0; i < G_N_ELEMENTS (factories); i++) {
    GstElement *e = gst_element_factory_make (factories[i], NULL);
    gint backend, dialect;
    guint timeout, inflight, retries;
    gchar *url, *model, *key;

    fail_unless (e != NULL);
    g_object_get (e, "backend", &backend, "api-dialect", &dialect,
        "request-timeout", &timeout, "max-inflight", &inflight,
        "max-retries", &retries, "server-url", &url, "server-model", &model,
        "api-key-env", &key, NULL);
    fail_unless_equals_int (backend, 0);
    fail_unless_equals_int (dialect, 0);
    fail_unless_equals_int (timeout, 0);
    fail_unless_equals_int (inflight, 2);
    fail_unless_equals_int (retries, 2);
    fail_unless (!url && !model && !key);
    gst_util_set_object_arg (G_OBJECT (e), "backend", "openai");
    gst_util_set_object_arg (G_OBJECT (e), "api-dialect", "sglang");
    g_object_set (e, "server-url", "http://a:1,http://b:2", "max-inflight",
        5, "max-retries", 0, "request-timeout", 1234, NULL);
    g_object_get (e, "backend", &backend, "api-dialect", &dialect,
        "server-url", &url, "max-inflight", &inflight, "max-retries",
        &retries, "request-timeout", &timeout, NULL);
    fail_unless_equals_int (backend, 1);
    fail_unless_equals_int (dialect, 2);
    fail_unless_equals_string (url, "http://a:1,http://b:2");
    fail_unless_equals_int (inflight, 5);
    fail_unless_equals_int (retries, 0);
    fail_unless_equals_int (timeout, 1234);
    g_free (url);
    gst_object_unref (e);
  }
}

GST_END_TEST;

/* backend=openai without server-url, or with a URL that is not http:
 * a clear error at NULL->READY or start. */
GST_START_TEST (test_configuration_errors)
{
  Run r;

  run_pipeline ("audiotestsrc num-buffers=1 ! audio/x-raw,rate=16000,"
      "channels=1,format=S16LE ! gemma4asr name=e backend=openai ! fakesink",
      &r, NULL, NULL);
  fail_unless (r.error && strstr (r.error, "server-url is not set"), "%s",
      r.error);
  run_clear (&r);
  run_pipeline ("audiotestsrc num-buffers=1 ! audio/x-raw,rate=16000,"
      "channels=1,format=S16LE ! gemma4asr name=e backend=openai "
      "server-url=ftp://x ! fakesink", &r, NULL, NULL);
  fail_unless (r.error && strstr (r.error, "not an http"), "%s", r.error);
  run_clear (&r);
}

GST_END_TEST;

static Suite *
openai_suite (void)
{
  Suite *s = suite_create ("openai-backend");
  TCase *tc = tcase_create ("general");

  python = g_getenv ("G4_PYTHON");
  server_script = g_getenv ("G4_FAKE_SERVER");
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_configuration_errors);
  tcase_add_test (tc, test_asr_happy);
  tcase_add_test (tc, test_asr_thinking_sglang);
  tcase_add_test (tc, test_asr_partial_results);
  tcase_add_test (tc, test_asr_partial_results_stream);
  tcase_add_test (tc, test_vision_detect);
  tcase_add_test (tc, test_caption_window);
  tcase_add_test (tc, test_two_servers_share);
  tcase_add_test (tc, test_server_goes_away);
  tcase_add_test (tc, test_server_returns);
  tcase_add_test (tc, test_server_restarts_loading);
  tcase_add_test (tc, test_fault_500);
  tcase_add_test (tc, test_fault_reset);
  tcase_add_test (tc, test_fault_malformed);
  tcase_add_test (tc, test_fault_huge);
  tcase_add_test (tc, test_fault_wrong_type);
  tcase_add_test (tc, test_fault_slow_first_byte);
  tcase_add_test (tc, test_fault_never_answers_chat);
  tcase_add_test (tc, test_file_waits_for_slow_server);
  tcase_add_test (tc, test_fault_429);
  tcase_add_test (tc, test_fault_loading);
  tcase_add_test (tc, test_fault_retries_bounded);
  tcase_add_test (tc, test_fault_hang_at_start);
  tcase_add_test (tc, test_fault_no_server);
  tcase_add_test (tc, test_api_key);
  tcase_add_test (tc, test_stop_cancels_request);
  tcase_add_test (tc, test_state_cycle_while_connecting);
  tcase_add_test (tc, test_live_overload_drops);
  tcase_add_test (tc, test_inflight_throughput);
  tcase_add_test (tc, test_inflight_order);
  tcase_add_test (tc, test_inflight_flush_cancels_all);
  tcase_add_test (tc, test_start_state_change_fails);
  tcase_add_test (tc, test_vision_classify);
  tcase_add_test (tc, test_start_waits_for_server);
  tcase_add_test (tc, test_stop_while_waiting_for_server);
  return s;
}

GST_CHECK_MAIN (openai);
