/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4asr: speech to text with a Gemma 4 model (E2B/E4B audio encoder),
 * timed text out for subtitles, overlays and transcriberbin. */
#ifndef __GST_GEMMA4_ASR_H__
#define __GST_GEMMA4_ASR_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_GEMMA4_ASR (gst_gemma4_asr_get_type ())
G_DECLARE_FINAL_TYPE (GstGemma4Asr, gst_gemma4_asr, GST, GEMMA4_ASR,
    GstElement);

GST_ELEMENT_REGISTER_DECLARE (gemma4asr);

G_END_DECLS

#endif /* __GST_GEMMA4_ASR_H__ */
