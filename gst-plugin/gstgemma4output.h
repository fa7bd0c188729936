/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The text and JSON outputs of a gemma4 element: two sparse streams started
 * from the input's stream-start (always pads at once, request pads at their
 * first output), their flows combined, GAP events that never go back before
 * what was covered, all queued by the worker thread in stream order for
 * each pad's own streaming task. */
#ifndef __GST_GEMMA4_OUTPUT_H__
#define __GST_GEMMA4_OUTPUT_H__

#include <gst/gst.h>
#include "gstgemma4outputpad.h"
#include "gstgemma4settings.h"
#include "gstgemma4upstream.h"
#include "gstgemma4worker.h"

G_BEGIN_DECLS

typedef struct
{
  GstElement *element;
  const GstGemma4Settings *settings;    /* lateness */
  const gchar *name;            /* stream ids: <upstream id>/<name>-text */

  GstGemma4OutputPads pads;
  /* under the element's object lock */
  GstGemma4OutputPad text, json;

  /* worker thread */
  GstClockTime position;        /* end of what the outputs have covered */
  gchar *upstream_id;
  guint group_id;
  gboolean has_group;
  GstEvent *segment;            /* the last one, for a pad started late */
  gint64 last_late_warning;     /* monotonic time of the last one */
  guint64 restamped_unwarned;   /* late results moved since then */
} GstGemma4Output;

/* upstream: its liveness lets the worker run ahead of a slow output. */
void gst_gemma4_output_init (GstGemma4Output * out, GstElement * element,
    const GstGemma4Settings * settings, const GstGemma4Upstream * upstream,
    const gchar * name);
void gst_gemma4_output_clear (GstGemma4Output * out);

/* An always pad (started with the input), json or text. */
void gst_gemma4_output_add_pad (GstGemma4Output * out, GstPad * pad,
    gboolean json);
/* A request pad, started at its first output. FALSE: that output has one
 * already (nothing done). */
gboolean gst_gemma4_output_request_pad (GstGemma4Output * out, GstPad * pad,
    gboolean json);
/* FALSE: pad is not one of the outputs. */
gboolean gst_gemma4_output_release_pad (GstGemma4Output * out, GstPad * pad);

/* Forgets the position, the flows and the segment; call only while the
 * worker is idle. */
void gst_gemma4_output_reset (GstGemma4Output * out);

/* Worker thread. The push functions take the event or buffers and queue
 * them for the pads' tasks. */
/* Starts the streams after the input's: always pads at once (tags, if any,
 * go on the text one), request pads at their first output. Takes tags. */
void gst_gemma4_output_start (GstGemma4Output * out, GstEvent * stream_start,
    GstTagList * tags);
/* Sends event on both outputs; a segment is kept for a pad started late. */
void gst_gemma4_output_push_event (GstGemma4Output * out, GstEvent * event);
/* Sends event on one output, if it is there. */
void gst_gemma4_output_push_pad_event (GstGemma4Output * out, gboolean json,
    GstEvent * event);
/* The timestamp of a result of duration at pts: never before what was
 * covered, which it then covers. */
GstClockTime gst_gemma4_output_place (GstGemma4Output * out, GstClockTime pts,
    GstClockTime duration);
/* The timestamp of a late live result that would have been at pts (start
 * of what it describes): where the clock says the output stands now
 * (running time minus the latency up answered, in segment), when that is
 * later. When it moved, posts a warning (at most one every 10 s, with
 * the count since the last one) with details reason, start, timestamp and
 * restamped. */
GstClockTime gst_gemma4_output_restamp_late (GstGemma4Output * out,
    const GstGemma4Upstream * up, const GstSegment * segment,
    GstClockTime start, GstClockTime pts, const gchar * reason);
/* Pushes buffers (either may be NULL; json is dropped without a JSON pad)
 * and returns the combined flow of the pushes so far. */
GstFlowReturn gst_gemma4_output_push (GstGemma4Output * out, GstBuffer * text,
    GstBuffer * json);
/* Where the record of the job [start, start + duration) goes: start plus
 * lateness, re-stamped to the clock when it came late (see
 * gst_gemma4_output_restamp_late, with reason), placed after what was
 * covered. */
GstClockTime gst_gemma4_output_stamp (GstGemma4Output * out,
    const GstGemma4Upstream * up, const GstSegment * segment,
    GstClockTime start, GstClockTime duration, gboolean late,
    const gchar * reason);
/* Publishes a result record (taken) at pts for duration: the bus message,
 * the JSON object on the JSON pad, and on the text pad its text with the
 * record as GstGemma4ResultMeta, or a GAP when it has no text. Every job
 * ends in exactly one record, whatever its status. Returns the combined
 * flow. */
GstFlowReturn gst_gemma4_output_publish (GstGemma4Output * out,
    GstStructure * result, GstClockTime pts, GstClockTime duration);
/* A record that is not the job's last (gemma4asr's partial text): only on
 * the JSON pad. Takes result. */
GstFlowReturn gst_gemma4_output_publish_partial (GstGemma4Output * out,
    GstStructure * result, GstClockTime pts, GstClockTime duration);
/* A span without a result, after lateness, as GAP events on both outputs
 * (an empty span only when nothing was covered yet). */
void gst_gemma4_output_push_gap (GstGemma4Output * out, GstClockTime start,
    GstClockTime duration);

/* Streaming thread: the same, through the worker so they keep their place
 * among the results. */
void gst_gemma4_output_queue_start (GstGemma4Output * out,
    GstGemma4Worker * w, GstEvent * stream_start, GstTagList * tags);
void gst_gemma4_output_queue_event (GstGemma4Output * out,
    GstGemma4Worker * w, GstEvent * event);
void gst_gemma4_output_queue_gap (GstGemma4Output * out, GstGemma4Worker * w,
    GstClockTime start, GstClockTime duration);
/* Non-serialized events at once, on the outputs there are: a flush-start
 * also drops what the pads' tasks have queued and stops them, a flush-stop
 * restarts them. */
void gst_gemma4_output_push_event_now (GstGemma4Output * out,
    GstEvent * event);

/* An event from downstream of an output: upstream through sinkpad, but
 * QOS, since text lateness says nothing about how fast to send the input. */
gboolean gst_gemma4_output_src_event (GstPad * sinkpad, GstEvent * event);

G_END_DECLS

#endif /* __GST_GEMMA4_OUTPUT_H__ */
