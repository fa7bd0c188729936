/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The text and JSON outputs of a gemma4 element (see gstgemma4output.h):
 * starting their sparse streams, queuing results, events and GAPs from the
 * worker thread, and the request pads' late start. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstgemma4meta.h"
#include "gstgemma4output.h"
#include "gstgemma4result.h"

/* Under steady overload, at most one late-result warning this often (us). */
#define LATE_WARNING_INTERVAL (10 * G_USEC_PER_SEC)

static const gchar *const text_caps = "text/x-raw, format=(string)utf8";
static const gchar *const json_caps = "application/x-json";

void
gst_gemma4_output_init (GstGemma4Output * out, GstElement * element,
    const GstGemma4Settings * settings, const GstGemma4Upstream * upstream,
    const gchar * name)
{
  memset (out, 0, sizeof *out);
  out->element = element;
  out->settings = settings;
  out->name = name;
  gst_gemma4_output_pads_init (&out->pads, element);
  out->pads.upstream = upstream;
  out->position = GST_CLOCK_TIME_NONE;
}

void
gst_gemma4_output_clear (GstGemma4Output * out)
{
  gst_gemma4_output_pads_clear (&out->pads);
  g_free (out->upstream_id);
  gst_clear_event (&out->segment);
}

static GstGemma4OutputPad *
output_pad (GstGemma4Output * out, gboolean json)
{
  return json ? &out->json : &out->text;
}

void
gst_gemma4_output_add_pad (GstGemma4Output * out, GstPad * pad,
    gboolean json)
{
  GstGemma4OutputPad *o = output_pad (out, json);

  GST_OBJECT_LOCK (out->element);
  gst_gemma4_output_pad_set (o, &out->pads, pad, TRUE);
  GST_OBJECT_UNLOCK (out->element);
}

gboolean
gst_gemma4_output_request_pad (GstGemma4Output * out, GstPad * pad,
    gboolean json)
{
  GstGemma4OutputPad *o = output_pad (out, json);

  GST_OBJECT_LOCK (out->element);
  if (o->pad) {
    GST_OBJECT_UNLOCK (out->element);
    return FALSE;
  }
  gst_gemma4_output_pad_set (o, &out->pads, pad, FALSE);
  GST_OBJECT_UNLOCK (out->element);
  return TRUE;
}

gboolean
gst_gemma4_output_release_pad (GstGemma4Output * out, GstPad * pad)
{
  GstGemma4OutputPad *o;

  GST_OBJECT_LOCK (out->element);
  o = out->text.pad == pad ? &out->text : &out->json;
  if (o->pad != pad) {
    GST_OBJECT_UNLOCK (out->element);
    return FALSE;
  }
  gst_gemma4_output_pad_unset (o);
  GST_OBJECT_UNLOCK (out->element);
  return TRUE;
}

void
gst_gemma4_output_reset (GstGemma4Output * out)
{
  out->position = GST_CLOCK_TIME_NONE;
  gst_clear_event (&out->segment);
  GST_OBJECT_LOCK (out->element);
  gst_flow_combiner_reset (out->pads.flows);
  out->pads.combined = GST_FLOW_OK;
  GST_OBJECT_UNLOCK (out->element);
}

static void
queue_event (GstGemma4OutputPad * o, GstEvent * event)
{
  gst_gemma4_output_pad_queue (o, GST_MINI_OBJECT_CAST (event));
}

/* Stream-start and caps of one output, grouped with the input. */
static void
start_pad (GstGemma4Output * out, GstGemma4OutputPad * o, gboolean json)
{
  gchar *id = g_strdup_printf ("%s/%s-%s",
      out->upstream_id ? out->upstream_id : GST_ELEMENT_NAME (out->element),
      out->name, json ? "json" : "text");
  GstEvent *ev = gst_event_new_stream_start (id);
  GstCaps *caps = gst_caps_from_string (json ? json_caps : text_caps);

  g_free (id);
  if (out->has_group)
    gst_event_set_group_id (ev, out->group_id);
  gst_event_set_stream_flags (ev, GST_STREAM_FLAG_SPARSE);
  queue_event (o, ev);
  queue_event (o, gst_event_new_caps (caps));
  gst_caps_unref (caps);
}

