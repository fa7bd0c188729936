/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The remote layer without a network: SSE parsing (any cut of the byte
 * stream, CRLF, comments, reasoning, [DONE], usage, malformed chunks, a
 * stop asked by the caller), request bodies (placeholders and media, both
 * dialects, the schema), WAV, image sizes and the server pool (URLs, fewest
 * in flight, back-off). */
#include <string.h>

#include <json-glib/json-glib.h>

#include "g4remote.h"

typedef struct
{
  GString *answer, *thought;
  gint stop_after;              /* pieces; 0: never */
  gint pieces;
} Sink;

static gboolean
on_piece (const gchar * text, gsize len, gboolean in_thought, gpointer data)
{
  Sink *s = data;

  g_string_append_len (in_thought ? s->thought : s->answer, text, len);
  return !(s->stop_after && ++s->pieces >= s->stop_after);
}

static const gchar stream[] =
    ": a comment\r\n"
    "event: message\n"
    "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"},\"finish_reason\":null}]}\n\n"
    "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"hmm\"}}]}\r\n\r\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"héllo \"}}]}\n\n"
    "data:{\"choices\":[{\"delta\":{\"content\":\"world\"}}]}\n\n"
    "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"choices\":[],\"usage\":{\"completion_tokens\":5}}\n\n"
    "data: [DONE]\n\n" "data: {\"choices\":[{\"delta\":{\"content\":\"after\"}}]}\n\n";

