/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The result record of a gemma4 element: one GstStructure named
 * "gemma4-result" per job, from which every output is derived (the bus
 * message, GstGemma4ResultMeta, the JSON pad). Field names are snake_case
 * everywhere, times are nanoseconds. The fields every kind has:
 *
 *   kind            "asr", "vision" or "caption"
 *   status          "ok", "empty" (the model answered nothing), "dropped"
 *                   (not inferred: the element could not keep up), "late"
 *                   (answered after the latency budget, live) or "error"
 *   text            the answer ("" when there is none)
 *   is_final        FALSE only for gemma4asr's partial results
 *   start, duration what the record describes (stream time of the input)
 *   timestamp       PTS of the record on the outputs
 *   running_time    running time of start
 *   element, model  names
 *   inference_time  ns (0 when not inferred)
 *   tokens          tokens generated
 *   late            inference ended after the latency budget (live)
 *
 * Each kind adds its own (see the element's documentation and
 * schemas/<kind>.schema.json). The JSON form of a record is one object
 * on one line, its fields in the structure's order; GST_CLOCK_TIME_NONE is
 * null. */
#ifndef __GST_GEMMA4_RESULT_H__
#define __GST_GEMMA4_RESULT_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_GEMMA4_RESULT_NAME "gemma4-result"

typedef enum
{
  GST_GEMMA4_STATUS_OK,
  GST_GEMMA4_STATUS_EMPTY,
  GST_GEMMA4_STATUS_DROPPED,
  GST_GEMMA4_STATUS_LATE,
  GST_GEMMA4_STATUS_ERROR,
} GstGemma4Status;

/* A record of kind for the job over [start, start + duration) in segment,
 * status ok, no text yet, timestamp start, not inferred. */
GstStructure *gst_gemma4_result_new (const gchar * kind,
    GstElement * element, const gchar * model, const GstSegment * segment,
    GstClockTime start, GstClockTime duration);

void gst_gemma4_result_set_status (GstStructure * result,
    GstGemma4Status status);
/* Sets text; a record still ok becomes empty when text is, late when it
 * came late. */
void gst_gemma4_result_set_text (GstStructure * result, const gchar * text);
/* Whether the record carries text for the text pad (ok or late, text not
 * empty); otherwise the text pad gets a GAP. */
gboolean gst_gemma4_result_has_text (const GstStructure * result);

/* The JSON object of a record (or any structure: strings, numbers,
 * booleans, arrays, nested structures), one line ending in '\n'. */
gchar *gst_gemma4_result_to_json (const GstStructure * result);

G_END_DECLS

#endif /* __GST_GEMMA4_RESULT_H__ */
