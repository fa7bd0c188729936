/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Result records as JSON lines (see result_json.h). */
#include "result_json.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void
set_time (JsonBuilder * b, const char *name, int64_t ns)
{
  json_builder_set_member_name (b, name);
  if (ns < 0)
    json_builder_add_null_value (b);
  else
    json_builder_add_int_value (b, ns);
}

JsonBuilder *
cli_result_begin (const char *kind, const char *text, int64_t start_ns, int64_t duration_ns,
    const char *model_path, int64_t inference_ns, int tokens)
{
  JsonBuilder *b = json_builder_new ();
  const char *slash = strrchr (model_path, '/');
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, kind);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, *text ? "ok" : "empty");
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, text);
  json_builder_set_member_name (b, "is_final");
  json_builder_add_boolean_value (b, true);
  set_time (b, "start", start_ns);
  set_time (b, "duration", duration_ns);
  /* a file has no clock: its records stand where they start */
  set_time (b, "timestamp", start_ns);
  set_time (b, "running_time", start_ns);
  json_builder_set_member_name (b, "element");
  json_builder_add_string_value (b, "gemma4-cli");
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, slash ? slash + 1 : model_path);
  set_time (b, "inference_time", inference_ns);
  json_builder_set_member_name (b, "tokens");
  json_builder_add_int_value (b, tokens);
  json_builder_set_member_name (b, "late");
  json_builder_add_boolean_value (b, false);
  return b;
}

void
cli_result_print (JsonBuilder * b)
{
  json_builder_end_object (b);
  JsonNode *root = json_builder_get_root (b);
  char *line = json_to_string (root, false);
  puts (line);
  fflush (stdout);
  g_free (line);
  json_node_unref (root);
  g_object_unref (b);
}

int64_t
cli_now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}
