/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The core every gemma4 inference element is built around (composed into
 * the instance, so a GstElement and a GstBaseTransform share it): the
 * common settings and the element's own properties (set and read under the
 * object lock from a table, a LATENCY message when the latency answer
 * changes), the worker and the model it holds, the text and JSON outputs,
 * the statistics, the state-change protocol, the side pads (events, LATENCY
 * answers, request and release) and upstream's liveness. Each element keeps
 * only what is its own: segmentation, frame selection, windows. */
#ifndef __GST_GEMMA4_ELEMENT_H__
#define __GST_GEMMA4_ELEMENT_H__

#include <gst/gst.h>

#include "gstgemma4output.h"
#include "gstgemma4settings.h"
#include "gstgemma4upstream.h"
#include "gstgemma4worker.h"

G_BEGIN_DECLS

/* One of an element's own properties: where its value lives in the
 * instance (guint, gint for enums, gdouble, gboolean or gchar *), and
 * whether the latency the element reports depends on it. */
typedef struct
{
  guint prop_id;                /* 0 ends a table */
  gsize offset;
  gboolean latency;
} GstGemma4Field;

/* What an element tells its core, once per class. */
typedef struct
{
  gsize core_offset;            /* G_STRUCT_OFFSET of its GstGemma4Element */
  const gchar *name;            /* "gemma4asr": stream ids, messages */
  const GstGemma4SettingsDefaults *defaults;
  const GstGemma4Field *fields;
  guint max_jobs;
  /* the element's own state, freed at finalize (may be NULL) */
  void (*clear) (GstElement * element);
  /* the media placeholder its prompt may hold once ("<|image|>",
   * "<|audio|>"; NULL: none, it lays out the media itself) */
  const gchar *placeholder;
  /* its own checks (task, labels...), under the object lock (may be NULL):
   * with the prompts' at NULL->READY and READY->PAUSED, and in PAUSED and
   * PLAYING whenever a property is set (a value that fails them is refused
   * with a warning, the old one kept) */
  GstGemma4CheckFunc check;
  /* its statistics, under the object lock (NULL: the worker's) */
  GstGemma4StatsFunc stats;
  /* the latency its text and JSON pads add when live, under the object
   * lock */
  GstClockTime (*own_latency) (GstElement * element);
  /* its part of a state change, before (FALSE fails it) and after the
   * parent class's (may be NULL) */
  gboolean (*prepare) (GstElement * element, GstStateChange transition);
  void (*finish) (GstElement * element, GstStateChange transition);
} GstGemma4ElementInfo;

typedef struct
{
  GstElement *element;
  const GstGemma4ElementInfo *info;
  GstPad *sinkpad;
  GParamSpec *stats_pspec;

  /* properties, under the object lock */
  GstGemma4Settings settings;
  GstStructure *last_stats;     /* stats of the last run, kept in NULL */
  GstGemma4Upstream upstream;

  /* READY and up; set and cleared under the object lock */
  GstGemma4Worker *worker;

  GstGemma4Output output;
} GstGemma4Element;

/* class_init: the common properties, set/get_property, finalize,
 * change_state, request/release of the text_src and json_src pads. */
void gst_gemma4_element_class_init (GstElementClass * klass,
    const GstGemma4ElementInfo * info);
/* instance init, with the element's sink pad (added by the element). */
void gst_gemma4_element_init (GstGemma4Element * core, GstElement * element,
    GstPad * sinkpad);

/* A source pad of the element: QOS stays here, other events go upstream,
 * LATENCY is upstream's plus own_latency when live. Added to the element
 * and, as an always pad, to the outputs. */
void gst_gemma4_element_add_src_pad (GstGemma4Element * core, GstPad * pad,
    gboolean json);

/* At the first buffer of a segment, pts its timestamp (may be NONE):
 * asks upstream whether it is live and, when it is, sends a GAP at pts (or
 * the segment's start) on the text and JSON outputs, through the worker,
 * unless something was sent there already: their sinks preroll on it, so
 * PLAYING does not wait for the first result. */
void gst_gemma4_element_check_live (GstGemma4Element * core,
    const GstSegment * segment, GstClockTime pts);

/* Tells the application the statistics changed (a job ended). */
void gst_gemma4_element_notify_stats (GstGemma4Element * core);

/* Whether jobs are dropped under load (leaky, upstream's liveness); live,
 * if not NULL: upstream's liveness. */
gboolean gst_gemma4_element_is_leaky (GstGemma4Element * core,
    gboolean * live);

/* What an element does at the input events of its sink pad. */
typedef struct
{
  /* the input's caps; FALSE refuses them */
  gboolean (*set_caps) (GstElement * element, GstCaps * caps);
  /* the input stops being continuous (new segment, gap, EOS): what was
   * collected goes to the worker */
  void (*finish) (GstElement * element);
  /* a new TIME segment, after finish */
  void (*set_segment) (GstElement * element, const GstSegment * segment);
  /* after a flush, the worker idle again: forget the input collected and
   * the output's state (gst_gemma4_output_reset) */
  void (*flushed) (GstElement * element);
} GstGemma4InputFuncs;

/* An input event other than stream-start (which the element starts the
 * outputs with): caps, segments (TIME only), gaps and EOS through funcs; a
 * flush cancels the worker and goes out at once; a GAP spans the outputs;
 * the input's tags are dropped (they describe the input, not this text);
 * other serialized events go out through the worker in order with the
 * results. */
gboolean gst_gemma4_element_sink_event (GstGemma4Element * core,
    const GstGemma4InputFuncs * funcs, GstPad * pad, GstObject * parent,
    GstEvent * event);

G_END_DECLS

#endif /* __GST_GEMMA4_ELEMENT_H__ */
