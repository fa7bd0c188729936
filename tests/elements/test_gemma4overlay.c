/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4overlay with GstHarness (no model needed): boxes blended in every
 * pixel format the element accepts with nothing changed away from their
 * outlines, clipping against guard bytes around every plane, bit-identical
 * passthrough without a copy, labels from the gemma4/detection parameters
 * or the roi_type, the object-class filter, the result-text caption, text in
 * any script (never the '?' of a bitmap font), font-desc, and the
 * GstVideoOverlayComposition meta: attached when downstream takes it (the
 * frame untouched, the drawing kept while the metas stay the same),
 * blended when it does not, added to an upstream composition. */
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#define WIDTH 96                /* a multiple of 8: every plane's rows are tight */
#define HEIGHT 96
#define BACKGROUND 0x20         /* the picture's gray (RGB) or luma (YUV) */
#define GUARD 0xaa              /* every byte around the planes */
#define GUARD_BYTES 16          /* before each plane, after it and each row */
/* A pixel this far (luma pixels) from an outline of thickness LINE must keep
 * its value: LINE plus one chroma sample of the widest subsampling (4). */
#define LINE 2
#define FAR (LINE + 4)

#define OVERLAY_FEATURE GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION
/* downstream that takes the meta or plain frames */
#define META_OR_PLAIN "video/x-raw(memory:SystemMemory, " OVERLAY_FEATURE \
  "); video/x-raw"

typedef struct
{
  gint x, y, w, h;
} Box;

static GstHarness *
overlay_harness_to (const gchar * format, const gchar * sink_caps,
    gboolean takes_meta)
{
  GstElementFactory *factory = gst_element_factory_find ("gemma4overlay");
  gchar *caps = g_strdup_printf ("video/x-raw, format=%s, width=%d, "
      "height=%d, framerate=30/1", format, WIDTH, HEIGHT);
  GstHarness *h;

  fail_unless (factory != NULL, "gemma4overlay not found: is GST_PLUGIN_PATH "
      "set?");
  gst_object_unref (factory);
  h = gst_harness_new ("gemma4overlay");
  if (sink_caps)
    gst_harness_set_sink_caps_str (h, sink_caps);
  if (takes_meta)
    gst_harness_add_propose_allocation_meta (h,
        GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
  return h;
}

/* Downstream takes any raw video and no meta: the element blends. */
static GstHarness *
overlay_harness (const gchar * format)
{
  return overlay_harness_to (format, NULL, FALSE);
}

/* Rows of plane p (its first component's subsampling). */
static gint
plane_rows (const GstVideoFormatInfo * finfo, guint p)
{
  gint comp[GST_VIDEO_MAX_COMPONENTS];

  gst_video_format_info_component (finfo, p, comp);
  return GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (finfo, comp[0], HEIGHT);
}

/* Bytes per component of the format's unpacked rows (AYUV/ARGB: 1, their
 * 64-bit forms: 2). */
static guint
unpacked_bytes (const GstVideoFormatInfo * finfo)
{
  return GST_VIDEO_FORMAT_INFO_BITS (gst_video_format_get_info
      (finfo->unpack_format)) > 8 ? 2 : 1;
}

/* Writes an opaque dark gray (BACKGROUND) into every pixel through the
 * format's pack function, so padding bits of 10- and 12-bit formats are
 * what a real frame has. */
static void
paint_background (GstBuffer * buf)
{
  GstVideoMeta *vm = gst_buffer_get_video_meta (buf);
  GstVideoFrame frame;
  GstVideoInfo info;
  const GstVideoFormatInfo *finfo;
  gboolean yuv;
  guint bytes;
  guint8 *row;

  gst_video_info_set_format (&info, vm->format, WIDTH, HEIGHT);
  finfo = info.finfo;
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE));
  yuv = GST_VIDEO_FORMAT_INFO_IS_YUV (gst_video_format_get_info
      (finfo->unpack_format));
  bytes = unpacked_bytes (finfo);
  row = g_malloc (WIDTH * 4 * bytes);
  for (gint x = 0; x < WIDTH; x++) {
    const guint8 v[4] = { 0xff, BACKGROUND, yuv ? 0x80 : BACKGROUND,
      yuv ? 0x80 : BACKGROUND
    };
    for (guint c = 0; c < 4; c++) {
      if (bytes == 2)
        ((guint16 *) row)[x * 4 + c] = v[c] * 0x101;
      else
        row[x * 4 + c] = v[c];
    }
  }
  for (gint y = 0; y < HEIGHT; y++)
    finfo->pack_func (finfo, GST_VIDEO_PACK_FLAG_NONE, row, 0, frame.data,
        frame.info.stride, GST_VIDEO_CHROMA_SITE_UNKNOWN, y, WIDTH);
  g_free (row);
  gst_video_frame_unmap (&frame);
}

/* A frame whose planes sit in one memory with GUARD bytes before, between
 * and after them and at the end of every row (the GstVideoMeta strides say
 * so), its pixels BACKGROUND gray. *picture gets a mask of the picture
 * bytes. Tiled formats (whose strides count tiles) and palettes have no
 * guards; a palette is the format's default one. */
