/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The remote layer: inference handed to OpenAI-compatible serving engines
 * (llama-server, vLLM, SGLang) over HTTP. GLib, libsoup 3 and json-glib;
 * sees the public gemma4.h only (HACKING.md, "Layers"); used by the plugin
 * (backend=openai) and by gemma4-cli (--server).
 *
 * A client belongs to one thread at a time: its requests run
 * asynchronously on its GMainContext (its own, or the caller's), which
 * the blocking calls iterate until the answer is complete, the deadline
 * passes or the cancellable fires (from any thread); several requests may
 * be in flight at once (g4remote_client_chat_start), progressing whenever
 * the context is iterated. Servers are shared process-wide by URL list (g4remote_pool):
 * a request goes to the one with the fewest requests in flight; one that
 * fails is left alone for a back-off period, then probed (/health) before
 * it gets requests again. */
#ifndef G4REMOTE_H
#define G4REMOTE_H

#include <gio/gio.h>

G_BEGIN_DECLS

#define G4REMOTE_ERROR (g4remote_error_quark ())
GQuark g4remote_error_quark (void);

typedef enum
{
  G4REMOTE_ERROR_CONFIG,        /* a bad URL, an unset api-key variable */
  G4REMOTE_ERROR_TIMEOUT,       /* the deadline passed */
  G4REMOTE_ERROR_UNAVAILABLE,   /* no server answered (after the retries) */
  G4REMOTE_ERROR_PROTOCOL,      /* an answer that is not a chat completion */
  G4REMOTE_ERROR_REFUSED,       /* the server refused the request (4xx, 500) */
} G4RemoteError;

typedef enum
{
  G4REMOTE_DIALECT_AUTO,        /* sglang when /v1/models says so, else openai */
  G4REMOTE_DIALECT_OPENAI,      /* audio as input_audio {data, format} */
  G4REMOTE_DIALECT_SGLANG,      /* audio as audio_url with a data URI */
} G4RemoteDialect;

/* What a client is made from. */
typedef struct
{
  const gchar *urls;            /* "http://host:8080[,http://other:8080]" */
  const gchar *model;           /* NULL or "": the first of GET /v1/models */
  const gchar *api_key_env;     /* NULL or "": no Authorization header */
  G4RemoteDialect dialect;
  guint max_retries;
  GMainContext *context;        /* NULL: a new one */
} G4RemoteConfig;

typedef struct _G4RemoteClient G4RemoteClient;

/* A client for the calling thread. Fails (CONFIG) on a URL that is not
 * http(s) or an api_key_env variable that is not set; the key is read
 * here and never appears in a message. */
G4RemoteClient *g4remote_client_new (const G4RemoteConfig * config,
    GError ** error);
void g4remote_client_free (G4RemoteClient * c);

typedef void (*G4RemoteProgressFunc) (const gchar * text, gpointer user);

/* Waits until a server answers /health (where it exists) and /v1/models,
 * calling progress with what it waits for; learns the model (when not
 * configured) and the dialect (auto). deadline: monotonic us. */
gboolean g4remote_client_connect (G4RemoteClient * c, gint64 deadline,
    G4RemoteProgressFunc progress, gpointer user, GCancellable * cancellable,
    GError ** error);
/* The model requests name (known after connect), or NULL. */
const gchar *g4remote_client_get_model (G4RemoteClient * c);
/* The URL list, for messages. */
const gchar *g4remote_client_get_urls (G4RemoteClient * c);

/* One media item of a chat, in the order of the placeholders. */
typedef struct
{
  gboolean is_audio;            /* WAV for "<|audio|>", else JPEG for "<|image|>" */
  GBytes *data;
} G4RemoteMedia;

/* A chat request, as the local engine renders it. */
typedef struct
{
  const gchar *system;          /* NULL: no system turn */
  const gchar *user;            /* the user turn, "<|image|>" and "<|audio|>" where media goes */
  const G4RemoteMedia *media;
  guint n_media;
  gboolean thinking;
  guint max_tokens;
  gdouble temperature, top_p, min_p;
  guint top_k;
  guint64 seed;
  const gchar *json_schema;     /* NULL, or the schema the answer follows */
} G4RemoteChat;

/* Called with each piece of the answer; in_thought for the reasoning the
 * server reports apart. Return FALSE to stop (the connection is closed and
 * the server stops generating). */
typedef gboolean (*G4RemotePieceFunc) (const gchar * text, gsize len,
    gboolean in_thought, gpointer user);

typedef struct
{
  guint tokens;                 /* completion tokens (the server's count, else the pieces) */
  gdouble seconds;              /* from the request to the last piece */
  guint attempts;
} G4RemoteUsage;

/* POST /v1/chat/completions with stream: true. Retries connect errors, 429
 * (after Retry-After) and 502/503/504 up to max_retries times with
 * exponential back-off and jitter, never past deadline (monotonic us) and
 * never with less than 0.25 s left before it. A stop asked by on_piece is
 * success. usage may be NULL. */
gboolean g4remote_client_chat (G4RemoteClient * c, const G4RemoteChat * chat,
    gint64 deadline, G4RemotePieceFunc on_piece, gpointer user,
    GCancellable * cancellable, G4RemoteUsage * usage, GError ** error);

/* A request in flight (g4remote_client_chat_start). */
typedef struct _G4RemoteCall G4RemoteCall;
typedef void (*G4RemoteCallback) (G4RemoteCall * call, gpointer user);

/* Starts what g4remote_client_chat does without waiting: the request runs
 * as the client's context is iterated, on_piece is called from there and
 * done (may be NULL) once it ended (possibly before this returns). The
 * context (config.context) must be the calling thread's thread-default
 * one (g_main_context_push_thread_default) from now until the call ended.
 * NULL with error when the chat cannot be sent (see g4remote_chat_body). */
G4RemoteCall *g4remote_client_chat_start (G4RemoteClient * c,
    const G4RemoteChat * chat, gint64 deadline, G4RemotePieceFunc on_piece,
    gpointer user, GCancellable * cancellable, G4RemoteCallback done,
    gpointer done_user, GError ** error);
gboolean g4remote_call_is_finished (G4RemoteCall * call);
/* Iterates the client's context until call ended. */
void g4remote_call_wait (G4RemoteCall * call);
/* Once ended: what g4remote_client_chat returns. */
gboolean g4remote_call_result (G4RemoteCall * call, G4RemoteUsage * usage,
    GError ** error);
/* Once ended. */
void g4remote_call_free (G4RemoteCall * call);

/* ---- request parts (chat_body.c) -------------------------------------- */

/* The request body of chat for model in dialect (JSON text). FALSE with
 * error when the placeholders and the media disagree. */
gchar *g4remote_chat_body (const G4RemoteChat * chat, const gchar * model,
    G4RemoteDialect dialect, GError ** error);
/* The JSON schema of a detection answer: a list of at most max_objects (0:
 * no limit) {"box_2d": [4 integers 0-1000], "label": one of labels or any
 * string when n_labels is 0}. */
gchar *g4remote_detection_schema (const gchar * const *labels, guint n_labels,
    guint max_objects);
/* The JSON schema of a classification answer: one of the labels, as a
 * JSON string (what servers constrain an answer to; the local engine's
 * choice constraint writes the bare label). */
gchar *g4remote_choice_schema (const gchar * const *labels, guint n_labels);
/* The label of such an answer: a JSON string decoded, else the text as it
 * came (trimmed): a server that ignored the schema is still understood. */
gchar *g4remote_choice_answer (const gchar * text);
/* The size a width x height image goes to a server at: scaled down (never
 * up) to about max_soft_tokens patches of 48 pixels (the vision encoder's
 * 16-pixel patches pooled 3 x 3), as image-size=budget sizes it. */
void g4remote_image_size (gint width, gint height, guint max_soft_tokens,
    gint * out_width, gint * out_height);
/* 16-bit PCM WAV of mono float samples at rate. */
GBytes *g4remote_wav_new (const gfloat * pcm, gsize n, guint rate);

/* ---- server-sent events (sse.c) ---------------------------------------- */

typedef struct _G4RemoteSse G4RemoteSse;

G4RemoteSse *g4remote_sse_new (G4RemotePieceFunc on_piece, gpointer user);
void g4remote_sse_free (G4RemoteSse * s);
/* Feeds bytes of the stream. FALSE with error (PROTOCOL) on an event that
 * is not a chat completion chunk; FALSE without error once on_piece asked
 * to stop or the stream said [DONE]. */
gboolean g4remote_sse_feed (G4RemoteSse * s, const gchar * data, gsize len,
    GError ** error);
/* Whether [DONE] or a finish_reason was seen. */
gboolean g4remote_sse_finished (G4RemoteSse * s);
/* The completion tokens the server reported (usage), or the pieces seen. */
guint g4remote_sse_tokens (G4RemoteSse * s);
/* A whole (not streamed) chat completion, delivered as one piece. */
gboolean g4remote_deliver_completion (const gchar * json, gsize len,
    G4RemotePieceFunc on_piece, gpointer user, guint * tokens,
    GError ** error);

/* ---- the servers (pool.c) ---------------------------------------------- */

typedef struct _G4RemotePool G4RemotePool;

/* The process-wide pool of urls (comma-separated; "/v1" appended when
 * absent), shared by every client naming the same list. */
G4RemotePool *g4remote_pool_get (const gchar * urls, GError ** error);
void g4remote_pool_unref (G4RemotePool * p);
guint g4remote_pool_size (G4RemotePool * p);
/* The API base of server i ("http://host:8080/v1"). */
const gchar *g4remote_pool_base (G4RemotePool * p, guint i);
/* The server root ("http://host:8080"), for /health. */
const gchar *g4remote_pool_root (G4RemotePool * p, guint i);
/* Takes the usable server with the fewest requests in flight (ties in
 * turn), counting one more in flight on it; *probe is TRUE when it comes
 * out of back-off and must answer /health first. -1 when every server is
 * backing off, with *retry_at the earliest end of it (monotonic us). */
gint g4remote_pool_take (G4RemotePool * p, gboolean * probe, gint64 * retry_at);
/* Ends a request on server i: failed puts it in back-off (doubling from
 * 0.25 s to 2 s), success ends that. */
void g4remote_pool_release (G4RemotePool * p, guint i, gboolean failed);

G_END_DECLS

#endif /* G4REMOTE_H */
