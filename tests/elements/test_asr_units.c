/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The model-free parts of gemma4asr: the audio segmenter (fixed chunks with
 * overlap, energy VAD utterances, cuts, gaps over silence, bounded memory)
 * and the text helpers (seam de-duplication, JSON strings). */
#include <math.h>
#include <string.h>

#include <glib.h>

#include "gstgemma4segmenter.h"
#include "gstgemma4text.h"

#define RATE 16000

/* A tone at the given RMS level in dBFS (0 = silence). */
static gfloat *
tone (gsize n, gdouble db)
{
  gfloat *x = g_new0 (gfloat, n);
  const gdouble amp = db == 0.0 ? 0.0 : sqrt (2.0) * pow (10.0, db / 20.0);

  for (gsize i = 0; i < n; i++)
    x[i] = (gfloat) (amp * sin (2.0 * G_PI * 440.0 * i / RATE));
  return x;
}

static void
push_all (GstGemma4Segmenter * s, const gfloat * x, gsize n, gsize piece,
    GQueue * out)
{
  for (gsize i = 0; i < n; i += piece)
    gst_gemma4_segmenter_push (s, x + i, MIN (piece, n - i), out);
}

/* Segments must tile [0, end) in order; returns how many are speech. */
static guint
check_tiling (GQueue * segs, guint64 end)
{
  guint64 at = 0;
  guint speech = 0;

  for (GList * l = segs->head; l; l = l->next) {
    GstGemma4Segment *seg = l->data;
    g_assert_cmpuint (seg->start, ==, at);
    g_assert_cmpuint (seg->end, >, seg->start);
    if (seg->speech) {
      g_assert_cmpuint (seg->n_pcm, ==, seg->end - seg->audio_start);
      g_assert_nonnull (seg->pcm);
      speech++;
    }
    at = seg->end;
  }
  g_assert_cmpuint (at, ==, end);
  return speech;
}

static GstGemma4Segment *
nth_speech (GQueue * segs, guint n)
{
  for (GList * l = segs->head; l; l = l->next) {
    GstGemma4Segment *seg = l->data;
    if (seg->speech && n-- == 0)
      return seg;
  }
  g_assert_not_reached ();
  return NULL;
}

static void
free_segments (GQueue * segs)
{
  g_queue_clear_full (segs, (GDestroyNotify) gst_gemma4_segment_free);
}

static GstGemma4SegmenterConfig
config (gboolean vad, guint chunk_ms, guint overlap_ms)
{
  return (GstGemma4SegmenterConfig) {
    .vad = vad,.threshold_db = -40.0,.min_speech = 250 * RATE / 1000,
        .max_silence = 600 * RATE / 1000,.chunk = (guint64) chunk_ms * RATE / 1000,
        .overlap = (guint64) overlap_ms * RATE / 1000};
}

static void
test_fixed_chunks (void)
{
  GstGemma4Segmenter s;
  GQueue segs = G_QUEUE_INIT;
  const gsize n = 53273;        /* speech.wav: 3.33 s */
  gfloat *x = tone (n, -20.0);
  GstGemma4SegmenterConfig cfg = config (FALSE, 1000, 250);

  gst_gemma4_segmenter_init (&s);
  gst_gemma4_segmenter_configure (&s, &cfg);
  push_all (&s, x, n, 777, &segs);
  g_assert_cmpuint (segs.length, ==, 3);
  gst_gemma4_segmenter_finish (&s, &segs);
  g_assert_cmpuint (check_tiling (&segs, n), ==, 4);
  for (guint k = 0; k < 4; k++) {
    GstGemma4Segment *seg = nth_speech (&segs, k);
    g_assert_cmpuint (seg->start, ==, k * RATE);
    g_assert_cmpuint (seg->end, ==, MIN ((k + 1) * RATE, n));
    g_assert_cmpuint (seg->audio_start, ==, k ? k * RATE - 4000 : 0);
    g_assert_true (seg->continues == (k > 0));
    g_assert_true (seg->utterance_end);
    /* the prepended overlap is the previous chunk's end */
    g_assert_cmpfloat (seg->pcm[0], ==, x[seg->audio_start]);
  }
  g_print ("fixed chunks: 4 segments of 1 s with 250 ms overlap tile 3.33 s\n");
  free_segments (&segs);
  gst_gemma4_segmenter_clear (&s);
  g_free (x);
}