static GstBuffer *
new_frame (const gchar * format, guint8 ** picture)
{
  GstVideoInfo info;
  const GstVideoFormatInfo *finfo;
  gsize offset[GST_VIDEO_MAX_PLANES];
  gint stride[GST_VIDEO_MAX_PLANES];
  gsize size = GUARD_BYTES;
  GstBuffer *buf;
  GstMapInfo map;
  guint p;

  fail_unless (gst_video_info_set_format (&info,
          gst_video_format_from_string (format), WIDTH, HEIGHT), "%s", format);
  finfo = info.finfo;
  if (GST_VIDEO_FORMAT_INFO_IS_TILED (finfo)
      || GST_VIDEO_FORMAT_INFO_HAS_PALETTE (finfo)) {
    buf = gst_buffer_new_allocate (NULL, info.size, NULL);
    gst_buffer_memset (buf, 0, 0, info.size);
    if (GST_VIDEO_FORMAT_INFO_HAS_PALETTE (finfo)) {
      gsize n;
      gconstpointer palette = gst_video_format_get_palette (finfo->format, &n);
      gst_buffer_fill (buf, GST_VIDEO_INFO_PLANE_OFFSET (&info, 1), palette,
          n);
    }
    *picture = g_malloc (info.size);
    memset (*picture, 1, info.size);
    gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
        finfo->format, WIDTH, HEIGHT, GST_VIDEO_INFO_N_PLANES (&info),
        info.offset, info.stride);
    paint_background (buf);
    return buf;
  }
  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (&info); p++) {
    offset[p] = size;
    stride[p] = GST_VIDEO_INFO_PLANE_STRIDE (&info, p) + GUARD_BYTES;
    size += (gsize) stride[p] * plane_rows (finfo, p) + GUARD_BYTES;
  }
  buf = gst_buffer_new_allocate (NULL, size, NULL);
  *picture = g_malloc0 (size);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  memset (map.data, GUARD, size);
  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (&info); p++) {
    for (gint r = 0; r < plane_rows (finfo, p); r++) {
      gsize row = offset[p] + (gsize) r * stride[p];
      memset (map.data + row, 0, GST_VIDEO_INFO_PLANE_STRIDE (&info, p));
      memset (*picture + row, 1, GST_VIDEO_INFO_PLANE_STRIDE (&info, p));
    }
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (&info), WIDTH, HEIGHT,
      GST_VIDEO_INFO_N_PLANES (&info), offset, stride);
  paint_background (buf);
  return buf;
}

/* A region; label (may be NULL) and confidence (< 0: none) go into the
 * gemma4/detection parameters as gemma4vision writes them. */
static void
add_region (GstBuffer * buf, const gchar * roi_type, const gchar * label,
    gdouble confidence, const Box * b)
{
  GstVideoRegionOfInterestMeta *roi =
      gst_buffer_add_video_region_of_interest_meta (buf, roi_type, b->x, b->y,
      b->w, b->h);
  GstStructure *params;

  if (!label && confidence < 0)
    return;
  params = gst_structure_new_empty ("gemma4/detection");
  if (label)
    gst_structure_set (params, "label", G_TYPE_STRING, label, NULL);
  if (confidence >= 0)
    gst_structure_set (params, "confidence", G_TYPE_DOUBLE, confidence, NULL);
  gst_video_region_of_interest_meta_add_param (roi, params);
}

static void
add_result_text (GstBuffer * buf, const gchar * text)
{
  GstCustomMeta *meta = gst_buffer_add_custom_meta (buf,
      "GstGemma4ResultMeta");

  fail_unless (meta != NULL, "GstGemma4ResultMeta not registered");
  gst_structure_set (gst_custom_meta_get_structure (meta), "text",
      G_TYPE_STRING, text, NULL);
}

/* Luma pixels from (x, y) to the nearest outline pixel of b. */
static gint
outline_distance (const Box * b, gint x, gint y)
{
  gint x1 = b->x + b->w - 1, y1 = b->y + b->h - 1;
  gint dx = x < b->x ? b->x - x : x > x1 ? x - x1 : 0;
  gint dy = y < b->y ? b->y - y : y > y1 ? y - y1 : 0;

  if (dx || dy)
    return MAX (dx, dy);
  return MIN (MIN (x - b->x, x1 - x), MIN (y - b->y, y1 - y));
}

/* Two frames' rows unpacked to AYUV/ARGB (8 or 16 bits a component), which
 * reads every format alike, packed, planar, subsampled or tiled. */
typedef struct
{
  GstVideoFrame a, b;
  guint8 *row_a, *row_b;
  guint bytes;                  /* per unpacked component */
} Pair;

static void
pair_map (Pair * p, GstBuffer * before, GstBuffer * after)
{
  GstVideoMeta *vm = gst_buffer_get_video_meta (before);
  GstVideoInfo info;

  gst_video_info_set_format (&info, vm->format, WIDTH, HEIGHT);
  fail_unless (gst_video_frame_map (&p->a, &info, before, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&p->b, &info, after, GST_MAP_READ));
  p->bytes = unpacked_bytes (info.finfo);
  p->row_a = g_malloc (WIDTH * 4 * p->bytes);
  p->row_b = g_malloc (WIDTH * 4 * p->bytes);
}

static void
pair_unmap (Pair * p)
{
  gst_video_frame_unmap (&p->a);
  gst_video_frame_unmap (&p->b);
  g_free (p->row_a);
  g_free (p->row_b);
}

static void
pair_unpack_row (Pair * p, gint y)
{
  const GstVideoFormatInfo *finfo = p->a.info.finfo;

  finfo->unpack_func (finfo, GST_VIDEO_PACK_FLAG_NONE, p->row_a, p->a.data,
      p->a.info.stride, 0, y, WIDTH);
  finfo->unpack_func (finfo, GST_VIDEO_PACK_FLAG_NONE, p->row_b, p->b.data,
      p->b.info.stride, 0, y, WIDTH);
}

/* TRUE when a color component (not alpha) of pixel x of the unpacked rows
 * differs. */
static gboolean
pair_differs (const Pair * p, gint x)
{
  const guint px = 4 * p->bytes;

  return memcmp (p->row_a + x * px + p->bytes, p->row_b + x * px + p->bytes,
      px - p->bytes) != 0;
}

typedef struct
{
  guint changed;                /* pixels whose color differs */
  guint far_changed;            /* ... of them FAR from every box */
  guint far;                    /* pixels FAR from every box */
} Diff;

