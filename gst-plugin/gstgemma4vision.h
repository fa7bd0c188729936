/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4vision: prompted image understanding of video frames with a Gemma 4
 * model (describe, detect with boxes, OCR, classify, custom prompts), the
 * video passed through untouched with the results as metadata, text and
 * JSON (see gstgemma4vision.c). */
#ifndef __GST_GEMMA4_VISION_H__
#define __GST_GEMMA4_VISION_H__

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_GEMMA4_VISION (gst_gemma4_vision_get_type ())
G_DECLARE_FINAL_TYPE (GstGemma4Vision, gst_gemma4_vision, GST, GEMMA4_VISION,
    GstBaseTransform);

GST_ELEMENT_REGISTER_DECLARE (gemma4vision);

G_END_DECLS

#endif /* __GST_GEMMA4_VISION_H__ */
