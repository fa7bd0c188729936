/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The body of POST /v1/chat/completions from the chat the local engine
 * renders (see g4remote.h): the system turn, the user turn cut at its media
 * placeholders into text and media parts, thinking through
 * chat_template_kwargs, the sampling settings, and the detection schema. */
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "g4remote.h"

#define IMAGE_PLACEHOLDER "<|image|>"
#define AUDIO_PLACEHOLDER "<|audio|>"
/* pixels a side of one soft token of the vision encoder */
#define PIXELS_PER_TOKEN 48

static void
set_double (JsonBuilder * b, const gchar * name, gdouble v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, v);
}

static void
set_int (JsonBuilder * b, const gchar * name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

static void
set_string (JsonBuilder * b, const gchar * name, const gchar * v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, v);
}

/* What b built, as JSON text; b is freed. */
static gchar *
builder_text (JsonBuilder * b)
{
  JsonNode *root = json_builder_get_root (b);
  gchar *out = json_to_string (root, FALSE);

  json_node_unref (root);
  g_object_unref (b);
  return out;
}

static gchar *
data_uri (const gchar * mime, GBytes * data)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (data, &len);
  gchar *b64 = g_base64_encode (p, len);
  gchar *uri = g_strconcat ("data:", mime, ";base64,", b64, NULL);

  g_free (b64);
  return uri;
}

static void
add_text_part (JsonBuilder * b, const gchar * text, gsize len)
{
  gchar *t;

  if (len == 0)
    return;
  t = g_strndup (text, len);
  json_builder_begin_object (b);
  set_string (b, "type", "text");
  set_string (b, "text", t);
  json_builder_end_object (b);
  g_free (t);
}

/* {"type": type, type: {"url": a data URI of data}} */
static void
add_url_part (JsonBuilder * b, const gchar * type, const gchar * mime,
    GBytes * data)
{
  gchar *uri = data_uri (mime, data);

  set_string (b, "type", type);
  json_builder_set_member_name (b, type);
  json_builder_begin_object (b);
  set_string (b, "url", uri);
  json_builder_end_object (b);
  g_free (uri);
}

static void
add_media_part (JsonBuilder * b, const G4RemoteMedia * m,
    G4RemoteDialect dialect)
{
  gsize len;
  const guint8 *p;
  gchar *b64;

  json_builder_begin_object (b);
  if (!m->is_audio) {
    add_url_part (b, "image_url", "image/jpeg", m->data);
  } else if (dialect == G4REMOTE_DIALECT_SGLANG) {
    add_url_part (b, "audio_url", "audio/wav", m->data);
  } else {
    p = g_bytes_get_data (m->data, &len);
    b64 = g_base64_encode (p, len);
    set_string (b, "type", "input_audio");
    json_builder_set_member_name (b, "input_audio");
    json_builder_begin_object (b);
    set_string (b, "data", b64);
    set_string (b, "format", "wav");
    json_builder_end_object (b);
    g_free (b64);
  }
  json_builder_end_object (b);
}

/* The user content: text between the placeholders, the media in their
 * places. FALSE when the placeholders and the media disagree. */
static gboolean
add_user_content (JsonBuilder * b, const G4RemoteChat * chat,
    G4RemoteDialect dialect, GError ** error)
{
  const gchar *p = chat->user;
  guint used = 0;

  json_builder_begin_array (b);
  for (;;) {
    const gchar *image = strstr (p, IMAGE_PLACEHOLDER);
    const gchar *audio = strstr (p, AUDIO_PLACEHOLDER);
    const gchar *next = !image ? audio : !audio ? image : MIN (image, audio);
    gboolean is_audio = next && next == audio;

    if (!next) {
      add_text_part (b, p, strlen (p));
      break;
    }
    add_text_part (b, p, (gsize) (next - p));
    if (used >= chat->n_media || chat->media[used].is_audio != is_audio) {
      g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_CONFIG,
          "the prompt's %s placeholder number %u has no %s to go with it",
          is_audio ? AUDIO_PLACEHOLDER : IMAGE_PLACEHOLDER, used + 1,
          is_audio ? "audio" : "image");
      json_builder_end_array (b);
      return FALSE;
    }
    add_media_part (b, &chat->media[used++], dialect);
    p = next + strlen (is_audio ? AUDIO_PLACEHOLDER : IMAGE_PLACEHOLDER);
  }
  json_builder_end_array (b);
  if (used != chat->n_media) {
    g_set_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_CONFIG,
        "the prompt places %u media items, the request has %u", used,
        chat->n_media);
    return FALSE;
  }
  return TRUE;
}