/* Every cut of the stream into two feeds gives the same answer. */
static void
test_sse_any_cut (void)
{
  const gsize len = strlen (stream);

  for (gsize cut = 0; cut <= len; cut++) {
    Sink s = { g_string_new (NULL), g_string_new (NULL), 0, 0 };
    G4RemoteSse *sse = g4remote_sse_new (on_piece, &s);
    GError *error = NULL;
    if (g4remote_sse_feed (sse, stream, cut, &error))
      g4remote_sse_feed (sse, stream + cut, len - cut, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (s.answer->str, ==, "héllo world");
    g_assert_cmpstr (s.thought->str, ==, "hmm");
    g_assert_true (g4remote_sse_finished (sse));
    g_assert_cmpuint (g4remote_sse_tokens (sse), ==, 5);
    g4remote_sse_free (sse);
    g_string_free (s.answer, TRUE);
    g_string_free (s.thought, TRUE);
  }
}

/* Gemma 4's channel markers in "content" (llama-server passes them on for
 * some answers): the markers go, what lies between them is thought, also
 * when a marker is cut between chunks; "<" that begins no marker stays. */
static const gchar channel_stream[] =
    "data: {\"choices\":[{\"delta\":{\"content\":\"<|chan\"}}]}\n\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"nel>thought\\nhmm<cha\"}}]}\n\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"nnel|>a <b> \"}}]}\n\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"cat<channel|><\"}}]}\n\n"
    "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: [DONE]\n\n";

static void
test_sse_channel_markers (void)
{
  const gsize len = strlen (channel_stream);
  const gchar *whole = "{\"choices\":[{\"message\":{\"content\":"
      "\"<channel|>x<|channel>y\"},\"finish_reason\":\"stop\"}]}";
  Sink w = { g_string_new (NULL), g_string_new (NULL), 0, 0 };
  guint tokens;

  for (gsize cut = 0; cut <= len; cut++) {
    Sink s = { g_string_new (NULL), g_string_new (NULL), 0, 0 };
    G4RemoteSse *sse = g4remote_sse_new (on_piece, &s);
    GError *error = NULL;
    if (g4remote_sse_feed (sse, channel_stream, cut, &error))
      g4remote_sse_feed (sse, channel_stream + cut, len - cut, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (s.answer->str, ==, "a <b> cat<");
    g_assert_cmpstr (s.thought->str, ==, "thought\nhmm");
    g4remote_sse_free (sse);
    g_string_free (s.answer, TRUE);
    g_string_free (s.thought, TRUE);
  }
  /* a stray closing marker first, as llama-server sent it */
  g_assert_true (g4remote_deliver_completion (whole, strlen (whole),
          on_piece, &w, &tokens, NULL));
  g_assert_cmpstr (w.answer->str, ==, "x");
  g_assert_cmpstr (w.thought->str, ==, "y");
  g_string_free (w.answer, TRUE);
  g_string_free (w.thought, TRUE);
}

/* A classification's schema is one of the labels; its answer is read as
 * a JSON string, or as plain text from a server that ignored it. */
static void
test_choice (void)
{
  const gchar *labels[] = { "cat", "dog \"big\"" };
  gchar *schema = g4remote_choice_schema (labels, 2);
  gchar *a;

  g_assert_cmpstr (schema, ==,
      "{\"type\":\"string\",\"enum\":[\"cat\",\"dog \\\"big\\\"\"]}");
  g_free (schema);
  a = g4remote_choice_answer (" \"dog \\\"big\\\"\"\n");
  g_assert_cmpstr (a, ==, "dog \"big\"");
  g_free (a);
  a = g4remote_choice_answer (" cat \n");
  g_assert_cmpstr (a, ==, "cat");
  g_free (a);
  a = g4remote_choice_answer ("[1]");
  g_assert_cmpstr (a, ==, "[1]");
  g_free (a);
}

static void
expect_protocol_error (const gchar * text)
{
  Sink s = { g_string_new (NULL), g_string_new (NULL), 0, 0 };
  G4RemoteSse *sse = g4remote_sse_new (on_piece, &s);
  GError *error = NULL;

  g_assert_false (g4remote_sse_feed (sse, text, strlen (text), &error));
  g_assert_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_PROTOCOL);
  g_clear_error (&error);
  g4remote_sse_free (sse);
  g_string_free (s.answer, TRUE);
  g_string_free (s.thought, TRUE);
}

static void
test_sse_malformed (void)
{
  expect_protocol_error ("data: {\"choices\": [{\"delta\"\n\n");
  expect_protocol_error ("data: [1, 2]\n\n");
  expect_protocol_error ("data: {\"no\": \"choices\"}\n\n");
  expect_protocol_error ("data: {\"error\": {\"message\": \"boom\"}}\n\n");
}

static void
test_sse_stop (void)
{
  Sink s = { g_string_new (NULL), g_string_new (NULL), 1, 0 };
  G4RemoteSse *sse = g4remote_sse_new (on_piece, &s);
  GError *error = NULL;

  /* the first piece is the thought: the caller stops there */
  g_assert_false (g4remote_sse_feed (sse, stream, strlen (stream), &error));
  g_assert_no_error (error);
  g_assert_cmpstr (s.answer->str, ==, "");
  g4remote_sse_free (sse);
  g_string_free (s.answer, TRUE);
  g_string_free (s.thought, TRUE);
}

static void
test_whole_completion (void)
{
  const gchar *json = "{\"choices\":[{\"message\":{\"role\":\"assistant\","
      "\"content\":\"all at once\"},\"finish_reason\":\"stop\"}],"
      "\"usage\":{\"completion_tokens\":3}}";
  Sink s = { g_string_new (NULL), g_string_new (NULL), 0, 0 };
  GError *error = NULL;
  guint tokens = 0;

  g_assert_true (g4remote_deliver_completion (json, strlen (json), on_piece,
          &s, &tokens, &error));
  g_assert_cmpstr (s.answer->str, ==, "all at once");
  g_assert_cmpuint (tokens, ==, 3);
  g_string_free (s.answer, TRUE);
  g_string_free (s.thought, TRUE);
}

static JsonObject *
parse_body (const gchar * body, JsonParser * parser)
{
  g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_body (void)
{
  const guint8 jpeg[] = { 0xff, 0xd8, 0xff };
  G4RemoteMedia media[2] = {
    {FALSE, g_bytes_new_static (jpeg, sizeof jpeg)},
    {TRUE, g4remote_wav_new ((const gfloat[]) {0.0f, 0.5f}, 2, 16000)},
  };
  G4RemoteChat chat = {.system = "Be brief.",.user = "A <|image|> then "
        "<|audio|>.",.media = media,.n_media = 2,.thinking = TRUE,
    .max_tokens = 9,.temperature = 0.5,.top_k = 4,.seed = 3,
    .json_schema = "{\"type\":\"array\"}"
  };
  JsonParser *parser = json_parser_new ();
  GError *error = NULL;
  gchar *body = g4remote_chat_body (&chat, "m", G4REMOTE_DIALECT_OPENAI,
      &error);
  JsonObject *o = parse_body (body, parser);
  JsonArray *msgs = json_object_get_array_member (o, "messages");
  JsonArray *parts;

  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, "m");
  g_assert_true (json_object_get_boolean_member (o, "stream"));
  g_assert_cmpint (json_object_get_int_member (o, "max_tokens"), ==, 9);
  g_assert_cmpint (json_object_get_int_member (o, "top_k"), ==, 4);
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member
          (o, "chat_template_kwargs"), "enable_thinking"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member
          (json_object_get_object_member (o, "response_format"),
              "json_schema"), "name"), ==, "answer");
  g_assert_cmpuint (json_array_get_length (msgs), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element
          (msgs, 0), "content"), ==, "Be brief.");
  parts = json_object_get_array_member (json_array_get_object_element (msgs,
          1), "content");
  /* text, image, text, audio, text: in the placeholders' order */
  g_assert_cmpuint (json_array_get_length (parts), ==, 5);
  g_assert_cmpstr (json_object_get_string_member
      (json_array_get_object_element (parts, 0), "text"), ==, "A ");
  g_assert_cmpstr (json_object_get_string_member
      (json_object_get_object_member (json_array_get_object_element (parts,
                  1), "image_url"), "url"), ==, "data:image/jpeg;base64,/9j/");
  g_assert_cmpstr (json_object_get_string_member
      (json_array_get_object_element (parts, 3), "type"), ==, "input_audio");
  g_assert_cmpstr (json_object_get_string_member
      (json_object_get_object_member (json_array_get_object_element (parts,
                  3), "input_audio"), "format"), ==, "wav");
  g_free (body);

  body = g4remote_chat_body (&chat, NULL, G4REMOTE_DIALECT_SGLANG, &error);
  o = parse_body (body, parser);
  g_assert_false (json_object_has_member (o, "model"));
  parts = json_object_get_array_member (json_array_get_object_element
      (json_object_get_array_member (o, "messages"), 1), "content");
  g_assert_true (g_str_has_prefix (json_object_get_string_member
          (json_object_get_object_member (json_array_get_object_element
                  (parts, 3), "audio_url"), "url"), "data:audio/wav;base64,"));
  g_free (body);

  /* placeholders and media must agree */
  chat.n_media = 1;
  g_assert_null (g4remote_chat_body (&chat, "m", G4REMOTE_DIALECT_OPENAI,
          &error));
  g_assert_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_CONFIG);
  g_clear_error (&error);
  chat.user = "no media";
  chat.n_media = 2;
  g_assert_null (g4remote_chat_body (&chat, "m", G4REMOTE_DIALECT_OPENAI,
          &error));
  g_assert_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_CONFIG);
  g_clear_error (&error);
  chat.user = "<|audio|><|image|>";
  g_assert_null (g4remote_chat_body (&chat, "m", G4REMOTE_DIALECT_OPENAI,
          &error));
  g_clear_error (&error);

  g_object_unref (parser);
  g_bytes_unref (media[0].data);
  g_bytes_unref (media[1].data);
}

