/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the gemma4 element tests share (see element_test_util.h): the test
 * model, buses, errors, stats, latency and QOS checks, flushes, and the
 * text output collected into spans. */
#include <stdio.h>
#include <string.h>

#include "element_test_util.h"

const gchar *model_path;
const gchar *mmproj_path;

void
element_test_setup (void)
{
  model_path = g_getenv ("GEMMA4_TEST_MODEL");
  mmproj_path = g_getenv ("GEMMA4_TEST_MMPROJ");
  if (!model_path || !mmproj_path)
    g_error ("set GEMMA4_TEST_MODEL and GEMMA4_TEST_MMPROJ");
  setvbuf (stdout, NULL, _IONBF, 0);
}

GstElement *
element_test_new (const gchar * factory, guint max_tokens,
    const gchar * first_property, ...)
{
  GstElement *e = gst_element_factory_make (factory, NULL);
  va_list ap;

  fail_unless (e != NULL, "%s not found: is GST_PLUGIN_PATH set?", factory);
  gst_object_ref_sink (e);
  g_object_set (e, "model-path", model_path, "mmproj-path", mmproj_path,
      "n-threads", 2, "max-tokens", max_tokens, NULL);
  va_start (ap, first_property);
  if (first_property)
    g_object_set_valist (G_OBJECT (e), first_property, ap);
  va_end (ap);
  return e;
}

GstBus *
attach_bus (GstElement * e)
{
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (e, bus);
  return bus;
}

