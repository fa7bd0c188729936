/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What upstream of a gemma4 element says about liveness and latency: asked
 * when a stream starts (leaky=auto follows it) and at each LATENCY query,
 * whose answer the element extends by its own latency when live. */
#ifndef __GST_GEMMA4_UPSTREAM_H__
#define __GST_GEMMA4_UPSTREAM_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* What upstream said to the last LATENCY query; under the object lock. */
typedef struct
{
  gboolean live;
  GstClockTime answered;        /* the minimum this element answered, live */
} GstGemma4Upstream;

/* Asks upstream of sinkpad whether it is live (leaky=auto follows it). */
void gst_gemma4_upstream_query (GstGemma4Upstream * up, GstElement * element,
    GstPad * sinkpad);
/* Answers a LATENCY query of a source pad: upstream's answer, plus own
 * when live. */
gboolean gst_gemma4_upstream_answer_latency (GstGemma4Upstream * up,
    GstElement * element, GstPad * sinkpad, GstQuery * query,
    GstClockTime own);
G_END_DECLS

#endif /* __GST_GEMMA4_UPSTREAM_H__ */
