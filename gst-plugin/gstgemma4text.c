/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seam de-duplication and JSON string escaping (see gstgemma4text.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgemma4text.h"

#include <math.h>
#include <string.h>

typedef struct
{
  gchar *norm;                  /* case-folded, punctuation removed */
  gsize end;                    /* byte offset just after the word */
} Word;

/* Characters of scripts written without spaces between words (Chinese,
 * Japanese, Thai, ...): each is compared as a word of its own, so a seam in
 * such text is measured in characters, not as one word for the whole text. */
static gboolean
is_word_character (gunichar c)
{
  switch (g_unichar_get_script (c)) {
    case G_UNICODE_SCRIPT_HAN:
    case G_UNICODE_SCRIPT_HIRAGANA:
    case G_UNICODE_SCRIPT_KATAKANA:
    case G_UNICODE_SCRIPT_THAI:
    case G_UNICODE_SCRIPT_LAO:
    case G_UNICODE_SCRIPT_KHMER:
    case G_UNICODE_SCRIPT_MYANMAR:
    case G_UNICODE_SCRIPT_TIBETAN:
      return TRUE;
    default:
      return FALSE;
  }
}

static void
add_word (GArray * words, GString * norm, gsize end)
{
  if (norm->len == 0)
    return;
  g_array_append_val (words, ((Word) {
          g_utf8_casefold (norm->str, -1), end}));
  g_string_truncate (norm, 0);
}

/* Splits on white space and around characters of scripts without spaces;
 * words that are only punctuation are skipped, so "well - yes" and "well
 * yes" compare equal. */
static GArray *
split_words (const gchar * text)
{
  GArray *words = g_array_new (FALSE, FALSE, sizeof (Word));
  GString *norm = g_string_new (NULL);

  for (const gchar * p = text; *p; p = g_utf8_next_char (p)) {
    const gunichar c = g_utf8_get_char (p);
    if (g_unichar_isspace (c)) {
      add_word (words, norm, (gsize) (p - text));
    } else if (is_word_character (c)) {
      add_word (words, norm, (gsize) (p - text));
      g_string_append_unichar (norm, c);
      add_word (words, norm, (gsize) (g_utf8_next_char (p) - text));
    } else if (!g_unichar_ispunct (c)) {
      g_string_append_unichar (norm, c);
    }
  }
  add_word (words, norm, strlen (text));
  g_string_free (norm, TRUE);
  return words;
}

static void
free_words (GArray * words)
{
  for (guint i = 0; i < words->len; i++)
    g_free (g_array_index (words, Word, i).norm);
  g_array_free (words, TRUE);
}

gsize
gst_gemma4_text_seam_skip (const gchar * prev, const gchar * next,
    gdouble overlap_share)
{
  GArray *a, *b;
  guint k, most, best = 0;
  gsize skip = 0;

  if (!prev || !next || !(overlap_share > 0.0))
    return 0;
  a = split_words (prev);
  b = split_words (next);
  /* what the overlap can hold: its share of next's words, one more for a
   * word it cuts; never all of next, which then says something new */
  most = (guint) ceil (MIN (overlap_share, 1.0) * b->len) + 1;
  most = MIN (most, b->len > 0 ? b->len - 1 : 0);
  for (k = MIN (a->len, most); k > 0 && !best; k--) {
    guint i;
    for (i = 0; i < k; i++) {
      const Word *wa = &g_array_index (a, Word, a->len - k + i);
      const Word *wb = &g_array_index (b, Word, i);
      if (g_strcmp0 (wa->norm, wb->norm) != 0)
        break;
    }
    if (i == k)
      best = k;
  }
  if (best > 0) {
    skip = g_array_index (b, Word, best - 1).end;
    while (next[skip] && (g_unichar_isspace (g_utf8_get_char (next + skip))
            || g_unichar_ispunct (g_utf8_get_char (next + skip))))
      skip = g_utf8_next_char (next + skip) - next;
  }
  free_words (a);
  free_words (b);
  return skip;
}

void
gst_gemma4_json_append_string (GString * out, const gchar * str)
{
  const guchar *p = (const guchar *) (str ? str : "");

  g_string_append_c (out, '"');
  for (; *p; p++) {
    switch (*p) {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      default:
        if (*p < 0x20)
          g_string_append_printf (out, "\\u%04x", *p);
        else
          g_string_append_c (out, (gchar) * p);
    }
  }
  g_string_append_c (out, '"');
}