static void
test_vad_utterances (void)
{
  GstGemma4Segmenter s;
  GQueue segs = G_QUEUE_INIT;
  const gsize n = 5 * RATE;
  gfloat *x = g_new0 (gfloat, n);
  gfloat *t = tone (RATE, -20.0);
  GstGemma4SegmenterConfig cfg = config (TRUE, 5000, 1000);
  GstGemma4Segment *a, *b;
  guint64 gap = 0;

  memcpy (x, t, RATE * sizeof (gfloat));
  memcpy (x + 4 * RATE, t, RATE * sizeof (gfloat));
  gst_gemma4_segmenter_init (&s);
  gst_gemma4_segmenter_configure (&s, &cfg);
  push_all (&s, x, n, 320, &segs);
  gst_gemma4_segmenter_finish (&s, &segs);
  g_assert_cmpuint (check_tiling (&segs, n), ==, 2);
  a = nth_speech (&segs, 0);
  b = nth_speech (&segs, 1);
  /* speech to 1.0 s plus 100 ms hangover; then from 4.0 s less 100 ms pre-roll */
  g_assert_cmpuint (a->start, ==, 0);
  g_assert_cmpuint (a->end, ==, RATE + 1600);
  g_assert_cmpuint (b->start, ==, 4 * RATE - 1600);
  g_assert_cmpuint (b->end, ==, n);
  g_assert_true (a->utterance_end && b->utterance_end);
  g_assert_false (a->continues || b->continues);
  for (GList * l = segs.head; l; l = l->next) {
    GstGemma4Segment *seg = l->data;
    if (!seg->speech)
      gap += seg->end - seg->start;
  }
  g_assert_cmpuint (gap, ==, b->start - a->end);
  g_print ("vad: 2 utterances [0, 1.1 s) [3.9 s, 5 s), gaps cover the 2.8 s "
      "between them\n");
  free_segments (&segs);
  gst_gemma4_segmenter_clear (&s);
  g_free (x);
  g_free (t);
}

static void
test_vad_long_utterance_is_cut (void)
{
  GstGemma4Segmenter s;
  GQueue segs = G_QUEUE_INIT;
  const gsize n = 12 * RATE;
  gfloat *x = tone (n, -20.0);
  GstGemma4SegmenterConfig cfg = config (TRUE, 5000, 1000);

  gst_gemma4_segmenter_init (&s);
  gst_gemma4_segmenter_configure (&s, &cfg);
  push_all (&s, x, n, 1000, &segs);
  gst_gemma4_segmenter_finish (&s, &segs);
  g_assert_cmpuint (check_tiling (&segs, n), ==, 3);
  for (guint k = 0; k < 3; k++) {
    GstGemma4Segment *seg = nth_speech (&segs, k);
    g_assert_cmpuint (seg->start, ==, k * 5 * RATE);
    g_assert_cmpuint (seg->audio_start, ==, k ? k * 5 * RATE - RATE : 0);
    g_assert_true (seg->continues == (k > 0));
    g_assert_true (seg->utterance_end == (k == 2));
  }
  g_print ("vad: a 12 s utterance is cut at 5 s and 10 s, 1 s overlap, "
      "final only at the end\n");
  free_segments (&segs);
  gst_gemma4_segmenter_clear (&s);
  g_free (x);
}

static void
test_vad_ignores_noise (void)
{
  GstGemma4Segmenter s;
  GQueue segs = G_QUEUE_INIT;
  const gsize n = 3 * RATE;
  gfloat *x = g_new0 (gfloat, n);
  gfloat *burst = tone (RATE / 10, -10.0);
  gfloat *quiet = tone (RATE, -50.0);
  GstGemma4SegmenterConfig cfg = config (TRUE, 5000, 1000);

  memcpy (x + RATE / 2, burst, RATE / 10 * sizeof (gfloat));
  memcpy (x + 2 * RATE, quiet, RATE * sizeof (gfloat));
  gst_gemma4_segmenter_init (&s);
  gst_gemma4_segmenter_configure (&s, &cfg);
  push_all (&s, x, n, 480, &segs);
  gst_gemma4_segmenter_finish (&s, &segs);
  g_assert_cmpuint (check_tiling (&segs, n), ==, 0);
  g_print ("vad: a 100 ms burst and a -50 dBFS tone give %u gaps, no speech\n",
      segs.length);
  free_segments (&segs);
  gst_gemma4_segmenter_clear (&s);
  g_free (x);
  g_free (burst);
  g_free (quiet);
}

