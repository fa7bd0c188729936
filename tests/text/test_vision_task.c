/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g4_vision_task_prompt: each task's instruction says what the parser and the
 * constrained decoder expect (detect: a bare JSON list of box_2d objects in
 * 0-1000 coordinates with the labels), the labels are cleaned up, classify
 * needs labels, and the output follows snprintf (length needed, truncated
 * and NUL terminated). */
#include <stdio.h>
#include <string.h>

#include "text_test.h"

static char buf[2048];

static const char *
prompt (g4_vision_task task, const char *labels)
{
  size_t n = g4_vision_task_prompt (task, labels, buf, sizeof buf);
  CHECK (n == strlen (buf), "task %d: returned %zu for %zu bytes", task, n, strlen (buf));
  return buf;
}

int
main (void)
{
  CHECK (strstr (prompt (G4_VISION_DESCRIBE, NULL), "Describe"));

  const char *det = prompt (G4_VISION_DETECT, " person ,, car,");
  printf ("detect: %s\n", det);
  CHECK (strstr (det, "these kinds in the image: person, car.") && strstr (det, "one of: person, car."),
      "labels not cleaned up: %s", det);
  CHECK (strstr (det, "only a JSON list") && strstr (det, "\"box_2d\": [y_min, x_min, y_max, x_max]")
      && strstr (det, "0-1000") && strstr (det, "\"label\""), "detect prompt lacks the format");
  const char *any = prompt (G4_VISION_DETECT, "");
  CHECK (strstr (any, "prominent objects") && !strstr (any, "one of:"), "detect without labels: %s", any);
  CHECK (!strcmp (any, prompt (G4_VISION_DETECT, NULL)));
  CHECK (!strcmp (any, prompt (G4_VISION_DETECT, " , ")), "labels of only separators are none");

  const char *ocr = prompt (G4_VISION_OCR, "ignored");
  CHECK (strstr (ocr, "verbatim") && strstr (ocr, "reading order") && strstr (ocr, "nothing else"));

  const char *cls = prompt (G4_VISION_CLASSIFY, "cat,dog");
  CHECK (strstr (cls, "cat, dog") && strstr (cls, "exactly one of the labels"), "classify: %s", cls);
  CHECK (g4_vision_task_prompt (G4_VISION_CLASSIFY, NULL, buf, sizeof buf) == 0 && buf[0] == '\0',
      "classify without labels gives the empty string");
  CHECK (g4_vision_task_prompt ((g4_vision_task) 99, NULL, buf, sizeof buf) == 0 && buf[0] == '\0');

  /* snprintf semantics */
  size_t full = g4_vision_task_prompt (G4_VISION_DETECT, "cat", NULL, 0);
  char small[16];
  memset (small, 'x', sizeof small);
  CHECK (g4_vision_task_prompt (G4_VISION_DETECT, "cat", small, sizeof small) == full);
  CHECK (strlen (small) == sizeof small - 1 && !strncmp (small, "Detect every ob", 15), "truncated: %s", small);
  CHECK (g4_vision_task_prompt (G4_VISION_DETECT, "cat", small, 1) == full && small[0] == '\0');
  printf ("vision task prompts: %zu bytes for detect with one label\n", full);

  /* a caption window: frames at 0:05, 1:02.5 and 75:03 (minutes go on past 59) */
  const int64_t at[] = { 5000, 62500, 4503000 };
  const char *const prev[] = { "A dog runs.", "It stops." };
  char cap[512];
  size_t cn = g4_caption_prompt ("{num_frames} frames {start}-{end} [{timestamps}] {previous} {x}",
      at, 3, 0, 4510000, prev, 2, cap, sizeof cap);
  const char *want = "00:05 <|image|> 01:02 <|image|> 75:03 <|image|>\n\n"
      "3 frames 00:00-75:10 [00:05, 01:02, 75:03] A dog runs. It stops. {x}";
  CHECK (cn == strlen (want) && !strcmp (cap, want), "caption prompt:\n%s\nwanted:\n%s", cap, want);
  g4_caption_prompt ("{previous}", at, 1, 0, 1000, NULL, 0, cap, sizeof cap);
  CHECK (!strcmp (cap, "00:05 <|image|>\n\n(none)"), "no history: %s", cap);
  size_t dn = g4_caption_prompt (NULL, at, 2, 0, 10000, NULL, 0, NULL, 0);
  CHECK (dn > 0 && dn == g4_caption_prompt (NULL, at, 2, 0, 10000, NULL, 0, small, sizeof small)
      && strlen (small) == sizeof small - 1, "caption prompt length %zu", dn);
  CHECK (strstr (g4_caption_default_instruction (), "{num_frames}")
      && strstr (g4_caption_default_instruction (), "{previous}"));
  printf ("caption prompt: %zu bytes for 3 frames\n", cn);
  return test_exit_status ();
}
