/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Result records and their one JSON serializer (see gstgemma4result.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <json-glib/json-glib.h>

#include "gstgemma4result.h"

static const gchar *const status_nicks[] = {
  [GST_GEMMA4_STATUS_OK] = "ok",
  [GST_GEMMA4_STATUS_EMPTY] = "empty",
  [GST_GEMMA4_STATUS_DROPPED] = "dropped",
  [GST_GEMMA4_STATUS_LATE] = "late",
  [GST_GEMMA4_STATUS_ERROR] = "error",
};

GstStructure *
gst_gemma4_result_new (const gchar * kind, GstElement * element,
    const gchar * model, const GstSegment * segment, GstClockTime start,
    GstClockTime duration)
{
  return gst_structure_new (GST_GEMMA4_RESULT_NAME,
      "kind", G_TYPE_STRING, kind,
      "status", G_TYPE_STRING, status_nicks[GST_GEMMA4_STATUS_OK],
      "text", G_TYPE_STRING, "",
      "is_final", G_TYPE_BOOLEAN, TRUE,
      "start", G_TYPE_UINT64, start,
      "duration", G_TYPE_UINT64, duration,
      "timestamp", G_TYPE_UINT64, start,
      "running_time", G_TYPE_UINT64,
      gst_segment_to_running_time (segment, GST_FORMAT_TIME, start),
      "element", G_TYPE_STRING, GST_ELEMENT_NAME (element),
      "model", G_TYPE_STRING, model ? model : "",
      "inference_time", G_TYPE_UINT64, (guint64) 0,
      "tokens", G_TYPE_UINT, 0, "late", G_TYPE_BOOLEAN, FALSE, NULL);
}

void
gst_gemma4_result_set_status (GstStructure * result, GstGemma4Status status)
{
  gst_structure_set (result, "status", G_TYPE_STRING, status_nicks[status],
      NULL);
}

void
gst_gemma4_result_set_text (GstStructure * result, const gchar * text)
{
  gboolean late = FALSE;

  gst_structure_set (result, "text", G_TYPE_STRING, text, NULL);
  if (g_strcmp0 (gst_structure_get_string (result, "status"), "ok") != 0)
    return;
  gst_structure_get_boolean (result, "late", &late);
  if (!text[0])
    gst_gemma4_result_set_status (result, GST_GEMMA4_STATUS_EMPTY);
  else if (late)
    gst_gemma4_result_set_status (result, GST_GEMMA4_STATUS_LATE);
}

gboolean
gst_gemma4_result_has_text (const GstStructure * result)
{
  const gchar *status = gst_structure_get_string (result, "status");
  const gchar *text = gst_structure_get_string (result, "text");

  return text && text[0] && (!g_strcmp0 (status, "ok")
      || !g_strcmp0 (status, "late"));
}

/* ---- JSON ------------------------------------------------------------- */

static JsonNode *structure_to_node (const GstStructure * s);

static JsonNode *
value_to_node (const GValue * v)
{
  GType t = G_VALUE_TYPE (v);
  JsonNode *node;

  if (t == G_TYPE_UINT64 && g_value_get_uint64 (v) == GST_CLOCK_TIME_NONE)
    return json_node_new (JSON_NODE_NULL);
  if (t == GST_TYPE_ARRAY || t == GST_TYPE_LIST) {
    gboolean is_array = t == GST_TYPE_ARRAY;
    guint n = is_array ? gst_value_array_get_size (v) :
        gst_value_list_get_size (v);
    JsonArray *a = json_array_sized_new (n);
    for (guint i = 0; i < n; i++)
      json_array_add_element (a, value_to_node (is_array ?
              gst_value_array_get_value (v, i) :
              gst_value_list_get_value (v, i)));
    node = json_node_new (JSON_NODE_ARRAY);
    json_node_take_array (node, a);
    return node;
  }
  if (t == GST_TYPE_STRUCTURE)
    return structure_to_node (gst_value_get_structure (v));

  node = json_node_new (JSON_NODE_VALUE);
  switch (G_TYPE_FUNDAMENTAL (t)) {
    case G_TYPE_STRING:
      json_node_set_string (node, g_value_get_string (v) ?
          g_value_get_string (v) : "");
      break;
    case G_TYPE_BOOLEAN:
      json_node_set_boolean (node, g_value_get_boolean (v));
      break;
    case G_TYPE_INT:
      json_node_set_int (node, g_value_get_int (v));
      break;
    case G_TYPE_UINT:
      json_node_set_int (node, g_value_get_uint (v));
      break;
    case G_TYPE_INT64:
      json_node_set_int (node, g_value_get_int64 (v));
      break;
    case G_TYPE_UINT64:
      json_node_set_int (node, (gint64) g_value_get_uint64 (v));
      break;
    case G_TYPE_FLOAT:
      json_node_set_double (node, g_value_get_float (v));
      break;
    case G_TYPE_DOUBLE:
      json_node_set_double (node, g_value_get_double (v));
      break;
    default:{
      /* enums and the like: their GStreamer text form */
      gchar *str = gst_value_serialize (v);
      json_node_set_string (node, str ? str : "");
      g_free (str);
      break;
    }
  }
  return node;
}

static gboolean
add_member (GQuark field, const GValue * value, gpointer object)
{
  json_object_set_member (object, g_quark_to_string (field),
      value_to_node (value));
  return TRUE;
}

static JsonNode *
structure_to_node (const GstStructure * s)
{
  JsonObject *o = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  gst_structure_foreach (s, add_member, o);
  json_node_take_object (node, o);
  return node;
}

gchar *
gst_gemma4_result_to_json (const GstStructure * result)
{
  JsonNode *node = structure_to_node (result);
  gchar *json = json_to_string (node, FALSE);
  gchar *line = g_strconcat (json, "\n", NULL);

  g_free (json);
  json_node_unref (node);
  return line;
}