/* The output, with its stream started (a request pad with the last
 * segment too, unless with_segment is FALSE because one follows), or NULL
 * when it is not requested. */
static GstGemma4OutputPad *
get_pad (GstGemma4Output * out, gboolean json, gboolean with_segment)
{
  GstGemma4OutputPad *o = output_pad (out, json);
  gboolean there, start;

  GST_OBJECT_LOCK (out->element);
  there = o->pad != NULL;
  start = there && !o->started;
  if (there)
    o->started = TRUE;
  GST_OBJECT_UNLOCK (out->element);
  if (start) {
    start_pad (out, o, json);
    if (with_segment && out->segment)
      queue_event (o, gst_event_ref (out->segment));
  }
  return there ? o : NULL;
}

void
gst_gemma4_output_start (GstGemma4Output * out, GstEvent * stream_start,
    GstTagList * tags)
{
  const gchar *upstream_id = NULL;

  gst_event_parse_stream_start (stream_start, &upstream_id);
  g_free (out->upstream_id);
  out->upstream_id = g_strdup (upstream_id);
  out->has_group = gst_event_parse_group_id (stream_start, &out->group_id);
  GST_OBJECT_LOCK (out->element);
  out->text.started = out->json.started = FALSE;
  GST_OBJECT_UNLOCK (out->element);
  for (gint json = 0; json < 2; json++) {
    GstGemma4OutputPad *o;
    if (!output_pad (out, json)->always)
      continue;
    o = get_pad (out, json, FALSE);
    if (o && tags && !json)
      queue_event (o, gst_event_new_tag (gst_tag_list_ref (tags)));
  }
  if (tags)
    gst_tag_list_unref (tags);
}

void
gst_gemma4_output_push_pad_event (GstGemma4Output * out, gboolean json,
    GstEvent * event)
{
  gboolean is_segment = GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT;
  GstGemma4OutputPad *o = get_pad (out, json, !is_segment);

  if (o)
    queue_event (o, event);
  else
    gst_event_unref (event);
}

void
gst_gemma4_output_push_event (GstGemma4Output * out, GstEvent * event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT)
    gst_event_replace (&out->segment, event);
  gst_gemma4_output_push_pad_event (out, FALSE, gst_event_ref (event));
  gst_gemma4_output_push_pad_event (out, TRUE, event);
}

void
gst_gemma4_output_push_event_now (GstGemma4Output * out, GstEvent * event)
{
  GstPad *pads[2];

  GST_OBJECT_LOCK (out->element);
  pads[0] = out->text.pad ? gst_object_ref (out->text.pad) : NULL;
  pads[1] = out->json.pad ? gst_object_ref (out->json.pad) : NULL;
  GST_OBJECT_UNLOCK (out->element);
  for (guint i = 0; i < G_N_ELEMENTS (pads); i++) {
    if (!pads[i])
      continue;
    if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START
        || GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP)
      gst_gemma4_output_pad_flush (output_pad (out, i), pads[i],
          gst_event_ref (event));
    else
      gst_pad_push_event (pads[i], gst_event_ref (event));
    gst_object_unref (pads[i]);
  }
  gst_event_unref (event);
}

GstClockTime
gst_gemma4_output_place (GstGemma4Output * out, GstClockTime pts,
    GstClockTime duration)
{
  if (GST_CLOCK_TIME_IS_VALID (out->position))
    pts = MAX (pts, out->position);
  out->position = pts + duration;
  return pts;
}

static GstFlowReturn
push_buffer (GstGemma4Output * out, gboolean json, GstBuffer * buf,
    GstFlowReturn ret)
{
  GstGemma4OutputPad *o;

  if (!buf)
    return ret;
  o = get_pad (out, json, TRUE);
  if (!o) {
    gst_buffer_unref (buf);
    return ret;
  }
  return gst_gemma4_output_pad_queue (o, GST_MINI_OBJECT_CAST (buf));
}

