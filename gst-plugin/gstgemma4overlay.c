/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4overlay: draws each GstVideoRegionOfInterestMeta of a raw frame as a
 * box with its label (and optionally the GstGemma4ResultMeta text as a
 * caption) with the engine's drawing functions, in place. Frames with
 * nothing to draw go through untouched, without a writable copy. */

/**
 * SECTION:element-gemma4overlay
 * @title: gemma4overlay
 *
 * Draws the regions of interest that gemma4vision (or any detector) attaches
 * to video frames: each #GstVideoRegionOfInterestMeta becomes a box outline
 * with a label on a filled background, in a color picked from the label so
 * that one label keeps one color. The label is the `label` field of the
 * meta's `gemma4/detection` parameters when present, else the meta's
 * roi_type; a `confidence` field (0-1) is appended as a percentage.
 * With #GstGemma4Overlay:draw-text the text of the frame's
 * `GstGemma4ResultMeta` (a description, OCR text, ...) is drawn as a caption
 * line at the bottom of the frame.
 *
 * GStreamer 1.22 has no element that draws #GstVideoRegionOfInterestMeta:
 * `objectdetectionoverlay` (analyticsoverlay plugin) came with 1.24 and reads
 * GstAnalytics metadata, `faceoverlay` draws from facedetect messages and the
 * pango overlays draw text only (checked on the 1.22.0 Debian 12 plugin set).
 * Drawing works on the pixel formats directly, YUV included, so no
 * videoconvert is needed around the element. Boxes are clipped to the frame.
 * A frame without metas to draw is passed through as it is: no copy, no
 * write, bit-identical.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! videoconvert ! \
 *     gemma4vision model-path=E2B.gguf mmproj-path=mmproj.gguf task=detect \
 *     labels="person,car" ! gemma4overlay line-width=3 ! videoconvert ! \
 *     autovideosink
 * ]| shows the boxes of people and cars found by gemma4vision on the video.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include <gst/video/video.h>

#include "gemma4.h"
#include "gstgemma4frame.h"
#include "gstgemma4meta.h"
#include "gstgemma4overlay.h"

GST_DEBUG_CATEGORY_STATIC (gst_gemma4_overlay_debug);
#define GST_CAT_DEFAULT gst_gemma4_overlay_debug

#define DEFAULT_DRAW_LABELS TRUE
#define DEFAULT_LINE_WIDTH 0
#define DEFAULT_TEXT_SCALE 0
#define DEFAULT_OBJECT_CLASS NULL
#define DEFAULT_DRAW_TEXT FALSE
#define MAX_LINE_WIDTH 64
#define MAX_TEXT_SCALE 16

#define DETECTION_PARAMS "gemma4/detection"
#define CAPTION_FOREGROUND 0xffffff
#define CAPTION_BACKGROUND 0x000000

enum
{
  PROP_0,
  PROP_DRAW_LABELS,
  PROP_LINE_WIDTH,
  PROP_TEXT_SCALE,
  PROP_OBJECT_CLASS,
  PROP_DRAW_TEXT,
};

/* The properties one frame is drawn with, copied under the object lock. */
typedef struct
{
  gboolean draw_labels;
  guint line_width;
  guint text_scale;
  gchar **classes;              /* NULL = every class */
  gboolean draw_text;
} DrawSettings;

struct _GstGemma4Overlay
{
  GstVideoFilter parent;

  /* properties, under the object lock */
  DrawSettings props;
  gchar *object_class;

  /* streaming thread only: the current frame's settings and whether it has
   * anything to draw (decided before the buffer is made writable) */
  DrawSettings frame;
  gboolean drawing;
};

#define gst_gemma4_overlay_parent_class parent_class
G_DEFINE_TYPE (GstGemma4Overlay, gst_gemma4_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (gemma4overlay, "gemma4overlay", GST_RANK_NONE,
    GST_TYPE_GEMMA4_OVERLAY);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_GEMMA4_VIDEO_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_GEMMA4_VIDEO_CAPS));

static void gst_gemma4_overlay_finalize (GObject * object);
static void gst_gemma4_overlay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_gemma4_overlay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstFlowReturn gst_gemma4_overlay_prepare_output_buffer (GstBaseTransform
    * trans, GstBuffer * input, GstBuffer ** outbuf);
static GstFlowReturn gst_gemma4_overlay_transform_ip (GstBaseTransform *
    trans, GstBuffer * buf);

