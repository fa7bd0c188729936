/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Enumerations shared by the gemma4 elements, registered once as GTypes and
 * marked as plugin API so gst-inspect and the documentation list their
 * values. */
#ifndef __GST_GEMMA4_ENUMS_H__
#define __GST_GEMMA4_ENUMS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstGemma4Leaky:
 * @GST_GEMMA4_LEAKY_NONE: never drop: the streaming thread waits for room
 *   in the job queue (backpressure)
 * @GST_GEMMA4_LEAKY_NEWEST: newest wins: when the queue is full the oldest
 *   pending job is dropped, counted and reported in a QOS message
 * @GST_GEMMA4_LEAKY_AUTO: none when upstream is not live, newest when it is
 *
 * What happens when a job arrives while the inference worker is busy.
 */
typedef enum
{
  GST_GEMMA4_LEAKY_NONE,
  GST_GEMMA4_LEAKY_NEWEST,
  GST_GEMMA4_LEAKY_AUTO,
} GstGemma4Leaky;

/**
 * GstGemma4SchedulingPolicy:
 * @GST_GEMMA4_SCHEDULING_AUTO: latency when upstream is live, throughput
 *   when it is not
 * @GST_GEMMA4_SCHEDULING_LATENCY: of the jobs waiting for a place in the
 *   running batch, the earliest deadline goes first, and long prompts enter
 *   in short pieces so that the batch's answers keep coming
 * @GST_GEMMA4_SCHEDULING_THROUGHPUT: jobs join in arrival order and prompts
 *   enter whole: the largest batches, the most results per second
 *
 * How the model's scheduler batches the jobs of the elements that share it.
 */
typedef enum
{
  GST_GEMMA4_SCHEDULING_AUTO,
  GST_GEMMA4_SCHEDULING_LATENCY,
  GST_GEMMA4_SCHEDULING_THROUGHPUT,
} GstGemma4SchedulingPolicy;

/**
 * GstGemma4AsrTask:
 * @GST_GEMMA4_ASR_TASK_TRANSCRIBE: write down what is said, in its language
 * @GST_GEMMA4_ASR_TASK_TRANSLATE: translate what is said into the target language
 */
typedef enum
{
  GST_GEMMA4_ASR_TASK_TRANSCRIBE,
  GST_GEMMA4_ASR_TASK_TRANSLATE,
} GstGemma4AsrTask;

/**
 * GstGemma4Vad:
 * @GST_GEMMA4_VAD_NONE: fixed chunks of audio, silence included
 * @GST_GEMMA4_VAD_ENERGY: frames louder than a threshold are speech;
 *   silence produces GAP events instead of text
 */
typedef enum
{
  GST_GEMMA4_VAD_NONE,
  GST_GEMMA4_VAD_ENERGY,
} GstGemma4Vad;

/**
 * GstGemma4VisionTask:
 * @GST_GEMMA4_VISION_TASK_DESCRIBE: a short description of the frame
 * @GST_GEMMA4_VISION_TASK_DETECT: boxes of the objects named in labels (any
 *   object when labels is empty)
 * @GST_GEMMA4_VISION_TASK_OCR: the text in the frame, verbatim
 * @GST_GEMMA4_VISION_TASK_CLASSIFY: the one label that fits the frame best
 * @GST_GEMMA4_VISION_TASK_CUSTOM: the prompt property, verbatim
 */
typedef enum
{
  GST_GEMMA4_VISION_TASK_DESCRIBE,
  GST_GEMMA4_VISION_TASK_DETECT,
  GST_GEMMA4_VISION_TASK_OCR,
  GST_GEMMA4_VISION_TASK_CLASSIFY,
  GST_GEMMA4_VISION_TASK_CUSTOM,
} GstGemma4VisionTask;

/**
 * GstGemma4ImageSize:
 * @GST_GEMMA4_IMAGE_SIZE_NATIVE: the native size on the 48 px grid, within
 *   70 .. max-soft-tokens soft tokens, letterboxed (the reference's rule)
 * @GST_GEMMA4_IMAGE_SIZE_BUDGET: stretched to fill max-soft-tokens soft
 *   tokens (Hugging Face's rule)
 */
typedef enum
{
  GST_GEMMA4_IMAGE_SIZE_NATIVE,
  GST_GEMMA4_IMAGE_SIZE_BUDGET,
} GstGemma4ImageSize;

/**
 * GstGemma4Attach:
 * @GST_GEMMA4_ATTACH_NEXT: the video never waits: a result goes on the next
 *   frame that leaves the element, with the source PTS recorded
 * @GST_GEMMA4_ATTACH_EXACT: an inferred frame is held (up to latency) until
 *   its own result is ready
 * @GST_GEMMA4_ATTACH_REPEAT: as next, and the last result is attached again
 *   to every frame until a new one, marked repeated
 */
typedef enum
{
  GST_GEMMA4_ATTACH_NEXT,
  GST_GEMMA4_ATTACH_EXACT,
  GST_GEMMA4_ATTACH_REPEAT,
} GstGemma4Attach;

/**
 * GstGemma4InferenceRegion:
 * @GST_GEMMA4_INFERENCE_REGION_FULL_FRAME: the prompt sees the whole frame
 * @GST_GEMMA4_INFERENCE_REGION_ROI_LIST: the prompt runs on the crop of each
 *   upstream region of interest (filtered by object-class)
 */
typedef enum
{
  GST_GEMMA4_INFERENCE_REGION_FULL_FRAME,
  GST_GEMMA4_INFERENCE_REGION_ROI_LIST,
} GstGemma4InferenceRegion;

#define GST_TYPE_GEMMA4_LEAKY (gst_gemma4_leaky_get_type ())
GType gst_gemma4_leaky_get_type (void);
#define GST_TYPE_GEMMA4_SCHEDULING_POLICY (gst_gemma4_scheduling_policy_get_type ())
GType gst_gemma4_scheduling_policy_get_type (void);
#define GST_TYPE_GEMMA4_ASR_TASK (gst_gemma4_asr_task_get_type ())
GType gst_gemma4_asr_task_get_type (void);
#define GST_TYPE_GEMMA4_VAD (gst_gemma4_vad_get_type ())
GType gst_gemma4_vad_get_type (void);
#define GST_TYPE_GEMMA4_VISION_TASK (gst_gemma4_vision_task_get_type ())
GType gst_gemma4_vision_task_get_type (void);
#define GST_TYPE_GEMMA4_IMAGE_SIZE (gst_gemma4_image_size_get_type ())
GType gst_gemma4_image_size_get_type (void);
#define GST_TYPE_GEMMA4_ATTACH (gst_gemma4_attach_get_type ())
GType gst_gemma4_attach_get_type (void);
#define GST_TYPE_GEMMA4_INFERENCE_REGION \
  (gst_gemma4_inference_region_get_type ())
GType gst_gemma4_inference_region_get_type (void);

G_END_DECLS

#endif /* __GST_GEMMA4_ENUMS_H__ */
