/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* POST /v1/chat/completions (see g4remote_client_chat): one attempt on the
 * server the pool gives, streamed or whole, and the retries around it. */
#include <string.h>

#include "http.h"

/* More than any answer of max-tokens holds: a server sending more is
 * broken, and must not grow our memory. */
#define MAX_ANSWER_BYTES (8 << 20)
/* First retry after this, doubling, with +-50 % jitter. */
#define RETRY_FIRST (100 * 1000)
/* No attempt starts with less time left: it would time out and count
 * against a server that did nothing wrong, re-arming its back-off, and
 * when the back-off is as long as the jobs' deadline every following job
 * would wait for it to its own deadline and do the same: the server would
 * never be asked again. */
#define MIN_ATTEMPT (G_USEC_PER_SEC / 4)

/* What one attempt came to. */
typedef enum
{
  DONE,
  RETRY,                        /* after retry_after us at least */
  FAIL,
} Outcome;

struct _G4RemoteCall
{
  G4RemoteClient *c;
  gchar *body;
  gint64 t0, deadline;
  GCancellable *cancellable;
  G4RemotePieceFunc on_piece;
  gpointer user;
  gboolean any;                 /* a piece went out: no retry after that */
  G4RemoteCallback done;
  gpointer done_user;

  guint attempt;
  gint server;                  /* of the attempt, -1: none */
  gchar *url;                   /* of the attempt */
  HttpExchange *x;
  Outcome out;
  gboolean server_failed;
  gint64 retry_after;
  GSource *pause, *pause_cancel;        /* the back-off before a retry */

  gboolean finished;
  GError *error;
  G4RemoteUsage usage;
};

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

static gboolean
relay_piece (const gchar * text, gsize len, gboolean in_thought, gpointer data)
{
  G4RemoteCall *call = data;

  call->any = TRUE;
  return call->on_piece (text, len, in_thought, call->user);
}

static void call_try (G4RemoteCall * call);

