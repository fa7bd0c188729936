/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The user instruction of speech recognition, shared by gemma4asr and
 * `gemma4-cli transcribe`: transcribe, or translate into a target
 * language, with the spoken language as a hint when it is known. */
#include "gemma4.h"

#include <stdio.h>

size_t
g4_asr_prompt (bool translate, const char *language, const char *target, char *buf,
    size_t buf_size)
{
  int n;
  if (translate) {
    if (!target || !*target)
      target = "English";
    if (language && *language)
      n = snprintf (buf, buf_size, "Translate the %s speech in this audio into %s. "
          "Write only the translation, with no comments.", language, target);
    else
      n = snprintf (buf, buf_size, "Translate the speech in this audio into %s. "
          "Write only the translation, with no comments.", target);
  } else if (language && *language) {
    n = snprintf (buf, buf_size, "Transcribe this %s audio. Write only the words that "
        "are spoken, with no comments.", language);
  } else {
    n = snprintf (buf, buf_size, "Transcribe this audio in the language that is spoken. "
        "Write only the words that are spoken, with no comments.");
  }
  return n < 0 ? 0 : (size_t) n;
}
