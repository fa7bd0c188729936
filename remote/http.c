/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The HTTP plumbing of the remote layer (see http.h). */
#include <string.h>

#include "http.h"

#define READ_SIZE 16384

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

void
http_attempt_begin (G4RemoteClient * c, Attempt * a, GCancellable * outer,
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

void
http_attempt_end (Attempt * a)
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

void
http_sleep_until (G4RemoteClient * c, gint64 until, GCancellable * cancellable)
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

SoupMessage *
http_message_new (G4RemoteClient * c, const gchar * method, const gchar * url)
{
  SoupMessage *msg = soup_message_new (method, url);

  if (msg && c->bearer)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Authorization", c->bearer);
  return msg;
}

void
http_run_until (G4RemoteClient * c, const gboolean * flag)
{
  while (!*flag)
    g_main_context_iteration (c->context, TRUE);
}

static void
exchange_closed (GObject * source, GAsyncResult * result, gpointer data)
{
  HttpExchange *x = data;

  g_input_stream_close_finish (x->in, result, NULL);
  x->on_done (x, x->user);
}

static void
exchange_close (HttpExchange * x)
{
  if (!x->in) {
    x->on_done (x, x->user);
    return;
  }
  g_input_stream_close_async (x->in, G_PRIORITY_DEFAULT, NULL,
      exchange_closed, x);
}

static void exchange_read_next (HttpExchange * x);

static void
exchange_read (GObject * source, GAsyncResult * result, gpointer data)
{
  HttpExchange *x = data;
  GBytes *bytes = g_input_stream_read_bytes_finish (x->in, result, &x->error);
  gsize len = 0;
  const gchar *chunk = bytes ? g_bytes_get_data (bytes, &len) : NULL;
  gboolean more = bytes && len > 0;

  x->total += len;
  if (more && x->total > x->max) {
    g_set_error (&x->error, G4REMOTE_ERROR, G4REMOTE_ERROR_PROTOCOL,
        "the answer is larger than %" G_GSIZE_FORMAT " bytes", x->max);
    more = FALSE;
  } else if (more && x->sse) {
    more = g4remote_sse_feed (x->sse, chunk, len, &x->error);
    x->stopped = !more && !x->error;
  } else if (more) {
    g_byte_array_append (x->body, (const guint8 *) chunk, (guint) len);
  }
  if (bytes)
    g_bytes_unref (bytes);
  if (more)
    exchange_read_next (x);
  else
    exchange_close (x);
}

static void
exchange_read_next (HttpExchange * x)
{
  g_input_stream_read_bytes_async (x->in, READ_SIZE, G_PRIORITY_DEFAULT,
      x->a.op, exchange_read, x);
}

static void
body_to_bytes (HttpExchange * x, gpointer user)
{
  x->body = g_byte_array_new ();
  x->max = MAX_ERROR_BYTES * 16;
}

static void
exchange_sent (GObject * source, GAsyncResult * result, gpointer data)
{
  HttpExchange *x = data;

  x->in = soup_session_send_finish (x->c->session, result, &x->error);
  if (!x->in) {
    x->on_done (x, x->user);
    return;
  }
  x->status = soup_message_get_status (x->msg);
  x->on_headers (x, x->user);
  if (x->sse || x->body)
    exchange_read_next (x);
  else
    exchange_close (x);
}

HttpExchange *
http_exchange_start (G4RemoteClient * c, SoupMessage * msg,
    GCancellable * cancellable, gint64 deadline, HttpExchangeFunc on_headers,
    HttpExchangeFunc on_done, gpointer user)
{
  HttpExchange *x = g_new0 (HttpExchange, 1);

  x->c = c;
  x->msg = msg;
  x->on_headers = on_headers ? on_headers : body_to_bytes;
  x->on_done = on_done;
  x->user = user;
  http_attempt_begin (c, &x->a, cancellable, deadline);
  soup_session_send_async (c->session, msg, G_PRIORITY_DEFAULT, x->a.op,
      exchange_sent, x);
  return x;
}

void
http_exchange_free (HttpExchange * x)
{
  http_attempt_end (&x->a);
  if (x->in)
    g_object_unref (x->in);
  if (x->body)
    g_byte_array_unref (x->body);
  g_clear_error (&x->error);
  g_object_unref (x->msg);
  g_free (x);
}

void
http_cancel_error (Attempt * a, const gchar * url, GError ** error)
{
  g_clear_error (error);
  if (a->timed_out)
    g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_TIMEOUT,
        "%s did not answer in time", url);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
}

static void
set_flag (HttpExchange * x, gpointer flag)
{
  *(gboolean *) flag = TRUE;
}

GByteArray *
http_get (G4RemoteClient * c, const gchar * url, gint64 deadline,
    GCancellable * cancellable, guint * status, GError ** error)
{
  gboolean done = FALSE;
  HttpExchange *x;
  GByteArray *body = NULL;

  g_main_context_push_thread_default (c->context);
  x = http_exchange_start (c, http_message_new (c, "GET", url), cancellable,
      deadline, NULL, set_flag, &done);
  http_run_until (c, &done);
  g_main_context_pop_thread_default (c->context);
  if (!x->error) {
    *status = x->status;
    body = g_steal_pointer (&x->body);
  } else if (g_cancellable_is_cancelled (x->a.op)) {
    http_cancel_error (&x->a, url, error);
  } else {
    g_propagate_error (error, g_steal_pointer (&x->error));
  }
  http_exchange_free (x);
  return body;
}
