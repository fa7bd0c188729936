/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The servers of a URL list, shared by every client of the process that
 * names the same list, so elements spread their requests over them
 * together: fewest in flight first, back-off after a failure (see
 * g4remote.h). */
#include <string.h>

#include "g4remote.h"

/* Back-off after a failure: doubling from the first to the last, so a
 * server that went away is probed every second (a /health request costs it
 * nothing) and, once back, gets requests again within that. */
#define BACKOFF_FIRST (G_USEC_PER_SEC / 4)
#define BACKOFF_LAST G_USEC_PER_SEC

typedef struct
{
  gchar *base;                  /* .../v1 */
  gchar *root;
  guint in_flight;
  guint failures;               /* in a row */
  gint64 retry_at;              /* monotonic us; 0: usable */
} Server;

struct _G4RemotePool
{
  gint refs;
  gchar *key;
  GMutex lock;
  Server *servers;
  guint n;
  guint turn;                   /* where ties start */
};

G_LOCK_DEFINE_STATIC (pools);
static GHashTable *pools;       /* key -> G4RemotePool, not reffed */

G_DEFINE_QUARK (g4remote-error-quark, g4remote_error);

/* base and root of one URL of the list; FALSE when it is not http(s). */
static gboolean
parse_url (const gchar * text, Server * s, GError ** error)
{
  gchar *url = g_strstrip (g_strdup (text));
  GUri *uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const gchar *scheme = uri ? g_uri_get_scheme (uri) : NULL;
  gsize len;

  if (!uri || !g_uri_get_host (uri) || !*g_uri_get_host (uri)
      || (g_strcmp0 (scheme, "http") && g_strcmp0 (scheme, "https"))) {
    g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_CONFIG,
        "'%s' is not an http:// or https:// URL", url);
    if (uri)
      g_uri_unref (uri);
    g_free (url);
    return FALSE;
  }
  g_uri_unref (uri);
  while ((len = strlen (url)) > 0 && url[len - 1] == '/')
    url[len - 1] = '\0';
  if (g_str_has_suffix (url, "/v1")) {
    s->base = g_strdup (url);
    s->root = g_strndup (url, strlen (url) - 3);
  } else {
    s->base = g_strconcat (url, "/v1", NULL);
    s->root = g_strdup (url);
  }
  g_free (url);
  return TRUE;
}

static void
pool_free (G4RemotePool * p)
{
  for (guint i = 0; i < p->n; i++) {
    g_free (p->servers[i].base);
    g_free (p->servers[i].root);
  }
  g_free (p->servers);
  g_mutex_clear (&p->lock);
  g_free (p->key);
  g_free (p);
}

static G4RemotePool *
pool_new (const gchar * urls, GError ** error)
{
  gchar **list = g_strsplit (urls, ",", -1);
  G4RemotePool *p = g_new0 (G4RemotePool, 1);

  p->refs = 1;
  p->key = g_strdup (urls);
  g_mutex_init (&p->lock);
  p->servers = g_new0 (Server, g_strv_length (list));
  for (guint i = 0; list[i]; i++) {
    if (!*g_strstrip (list[i]))
      continue;
    if (!parse_url (list[i], &p->servers[p->n], error)) {
      g_strfreev (list);
      pool_free (p);
      return NULL;
    }
    p->n++;
  }
  g_strfreev (list);
  if (p->n == 0) {
    g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_CONFIG,
        "no server URL in '%s'", urls);
    pool_free (p);
    return NULL;
  }
  return p;
}

G4RemotePool *
g4remote_pool_get (const gchar * urls, GError ** error)
{
  G4RemotePool *p;

  if (!urls || !*urls) {
    g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_CONFIG,
        "no server URL given");
    return NULL;
  }
  G_LOCK (pools);
  if (!pools)
    pools = g_hash_table_new (g_str_hash, g_str_equal);
  p = g_hash_table_lookup (pools, urls);
  if (p) {
    p->refs++;
  } else if ((p = pool_new (urls, error))) {
    g_hash_table_insert (pools, p->key, p);
  }
  G_UNLOCK (pools);
  return p;
}

void
g4remote_pool_unref (G4RemotePool * p)
{
  gboolean last;

  if (!p)
    return;
  G_LOCK (pools);
  last = --p->refs == 0;
  if (last)
    g_hash_table_remove (pools, p->key);
  G_UNLOCK (pools);
  if (last)
    pool_free (p);
}

guint
g4remote_pool_size (G4RemotePool * p)
{
  return p->n;
}

const gchar *
g4remote_pool_base (G4RemotePool * p, guint i)
{
  return p->servers[i].base;
}

const gchar *
g4remote_pool_root (G4RemotePool * p, guint i)
{
  return p->servers[i].root;
}

gint
g4remote_pool_take (G4RemotePool * p, gboolean * probe, gint64 * retry_at)
{
  const gint64 now = g_get_monotonic_time ();
  gint best = -1;

  g_mutex_lock (&p->lock);
  *retry_at = G_MAXINT64;
  for (guint k = 0; k < p->n; k++) {
    guint i = (p->turn + k) % p->n;
    Server *s = &p->servers[i];
    if (s->retry_at > now) {
      *retry_at = MIN (*retry_at, s->retry_at);
      continue;
    }
    if (best < 0 || s->in_flight < p->servers[best].in_flight)
      best = (gint) i;
  }
  if (best >= 0) {
    Server *s = &p->servers[best];
    *probe = s->failures > 0;
    s->in_flight++;
    p->turn = (guint) best + 1;
  }
  g_mutex_unlock (&p->lock);
  return best;
}

void
g4remote_pool_release (G4RemotePool * p, guint i, gboolean failed)
{
  Server *s = &p->servers[i];

  g_mutex_lock (&p->lock);
  s->in_flight--;
  if (failed) {
    gint64 backoff = BACKOFF_FIRST << MIN (s->failures, 5);
    s->failures++;
    s->retry_at = g_get_monotonic_time () + MIN (backoff, BACKOFF_LAST);
  } else {
    s->failures = 0;
    s->retry_at = 0;
  }
  g_mutex_unlock (&p->lock);
}