static void
gst_gemma4_overlay_class_init (GstGemma4OverlayClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstBaseTransformClass *trans_class = (GstBaseTransformClass *) klass;

  gobject_class->set_property = gst_gemma4_overlay_set_property;
  gobject_class->get_property = gst_gemma4_overlay_get_property;
  gobject_class->finalize = gst_gemma4_overlay_finalize;

  /**
   * GstGemma4Overlay:draw-labels:
   *
   * Whether each box gets its label (and confidence) written on a filled
   * background above its top left corner (inside the box when the box
   * touches the top of the frame).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_DRAW_LABELS,
      g_param_spec_boolean ("draw-labels", "Draw labels",
          "Write each box's label and confidence above its top left corner",
          DEFAULT_DRAW_LABELS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstGemma4Overlay:line-width:
   *
   * Thickness of the box outlines in pixels; 0 picks one from the frame
   * size as gemma4-cli's --draw does (2 px below 600 lines, 3 at 720p, 5 at
   * 1080p).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LINE_WIDTH,
      g_param_spec_uint ("line-width", "Line width",
          "Box outline thickness in pixels (0 = from the frame size)",
          0, MAX_LINE_WIDTH, DEFAULT_LINE_WIDTH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstGemma4Overlay:text-scale:
   *
   * Size of labels and caption as a multiple of the built-in bitmap font's
   * cell; 0 picks one from the frame size (1 at 480p, 2 at 720p, 3 at
   * 1080p).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TEXT_SCALE,
      g_param_spec_uint ("text-scale", "Text scale",
          "Label and caption size as a multiple of the bitmap font's cell "
          "(0 = from the frame size)", 0, MAX_TEXT_SCALE, DEFAULT_TEXT_SCALE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstGemma4Overlay:object-class:
   *
   * Comma-separated list of the classes to draw, matched against each
   * region's label and its roi_type; NULL or empty draws every region.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_OBJECT_CLASS,
      g_param_spec_string ("object-class", "Object class",
          "Comma-separated labels or roi_types to draw (NULL or empty = all)",
          DEFAULT_OBJECT_CLASS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstGemma4Overlay:draw-text:
   *
   * Also write the text of the frame's GstGemma4ResultMeta (a description,
   * OCR text, a caption) as a line at the bottom of the frame.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_DRAW_TEXT,
      g_param_spec_boolean ("draw-text", "Draw text",
          "Write the text of the frame's GstGemma4ResultMeta as a caption "
          "line at the bottom", DEFAULT_DRAW_TEXT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  GST_DEBUG_CATEGORY_INIT (gst_gemma4_overlay_debug, "gemma4overlay", 0,
      "Gemma 4 region overlay");

  gst_element_class_set_static_metadata (element_class,
      "Gemma 4 region overlay", "Filter/Effect/Video",
      "Draws the boxes and labels of regions of interest (and the gemma4 "
      "result text) onto video frames", "gst-gemma4 developers");

  trans_class->prepare_output_buffer =
      GST_DEBUG_FUNCPTR (gst_gemma4_overlay_prepare_output_buffer);
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_gemma4_overlay_transform_ip);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
}

static void
gst_gemma4_overlay_init (GstGemma4Overlay * self)
{
  self->props.draw_labels = DEFAULT_DRAW_LABELS;
  self->props.line_width = DEFAULT_LINE_WIDTH;
  self->props.text_scale = DEFAULT_TEXT_SCALE;
  self->props.draw_text = DEFAULT_DRAW_TEXT;
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_gemma4_overlay_finalize (GObject * object)
{
  GstGemma4Overlay *self = GST_GEMMA4_OVERLAY (object);

  g_strfreev (self->props.classes);
  g_strfreev (self->frame.classes);
  g_free (self->object_class);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* The non-empty, trimmed entries of a comma list; NULL when there are none. */
static gchar **
parse_classes (const gchar * list)
{
  gchar **parts = g_strsplit (list ? list : "", ",", -1);
  guint i, n = 0;

  for (i = 0; parts[i]; i++) {
    g_strstrip (parts[i]);
    if (parts[i][0])
      parts[n++] = parts[i];
    else
      g_free (parts[i]);
  }
  parts[n] = NULL;
  if (n == 0) {
    g_free (parts);
    return NULL;
  }
  return parts;
}

static void
gst_gemma4_overlay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstGemma4Overlay *self = GST_GEMMA4_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DRAW_LABELS:
      self->props.draw_labels = g_value_get_boolean (value);
      break;
    case PROP_LINE_WIDTH:
      self->props.line_width = g_value_get_uint (value);
      break;
    case PROP_TEXT_SCALE:
      self->props.text_scale = g_value_get_uint (value);
      break;
    case PROP_OBJECT_CLASS:
      g_free (self->object_class);
      self->object_class = g_value_dup_string (value);
      g_strfreev (self->props.classes);
      self->props.classes = parse_classes (self->object_class);
      break;
    case PROP_DRAW_TEXT:
      self->props.draw_text = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_gemma4_overlay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstGemma4Overlay *self = GST_GEMMA4_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DRAW_LABELS:
      g_value_set_boolean (value, self->props.draw_labels);
      break;
    case PROP_LINE_WIDTH:
      g_value_set_uint (value, self->props.line_width);
      break;
    case PROP_TEXT_SCALE:
      g_value_set_uint (value, self->props.text_scale);
      break;
    case PROP_OBJECT_CLASS:
      g_value_set_string (value, self->object_class);
      break;
    case PROP_DRAW_TEXT:
      g_value_set_boolean (value, self->props.draw_text);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* The label of a region: its gemma4/detection label, else its roi_type. */
static const gchar *
roi_label (GstVideoRegionOfInterestMeta * roi)
{
  GstStructure *params =
      gst_video_region_of_interest_meta_get_param (roi, DETECTION_PARAMS);
  const gchar *label = params ? gst_structure_get_string (params, "label")
      : NULL;

  if (label && label[0])
    return label;
  label = g_quark_to_string (roi->roi_type);
  return label ? label : "object";
}

/* A region to draw: one the object-class filter passes with some of it in
 * the width x height frame (none elsewhere: no label is moved into view). */
static gboolean
roi_selected (const DrawSettings * s, GstVideoRegionOfInterestMeta * roi,
    gint width, gint height)
{
  const gchar *type = g_quark_to_string (roi->roi_type);
  const gchar *label = roi_label (roi);

  if (roi->w == 0 || roi->h == 0 || roi->x >= (guint) width
      || roi->y >= (guint) height)
    return FALSE;
  return s->classes == NULL
      || g_strv_contains ((const gchar * const *) s->classes, label)
      || (type && g_strv_contains ((const gchar * const *) s->classes, type));
}

/* The text of the frame's GstGemma4ResultMeta, or NULL. */
static const gchar *
result_text (GstBuffer * buf)
{
  GstCustomMeta *meta =
      gst_buffer_get_custom_meta (buf, GST_GEMMA4_RESULT_META_NAME);
  const gchar *text;

  if (meta == NULL)
    return NULL;
  text = gst_structure_get_string (gst_custom_meta_get_structure (meta),
      "text");
  return text && text[0] ? text : NULL;
}

static gboolean
has_work (const DrawSettings * s, GstBuffer * buf, const GstVideoInfo * info)
{
  gpointer state = NULL;
  GstMeta *meta;

  if (s->draw_text && result_text (buf))
    return TRUE;
  while ((meta = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    if (roi_selected (s, (GstVideoRegionOfInterestMeta *) meta,
            GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info)))
      return TRUE;
  }
  return FALSE;
}

static GstFlowReturn
gst_gemma4_overlay_prepare_output_buffer (GstBaseTransform * trans,
    GstBuffer * input, GstBuffer ** outbuf)
{
  GstGemma4Overlay *self = GST_GEMMA4_OVERLAY (trans);

  g_strfreev (self->frame.classes);
  GST_OBJECT_LOCK (self);
  self->frame = self->props;
  self->frame.classes = g_strdupv (self->props.classes);
  GST_OBJECT_UNLOCK (self);

  self->drawing = has_work (&self->frame, input,
      &GST_VIDEO_FILTER (trans)->in_info);
  if (!self->drawing) {
    *outbuf = input;
    return GST_FLOW_OK;
  }
  /* in place: the input itself when writable, else a copy */
  return GST_BASE_TRANSFORM_CLASS (parent_class)->prepare_output_buffer (trans,
      input, outbuf);
}

/* Region coordinates are unsigned and may run past the frame; keep them in
 * int range just outside it, so the engine's clipping sees the box edges
 * beyond the frame and does not draw them. */
static int
clamp_coord (guint64 v, int size, int margin)
{
  return (int) MIN (v, (guint64) size + (guint64) margin);
}

static void
draw_region (GstGemma4Overlay * self, g4_image_view * img,
    GstVideoRegionOfInterestMeta * roi, int thickness, int scale)
{
  const gchar *label = roi_label (roi);
  GstStructure *params =
      gst_video_region_of_interest_meta_get_param (roi, DETECTION_PARAMS);
  guint32 color = g4_label_color (label);
  /* g4_draw_rect takes inclusive corners */
  int x0 = clamp_coord (roi->x, img->width, thickness);
  int y0 = clamp_coord (roi->y, img->height, thickness);
  int x1 = clamp_coord ((guint64) roi->x + roi->w - 1, img->width, thickness);
  int y1 = clamp_coord ((guint64) roi->y + roi->h - 1, img->height, thickness);
  const GValue *confidence = params ?
      gst_structure_get_value (params, "confidence") : NULL;
  gchar *text;

  GST_LOG ("region %s at %u,%u %ux%u", label, roi->x, roi->y, roi->w, roi->h);
  g4_draw_rect (img, x0, y0, x1, y1, thickness, color);
  if (!self->frame.draw_labels)
    return;
  if (confidence && G_VALUE_HOLDS_DOUBLE (confidence))
    text = g_strdup_printf ("%s %.0f%%", label,
        CLAMP (g_value_get_double (confidence), 0, 1) * 100);
  else
    text = g_strdup (label);
  g4_draw_label (img, x0, y0, text, scale, color);
  g_free (text);
}

/* Writes text at the bottom of the frame, wrapped at spaces into lines that
 * fit its width; lines that would reach above the lower third are left out
 * (the first lines are kept). */
static void
draw_caption (g4_image_view * img, const gchar * text,
    int scale)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  int per_line, max_lines, n, y, margin, one, line_height;
  const gchar *p = text;

  g4_draw_text_size ("", scale, &margin, &line_height);
  g4_draw_text_size ("M", scale, &one, NULL);
  per_line = MAX (1, (img->width - margin) / (one - margin));
  max_lines = MAX (1, img->height / 3 / line_height);
  while (*p && (int) lines->len < max_lines) {
    const gchar *end = p, *space = NULL;
    for (int i = 0; *end && i < per_line; i++, end = g_utf8_next_char (end))
      if (*end == ' ')
        space = end;
    if (*end && *end != ' ' && space)
      end = space;
    g_ptr_array_add (lines, g_strndup (p, end - p));
    for (p = end; *p == ' '; p++);
  }
  n = (int) lines->len;
  y = img->height - n * line_height;
  for (int i = 0; i < n; i++, y += line_height)
    g4_draw_text (img, 0, y, g_ptr_array_index (lines, i), scale,
        CAPTION_FOREGROUND, CAPTION_BACKGROUND);
  g_ptr_array_unref (lines);
}

