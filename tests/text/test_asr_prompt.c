/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g4_asr_prompt: transcribe or translate, the spoken language as a hint when
 * given, English as the default target, and snprintf's contract (length
 * needed, truncated and NUL terminated). */
#include <stdio.h>
#include <string.h>

#include "text_test.h"

static char buf[512];

static const char *
prompt (bool translate, const char *language, const char *target)
{
  size_t n = g4_asr_prompt (translate, language, target, buf, sizeof buf);
  CHECK (n == strlen (buf), "returned %zu for %zu bytes", n, strlen (buf));
  return buf;
}

int
main (void)
{
  const char *t = prompt (false, NULL, NULL);
  printf ("transcribe: %s\n", t);
  CHECK (strstr (t, "Transcribe this audio in the language that is spoken"));
  CHECK (!strcmp (t, prompt (false, "", "German")), "empty language is none, target ignored");
  CHECK (strstr (prompt (false, "French", NULL), "Transcribe this French audio"));
  CHECK (strstr (prompt (true, NULL, NULL), "into English."), "default target");
  CHECK (strstr (prompt (true, NULL, ""), "into English."));
  const char *tr = prompt (true, "German", "Spanish");
  printf ("translate: %s\n", tr);
  CHECK (strstr (tr, "Translate the German speech in this audio into Spanish.")
      && strstr (tr, "only the translation"));

  char small[8];
  size_t full = strlen (prompt (false, NULL, NULL));
  size_t need = g4_asr_prompt (false, NULL, NULL, small, sizeof small);
  CHECK (need == full && strlen (small) == sizeof small - 1, "truncated at %zu", need);
  CHECK (g4_asr_prompt (false, NULL, NULL, NULL, 0) == need, "size query");
  return test_exit_status ();
}