/* Where the clock says the output stands now. */
static GstClockTime
clock_position (GstElement * element, const GstGemma4Upstream * up,
    const GstSegment * segment)
{
  GstClock *clock = gst_element_get_clock (element);
  GstClockTime now, base, latency;
  guint64 pos = GST_CLOCK_TIME_NONE;

  if (!clock)
    return GST_CLOCK_TIME_NONE;
  now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  base = gst_element_get_base_time (element);
  GST_OBJECT_LOCK (element);
  latency = up->answered;
  GST_OBJECT_UNLOCK (element);
  if (now < base + latency)
    return GST_CLOCK_TIME_NONE;
  gst_segment_position_from_running_time_full (segment, GST_FORMAT_TIME,
      now - base - latency, &pos);
  return pos;
}

GstClockTime
gst_gemma4_output_restamp_late (GstGemma4Output * out,
    const GstGemma4Upstream * up, const GstSegment * segment,
    GstClockTime start, GstClockTime pts, const gchar * reason)
{
  GstClockTime pos = clock_position (out->element, up, segment);
  gint64 now = g_get_monotonic_time ();
  guint64 n;

  /* still in time for the clock: nothing to move, nothing to say */
  if (!GST_CLOCK_TIME_IS_VALID (pos) || pos <= pts)
    return pts;
  n = ++out->restamped_unwarned;
  if (out->last_late_warning
      && now - out->last_late_warning < LATE_WARNING_INTERVAL)
    return pos;
  out->last_late_warning = now;
  out->restamped_unwarned = 0;
  GST_ELEMENT_WARNING_WITH_DETAILS (out->element, STREAM, FAILED,
      ("The result for %" GST_TIME_FORMAT " came late; it was re-stamped "
          "to %" GST_TIME_FORMAT " (%" G_GUINT64_FORMAT " re-stamped since "
          "the last warning, at most one every %d s; \"late\" in stats "
          "counts them all)", GST_TIME_ARGS (start), GST_TIME_ARGS (pos), n,
          (gint) (LATE_WARNING_INTERVAL / G_USEC_PER_SEC)), (NULL),
      ("reason", G_TYPE_STRING, reason,
          "start", G_TYPE_UINT64, start,
          "timestamp", G_TYPE_UINT64, pos,
          "restamped", G_TYPE_UINT64, n, NULL));
  return pos;
}

GstFlowReturn
gst_gemma4_output_push (GstGemma4Output * out, GstBuffer * text,
    GstBuffer * json)
{
  GstFlowReturn ret = push_buffer (out, FALSE, text, GST_FLOW_OK);

  return push_buffer (out, TRUE, json, ret);
}

GstClockTime
gst_gemma4_output_stamp (GstGemma4Output * out, const GstGemma4Upstream * up,
    const GstSegment * segment, GstClockTime start, GstClockTime duration,
    gboolean late, const gchar * reason)
{
  GstClockTime pts = start +
      gst_gemma4_settings_lateness (out->settings, out->element);

  if (late)
    pts = gst_gemma4_output_restamp_late (out, up, segment, start, pts,
        reason);
  return gst_gemma4_output_place (out, pts, duration);
}

static GstBuffer *
json_buffer (const GstStructure * result, GstClockTime pts,
    GstClockTime duration)
{
  gchar *json = gst_gemma4_result_to_json (result);
  GstBuffer *buf = gst_buffer_new_wrapped (json, strlen (json));

  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = duration;
  return buf;
}

GstFlowReturn
gst_gemma4_output_publish (GstGemma4Output * out, GstStructure * result,
    GstClockTime pts, GstClockTime duration)
{
  GstBuffer *text = NULL, *json;

  gst_structure_set (result, "timestamp", G_TYPE_UINT64, pts, NULL);
  json = json_buffer (result, pts, duration);
  if (gst_gemma4_result_has_text (result)) {
    const gchar *str = gst_structure_get_string (result, "text");
    text = gst_buffer_new_memdup (str, strlen (str));
    GST_BUFFER_PTS (text) = pts;
    GST_BUFFER_DURATION (text) = duration;
    gst_gemma4_buffer_add_result_meta (text, result);
  } else if (GST_CLOCK_TIME_IS_VALID (pts)) {
    /* textoverlay, srtenc and muxers go on instead of waiting for text */
    gst_gemma4_output_push_pad_event (out, FALSE,
        gst_event_new_gap (pts, duration));
  }
  gst_element_post_message (out->element,
      gst_message_new_element (GST_OBJECT (out->element), result));
  return gst_gemma4_output_push (out, text, json);
}

