/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --server for transcribe, describe and caption: the same user turn and
 * media sent to an OpenAI-compatible server (the remote layer) instead of
 * the model in this process, the answer streamed into a cli_text. */
#ifndef G4_CLI_REMOTE_ASK_H
#define G4_CLI_REMOTE_ASK_H

#include <stdbool.h>

#include "cli.h"
#include "g4remote.h"

/* --server URL[,URL...], --server-model M, --api-key-env VAR */
typedef struct {
  const char *url, *model, *key_env;
} cli_server_opts;

cli_opt_result cli_server_opt (const char *opt, const char *value, cli_server_opts * o);

/* The usage lines of the options above. */
#define CLI_SERVER_USAGE \
    "  --server URL       ask an OpenAI-compatible server (llama-server, vLLM,\n" \
    "                     SGLang; comma-separated URLs share the load) instead of\n" \
    "                     -m/--mmproj: the same prompt, media as WAV or JPEG\n" \
    "  --server-model M   the model field (default: the server's first model)\n" \
    "  --api-key-env VAR  the bearer token is in environment variable VAR\n"

typedef struct cli_remote cli_remote;

/* Connects (waiting up to 30 s for a server to answer, saying so on
 * stderr); NULL after printing why. */
cli_remote *cli_remote_connect (const cli_server_opts * o);
void cli_remote_free (cli_remote * r);
/* The server's model, for the records. */
const char *cli_remote_model (cli_remote * r);
/* Asks user (with its placeholders for media) with json_schema (may be
 * NULL), greedy unless gen says otherwise; the answer goes into text
 * (echoed when text->echo). false after printing why. */
bool cli_remote_ask (cli_remote * r, const char *user, const G4RemoteMedia * media,
    int n_media, const char *json_schema, const cli_gen_opts * gen, cli_text * text,
    int *tokens);

#endif
