/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The HTTP side of the remote layer (see g4remote.h): libsoup 3 requests
 * run asynchronously on the client's own GMainContext, which each call
 * iterates until its operation completes; a per-attempt GCancellable ends
 * an attempt on the caller's cancellable or the deadline, which closes the
 * connection so that the server stops generating. */
#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "g4remote.h"

/* More than any answer of max-tokens holds: a server sending more is
 * broken, and must not grow our memory. */
#define MAX_ANSWER_BYTES (8 << 20)
#define MAX_ERROR_BYTES 4096
#define READ_SIZE 16384
/* First retry after this, doubling, with +-50 % jitter. */
#define RETRY_FIRST (100 * 1000)
/* /health and /v1/models while connecting: this often. */
#define CONNECT_POLL (250 * 1000)

struct _G4RemoteClient
{
  GMainContext *context;
  SoupSession *session;
  G4RemotePool *pool;
  gchar *urls;                  /* the servers' roots, for messages */
  gchar *model;
  gchar *bearer;                /* "Bearer <key>", never logged */
  G4RemoteDialect dialect;
  guint max_retries;
};

/* One asynchronous operation waited for on the client's context. */
typedef struct
{
  GMainContext *context;
  GAsyncResult *result;
} Wait;

static void
wait_done (GObject * source, GAsyncResult * result, gpointer data)
{
  ((Wait *) data)->result = g_object_ref (result);
}

static void
wait_for (Wait * w)
{
  while (!w->result)
    g_main_context_iteration (w->context, TRUE);
}

/* An attempt's cancellable: cancelled by the caller's or at the deadline. */
typedef struct
{
  GCancellable *op;
  GCancellable *outer;
  gulong handler;
  GSource *timer;
  gboolean timed_out;
} Attempt;

static gboolean
attempt_timeout (gpointer data)
{
  Attempt *a = data;

  a->timed_out = TRUE;
  g_cancellable_cancel (a->op);
  return G_SOURCE_REMOVE;
}

static void
outer_cancelled (GCancellable * outer, gpointer op)
{
  g_cancellable_cancel (op);
}

static void
attempt_begin (G4RemoteClient * c, Attempt * a, GCancellable * outer,
    gint64 deadline)
{
  gint64 left = deadline - g_get_monotonic_time ();

  memset (a, 0, sizeof *a);
  a->op = g_cancellable_new ();
  if (outer) {
    a->outer = g_object_ref (outer);
    a->handler = g_cancellable_connect (outer, G_CALLBACK (outer_cancelled),
        a->op, NULL);
  }
  a->timer = g_timeout_source_new ((guint) CLAMP (left / 1000, 0, G_MAXUINT));
  g_source_set_callback (a->timer, attempt_timeout, a, NULL);
  g_source_attach (a->timer, c->context);
}

static void
attempt_end (Attempt * a)
{
  g_source_destroy (a->timer);
  g_source_unref (a->timer);
  if (a->outer) {
    g_cancellable_disconnect (a->outer, a->handler);
    g_object_unref (a->outer);
  }
  g_object_unref (a->op);
}

