/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gemma4 plugin: registers the elements that run Google's Gemma 4 models
 * (GGUF files) with the libgemma4 engine. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gstgemma4asr.h"
#include "gstgemma4caption.h"
#include "gstgemma4meta.h"
#include "gstgemma4overlay.h"
#include "gstgemma4vision.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
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
