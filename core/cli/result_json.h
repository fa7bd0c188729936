/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The result records of `gemma4-cli --json`: the same JSON objects the
 * gemma4 elements write on their JSON pads (schemas/<kind>.schema.json),
 * one per line on stdout. */
#ifndef G4_CLI_RESULT_JSON_H
#define G4_CLI_RESULT_JSON_H

#include <stdint.h>

#include <json-glib/json-glib.h>

/* Starts a record of kind ("asr", "vision", "caption") with the fields
 * every kind has: status ok (empty without text), text, start and duration
 * in ns (duration < 0: unknown, null), the model file's name, the inference
 * time in ns and the tokens generated. The kind's own fields follow with
 * json_builder_set_member_name and a value. */
JsonBuilder *cli_result_begin (const char *kind, const char *text, int64_t start_ns,
    int64_t duration_ns, const char *model_path, int64_t inference_ns, int tokens);
/* Ends the record, writes it as one line to stdout and frees b. */
void cli_result_print (JsonBuilder * b);

/* Monotonic time in ns, for inference_time. */
int64_t cli_now_ns (void);

#endif
