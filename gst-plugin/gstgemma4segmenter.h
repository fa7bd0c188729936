/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cuts 16 kHz mono audio into the pieces gemma4asr transcribes: an energy
 * voice activity detector (20 ms frames against a dBFS threshold) finds
 * utterances, long ones are cut into chunks with the end of the previous
 * chunk prepended (overlap), and silence comes out as gaps. Without VAD the
 * audio is cut into fixed chunks. Positions are absolute sample counts since
 * the last reset; no GStreamer here, so it is tested on its own. */
#ifndef __GST_GEMMA4_SEGMENTER_H__
#define __GST_GEMMA4_SEGMENTER_H__

#include <glib.h>

G_BEGIN_DECLS

#define GST_GEMMA4_SEGMENTER_FRAME 320  /* 20 ms */

typedef struct
{
  gboolean vad;                 /* FALSE: fixed chunks */
  gdouble threshold_db;         /* a frame louder than this (RMS, dBFS) is voiced */
  guint64 min_speech;           /* voiced samples before an utterance starts */
  guint64 max_silence;          /* unvoiced samples that end an utterance */
  guint64 chunk;                /* most samples per segment */
  guint64 overlap;              /* samples of the previous chunk prepended */
} GstGemma4SegmenterConfig;

typedef struct
{
  guint64 start, end;           /* the span this segment reports, [start, end) */
  gboolean speech;              /* FALSE: a gap (silence), no audio */
  gfloat *pcm;                  /* speech: samples from audio_start to end */
  gsize n_pcm;
  guint64 audio_start;          /* <= start: overlap with the previous chunk */
  gboolean utterance_end;       /* speech: the utterance ended here */
  gboolean continues;           /* speech: cut from the same utterance as the
                                 * previous segment, pcm starts with its end */
} GstGemma4Segment;

typedef struct
{
  GstGemma4SegmenterConfig cfg;
  gfloat *buf;                  /* samples [buf_start, buf_start + len) */
  gsize len, cap;
  guint64 buf_start;
  guint64 done;                 /* everything before this was reported */
  guint64 scanned;              /* frames analysed up to here */
  gboolean in_speech;
  guint64 seg_start;
  gboolean seg_continues;
  guint64 last_voiced_end;
  gboolean cand;                /* voiced frames seen, not yet enough */
  guint64 cand_start, cand_voiced, cand_last_voiced_end;
} GstGemma4Segmenter;

void gst_gemma4_segmenter_init (GstGemma4Segmenter * s);
void gst_gemma4_segmenter_clear (GstGemma4Segmenter * s);
/* Forgets everything (positions restart at 0); keeps the configuration. */
void gst_gemma4_segmenter_reset (GstGemma4Segmenter * s);
/* Takes effect for the segments that start after this call. */
void gst_gemma4_segmenter_configure (GstGemma4Segmenter * s,
    const GstGemma4SegmenterConfig * cfg);
/* Appends n samples and pushes the finished segments onto out (in order). */
void gst_gemma4_segmenter_push (GstGemma4Segmenter * s, const gfloat * x,
    gsize n, GQueue * out);
/* End of the audio (EOS, discontinuity): reports everything still held,
 * then resets. */
void gst_gemma4_segmenter_finish (GstGemma4Segmenter * s, GQueue * out);
/* Samples received since the last reset. */
guint64 gst_gemma4_segmenter_position (const GstGemma4Segmenter * s);

void gst_gemma4_segment_free (GstGemma4Segment * seg);

G_END_DECLS

#endif /* __GST_GEMMA4_SEGMENTER_H__ */
