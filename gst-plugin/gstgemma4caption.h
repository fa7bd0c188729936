/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4caption: captions video over time windows with a Gemma 4 model
 * (see gstgemma4caption.c). */
#ifndef __GST_GEMMA4_CAPTION_H__
#define __GST_GEMMA4_CAPTION_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_GEMMA4_CAPTION (gst_gemma4_caption_get_type ())
G_DECLARE_FINAL_TYPE (GstGemma4Caption, gst_gemma4_caption, GST, GEMMA4_CAPTION,
    GstElement);

GST_ELEMENT_REGISTER_DECLARE (gemma4caption);

G_END_DECLS

#endif /* __GST_GEMMA4_CAPTION_H__ */