static void
call_finish (G4RemoteCall * call)
{
  call->usage.seconds = (g_get_monotonic_time () - call->t0) / 1e6;
  if (call->out == DONE) {
    g_clear_error (&call->error);
  } else if (g_cancellable_is_cancelled (call->cancellable)
      && !g_error_matches (call->error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_clear_error (&call->error);
    g_set_error (&call->error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
        "cancelled");
  }
  call->finished = TRUE;
  if (call->done)
    call->done (call, call->done_user);
}

static void
pause_end (G4RemoteCall * call)
{
  g_source_destroy (call->pause);
  g_clear_pointer (&call->pause, g_source_unref);
  g_source_destroy (call->pause_cancel);
  g_clear_pointer (&call->pause_cancel, g_source_unref);
}

static gboolean
pause_over (gpointer data)
{
  G4RemoteCall *call = data;

  pause_end (call);
  call->attempt++;
  call_try (call);
  return G_SOURCE_REMOVE;
}

static gboolean
pause_cancelled (GCancellable * cancellable, gpointer data)
{
  G4RemoteCall *call = data;

  pause_end (call);
  call_finish (call);
  return G_SOURCE_REMOVE;
}

/* After an attempt: the answer, or a retry after the back-off (exponential
 * with jitter, at least what the server asked), never past the deadline. */
static void
call_attempted (G4RemoteCall * call)
{
  gint64 backoff;

  if (call->server >= 0)
    g4remote_pool_release (call->c->pool, (guint) call->server,
        call->server_failed);
  /* no retry once part of the answer went out, or when the caller
   * cancelled */
  if (call->out != RETRY || call->any || call->attempt == call->c->max_retries
      || g_cancellable_is_cancelled (call->cancellable)) {
    call_finish (call);
    return;
  }
  backoff = (RETRY_FIRST << MIN (call->attempt, 10));
  backoff = backoff / 2 + g_random_int_range (0, (gint32) MAX (backoff, 1));
  backoff = MAX (backoff, call->retry_after);
  if (g_get_monotonic_time () + backoff + MIN_ATTEMPT > call->deadline) {
    g_prefix_error (&call->error,
        "no time left for a retry before the deadline: ");
    call_finish (call);
    return;
  }
  call->pause = g_timeout_source_new ((guint) (backoff / 1000 + 1));
  g_source_set_callback (call->pause, pause_over, call, NULL);
  g_source_attach (call->pause, call->c->context);
  call->pause_cancel = g_cancellable_source_new (call->cancellable);
  g_source_set_callback (call->pause_cancel,
      (GSourceFunc) (void (*)(void)) pause_cancelled, call, NULL);
  g_source_attach (call->pause_cancel, call->c->context);
}

/* Where the answer goes: the SSE parser, the whole body (JSON or an
 * error's text), or nowhere (a content type we do not read). */
static void
chat_headers (HttpExchange * x, gpointer data)
{
  G4RemoteCall *call = data;
  const gchar *type = soup_message_headers_get_content_type
      (soup_message_get_response_headers (x->msg), NULL);

  x->max = MAX_ANSWER_BYTES;
  if (x->status != 200) {
    x->body = g_byte_array_new ();
    x->max = MAX_ERROR_BYTES * 16;
  } else if (!g_strcmp0 (type, "text/event-stream")) {
    x->sse = g4remote_sse_new (relay_piece, call);
  } else if (!g_strcmp0 (type, "application/json")) {
    x->body = g_byte_array_new ();
  } else {
    g_set_error (&call->error, G4REMOTE_ERROR, G4REMOTE_ERROR_PROTOCOL,
        "%s answered with content type %s, not text/event-stream", call->url,
        type ? type : "(none)");
  }
}

static void
chat_done (HttpExchange * x, gpointer data)
{
  G4RemoteCall *call = data;
  GError **error = &call->error;

  call->out = FAIL;
  if (!x->in) {
    /* nothing came */
    if (g_cancellable_is_cancelled (x->a.op)) {
      http_cancel_error (&x->a, call->url, error);
      call->server_failed = x->a.timed_out;
    } else {
      g_propagate_error (error, g_steal_pointer (&x->error));
      call->server_failed = is_connect_error (*error);
      call->out = call->server_failed ? RETRY : FAIL;
    }
  } else if (x->status != 200) {
    g_byte_array_append (x->body, (const guint8 *) "", 1);
    call->out = status_outcome (x->msg, x->status, &call->retry_after);
    call->server_failed = x->status >= 502;
    g_set_error (error, G4REMOTE_ERROR, call->out == RETRY ?
        G4REMOTE_ERROR_UNAVAILABLE : G4REMOTE_ERROR_REFUSED,
        "%s answered %u %s: %.200s", call->url, x->status,
        soup_message_get_reason_phrase (x->msg), (const gchar *) x->body->data);
  } else if (x->sse) {
    if (x->error) {
      g_propagate_error (error, g_steal_pointer (&x->error));
    } else if (x->stopped || g4remote_sse_finished (x->sse) || call->any) {
      /* a stop asked by on_piece is success */
      call->out = DONE;
    } else {
      g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_PROTOCOL,
          "%s ended the stream without an answer", call->url);
    }
    call->usage.tokens = g4remote_sse_tokens (x->sse);
  } else if (x->body) {
    if (x->error)
      g_propagate_error (error, g_steal_pointer (&x->error));
    else if (g4remote_deliver_completion ((const gchar *) x->body->data,
            x->body->len, relay_piece, call, &call->usage.tokens, error))
      call->out = DONE;
  }
  if (x->in && call->out != DONE && g_cancellable_is_cancelled (x->a.op)) {
    http_cancel_error (&x->a, call->url, error);
    call->server_failed = x->a.timed_out;
    call->out = FAIL;
  } else if (x->in && call->out == FAIL && *error
      && (*error)->domain == G_IO_ERROR) {
    /* the connection broke in the middle of the answer */
    call->server_failed = TRUE;
  }
  if (x->sse)
    g4remote_sse_free (x->sse);
  call->x = NULL;
  http_exchange_free (x);
  call_attempted (call);
}

/* The POST of the body to the attempt's server. */
static void
chat_send (G4RemoteCall * call)
{
  SoupMessage *msg;
  GBytes *bytes = g_bytes_new_static (call->body, strlen (call->body));

  g_free (call->url);
  call->url = g_strconcat (g4remote_pool_base (call->c->pool,
          (guint) call->server), "/chat/completions", NULL);
  msg = http_message_new (call->c, "POST", call->url);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  g_bytes_unref (bytes);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
      "Accept", "text/event-stream");
  call->x = http_exchange_start (call->c, msg, call->cancellable,
      call->deadline, chat_headers, chat_done, call);
}

