/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Video frames as the engine sees them: the raw formats the gemma4 video
 * elements accept, and a mapped GstVideoFrame described as a g4_image_view
 * (no copy: the engine converts rows while it resamples). */
#ifndef __GST_GEMMA4_FRAME_H__
#define __GST_GEMMA4_FRAME_H__

#include <gst/video/video.h>

#include "gemma4.h"

G_BEGIN_DECLS

/* The formats of GST_GEMMA4_VIDEO_CAPS, all read without conversion. */
#define GST_GEMMA4_VIDEO_FORMATS \
  "{ RGB, BGR, RGBA, BGRA, ARGB, ABGR, RGBx, BGRx, xRGB, xBGR, GRAY8, I420, YV12, NV12 }"
#define GST_GEMMA4_VIDEO_CAPS GST_VIDEO_CAPS_MAKE (GST_GEMMA4_VIDEO_FORMATS)

/* TRUE when format is one of GST_GEMMA4_VIDEO_FORMATS. */
gboolean gst_gemma4_frame_format_supported (GstVideoFormat format);

/* Describes a mapped frame. Fails only for a format outside
 * GST_GEMMA4_VIDEO_FORMATS. */
gboolean gst_gemma4_frame_view (const GstVideoFrame * frame, g4_image_view * view);

/* Whether the vision encoder takes a width x height frame with this sizing
 * (one too thin or too small for it gives no token). */
gboolean gst_gemma4_frame_encodable (const g4_mmproj * mm, gint width,
    gint height, g4_image_sizing sizing, gint max_soft_tokens);

/* The one warning of element (named name) skipping such frames; it counts
 * them as "skipped-frames" in its stats. */
void gst_gemma4_frame_warn_unencodable (GstElement * element,
    const gchar * name, gint width, gint height, g4_image_sizing sizing,
    gint max_soft_tokens);

G_END_DECLS
#endif /* __GST_GEMMA4_FRAME_H__ */
