/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4overlay with GstHarness (no model needed): boxes drawn in every
 * accepted pixel format with nothing changed away from their outlines,
 * clipping against guard bytes around every plane, bit-identical passthrough
 * without a copy, labels from the gemma4/detection parameters or the
 * roi_type, the object-class filter and the result-text caption. */
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#define WIDTH 96                /* a multiple of 8: every plane's rows are tight */
#define HEIGHT 96
#define BACKGROUND 0x20         /* every byte of the picture */
#define GUARD 0xaa              /* every byte around the planes */
#define GUARD_BYTES 16          /* before each plane, after it and each row */
/* A pixel this far (luma pixels) from an outline of thickness LINE must keep
 * its value: LINE plus one chroma sample of 4:2:0 rounding. */
#define LINE 2
#define FAR (LINE + 2)

static const gchar *const all_formats[] = {
  "RGB", "BGR", "RGBA", "BGRA", "ARGB", "ABGR", "RGBx", "BGRx", "xRGB",
  "xBGR", "GRAY8", "I420", "YV12", "NV12",
};

typedef struct
{
  gint x, y, w, h;
} Box;

static GstHarness *
overlay_harness (const gchar * format)
{
  GstElementFactory *factory = gst_element_factory_find ("gemma4overlay");
  gchar *caps = g_strdup_printf ("video/x-raw, format=%s, width=%d, "
      "height=%d, framerate=30/1", format, WIDTH, HEIGHT);
  GstHarness *h;

  fail_unless (factory != NULL, "gemma4overlay not found: is GST_PLUGIN_PATH "
      "set?");
  gst_object_unref (factory);
  h = gst_harness_new ("gemma4overlay");
  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
  return h;
}

/* A frame whose planes sit in one memory with GUARD bytes before, between
 * and after them and at the end of every row (the GstVideoMeta strides say
 * so); picture bytes are BACKGROUND. *picture gets a mask of the picture
 * bytes. */
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
          gst_video_format_from_string (format), WIDTH, HEIGHT));
  finfo = info.finfo;
  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (&info); p++) {
    offset[p] = size;
    stride[p] = GST_VIDEO_INFO_PLANE_STRIDE (&info, p) + GUARD_BYTES;
    size += (gsize) stride[p] * GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (finfo,
        p ? 1 : 0, HEIGHT) + GUARD_BYTES;
  }
  buf = gst_buffer_new_allocate (NULL, size, NULL);
  *picture = g_malloc0 (size);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  memset (map.data, GUARD, size);
  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (&info); p++) {
    gint rows = GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (finfo, p ? 1 : 0, HEIGHT);
    for (gint r = 0; r < rows; r++) {
      gsize row = offset[p] + (gsize) r * stride[p];
      memset (map.data + row, BACKGROUND,
          GST_VIDEO_INFO_PLANE_STRIDE (&info, p));
      memset (*picture + row, 1, GST_VIDEO_INFO_PLANE_STRIDE (&info, p));
    }
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (&info), WIDTH, HEIGHT,
      GST_VIDEO_INFO_N_PLANES (&info), offset, stride);
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

typedef struct
{
  guint changed;                /* component samples that differ */
  guint far_changed;            /* ... of them FAR from every box */
  guint far;                    /* samples FAR from every box */
} Diff;

static const guint8 *
sample (const GstVideoFrame * f, guint c, gint cx, gint cy)
{
  return (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, c)
      + cy * GST_VIDEO_FRAME_COMP_STRIDE (f, c)
      + cx * GST_VIDEO_FRAME_COMP_PSTRIDE (f, c);
}

/* Compares two frames sample by sample, every component. */
static Diff
diff_frames (GstBuffer * before, GstBuffer * after, const Box * boxes,
    guint n_boxes)
{
  GstVideoFrame a, b;
  GstVideoMeta *vm = gst_buffer_get_video_meta (before);
  GstVideoInfo info;
  Diff d = { 0 };

  gst_video_info_set_format (&info, vm->format, WIDTH, HEIGHT);
  fail_unless (gst_video_frame_map (&a, &info, before, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&b, &info, after, GST_MAP_READ));
  for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (&a); c++) {
    gint cw = GST_VIDEO_FRAME_COMP_WIDTH (&a, c);
    gint ch = GST_VIDEO_FRAME_COMP_HEIGHT (&a, c);
    for (gint cy = 0; cy < ch; cy++)
      for (gint cx = 0; cx < cw; cx++) {
        gint x = cx * WIDTH / cw, y = cy * HEIGHT / ch, near = G_MAXINT;
        gboolean changed = *sample (&a, c, cx, cy) != *sample (&b, c, cx, cy);
        for (guint i = 0; i < n_boxes; i++)
          near = MIN (near, outline_distance (&boxes[i], x, y));
        d.changed += changed;
        if (near >= FAR) {
          d.far++;
          d.far_changed += changed;
        }
      }
  }
  gst_video_frame_unmap (&a);
  gst_video_frame_unmap (&b);
  return d;
}

