/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seam de-duplication (see gstgemma4text.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgemma4text.h"

typedef struct
{
  gchar *norm;                  /* case-folded, punctuation removed */
  gsize end;                    /* byte offset just after the word */
} Word;

/* Splits on white space; words that are only punctuation are skipped, so
 * "well - yes" and "well yes" compare equal. */
static GArray *
split_words (const gchar * text)
{
  GArray *words = g_array_new (FALSE, FALSE, sizeof (Word));
  const gchar *p = text;

  while (*p) {
    GString *norm;
    gchar *folded;

    while (*p && g_unichar_isspace (g_utf8_get_char (p)))
      p = g_utf8_next_char (p);
    if (!*p)
      break;
    norm = g_string_new (NULL);
    while (*p && !g_unichar_isspace (g_utf8_get_char (p))) {
      gunichar c = g_utf8_get_char (p);
      if (!g_unichar_ispunct (c))
        g_string_append_unichar (norm, c);
      p = g_utf8_next_char (p);
    }
    if (norm->len == 0) {
      g_string_free (norm, TRUE);
      continue;
    }
    folded = g_utf8_casefold (norm->str, -1);
    g_string_free (norm, TRUE);
    g_array_append_val (words, ((Word) {
            folded, (gsize) (p - text)}));
  }
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
    guint max_words)
{
  GArray *a, *b;
  guint k, best = 0;
  gsize skip = 0;

  if (!prev || !next)
    return 0;
  a = split_words (prev);
  b = split_words (next);
  for (k = MIN (MIN (a->len, b->len), max_words); k > 0 && !best; k--) {
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
    while (next[skip] && g_unichar_isspace (g_utf8_get_char (next + skip)))
      skip = g_utf8_next_char (next + skip) - next;
  }
  free_words (a);
  free_words (b);
  return skip;
}
