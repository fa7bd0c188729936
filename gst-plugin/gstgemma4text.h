/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A text helper of gemma4asr, free of GStreamer so it is tested on its
 * own: removing the words an overlapping chunk repeats. */
#ifndef __GST_GEMMA4_TEXT_H__
#define __GST_GEMMA4_TEXT_H__

#include <glib.h>

G_BEGIN_DECLS

/* When next was transcribed from audio that starts with the end of the audio
 * of prev, the first words of next may repeat the last words of prev.
 * Returns the byte offset in next just after the longest such repetition
 * (words compared case-folded, punctuation ignored, at most max_words), with
 * the following spaces skipped; 0 when nothing repeats. */
gsize gst_gemma4_text_seam_skip (const gchar * prev, const gchar * next,
    guint max_words);

G_END_DECLS

#endif /* __GST_GEMMA4_TEXT_H__ */
