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

#define GST_TYPE_GEMMA4_LEAKY (gst_gemma4_leaky_get_type ())
GType gst_gemma4_leaky_get_type (void);
#define GST_TYPE_GEMMA4_ASR_TASK (gst_gemma4_asr_task_get_type ())
GType gst_gemma4_asr_task_get_type (void);
#define GST_TYPE_GEMMA4_VAD (gst_gemma4_vad_get_type ())
GType gst_gemma4_vad_get_type (void);

G_END_DECLS

#endif /* __GST_GEMMA4_ENUMS_H__ */
