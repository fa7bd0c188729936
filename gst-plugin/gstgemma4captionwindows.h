/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4caption's sampling on the streaming thread: the windows the video
 * is cut into, the frame closest to each instant of a window picked and
 * copied once (small, at the encoder's size, shared by overlapping
 * windows), complete windows queued as jobs (gstgemma4captionjob.h). */
#ifndef __GST_GEMMA4_CAPTION_WINDOWS_H__
#define __GST_GEMMA4_CAPTION_WINDOWS_H__

#include "gstgemma4captionjob.h"

G_BEGIN_DECLS

/* The window properties agree with each other; otherwise why says how
 * not. Call with the object lock. */
gboolean gst_gemma4_caption_windows_valid (GstElement * element,
    gchar ** why);
/* Forgets the candidate frame (and its copy). */
void gst_gemma4_caption_candidate_clear (Candidate * c);
/* Forgets the open windows. */
void gst_gemma4_caption_drop_windows (GstGemma4Caption * self);
/* Instants of w up to cur's time get the closer of the previous frame
 * (when it is in the window; the earlier one on a tie) and cur. FALSE when
 * a copy failed (error posted). */
gboolean gst_gemma4_caption_resolve (GstGemma4Caption * self, Window * w,
    Candidate * cur);
/* Windows that end at or before t are complete: queued as jobs. */
GstFlowReturn gst_gemma4_caption_close_windows (GstGemma4Caption * self,
    GstClockTime t);
/* End of continuous video (EOS, gap, new segment): every open window is
 * captioned with what it has; the last one's text runs to the end of the
 * video. The next frame starts new windows. */
GstFlowReturn gst_gemma4_caption_finish_windows (GstGemma4Caption * self);
/* Opens the windows that start at or before t. Windows that also end
 * before t (video jumped over them) have no frames: one GAP covers them. */
void gst_gemma4_caption_open_windows (GstGemma4Caption * self,
    GstClockTime t);
/* cur becomes the previous frame, kept only while an open window may
 * still pick it. */
void gst_gemma4_caption_keep_as_prev (GstGemma4Caption * self, Candidate * cur);

G_END_DECLS

#endif /* __GST_GEMMA4_CAPTION_WINDOWS_H__ */
