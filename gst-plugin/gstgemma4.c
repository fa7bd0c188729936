/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gemma4 plugin: registers the elements that run Google's Gemma 4 models
 * (GGUF files) with the libgemma4 engine. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gemma4.h"
#include "gstgemma4asr.h"
#include "gstgemma4caption.h"
#include "gstgemma4meta.h"
#include "gstgemma4overlay.h"
#include "gstgemma4vision.h"

GST_DEBUG_CATEGORY_STATIC (gst_gemma4_engine_debug);

/* The engine's messages (model loading, kernels, ...) go to GStreamer's
 * debug system, category gemma4, never to stderr. */
static void
engine_log (g4_log_level level, const char *msg, void *user)
{
  static const GstDebugLevel levels[] = {
    [G4_LOG_ERROR] = GST_LEVEL_ERROR,
    [G4_LOG_WARNING] = GST_LEVEL_WARNING,
    [G4_LOG_INFO] = GST_LEVEL_INFO,
    [G4_LOG_DEBUG] = GST_LEVEL_DEBUG,
  };

  GST_CAT_LEVEL_LOG (gst_gemma4_engine_debug, levels[level], NULL, "%s", msg);
}

static gboolean
plugin_init (GstPlugin * plugin)
{
  GST_DEBUG_CATEGORY_INIT (gst_gemma4_engine_debug, "gemma4", 0,
      "the libgemma4 engine");
  g4_log_set (engine_log, NULL);
  gst_gemma4_result_meta_register ();
  gboolean ok = GST_ELEMENT_REGISTER (gemma4asr, plugin);

  ok &= GST_ELEMENT_REGISTER (gemma4vision, plugin);
  ok &= GST_ELEMENT_REGISTER (gemma4caption, plugin);
  ok &= GST_ELEMENT_REGISTER (gemma4overlay, plugin);
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, gemma4,
    "Speech, image and video understanding with Google's Gemma 4 models",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
