/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The result records of the gemma4 elements (gstgemma4result.c): the fields
 * every kind has, the status rule (ok, empty, late, dropped, error; text
 * only for ok and late) and the one JSON serializer (escaping, nested
 * arrays and structures, GST_CLOCK_TIME_NONE as null, field order). */
#include <string.h>

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "gstgemma4result.h"

static GstElement *element;

static GstStructure *
new_record (GstClockTime start)
{
  GstSegment segment;

  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.base = 10 * GST_SECOND;
  return gst_gemma4_result_new ("asr", element, "tiny", &segment, start,
      GST_SECOND);
}

static JsonObject *
parse (const gchar * line, JsonParser * parser)
{
  GError *error = NULL;

  g_assert_true (g_str_has_suffix (line, "}\n"));
  g_assert_true (strchr (line, '\n') == line + strlen (line) - 1);
  g_assert_true (json_parser_load_from_data (parser, line, -1, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_common_fields (void)
{
  GstStructure *s = new_record (2 * GST_SECOND);
  guint64 rt = 0;

  g_assert_cmpstr (gst_structure_get_name (s), ==, "gemma4-result");
  g_assert_cmpstr (gst_structure_get_string (s, "kind"), ==, "asr");
  g_assert_cmpstr (gst_structure_get_string (s, "status"), ==, "ok");
  g_assert_cmpstr (gst_structure_get_string (s, "element"), ==, "e");
  g_assert_true (gst_structure_get_uint64 (s, "running_time", &rt));
  g_assert_cmpuint (rt, ==, 12 * GST_SECOND);
  for (const gchar * const *f = (const gchar *[]) { "text", "is_final",
          "start", "duration", "timestamp", "inference_time", "tokens",
      "late", "model", NULL}; *f; f++)
    g_assert_true (gst_structure_has_field (s, *f));
  gst_structure_free (s);
}

static void
test_status_rule (void)
{
  GstStructure *s = new_record (0);

  gst_gemma4_result_set_text (s, "hello");
  g_assert_cmpstr (gst_structure_get_string (s, "status"), ==, "ok");
  g_assert_true (gst_gemma4_result_has_text (s));
  gst_structure_free (s);

  s = new_record (0);
  gst_gemma4_result_set_text (s, "");
  g_assert_cmpstr (gst_structure_get_string (s, "status"), ==, "empty");
  g_assert_false (gst_gemma4_result_has_text (s));
  gst_structure_free (s);

  s = new_record (0);
  gst_structure_set (s, "late", G_TYPE_BOOLEAN, TRUE, NULL);
  gst_gemma4_result_set_text (s, "slow");
  g_assert_cmpstr (gst_structure_get_string (s, "status"), ==, "late");
  g_assert_true (gst_gemma4_result_has_text (s));
  gst_structure_free (s);

  /* dropped and failed stay so, and never carry text */
  s = new_record (0);
  gst_gemma4_result_set_status (s, GST_GEMMA4_STATUS_DROPPED);
  gst_gemma4_result_set_text (s, "x");
  g_assert_cmpstr (gst_structure_get_string (s, "status"), ==, "dropped");
  g_assert_false (gst_gemma4_result_has_text (s));
  gst_gemma4_result_set_status (s, GST_GEMMA4_STATUS_ERROR);
  g_assert_cmpstr (gst_structure_get_string (s, "status"), ==, "error");
  gst_structure_free (s);
  g_print ("status: ok, empty, late, dropped, error; text only ok/late\n");
}

static void
test_json (void)
{
  GstStructure *s = new_record (GST_CLOCK_TIME_NONE);
  GstStructure *inner = gst_structure_new ("object", "label", G_TYPE_STRING,
      "cat", "x_min", G_TYPE_DOUBLE, 0.25, NULL);
  GValue arr = G_VALUE_INIT, v = G_VALUE_INIT;
  JsonParser *parser = json_parser_new ();
  JsonObject *o;
  JsonArray *a;
  GList *members;
  gchar *line;

  gst_value_array_init (&arr, 1);
  g_value_init (&v, GST_TYPE_STRUCTURE);
  gst_value_set_structure (&v, inner);
  gst_value_array_append_and_take_value (&arr, &v);
  gst_structure_take_value (s, "objects", &arr);
  gst_value_array_init (&arr, 1);
  g_value_init (&v, G_TYPE_UINT64);
  g_value_set_uint64 (&v, G_GUINT64_CONSTANT (123456789012));
  gst_value_array_append_and_take_value (&arr, &v);
  gst_structure_take_value (s, "frames", &arr);
  gst_structure_free (inner);
  gst_gemma4_result_set_text (s, "a\"b\\c\n\t\x01 é");

  line = gst_gemma4_result_to_json (s);
  g_print ("json: %s", line);
  o = parse (line, parser);
  g_assert_cmpstr (json_object_get_string_member (o, "text"), ==,
      "a\"b\\c\n\t\x01 é");
  g_assert_true (json_object_get_null_member (o, "start"));
  g_assert_true (json_object_get_null_member (o, "running_time"));
  g_assert_cmpint (json_object_get_int_member (o, "duration"), ==,
      GST_SECOND);
  g_assert_true (json_object_get_boolean_member (o, "is_final"));
  a = json_object_get_array_member (o, "objects");
  g_assert_cmpuint (json_array_get_length (a), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element
          (a, 0), "label"), ==, "cat");
  g_assert_cmpfloat (json_object_get_double_member
      (json_array_get_object_element (a, 0), "x_min"), ==, 0.25);
  a = json_object_get_array_member (o, "frames");
  g_assert_cmpint (json_array_get_int_element (a, 0), ==,
      G_GINT64_CONSTANT (123456789012));
  /* the structure's order: kind first, as in every record */
  members = json_object_get_members (o);
  g_assert_cmpstr (members->data, ==, "kind");
  g_assert_cmpstr (members->next->data, ==, "status");
  g_list_free (members);
  g_free (line);
  g_object_unref (parser);
  gst_structure_free (s);
}

int
main (int argc, char **argv)
{
  gint ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  element = gst_object_ref_sink (gst_bin_new ("e"));
  g_test_add_func ("/result/common-fields", test_common_fields);
  g_test_add_func ("/result/status-rule", test_status_rule);
  g_test_add_func ("/result/json", test_json);
  ret = g_test_run ();
  gst_object_unref (element);
  return ret;
}
