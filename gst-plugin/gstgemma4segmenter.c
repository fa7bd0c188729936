/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audio segmenter of gemma4asr (see gstgemma4segmenter.h). An utterance
 * starts at its first voiced frame (minus a short pre-roll) once min_speech
 * of voiced audio has been seen, and ends after max_silence of unvoiced
 * frames (plus a short hangover); it is cut every chunk samples, so no
 * result waits longer than one chunk. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "gstgemma4segmenter.h"

#define FRAME GST_GEMMA4_SEGMENTER_FRAME
/* Soft onsets and trailing consonants sit below the threshold: keep 100 ms
 * on each side of the voiced frames. */
#define PREROLL 1600
#define HANGOVER 1600
/* Unvoiced stretch that makes a not-yet-confirmed utterance a noise burst. */
#define CANDIDATE_RESET 1600
/* Speech shorter than this at the end of the audio is reported as a gap:
 * the encoder needs some audio to say anything. */
#define MIN_SEGMENT 1600
/* Silence is reported in steps of at least this much, not once per buffer. */
#define MIN_GAP 1600

void
gst_gemma4_segmenter_init (GstGemma4Segmenter * s)
{
  memset (s, 0, sizeof *s);
  s->cfg.vad = TRUE;
  s->cfg.threshold_db = -40.0;
  s->cfg.min_speech = 4000;
  s->cfg.max_silence = 9600;
  s->cfg.chunk = 80000;
}

void
gst_gemma4_segmenter_clear (GstGemma4Segmenter * s)
{
  g_free (s->buf);
  s->buf = NULL;
  s->len = s->cap = 0;
}

void
gst_gemma4_segmenter_reset (GstGemma4Segmenter * s)
{
  GstGemma4SegmenterConfig cfg = s->cfg;
  gfloat *buf = s->buf;
  gsize cap = s->cap;

  memset (s, 0, sizeof *s);
  s->cfg = cfg;
  s->buf = buf;
  s->cap = cap;
}

void
gst_gemma4_segmenter_configure (GstGemma4Segmenter * s,
    const GstGemma4SegmenterConfig * cfg)
{
  s->cfg = *cfg;
  s->cfg.chunk = MAX (s->cfg.chunk, FRAME);
  s->cfg.overlap = MIN (s->cfg.overlap, s->cfg.chunk - FRAME);
}

guint64
gst_gemma4_segmenter_position (const GstGemma4Segmenter * s)
{
  return s->buf_start + s->len;
}

void
gst_gemma4_segment_free (GstGemma4Segment * seg)
{
  if (!seg)
    return;
  g_free (seg->pcm);
  g_free (seg);
}

static void
emit_gap (GstGemma4Segmenter * s, guint64 end, GQueue * out)
{
  GstGemma4Segment *seg;

  if (end <= s->done)
    return;
  seg = g_new0 (GstGemma4Segment, 1);
  seg->start = s->done;
  seg->end = end;
  g_queue_push_tail (out, seg);
  s->done = end;
}

static void
emit_speech (GstGemma4Segmenter * s, guint64 end, gboolean utterance_end,
    GQueue * out)
{
  GstGemma4Segment *seg = g_new0 (GstGemma4Segment, 1);
  guint64 from = s->seg_start;

  if (s->seg_continues)
    from = s->seg_start > s->cfg.overlap ? s->seg_start - s->cfg.overlap : 0;
  from = MAX (from, s->buf_start);
  seg->start = s->seg_start;
  seg->end = end;
  seg->speech = TRUE;
  seg->audio_start = from;
  seg->n_pcm = end - from;
  seg->pcm = g_memdup2 (s->buf + (from - s->buf_start),
      seg->n_pcm * sizeof (gfloat));
  seg->utterance_end = utterance_end;
  seg->continues = s->seg_continues;
  g_queue_push_tail (out, seg);
  s->done = end;
}

static void
end_utterance (GstGemma4Segmenter * s, guint64 end, GQueue * out)
{
  emit_speech (s, end, TRUE, out);
  s->in_speech = FALSE;
  s->cand = FALSE;
}

static gboolean
frame_is_voiced (const GstGemma4Segmenter * s, guint64 at)
{
  const gfloat *x = s->buf + (at - s->buf_start);
  gdouble power = 0.0;

  for (gsize i = 0; i < FRAME; i++)
    power += (gdouble) x[i] * x[i];
  power /= FRAME;
  return power > pow (10.0, s->cfg.threshold_db / 10.0);
}