/* Compares two frames pixel by pixel. */
static Diff
diff_frames (GstBuffer * before, GstBuffer * after, const Box * boxes,
    guint n_boxes)
{
  Diff d = { 0 };
  Pair p;

  pair_map (&p, before, after);
  for (gint y = 0; y < HEIGHT; y++) {
    pair_unpack_row (&p, y);
    for (gint x = 0; x < WIDTH; x++) {
      gint near = G_MAXINT;
      gboolean changed = pair_differs (&p, x);
      for (guint i = 0; i < n_boxes; i++)
        near = MIN (near, outline_distance (&boxes[i], x, y));
      d.changed += changed;
      if (near >= FAR) {
        d.far++;
        d.far_changed += changed;
      }
    }
  }
  pair_unmap (&p);
  return d;
}

/* Pixels of [x0, x1) x [y0, y1) with a changed color component. */
static guint
changed_in (GstBuffer * before, GstBuffer * after, gint x0, gint y0, gint x1,
    gint y1)
{
  guint n = 0;
  Pair p;

  pair_map (&p, before, after);
  for (gint y = y0; y < y1; y++) {
    pair_unpack_row (&p, y);
    for (gint x = x0; x < x1; x++)
      n += pair_differs (&p, x);
  }
  pair_unmap (&p);
  return n;
}

static gboolean
pixel_changed (GstBuffer * before, GstBuffer * after, gint x, gint y)
{
  return changed_in (before, after, x, y, x + 1, y + 1) > 0;
}

static gboolean
same_pixels (GstBuffer * a, GstBuffer * b)
{
  return changed_in (a, b, 0, 0, WIDTH, HEIGHT) == 0;
}

/* Bytes outside the planes' pictures that are no longer GUARD. */
static guint
guards_overwritten (GstBuffer * buf, const guint8 * picture)
{
  GstMapInfo map;
  guint n = 0;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  for (gsize i = 0; i < map.size; i++)
    n += !picture[i] && map.data[i] != GUARD;
  gst_buffer_unmap (buf, &map);
  return n;
}

/* Pushes frame (keeping a deep copy as the reference) and returns the
 * output; *before gets the reference. */
static GstBuffer *
run (GstHarness * h, GstBuffer * frame, GstBuffer ** before)
{
  *before = gst_buffer_copy_deep (frame);
  return gst_harness_push_and_pull (h, frame);
}

/* Whether the caps the element sent downstream have the overlay feature. */
static gboolean
output_has_feature (GstHarness * h)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  gboolean has;

  fail_unless (caps != NULL);
  has = gst_caps_features_contains (gst_caps_get_features (caps, 0),
      OVERLAY_FEATURE);
  gst_caps_unref (caps);
  return has;
}

static GstVideoOverlayComposition *
composition_of (GstBuffer * buf)
{
  GstVideoOverlayCompositionMeta *meta =
      gst_buffer_get_video_overlay_composition_meta (buf);

  return meta ? meta->overlay : NULL;
}

/* Warning messages the element posted on bus (popped). */
static guint
count_warnings (GstBus * bus)
{
  GstMessage *msg;
  guint n = 0;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    GError *err;
    gst_message_parse_warning (msg, &err, NULL);
    g_print ("warning: %s\n", err->message);
    g_error_free (err);
    gst_message_unref (msg);
    n++;
  }
  return n;
}

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("gemma4overlay", NULL);
  gboolean labels, text;
  guint width, scale;
  gchar *classes, *font;

  fail_unless (e != NULL, "gemma4overlay not found: is GST_PLUGIN_PATH set?");
  g_object_get (e, "draw-labels", &labels, "line-width", &width,
      "text-scale", &scale, "object-class", &classes, "draw-text", &text,
      "font-desc", &font, NULL);
  fail_unless (labels && width == 0 && scale == 0 && classes == NULL && !text
      && font == NULL, "defaults: draw-labels %d line-width %u text-scale %u "
      "object-class %s draw-text %d font-desc %s", labels, width, scale,
      classes, text, font);
  g_object_set (e, "draw-labels", FALSE, "line-width", 5, "text-scale", 2,
      "object-class", " car, person", "draw-text", TRUE, "font-desc",
      "Serif Bold 20", NULL);
  g_object_get (e, "draw-labels", &labels, "line-width", &width,
      "text-scale", &scale, "object-class", &classes, "draw-text", &text,
      "font-desc", &font, NULL);
  fail_unless (!labels && width == 5 && scale == 2 && text);
  fail_unless_equals_string (classes, " car, person");
  fail_unless_equals_string (font, "Serif Bold 20");
  g_free (classes);
  g_free (font);
  gst_object_unref (e);
  g_print ("properties: defaults and read-back of all 6\n");
}

GST_END_TEST;

static const Box box_a = { 10, 8, 30, 20 };
static const Box box_b = { 50, 30, 36, 26 };

/* The formats of the element's sink template in system memory (those it
 * blends into), each once. */
static GPtrArray *
accepted_formats (void)
{
  GstElementFactory *factory = gst_element_factory_find ("gemma4overlay");
  GPtrArray *formats = g_ptr_array_new_with_free_func (g_free);
  GstCaps *sysmem = gst_caps_from_string ("video/x-raw");
  const GList *l;

  fail_unless (factory != NULL);
  for (l = gst_element_factory_get_static_pad_templates (factory); l;
      l = l->next) {
    GstStaticPadTemplate *t = l->data;
    GstCaps *caps, *blendable;

    if (t->direction != GST_PAD_SINK)
      continue;
    caps = gst_static_caps_get (&t->static_caps);
    blendable = gst_caps_intersect (caps, sysmem);
    for (guint s = 0; s < gst_caps_get_size (blendable); s++) {
      const GValue *list = gst_structure_get_value
          (gst_caps_get_structure (blendable, s), "format");
      for (guint i = 0; i < gst_value_list_get_size (list); i++) {
        const gchar *f = g_value_get_string (gst_value_list_get_value (list,
                i));
        if (!g_ptr_array_find_with_equal_func (formats, f, g_str_equal, NULL))
          g_ptr_array_add (formats, g_strdup (f));
      }
    }
    gst_caps_unref (blendable);
    gst_caps_unref (caps);
  }
  gst_caps_unref (sysmem);
  gst_object_unref (factory);
  return formats;
}

