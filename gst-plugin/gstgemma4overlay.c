/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4overlay: each GstVideoRegionOfInterestMeta of a raw frame becomes a
 * box with its label (and optionally the GstGemma4ResultMeta text a
 * caption), drawn with Pango/Cairo into a GstVideoOverlayComposition that is
 * attached to the frame when downstream takes the meta and blended into it
 * otherwise. The composition is kept while the frames' metas draw the same
 * thing; frames with nothing to draw go through untouched. */

/**
 * SECTION:element-gemma4overlay
 * @title: gemma4overlay
 *
 * Draws the regions of interest that gemma4vision (or any detector) attaches
 * to video frames: each #GstVideoRegionOfInterestMeta becomes a box outline
 * with a label on a filled background, in a color picked from the label so
 * that one label keeps one color (the colors of `gemma4-cli describe
 * --draw`). The label is the `label` field of the meta's `gemma4/detection`
 * parameters when present, else the meta's roi_type; a `confidence` field
 * (0-1) is appended as a percentage. With #GstGemma4Overlay:draw-text the
 * text of the frame's `GstGemma4ResultMeta` (a description, OCR text, ...)
 * is written as a caption at the bottom of the frame.
 *
 * Text is laid out by Pango, so labels and captions in any script and
 * direction come out as written (the model answers in the user's language)
 * as long as a font for the script is installed (Debian: fonts-dejavu-core
 * covers Latin, Greek, Cyrillic, Arabic and Hebrew, fonts-wqy-microhei or
 * fonts-noto-cjk Chinese and Japanese). The element posts one warning
 * message when some characters have no font. #GstGemma4Overlay:font-desc
 * picks the font.
 *
 * When downstream accepts the `meta:GstVideoOverlayComposition` caps
 * feature and lists the #GstVideoOverlayCompositionMeta in its ALLOCATION
 * answer (glimagesink, for one), the drawing travels as that meta and the
 * frame's pixels are not touched, whatever their format or memory; it is
 * added to a composition already on the frame. Otherwise it is blended
 * into the frame in place, in any raw format GStreamer can blend into, so
 * no videoconvert is needed around the element. The drawing is made once
 * while the metas stay the same (a result repeated on every frame costs
 * one drawing), as a few rectangles clipped to the frame: one per label,
 * one for the caption band, one per outline or per outline side, whichever
 * blends faster (blending repacks the whole frame row for every rectangle
 * row; at 1080p, five large boxes with labels and a caption take about 10
 * ms a frame in I420, 2.5 ms in BGRx, nothing when attached). A frame
 * without metas to draw is passed through as it is: no copy, no write,
 * bit-identical. Boxes are clipped to the frame.
 *
 * GStreamer 1.22 has no element that draws #GstVideoRegionOfInterestMeta:
 * `objectdetectionoverlay` (analyticsoverlay plugin) came with 1.24 and reads
 * GstAnalytics metadata, `faceoverlay` draws from facedetect messages and the
 * pango overlays draw text only.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! videoconvert ! \
 *     gemma4vision model-path=E2B.gguf mmproj-path=mmproj.gguf task=detect \
 *     labels="person,car" attach=repeat ! gemma4overlay line-width=3 ! \
 *     videoconvert ! autovideosink
 * ]| shows the boxes of people and cars found by gemma4vision on the video,
 * blended into the frames (drawn once per result: the repeated metas reuse
 * the drawing).
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! \
 *     gemma4vision model-path=E2B.gguf mmproj-path=mmproj.gguf \
 *     task=custom prompt="Décris la scène en une phrase." attach=repeat ! \
 *     gemma4overlay draw-text=true font-desc="Sans Bold 28" ! glimagesink
 * ]| writes a French description under the camera image; glimagesink takes
 * the overlay as a meta and draws it on the GPU.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/video/video.h>

#include "gemma4.h"
#include "gstgemma4frame.h"
#include "gstgemma4meta.h"
#include "gstgemma4overlay.h"
#include "gstgemma4overlaydraw.h"

GST_DEBUG_CATEGORY_STATIC (gst_gemma4_overlay_debug);
#define GST_CAT_DEFAULT gst_gemma4_overlay_debug

#define DEFAULT_DRAW_LABELS TRUE
#define DEFAULT_LINE_WIDTH 0
#define DEFAULT_TEXT_SCALE 0
#define DEFAULT_OBJECT_CLASS NULL
#define DEFAULT_DRAW_TEXT FALSE
#define DEFAULT_FONT_DESC NULL
#define MAX_LINE_WIDTH 64
#define MAX_TEXT_SCALE 16
/* text-scale 1 is a 10-pixel font, about the old bitmap font's cell */
#define FONT_PIXELS_PER_SCALE 10