static void
test_wav_and_sizes (void)
{
  const gfloat pcm[3] = { 0.0f, 1.0f, -2.0f };
  GBytes *wav = g4remote_wav_new (pcm, 3, 16000);
  gsize len;
  const guint8 *p = g_bytes_get_data (wav, &len);
  gint w, h;

  g_assert_cmpuint (len, ==, 44 + 6);
  g_assert_cmpmem (p, 4, "RIFF", 4);
  g_assert_cmpmem (p + 8, 8, "WAVEfmt ", 8);
  g_assert_cmpuint (p[24] | p[25] << 8, ==, 16000 & 0xffff);
  g_assert_cmpint ((gint16) (p[46] | p[47] << 8), ==, 32767);
  g_assert_cmpint ((gint16) (p[48] | p[49] << 8), ==, -32767);
  g_bytes_unref (wav);

  /* 70 tokens of 48 x 48 pixels: 1920x1080 comes down, keeping its shape */
  g4remote_image_size (1920, 1080, 70, &w, &h);
  g_assert_cmpint (w * h, <=, 70 * 48 * 48);
  g_assert_cmpint (w * h, >, 60 * 48 * 48);
  g_assert_cmpfloat (ABS ((gdouble) w / h - 16.0 / 9.0), <, 0.02);
  /* never up */
  g4remote_image_size (100, 60, 1120, &w, &h);
  g_assert_cmpint (w, ==, 100);
  g_assert_cmpint (h, ==, 60);
  g_free (g4remote_detection_schema (NULL, 0, 0));
}