GST_START_TEST (test_boxes_every_format)
{
  const Box boxes[] = { box_a, box_b };
  GPtrArray *formats = accepted_formats ();
  guint total_changed = 0, total_far = 0;

  /* every raw format GStreamer has: packed, planar, tiled, 8 to 16 bits */
  fail_unless (formats->len > 50, "only %u formats", formats->len);
  for (guint f = 0; f < formats->len; f++) {
    const gchar *format = g_ptr_array_index (formats, f);
    GstHarness *h = overlay_harness (format);
    guint8 *picture;
    GstBuffer *in = new_frame (format, &picture), *before, *out;
    Diff d;

    g_object_set (h->element, "draw-labels", FALSE, "line-width", LINE, NULL);
    add_region (in, "person", NULL, -1, &box_a);
    add_region (in, "car", "car", 0.5, &box_b);
    out = run (h, in, &before);
    fail_if (output_has_feature (h), "%s: composition caps without the meta",
        format);
    d = diff_frames (before, out, boxes, 2);
    for (guint i = 0; i < 2; i++) {
      const Box *b = &boxes[i];
      /* the middle of each side */
      fail_unless (pixel_changed (before, out, b->x, b->y + b->h / 2),
          "%s: left side of box %u not drawn", format, i);
      fail_unless (pixel_changed (before, out, b->x + b->w / 2, b->y),
          "%s: top side of box %u not drawn", format, i);
      fail_unless (pixel_changed (before, out, b->x + b->w - 1,
              b->y + b->h / 2), "%s: right side of box %u not drawn",
          format, i);
      fail_unless (pixel_changed (before, out, b->x + b->w / 2,
              b->y + b->h - 1), "%s: bottom side of box %u not drawn",
          format, i);
      /* the middle of the box, and far outside it */
      fail_if (pixel_changed (before, out, b->x + b->w / 2, b->y + b->h / 2),
          "%s: inside of box %u changed", format, i);
    }
    fail_unless (d.far_changed == 0, "%s: %u pixels changed >= %d px from "
        "the outlines", format, d.far_changed, FAR);
    fail_unless (guards_overwritten (out, picture) == 0,
        "%s: guard bytes written", format);
    total_changed += d.changed;
    total_far += d.far;
    gst_buffer_unref (before);
    gst_buffer_unref (out);
    g_free (picture);
    gst_harness_teardown (h);
  }
  g_print ("boxes: %u formats, 2 boxes each: %u pixels changed on the "
      "outlines, 0 of %u pixels >= %d px from them, no guard byte\n",
      formats->len, total_changed, total_far, FAR);
  g_ptr_array_unref (formats);
}

GST_END_TEST;

