/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An output pad's queue and streaming task (see gstgemma4outputpad.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgemma4outputpad.h"

/* Results are small and one a job: this only keeps a worker that runs
 * ahead of a slow (clock-synced) downstream from piling them up. */
#define MAX_QUEUED_BUFFERS 16

void
gst_gemma4_output_pads_init (GstGemma4OutputPads * pads, GstElement * element)
{
  pads->element = element;
  g_mutex_init (&pads->lock);
  g_cond_init (&pads->cond);
  pads->flows = gst_flow_combiner_new ();
  pads->combined = GST_FLOW_OK;
}

void
gst_gemma4_output_pads_clear (GstGemma4OutputPads * pads)
{
  gst_flow_combiner_free (pads->flows);
  g_mutex_clear (&pads->lock);
  g_cond_clear (&pads->cond);
}

void
gst_gemma4_output_pads_wake (GstGemma4OutputPads * pads)
{
  g_mutex_lock (&pads->lock);
  g_cond_broadcast (&pads->cond);
  g_mutex_unlock (&pads->lock);
}

/* A flush keeps what starts the stream (stream-start, caps, tags), so a
 * pad flushed before its task sent them still starts. */
static gboolean
survives_flush (GstMiniObject * item)
{
  GstEvent *ev;

  if (!GST_IS_EVENT (item))
    return FALSE;
  ev = GST_EVENT (item);
  return GST_EVENT_IS_STICKY (ev) && GST_EVENT_TYPE (ev) != GST_EVENT_SEGMENT
      && GST_EVENT_TYPE (ev) != GST_EVENT_EOS;
}

/* Call with pads->lock. */
static void
drop_items (GstGemma4OutputPad * o, gboolean flush)
{
  GQueue kept = G_QUEUE_INIT;
  GstMiniObject *item;

  while ((item = g_queue_pop_head (&o->items))) {
    if (flush && survives_flush (item))
      g_queue_push_tail (&kept, item);
    else
      gst_mini_object_unref (item);
  }
  o->items = kept;
  o->n_buffers = 0;
  g_cond_broadcast (&o->pads->cond);
}

static void
pad_loop (gpointer data)
{
  GstPad *pad = data;
  GstGemma4OutputPad *o = gst_pad_get_element_private (pad);
  GstGemma4OutputPads *pads = o->pads;
  GstMiniObject *item;
  GstFlowReturn ret;

  g_mutex_lock (&pads->lock);
  while (!o->flushing && g_queue_is_empty (&o->items))
    g_cond_wait (&pads->cond, &pads->lock);
  if (o->flushing) {
    g_mutex_unlock (&pads->lock);
    gst_pad_pause_task (pad);
    return;
  }
  item = g_queue_pop_head (&o->items);
  if (GST_IS_BUFFER (item))
    o->n_buffers--;
  g_cond_broadcast (&pads->cond);
  g_mutex_unlock (&pads->lock);

  if (GST_IS_EVENT (item)) {
    gst_pad_push_event (pad, GST_EVENT (item));
    return;
  }
  ret = gst_pad_push (pad, GST_BUFFER (item));
  GST_OBJECT_LOCK (pads->element);
  pads->combined = gst_flow_combiner_update_pad_flow (pads->flows, pad, ret);
  GST_OBJECT_UNLOCK (pads->element);
}

static gboolean
start_task (GstPad * pad)
{
  return gst_pad_start_task (pad, pad_loop, pad, NULL);
}

static void
set_flushing (GstGemma4OutputPad * o, gboolean flushing)
{
  g_mutex_lock (&o->pads->lock);
  o->flushing = flushing;
  if (flushing)
    drop_items (o, FALSE);
  g_mutex_unlock (&o->pads->lock);
}

/* The task runs while the pad is active; stopping drops what is queued. */
static gboolean
pad_activate_mode (GstPad * pad, GstObject * parent, GstPadMode mode,
    gboolean active)
{
  GstGemma4OutputPad *o = gst_pad_get_element_private (pad);

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;
  set_flushing (o, !active);
  if (active)
    return start_task (pad);
  return gst_pad_stop_task (pad);
}

void
gst_gemma4_output_pad_set (GstGemma4OutputPad * o,
    GstGemma4OutputPads * pads, GstPad * pad, gboolean always)
{
  /* the pad is not active yet: no task, nothing queued */
  o->pads = pads;
  o->pad = pad;
  o->always = always;
  o->started = FALSE;
  o->flushing = FALSE;
  gst_pad_set_element_private (pad, o);
  gst_pad_set_activatemode_function (pad, pad_activate_mode);
  gst_flow_combiner_add_pad (pads->flows, pad);
}

void
gst_gemma4_output_pad_unset (GstGemma4OutputPad * o)
{
  gst_flow_combiner_remove_pad (o->pads->flows, o->pad);
  o->pad = NULL;
}

/* Whether the worker waits for room: only when playing (a sink waiting for
 * preroll takes nothing, and the other output's sink may wait for data the
 * worker has yet to make) and not live (there late jobs are dropped). */
static gboolean
holds_back (GstGemma4OutputPads * pads)
{
  GstElement *e = pads->element;
  gboolean hold;

  GST_OBJECT_LOCK (e);
  hold = GST_STATE (e) == GST_STATE_PLAYING
      && GST_STATE_TARGET (e) == GST_STATE_PLAYING
      && !(pads->upstream && pads->upstream->live);
  GST_OBJECT_UNLOCK (e);
  return hold;
}

GstFlowReturn
gst_gemma4_output_pad_queue (GstGemma4OutputPad * o, GstMiniObject * item)
{
  GstGemma4OutputPads *pads = o->pads;
  GstFlowReturn ret;

  g_mutex_lock (&pads->lock);
  if (GST_IS_BUFFER (item))
    while (!o->flushing && o->n_buffers >= MAX_QUEUED_BUFFERS
        && holds_back (pads))
      g_cond_wait (&pads->cond, &pads->lock);
  if (o->flushing) {
    g_mutex_unlock (&pads->lock);
    gst_mini_object_unref (item);
    return GST_FLOW_FLUSHING;
  }
  g_queue_push_tail (&o->items, item);
  if (GST_IS_BUFFER (item))
    o->n_buffers++;
  g_cond_broadcast (&pads->cond);
  g_mutex_unlock (&pads->lock);

  GST_OBJECT_LOCK (pads->element);
  ret = pads->combined;
  GST_OBJECT_UNLOCK (pads->element);
  return ret;
}

void
gst_gemma4_output_pad_flush (GstGemma4OutputPad * o, GstPad * pad,
    GstEvent * event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START) {
    g_mutex_lock (&o->pads->lock);
    o->flushing = TRUE;
    drop_items (o, TRUE);
    g_mutex_unlock (&o->pads->lock);
    /* unblocks the task's push before waiting for it */
    gst_pad_push_event (pad, event);
    gst_pad_pause_task (pad);
    return;
  }
  gst_pad_push_event (pad, event);
  if (GST_PAD_MODE (pad) != GST_PAD_MODE_PUSH)
    return;
  set_flushing (o, FALSE);
  start_task (pad);
}