static void
test_pool (void)
{
  G4RemotePool *p = g4remote_pool_get ("http://a:1/, http://b:2/v1", NULL);
  G4RemotePool *same = g4remote_pool_get ("http://a:1/, http://b:2/v1", NULL);
  GError *error = NULL;
  gboolean probe;
  gint64 retry_at;
  gint i, j;

  g_assert_nonnull (p);
  g_assert_true (p == same);
  g4remote_pool_unref (same);
  g_assert_cmpuint (g4remote_pool_size (p), ==, 2);
  g_assert_cmpstr (g4remote_pool_base (p, 0), ==, "http://a:1/v1");
  g_assert_cmpstr (g4remote_pool_root (p, 0), ==, "http://a:1");
  g_assert_cmpstr (g4remote_pool_base (p, 1), ==, "http://b:2/v1");
  g_assert_cmpstr (g4remote_pool_root (p, 1), ==, "http://b:2");

  /* fewest in flight */
  i = g4remote_pool_take (p, &probe, &retry_at);
  j = g4remote_pool_take (p, &probe, &retry_at);
  g_assert_cmpint (i, !=, j);
  g4remote_pool_release (p, (guint) j, FALSE);
  g_assert_cmpint (g4remote_pool_take (p, &probe, &retry_at), ==, j);
  g4remote_pool_release (p, (guint) j, FALSE);
  /* a failed server is skipped during its back-off, then probed */
  g4remote_pool_release (p, (guint) i, TRUE);
  for (gint k = 0; k < 3; k++) {
    gint t = g4remote_pool_take (p, &probe, &retry_at);
    g_assert_cmpint (t, ==, j);
    g_assert_false (probe);
    g4remote_pool_release (p, (guint) t, FALSE);
  }
  j = g4remote_pool_take (p, &probe, &retry_at);
  g4remote_pool_release (p, (guint) j, TRUE);
  g_assert_cmpint (g4remote_pool_take (p, &probe, &retry_at), ==, -1);
  g_assert_cmpint (retry_at, >, g_get_monotonic_time ());
  g_usleep ((gulong) (retry_at - g_get_monotonic_time ()) + 1000);
  i = g4remote_pool_take (p, &probe, &retry_at);
  g_assert_cmpint (i, >=, 0);
  g_assert_true (probe);
  g4remote_pool_release (p, (guint) i, FALSE);
  g4remote_pool_unref (p);

  g_assert_null (g4remote_pool_get ("ftp://x", &error));
  g_assert_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_CONFIG);
  g_clear_error (&error);
  g_assert_null (g4remote_pool_get (" , ", &error));
  g_clear_error (&error);
  g_assert_null (g4remote_pool_get ("http://", &error));
  g_clear_error (&error);
}

static void
test_client_config (void)
{
  G4RemoteConfig c = { "http://127.0.0.1:9", NULL, "G4_TEST_NO_SUCH_KEY",
    G4REMOTE_DIALECT_AUTO, 2, NULL
  };
  GError *error = NULL;

  g_unsetenv ("G4_TEST_NO_SUCH_KEY");
  g_assert_null (g4remote_client_new (&c, &error));
  g_assert_error (error, G4REMOTE_ERROR, G4REMOTE_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "G4_TEST_NO_SUCH_KEY"));
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/remote/sse/any-cut", test_sse_any_cut);
  g_test_add_func ("/remote/sse/malformed", test_sse_malformed);
  g_test_add_func ("/remote/sse/stop", test_sse_stop);
  g_test_add_func ("/remote/sse/channel-markers", test_sse_channel_markers);
  g_test_add_func ("/remote/choice", test_choice);
  g_test_add_func ("/remote/sse/whole-completion", test_whole_completion);
  g_test_add_func ("/remote/body", test_body);
  g_test_add_func ("/remote/wav-and-sizes", test_wav_and_sizes);
  g_test_add_func ("/remote/pool", test_pool);
  g_test_add_func ("/remote/client-config", test_client_config);
  return g_test_run ();
}
