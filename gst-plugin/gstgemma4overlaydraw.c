/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A gemma4overlay scene drawn with Pango/Cairo: text in any script (Pango
 * picks a font for each character through fontconfig, bidi and shaping
 * included), each shape on its own Cairo ARGB32 surface, which is
 * GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB with premultiplied alpha. */
#include <string.h>

#include <pango/pangocairo.h>

#include "gstgemma4overlaydraw.h"

#define DEFAULT_FONT "Sans"
/* Pango sizes in points are frame pixels at 72 dpi */
#define FONT_DPI 72.0
#define CAPTION_BACKGROUND_ALPHA 0.6

struct _GstGemma4OverlayPainter
{
  PangoContext *context;
  PangoLayout *layout;
};

void
gst_gemma4_overlay_scene_init (GstGemma4OverlayScene * scene)
{
  memset (scene, 0, sizeof *scene);
  scene->boxes = g_array_new (FALSE, FALSE, sizeof (GstGemma4OverlayBox));
}

void
gst_gemma4_overlay_scene_clear (GstGemma4OverlayScene * scene)
{
  for (guint i = 0; i < scene->boxes->len; i++)
    g_free (g_array_index (scene->boxes, GstGemma4OverlayBox, i).label);
  g_array_set_size (scene->boxes, 0);
  g_clear_pointer (&scene->font_desc, g_free);
  g_clear_pointer (&scene->caption, g_free);
}

gboolean
gst_gemma4_overlay_scene_is_empty (const GstGemma4OverlayScene * scene)
{
  return scene->boxes->len == 0 && scene->caption == NULL;
}

gboolean
gst_gemma4_overlay_scene_equal (const GstGemma4OverlayScene * a,
    const GstGemma4OverlayScene * b)
{
  if (a->width != b->width || a->height != b->height
      || a->line_width != b->line_width || a->font_size != b->font_size
      || g_strcmp0 (a->font_desc, b->font_desc) != 0
      || g_strcmp0 (a->caption, b->caption) != 0
      || a->boxes->len != b->boxes->len)
    return FALSE;
  for (guint i = 0; i < a->boxes->len; i++) {
    const GstGemma4OverlayBox *p =
        &g_array_index (a->boxes, GstGemma4OverlayBox, i);
    const GstGemma4OverlayBox *q =
        &g_array_index (b->boxes, GstGemma4OverlayBox, i);
    if (p->x != q->x || p->y != q->y || p->w != q->w || p->h != q->h
        || p->color != q->color || g_strcmp0 (p->label, q->label) != 0)
      return FALSE;
  }
  return TRUE;
}

GstGemma4OverlayPainter *
gst_gemma4_overlay_painter_new (void)
{
  GstGemma4OverlayPainter *painter = g_new0 (GstGemma4OverlayPainter, 1);
  PangoFontMap *map = pango_cairo_font_map_new ();
  cairo_font_options_t *options = cairo_font_options_create ();

  painter->context = pango_font_map_create_context (map);
  g_object_unref (map);
  pango_cairo_context_set_resolution (painter->context, FONT_DPI);
  /* video has no subpixel order: gray antialiasing only */
  cairo_font_options_set_antialias (options, CAIRO_ANTIALIAS_GRAY);
  pango_cairo_context_set_font_options (painter->context, options);
  cairo_font_options_destroy (options);
  painter->layout = pango_layout_new (painter->context);
  return painter;
}

void
gst_gemma4_overlay_painter_free (GstGemma4OverlayPainter * painter)
{
  if (painter == NULL)
    return;
  g_object_unref (painter->layout);
  g_object_unref (painter->context);
  g_free (painter);
}

/* One rectangle being drawn: the part of an item's area inside the frame. */
typedef struct
{
  gint x, y, w, h;              /* in the frame */
  GstBuffer *pixels;
  GstMapInfo map;
  cairo_surface_t *surface;
  cairo_t *cr;                  /* in the item's coordinates */
} Canvas;

/* A transparent canvas for the part of the item (x, y, w, h) inside the
 * frame; FALSE when none of it is. */