#define DETECTION_PARAMS "gemma4/detection"
#define OVERLAY_FEATURE GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION

/* Frames it can blend into, the formats the other gemma4 elements read
 * first (a source free to choose picks one of those, not a 16-bit one);
 * any other raw video only with the meta. */
#define BLEND_CAPS GST_VIDEO_CAPS_MAKE (GST_GEMMA4_VIDEO_FORMATS) ";" \
  GST_VIDEO_CAPS_MAKE (GST_VIDEO_OVERLAY_COMPOSITION_BLEND_FORMATS)
#define OVERLAY_CAPS BLEND_CAPS ";" \
  GST_VIDEO_CAPS_MAKE_WITH_FEATURES ("ANY", GST_VIDEO_FORMATS_ALL)

enum
{
  PROP_0,
  PROP_DRAW_LABELS,
  PROP_LINE_WIDTH,
  PROP_TEXT_SCALE,
  PROP_OBJECT_CLASS,
  PROP_DRAW_TEXT,
  PROP_FONT_DESC,
};

/* The properties one frame is drawn with, copied under the object lock. */
typedef struct
{
  gboolean draw_labels;
  guint line_width;
  guint text_scale;
  gchar **classes;              /* NULL = every class */
  gboolean draw_text;
  gchar *font_desc;
} DrawSettings;

struct _GstGemma4Overlay
{
  GstVideoFilter parent;

  /* properties, under the object lock */
  DrawSettings props;
  gchar *object_class;
  /* downstream took the caps feature but not the meta: offer plain caps
   * until it asks to reconfigure (object lock) */
  gboolean meta_refused;

  /* streaming thread only */
  DrawSettings frame;           /* the current frame's settings */
  GstGemma4OverlayScene scene;  /* what the current frame draws */
  gboolean drawing;             /* the scene is not empty */
  gboolean attach;              /* attach the composition, else blend */
  gboolean check_downstream;    /* ask downstream whether it takes the meta */
  GstGemma4OverlayPainter *painter;
  GstGemma4OverlayScene drawn;  /* what composition shows */
  GstVideoOverlayComposition *composition;
  gboolean warned_glyphs;
};

#define gst_gemma4_overlay_parent_class parent_class
G_DEFINE_TYPE (GstGemma4Overlay, gst_gemma4_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (gemma4overlay, "gemma4overlay", GST_RANK_NONE,
    GST_TYPE_GEMMA4_OVERLAY);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (OVERLAY_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (OVERLAY_CAPS));

static GstStaticCaps blend_caps = GST_STATIC_CAPS (BLEND_CAPS);

static void gst_gemma4_overlay_finalize (GObject * object);
static void gst_gemma4_overlay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_gemma4_overlay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static gboolean gst_gemma4_overlay_start (GstBaseTransform * trans);
static gboolean gst_gemma4_overlay_stop (GstBaseTransform * trans);
static GstCaps *gst_gemma4_overlay_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter);
static GstCaps *gst_gemma4_overlay_fixate_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * othercaps);
static gboolean gst_gemma4_overlay_src_event (GstBaseTransform * trans,
    GstEvent * event);
