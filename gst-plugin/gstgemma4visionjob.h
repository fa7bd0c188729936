/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4vision's instance and the job it gives the worker: the frame (or
 * each upstream region) encoded, the prompt run, boxes parsed and the
 * result record published; the streaming thread attaches the result to the
 * video (gstgemma4vision.c). */
#ifndef __GST_GEMMA4_VISION_JOB_H__
#define __GST_GEMMA4_VISION_JOB_H__

#include <gst/base/gstbasetransform.h>
#include <gst/video/video.h>

#include "gemma4.h"
#include "gstgemma4element.h"
#include "gstgemma4enums.h"
#include "gstgemma4vision.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_gemma4_vision_debug);

/* One box or region answer, in pixels of the source frame. */
typedef struct
{
  gint x, y, w, h;
  gint box_2d[4];               /* y_min, x_min, y_max, x_max in 0-1000 */
  gchar *label;
  GQuark roi_type;
  gfloat confidence;            /* -1: not given */
  gchar *text;                  /* roi-list answers; NULL for boxes */
  gint parent_id;               /* upstream ROI id in roi-list mode, else -1 */
} VisionObject;

typedef struct
{
  gint refcount;
  guint64 seq;
  GstClockTime pts, duration;
  gint width, height;
  GArray *objects;              /* VisionObject */
  GstStructure *s;              /* gemma4-result */
} VisionResult;

struct _GstGemma4Vision
{
  GstBaseTransform parent;

  /* the text_src and json_src request pads are the core's outputs */
  GstGemma4Element core;

  /* properties, under the object lock */
  GstGemma4VisionTask task;
  gchar *labels;
  GstGemma4ImageSize image_size;
  guint max_soft_tokens;
  guint inference_interval;
  guint min_interval_ms;
  GstGemma4Attach attach;
  GstGemma4InferenceRegion region;
  gchar *object_class;

  /* streaming thread */
  GstVideoInfo info;
  gboolean live_checked;
  GQueue held;                  /* HeldFrame, oldest first */
  guint frames_since;           /* frames since the last sampled one */
  GstClockTime last_sampled;    /* running time */
  guint64 next_seq;

  /* results, under result_lock */
  GMutex result_lock;
  GCond result_cond;
  GQueue ready;                 /* VisionResult, oldest first */
  guint64 done_seq;             /* every job up to it is finished */
  gboolean flushing;
  VisionResult *last;           /* attach=repeat */
  guint64 held_timeouts;
  guint64 skipped_frames;       /* too thin or small for the encoder */

  /* worker thread */
  GHashTable *seen_labels;      /* label -> itself, at most MAX_LABEL_QUARKS */
  g4_constraint *constraint;
  gchar *constraint_key;
  gint64 last_parse_warning;
};

typedef struct _VisionJobConfig VisionJobConfig;

typedef struct
{
  GstGemma4Vision *self;
  GstBuffer *buf;
  GstVideoInfo info;
  GstSegment segment;
  GstClockTime span;            /* until the next sampled frame, estimated */
  guint64 seq;
  gboolean live;
  gint64 queued_at;
  VisionJobConfig *sent;        /* backend=openai: what it was sent with */
} VisionJob;

VisionResult *vision_result_ref (VisionResult * r);
void vision_result_unref (VisionResult * r);

/* A comma-separated list, items trimmed, empty ones left out; NULL when
 * nothing is left. */
gchar **gst_gemma4_vision_split_list (const gchar * list);

/* The worker's functions of a job (see gst_gemma4_worker_queue_job); the
 * free function runs however the job ended, so an attach=exact frame
 * waiting for it is released. */
GstFlowReturn gst_gemma4_vision_prepare (GstElement * element,
    GstGemma4Worker * w, gpointer data);
GstFlowReturn gst_gemma4_vision_process (GstElement * element,
    GstGemma4Worker * w, gpointer data);
GstFlowReturn gst_gemma4_vision_drop (GstElement * element,
    GstGemma4Worker * w, gpointer data);
void gst_gemma4_vision_job_free (gpointer data);

G_END_DECLS

#endif /* __GST_GEMMA4_VISION_JOB_H__ */