static gboolean
canvas_begin (Canvas * c, const GstGemma4OverlayScene * scene, gint64 x,
    gint64 y, gint64 w, gint64 h)
{
  const gint64 x0 = MAX (x, 0), y0 = MAX (y, 0);
  const gint64 x1 = MIN (x + w, scene->width);
  const gint64 y1 = MIN (y + h, scene->height);

  if (x1 <= x0 || y1 <= y0)
    return FALSE;
  c->x = (gint) x0;
  c->y = (gint) y0;
  c->w = (gint) (x1 - x0);
  c->h = (gint) (y1 - y0);
  c->pixels = gst_buffer_new_allocate (NULL, (gsize) c->w * c->h * 4, NULL);
  gst_buffer_add_video_meta (c->pixels, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, c->w, c->h);
  gst_buffer_map (c->pixels, &c->map, GST_MAP_READWRITE);
  memset (c->map.data, 0, c->map.size);
  c->surface = cairo_image_surface_create_for_data (c->map.data,
      CAIRO_FORMAT_ARGB32, c->w, c->h, c->w * 4);
  c->cr = cairo_create (c->surface);
  cairo_translate (c->cr, (double) (x - x0), (double) (y - y0));
  return TRUE;
}

/* Adds the finished canvas to *composition (made on the first one). */
static void
canvas_end (Canvas * c, GstVideoOverlayComposition ** composition)
{
  GstVideoOverlayRectangle *rect;

  cairo_destroy (c->cr);
  cairo_surface_destroy (c->surface);
  gst_buffer_unmap (c->pixels, &c->map);
  rect = gst_video_overlay_rectangle_new_raw (c->pixels, c->x, c->y, c->w,
      c->h, GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  gst_buffer_unref (c->pixels);
  if (*composition)
    gst_video_overlay_composition_add_rectangle (*composition, rect);
  else
    *composition = gst_video_overlay_composition_new (rect);
  gst_video_overlay_rectangle_unref (rect);
}

static void
set_source_rgb (cairo_t * cr, guint32 rgb, double alpha)
{
  cairo_set_source_rgba (cr, (rgb >> 16 & 255) / 255.0,
      (rgb >> 8 & 255) / 255.0, (rgb & 255) / 255.0, alpha);
}

static void
fill (const GstGemma4OverlayScene * scene, gint64 x, gint64 y, gint64 w,
    gint64 h, guint32 rgb, GstVideoOverlayComposition ** composition)
{
  Canvas c;

  if (w <= 0 || h <= 0 || !canvas_begin (&c, scene, x, y, w, h))
    return;
  set_source_rgb (c.cr, rgb, 1.0);
  cairo_paint (c.cr);
  canvas_end (&c, composition);
}

/* The outline grows inward from the box's edges; its four sides do not
 * overlap (a box thinner than two lines is filled). */
static void
draw_outline (const GstGemma4OverlayScene * scene,
    const GstGemma4OverlayBox * b, GstVideoOverlayComposition ** composition)
{
  const gint64 k = MAX (scene->line_width, 1);
  const gint64 top = MIN (k, b->h), bottom = MIN (k, b->h - top);
  const gint64 left = MIN (k, b->w), right = MIN (k, b->w - left);
  const gint64 side_y = b->y + top, side_h = b->h - top - bottom;

  fill (scene, b->x, b->y, b->w, top, b->color, composition);
  fill (scene, b->x, b->y + b->h - bottom, b->w, bottom, b->color,
      composition);
  fill (scene, b->x, side_y, left, side_h, b->color, composition);
  fill (scene, b->x + b->w - right, side_y, right, side_h, b->color,
      composition);
}

/* Sets text on the layout and notes it when some of its characters have no
 * font. */
static void
set_text (PangoLayout * layout, const gchar * text, gchar ** missing)
{
  pango_layout_set_text (layout, text, -1);
  if (missing && *missing == NULL
      && pango_layout_get_unknown_glyphs_count (layout) > 0)
    *missing = g_strdup (text);
}

/* The label on a filled box of the box's color above its top left corner
 * (inside the box at the frame's top edge), moved left to stay in the
 * frame, ellipsized when wider than the frame; black or white text,
 * whichever reads better on the color. */
static void
draw_label (PangoLayout * layout, gint pad, const GstGemma4OverlayScene *
    scene, const GstGemma4OverlayBox * b,
    GstVideoOverlayComposition ** composition, gchar ** missing)
{
  const double luma = 0.299 * (b->color >> 16) + 0.587 * (b->color >> 8 & 255)
      + 0.114 * (b->color & 255);
  PangoRectangle ink, logical;
  gint64 w, h, x, y;
  Canvas c;

  pango_layout_set_single_paragraph_mode (layout, TRUE);
  pango_layout_set_width (layout, MAX (scene->width - 2 * pad, 1) *
      PANGO_SCALE);
  pango_layout_set_height (layout, -1);
  pango_layout_set_alignment (layout, PANGO_ALIGN_LEFT);
  set_text (layout, b->label, missing);
  pango_layout_get_pixel_extents (layout, &ink, &logical);
  w = logical.width + 2 * pad;
  h = logical.height + 2 * pad;
  x = CLAMP (b->x, 0, MAX (scene->width - w, 0));
  y = b->y >= h ? b->y - h : b->y;
  if (!canvas_begin (&c, scene, x, y, w, h))
    return;
  set_source_rgb (c.cr, b->color, 1.0);
  cairo_paint (c.cr);
  set_source_rgb (c.cr, luma > 140.0 ? 0x000000 : 0xffffff, 1.0);
  cairo_move_to (c.cr, pad - logical.x, pad - logical.y);
  pango_cairo_show_layout (c.cr, layout);
  canvas_end (&c, composition);
}

/* The caption, centered and wrapped at word boundaries on a shaded band
 * across the bottom of the frame; what does not fit in the lower third is
 * cut at the end with an ellipsis (one line at least). */
static void
draw_caption (PangoLayout * layout, gint pad,
    const GstGemma4OverlayScene * scene,
    GstVideoOverlayComposition ** composition, gchar ** missing)
{
  PangoRectangle ink, logical;
  gint64 h;
  Canvas c;

  pango_layout_set_single_paragraph_mode (layout, FALSE);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_width (layout, MAX (scene->width - 2 * pad, 1) *
      PANGO_SCALE);
  pango_layout_set_height (layout, MAX (scene->height / 3 - 2 * pad, 1) *
      PANGO_SCALE);
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  set_text (layout, scene->caption, missing);
  pango_layout_get_pixel_extents (layout, &ink, &logical);
  h = logical.height + 2 * pad;
  if (!canvas_begin (&c, scene, 0, scene->height - h, scene->width, h))
    return;
  cairo_set_source_rgba (c.cr, 0, 0, 0, CAPTION_BACKGROUND_ALPHA);
  cairo_paint (c.cr);
  cairo_set_source_rgb (c.cr, 1, 1, 1);
  cairo_move_to (c.cr, pad, pad - logical.y);
  pango_cairo_show_layout (c.cr, layout);
  canvas_end (&c, composition);
}

/* Sets the scene's font on the layout; returns its size in pixels. */
static gint
set_font (PangoLayout * layout, const GstGemma4OverlayScene * scene)
{
  PangoFontDescription *desc = pango_font_description_from_string
      (scene->font_desc && scene->font_desc[0] ? scene->font_desc :
      DEFAULT_FONT);
  gint size;

  if (!(pango_font_description_get_set_fields (desc) & PANGO_FONT_MASK_SIZE)
      || pango_font_description_get_size (desc) <= 0)
    pango_font_description_set_absolute_size (desc,
        (double) scene->font_size * PANGO_SCALE);
  size = pango_font_description_get_size (desc) / PANGO_SCALE;
  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);
  return MAX (size, 1);
}

GstVideoOverlayComposition *
gst_gemma4_overlay_painter_draw (GstGemma4OverlayPainter * painter,
    const GstGemma4OverlayScene * scene, gchar ** missing_glyphs)
{
  GstVideoOverlayComposition *composition = NULL;
  PangoLayout *layout = painter->layout;
  gint pad;

  if (missing_glyphs)
    *missing_glyphs = NULL;
  pad = MAX (set_font (layout, scene) / 5, 1);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  /* outlines first: labels stay readable over other boxes */
  for (guint i = 0; i < scene->boxes->len; i++)
    draw_outline (scene, &g_array_index (scene->boxes, GstGemma4OverlayBox,
            i), &composition);
  for (guint i = 0; i < scene->boxes->len; i++) {
    const GstGemma4OverlayBox *b =
        &g_array_index (scene->boxes, GstGemma4OverlayBox, i);
    if (b->label && b->label[0])
      draw_label (layout, pad, scene, b, &composition, missing_glyphs);
  }
  if (scene->caption)
    draw_caption (layout, pad, scene, &composition, missing_glyphs);
  return composition;
}