static void
test_memory_is_bounded (void)
{
  GstGemma4Segmenter s;
  GQueue segs = G_QUEUE_INIT;
  gfloat *x = g_new0 (gfloat, RATE);
  GstGemma4SegmenterConfig cfg = config (TRUE, 5000, 1000);
  gsize most = 0;

  gst_gemma4_segmenter_init (&s);
  gst_gemma4_segmenter_configure (&s, &cfg);
  for (guint i = 0; i < 600; i++) {
    gst_gemma4_segmenter_push (&s, x, RATE, &segs);
    most = MAX (most, s.len);
    free_segments (&segs);
  }
  g_assert_cmpuint (most, <=, 2 * RATE);
  g_assert_cmpuint (gst_gemma4_segmenter_position (&s), ==, 600 * RATE);
  g_print ("10 min of silence: at most %" G_GSIZE_FORMAT " samples held\n",
      most);
  gst_gemma4_segmenter_clear (&s);
  g_free (x);
}

static void
expect_skip (const gchar * prev, const gchar * next, gdouble share,
    const gchar * rest)
{
  gsize skip = gst_gemma4_text_seam_skip (prev, next, share);
  g_assert_cmpstr (next + skip, ==, rest);
}

static void
test_seam (void)
{
  expect_skip ("the quick brown fox", "brown fox jumps over", 0.5,
      "jumps over");
  expect_skip ("Hello, World.", "world! How are you", 0.2, "How are you");
  expect_skip ("nothing in common", "entirely new words", 0.5,
      "entirely new words");
  /* at most the overlap's share of the words, plus one cut at the seam */
  expect_skip ("a b c d e", "b c d e f g h i j k", 0.2, "b c d e f g h i j k");
  expect_skip ("a b c d e", "d e f g h i j k l m", 0.1, "f g h i j k l m");
  expect_skip ("добрый день", "День хороший", 0.3, "хороший");
  expect_skip (NULL, "first chunk", 0.5, "first chunk");
  expect_skip ("end", "", 0.5, "");
  expect_skip ("a b", "a b c", 0.0, "a b c");
  /* a chunk that repeats its predecessor is speech too: never all of it */
  expect_skip ("said it twice", "said it twice", 0.5, "said it twice");
  expect_skip ("yes yes", "yes", 0.5, "yes");
  expect_skip ("yes, yes, yes", "yes, yes, yes, no", 0.2, "yes, no");
  /* text without spaces: a character is a word */
  expect_skip ("今日は晴れです", "です明日も晴れ", 0.3, "明日も晴れ");
  expect_skip ("我们走吧", "我们走吧", 0.5, "我们走吧");
  expect_skip ("我们走吧", "走吧我们明天见面了好吗", 0.1, "我们明天见面了好吗");
  expect_skip ("ครับ", "ครับ", 0.5, "ครับ");
  g_print ("seam: 16 cases (case, punctuation, UTF-8, the overlap's share, "
      "repeated chunks kept, CJK and Thai by character)\n");
}

static void
test_json_string (void)
{
  GString *s = g_string_new (NULL);

  gst_gemma4_json_append_string (s, "a\"b\\c\n\t\x01 é");
  g_assert_cmpstr (s->str, ==, "\"a\\\"b\\\\c\\n\\t\\u0001 é\"");
  g_string_truncate (s, 0);
  gst_gemma4_json_append_string (s, NULL);
  g_assert_cmpstr (s->str, ==, "\"\"");
  g_string_free (s, TRUE);
  g_print ("json: quotes, backslashes, control characters escaped\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/segmenter/fixed-chunks", test_fixed_chunks);
  g_test_add_func ("/segmenter/vad-utterances", test_vad_utterances);
  g_test_add_func ("/segmenter/vad-long-utterance-is-cut",
      test_vad_long_utterance_is_cut);
  g_test_add_func ("/segmenter/vad-ignores-noise", test_vad_ignores_noise);
  g_test_add_func ("/segmenter/memory-is-bounded", test_memory_is_bounded);
  g_test_add_func ("/text/seam", test_seam);
  g_test_add_func ("/text/json-string", test_json_string);
  return g_test_run ();
}