gchar *
g4remote_chat_body (const G4RemoteChat * chat, const gchar * model,
    G4RemoteDialect dialect, GError ** error)
{
  JsonBuilder *b = json_builder_new ();
  gchar *out = NULL;
  gboolean ok;

  json_builder_begin_object (b);
  if (model) {
    set_string (b, "model", model);
  }
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  if (chat->system) {
    json_builder_begin_object (b);
    set_string (b, "role", "system");
    set_string (b, "content", chat->system);
    json_builder_end_object (b);
  }
  json_builder_begin_object (b);
  set_string (b, "role", "user");
  json_builder_set_member_name (b, "content");
  ok = add_user_content (b, chat, dialect, error);
  json_builder_end_object (b);
  json_builder_end_array (b);

  json_builder_set_member_name (b, "stream");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "stream_options");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "include_usage");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_end_object (b);
  set_int (b, "max_tokens", chat->max_tokens);
  set_double (b, "temperature", chat->temperature);
  set_double (b, "top_p", chat->top_p);
  set_double (b, "min_p", chat->min_p);
  set_int (b, "top_k", chat->top_k);
  set_int (b, "seed", (gint64) (chat->seed & G_MAXINT64));
  json_builder_set_member_name (b, "chat_template_kwargs");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "enable_thinking");
  json_builder_add_boolean_value (b, chat->thinking);
  json_builder_end_object (b);
  if (chat->json_schema) {
    JsonNode *schema = json_from_string (chat->json_schema, NULL);
    json_builder_set_member_name (b, "response_format");
    json_builder_begin_object (b);
    set_string (b, "type", "json_schema");
    json_builder_set_member_name (b, "json_schema");
    json_builder_begin_object (b);
    set_string (b, "name", "answer");
    json_builder_set_member_name (b, "schema");
    json_builder_add_value (b, schema ? schema : json_node_new (JSON_NODE_NULL));
    json_builder_end_object (b);
    json_builder_end_object (b);
  }
  json_builder_end_object (b);

  out = builder_text (b);
  if (!ok)
    g_clear_pointer (&out, g_free);
  return out;
}

/* A string, one of labels when there are any. */
static void
add_label_schema (JsonBuilder * b, const gchar * const *labels,
    guint n_labels)
{
  json_builder_begin_object (b);
  set_string (b, "type", "string");
  if (n_labels > 0) {
    json_builder_set_member_name (b, "enum");
    json_builder_begin_array (b);
    for (guint i = 0; i < n_labels; i++)
      json_builder_add_string_value (b, labels[i]);
    json_builder_end_array (b);
  }
  json_builder_end_object (b);
}

gchar *
g4remote_detection_schema (const gchar * const *labels, guint n_labels,
    guint max_objects)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  set_string (b, "type", "array");
  if (max_objects > 0)
    set_int (b, "maxItems", max_objects);
  json_builder_set_member_name (b, "items");
  json_builder_begin_object (b);
  set_string (b, "type", "object");
  json_builder_set_member_name (b, "required");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "box_2d");
  json_builder_add_string_value (b, "label");
  json_builder_end_array (b);
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "box_2d");
  json_builder_begin_object (b);
  set_string (b, "type", "array");
  set_int (b, "minItems", 4);
  set_int (b, "maxItems", 4);
  json_builder_set_member_name (b, "items");
  json_builder_begin_object (b);
  set_string (b, "type", "integer");
  set_int (b, "minimum", 0);
  set_int (b, "maximum", 1000);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "label");
  add_label_schema (b, labels, n_labels);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);

  return builder_text (b);
}

gchar *
g4remote_choice_schema (const gchar * const *labels, guint n_labels)
{
  JsonBuilder *b = json_builder_new ();

  add_label_schema (b, labels, n_labels);
  return builder_text (b);
}

gchar *
g4remote_choice_answer (const gchar * text)
{
  gchar *trimmed = g_strstrip (g_strdup (text));
  JsonNode *node = json_from_string (trimmed, NULL);
  gchar *out;

  if (node && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING) {
    out = g_strstrip (g_strdup (json_node_get_string (node)));
    g_free (trimmed);
  } else {
    out = trimmed;
  }
  if (node)
    json_node_unref (node);
  return out;
}

void
g4remote_image_size (gint width, gint height, guint max_soft_tokens,
    gint * out_width, gint * out_height)
{
  const gdouble area = (gdouble) width * height;
  const gdouble budget = (gdouble) max_soft_tokens * PIXELS_PER_TOKEN *
      PIXELS_PER_TOKEN;
  const gdouble scale = area > budget ? sqrt (budget / area) : 1.0;

  /* even: JPEG's 4:2:0 chroma */
  *out_width = MAX ((gint) (width * scale) & ~1, 2);
  *out_height = MAX ((gint) (height * scale) & ~1, 2);
}

GBytes *
g4remote_wav_new (const gfloat * pcm, gsize n, guint rate)
{
  const guint32 data_bytes = (guint32) (n * 2);
  guint8 *wav = g_malloc (44 + (gsize) data_bytes);
  guint8 *h = wav;

#define PUT16(v) do { guint16 x_ = GUINT16_TO_LE (v); memcpy (h, &x_, 2); h += 2; } while (0)
#define PUT32(v) do { guint32 x_ = GUINT32_TO_LE (v); memcpy (h, &x_, 4); h += 4; } while (0)
  memcpy (h, "RIFF", 4);
  h += 4;
  PUT32 (36 + data_bytes);
  memcpy (h, "WAVEfmt ", 8);
  h += 8;
  PUT32 (16);
  PUT16 (1);                    /* PCM */
  PUT16 (1);                    /* mono */
  PUT32 (rate);
  PUT32 (rate * 2);
  PUT16 (2);
  PUT16 (16);
  memcpy (h, "data", 4);
  h += 4;
  PUT32 (data_bytes);
  for (gsize i = 0; i < n; i++) {
    gfloat v = CLAMP (pcm[i], -1.0f, 1.0f) * 32767.0f;
    PUT16 ((guint16) (gint16) (v < 0 ? v - 0.5f : v + 0.5f));
  }
#undef PUT16
#undef PUT32
  return g_bytes_new_take (wav, 44 + (gsize) data_bytes);
}
