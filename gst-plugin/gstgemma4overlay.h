/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4overlay: draws the boxes and labels of GstVideoRegionOfInterestMeta
 * (and optionally the gemma4 result text) onto raw video frames. */
#ifndef __GST_GEMMA4_OVERLAY_H__
#define __GST_GEMMA4_OVERLAY_H__

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_GEMMA4_OVERLAY (gst_gemma4_overlay_get_type ())
G_DECLARE_FINAL_TYPE (GstGemma4Overlay, gst_gemma4_overlay, GST,
    GEMMA4_OVERLAY, GstVideoFilter);

GST_ELEMENT_REGISTER_DECLARE (gemma4overlay);

G_END_DECLS

#endif /* __GST_GEMMA4_OVERLAY_H__ */
