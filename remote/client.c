/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A client of the remote layer (see g4remote.h): made for its thread, with
 * its own GMainContext and libsoup session, and its wait for a server at
 * start (/health where it exists, /v1/models: the model and the dialect). */
#include <string.h>

#include <json-glib/json-glib.h>

#include "http.h"

/* /health and /v1/models while connecting: this often. */
#define CONNECT_POLL (250 * 1000)
/* Requests one client keeps in flight at most (the elements' max-inflight
 * is below it). */
#define MAX_CONNECTIONS 64

/* "http://a:8080, http://b:8080" */
static gchar *
pool_roots (G4RemotePool * pool)
{
  GString *urls = g_string_new (NULL);

  for (guint i = 0; i < g4remote_pool_size (pool); i++)
    g_string_append_printf (urls, "%s%s", i ? ", " : "",
        g4remote_pool_root (pool, i));
  return g_string_free (urls, FALSE);
}

G4RemoteClient *
g4remote_client_new (const G4RemoteConfig * config, GError ** error)
{
  G4RemoteClient *c;
  G4RemotePool *pool;
  const gchar *key = NULL;

  if (config->api_key_env && *config->api_key_env) {
    key = g_getenv (config->api_key_env);
    if (!key || !*key) {
      g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_CONFIG,
          "the environment variable %s (api-key-env) is not set",
          config->api_key_env);
      return NULL;
    }
  }
  pool = g4remote_pool_get (config->urls, error);
  if (!pool)
    return NULL;
  c = g_new0 (G4RemoteClient, 1);
  c->pool = pool;
  c->context = config->context ? g_main_context_ref (config->context) :
      g_main_context_new ();
  g_main_context_push_thread_default (c->context);
  /* timeouts are ours (the deadline of each request); libsoup's default of
   * two connections per host would queue the requests a caller keeps in
   * flight (max-inflight) behind each other */
  c->session = soup_session_new_with_options ("timeout", 0,
      "idle-timeout", 30, "user-agent", "gst-gemma4",
      "max-conns", MAX_CONNECTIONS, "max-conns-per-host", MAX_CONNECTIONS,
      NULL);
  g_main_context_pop_thread_default (c->context);
  c->model = config->model && *config->model ? g_strdup (config->model) :
      NULL;
  c->bearer = key ? g_strconcat ("Bearer ", key, NULL) : NULL;
  c->dialect = config->dialect;
  c->urls = pool_roots (pool);
  c->max_retries = config->max_retries;
  return c;
}

void
g4remote_client_free (G4RemoteClient * c)
{
  if (!c)
    return;
  g_main_context_push_thread_default (c->context);
  soup_session_abort (c->session);
  g_object_unref (c->session);
  /* what the abort completed */
  while (g_main_context_iteration (c->context, FALSE));
  g_main_context_pop_thread_default (c->context);
  g_main_context_unref (c->context);
  g4remote_pool_unref (c->pool);
  if (c->bearer)
    memset (c->bearer, 0, strlen (c->bearer));
  g_free (c->bearer);
  g_free (c->model);
  g_free (c->urls);
  g_free (c);
}

const gchar *
g4remote_client_get_model (G4RemoteClient * c)
{
  return c->model;
}

const gchar *
g4remote_client_get_urls (G4RemoteClient * c)
{
  return c->urls;
}

gboolean
remote_probe_health (G4RemoteClient * c, guint i, gint64 deadline,
    GCancellable * cancellable, GError ** error)
{
  gchar *url = g_strconcat (g4remote_pool_root (c->pool, i), "/health", NULL);
  guint status = 0;
  GByteArray *body = http_get (c, url, deadline, cancellable, &status, error);
  gboolean ok = body && (status == 200 || status == 404);

  if (body && !ok)
    g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_UNAVAILABLE,
        "%s answered %u%s", url, status, status == 503 ? " (loading)" : "");
  if (body)
    g_byte_array_unref (body);
  g_free (url);
  return ok;
}

/* /v1/models of server i: the first model's id and whether it is SGLang. */
static gboolean
list_models (G4RemoteClient * c, guint i, gint64 deadline,
    GCancellable * cancellable, gchar ** first, gboolean * sglang,
    GError ** error)
{
  gchar *url = g_strconcat (g4remote_pool_base (c->pool, i), "/models", NULL);
  guint status = 0;
  GByteArray *body = http_get (c, url, deadline, cancellable, &status, error);
  JsonParser *parser = json_parser_new ();
  gboolean ok = FALSE;

  if (body && status != 200) {
    g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_UNAVAILABLE,
        "%s answered %u", url, status);
  } else if (body) {
    JsonNode *root = NULL, *data = NULL;
    if (json_parser_load_from_data (parser, (const gchar *) body->data,
            body->len, NULL))
      root = json_parser_get_root (parser);
    if (root && JSON_NODE_HOLDS_OBJECT (root))
      data = json_object_get_member (json_node_get_object (root), "data");
    if (data && JSON_NODE_HOLDS_ARRAY (data)
        && json_array_get_length (json_node_get_array (data)) > 0) {
      JsonNode *m = json_array_get_element (json_node_get_array (data), 0);
      if (JSON_NODE_HOLDS_OBJECT (m)) {
        JsonObject *o = json_node_get_object (m);
        *first = g_strdup (json_object_get_string_member_with_default (o,
                "id", ""));
        *sglang = !g_strcmp0 (json_object_get_string_member_with_default (o,
                "owned_by", ""), "sglang");
        ok = **first != '\0';
      }
    }
    if (!ok)
      g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_PROTOCOL,
          "%s lists no model", url);
  }
  if (body)
    g_byte_array_unref (body);
  g_object_unref (parser);
  g_free (url);
  return ok;
}

gboolean
g4remote_client_connect (G4RemoteClient * c, gint64 deadline,
    G4RemoteProgressFunc progress, gpointer user, GCancellable * cancellable,
    GError ** error)
{
  GError *last = NULL;
  gchar *said = NULL;
  gboolean ok = FALSE;

  g_main_context_push_thread_default (c->context);
  while (!ok && g_get_monotonic_time () < deadline
      && !g_cancellable_is_cancelled (cancellable)) {
    for (guint i = 0; i < g4remote_pool_size (c->pool) && !ok; i++) {
      gchar *first = NULL;
      gboolean sglang = FALSE;
      g_clear_error (&last);
      if (remote_probe_health (c, i, deadline, cancellable, &last)
          && list_models (c, i, deadline, cancellable, &first, &sglang,
              &last)) {
        if (!c->model)
          c->model = g_strdup (first);
        if (c->dialect == G4REMOTE_DIALECT_AUTO)
          c->dialect = sglang ? G4REMOTE_DIALECT_SGLANG :
              G4REMOTE_DIALECT_OPENAI;
        ok = TRUE;
      }
      g_free (first);
      if (!ok && progress && g_strcmp0 (said, last->message)) {
        gchar *text = g_strdup_printf ("Waiting for the server: %s",
            last->message);
        progress (text, user);
        g_free (text);
        g_free (said);
        said = g_strdup (last->message);
      }
    }
    if (!ok)
      http_sleep_until (c, MIN (deadline, g_get_monotonic_time () + CONNECT_POLL),
          cancellable);
  }
  g_main_context_pop_thread_default (c->context);
  if (!ok && g_cancellable_is_cancelled (cancellable))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  else if (!ok)
    g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_UNAVAILABLE,
        "no server answered at %s in time%s%s", g4remote_client_get_urls (c),
        last ? ": " : "", last ? last->message : "");
  g_clear_error (&last);
  g_free (said);
  return ok;
}