GST_START_TEST (test_clipping)
{
  const gchar *const formats[] = { "RGB", "BGRx", "I420", "NV12", "YUY2",
    "v210"
  };
  /* running past the right and bottom edges, wholly outside, and so large
   * that x + w overflows 32 bits */
  const Box past = { 70, 70, 40, 40 };
  const Box outside = { 200, 300, 10, 10 };

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    GstHarness *h = overlay_harness (formats[f]);
    guint8 *picture;
    GstBuffer *in = new_frame (formats[f], &picture), *before, *out;
    GstVideoRegionOfInterestMeta *huge;
    Diff d;

    g_object_set (h->element, "line-width", LINE, "text-scale", 1, NULL);
    add_region (in, "past", NULL, -1, &past);
    add_region (in, "outside", NULL, 0.9, &outside);
    huge = gst_buffer_add_video_region_of_interest_meta (in, "huge",
        G_MAXUINT - 5, 1, G_MAXUINT, G_MAXUINT);
    fail_unless (huge != NULL);
    out = run (h, in, &before);
    d = diff_frames (before, out, &past, 1);
    fail_unless (pixel_changed (before, out, past.x, past.y + 6));
    fail_if (pixel_changed (before, out, WIDTH - 1, HEIGHT - 1),
        "%s: the box's edges outside the frame were drawn at its border",
        formats[f]);
    fail_unless (d.changed > 0);
    /* the regions wholly outside get no label moved into view: left of the
     * box and well above it (its label sits right above it) nothing moves */
    fail_unless_equals_int (changed_in (before, out, 0, 0, past.x - FAR,
            HEIGHT), 0);
    fail_unless_equals_int (changed_in (before, out, 0, 0, WIDTH,
            HEIGHT / 2), 0);
    fail_unless_equals_int (guards_overwritten (out, picture), 0);
    g_print ("clipping %s: %u pixels changed, no guard byte written\n",
        formats[f], d.changed);
    gst_buffer_unref (before);
    gst_buffer_unref (out);
    g_free (picture);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_passthrough)
{
  GstHarness *h = overlay_harness ("I420");
  guint8 *picture;
  GstBuffer *in = new_frame ("I420", &picture), *before, *out;

  /* the test keeps a reference, so the input is read-only: nothing to draw
   * must not copy it, drawing must copy it and leave the original alone */
  out = run (h, gst_buffer_ref (in), &before);
  fail_unless (out == in, "a frame without regions was copied");
  fail_unless (same_pixels (before, out));
  gst_buffer_unref (out);
  gst_buffer_unref (before);

  add_region (in, "person", NULL, -1, &box_a);
  g_object_set (h->element, "object-class", "car", NULL);
  out = run (h, gst_buffer_ref (in), &before);
  fail_unless (out == in, "a frame whose regions are all filtered was "
      "copied");
  gst_buffer_unref (out);
  gst_buffer_unref (before);

  g_object_set (h->element, "object-class", NULL, NULL);
  out = run (h, gst_buffer_ref (in), &before);
  fail_unless (out != in, "a shared frame was drawn on in place");
  fail_unless (same_pixels (before, in));
  fail_if (same_pixels (before, out));
  gst_buffer_unref (out);
  gst_buffer_unref (before);
  gst_buffer_unref (in);
  g_free (picture);

  /* a region wholly outside the frame is nothing to draw either */
  {
    const Box outside = { WIDTH, 0, 10, 10 };
    in = new_frame ("I420", &picture);
    add_region (in, "person", NULL, 0.5, &outside);
    out = run (h, gst_buffer_ref (in), &before);
    fail_unless (out == in, "a frame whose region is outside it was copied");
  }
  g_print ("passthrough: no regions, all filtered out or all outside the "
      "frame -> the same buffer, bit-identical; a shared buffer with a "
      "region is copied before drawing\n");
  gst_buffer_unref (out);
  gst_buffer_unref (before);
  gst_buffer_unref (in);
  g_free (picture);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The RGB frame one region (and caption, font and text_scale when set)
 * give, blended; *before gets the input, *warnings (when not NULL) the
 * warning messages posted. */
typedef struct
{
  const gchar *roi_type, *label;
  gdouble confidence;           /* < 0: none */
  const gchar *caption, *font;
  guint text_scale;
} OneRegion;

static GstBuffer *
draw_region (const OneRegion * r, GstBuffer ** before, guint * warnings)
{
  GstHarness *h = overlay_harness ("RGB");
  GstBus *bus = gst_bus_new ();
  guint8 *picture;
  GstBuffer *in = new_frame ("RGB", &picture), *out;
  const Box b = { 4, 4, 80, 40 };

  gst_element_set_bus (h->element, bus);
  g_object_set (h->element, "line-width", 1, "text-scale",
      r->text_scale ? r->text_scale : 1, "draw-text", r->caption != NULL,
      "font-desc", r->font, NULL);
  add_region (in, r->roi_type ? r->roi_type : "object", r->label,
      r->confidence, &b);
  if (r->caption)
    add_result_text (in, r->caption);
  out = run (h, in, before);
  fail_unless_equals_int (guards_overwritten (out, picture), 0);
  if (warnings)
    *warnings = count_warnings (bus);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  g_free (picture);
  gst_harness_teardown (h);
  return out;
}

/* draw_region without the input frame. */
static GstBuffer *
draw_output (const OneRegion * r)
{
  GstBuffer *before, *out = draw_region (r, &before, NULL);

  gst_buffer_unref (before);
  return out;
}

/* TRUE when a and b draw the same pixels. */
static gboolean
draw_same (const OneRegion * a, const OneRegion * b)
{
  GstBuffer *out_a = draw_output (a), *out_b = draw_output (b);
  gboolean same = same_pixels (out_a, out_b);

  gst_buffer_unref (out_a);
  gst_buffer_unref (out_b);
  return same;
}

GST_START_TEST (test_label_source)
{
  const OneRegion by_type = {.roi_type = "car",.confidence = -1 };
  const OneRegion by_param = {.label = "car",.confidence = -1 };
  const OneRegion other = {.roi_type = "car",.label = "person",
    .confidence = -1
  };
  const OneRegion plain = {.roi_type = "person",.confidence = -1 };
  const OneRegion confident = {.roi_type = "person",.confidence = 0.87 };
  GstBuffer *before, *out;

  fail_unless (draw_same (&by_type, &by_param),
      "label \"car\" from the parameters drawn unlike roi_type \"car\"");
  fail_unless (draw_same (&other, &plain),
      "the parameters' label did not win over the roi_type");
  fail_if (draw_same (&by_type, &plain), "two labels drew the same pixels");
  fail_if (draw_same (&plain, &confident), "the confidence was not drawn");
  out = draw_region (&plain, &before, NULL);
  fail_if (same_pixels (before, out), "no label drawn");
  g_print ("labels: params label == roi_type label, params win over "
      "roi_type, confidence adds text\n");
  gst_buffer_unref (before);
  gst_buffer_unref (out);
}

GST_END_TEST;

GST_START_TEST (test_object_class)
{
  const struct
  {
    const gchar *filter;
    gboolean a, b;              /* box_a ("person") / box_b ("car") drawn */
  } cases[] = {
    {NULL, TRUE, TRUE},
    {"", TRUE, TRUE},
    {"car", FALSE, TRUE},
    {" person , dog ", TRUE, FALSE},
    {"object", FALSE, TRUE},    /* box_b's roi_type */
    {"dog,,", FALSE, FALSE},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstHarness *h = overlay_harness ("NV12");
    guint8 *picture;
    GstBuffer *in = new_frame ("NV12", &picture), *before, *out;

    g_object_set (h->element, "object-class", cases[i].filter,
        "draw-labels", FALSE, NULL);
    add_region (in, "person", NULL, -1, &box_a);
    add_region (in, "object", "car", -1, &box_b);
    out = run (h, in, &before);
    fail_unless_equals_int (pixel_changed (before, out, box_a.x,
            box_a.y + 10), cases[i].a);
    fail_unless_equals_int (pixel_changed (before, out, box_b.x,
            box_b.y + 10), cases[i].b);
    gst_buffer_unref (before);
    gst_buffer_unref (out);
    g_free (picture);
    gst_harness_teardown (h);
  }
  g_print ("object-class: %u filters, each drew exactly its classes\n",
      (guint) G_N_ELEMENTS (cases));
}

GST_END_TEST;

/* The rows a caption of text changes on a BGRx frame: the first row and the
 * count; draw_text FALSE must pass the frame through. */
static void
caption_rows (const gchar * text, gboolean draw_text, const gchar * font,
    gint * first_row, gint * n_rows)
{
  GstHarness *h = overlay_harness ("BGRx");
  guint8 *picture;
  GstBuffer *in = new_frame ("BGRx", &picture), *before, *out;

  add_result_text (in, text);
  g_object_set (h->element, "draw-text", draw_text, "text-scale", 1,
      "font-desc", font, NULL);
  out = run (h, gst_buffer_ref (in), &before);
  fail_unless_equals_int (out == in, !draw_text);
  *first_row = -1;
  *n_rows = 0;
  for (gint y = 0; y < HEIGHT; y++) {
    gboolean changed = changed_in (before, out, 0, y, WIDTH, y + 1) > 0;
    if (changed && *first_row < 0)
      *first_row = y;
    *n_rows += changed;
  }
  fail_unless_equals_int (guards_overwritten (out, picture), 0);
  gst_buffer_unref (before);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  g_free (picture);
  gst_harness_teardown (h);
}

GST_START_TEST (test_result_text)
{
  gint top, rows, long_top, long_rows;

  caption_rows ("a cat", FALSE, NULL, &top, &rows);
  fail_unless_equals_int (rows, 0);
  caption_rows ("a cat", TRUE, NULL, &top, &rows);
  fail_unless (rows > 0, "no caption drawn");
  fail_unless_equals_int (top + rows, HEIGHT);
  /* wider than the frame: wrapped onto more lines, all in the lower third */
  caption_rows ("a cat sits on a mat in the sun and looks at a dog", TRUE,
      NULL, &long_top, &long_rows);
  fail_unless (long_rows > rows, "long text on %d rows, short on %d",
      long_rows, rows);
  fail_unless_equals_int (long_top + long_rows, HEIGHT);
  fail_unless (long_top >= HEIGHT - HEIGHT / 3, "caption from row %d",
      long_top);
  g_print ("result text: off by default; a short caption on the last %d "
      "rows, a long one wrapped onto the last %d (lower third: %d)\n", rows,
      long_rows, HEIGHT / 3);
}

GST_END_TEST;

/* Pango's warnings and criticals (it logs them structured, past
 * g_log_set_handler and GstCheck's handlers). */
static guint pango_warnings;

static GLogWriterOutput
count_pango_warnings (GLogLevelFlags level, const GLogField * fields,
    gsize n_fields, gpointer data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "GLIB_DOMAIN") && fields[i].length < 0
        && g_str_equal (fields[i].value, "Pango")
        && (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL)))
      pango_warnings++;
  return g_log_writer_default (level, fields, n_fields, data);
}