static void
scan_frame_vad (GstGemma4Segmenter * s, guint64 fs, GQueue * out)
{
  const guint64 fe = fs + FRAME;
  const gboolean voiced = frame_is_voiced (s, fs);

  if (!s->in_speech) {
    if (!voiced) {
      if (s->cand && fe - s->cand_last_voiced_end >= CANDIDATE_RESET)
        s->cand = FALSE;
      return;
    }
    if (!s->cand) {
      s->cand = TRUE;
      s->cand_start = fs;
      s->cand_voiced = 0;
    }
    s->cand_voiced += FRAME;
    s->cand_last_voiced_end = fe;
    if (s->cand_voiced >= s->cfg.min_speech) {
      guint64 start = s->cand_start > PREROLL ? s->cand_start - PREROLL : 0;
      start = MAX (start, s->done);
      emit_gap (s, start, out);
      s->in_speech = TRUE;
      s->seg_start = start;
      s->seg_continues = FALSE;
      s->last_voiced_end = fe;
    }
    return;
  }
  if (voiced)
    s->last_voiced_end = fe;
  if (fe - s->last_voiced_end >= s->cfg.max_silence) {
    end_utterance (s, MIN (s->last_voiced_end + HANGOVER, fe), out);
  } else if (fe - s->seg_start >= s->cfg.chunk) {
    if (fe - s->last_voiced_end >= HANGOVER) {
      end_utterance (s, s->last_voiced_end + HANGOVER, out);
    } else {
      emit_speech (s, fe, FALSE, out);
      s->seg_start = fe;
      s->seg_continues = TRUE;
    }
  }
}

static void
scan_fixed (GstGemma4Segmenter * s, GQueue * out)
{
  const guint64 end = s->buf_start + s->len;

  while (end - s->seg_start >= s->cfg.chunk) {
    emit_speech (s, s->seg_start + s->cfg.chunk, TRUE, out);
    s->seg_start += s->cfg.chunk;
    s->seg_continues = s->cfg.overlap > 0;
  }
  s->scanned = end;
}

/* Drops samples nothing can use any more. */
static void
trim (GstGemma4Segmenter * s)
{
  guint64 keep = s->done;

  if (s->in_speech || !s->cfg.vad) {
    keep = s->seg_start;
    if (s->seg_continues)
      keep = keep > s->cfg.overlap ? keep - s->cfg.overlap : 0;
  }
  keep = MIN (MAX (keep, s->buf_start), s->scanned);
  if (keep - s->buf_start < s->len / 2 + 1)
    return;
  memmove (s->buf, s->buf + (keep - s->buf_start),
      (s->len - (keep - s->buf_start)) * sizeof (gfloat));
  s->len -= keep - s->buf_start;
  s->buf_start = keep;
}

void
gst_gemma4_segmenter_push (GstGemma4Segmenter * s, const gfloat * x, gsize n,
    GQueue * out)
{
  if (s->len + n > s->cap) {
    s->cap = MAX (s->cap * 2, s->len + n);
    s->buf = g_renew (gfloat, s->buf, s->cap);
  }
  memcpy (s->buf + s->len, x, n * sizeof (gfloat));
  s->len += n;

  if (!s->cfg.vad) {
    scan_fixed (s, out);
  } else {
    const guint64 end = s->buf_start + s->len;
    while (end - s->scanned >= FRAME) {
      scan_frame_vad (s, s->scanned, out);
      s->scanned += FRAME;
    }
    if (!s->in_speech) {
      guint64 quiet = s->cand ? s->cand_start : s->scanned;
      if (quiet >= s->done + PREROLL + MIN_GAP)
        emit_gap (s, quiet - PREROLL, out);
    }
  }
  trim (s);
}

void
gst_gemma4_segmenter_finish (GstGemma4Segmenter * s, GQueue * out)
{
  const guint64 end = s->buf_start + s->len;

  if (s->cfg.vad && s->in_speech) {
    guint64 stop = MIN (s->last_voiced_end + HANGOVER, end);
    if (stop > s->seg_start && (stop - s->seg_start >= MIN_SEGMENT
            || s->seg_continues))
      emit_speech (s, stop, TRUE, out);
  } else if (!s->cfg.vad && end - s->seg_start >= MIN_SEGMENT) {
    emit_speech (s, end, TRUE, out);
  }
  emit_gap (s, end, out);
  gst_gemma4_segmenter_reset (s);
}