GstFlowReturn
gst_gemma4_output_publish_partial (GstGemma4Output * out,
    GstStructure * result, GstClockTime pts, GstClockTime duration)
{
  GstBuffer *json;

  gst_structure_set (result, "timestamp", G_TYPE_UINT64, pts, NULL);
  json = json_buffer (result, pts, duration);
  gst_structure_free (result);
  return gst_gemma4_output_push (out, NULL, json);
}

void
gst_gemma4_output_push_gap (GstGemma4Output * out, GstClockTime start,
    GstClockTime duration)
{
  GstClockTime end;

  if (!GST_CLOCK_TIME_IS_VALID (start) || !GST_CLOCK_TIME_IS_VALID (duration))
    return;
  start += gst_gemma4_settings_lateness (out->settings, out->element);
  end = start + duration;
  /* an empty one only first: it lets the sinks preroll */
  if (GST_CLOCK_TIME_IS_VALID (out->position)) {
    start = MAX (start, out->position);
    if (end <= start)
      return;
  }
  gst_gemma4_output_push_event (out, gst_event_new_gap (start, end - start));
  out->position = end;
}

/* ---- items queued on the worker ------------------------------------------ */

typedef struct
{
  GstGemma4Output *out;
  GstEvent *event;
  GstTagList *tags;
  GstClockTime start, duration;
} Item;

static void
item_free (gpointer data)
{
  Item *item = data;

  if (item->event)
    gst_event_unref (item->event);
  if (item->tags)
    gst_tag_list_unref (item->tags);
  g_free (item);
}

static GstFlowReturn
start_item (GstElement * element, GstGemma4Worker * w, gpointer data)
{
  Item *item = data;

  gst_gemma4_output_start (item->out, item->event,
      g_steal_pointer (&item->tags));
  return GST_FLOW_OK;
}

static GstFlowReturn
event_item (GstElement * element, GstGemma4Worker * w, gpointer data)
{
  Item *item = data;

  gst_gemma4_output_push_event (item->out, g_steal_pointer (&item->event));
  return GST_FLOW_OK;
}

static GstFlowReturn
gap_item (GstElement * element, GstGemma4Worker * w, gpointer data)
{
  Item *item = data;

  gst_gemma4_output_push_gap (item->out, item->start, item->duration);
  return GST_FLOW_OK;
}

static void
queue_item (GstGemma4Output * out, GstGemma4Worker * w, GstGemma4WorkFunc func,
    GstEvent * event, GstTagList * tags, GstClockTime start,
    GstClockTime duration)
{
  Item *item = g_new (Item, 1);

  item->out = out;
  item->event = event;
  item->tags = tags;
  item->start = start;
  item->duration = duration;
  gst_gemma4_worker_queue (w, func, item, item_free);
}

void
gst_gemma4_output_queue_start (GstGemma4Output * out, GstGemma4Worker * w,
    GstEvent * stream_start, GstTagList * tags)
{
  queue_item (out, w, start_item, stream_start, tags, GST_CLOCK_TIME_NONE,
      GST_CLOCK_TIME_NONE);
}

void
gst_gemma4_output_queue_event (GstGemma4Output * out, GstGemma4Worker * w,
    GstEvent * event)
{
  queue_item (out, w, event_item, event, NULL, GST_CLOCK_TIME_NONE,
      GST_CLOCK_TIME_NONE);
}

void
gst_gemma4_output_queue_gap (GstGemma4Output * out, GstGemma4Worker * w,
    GstClockTime start, GstClockTime duration)
{
  queue_item (out, w, gap_item, NULL, NULL, start, duration);
}

gboolean
gst_gemma4_output_src_event (GstPad * sinkpad, GstEvent * event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_QOS) {
    gst_event_unref (event);
    return TRUE;
  }
  return gst_pad_push_event (sinkpad, event);
}
