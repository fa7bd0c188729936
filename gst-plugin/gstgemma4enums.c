/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GTypes of the enumerations in gstgemma4enums.h. Each is registered on first
 * use and marked as plugin API, so gst-inspect documents its values. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgemma4enums.h"

GType
gst_gemma4_leaky_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_GEMMA4_LEAKY_NONE, "Never drop: block the streaming thread when the "
          "queue is full (backpressure)", "none"},
    {GST_GEMMA4_LEAKY_NEWEST, "Newest wins: drop the oldest pending job when "
          "the queue is full, count it and post a QOS message", "newest"},
    {GST_GEMMA4_LEAKY_AUTO, "none when upstream is not live, newest when it "
          "is live", "auto"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstGemma4Leaky", values);
    gst_type_mark_as_plugin_api (t, 0);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_gemma4_scheduling_policy_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_GEMMA4_SCHEDULING_AUTO, "latency when upstream is live, throughput "
          "when it is not", "auto"},
    {GST_GEMMA4_SCHEDULING_LATENCY, "Earliest deadline first; prompts join "
          "the running batch in short pieces", "latency"},
    {GST_GEMMA4_SCHEDULING_THROUGHPUT, "Arrival order; prompts join whole: "
          "the largest batches", "throughput"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstGemma4SchedulingPolicy", values);
    gst_type_mark_as_plugin_api (t, 0);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_gemma4_asr_task_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_GEMMA4_ASR_TASK_TRANSCRIBE, "Transcribe the speech in its own "
          "language", "transcribe"},
    {GST_GEMMA4_ASR_TASK_TRANSLATE, "Translate the speech into "
          "target-language", "translate"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstGemma4AsrTask", values);
    gst_type_mark_as_plugin_api (t, 0);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_gemma4_vad_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_GEMMA4_VAD_NONE, "No voice activity detection: fixed chunks",
        "none"},
    {GST_GEMMA4_VAD_ENERGY, "Energy threshold per 20 ms frame: silence gives "
          "GAP events, not text", "energy"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstGemma4Vad", values);
    gst_type_mark_as_plugin_api (t, 0);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_gemma4_vision_task_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_GEMMA4_VISION_TASK_DESCRIBE, "Describe the frame in a few sentences",
        "describe"},
    {GST_GEMMA4_VISION_TASK_DETECT, "Boxes of the objects named in labels",
        "detect"},
    {GST_GEMMA4_VISION_TASK_OCR, "Read the text in the frame",
        "ocr"},
    {GST_GEMMA4_VISION_TASK_CLASSIFY, "The one label of labels that fits best",
        "classify"},
    {GST_GEMMA4_VISION_TASK_CUSTOM, "The prompt property, verbatim",
        "custom"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstGemma4VisionTask", values);
    gst_type_mark_as_plugin_api (t, 0);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_gemma4_image_size_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_GEMMA4_IMAGE_SIZE_NATIVE, "Native size on the 48 px grid, "
          "letterboxed (the reference's rule)", "native"},
    {GST_GEMMA4_IMAGE_SIZE_BUDGET, "Stretched to fill max-soft-tokens "
          "(Hugging Face's rule)", "budget"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstGemma4ImageSize", values);
    gst_type_mark_as_plugin_api (t, 0);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_gemma4_attach_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_GEMMA4_ATTACH_NEXT, "On the next outgoing frame; the video never "
          "waits", "next"},
    {GST_GEMMA4_ATTACH_EXACT, "On the frame it describes, held up to latency",
        "exact"},
    {GST_GEMMA4_ATTACH_REPEAT, "As next, then repeated on every frame until "
          "a new one", "repeat"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstGemma4Attach", values);
    gst_type_mark_as_plugin_api (t, 0);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_gemma4_inference_region_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_GEMMA4_INFERENCE_REGION_FULL_FRAME, "The whole frame",
        "full-frame"},
    {GST_GEMMA4_INFERENCE_REGION_ROI_LIST, "Each upstream region of interest",
        "roi-list"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstGemma4InferenceRegion", values);
    gst_type_mark_as_plugin_api (t, 0);
    g_once_init_leave (&type, t);
  }
  return type;
}
