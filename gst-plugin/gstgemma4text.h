/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text helpers of the gemma4 elements, free of GStreamer so they are tested
 * on their own: removing the words an overlapping chunk repeats, and writing
 * JSON strings. */
#ifndef __GST_GEMMA4_TEXT_H__
#define __GST_GEMMA4_TEXT_H__

#include <glib.h>

G_BEGIN_DECLS

/* When next was transcribed from audio that starts with the end of the audio
 * of prev (overlap_share: the part of next's audio that prev also had, 0-1),
 * the first words of next may repeat the last words of prev. Returns the byte
 * offset in next just after the longest such repetition, with the spaces and
 * punctuation after it skipped; 0 when nothing repeats. Words are compared
 * case-folded, punctuation ignored; each character of a script written
 * without spaces (Chinese, Japanese, Thai, ...) counts as a word. A
 * repetition is at most what the overlap can hold (its share of next's words,
 * plus one cut at the seam) and never all of next: a chunk is never dropped
 * for repeating its predecessor ("yes" after "yes"). */
gsize gst_gemma4_text_seam_skip (const gchar * prev, const gchar * next,
    gdouble overlap_share);

/* Appends str as a JSON string literal (quoted, escaped). */
void gst_gemma4_json_append_string (GString * out, const gchar * str);

G_END_DECLS

#endif /* __GST_GEMMA4_TEXT_H__ */
