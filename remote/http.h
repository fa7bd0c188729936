/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Inside the remote layer: the client's state and the HTTP plumbing its
 * calls share (http.c): libsoup 3 exchanges running asynchronously on the
 * client's GMainContext (the blocking calls iterate it until theirs is
 * done, so other exchanges progress meanwhile), each attempt with a
 * GCancellable that the caller's cancellable or the deadline cancels,
 * which closes the connection so that the server stops generating. */
#ifndef G4REMOTE_HTTP_H
#define G4REMOTE_HTTP_H

#include <libsoup/soup.h>

#include "g4remote.h"

/* An error answer is read this far, for its message. */
#define MAX_ERROR_BYTES 4096

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

/* An attempt's cancellable: cancelled by the caller's or at the deadline. */
typedef struct
{
  GCancellable *op;
  GCancellable *outer;
  gulong handler;
  GSource *timer;
  gboolean timed_out;
} Attempt;

/* Starts an attempt ending at deadline (monotonic us) or when outer (may
 * be NULL) is cancelled. */
void http_attempt_begin (G4RemoteClient * c, Attempt * a, GCancellable * outer,
    gint64 deadline);
void http_attempt_end (Attempt * a);
/* Sleeps on the client's context until until (monotonic us) or a cancel. */
void http_sleep_until (G4RemoteClient * c, gint64 until,
    GCancellable * cancellable);
/* Iterates the client's context until *flag is set. */
void http_run_until (G4RemoteClient * c, const gboolean * flag);
/* A request to url with the client's Authorization header. */
SoupMessage *http_message_new (G4RemoteClient * c, const gchar * method,
    const gchar * url);

typedef struct _HttpExchange HttpExchange;
typedef void (*HttpExchangeFunc) (HttpExchange * x, gpointer user);

/* One request and its answer, asynchronous on the client's context: sent,
 * then on_headers chooses where the body goes (sse, body or nowhere, at
 * most max bytes, else a PROTOCOL error), then it is read and the stream
 * closed, then on_done. */
struct _HttpExchange
{
  G4RemoteClient *c;
  SoupMessage *msg;
  Attempt a;
  GInputStream *in;             /* NULL: nothing came (see error) */
  guint status;
  /* set by on_headers */
  G4RemoteSse *sse;
  GByteArray *body;             /* when sse is NULL; NULL: not read */
  gsize max;
  /* the outcome */
  gsize total;
  gboolean stopped;             /* sse asked to stop, without an error */
  GError *error;
  HttpExchangeFunc on_headers, on_done;
  gpointer user;
};

/* Sends msg (taken) within deadline or until cancellable; on_headers may
 * be NULL (the body read into x->body, at most 64 KiB). The client's
 * context must be the thread-default one (libsoup attaches its sources
 * there) whenever this runs or the context is iterated. */
HttpExchange *http_exchange_start (G4RemoteClient * c, SoupMessage * msg,
    GCancellable * cancellable, gint64 deadline, HttpExchangeFunc on_headers,
    HttpExchangeFunc on_done, gpointer user);
/* After on_done. */
void http_exchange_free (HttpExchange * x);
/* The error of a cancelled attempt: the caller's, or the deadline's. */
void http_cancel_error (Attempt * a, const gchar * url, GError ** error);
/* GET url: the body (at most 64 KiB) and status; NULL with error when
 * nothing came. */
GByteArray *http_get (G4RemoteClient * c, const gchar * url, gint64 deadline,
    GCancellable * cancellable, guint * status, GError ** error);
/* /health of server i (client.c): TRUE when it says ok or has none. */
gboolean remote_probe_health (G4RemoteClient * c, guint i, gint64 deadline,
    GCancellable * cancellable, GError ** error);

#endif /* G4REMOTE_HTTP_H */