static gboolean
wake (gpointer woke)
{
  *(gboolean *) woke = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
wake_cancelled (GCancellable * cancellable, gpointer woke)
{
  return wake (woke);
}

/* Sleeps on the context until until (monotonic us) or a cancel. */
static void
sleep_until (G4RemoteClient * c, gint64 until, GCancellable * cancellable)
{
  gint64 left = until - g_get_monotonic_time ();
  GSource *t, *cs = NULL;
  gboolean woke = FALSE;

  if (left <= 0)
    return;
  t = g_timeout_source_new ((guint) MIN (left / 1000 + 1, G_MAXUINT));
  g_source_set_callback (t, wake, &woke, NULL);
  g_source_attach (t, c->context);
  if (cancellable) {
    cs = g_cancellable_source_new (cancellable);
    g_source_set_callback (cs, (GSourceFunc) (void (*)(void)) wake_cancelled,
        &woke, NULL);
    g_source_attach (cs, c->context);
  }
  while (!woke)
    g_main_context_iteration (c->context, TRUE);
  g_source_destroy (t);
  g_source_unref (t);
  if (cs) {
    g_source_destroy (cs);
    g_source_unref (cs);
  }
}

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
  c->context = g_main_context_new ();
  g_main_context_push_thread_default (c->context);
  /* timeouts are ours (the deadline of each request) */
  c->session = soup_session_new_with_options ("timeout", 0,
      "idle-timeout", 30, "user-agent", "gst-gemma4", NULL);
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

static SoupMessage *
new_message (G4RemoteClient * c, const gchar * method, const gchar * url)
{
  SoupMessage *msg = soup_message_new (method, url);

  if (msg && c->bearer)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Authorization", c->bearer);
  return msg;
}

/* Reads the body of msg (at most max bytes, else a PROTOCOL error) into
 * *out, or hands it to sse when not NULL. */
static gboolean
read_body (G4RemoteClient * c, GInputStream * in, Attempt * a, gsize max,
    G4RemoteSse * sse, GByteArray * out, GError ** error)
{
  gsize total = 0;

  for (;;) {
    Wait w = { c->context, NULL };
    GBytes *bytes;
    gsize len;
    const gchar *data;

    g_input_stream_read_bytes_async (in, READ_SIZE, G_PRIORITY_DEFAULT, a->op,
        wait_done, &w);
    wait_for (&w);
    bytes = g_input_stream_read_bytes_finish (in, w.result, error);
    g_object_unref (w.result);
    if (!bytes)
      return FALSE;
    data = g_bytes_get_data (bytes, &len);
    if (len == 0) {
      g_bytes_unref (bytes);
      return TRUE;
    }
    total += len;
    if (total > max) {
      g_bytes_unref (bytes);
      g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_PROTOCOL,
          "the answer is larger than %" G_GSIZE_FORMAT " bytes", max);
      return FALSE;
    }
    if (sse) {
      gboolean more = g4remote_sse_feed (sse, data, len, error);
      g_bytes_unref (bytes);
      if (!more)
        return error == NULL || *error == NULL;
    } else {
      g_byte_array_append (out, (const guint8 *) data, (guint) len);
      g_bytes_unref (bytes);
    }
  }
}

static void
close_stream (G4RemoteClient * c, GInputStream * in)
{
  Wait w = { c->context, NULL };

  g_input_stream_close_async (in, G_PRIORITY_DEFAULT, NULL, wait_done, &w);
  wait_for (&w);
  g_input_stream_close_finish (in, w.result, NULL);
  g_object_unref (w.result);
  g_object_unref (in);
}

/* Sends msg; the response stream, or NULL with error. */
static GInputStream *
send_message (G4RemoteClient * c, SoupMessage * msg, Attempt * a,
    GError ** error)
{
  Wait w = { c->context, NULL };
  GInputStream *in;

  soup_session_send_async (c->session, msg, G_PRIORITY_DEFAULT, a->op,
      wait_done, &w);
  wait_for (&w);
  in = soup_session_send_finish (c->session, w.result, error);
  g_object_unref (w.result);
  return in;
}

/* The error of an attempt that was cancelled: the caller's, or the
 * deadline's. */
static void
set_cancel_error (Attempt * a, const gchar * url, GError ** error)
{
  g_clear_error (error);
  if (a->timed_out)
    g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_TIMEOUT,
        "%s did not answer in time", url);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
}

/* GET url: the body (at most max bytes) and status; NULL with error when
 * nothing came. */
static GByteArray *
get (G4RemoteClient * c, const gchar * url, gint64 deadline,
    GCancellable * cancellable, guint * status, GError ** error)
{
  SoupMessage *msg = new_message (c, "GET", url);
  GByteArray *body = g_byte_array_new ();
  GInputStream *in;
  Attempt a;

  attempt_begin (c, &a, cancellable, deadline);
  in = send_message (c, msg, &a, error);
  if (in) {
    *status = soup_message_get_status (msg);
    if (!read_body (c, in, &a, MAX_ERROR_BYTES * 16, NULL, body, error))
      g_clear_pointer (&body, g_byte_array_unref);
    close_stream (c, in);
  } else {
    g_clear_pointer (&body, g_byte_array_unref);
  }
  if (!body && g_cancellable_is_cancelled (a.op))
    set_cancel_error (&a, url, error);
  attempt_end (&a);
  g_object_unref (msg);
  return body;
}

