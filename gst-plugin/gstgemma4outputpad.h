/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One output pad of a gemma4 element (text or JSON) with its own streaming
 * task: the worker queues buffers and serialized events in stream order and
 * the pad's task pushes them, so a downstream that blocks (a sink waiting
 * for preroll) holds neither the worker nor the element's other output. */
#ifndef __GST_GEMMA4_OUTPUT_PAD_H__
#define __GST_GEMMA4_OUTPUT_PAD_H__

#include <gst/gst.h>
#include <gst/base/gstflowcombiner.h>

#include "gstgemma4upstream.h"

G_BEGIN_DECLS

/* What both output pads of an element share: the lock of their queues, the
 * combined flow. */
typedef struct
{
  GstElement *element;
  const GstGemma4Upstream *upstream;    /* live: no back-pressure */
  GMutex lock;
  GCond cond;                   /* an item queued or taken, flushing */
  /* under the element's object lock */
  GstFlowCombiner *flows;
  GstFlowReturn combined;       /* the flows after the last push */
} GstGemma4OutputPads;

typedef struct
{
  GstGemma4OutputPads *pads;
  GstPad *pad;                  /* NULL: a request pad not requested */
  gboolean always;              /* started with the input, not at first use */
  gboolean started;             /* its stream-start was queued */

  /* under pads->lock */
  GQueue items;                 /* GstBuffer and GstEvent, in stream order */
  guint n_buffers;
  gboolean flushing;            /* refuses items: flush or inactive */
} GstGemma4OutputPad;

void gst_gemma4_output_pads_init (GstGemma4OutputPads * pads,
    GstElement * element);
void gst_gemma4_output_pads_clear (GstGemma4OutputPads * pads);
/* Wakes the worker waiting for room, as a pause stops it. */
void gst_gemma4_output_pads_wake (GstGemma4OutputPads * pads);

/* Makes pad one of the outputs (its task runs while it is active). Call
 * with the object lock. */
void gst_gemma4_output_pad_set (GstGemma4OutputPad * o,
    GstGemma4OutputPads * pads, GstPad * pad, gboolean always);
/* Forgets the pad. Call with the object lock. */
void gst_gemma4_output_pad_unset (GstGemma4OutputPad * o);

/* Queues a buffer or serialized event (taken) for the pad's task. A buffer
 * waits for room while the element plays a non-live stream (a pause, a
 * flush or stopping end the wait). Returns the combined flow, FLUSHING
 * when the pad refuses items. */
GstFlowReturn gst_gemma4_output_pad_queue (GstGemma4OutputPad * o,
    GstMiniObject * item);
/* A flush-start or flush-stop (taken) on pad, the output's, at once: flush-start drops what is
 * queued but the stream's start and stops the task, flush-stop restarts
 * it. */
void gst_gemma4_output_pad_flush (GstGemma4OutputPad * o, GstPad * pad,
    GstEvent * event);

G_END_DECLS

#endif /* __GST_GEMMA4_OUTPUT_PAD_H__ */