void
detach_bus (GstElement * e, GstBus * bus)
{
  gst_element_set_bus (e, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

void
check_error_mentions (GstMessage * msg, const gchar * what)
{
  GError *err = NULL;
  gchar *debug = NULL;

  fail_unless (msg != NULL, "no error message (expected one about '%s')",
      what);
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (strstr (err->message, what) != NULL,
      "error '%s' does not mention '%s'", err->message, what);
  g_print ("  error: %s\n", err->message);
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
}

void
expect_ready_failure (GstElement * e, const gchar * what)
{
  GstBus *bus = attach_bus (e);

  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  check_error_mentions (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR), what);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  detach_bus (e, bus);
  gst_object_unref (e);
}

guint64
stat_u64 (GstElement * e, const gchar * field)
{
  GstStructure *st = NULL;
  guint64 v = 0;
  guint u = 0;

  g_object_get (e, "stats", &st, NULL);
  fail_unless (st != NULL);
  if (!gst_structure_get_uint64 (st, field, &v)) {
    fail_unless (gst_structure_get_uint (st, field, &u), "no %s", field);
    v = u;
  }
  gst_structure_free (st);
  return v;
}

void
check_stats_fields (GstElement * e, const gchar * const *fields)
{
  GstStructure *stats = NULL;

  g_object_get (e, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  fail_unless (gst_structure_has_name (stats, "gemma4-stats"));
  for (guint i = 0; fields[i]; i++)
    fail_unless (gst_structure_has_field (stats, fields[i]),
        "stats lacks %s", fields[i]);
  gst_structure_free (stats);
}

void
expect_latency_message (GstElement * e, GstBus * bus,
    const gchar * first_property, ...)
{
  GstMessage *msg;
  va_list ap;

  while ((msg = gst_bus_pop (bus)))
    gst_message_unref (msg);
  va_start (ap, first_property);
  g_object_set_valist (G_OBJECT (e), first_property, ap);
  va_end (ap);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_LATENCY);
  fail_unless (msg != NULL, "no LATENCY message");
  gst_message_unref (msg);
}

void
query_latency (GstHarness * h, gboolean * live, GstClockTime * min,
    GstClockTime * max)
{
  GstQuery *q = gst_query_new_latency ();

  fail_unless (gst_pad_peer_query (h->sinkpad, q));
  gst_query_parse_latency (q, live, min, max);
  gst_query_unref (q);
}

/* The next message of type on bus, or NULL; unlike gst_bus_pop_filtered
 * the others stay on the bus, in order, for the next check. */
static GstMessage *
pop_type (GstBus * bus, GstMessageType type)
{
  GQueue others = G_QUEUE_INIT;
  GstMessage *msg;

  while ((msg = gst_bus_pop (bus)) && !(GST_MESSAGE_TYPE (msg) & type))
    g_queue_push_tail (&others, msg);
  if (!g_queue_is_empty (&others)) {
    GstMessage *rest;
    /* what came after the match goes back behind the others */
    while ((rest = gst_bus_pop (bus)))
      g_queue_push_tail (&others, rest);
    while (!g_queue_is_empty (&others))
      gst_bus_post (bus, g_queue_pop_head (&others));
  }
  return msg;
}

guint
count_drop_qos (GstBus * bus, guint64 * last_dropped,
    guint64 * first_processed)
{
  GstMessage *msg;
  guint qos = 0;

  *last_dropped = 0;
  *first_processed = G_MAXUINT64;
  while ((msg = pop_type (bus, GST_MESSAGE_QOS))) {
    GstFormat format;
    guint64 processed, dropped;
    gboolean live;
    gst_message_parse_qos (msg, &live, NULL, NULL, NULL, NULL);
    gst_message_parse_qos_stats (msg, &format, &processed, &dropped);
    fail_unless (live && format == GST_FORMAT_BUFFERS);
    fail_unless (dropped > *last_dropped);
    *last_dropped = dropped;
    if (qos == 0)
      *first_processed = processed;
    qos++;
    gst_message_unref (msg);
  }
  return qos;
}

guint
count_warnings (GstBus * bus, const gchar * reason, GstStructure ** last)
{
  GstMessage *msg;
  guint n = 0;

  while ((msg = pop_type (bus, GST_MESSAGE_WARNING))) {
    const GstStructure *details = NULL;
    gst_message_parse_warning_details (msg, &details);
    if (!reason || (details && !g_strcmp0 (gst_structure_get_string (details,
                    "reason"), reason))) {
      n++;
      if (last && details) {
        if (*last)
          gst_structure_free (*last);
        *last = gst_structure_copy (details);
      }
    }
    gst_message_unref (msg);
  }
  return n;
}

guint
count_results (GstBus * bus, const gchar * status, guint * with_status)
{
  GstMessage *msg;
  guint n = 0;

  *with_status = 0;
  while ((msg = pop_type (bus, GST_MESSAGE_ELEMENT))) {
    if (gst_message_has_name (msg, "gemma4-result")) {
      const GstStructure *s = gst_message_get_structure (msg);
      const gchar *st = gst_structure_get_string (s, "status");
      fail_unless (st != NULL, "a record without status");
      /* what has no text for the text pad says so */
      if (g_strcmp0 (st, "ok") && g_strcmp0 (st, "late"))
        fail_unless_equals_string (gst_structure_get_string (s, "text"), "");
      *with_status += !g_strcmp0 (st, status);
      n++;
    }
    gst_message_unref (msg);
  }
  return n;
}

gint64
check_flush_cancels (GstHarness * h, GstElement * e)
{
  gint64 t0 = g_get_monotonic_time (), flush_us;

  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  flush_us = g_get_monotonic_time () - t0;
  fail_unless (flush_us < 1000000, "flushing took %" G_GINT64_FORMAT " us",
      flush_us);
  fail_unless (gst_harness_try_pull (h) == NULL, "a cancelled job gave text");
  fail_unless_equals_uint64 (stat_u64 (e, "jobs"), 0);
  return flush_us;
}

/* ---- the text output as time spans ------------------------------------- */

static void
span_clear (gpointer data)
{
  Span *s = data;

  g_free (s->text);
  if (s->result)
    gst_structure_free (s->result);
}

void
output_init (Output * out, const gchar * kind)
{
  memset (out, 0, sizeof *out);
  out->spans = g_array_new (FALSE, TRUE, sizeof (Span));
  g_array_set_clear_func (out->spans, span_clear);
  out->kind = kind;
}

void
output_clear (Output * out)
{
  g_array_free (out->spans, TRUE);
  gst_clear_caps (&out->caps);
}

static gint
span_cmp (gconstpointer a, gconstpointer b)
{
  const Span *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start;
}

void
output_sort (Output * out)
{
  g_array_sort (out->spans, span_cmp);
}

void
add_buffer (Output * out, GstBuffer * buf)
{
  Span s = { GST_BUFFER_PTS (buf), GST_BUFFER_DURATION (buf), NULL, NULL };
  GstCustomMeta *meta = gst_buffer_get_custom_meta (buf,
      "GstGemma4ResultMeta");
  GstMapInfo map;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  s.text = g_strndup ((const gchar *) map.data, map.size);
  fail_unless (g_utf8_validate (s.text, -1, NULL));
  gst_buffer_unmap (buf, &map);
  /* every text buffer carries its result as the custom meta */
  fail_unless (meta != NULL, "text buffer without GstGemma4ResultMeta");
  s.result = gst_structure_copy (gst_custom_meta_get_structure (meta));
  fail_unless (gst_structure_has_name (s.result, "gemma4-result"));
  fail_unless_equals_string (gst_structure_get_string (s.result, "text"),
      s.text);
  fail_unless_equals_string (gst_structure_get_string (s.result, "kind"),
      out->kind);
  if (out->check_result)
    out->check_result (&s);
  g_array_append_val (out->spans, s);
}

gboolean
add_event (Output * out, GstEvent * ev)
{
  switch (GST_EVENT_TYPE (ev)) {
    case GST_EVENT_GAP:{
      Span s = { 0 };
      gst_event_parse_gap (ev, &s.start, &s.duration);
      /* an empty GAP covers nothing: it lets a live pipeline preroll */
      if (s.duration == 0 && out->spans->len == 0)
        out->preroll_gaps++;
      else
        g_array_append_val (out->spans, s);
      break;
    }
    case GST_EVENT_CUSTOM_DOWNSTREAM:
      if (gst_event_has_name (ev, "rstranscribe/final-transcript"))
        out->finals++;
      break;
    case GST_EVENT_STREAM_START:{
      GstStreamFlags flags = 0;
      gst_event_parse_stream_flags (ev, &flags);
      out->sparse = (flags & GST_STREAM_FLAG_SPARSE) != 0;
      break;
    }
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gst_event_parse_caps (ev, &caps);
      gst_caps_replace (&out->caps, caps);
      break;
    }
    case GST_EVENT_EOS:
      return TRUE;
    default:
      break;
  }
  return FALSE;
}

