/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4caption's instance and the job it gives the worker for a complete
 * window: its sampled frames encoded, the prompt (frame times, frames,
 * instruction, earlier captions) run and the result record published. The
 * streaming thread samples and cuts windows (gstgemma4caption.c). */
#ifndef __GST_GEMMA4_CAPTION_JOB_H__
#define __GST_GEMMA4_CAPTION_JOB_H__

#include <gst/video/video.h>

#include "gemma4.h"
#include "gstgemma4caption.h"
#include "gstgemma4element.h"
#include "gstgemma4enums.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_gemma4_caption_debug);

#define MAX_HISTORY 32
/* Frames in one prompt: 64 frames of 70 tokens already fill 4480
 * positions. */
#define MAX_FRAMES 64

/* A sampled frame: the small packed RGB copy the encoder reads as is,
 * refcounted (g_atomic_rc_box) because overlapping windows share it. */
typedef struct
{
  GstGemma4Caption *owner;      /* not reffed: samples die before it */
  GstClockTime pts, stream_time;
  gint width, height;
  g4_image_sizing sizing;
  gint max_soft_tokens;
  guint8 *rgb;                  /* width * height * 3 */
} Sample;

/* The last frame seen: when the next one comes it may turn out to be the
 * one closest to an instant. Its copy is made the first time it is picked. */
typedef struct
{
  GstBuffer *buf;
  GstClockTime pts;
  GstClockTime end;             /* NONE when unknown: the end of its windows */
  Sample *sample;
  gboolean unencodable;         /* skipped: the encoder cannot take it */
} Candidate;

typedef struct
{
  GstClockTime start, end;      /* [start, end): buffer time */
  GstClockTime step;            /* to the next window's start */
  GstClockTime instants[MAX_FRAMES];
  guint n_instants, next;       /* next: first instant not yet given a frame */
  Sample *frames[MAX_FRAMES];   /* picked, in order, each once */
  guint n_frames;
  GstClockTime content_end;     /* end of the last frame inside (NONE:
                                 * unknown, the window's end) */
} Window;

/* The window shape the properties ask for, read at once so a change in
 * the middle cannot mix old and new values. */
typedef struct
{
  GstClockTime window, step;
  guint n;                      /* sampling instants */
  gdouble fps;                  /* > 0: instants 1/fps apart */
} WindowShape;

struct _GstGemma4Caption
{
  GstElement parent;

  GstGemma4Element core;

  /* properties, under the object lock */
  guint window_ms;
  guint overlap_ms;
  guint frames_per_window;
  gdouble sample_fps;
  GstGemma4ImageSize image_size;
  guint max_soft_tokens;
  guint history_size;

  /* counters for stats: written on the streaming thread */
  guint64 frames_in, samples_made;
  guint64 skipped_frames;       /* too thin or small for the encoder */
  guint samples_alive_max;
  guint64 sample_bytes_max;

  gint samples_alive;           /* atomic */
  gint64 sample_bytes;          /* under the object lock */

  /* streaming thread */
  GstVideoInfo info;
  gboolean have_info;
  GstSegment segment;
  gboolean live_checked;
  const g4_mmproj *mm;
  gboolean anchored;
  GstClockTime next_start;      /* start of the next window to open */
  GstClockTime next_pts;        /* time of a next frame without one, or NONE */
  WindowShape shape;            /* of the window opened last */
  GQueue windows;               /* open windows, oldest first */
  Candidate prev;

  /* worker thread */
  GQueue history;               /* previous captions, oldest first */
};

typedef struct
{
  GstClockTime start, duration; /* the window described */
  GstClockTime display;         /* the text buffer's duration */
  Sample *frames[MAX_FRAMES];
  guint n_frames;
  GstSegment segment;
  gint64 ready_at;              /* monotonic us when the window was complete */
  gboolean live;
} CaptionJob;

void gst_gemma4_caption_sample_unref (Sample * s);

/* The worker's functions of a window (see gst_gemma4_worker_queue_job). */
GstFlowReturn gst_gemma4_caption_prepare (GstElement * element,
    GstGemma4Worker * w, gpointer data);
GstFlowReturn gst_gemma4_caption_process (GstElement * element,
    GstGemma4Worker * w, gpointer data);
GstFlowReturn gst_gemma4_caption_drop (GstElement * element,
    GstGemma4Worker * w, gpointer data);
void gst_gemma4_caption_job_free (gpointer data);
/* Forgets the earlier captions; worker thread, or while it is idle. */
void gst_gemma4_caption_clear_history (GstGemma4Caption * self);

G_END_DECLS

#endif /* __GST_GEMMA4_CAPTION_JOB_H__ */
