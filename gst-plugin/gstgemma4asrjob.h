/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4asr's instance and the job it gives the worker for a chunk of
 * speech: the audio encoded, the prompt (task, language) run, the words
 * the overlap repeats removed and the result record published, partial
 * ones on the way. The streaming thread cuts the audio
 * (gstgemma4asr.c, gstgemma4segmenter.c). */
#ifndef __GST_GEMMA4_ASR_JOB_H__
#define __GST_GEMMA4_ASR_JOB_H__

#include "gemma4.h"
#include "gstgemma4asr.h"
#include "gstgemma4element.h"
#include "gstgemma4enums.h"
#include "gstgemma4segmenter.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_gemma4_asr_debug);

struct _GstGemma4Asr
{
  GstElement parent;

  GstGemma4Element core;

  /* properties, under the object lock */
  GstGemma4AsrTask task;
  gchar *language;
  gchar *target_language;
  guint chunk_ms;
  guint overlap_ms;
  GstGemma4Vad vad;
  gdouble vad_threshold;
  guint min_speech_ms;
  guint max_silence_ms;
  gboolean partial_results;

  /* streaming thread */
  gboolean float_input;
  GstSegment segment;
  gboolean anchored;
  GstClockTime anchor;          /* timestamp of the segmenter's sample 0 */
  gboolean live_checked;
  GstGemma4Segmenter segmenter;
  gfloat *conv;
  gsize conv_size;

  /* worker thread */
  gchar *prev_text;             /* the previous chunk's text, for the seam */
};

typedef struct
{
  GstGemma4Segment *seg;
  GstClockTime pts, duration;
  GstSegment segment;
  gint64 ready_at;              /* monotonic us when its audio was complete */
  gboolean live;
} AsrJob;

/* The worker's functions of a chunk (see gst_gemma4_worker_queue_job). */
GstFlowReturn gst_gemma4_asr_prepare (GstElement * element,
    GstGemma4Worker * w, gpointer data);
GstFlowReturn gst_gemma4_asr_process (GstElement * element,
    GstGemma4Worker * w, gpointer data);
GstFlowReturn gst_gemma4_asr_drop (GstElement * element, GstGemma4Worker * w,
    gpointer data);
void gst_gemma4_asr_job_free (gpointer data);

G_END_DECLS

#endif /* __GST_GEMMA4_ASR_JOB_H__ */