void
collect_until_eos (GstHarness * h, Output * out)
{
  GstBuffer *buf;
  gboolean eos = FALSE;

  while (!eos) {
    GstEvent *ev = gst_harness_pull_event (h);
    fail_unless (ev != NULL, "no EOS within the harness timeout");
    eos = add_event (out, ev);
    gst_event_unref (ev);
  }
  while ((buf = gst_harness_try_pull (h))) {
    add_buffer (out, buf);
    gst_buffer_unref (buf);
  }
  output_sort (out);
}

const Span *
span (const Output * out, guint i)
{
  fail_unless (i < out->spans->len);
  return &g_array_index (out->spans, Span, i);
}

guint
count_text (const Output * out)
{
  guint n = 0;

  for (guint i = 0; i < out->spans->len; i++)
    n += span (out, i)->text != NULL;
  return n;
}

void
check_tiling (const Output * out, GstClockTime start, GstClockTime end)
{
  GstClockTime at = start;

  for (guint i = 0; i < out->spans->len; i++) {
    const Span *s = span (out, i);
    fail_unless_equals_uint64 (s->start, at);
    fail_unless (s->duration > 0);
    at = s->start + s->duration;
  }
  fail_unless_equals_uint64 (at, end);
}

/* The property's value in its text form (to compare). */
static gchar *
property_text (GstElement * e, const gchar * property)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (e),
      property);
  GValue v = G_VALUE_INIT;
  gchar *text;

  fail_unless (pspec != NULL, "no property %s", property);
  g_value_init (&v, pspec->value_type);
  g_object_get_property (G_OBJECT (e), property, &v);
  text = pspec->value_type == G_TYPE_STRING ? g_value_dup_string (&v) :
      gst_value_serialize (&v);
  g_value_unset (&v);
  return text;
}

void
expect_refused (GstElement * e, GstBus * bus, const gchar * property,
    const gchar * value, const gchar * what)
{
  gchar *before = property_text (e, property), *after;
  GstMessage *m;
  GError *err = NULL;
  gchar *debug = NULL;

  gst_util_set_object_arg (G_OBJECT (e), property, value);
  after = property_text (e, property);
  fail_unless (g_strcmp0 (before, after) == 0, "%s=%s was taken (%s -> %s)",
      property, value, before, after);
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (m != NULL, "%s=%s: no warning", property, value);
  gst_message_parse_warning (m, &err, &debug);
  fail_unless (strstr (err->message, property) && strstr (err->message, what),
      "warning '%s' does not mention %s and '%s'", err->message, property,
      what);
  g_print ("  %s=%s refused: %s\n", property, value, err->message);
  g_error_free (err);
  g_free (debug);
  gst_message_unref (m);
  g_free (before);
  g_free (after);
}

void
expect_taken (GstElement * e, GstBus * bus, const gchar * property,
    const gchar * value)
{
  GstMessage *m;
  gchar *after;

  gst_util_set_object_arg (G_OBJECT (e), property, value);
  after = property_text (e, property);
  fail_unless (g_strcmp0 (after, value) == 0, "%s=%s reads back %s", property,
      value, after);
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (m == NULL, "%s=%s posted a warning", property, value);
  g_free (after);
}

void
expect_load_properties_refused (GstElement * e, GstBus * bus)
{
  static const gchar *const props[][2] = {
    {"model-path", "/tmp/other.gguf"}, {"mmproj-path", "/tmp/other.gguf"},
    {"model-instance-id", "other"}, {"n-threads", "7"},
    {"context-size", "999"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (props); i++)
    expect_refused (e, bus, props[i][0], props[i][1], "NULL->READY");
}