static gboolean gst_gemma4_overlay_set_info (GstVideoFilter * filter,
    GstCaps * incaps, GstVideoInfo * in_info, GstCaps * outcaps,
    GstVideoInfo * out_info);
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
  GstVideoFilterClass *filter_class = (GstVideoFilterClass *) klass;

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
   * Thickness of the box outlines in pixels, growing inward from the box's
   * edges; 0 picks one from the frame size as gemma4-cli's --draw does
   * (2 px below 600 lines, 3 at 720p, 5 at 1080p).
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
   * Size of labels and caption: the font is 10 pixels high times this; 0
   * picks it from the frame size (1 below 720 lines, 2 at 720p, 3 at
   * 1080p). A size in #GstGemma4Overlay:font-desc takes precedence.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TEXT_SCALE,
      g_param_spec_uint ("text-scale", "Text scale",
          "Label and caption font size in units of 10 pixels (0 = from the "
          "frame size; a size in font-desc wins)", 0, MAX_TEXT_SCALE,
          DEFAULT_TEXT_SCALE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
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
   * OCR text, a caption) at the bottom of the frame, centered and wrapped,
   * on a shaded band; text that does not fit in the lower third is cut
   * with an ellipsis.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_DRAW_TEXT,
      g_param_spec_boolean ("draw-text", "Draw text",
          "Write the text of the frame's GstGemma4ResultMeta as a caption "
          "at the bottom", DEFAULT_DRAW_TEXT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstGemma4Overlay:font-desc:
   *
   * Pango font description of labels and caption, as textoverlay's
   * (`"Sans Bold 24"`, `"Noto Sans CJK JP 18"`, `"Serif Italic"`; see
   * pango_font_description_from_string()). A size in it is in frame pixels
   * and overrides #GstGemma4Overlay:text-scale. Characters the named font
   * lacks are taken from other installed fonts. NULL or empty: "Sans".
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_FONT_DESC,
      g_param_spec_string ("font-desc", "Font description",
          "Pango font description of labels and caption, e.g. \"Sans Bold "
          "24\" (a size is in pixels and overrides text-scale; NULL = Sans)",
          DEFAULT_FONT_DESC, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  GST_DEBUG_CATEGORY_INIT (gst_gemma4_overlay_debug, "gemma4overlay", 0,
      "Gemma 4 region overlay");

  gst_element_class_set_static_metadata (element_class,
      "Gemma 4 region overlay", "Filter/Effect/Video",
      "Draws the boxes and labels of regions of interest (and the gemma4 "
      "result text) onto video frames", "gst-gemma4 developers");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_gemma4_overlay_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_gemma4_overlay_stop);
  trans_class->transform_caps =
      GST_DEBUG_FUNCPTR (gst_gemma4_overlay_transform_caps);
  trans_class->fixate_caps =
      GST_DEBUG_FUNCPTR (gst_gemma4_overlay_fixate_caps);
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_gemma4_overlay_src_event);
  trans_class->prepare_output_buffer =
      GST_DEBUG_FUNCPTR (gst_gemma4_overlay_prepare_output_buffer);
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_gemma4_overlay_transform_ip);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_gemma4_overlay_set_info);

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
  gst_gemma4_overlay_scene_init (&self->scene);
  gst_gemma4_overlay_scene_init (&self->drawn);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}

static void
settings_clear (DrawSettings * s)
{
  g_clear_pointer (&s->classes, g_strfreev);
  g_clear_pointer (&s->font_desc, g_free);
}

/* The frame's copy of the properties. */
static void
settings_copy (DrawSettings * to, const DrawSettings * from)
{
  settings_clear (to);
  *to = *from;
  to->classes = g_strdupv (from->classes);
  to->font_desc = g_strdup (from->font_desc);
}

