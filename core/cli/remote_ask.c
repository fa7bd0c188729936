/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4-cli --server (see remote_ask.h). */
#include <stdio.h>
#include <string.h>

#include "remote_ask.h"

/* A server gets this long to start answering (a loading one), a request
 * to finish. */
#define CONNECT_SECONDS 30
#define REQUEST_SECONDS 600

struct cli_remote {
  G4RemoteClient *client;
};

cli_opt_result
cli_server_opt (const char *a, const char *v, cli_server_opts * o)
{
  const char **slot = !strcmp (a, "--server") ? &o->url : !strcmp (a, "--server-model") ?
      &o->model : !strcmp (a, "--api-key-env") ? &o->key_env : NULL;
  if (!slot)
    return CLI_UNKNOWN;
  *slot = v;
  return v && *v ? CLI_VALUE : CLI_BAD;
}

static void
say_waiting (const gchar * text, gpointer user)
{
  fprintf (stderr, "gemma4-cli: %s\n", text);
}

cli_remote *
cli_remote_connect (const cli_server_opts * o)
{
  const G4RemoteConfig config = { o->url, o->model, o->key_env, G4REMOTE_DIALECT_AUTO, 2,
    NULL
  };
  GError *error = NULL;
  cli_remote *r = g_new0 (cli_remote, 1);

  r->client = g4remote_client_new (&config, &error);
  if (r->client && !g4remote_client_connect (r->client,
          g_get_monotonic_time () + CONNECT_SECONDS * G_USEC_PER_SEC, say_waiting, NULL,
          NULL, &error))
    g_clear_pointer (&r->client, g4remote_client_free);
  if (!r->client) {
    fprintf (stderr, "gemma4-cli: --server: %s\n", error->message);
    g_error_free (error);
    g_free (r);
    return NULL;
  }
  return r;
}

void
cli_remote_free (cli_remote * r)
{
  if (!r)
    return;
  g4remote_client_free (r->client);
  g_free (r);
}

const char *
cli_remote_model (cli_remote * r)
{
  return g4remote_client_get_model (r->client);
}

static gboolean
to_text (const gchar * text, gsize len, gboolean in_thought, gpointer t)
{
  return cli_text_piece (text, (int) len, in_thought, t);
}

bool
cli_remote_ask (cli_remote * r, const char *user, const G4RemoteMedia * media, int n_media,
    const char *json_schema, const cli_gen_opts * gen, cli_text * text, int *tokens)
{
  const G4RemoteChat chat = {.user = user,.media = media,.n_media = (guint) n_media,
    .max_tokens = (guint) gen->max_tokens,.temperature = gen->sampling.temperature,
    .top_p = gen->sampling.top_p,.min_p = gen->sampling.min_p,
    .top_k = (guint) gen->sampling.top_k,.seed = gen->sampling.seed,
    .json_schema = json_schema
  };
  G4RemoteUsage usage = { 0 };
  GError *error = NULL;

  cli_text_clear (text);
  if (!g4remote_client_chat (r->client, &chat,
          g_get_monotonic_time () + REQUEST_SECONDS * G_USEC_PER_SEC, to_text, text, NULL,
          &usage, &error)) {
    fprintf (stderr, "%sgemma4-cli: --server: %s\n", text->echo && text->len ? "\n" : "",
        error->message);
    g_error_free (error);
    return false;
  }
  *tokens = (int) usage.tokens;
  return true;
}
