/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gstgemma4meta.h"

void
gst_gemma4_result_meta_register (void)
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    /* no tags: the result describes content, it survives any transformation */
    static const gchar *tags[] = { NULL };
    gst_meta_register_custom (GST_GEMMA4_RESULT_META_NAME, tags, NULL, NULL, NULL);
    g_once_init_leave (&once, 1);
  }
}

static gboolean
copy_field (GQuark field, const GValue * value, gpointer dst)
{
  gst_structure_id_set_value (dst, field, value);
  return TRUE;
}

void
gst_gemma4_buffer_add_result_meta (GstBuffer * buf, const GstStructure * result)
{
  GstCustomMeta *meta = gst_buffer_add_custom_meta (buf, GST_GEMMA4_RESULT_META_NAME);
  if (meta == NULL)
    return;
  GstStructure *s = gst_custom_meta_get_structure (meta);
  gst_structure_set_name (s, gst_structure_get_name (result));
  gst_structure_foreach (result, copy_field, s);
}