/* Forgets the drawing (kept scene and composition). */
static void
drop_drawing (GstGemma4Overlay * self)
{
  gst_gemma4_overlay_scene_clear (&self->scene);
  gst_gemma4_overlay_scene_clear (&self->drawn);
  g_clear_pointer (&self->composition, gst_video_overlay_composition_unref);
}

static void
gst_gemma4_overlay_finalize (GObject * object)
{
  GstGemma4Overlay *self = GST_GEMMA4_OVERLAY (object);

  settings_clear (&self->props);
  settings_clear (&self->frame);
  g_free (self->object_class);
  drop_drawing (self);
  g_array_unref (self->scene.boxes);
  g_array_unref (self->drawn.boxes);
  gst_gemma4_overlay_painter_free (self->painter);
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
    case PROP_FONT_DESC:
      g_free (self->props.font_desc);
      self->props.font_desc = g_value_dup_string (value);
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
    case PROP_FONT_DESC:
      g_value_set_string (value, self->props.font_desc);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_gemma4_overlay_start (GstBaseTransform * trans)
{
  GstGemma4Overlay *self = GST_GEMMA4_OVERLAY (trans);

  if (self->painter == NULL)
    self->painter = gst_gemma4_overlay_painter_new ();
  self->warned_glyphs = FALSE;
  GST_OBJECT_LOCK (self);
  self->meta_refused = FALSE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
gst_gemma4_overlay_stop (GstBaseTransform * trans)
{
  GstGemma4Overlay *self = GST_GEMMA4_OVERLAY (trans);

  drop_drawing (self);
  g_clear_pointer (&self->painter, gst_gemma4_overlay_painter_free);
  return TRUE;
}

/* ---- negotiation: the meta when downstream takes it, else blending ---- */

static gboolean
has_overlay_feature (GstCapsFeatures * features)
{
  return features && !gst_caps_features_is_any (features)
      && gst_caps_features_contains (features, OVERLAY_FEATURE);
}

static gboolean
caps_have_overlay_feature (GstCaps * caps)
{
  return gst_caps_get_size (caps) > 0
      && has_overlay_feature (gst_caps_get_features (caps, 0));
}

/* caps' structure i with the overlay feature added or removed. */
static GstCaps *
with_overlay_feature (GstCaps * caps, guint i, gboolean feature)
{
  GstCaps *one = gst_caps_copy_nth (caps, i);
  GstCapsFeatures *f = gst_caps_get_features (one, 0);

  if (feature) {
    gst_caps_features_add (f, OVERLAY_FEATURE);
  } else {
    gst_caps_features_remove (f, OVERLAY_FEATURE);
    if (gst_caps_features_get_size (f) == 0)
      gst_caps_set_features (one, 0,
          gst_caps_features_new_single (GST_CAPS_FEATURE_MEMORY_SYSTEM_MEMORY));
  }
  return one;
}

/* What can come out for input caps (direction SINK) or go in for output
 * caps (SRC): the same video, with the overlay feature added first (unless
 * downstream refused the meta) and as is when it can be blended into;
 * input with the feature (upstream attached a composition) stays so. */
static GstCaps *
gst_gemma4_overlay_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter)
{
  GstGemma4Overlay *self = GST_GEMMA4_OVERLAY (trans);
  GstCaps *blendable, *out;
  gboolean meta_refused;

  if (gst_caps_is_any (caps))
    return filter ? gst_caps_ref (filter) : gst_caps_new_any ();
  blendable = gst_static_caps_get (&blend_caps);
  out = gst_caps_new_empty ();
  GST_OBJECT_LOCK (self);
  meta_refused = self->meta_refused;
  GST_OBJECT_UNLOCK (self);

  for (guint i = 0; i < gst_caps_get_size (caps); i++) {
    GstCapsFeatures *f = gst_caps_get_features (caps, i);
    GstCaps *plain;

    if (f && gst_caps_features_is_any (f)) {
      out = gst_caps_merge (out, gst_caps_copy_nth (caps, i));
      continue;
    }
    if (has_overlay_feature (f)) {
      out = gst_caps_merge (out, gst_caps_copy_nth (caps, i));
      if (direction == GST_PAD_SRC)
        out = gst_caps_merge (out, with_overlay_feature (caps, i, FALSE));
      continue;
    }
    if (direction == GST_PAD_SINK && !meta_refused)
      out = gst_caps_merge (out, with_overlay_feature (caps, i, TRUE));
    plain = gst_caps_copy_nth (caps, i);
    out = gst_caps_merge (out, gst_caps_intersect (plain, blendable));
    gst_caps_unref (plain);
  }
  gst_caps_unref (blendable);
  if (filter) {
    GstCaps *filtered = gst_caps_intersect_full (filter, out,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (out);
    out = filtered;
  }
  GST_LOG_OBJECT (self, "%s %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      direction == GST_PAD_SINK ? "sink" : "src", caps, out);
  return out;
}

/* Downstream's first choice may not be the meta; take the meta whenever it
 * accepts it, as textoverlay does. */
static GstCaps *
gst_gemma4_overlay_fixate_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * othercaps)
{
  for (guint i = 0; i < gst_caps_get_size (othercaps); i++) {
    if (direction == GST_PAD_SINK
        && has_overlay_feature (gst_caps_get_features (othercaps, i))) {
      GstCaps *one = gst_caps_copy_nth (othercaps, i);
      gst_caps_unref (othercaps);
      othercaps = one;
      break;
    }
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->fixate_caps (trans,
      direction, caps, othercaps);
}

static gboolean
gst_gemma4_overlay_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstGemma4Overlay *self = GST_GEMMA4_OVERLAY (filter);
  gboolean upstream_attaches = caps_have_overlay_feature (incaps);

  self->attach = caps_have_overlay_feature (outcaps);
  /* the caps feature says downstream may take the meta; its ALLOCATION
   * answer says it will draw it, asked once the caps are sent */
  self->check_downstream = self->attach && !upstream_attaches;
  GST_DEBUG_OBJECT (self, "%s %" GST_PTR_FORMAT, self->attach ? "attaching"
      : "blending", outcaps);
  return TRUE;
}

/* Whether downstream lists the meta in its ALLOCATION answer for caps. */
static gboolean
downstream_takes_meta (GstGemma4Overlay * self, GstCaps * caps)
{
  GstQuery *query = gst_query_new_allocation (caps, FALSE);
  gboolean takes;

  if (!gst_pad_peer_query (GST_BASE_TRANSFORM_SRC_PAD (self), query))
    GST_DEBUG_OBJECT (self, "downstream did not answer the ALLOCATION query");
  takes = gst_query_find_allocation_meta (query,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gst_query_unref (query);
  return takes;
}

/* Whether downstream accepts the frames without the feature and the
 * element can blend into them. */
static gboolean
can_blend_instead (GstGemma4Overlay * self, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstCaps *blendable = gst_static_caps_get (&blend_caps);
  GstCaps *plain = with_overlay_feature (outcaps, 0, FALSE);
  gboolean can = gst_caps_can_intersect (incaps, blendable)
      && gst_pad_peer_query_accept_caps (GST_BASE_TRANSFORM_SRC_PAD (self),
      plain);

  gst_caps_unref (plain);
  gst_caps_unref (blendable);
  return can;
}

/* Keeps the meta when downstream takes it (or must: the frames cannot be
 * blended into); otherwise negotiates caps without the feature now,
 * before the frame goes out. FALSE when that fails. */
static gboolean
check_downstream (GstGemma4Overlay * self)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstCaps *outcaps = gst_pad_get_current_caps (trans->srcpad);
  GstCaps *incaps = gst_pad_get_current_caps (trans->sinkpad);
  gboolean fallback;

  self->check_downstream = FALSE;
  fallback = outcaps && incaps && !downstream_takes_meta (self, outcaps)
      && can_blend_instead (self, incaps, outcaps);
  gst_clear_caps (&outcaps);
  gst_clear_caps (&incaps);
  GST_DEBUG_OBJECT (self, "%s the overlay meta", fallback ? "blending, "
      "downstream does not take" : "attaching");
  if (!fallback)
    return TRUE;
  GST_OBJECT_LOCK (self);
  self->meta_refused = TRUE;
  GST_OBJECT_UNLOCK (self);
  gst_pad_mark_reconfigure (trans->srcpad);
  return gst_base_transform_reconfigure (trans);
}

/* A downstream change (a new sink, a relink) may take the meta again. */
static gboolean
gst_gemma4_overlay_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstGemma4Overlay *self = GST_GEMMA4_OVERLAY (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_RECONFIGURE) {
    GST_OBJECT_LOCK (self);
    self->meta_refused = FALSE;
    GST_OBJECT_UNLOCK (self);
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->src_event (trans, event);
}

/* ---- the scene a frame's metas draw ---- */

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

/* The label with the confidence, when the detector gave one. A roi_type
 * may hold bytes that are not UTF-8 (a detector's Latin-1): they become
 * U+FFFD (GstStructure strings are UTF-8 already). */
static gchar *
label_text (GstVideoRegionOfInterestMeta * roi, const gchar * label)
{
  GstStructure *params =
      gst_video_region_of_interest_meta_get_param (roi, DETECTION_PARAMS);
  const GValue *confidence = params ?
      gst_structure_get_value (params, "confidence") : NULL;
  gchar *valid = g_utf8_make_valid (label, -1), *text;

  if (!confidence || !G_VALUE_HOLDS_DOUBLE (confidence))
    return valid;
  text = g_strdup_printf ("%s %.0f%%", valid,
      CLAMP (g_value_get_double (confidence), 0, 1) * 100);
  g_free (valid);
  return text;
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

/* Fills self->scene from the frame's metas and the frame's settings. */
static void
build_scene (GstGemma4Overlay * self, GstBuffer * buf,
    const GstVideoInfo * info)
{
  const DrawSettings *s = &self->frame;
  GstGemma4OverlayScene *scene = &self->scene;
  gpointer state = NULL;
  GstMeta *meta;
  int thickness, scale;

  gst_gemma4_overlay_scene_clear (scene);
  scene->width = GST_VIDEO_INFO_WIDTH (info);
  scene->height = GST_VIDEO_INFO_HEIGHT (info);
  g4_draw_auto_sizes (scene->width, scene->height, &thickness, &scale);
  scene->line_width = s->line_width ? (gint) s->line_width : thickness;
  scene->font_size = FONT_PIXELS_PER_SCALE *
      (s->text_scale ? (gint) s->text_scale : scale);
  scene->font_desc = g_strdup (s->font_desc);
  while ((meta = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    const gchar *label = roi_label (roi);
    GstGemma4OverlayBox box = { roi->x, roi->y, roi->w, roi->h,
      g4_label_color (label), NULL
    };

    if (!roi_selected (s, roi, scene->width, scene->height))
      continue;
    if (s->draw_labels)
      box.label = label_text (roi, label);
    GST_LOG_OBJECT (self, "region %s at %u,%u %ux%u", label, roi->x, roi->y,
        roi->w, roi->h);
    g_array_append_val (scene->boxes, box);
  }
  if (s->draw_text)
    scene->caption = g_strdup (result_text (buf));
}

static GstFlowReturn
gst_gemma4_overlay_prepare_output_buffer (GstBaseTransform * trans,
    GstBuffer * input, GstBuffer ** outbuf)
{
  GstGemma4Overlay *self = GST_GEMMA4_OVERLAY (trans);

  if (self->check_downstream && !check_downstream (self))
    return GST_FLOW_NOT_NEGOTIATED;

  GST_OBJECT_LOCK (self);
  settings_copy (&self->frame, &self->props);
  GST_OBJECT_UNLOCK (self);
  build_scene (self, input, &GST_VIDEO_FILTER (trans)->in_info);
  self->drawing = !gst_gemma4_overlay_scene_is_empty (&self->scene);
  if (!self->drawing) {
    *outbuf = input;
    return GST_FLOW_OK;
  }
  /* in place: the input itself when writable, else a copy sharing its
   * memory (copied on the first write, never when attaching) */
  return GST_BASE_TRANSFORM_CLASS (parent_class)->prepare_output_buffer (trans,
      input, outbuf);
}

/* ---- drawing ---- */

/* Remakes the composition when this frame's scene differs from the one it
 * shows. */
static void
update_composition (GstGemma4Overlay * self)
{
  GstGemma4OverlayScene kept;
  gchar *missing;

  if (gst_gemma4_overlay_scene_equal (&self->scene, &self->drawn))
    return;
  g_clear_pointer (&self->composition, gst_video_overlay_composition_unref);
  self->composition = gst_gemma4_overlay_painter_draw (self->painter,
      &self->scene, &missing);
  kept = self->drawn;
  self->drawn = self->scene;
  self->scene = kept;
  GST_DEBUG_OBJECT (self, "drew %u rectangles", self->composition ?
      gst_video_overlay_composition_n_rectangles (self->composition) : 0);
  if (missing && !self->warned_glyphs) {
    self->warned_glyphs = TRUE;
    GST_ELEMENT_WARNING (self, RESOURCE, NOT_FOUND,
        ("No installed font has some characters of \"%s\"; they are drawn "
            "as boxes.", missing), ("install a font for its script (Debian: "
            "fonts-noto-core, fonts-noto-cjk) or set font-desc"));
  }
  g_free (missing);
}

/* Adds the composition to the frame, after the one already on it. */
static void
attach_composition (GstGemma4Overlay * self, GstBuffer * buf)
{
  GstVideoOverlayCompositionMeta *upstream =
      gst_buffer_get_video_overlay_composition_meta (buf);
  GstVideoOverlayComposition *both;

  if (upstream == NULL) {
    gst_buffer_add_video_overlay_composition_meta (buf, self->composition);
    return;
  }
  both = gst_video_overlay_composition_copy (upstream->overlay);
  for (guint i = 0;
      i < gst_video_overlay_composition_n_rectangles (self->composition); i++)
    gst_video_overlay_composition_add_rectangle (both,
        gst_video_overlay_composition_get_rectangle (self->composition, i));
  gst_buffer_remove_meta (buf, (GstMeta *) upstream);
  gst_buffer_add_video_overlay_composition_meta (buf, both);
  gst_video_overlay_composition_unref (both);
}

static GstFlowReturn
gst_gemma4_overlay_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstGemma4Overlay *self = GST_GEMMA4_OVERLAY (trans);
  GstVideoFilter *filter = GST_VIDEO_FILTER (trans);
  GstVideoFrame frame;

  if (!self->drawing)
    return GST_FLOW_OK;
  update_composition (self);
  if (self->composition == NULL)
    return GST_FLOW_OK;
  if (self->attach) {
    attach_composition (self, buf);
    return GST_FLOW_OK;
  }
  if (!gst_video_frame_map (&frame, &filter->in_info, buf, GST_MAP_READWRITE)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL),
        ("could not map a %" G_GSIZE_FORMAT "-byte buffer as %s %dx%d",
            gst_buffer_get_size (buf),
            GST_VIDEO_INFO_NAME (&filter->in_info),
            GST_VIDEO_INFO_WIDTH (&filter->in_info),
            GST_VIDEO_INFO_HEIGHT (&filter->in_info)));
    return GST_FLOW_ERROR;
  }
  gst_video_overlay_composition_blend (self->composition, &frame);
  gst_video_frame_unmap (&frame);
  return GST_FLOW_OK;
}
