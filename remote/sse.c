/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A streamed chat completion (server-sent events, one JSON chunk per
 * "data:" line) into answer pieces (see g4remote.h). */
#include <string.h>

#include <json-glib/json-glib.h>

#include "g4remote.h"

/* A line longer than this is no chunk of a chat completion. */
#define MAX_LINE (1 << 20)
/* Gemma 4's thought channel markers, which a server may pass on in
 * "content" (llama-server does for some answers) where the local engine
 * takes them as what they mean: between them is thought. */
#define CHANNEL_OPEN "<|channel>"
#define CHANNEL_CLOSE "<channel|>"

struct _G4RemoteSse
{
  G4RemotePieceFunc on_piece;
  gpointer user;
  GString *line;
  gboolean finished;
  gboolean stopped;
  guint pieces;
  guint usage_tokens;
  /* content held back: a marker may be cut between two chunks */
  GString *held;
  gboolean in_channel;
};

G4RemoteSse *
g4remote_sse_new (G4RemotePieceFunc on_piece, gpointer user)
{
  G4RemoteSse *s = g_new0 (G4RemoteSse, 1);

  s->on_piece = on_piece;
  s->user = user;
  s->line = g_string_new (NULL);
  s->held = g_string_new (NULL);
  return s;
}

void
g4remote_sse_free (G4RemoteSse * s)
{
  if (!s)
    return;
  g_string_free (s->line, TRUE);
  g_string_free (s->held, TRUE);
  g_free (s);
}

static gboolean
protocol_error (GError ** error, const gchar * what, const gchar * text)
{
  g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_PROTOCOL,
      "the server's answer is no chat completion (%s): %.80s", what, text);
  return FALSE;
}

static gboolean
emit (G4RemoteSse * s, const gchar * text, gsize len, gboolean in_thought)
{
  if (len > 0 && !s->stopped && !s->on_piece (text, len, in_thought, s->user))
    s->stopped = TRUE;
  return !s->stopped;
}

/* The length of the longest end of text that begins a marker. */
static gsize
marker_start (const GString * text)
{
  /* both markers are as long */
  const gsize most = MIN (text->len, strlen (CHANNEL_OPEN) - 1);

  for (gsize n = most; n > 0; n--) {
    const gchar *end = text->str + text->len - n;
    if (!strncmp (end, CHANNEL_OPEN, n) || !strncmp (end, CHANNEL_CLOSE, n))
      return n;
  }
  return 0;
}

/* Content as the local engine reads its tokens: the markers go, what lies
 * between an opening and a closing one is thought; the end that may begin
 * a marker waits for the next chunk (all of it when final). */
static gboolean
deliver_content (G4RemoteSse * s, const gchar * text, gboolean final)
{
  gsize keep;

  g_string_append (s->held, text);
  for (;;) {
    const gchar *open = strstr (s->held->str, CHANNEL_OPEN);
    const gchar *close = strstr (s->held->str, CHANNEL_CLOSE);
    const gchar *mark = !open ? close : !close ? open : MIN (open, close);
    gsize at;

    if (!mark)
      break;
    at = (gsize) (mark - s->held->str);
    if (!emit (s, s->held->str, at, s->in_channel))
      return FALSE;
    s->in_channel = mark == open;
    g_string_erase (s->held, 0, (gssize) (at + strlen (s->in_channel ?
                CHANNEL_OPEN : CHANNEL_CLOSE)));
  }
  keep = final ? 0 : marker_start (s->held);
  if (!emit (s, s->held->str, s->held->len - keep, s->in_channel))
    return FALSE;
  g_string_erase (s->held, 0, (gssize) (s->held->len - keep));
  return TRUE;
}

/* Hands a string member of delta (content or reasoning) on. */
static gboolean
deliver (G4RemoteSse * s, JsonObject * delta, const gchar * member,
    gboolean in_thought)
{
  JsonNode *n = json_object_get_member (delta, member);
  const gchar *text;

  if (!n || !JSON_NODE_HOLDS_VALUE (n)
      || json_node_get_value_type (n) != G_TYPE_STRING)
    return TRUE;
  text = json_node_get_string (n);
  if (!*text)
    return TRUE;
  s->pieces++;
  if (in_thought)
    return emit (s, text, strlen (text), TRUE);
  return deliver_content (s, text, FALSE);
}

