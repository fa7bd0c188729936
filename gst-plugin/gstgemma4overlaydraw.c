/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A gemma4overlay scene drawn with Pango/Cairo: text in any script (Pango
 * picks a font for each character through fontconfig, bidi and shaping
 * included) and filled rectangles, planned first (each text laid out once,
 * where it goes), then painted on one Cairo ARGB32 surface, which is
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
  return painter;
}

void
gst_gemma4_overlay_painter_free (GstGemma4OverlayPainter * painter)
{
  if (painter == NULL)
    return;
  g_object_unref (painter->context);
  g_free (painter);
}

/* One filled rectangle of the drawing, maybe with text on it; frame
 * pixels, clipped to the frame. */
typedef struct
{
  gint64 x, y, w, h;
  guint32 fill;                 /* 0xRRGGBB */
  double alpha;
  PangoLayout *text;            /* NULL: none */
  guint32 ink;                  /* the text's color */
  gint64 text_x, text_y;        /* the layout's top left corner */
} Shape;

/* The shapes of a scene, in drawing order, and the area they cover. */
typedef struct
{
  const GstGemma4OverlayScene *scene;
  GArray *shapes;
  gint64 x0, y0, x1, y1;
} Plan;

/* Adds the shape's part inside the frame (none: the shape is dropped). */
static void
plan_add (Plan * plan, Shape shape)
{
  const gint64 x0 = MAX (shape.x, 0), y0 = MAX (shape.y, 0);
  const gint64 x1 = MIN (shape.x + shape.w, plan->scene->width);
  const gint64 y1 = MIN (shape.y + shape.h, plan->scene->height);

  if (x1 <= x0 || y1 <= y0) {
    g_clear_object (&shape.text);
    return;
  }
  shape.x = x0;
  shape.y = y0;
  shape.w = x1 - x0;
  shape.h = y1 - y0;
  g_array_append_val (plan->shapes, shape);
  plan->x0 = MIN (plan->x0, x0);
  plan->y0 = MIN (plan->y0, y0);
  plan->x1 = MAX (plan->x1, x1);
  plan->y1 = MAX (plan->y1, y1);
}

static void
plan_fill (Plan * plan, gint64 x, gint64 y, gint64 w, gint64 h, guint32 rgb)
{
  const Shape shape = {.x = x,.y = y,.w = w,.h = h,.fill = rgb,.alpha = 1.0 };

  if (w > 0 && h > 0)
    plan_add (plan, shape);
}

/* The outline grows inward from the box's edges; its four sides do not
 * overlap (a box thinner than two lines is filled). */
static void
plan_outline (Plan * plan, const GstGemma4OverlayBox * b)
{
  const gint64 k = MAX (plan->scene->line_width, 1);
  const gint64 top = MIN (k, b->h), bottom = MIN (k, b->h - top);
  const gint64 left = MIN (k, b->w), right = MIN (k, b->w - left);
  const gint64 side_y = b->y + top, side_h = b->h - top - bottom;

  plan_fill (plan, b->x, b->y, b->w, top, b->color);
  plan_fill (plan, b->x, b->y + b->h - bottom, b->w, bottom, b->color);
  plan_fill (plan, b->x, side_y, left, side_h, b->color);
  plan_fill (plan, b->x + b->w - right, side_y, right, side_h, b->color);
}

/* A layout of text in the scene's font, wrapped or cut to width pixels;
 * *missing gets a copy of the text when some of its characters have no
 * font. */
static PangoLayout *
new_layout (PangoContext * context, const PangoFontDescription * font,
    const gchar * text, gint width, gchar ** missing)
{
  PangoLayout *layout = pango_layout_new (context);

  pango_layout_set_font_description (layout, font);
  pango_layout_set_width (layout, MAX (width, 1) * PANGO_SCALE);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_text (layout, text, -1);
  if (missing && *missing == NULL
      && pango_layout_get_unknown_glyphs_count (layout) > 0)
    *missing = g_strdup (text);
  return layout;
}

/* The label on a filled box of the box's color above its top left corner
 * (inside the box at the frame's top edge), moved left to stay in the
 * frame, cut with an ellipsis when wider than the frame; black or white
 * text, whichever reads better on the color. */
static void
plan_label (Plan * plan, PangoContext * context,
    const PangoFontDescription * font, gint pad,
    const GstGemma4OverlayBox * b, gchar ** missing)
{
  const double luma = 0.299 * (b->color >> 16) + 0.587 * (b->color >> 8 & 255)
      + 0.114 * (b->color & 255);
  const gint width = plan->scene->width;
  PangoLayout *layout = new_layout (context, font, b->label, width - 2 * pad,
      missing);
  PangoRectangle ink, logical;
  Shape shape = {.fill = b->color,.alpha = 1.0,.text = layout,
    .ink = luma > 140.0 ? 0x000000 : 0xffffff
  };

  pango_layout_set_single_paragraph_mode (layout, TRUE);
  pango_layout_set_height (layout, -1);
  pango_layout_get_pixel_extents (layout, &ink, &logical);
  shape.w = logical.width + 2 * pad;
  shape.h = logical.height + 2 * pad;
  shape.x = CLAMP (b->x, 0, MAX (width - shape.w, 0));
  shape.y = b->y >= shape.h ? b->y - shape.h : b->y;
  shape.text_x = shape.x + pad - logical.x;
  shape.text_y = shape.y + pad - logical.y;
  plan_add (plan, shape);
}

/* The caption, centered and wrapped at word boundaries on a shaded band
 * across the bottom of the frame; what does not fit in the lower third is
 * cut at the end with an ellipsis (one line at least). */
