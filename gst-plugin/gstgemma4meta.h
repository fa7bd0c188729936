/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The result meta: a GstCustomMeta named "GstGemma4ResultMeta" whose structure
 * is the result record posted on the bus (gstgemma4result.h: "gemma4-result"
 * with kind, status, text, start, duration, timestamp, ...).
 * Applications read it with gst_buffer_get_custom_meta (buf,
 * "GstGemma4ResultMeta") and gst_custom_meta_get_structure (): text lives in
 * string values, never in quarks. */
#ifndef GST_GEMMA4_META_H
#define GST_GEMMA4_META_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_GEMMA4_RESULT_META_NAME "GstGemma4ResultMeta"

/* Registers the meta (once; called from plugin_init). */
void gst_gemma4_result_meta_register (void);
/* Attaches a copy of result's fields to buf, which must be writable. */
void gst_gemma4_buffer_add_result_meta (GstBuffer * buf, const GstStructure * result);

G_END_DECLS
#endif