/* A server out of back-off answers /health before it gets the chat. */
static void
probe_done (HttpExchange * x, gpointer data)
{
  G4RemoteCall *call = data;
  const gchar *root = g4remote_pool_root (call->c->pool, (guint) call->server);

  call->x = NULL;
  if (x->in && (x->status == 200 || x->status == 404)) {
    http_exchange_free (x);
    chat_send (call);
    return;
  }
  if (x->in)
    g_set_error (&call->error, G4REMOTE_ERROR, G4REMOTE_ERROR_UNAVAILABLE,
        "%s/health answered %u%s", root, x->status,
        x->status == 503 ? " (loading)" : "");
  else if (g_cancellable_is_cancelled (x->a.op))
    http_cancel_error (&x->a, root, &call->error);
  else
    g_propagate_error (&call->error, g_steal_pointer (&x->error));
  http_exchange_free (x);
  call->server_failed = TRUE;
  call->out = RETRY;
  call_attempted (call);
}

/* One attempt on the server the pool gives. */
static void
call_try (G4RemoteCall * call)
{
  gboolean probe = FALSE;
  gint64 retry_at = 0;

  g_clear_error (&call->error);
  call->server_failed = FALSE;
  call->retry_after = 0;
  call->server = g4remote_pool_take (call->c->pool, &probe, &retry_at);
  if (call->server < 0) {
    g_set_error (&call->error, G4REMOTE_ERROR, G4REMOTE_ERROR_UNAVAILABLE,
        "every server at %s failed recently",
        g4remote_client_get_urls (call->c));
    call->out = RETRY;
    call->retry_after = retry_at - g_get_monotonic_time ();
    call_attempted (call);
    return;
  }
  call->usage.attempts++;
  if (probe) {
    gchar *url = g_strconcat (g4remote_pool_root (call->c->pool,
            (guint) call->server), "/health", NULL);
    call->x = http_exchange_start (call->c, http_message_new (call->c, "GET",
            url), call->cancellable, call->deadline, NULL, probe_done, call);
    g_free (url);
  } else {
    chat_send (call);
  }
}

G4RemoteCall *
g4remote_client_chat_start (G4RemoteClient * c, const G4RemoteChat * chat,
    gint64 deadline, G4RemotePieceFunc on_piece, gpointer user,
    GCancellable * cancellable, G4RemoteCallback done, gpointer done_user,
    GError ** error)
{
  G4RemoteCall *call;
  gchar *body = g4remote_chat_body (chat, c->model, c->dialect ==
      G4REMOTE_DIALECT_SGLANG ? G4REMOTE_DIALECT_SGLANG :
      G4REMOTE_DIALECT_OPENAI, error);

  if (!body)
    return NULL;
  call = g_new0 (G4RemoteCall, 1);
  call->c = c;
  call->body = body;
  call->t0 = g_get_monotonic_time ();
  call->deadline = deadline;
  call->cancellable = cancellable ? g_object_ref (cancellable) :
      g_cancellable_new ();
  call->on_piece = on_piece;
  call->user = user;
  call->done = done;
  call->done_user = done_user;
  call_try (call);
  return call;
}

gboolean
g4remote_call_is_finished (G4RemoteCall * call)
{
  return call->finished;
}

void
g4remote_call_wait (G4RemoteCall * call)
{
  http_run_until (call->c, &call->finished);
}

gboolean
g4remote_call_result (G4RemoteCall * call, G4RemoteUsage * usage,
    GError ** error)
{
  if (usage)
    *usage = call->usage;
  if (call->error) {
    g_propagate_error (error, g_error_copy (call->error));
    return FALSE;
  }
  return TRUE;
}

void
g4remote_call_free (G4RemoteCall * call)
{
  if (!call)
    return;
  g_object_unref (call->cancellable);
  g_clear_error (&call->error);
  g_free (call->url);
  g_free (call->body);
  g_free (call);
}

gboolean
g4remote_client_chat (G4RemoteClient * c, const G4RemoteChat * chat,
    gint64 deadline, G4RemotePieceFunc on_piece, gpointer user,
    GCancellable * cancellable, G4RemoteUsage * usage, GError ** error)
{
  G4RemoteCall *call;
  gboolean ok;

  if (usage)
    memset (usage, 0, sizeof *usage);
  g_main_context_push_thread_default (c->context);
  call = g4remote_client_chat_start (c, chat, deadline, on_piece, user,
      cancellable, NULL, NULL, error);
  if (call)
    g4remote_call_wait (call);
  g_main_context_pop_thread_default (c->context);
  if (!call)
    return FALSE;
  ok = g4remote_call_result (call, usage, error);
  g4remote_call_free (call);
  return ok;
}