/* /health of server i: TRUE when it says ok or has none (404). */
static gboolean
probe_health (G4RemoteClient * c, guint i, gint64 deadline,
    GCancellable * cancellable, GError ** error)
{
  gchar *url = g_strconcat (g4remote_pool_root (c->pool, i), "/health", NULL);
  guint status = 0;
  GByteArray *body = get (c, url, deadline, cancellable, &status, error);
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
  GByteArray *body = get (c, url, deadline, cancellable, &status, error);
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
      if (probe_health (c, i, deadline, cancellable, &last)
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
      sleep_until (c, MIN (deadline, g_get_monotonic_time () + CONNECT_POLL),
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

/* What one attempt came to. */
typedef enum
{
  DONE,
  RETRY,                        /* after *retry_after us at least */
  FAIL,
} Outcome;

static gboolean
is_connect_error (const GError * e)
{
  return e->domain == G_IO_ERROR || e->domain == G_RESOLVER_ERROR
      || e->domain == G_TLS_ERROR || e->domain == SOUP_SESSION_ERROR;
}

/* A server answered status: whether a retry may help (429, 502-504) and
 * after how long the server asks. */
static Outcome
status_outcome (SoupMessage * msg, guint status, gint64 * retry_after)
{
  const gchar *ra;

  if (status == 429) {
    ra = soup_message_headers_get_one (soup_message_get_response_headers
        (msg), "Retry-After");
    if (ra && g_ascii_isdigit (*ra))
      *retry_after = g_ascii_strtoll (ra, NULL, 10) * G_USEC_PER_SEC;
    return RETRY;
  }
  return status == 502 || status == 503 || status == 504 ? RETRY : FAIL;
}

typedef struct
{
  G4RemotePieceFunc on_piece;
  gpointer user;
  gboolean any;                 /* a piece went out: no retry after that */
} Relay;

static gboolean
relay_piece (const gchar * text, gsize len, gboolean in_thought, gpointer data)
{
  Relay *r = data;

  r->any = TRUE;
  return r->on_piece (text, len, in_thought, r->user);
}

/* One POST of body to server i. */
static Outcome
chat_attempt (G4RemoteClient * c, guint i, const gchar * body,
    gint64 deadline, Relay * relay, GCancellable * cancellable,
    G4RemoteUsage * usage, gboolean * server_failed, gint64 * retry_after,
    GError ** error)
{
  gchar *url = g_strconcat (g4remote_pool_base (c->pool, i),
      "/chat/completions", NULL);
  SoupMessage *msg = new_message (c, "POST", url);
  GBytes *bytes = g_bytes_new_static (body, strlen (body));
  G4RemoteSse *sse = g4remote_sse_new (relay_piece, relay);
  GByteArray *whole = g_byte_array_new ();
  GInputStream *in;
  Outcome out = FAIL;
  Attempt a;
  guint status;
  const gchar *type;

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
      "Accept", "text/event-stream");
  attempt_begin (c, &a, cancellable, deadline);
  in = send_message (c, msg, &a, error);
  if (!in) {
    if (g_cancellable_is_cancelled (a.op)) {
      set_cancel_error (&a, url, error);
      *server_failed = a.timed_out;
    } else {
      *server_failed = is_connect_error (*error);
      out = *server_failed ? RETRY : FAIL;
    }
    goto done;
  }
  status = soup_message_get_status (msg);
  type = soup_message_headers_get_content_type
      (soup_message_get_response_headers (msg), NULL);
  if (status != 200) {
    GError *ignored = NULL;
    read_body (c, in, &a, MAX_ERROR_BYTES * 16, NULL, whole, &ignored);
    g_clear_error (&ignored);
    g_byte_array_append (whole, (const guint8 *) "", 1);
    out = status_outcome (msg, status, retry_after);
    *server_failed = status >= 502;
    g_set_error (error, G4REMOTE_ERROR, out == RETRY ?
        G4REMOTE_ERROR_UNAVAILABLE : G4REMOTE_ERROR_REFUSED,
        "%s answered %u %s: %.200s", url, status,
        soup_message_get_reason_phrase (msg), (const gchar *) whole->data);
  } else if (!g_strcmp0 (type, "text/event-stream")) {
    if (read_body (c, in, &a, MAX_ANSWER_BYTES, sse, NULL, error)) {
      if (g4remote_sse_finished (sse) || relay->any) {
        out = DONE;
      } else {
        g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_PROTOCOL,
            "%s ended the stream without an answer", url);
      }
    } else if (!*error) {
      /* on_piece asked to stop */
      out = DONE;
    }
    usage->tokens = g4remote_sse_tokens (sse);
  } else if (!g_strcmp0 (type, "application/json")) {
    if (read_body (c, in, &a, MAX_ANSWER_BYTES, NULL, whole, error)
        && g4remote_deliver_completion ((const gchar *) whole->data,
            whole->len, relay_piece, relay, &usage->tokens, error))
      out = DONE;
  } else {
    g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_PROTOCOL,
        "%s answered with content type %s, not text/event-stream", url,
        type ? type : "(none)");
  }
  if (out != DONE && g_cancellable_is_cancelled (a.op)) {
    set_cancel_error (&a, url, error);
    *server_failed = a.timed_out;
    out = FAIL;
  } else if (out == FAIL && *error && (*error)->domain == G_IO_ERROR) {
    /* the connection broke in the middle of the answer */
    *server_failed = TRUE;
  }
  close_stream (c, in);
done:
  attempt_end (&a);
  g_byte_array_unref (whole);
  g4remote_sse_free (sse);
  g_bytes_unref (bytes);
  g_object_unref (msg);
  g_free (url);
  return out;
}

