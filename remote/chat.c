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
  SoupMessage *msg = http_message_new (c, "POST", url);
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
  http_attempt_begin (c, &a, cancellable, deadline);
  in = http_send (c, msg, &a, error);
  if (!in) {
    if (g_cancellable_is_cancelled (a.op)) {
      http_cancel_error (&a, url, error);
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
    http_read_body (c, in, &a, MAX_ERROR_BYTES * 16, NULL, whole, &ignored);
    g_clear_error (&ignored);
    g_byte_array_append (whole, (const guint8 *) "", 1);
    out = status_outcome (msg, status, retry_after);
    *server_failed = status >= 502;
    g_set_error (error, G4REMOTE_ERROR, out == RETRY ?
        G4REMOTE_ERROR_UNAVAILABLE : G4REMOTE_ERROR_REFUSED,
        "%s answered %u %s: %.200s", url, status,
        soup_message_get_reason_phrase (msg), (const gchar *) whole->data);
  } else if (!g_strcmp0 (type, "text/event-stream")) {
    if (http_read_body (c, in, &a, MAX_ANSWER_BYTES, sse, NULL, error)) {
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
    if (http_read_body (c, in, &a, MAX_ANSWER_BYTES, NULL, whole, error)
        && g4remote_deliver_completion ((const gchar *) whole->data,
            whole->len, relay_piece, relay, &usage->tokens, error))
      out = DONE;
  } else {
    g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_PROTOCOL,
        "%s answered with content type %s, not text/event-stream", url,
        type ? type : "(none)");
  }
  if (out != DONE && g_cancellable_is_cancelled (a.op)) {
    http_cancel_error (&a, url, error);
    *server_failed = a.timed_out;
    out = FAIL;
  } else if (out == FAIL && *error && (*error)->domain == G_IO_ERROR) {
    /* the connection broke in the middle of the answer */
    *server_failed = TRUE;
  }
  http_close (c, in);
done:
  http_attempt_end (&a);
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
      if (probe && !remote_probe_health (c, (guint) i, deadline, cancellable, &last)) {
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
    if (g_get_monotonic_time () + backoff + MIN_ATTEMPT > deadline) {
      g_prefix_error (&last, "no time left for a retry before the deadline: ");
      break;
    }
    http_sleep_until (c, g_get_monotonic_time () + backoff, cancellable);
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
