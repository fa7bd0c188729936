/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A gemma4overlay scene drawn with Pango/Cairo: text in any script (Pango
 * picks a font for each character through fontconfig, bidi and shaping
 * included) and filled rectangles, planned first (each text laid out once,
 * where it goes, and grouped into the composition's rectangles), then
 * painted on Cairo ARGB32 surfaces, which are
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

/* One rectangle of the composition and the shapes painted on it. */
typedef struct
{
  gint64 x0, y0, x1, y1;        /* the shapes' extent */
  Shape shapes[4];
  guint n_shapes;
} Piece;

/* The pieces of a scene, in drawing order. */
typedef struct
{
  const GstGemma4OverlayScene *scene;
  GArray *pieces;
} Plan;

static void
piece_init (Piece * piece)
{
  memset (piece, 0, sizeof *piece);
  piece->x0 = piece->y0 = G_MAXINT64;
  piece->x1 = piece->y1 = G_MININT64;
}

/* Adds the shape's part inside the frame to piece (none: it is dropped). */
static void
piece_add (Piece * piece, const GstGemma4OverlayScene * scene, Shape shape)
{
  const gint64 x0 = MAX (shape.x, 0), y0 = MAX (shape.y, 0);
  const gint64 x1 = MIN (shape.x + shape.w, scene->width);
  const gint64 y1 = MIN (shape.y + shape.h, scene->height);

  g_assert (piece->n_shapes < G_N_ELEMENTS (piece->shapes));
  if (x1 <= x0 || y1 <= y0) {
    g_clear_object (&shape.text);
    return;
  }
  shape.x = x0;
  shape.y = y0;
  shape.w = x1 - x0;
  shape.h = y1 - y0;
  piece->shapes[piece->n_shapes++] = shape;
  piece->x0 = MIN (piece->x0, x0);
  piece->y0 = MIN (piece->y0, y0);
  piece->x1 = MAX (piece->x1, x1);
  piece->y1 = MAX (piece->y1, y1);
}

static void
piece_clear (gpointer data)
{
  Piece *piece = data;

  for (guint i = 0; i < piece->n_shapes; i++)
    g_clear_object (&piece->shapes[i].text);
}

/* What blending the piece into a frame costs, in blended pixels:
 * gst_video_blend unpacks and packs the whole frame row for each row of a
 * rectangle, measured at about a sixth of blending that row's pixels. */
static gint64
blend_cost (const Piece * piece, gint frame_width)
{
  if (piece->n_shapes == 0)
    return 0;
  return (piece->y1 - piece->y0) * (frame_width / 6 + piece->x1 - piece->x0);
}

/* Adds the piece when some of it is in the frame. */
static void
plan_add (Plan * plan, Piece * piece)
{
  if (piece->n_shapes > 0)
    g_array_append_val (plan->pieces, *piece);
}

/* The outline grows inward from the box's edges; its four sides do not
 * overlap (a box thinner than two lines is filled). It is one rectangle
 * over the box or one per side, whichever blends faster: a tall box pays
 * its rows once for the pair of sides, a wide one its inside. */
static void
plan_outline (Plan * plan, const GstGemma4OverlayBox * b)
{
  const gint64 k = MAX (plan->scene->line_width, 1);
  const gint64 top = MIN (k, b->h), bottom = MIN (k, b->h - top);
  const gint64 left = MIN (k, b->w), right = MIN (k, b->w - left);
  const gint64 side_y = b->y + top, side_h = b->h - top - bottom;
  const Shape sides[4] = {
    {.x = b->x,.y = b->y,.w = b->w,.h = top},
    {.x = b->x,.y = b->y + b->h - bottom,.w = b->w,.h = bottom},
    {.x = b->x,.y = side_y,.w = left,.h = side_h},
    {.x = b->x + b->w - right,.y = side_y,.w = right,.h = side_h},
  };
  Piece whole, apart[4];
  gint64 apart_cost = 0;

  piece_init (&whole);
  for (guint i = 0; i < 4; i++) {
    Shape side = sides[i];
    side.fill = b->color;
    side.alpha = 1.0;
    piece_init (&apart[i]);
    if (side.w <= 0 || side.h <= 0)
      continue;
    piece_add (&whole, plan->scene, side);
    piece_add (&apart[i], plan->scene, side);
    apart_cost += blend_cost (&apart[i], plan->scene->width);
  }
  if (blend_cost (&whole, plan->scene->width) <= apart_cost) {
    plan_add (plan, &whole);
    return;
  }
  for (guint i = 0; i < 4; i++)
    plan_add (plan, &apart[i]);
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

/* A piece of its own for a shape with text. */
static void
plan_text (Plan * plan, Shape shape)
{
  Piece piece;

  piece_init (&piece);
  piece_add (&piece, plan->scene, shape);
  plan_add (plan, &piece);
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
  plan_text (plan, shape);
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
  plan_text (plan, shape);
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

/* The piece's shapes on a premultiplied ARGB rectangle, added to
 * *composition (made for the first one). */
static void
paint (const Piece * piece, GstVideoOverlayComposition ** composition)
{
  const gint w = (gint) (piece->x1 - piece->x0);
  const gint h = (gint) (piece->y1 - piece->y0);
  GstBuffer *pixels = gst_buffer_new_allocate (NULL, (gsize) w * h * 4, NULL);
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
  cairo_translate (cr, (double) -piece->x0, (double) -piece->y0);
  for (guint i = 0; i < piece->n_shapes; i++) {
    const Shape *s = &piece->shapes[i];
    set_source_rgb (cr, s->fill, s->alpha);
    cairo_rectangle (cr, (double) s->x, (double) s->y, (double) s->w,
        (double) s->h);
    cairo_fill (cr);
    if (s->text == NULL)
      continue;
    set_source_rgb (cr, s->ink, 1.0);
    cairo_move_to (cr, (double) s->text_x, (double) s->text_y);
    pango_cairo_show_layout (cr, s->text);
  }
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  gst_buffer_unmap (pixels, &map);
  rect = gst_video_overlay_rectangle_new_raw (pixels, (gint) piece->x0,
      (gint) piece->y0, w, h, GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  gst_buffer_unref (pixels);
  if (*composition)
    gst_video_overlay_composition_add_rectangle (*composition, rect);
  else
    *composition = gst_video_overlay_composition_new (rect);
  gst_video_overlay_rectangle_unref (rect);
}

GstVideoOverlayComposition *
gst_gemma4_overlay_painter_draw (GstGemma4OverlayPainter * painter,
    const GstGemma4OverlayScene * scene, gchar ** missing_glyphs)
{
  GstVideoOverlayComposition *composition = NULL;
  Plan plan = { scene, g_array_new (FALSE, FALSE, sizeof (Piece)) };
  PangoFontDescription *font;
  gint size, pad;

  if (missing_glyphs)
    *missing_glyphs = NULL;
  g_array_set_clear_func (plan.pieces, piece_clear);
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
  for (guint i = 0; i < plan.pieces->len; i++)
    paint (&g_array_index (plan.pieces, Piece, i), &composition);
  g_array_unref (plan.pieces);
  pango_font_description_free (font);
  return composition;
}