GST_START_TEST (test_any_script)
{
  /* each text against as many '?', which a bitmap font without the script
   * draws */
  const struct
  {
    const gchar *text, *fallback;
  } texts[] = {
    {"café", "caf?"},
    {"東京", "??"},
    {"مرحبا", "?????"},
    {"Ελλάδα", "??????"},
  };
  GstBuffer *before, *out;
  guint warnings;

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++) {
    const OneRegion text = {.label = texts[i].text,.confidence = -1 };
    const OneRegion fallback = {.label = texts[i].fallback,
      .confidence = -1
    };
    const OneRegion caption = {.label = "a",.confidence = -1,
      .caption = texts[i].text
    };
    const OneRegion caption_fallback = {.label = "a",.confidence = -1,
      .caption = texts[i].fallback
    };

    fail_if (draw_same (&text, &fallback), "label \"%s\" drawn like \"%s\"",
        texts[i].text, texts[i].fallback);
    fail_if (draw_same (&caption, &caption_fallback),
        "caption \"%s\" drawn like \"%s\"", texts[i].text, texts[i].fallback);
    out = draw_region (&caption, &before, &warnings);
    fail_unless (warnings == 0, "\"%s\": %u missing-font warnings (are "
        "scripts/setup.sh's fonts installed?)", texts[i].text, warnings);
    gst_buffer_unref (before);
    gst_buffer_unref (out);
  }

  /* a roi_type that is not UTF-8 (Latin-1 from some detector): drawn, no
   * warning from Pango */
  {
    const OneRegion latin1 = {.roi_type = "caf\xe9",.confidence = -1 };
    out = draw_region (&latin1, &before, &warnings);
    fail_if (same_pixels (before, out));
    fail_unless_equals_int (pango_warnings, 0);
    gst_buffer_unref (before);
    gst_buffer_unref (out);
  }

  /* U+0378 is unassigned: no font has it, the element says so once */
  {
    const OneRegion unassigned = {.label = "\xcd\xb8",.confidence = -1,
      .caption = "\xcd\xb8"
    };
    out = draw_region (&unassigned, &before, &warnings);
    fail_unless_equals_int (warnings, 1);
    gst_buffer_unref (before);
    gst_buffer_unref (out);
  }
  g_print ("any script: Latin, CJK, Arabic and Greek labels and captions "
      "drawn with their glyphs, not like '?'; one warning for a character "
      "no font has\n");
}

GST_END_TEST;

GST_START_TEST (test_font_desc)
{
  const OneRegion sans = {.label = "Ab",.confidence = -1 };
  const OneRegion serif = {.label = "Ab",.confidence = -1,.font = "Serif" };
  const OneRegion desc_20 = {.label = "Ab",.confidence = -1,
    .font = "Sans 20"
  };
  const OneRegion scale_2 = {.label = "Ab",.confidence = -1,.text_scale = 2 };
  gint top, rows, big_top, big_rows;

  caption_rows ("a cat", TRUE, NULL, &top, &rows);
  caption_rows ("a cat", TRUE, "Sans 20", &big_top, &big_rows);
  fail_unless (big_rows > rows + 8, "a 20 px caption on %d rows, 10 px on %d",
      big_rows, rows);
  /* a family alone takes text-scale's size */
  fail_if (draw_same (&sans, &serif), "font-desc \"Serif\" drew Sans");
  /* a size wins over text-scale: "Sans 20" at text-scale 1 is Sans at
   * text-scale 2 */
  fail_unless (draw_same (&desc_20, &scale_2),
      "font-desc \"Sans 20\" differs from text-scale 2");
  fail_if (draw_same (&sans, &desc_20), "the size in font-desc was ignored");
  g_print ("font-desc: a 20 px caption on %d rows (10 px: %d); a family "
      "alone keeps text-scale's size, a size wins over text-scale\n",
      big_rows, rows);
}