/* TRUE when any color component of pixel (x, y) differs. */
static gboolean
pixel_changed (GstBuffer * before, GstBuffer * after, gint x, gint y)
{
  GstVideoFrame a, b;
  GstVideoMeta *vm = gst_buffer_get_video_meta (before);
  GstVideoInfo info;
  gboolean changed = FALSE;

  gst_video_info_set_format (&info, vm->format, WIDTH, HEIGHT);
  fail_unless (gst_video_frame_map (&a, &info, before, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&b, &info, after, GST_MAP_READ));
  for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (&a); c++) {
    gint cx = x * GST_VIDEO_FRAME_COMP_WIDTH (&a, c) / WIDTH;
    gint cy = y * GST_VIDEO_FRAME_COMP_HEIGHT (&a, c) / HEIGHT;
    if (GST_VIDEO_FORMAT_INFO_HAS_ALPHA (a.info.finfo) && c == 3)
      continue;
    changed |= *sample (&a, c, cx, cy) != *sample (&b, c, cx, cy);
  }
  gst_video_frame_unmap (&a);
  gst_video_frame_unmap (&b);
  return changed;
}

/* Pixels of [x0, x1) x [y0, y1) with a changed color component. */
static guint
changed_in (GstBuffer * before, GstBuffer * after, gint x0, gint y0, gint x1,
    gint y1)
{
  guint n = 0;

  for (gint y = y0; y < y1; y++)
    for (gint x = x0; x < x1; x++)
      n += pixel_changed (before, after, x, y);
  return n;
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

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("gemma4overlay", NULL);
  gboolean labels, text;
  guint width, scale;
  gchar *classes;

  fail_unless (e != NULL, "gemma4overlay not found: is GST_PLUGIN_PATH set?");
  g_object_get (e, "draw-labels", &labels, "line-width", &width,
      "text-scale", &scale, "object-class", &classes, "draw-text", &text,
      NULL);
  fail_unless (labels && width == 0 && scale == 0 && classes == NULL && !text,
      "defaults: draw-labels %d line-width %u text-scale %u object-class %s "
      "draw-text %d", labels, width, scale, classes, text);
  g_object_set (e, "draw-labels", FALSE, "line-width", 5, "text-scale", 2,
      "object-class", " car, person", "draw-text", TRUE, NULL);
  g_object_get (e, "draw-labels", &labels, "line-width", &width,
      "text-scale", &scale, "object-class", &classes, "draw-text", &text,
      NULL);
  fail_unless (!labels && width == 5 && scale == 2 && text);
  fail_unless_equals_string (classes, " car, person");
  g_free (classes);
  gst_object_unref (e);
  g_print ("properties: defaults and read-back of all 5\n");
}

GST_END_TEST;

static const Box box_a = { 10, 8, 30, 20 };
static const Box box_b = { 50, 30, 36, 26 };

GST_START_TEST (test_boxes_every_format)
{
  const Box boxes[] = { box_a, box_b };
  guint total_changed = 0, total_far = 0;

  for (guint f = 0; f < G_N_ELEMENTS (all_formats); f++) {
    GstHarness *h = overlay_harness (all_formats[f]);
    guint8 *picture;
    GstBuffer *in = new_frame (all_formats[f], &picture), *before, *out;
    Diff d;

    g_object_set (h->element, "draw-labels", FALSE, "line-width", LINE, NULL);
    add_region (in, "person", NULL, -1, &box_a);
    add_region (in, "car", "car", 0.5, &box_b);
    out = run (h, in, &before);
    d = diff_frames (before, out, boxes, 2);
    for (guint i = 0; i < 2; i++) {
      const Box *b = &boxes[i];
      /* the middle of each side */
      fail_unless (pixel_changed (before, out, b->x, b->y + b->h / 2),
          "%s: left side of box %u not drawn", all_formats[f], i);
      fail_unless (pixel_changed (before, out, b->x + b->w / 2, b->y),
          "%s: top side of box %u not drawn", all_formats[f], i);
      fail_unless (pixel_changed (before, out, b->x + b->w - 1,
              b->y + b->h / 2), "%s: right side of box %u not drawn",
          all_formats[f], i);
      fail_unless (pixel_changed (before, out, b->x + b->w / 2,
              b->y + b->h - 1), "%s: bottom side of box %u not drawn",
          all_formats[f], i);
      /* the middle of the box, and far outside it */
      fail_if (pixel_changed (before, out, b->x + b->w / 2, b->y + b->h / 2),
          "%s: inside of box %u changed", all_formats[f], i);
    }
    fail_unless_equals_int (d.far_changed, 0);
    fail_unless_equals_int (guards_overwritten (out, picture), 0);
    total_changed += d.changed;
    total_far += d.far;
    gst_buffer_unref (before);
    gst_buffer_unref (out);
    g_free (picture);
    gst_harness_teardown (h);
  }
  g_print ("boxes: %u formats, 2 boxes each: %u samples changed on the "
      "outlines, 0 of %u samples >= %d px from them, no guard byte\n",
      (guint) G_N_ELEMENTS (all_formats), total_changed, total_far, FAR);
}