/* One chat completion object: its first choice's delta (or message) goes
 * on; usage is kept. */
static gboolean
take_chunk (G4RemoteSse * s, JsonNode * root, const gchar * part,
    GError ** error)
{
  JsonObject *obj, *choice, *delta;
  JsonArray *choices;
  JsonNode *n;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    return protocol_error (error, "not a JSON object", "");
  obj = json_node_get_object (root);
  if (json_object_has_member (obj, "error")) {
    gchar *text = json_to_string (root, FALSE);
    protocol_error (error, "an error", text);
    g_free (text);
    return FALSE;
  }
  n = json_object_get_member (obj, "usage");
  if (n && JSON_NODE_HOLDS_OBJECT (n))
    s->usage_tokens = (guint) json_object_get_int_member_with_default
        (json_node_get_object (n), "completion_tokens", 0);
  n = json_object_get_member (obj, "choices");
  if (!n || !JSON_NODE_HOLDS_ARRAY (n))
    return protocol_error (error, "no choices", "");
  choices = json_node_get_array (n);
  /* the usage chunk at the end has no choices */
  if (json_array_get_length (choices) == 0)
    return TRUE;
  n = json_array_get_element (choices, 0);
  if (!JSON_NODE_HOLDS_OBJECT (n))
    return protocol_error (error, "a choice that is no object", "");
  choice = json_node_get_object (n);
  n = json_object_get_member (choice, part);
  if (n && JSON_NODE_HOLDS_OBJECT (n)) {
    delta = json_node_get_object (n);
    if (!deliver (s, delta, "reasoning_content", TRUE)
        || !deliver (s, delta, "content", FALSE))
      return TRUE;
  }
  n = json_object_get_member (choice, "finish_reason");
  if (n && !JSON_NODE_HOLDS_NULL (n)) {
    s->finished = TRUE;
    deliver_content (s, "", TRUE);
  }
  return TRUE;
}

static gboolean
take_line (G4RemoteSse * s, const gchar * line, GError ** error)
{
  JsonParser *parser;
  gboolean ok;

  /* comments, event names, ids and blank lines carry no data */
  if (!g_str_has_prefix (line, "data:"))
    return TRUE;
  line += 5;
  while (*line == ' ')
    line++;
  if (!strcmp (line, "[DONE]")) {
    s->finished = TRUE;
    deliver_content (s, "", TRUE);
    s->stopped = TRUE;
    return TRUE;
  }
  parser = json_parser_new ();
  ok = json_parser_load_from_data (parser, line, -1, NULL)
      ? take_chunk (s, json_parser_get_root (parser), "delta", error)
      : protocol_error (error, "malformed JSON", line);
  g_object_unref (parser);
  return ok;
}

gboolean
g4remote_sse_feed (G4RemoteSse * s, const gchar * data, gsize len,
    GError ** error)
{
  for (gsize i = 0; i < len && !s->stopped; i++) {
    if (data[i] != '\n') {
      g_string_append_c (s->line, data[i]);
      if (s->line->len > MAX_LINE)
        return protocol_error (error, "a line over 1 MiB", "");
      continue;
    }
    if (s->line->len && s->line->str[s->line->len - 1] == '\r')
      g_string_truncate (s->line, s->line->len - 1);
    if (!take_line (s, s->line->str, error))
      return FALSE;
    g_string_truncate (s->line, 0);
  }
  return !s->stopped;
}

gboolean
g4remote_sse_finished (G4RemoteSse * s)
{
  return s->finished;
}

guint
g4remote_sse_tokens (G4RemoteSse * s)
{
  return s->usage_tokens ? s->usage_tokens : s->pieces;
}

gboolean
g4remote_deliver_completion (const gchar * json, gsize len,
    G4RemotePieceFunc on_piece, gpointer user, guint * tokens,
    GError ** error)
{
  G4RemoteSse *s = g4remote_sse_new (on_piece, user);
  JsonParser *parser = json_parser_new ();
  gboolean ok = json_parser_load_from_data (parser, json, (gssize) len, NULL)
      ? take_chunk (s, json_parser_get_root (parser), "message", error)
      : protocol_error (error, "malformed JSON", json);

  if (ok)
    deliver_content (s, "", TRUE);

  *tokens = g4remote_sse_tokens (s);
  g_object_unref (parser);
  g4remote_sse_free (s);
  return ok;
}
