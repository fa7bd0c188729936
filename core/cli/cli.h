/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4-cli: shared option parsing and the subcommand entry points. */
#ifndef G4_CLI_H
#define G4_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gemma4.h"

typedef struct {
  const char *name;
  const char *summary;
  const char *usage;            /* full --help text */
  int (*run) (int argc, char **argv);
} cli_command;

/* Common options every model subcommand accepts. */
typedef struct {
  const char *model;
  int n_threads;
  int n_ctx;
  g4_kv_type kv_type;
} cli_model_opts;

/* What a command's option handler did with argv[i] (and its value, NULL when
 * argv[i] is the last argument). */
typedef enum { CLI_UNKNOWN, CLI_FLAG, CLI_VALUE, CLI_BAD } cli_opt_result;
typedef cli_opt_result (*cli_opt_fn) (const char *opt, const char *value, void *user);

/* Parses argv[1..]: the common model options into o, the rest through fn.
 * Returns 0, or 2 after printing a usage error. */
int cli_parse (const cli_command * c, int argc, char **argv, cli_model_opts * o,
    cli_opt_fn fn, void *user);
/* Parse a strictly formatted number in [min, max]; false with a message
 * otherwise. */
bool cli_int (const char *opt, const char *s, long min, long max, int *out);
bool cli_float (const char *opt, const char *s, float min, float max, float *out);
int cli_usage_error (const cli_command * c, const char *fmt, ...);
g4_model *cli_load_model (const char *path, bool vocab_only);
g4_session *cli_new_session (const g4_model * m, const cli_model_opts * o, int n_batch);

/* --image-size native|budget and --max-soft-tokens N, for the commands that
 * encode images. */
typedef struct {
  g4_image_sizing sizing;
  int max_soft_tokens;          /* 0: the sizing rule's default */
} cli_image_opts;
cli_opt_result cli_image_opt (const char *opt, const char *value, cli_image_opts * o);

/* --temp T, --seed S and -n MAX_TOKENS, for the commands that generate. */
typedef struct {
  g4_sampler_params sampling;
  int max_tokens;
} cli_gen_opts;
cli_opt_result cli_gen_opt (const char *opt, const char *value, cli_gen_opts * o);

/* What describe and caption share: the input file (the first argument that
 * is not an option), --mmproj, -p/--prompt and the image and generation
 * options above. */
typedef struct {
  const char *file, *mmproj, *prompt;
  cli_image_opts img;
  cli_gen_opts gen;
} cli_vision_opts;
cli_opt_result cli_vision_opt (const char *opt, const char *value, cli_vision_opts * o);

/* Loads an mmproj file that has a vision (or, when audio, an audio) encoder
 * and a text model with a tokenizer and the same width. false after
 * printing what is wrong. */
bool cli_load_mm (const char *model_path, const char *mmproj_path, bool audio, g4_model ** m,
    g4_mmproj ** mm);

/* Answer text gathered while generating (thoughts left out), also streamed
 * to stdout when echo. */
typedef struct {
  char *s;                      /* NUL terminated once a piece arrived */
  size_t len, cap;
  bool echo;
} cli_text;
bool cli_text_piece (const char *text, int len, bool in_thought, void *user);
/* Empties t (keeping its buffer) for the next answer. */
void cli_text_clear (cli_text * t);

/* Makes s one line of text: whitespace runs (newlines included) become one
 * space, none is left at either end. */
void cli_squeeze_spaces (char *s);

/* Opens path for writing (binary); NULL after printing why it cannot. */
FILE *cli_open_output (const char *path);
/* Closes f, opened on path by cli_open_output; false after printing why what
 * was written did not all reach the file (the system's reason). */
bool cli_close_output (FILE * f, const char *path);
/* Writes n_rows rows of row_len floats to path; false after printing why it
 * cannot. */
bool cli_write_rows (const char *path, const float *x, int row_len, int n_rows);

/* Appends SRT block number n: "n", "HH:MM:SS,mmm --> HH:MM:SS,mmm", text, a
 * blank line. */
void cli_srt_block (FILE * f, int n, int64_t start_ms, int64_t end_ms, const char *text);
/* "HH:MM:SS" then sep and the milliseconds (negative times as 0). */
void cli_format_hms (int64_t ms, char sep, char *out, size_t size);

/* Renders content (with one "<|image|>" placeholder per media item) as a
 * user turn, thinking off, and generates from an emptied session, pieces
 * going to p->on_piece. Running out of context while generating is reported
 * and not an error (the text so far is the answer); a prompt that does not
 * fit is one. */
g4_status cli_generate_media (g4_session * s, const g4_model * m, const char *content,
    const g4_media * media, int n_media, const g4_generate_params * p, g4_error * err);

extern const cli_command cmd_info, cmd_tokenize, cmd_logits, cmd_generate, cmd_bench, cmd_embed,
    cmd_transcribe, cmd_describe, cmd_caption;

#endif