GST_END_TEST;

GST_START_TEST (test_clipping)
{
  const gchar *const formats[] = { "RGB", "BGRx", "I420", "NV12" };
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
    g_print ("clipping %s: %u samples changed, no guard byte written\n",
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
  fail_unless_equals_int (diff_frames (before, out, NULL, 0).changed, 0);
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
  fail_unless_equals_int (diff_frames (before, in, NULL, 0).changed, 0);
  fail_unless (diff_frames (before, out, NULL, 0).changed > 0);
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

/* The frame one region gives with labels drawn. */
static GstBuffer *
draw_one (const gchar * roi_type, const gchar * label, gdouble confidence,
    GstBuffer ** before)
{
  GstHarness *h = overlay_harness ("RGB");
  guint8 *picture;
  GstBuffer *in = new_frame ("RGB", &picture), *out;
  const Box b = { 4, 4, 80, 40 };

  g_object_set (h->element, "line-width", 1, "text-scale", 1, NULL);
  add_region (in, roi_type, label, confidence, &b);
  out = run (h, in, before);
  fail_unless_equals_int (guards_overwritten (out, picture), 0);
  g_free (picture);
  gst_harness_teardown (h);
  return out;
}

static gboolean
same_pixels (GstBuffer * a, GstBuffer * b)
{
  return diff_frames (a, b, NULL, 0).changed == 0;
}

GST_START_TEST (test_label_source)
{
  GstBuffer *before, *by_type, *by_param, *other, *plain, *confident;

  by_type = draw_one ("car", NULL, -1, &before);
  gst_buffer_unref (before);
  by_param = draw_one ("object", "car", -1, &before);
  gst_buffer_unref (before);
  other = draw_one ("car", "person", -1, &before);
  gst_buffer_unref (before);
  plain = draw_one ("person", NULL, -1, &before);
  gst_buffer_unref (before);
  confident = draw_one ("person", NULL, 0.87, &before);

  fail_unless (same_pixels (by_type, by_param),
      "label \"car\" from the parameters drawn unlike roi_type \"car\"");
  fail_unless (same_pixels (other, plain),
      "the parameters' label did not win over the roi_type");
  fail_if (same_pixels (by_type, plain), "two labels drew the same pixels");
  fail_if (same_pixels (plain, confident), "the confidence was not drawn");
  fail_if (same_pixels (before, plain), "no label drawn");
  g_print ("labels: params label == roi_type label, params win over "
      "roi_type, confidence adds text\n");
  gst_buffer_unref (before);
  gst_buffer_unref (by_type);
  gst_buffer_unref (by_param);
  gst_buffer_unref (other);
  gst_buffer_unref (plain);
  gst_buffer_unref (confident);
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
caption_rows (const gchar * text, gboolean draw_text, gint * first_row,
    gint * n_rows)
{
  GstHarness *h = overlay_harness ("BGRx");
  guint8 *picture;
  GstBuffer *in = new_frame ("BGRx", &picture), *before, *out;
  GstCustomMeta *meta = gst_buffer_add_custom_meta (in,
      "GstGemma4ResultMeta");

  fail_unless (meta != NULL, "GstGemma4ResultMeta not registered");
  gst_structure_set (gst_custom_meta_get_structure (meta), "text",
      G_TYPE_STRING, text, NULL);
  g_object_set (h->element, "draw-text", draw_text, "text-scale", 1, NULL);
  out = run (h, gst_buffer_ref (in), &before);
  fail_unless_equals_int (out == in, !draw_text);
  *first_row = -1;
  *n_rows = 0;
  for (gint y = 0; y < HEIGHT; y++) {
    gboolean changed = FALSE;
    for (gint x = 0; x < WIDTH && !changed; x++)
      changed = pixel_changed (before, out, x, y);
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

  caption_rows ("a cat", FALSE, &top, &rows);
  fail_unless_equals_int (rows, 0);
  caption_rows ("a cat", TRUE, &top, &rows);
  fail_unless (rows > 0, "no caption drawn");
  fail_unless_equals_int (top + rows, HEIGHT);
  /* wider than the frame: wrapped onto more lines, all in the lower third */
  caption_rows ("a cat sits on a mat in the sun and looks at a dog", TRUE,
      &long_top, &long_rows);
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

static Suite *
gemma4overlay_suite (void)
{
  Suite *s = suite_create ("gemma4overlay");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_boxes_every_format);
  tcase_add_test (tc, test_clipping);
  tcase_add_test (tc, test_passthrough);
  tcase_add_test (tc, test_label_source);
  tcase_add_test (tc, test_object_class);
  tcase_add_test (tc, test_result_text);
  return s;
}

GST_CHECK_MAIN (gemma4overlay);
