/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The HTTP plumbing of the remote layer (see http.h). */
#include <string.h>

#include "http.h"

#define READ_SIZE 16384

/* One asynchronous operation waited for on the client's context. */
typedef struct
{
  GMainContext *context;
  GAsyncResult *result;
} Wait;

static void
http_wait_done (GObject * source, GAsyncResult * result, gpointer data)
{
  ((Wait *) data)->result = g_object_ref (result);
}

static void
http_wait_for (Wait * w)
{
  while (!w->result)
    g_main_context_iteration (w->context, TRUE);
}

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

gboolean
http_read_body (G4RemoteClient * c, GInputStream * in, Attempt * a, gsize max,
    G4RemoteSse * sse, GByteArray * out, GError ** error)
{
  gsize total = 0;

  for (;;) {
    Wait w = { c->context, NULL };
    GBytes *bytes;
    gsize len;
    const gchar *data;

    g_input_stream_read_bytes_async (in, READ_SIZE, G_PRIORITY_DEFAULT, a->op,
        http_wait_done, &w);
    http_wait_for (&w);
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

void
http_close (G4RemoteClient * c, GInputStream * in)
{
  Wait w = { c->context, NULL };

  g_input_stream_close_async (in, G_PRIORITY_DEFAULT, NULL, http_wait_done, &w);
  http_wait_for (&w);
  g_input_stream_close_finish (in, w.result, NULL);
  g_object_unref (w.result);
  g_object_unref (in);
}

GInputStream *
http_send (G4RemoteClient * c, SoupMessage * msg, Attempt * a,
    GError ** error)
{
  Wait w = { c->context, NULL };
  GInputStream *in;

  soup_session_send_async (c->session, msg, G_PRIORITY_DEFAULT, a->op,
      http_wait_done, &w);
  http_wait_for (&w);
  in = soup_session_send_finish (c->session, w.result, error);
  g_object_unref (w.result);
  return in;
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

GByteArray *
http_get (G4RemoteClient * c, const gchar * url, gint64 deadline,
    GCancellable * cancellable, guint * status, GError ** error)
{
  SoupMessage *msg = http_message_new (c, "GET", url);
  GByteArray *body = g_byte_array_new ();
  GInputStream *in;
  Attempt a;

  http_attempt_begin (c, &a, cancellable, deadline);
  in = http_send (c, msg, &a, error);
  if (in) {
    *status = soup_message_get_status (msg);
    if (!http_read_body (c, in, &a, MAX_ERROR_BYTES * 16, NULL, body, error))
      g_clear_pointer (&body, g_byte_array_unref);
    http_close (c, in);
  } else {
    g_clear_pointer (&body, g_byte_array_unref);
  }
  if (!body && g_cancellable_is_cancelled (a.op))
    http_cancel_error (&a, url, error);
  http_attempt_end (&a);
  g_object_unref (msg);
  return body;
}

