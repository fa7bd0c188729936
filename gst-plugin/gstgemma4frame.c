/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GstVideoFrame -> g4_image_view: the pixel layout, and for YUV the matrix
 * and range from the caps' colorimetry (BT.601 when unknown). */
#include "gstgemma4frame.h"

static gboolean
pixel_format (GstVideoFormat f, g4_pixel_format * out)
{
  switch (f) {
    case GST_VIDEO_FORMAT_RGB: *out = G4_PIXEL_RGB; return TRUE;
    case GST_VIDEO_FORMAT_BGR: *out = G4_PIXEL_BGR; return TRUE;
    case GST_VIDEO_FORMAT_RGBA: *out = G4_PIXEL_RGBA; return TRUE;
    case GST_VIDEO_FORMAT_BGRA: *out = G4_PIXEL_BGRA; return TRUE;
    case GST_VIDEO_FORMAT_ARGB: *out = G4_PIXEL_ARGB; return TRUE;
    case GST_VIDEO_FORMAT_ABGR: *out = G4_PIXEL_ABGR; return TRUE;
    case GST_VIDEO_FORMAT_RGBx: *out = G4_PIXEL_RGBX; return TRUE;
    case GST_VIDEO_FORMAT_BGRx: *out = G4_PIXEL_BGRX; return TRUE;
    case GST_VIDEO_FORMAT_xRGB: *out = G4_PIXEL_XRGB; return TRUE;
    case GST_VIDEO_FORMAT_xBGR: *out = G4_PIXEL_XBGR; return TRUE;
    case GST_VIDEO_FORMAT_GRAY8: *out = G4_PIXEL_GRAY8; return TRUE;
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_YV12: *out = G4_PIXEL_I420; return TRUE;
    case GST_VIDEO_FORMAT_NV12: *out = G4_PIXEL_NV12; return TRUE;
    default: return FALSE;
  }
}

gboolean
gst_gemma4_frame_format_supported (GstVideoFormat format)
{
  g4_pixel_format p;
  return pixel_format (format, &p);
}

gboolean
gst_gemma4_frame_view (const GstVideoFrame * frame, g4_image_view * view)
{
  const GstVideoInfo *info = &frame->info;
  GstVideoFormat f = GST_VIDEO_INFO_FORMAT (info);
  guint p;

  memset (view, 0, sizeof *view);
  if (!pixel_format (f, &view->format))
    return FALSE;
  view->width = GST_VIDEO_INFO_WIDTH (info);
  view->height = GST_VIDEO_INFO_HEIGHT (info);
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (frame) && p < 3; p++) {
    view->planes[p] = GST_VIDEO_FRAME_PLANE_DATA (frame, p);
    view->strides[p] = GST_VIDEO_FRAME_PLANE_STRIDE (frame, p);
  }
  /* YV12 is I420 with the chroma planes swapped */
  if (f == GST_VIDEO_FORMAT_YV12) {
    view->planes[1] = GST_VIDEO_FRAME_COMP_DATA (frame, 1);
    view->strides[1] = GST_VIDEO_FRAME_COMP_STRIDE (frame, 1);
    view->planes[2] = GST_VIDEO_FRAME_COMP_DATA (frame, 2);
    view->strides[2] = GST_VIDEO_FRAME_COMP_STRIDE (frame, 2);
  }
  if (GST_VIDEO_INFO_IS_YUV (info)) {
    view->yuv_bt709 =
        info->colorimetry.matrix == GST_VIDEO_COLOR_MATRIX_BT709;
    view->yuv_full_range =
        info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
  }
  return TRUE;
}

gboolean
gst_gemma4_frame_encodable (const g4_mmproj * mm, gint width, gint height,
    g4_image_sizing sizing, gint max_soft_tokens)
{
  return g4_image_n_tokens (mm, width, height, sizing, max_soft_tokens) > 0;
}

void
gst_gemma4_frame_warn_unencodable (GstElement * element, const gchar * name,
    gint width, gint height, g4_image_sizing sizing, gint max_soft_tokens)
{
  gchar *reason = g_strdup_printf ("%s/unencodable-frame", name);

  GST_ELEMENT_WARNING_WITH_DETAILS (element, STREAM, FORMAT,
      ("The vision encoder cannot take a %dx%d frame with image-size=%s "
          "and max-soft-tokens=%d (too thin or too small): such frames "
          "are skipped (\"skipped-frames\" in stats); scale or crop "
          "them", width, height, sizing == G4_IMAGE_NATIVE ? "native" :
          "budget", max_soft_tokens), (NULL),
      ("reason", G_TYPE_STRING, reason,
          "width", G_TYPE_INT, width, "height", G_TYPE_INT, height, NULL));
  g_free (reason);
}
