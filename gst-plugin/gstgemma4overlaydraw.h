/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What gemma4overlay shows on one frame (a scene: boxes, their labels, a
 * caption) and its drawing with Pango/Cairo into a
 * GstVideoOverlayComposition of ARGB rectangles clipped to the frame: one
 * per label, one for the caption band, one per box outline or per side,
 * whichever gst_video_blend does faster (it repacks the whole frame row for
 * every row of every rectangle). */
#ifndef __GST_GEMMA4_OVERLAY_DRAW_H__
#define __GST_GEMMA4_OVERLAY_DRAW_H__

#include <gst/video/video.h>

G_BEGIN_DECLS

typedef struct
{
  gint64 x, y, w, h;            /* frame pixels; may run past the frame */
  guint32 color;                /* 0xRRGGBB, outline and label background */
  gchar *label;                 /* written above the box; NULL: none */
} GstGemma4OverlayBox;

typedef struct
{
  gint width, height;           /* the frame */
  gint line_width;              /* box outlines, pixels (grow inward) */
  gint font_size;               /* pixels, when font_desc names no size */
  gchar *font_desc;             /* a Pango font description; NULL: Sans */
  GArray *boxes;                /* GstGemma4OverlayBox */
  gchar *caption;               /* written at the bottom; NULL: none */
} GstGemma4OverlayScene;

void gst_gemma4_overlay_scene_init (GstGemma4OverlayScene * scene);
/* Frees what the scene holds; it is left with no boxes and no text. */
void gst_gemma4_overlay_scene_clear (GstGemma4OverlayScene * scene);
/* TRUE when the scene has no box and no caption. */
gboolean gst_gemma4_overlay_scene_is_empty (const GstGemma4OverlayScene *
    scene);
/* TRUE when a and b draw the same pixels. */
gboolean gst_gemma4_overlay_scene_equal (const GstGemma4OverlayScene * a,
    const GstGemma4OverlayScene * b);

/* Pango's font map and context, for one streaming thread. */
typedef struct _GstGemma4OverlayPainter GstGemma4OverlayPainter;

GstGemma4OverlayPainter *gst_gemma4_overlay_painter_new (void);
void gst_gemma4_overlay_painter_free (GstGemma4OverlayPainter * painter);
/* The drawing of scene (premultiplied ARGB rectangles), NULL when none of
 * it is in the frame. *missing_glyphs (when not NULL) gets a copy of the first text
 * with characters no installed font has (drawn as boxes), else NULL. */
GstVideoOverlayComposition *gst_gemma4_overlay_painter_draw
    (GstGemma4OverlayPainter * painter, const GstGemma4OverlayScene * scene,
    gchar ** missing_glyphs);

G_END_DECLS
#endif /* __GST_GEMMA4_OVERLAY_DRAW_H__ */