static void
plan_caption (Plan * plan, PangoContext * context,
    const PangoFontDescription * font, gint pad, gchar ** missing)
{
  const GstGemma4OverlayScene *scene = plan->scene;
  PangoLayout *layout = new_layout (context, font, scene->caption,
      scene->width - 2 * pad, missing);
  PangoRectangle ink, logical;
  Shape shape = {.x = 0,.w = scene->width,.fill = 0x000000,
    .alpha = CAPTION_BACKGROUND_ALPHA,.text = layout,.ink = 0xffffff
  };

  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_height (layout, MAX (scene->height / 3 - 2 * pad, 1) *
      PANGO_SCALE);
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  pango_layout_get_pixel_extents (layout, &ink, &logical);
  shape.h = logical.height + 2 * pad;
  shape.y = scene->height - shape.h;
  shape.text_x = pad;
  shape.text_y = shape.y + pad - logical.y;
  plan_add (plan, shape);
}

/* The scene's font; *size gets its size in pixels. */
static PangoFontDescription *
scene_font (const GstGemma4OverlayScene * scene, gint * size)
{
  PangoFontDescription *font = pango_font_description_from_string
      (scene->font_desc && scene->font_desc[0] ? scene->font_desc :
      DEFAULT_FONT);

  if (!(pango_font_description_get_set_fields (font) & PANGO_FONT_MASK_SIZE)
      || pango_font_description_get_size (font) <= 0)
    pango_font_description_set_absolute_size (font,
        (double) scene->font_size * PANGO_SCALE);
  *size = MAX (pango_font_description_get_size (font) / PANGO_SCALE, 1);
  return font;
}

static void
set_source_rgb (cairo_t * cr, guint32 rgb, double alpha)
{
  cairo_set_source_rgba (cr, (rgb >> 16 & 255) / 255.0,
      (rgb >> 8 & 255) / 255.0, (rgb & 255) / 255.0, alpha);
}

/* The plan's shapes on one premultiplied ARGB rectangle covering them:
 * blending unpacks and packs whole frame rows for every row of every
 * rectangle, so one rectangle over the drawn rows costs least. */
static GstVideoOverlayComposition *
paint (const Plan * plan)
{
  const gint w = (gint) (plan->x1 - plan->x0), h = (gint) (plan->y1 - plan->y0);
  GstBuffer *pixels = gst_buffer_new_allocate (NULL, (gsize) w * h * 4, NULL);
  GstVideoOverlayComposition *composition;
  GstVideoOverlayRectangle *rect;
  cairo_surface_t *surface;
  GstMapInfo map;
  cairo_t *cr;

  gst_buffer_add_video_meta (pixels, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, w, h);
  gst_buffer_map (pixels, &map, GST_MAP_READWRITE);
  memset (map.data, 0, map.size);
  surface = cairo_image_surface_create_for_data (map.data,
      CAIRO_FORMAT_ARGB32, w, h, w * 4);
  cr = cairo_create (surface);
  cairo_translate (cr, (double) -plan->x0, (double) -plan->y0);
  for (guint i = 0; i < plan->shapes->len; i++) {
    const Shape *s = &g_array_index (plan->shapes, Shape, i);
    set_source_rgb (cr, s->fill, s->alpha);
    cairo_rectangle (cr, (double) s->x, (double) s->y, (double) s->w,
        (double) s->h);
    cairo_fill (cr);
    if (s->text == NULL)
      continue;
    cairo_save (cr);
    cairo_rectangle (cr, (double) s->x, (double) s->y, (double) s->w,
        (double) s->h);
    cairo_clip (cr);
    set_source_rgb (cr, s->ink, 1.0);
    cairo_move_to (cr, (double) s->text_x, (double) s->text_y);
    pango_cairo_show_layout (cr, s->text);
    cairo_restore (cr);
  }
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  gst_buffer_unmap (pixels, &map);
  rect = gst_video_overlay_rectangle_new_raw (pixels, (gint) plan->x0,
      (gint) plan->y0, w, h, GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  gst_buffer_unref (pixels);
  composition = gst_video_overlay_composition_new (rect);
  gst_video_overlay_rectangle_unref (rect);
  return composition;
}

static void
shape_clear (gpointer data)
{
  g_clear_object (&((Shape *) data)->text);
}

GstVideoOverlayComposition *
gst_gemma4_overlay_painter_draw (GstGemma4OverlayPainter * painter,
    const GstGemma4OverlayScene * scene, gchar ** missing_glyphs)
{
  GstVideoOverlayComposition *composition = NULL;
  Plan plan = { scene, g_array_new (FALSE, FALSE, sizeof (Shape)),
    G_MAXINT64, G_MAXINT64, G_MININT64, G_MININT64
  };
  PangoFontDescription *font;
  gint size, pad;

  if (missing_glyphs)
    *missing_glyphs = NULL;
  g_array_set_clear_func (plan.shapes, shape_clear);
  font = scene_font (scene, &size);
  pad = MAX (size / 5, 1);
  /* outlines first: labels stay readable over other boxes */
  for (guint i = 0; i < scene->boxes->len; i++)
    plan_outline (&plan, &g_array_index (scene->boxes, GstGemma4OverlayBox,
            i));
  for (guint i = 0; i < scene->boxes->len; i++) {
    const GstGemma4OverlayBox *b =
        &g_array_index (scene->boxes, GstGemma4OverlayBox, i);
    if (b->label && b->label[0])
      plan_label (&plan, painter->context, font, pad, b, missing_glyphs);
  }
  if (scene->caption)
    plan_caption (&plan, painter->context, font, pad, missing_glyphs);
  if (plan.shapes->len > 0)
    composition = paint (&plan);
  g_array_unref (plan.shapes);
  pango_font_description_free (font);
  return composition;
}