static GstFlowReturn
gst_gemma4_overlay_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstGemma4Overlay *self = GST_GEMMA4_OVERLAY (trans);
  GstVideoFilter *filter = GST_VIDEO_FILTER (trans);
  const DrawSettings *s = &self->frame;
  GstVideoFrame frame;
  g4_image_view img;
  gpointer state = NULL;
  GstMeta *meta;
  const gchar *caption;
  int thickness, scale;

  if (!self->drawing)
    return GST_FLOW_OK;
  if (!gst_video_frame_map (&frame, &filter->in_info, buf, GST_MAP_READWRITE)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL),
        ("could not map a %" G_GSIZE_FORMAT "-byte buffer as %s %dx%d",
            gst_buffer_get_size (buf),
            GST_VIDEO_INFO_NAME (&filter->in_info),
            GST_VIDEO_INFO_WIDTH (&filter->in_info),
            GST_VIDEO_INFO_HEIGHT (&filter->in_info)));
    return GST_FLOW_ERROR;
  }
  /* the caps only allow formats gst_gemma4_frame_view reads */
  if (!gst_gemma4_frame_view (&frame, &img)) {
    gst_video_frame_unmap (&frame);
    g_return_val_if_reached (GST_FLOW_NOT_NEGOTIATED);
  }
  g4_draw_auto_sizes (img.width, img.height, &thickness, &scale);
  if (s->line_width)
    thickness = (int) s->line_width;
  if (s->text_scale)
    scale = (int) s->text_scale;

  while ((meta = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    if (roi_selected (s, roi, img.width, img.height))
      draw_region (self, &img, roi, thickness, scale);
  }
  caption = s->draw_text ? result_text (buf) : NULL;
  if (caption)
    draw_caption (&img, caption, scale);
  gst_video_frame_unmap (&frame);
  return GST_FLOW_OK;
}