GST_END_TEST;

/* The extent of comp's rectangles, which must lie in the frame. */
static void
extent (GstVideoOverlayComposition * comp, gint * x0, gint * y0, gint * x1,
    gint * y1)
{
  *x0 = *y0 = G_MAXINT;
  *x1 = *y1 = G_MININT;
  for (guint i = 0; i < gst_video_overlay_composition_n_rectangles (comp);
      i++) {
    gint x, y;
    guint w, h;
    gst_video_overlay_rectangle_get_render_rectangle
        (gst_video_overlay_composition_get_rectangle (comp, i), &x, &y, &w,
        &h);
    fail_unless (x >= 0 && y >= 0 && x + (gint) w <= WIDTH
        && y + (gint) h <= HEIGHT, "rectangle (%d, %d) %ux%u", x, y, w, h);
    *x0 = MIN (*x0, x);
    *y0 = MIN (*y0, y);
    *x1 = MAX (*x1, x + (gint) w);
    *y1 = MAX (*y1, y + (gint) h);
  }
}

/* The rectangles of the outline of one box b of line width line. */
static guint
outline_rectangles (const Box * b, guint line)
{
  GstHarness *h = overlay_harness_to ("I420", META_OR_PLAIN, TRUE);
  guint8 *picture;
  GstBuffer *in = new_frame ("I420", &picture), *before, *out;
  guint n;

  g_object_set (h->element, "draw-labels", FALSE, "line-width", line, NULL);
  add_region (in, "person", NULL, -1, b);
  out = run (h, in, &before);
  fail_unless (composition_of (out) != NULL);
  n = gst_video_overlay_composition_n_rectangles (composition_of (out));
  gst_buffer_unref (before);
  gst_buffer_unref (out);
  g_free (picture);
  gst_harness_teardown (h);
  return n;
}

/* An I420 frame with box_a (with a confidence) and box_b labelled
 * label_b. */
static GstBuffer *
two_regions (const gchar * label_b, guint8 ** picture)
{
  GstBuffer *in = new_frame ("I420", picture);

  add_region (in, "person", NULL, 0.75, &box_a);
  add_region (in, "object", label_b, -1, &box_b);
  return in;
}

/* Pushes two_regions (label_b) through h and returns the output's
 * composition (NULL: none); its pixels must be the input's. */
static GstVideoOverlayComposition *
attached (GstHarness * h, const gchar * label_b)
{
  guint8 *picture;
  GstBuffer *before, *out = run (h, two_regions (label_b, &picture), &before);
  GstVideoOverlayComposition *comp = composition_of (out);

  fail_unless (same_pixels (before, out), "the frame was drawn on");
  gst_buffer_unref (before);
  gst_buffer_unref (out);
  g_free (picture);
  return comp;
}

GST_START_TEST (test_composition_meta)
{
  GstHarness *h = overlay_harness_to ("I420", META_OR_PLAIN, TRUE);
  GstHarness *blender = overlay_harness_to ("I420", META_OR_PLAIN, FALSE);
  GstVideoOverlayComposition *drawing;
  GstBuffer *in, *before, *out, *blended, *again;
  GstVideoFrame frame;
  GstVideoInfo info;
  guint8 *picture;
  guint n, w, rows;
  gint x, y, x1, y1;

  /* the frame leaves untouched, its memory not copied, the drawing in the
   * meta and the caps feature on the caps */
  in = two_regions ("car", &picture);
  out = run (h, gst_buffer_ref (in), &before);
  fail_unless (output_has_feature (h), "downstream takes the meta, but the "
      "caps have no " OVERLAY_FEATURE);
  drawing = composition_of (out);
  fail_unless (drawing != NULL, "no composition meta");
  n = gst_video_overlay_composition_n_rectangles (drawing);
  extent (drawing, &x, &y, &x1, &y1);
  fail_unless (x == box_a.x && y == box_a.y && x1 == box_b.x + box_b.w
      && y1 == box_b.y + box_b.h, "the rectangles span (%d, %d)-(%d, %d), "
      "not the boxes (labels inside them)", x, y, x1, y1);
  fail_unless (same_pixels (before, out), "the frame was drawn on");
  fail_unless (gst_buffer_peek_memory (out, 0) == gst_buffer_peek_memory (in,
          0), "the frame's memory was copied");
  gst_buffer_unref (in);
  gst_buffer_unref (before);
  g_free (picture);

  /* the meta blended is what blending gives */
  blended = run (blender, two_regions ("car", &picture), &before);
  fail_if (output_has_feature (blender),
      "caps feature kept though downstream does not take the meta");
  fail_unless (composition_of (blended) == NULL);
  fail_if (same_pixels (before, blended));
  again = gst_buffer_copy_deep (out);
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, WIDTH, HEIGHT);
  fail_unless (gst_video_frame_map (&frame, &info, again, GST_MAP_READWRITE));
  gst_video_overlay_composition_blend (drawing, &frame);
  gst_video_frame_unmap (&frame);
  fail_unless (same_pixels (again, blended),
      "the attached drawing differs from the blended one");
  gst_buffer_unref (again);
  gst_buffer_unref (blended);
  gst_buffer_unref (before);
  g_free (picture);

  /* downstream changes and asks to reconfigure: the meta is tried again */
  gst_harness_add_propose_allocation_meta (blender,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  fail_unless (gst_harness_push_upstream_event (blender,
          gst_event_new_reconfigure ()));
  fail_unless (attached (blender, "car") != NULL,
      "not attached after downstream took the meta");
  fail_unless (output_has_feature (blender));

  /* the same metas: the same composition, not drawn again; another label
   * or another property: drawn again */
  fail_unless (attached (h, "car") == drawing, "drawn again for the same "
      "metas");
  fail_if (attached (h, "bus") == drawing, "a new label was not drawn");
  g_object_set (h->element, "line-width", 5, NULL);
  fail_if (attached (h, "car") == drawing, "a new line-width was not drawn");

  /* nothing to draw: the same buffer, no meta */
  in = new_frame ("I420", &picture);
  again = run (h, gst_buffer_ref (in), &before);
  fail_unless (again == in && composition_of (again) == NULL);
  gst_buffer_unref (again);
  gst_buffer_unref (before);

  /* a caption alone: a band across the bottom, not the whole frame (blending
   * repacks every row the rectangle spans) */
  add_result_text (in, "a cat");
  g_object_set (h->element, "draw-text", TRUE, NULL);
  again = run (h, in, &before);
  fail_unless (composition_of (again) != NULL);
  gst_video_overlay_rectangle_get_render_rectangle
      (gst_video_overlay_composition_get_rectangle (composition_of (again),
          0), &x, &y, &w, &rows);
  fail_unless (x == 0 && w == WIDTH && y > HEIGHT / 2
      && y + (gint) rows == HEIGHT, "caption on (%d, %d) %ux%u", x, y, w,
      rows);
  gst_buffer_unref (again);
  gst_buffer_unref (before);
  g_free (picture);

  /* blending repacks whole frame rows for each rectangle row: a small box
   * is one rectangle, a large one four thin sides */
  {
    const Box small = { 10, 10, 8, 8 }, large = { 4, 4, 88, 88 };
    fail_unless_equals_int (outline_rectangles (&small, 1), 1);
    fail_unless_equals_int (outline_rectangles (&large, 1), 4);
  }

  g_print ("composition meta: attached (%u rectangles, in the frame, over "
      "the drawing) when downstream takes it (frame and memory untouched, "
      "kept for the same metas, "
      "redrawn on a change), equal to the blended frame; blended with "
      "plain caps when downstream only accepts the caps feature, attached "
      "once it takes the meta and asks to reconfigure; a caption alone is "
      "a %ux%u band; a small outline one rectangle, a large one four\n", n,
      w, rows);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  gst_harness_teardown (blender);
}

