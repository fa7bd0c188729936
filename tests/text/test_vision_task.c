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
  return test_exit_status ();
}