gboolean
g4remote_client_chat (G4RemoteClient * c, const G4RemoteChat * chat,
    gint64 deadline, G4RemotePieceFunc on_piece, gpointer user,
    GCancellable * cancellable, G4RemoteUsage * usage, GError ** error)
{
  const gint64 t0 = g_get_monotonic_time ();
  G4RemoteUsage ignored_usage;
  Relay relay = { on_piece, user, FALSE };
  gchar *body;
  Outcome out = FAIL;
  GError *last = NULL;

  if (!usage)
    usage = &ignored_usage;
  memset (usage, 0, sizeof *usage);
  body = g4remote_chat_body (chat, c->model, c->dialect ==
      G4REMOTE_DIALECT_SGLANG ? G4REMOTE_DIALECT_SGLANG :
      G4REMOTE_DIALECT_OPENAI, error);
  if (!body)
    return FALSE;
  g_main_context_push_thread_default (c->context);
  for (guint attempt = 0; attempt <= c->max_retries; attempt++) {
    gint64 retry_after = 0, retry_at = 0, backoff;
    gboolean probe = FALSE, server_failed = FALSE;
    gint i = g4remote_pool_take (c->pool, &probe, &retry_at);

    g_clear_error (&last);
    if (i < 0) {
      g_set_error (&last, G4REMOTE_ERROR, G4REMOTE_ERROR_UNAVAILABLE,
          "every server at %s failed recently", g4remote_client_get_urls (c));
      out = RETRY;
      retry_after = retry_at - g_get_monotonic_time ();
    } else {
      usage->attempts++;
      if (probe && !probe_health (c, (guint) i, deadline, cancellable, &last)) {
        server_failed = TRUE;
        out = RETRY;
      } else {
        out = chat_attempt (c, (guint) i, body, deadline, &relay, cancellable,
            usage, &server_failed, &retry_after, &last);
      }
      g4remote_pool_release (c->pool, (guint) i, server_failed);
    }
    /* no retry once part of the answer went out, or when the caller
     * cancelled */
    if (out != RETRY || relay.any || attempt == c->max_retries
        || g_cancellable_is_cancelled (cancellable))
      break;
    backoff = (RETRY_FIRST << MIN (attempt, 10));
    backoff = backoff / 2 + g_random_int_range (0, (gint32) MAX (backoff, 1));
    backoff = MAX (backoff, retry_after);
    if (g_get_monotonic_time () + backoff >= deadline) {
      g_prefix_error (&last, "no time left for a retry before the deadline: ");
      break;
    }
    sleep_until (c, g_get_monotonic_time () + backoff, cancellable);
  }
  g_main_context_pop_thread_default (c->context);
  g_free (body);
  usage->seconds = (g_get_monotonic_time () - t0) / 1e6;
  if (out == DONE) {
    g_clear_error (&last);
    return TRUE;
  }
  if (g_cancellable_is_cancelled (cancellable)
      && !(last && last->domain == G_IO_ERROR
          && last->code == G_IO_ERROR_CANCELLED)) {
    g_clear_error (&last);
    g_set_error (&last, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  }
  g_propagate_error (error, last);
  return FALSE;
}
