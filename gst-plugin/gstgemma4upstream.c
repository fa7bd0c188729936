/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Upstream's liveness and latency (see gstgemma4upstream.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgemma4upstream.h"

void
gst_gemma4_upstream_query (GstGemma4Upstream * up, GstElement * element,
    GstPad * sinkpad)
{
  GstQuery *q = gst_query_new_latency ();
  gboolean live = FALSE;

  if (gst_pad_peer_query (sinkpad, q))
    gst_query_parse_latency (q, &live, NULL, NULL);
  gst_query_unref (q);
  GST_OBJECT_LOCK (element);
  up->live = live;
  GST_OBJECT_UNLOCK (element);
  GST_DEBUG_OBJECT (element, "upstream is %slive", live ? "" : "not ");
}

gboolean
gst_gemma4_upstream_answer_latency (GstGemma4Upstream * up,
    GstElement * element, GstPad * sinkpad, GstQuery * query,
    GstClockTime own)
{
  gboolean live;
  GstClockTime min, max;

  if (!gst_pad_peer_query (sinkpad, query))
    return FALSE;
  gst_query_parse_latency (query, &live, &min, &max);
  if (live) {
    min += own;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += own;
  }
  GST_OBJECT_LOCK (element);
  up->live = live;
  if (live)
    up->answered = min;
  GST_OBJECT_UNLOCK (element);
  GST_DEBUG_OBJECT (element, "latency: live %d, min %" GST_TIME_FORMAT
      ", max %" GST_TIME_FORMAT, live, GST_TIME_ARGS (min),
      GST_TIME_ARGS (max));
  gst_query_set_latency (query, live, min, max);
  return TRUE;
}