GST_END_TEST;

GST_START_TEST (test_meta_only_downstream)
{
  /* downstream accepts only the feature and does not list the meta: plain
   * caps are impossible, the meta is the only way out */
  GstHarness *h = overlay_harness_to ("NV12",
      "video/x-raw(memory:SystemMemory, " OVERLAY_FEATURE ")", FALSE);
  GstHarness *other;
  guint8 *picture;
  GstBuffer *in = new_frame ("NV12", &picture), *before, *out;
  GstVideoOverlayComposition *upstream_comp;
  GstVideoOverlayRectangle *rect;
  GstBuffer *pixels;
  gint x, y;
  guint w, hh;

  add_region (in, "person", NULL, -1, &box_a);
  out = run (h, in, &before);
  fail_unless (output_has_feature (h));
  fail_unless (composition_of (out) != NULL);
  fail_unless (same_pixels (before, out));
  gst_buffer_unref (out);
  gst_buffer_unref (before);
  g_free (picture);
  gst_harness_teardown (h);

  /* upstream attached a composition (its caps have the feature): ours
   * comes after its rectangles, on any memory, never mapped */
  other = gst_harness_new ("gemma4overlay");
  gst_harness_set_sink_caps_str (other, "video/x-raw(memory:FakeMemory, "
      OVERLAY_FEATURE ")");
  gst_harness_set_src_caps_str (other, "video/x-raw(memory:FakeMemory, "
      OVERLAY_FEATURE "), format=I420, width=96, height=96, "
      "framerate=30/1");
  in = new_frame ("I420", &picture);
  add_region (in, "person", NULL, -1, &box_a);
  pixels = gst_buffer_new_allocate (NULL, 4 * 4 * 4, NULL);
  gst_buffer_add_video_meta (pixels, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, 4, 4);
  rect = gst_video_overlay_rectangle_new_raw (pixels, 1, 2, 4, 4,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  upstream_comp = gst_video_overlay_composition_new (rect);
  gst_buffer_add_video_overlay_composition_meta (in, upstream_comp);
  out = run (other, in, &before);
  fail_unless (composition_of (out) != NULL);
  fail_unless (gst_video_overlay_composition_n_rectangles (composition_of
          (out)) > 1, "ours not added");
  gst_video_overlay_rectangle_get_render_rectangle
      (gst_video_overlay_composition_get_rectangle (composition_of (out), 0),
      &x, &y, &w, &hh);
  fail_unless (x == 1 && y == 2 && w == 4 && hh == 4,
      "upstream's rectangle is not first");
  fail_unless (same_pixels (before, out));
  g_print ("meta only: attached when downstream takes only the caps "
      "feature; added after an upstream composition on non-system "
      "memory\n");
  gst_video_overlay_rectangle_unref (rect);
  gst_video_overlay_composition_unref (upstream_comp);
  gst_buffer_unref (pixels);
  gst_buffer_unref (out);
  gst_buffer_unref (before);
  g_free (picture);
  gst_harness_teardown (other);
}

GST_END_TEST;

static Suite *
gemma4overlay_suite (void)
{
  Suite *s = suite_create ("gemma4overlay");
  TCase *tc = tcase_create ("general");

  g_log_set_writer_func (count_pango_warnings, NULL, NULL);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_boxes_every_format);
  tcase_add_test (tc, test_clipping);
  tcase_add_test (tc, test_passthrough);
  tcase_add_test (tc, test_label_source);
  tcase_add_test (tc, test_object_class);
  tcase_add_test (tc, test_result_text);
  tcase_add_test (tc, test_any_script);
  tcase_add_test (tc, test_font_desc);
  tcase_add_test (tc, test_composition_meta);
  tcase_add_test (tc, test_meta_only_downstream);
  return s;
}

GST_CHECK_MAIN (gemma4overlay);
