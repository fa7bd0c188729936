/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The user instructions of the built-in image tasks (describe, detect, ocr,
 * classify), with the caller's comma-separated labels cleaned up (items
 * trimmed, empty ones dropped) and written back as "a, b, c". */
#include "gemma4.h"

#include <string.h>

/* snprintf-style output: counts everything, writes what fits. */
typedef struct {
  char *buf;
  size_t size, len;
} text_out;

static void
put (text_out * o, const char *s, size_t n)
{
  if (o->len < o->size) {
    size_t room = o->size - 1 - o->len;
    memcpy (o->buf + o->len, s, n < room ? n : room);
  }
  o->len += n;
}

static void
puts_ (text_out * o, const char *s)
{
  put (o, s, strlen (s));
}

static bool
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Writes the labels as "a, b, c"; returns how many there were. */
static int
put_labels (text_out * o, const char *labels)
{
  int n = 0;
  for (const char *s = labels; s && *s;) {
    const char *end = strchr (s, ',');
    if (!end)
      end = s + strlen (s);
    const char *a = s, *b = end;
    while (a < b && is_space (*a))
      a++;
    while (b > a && is_space (b[-1]))
      b--;
    if (b > a) {
      if (n++ > 0)
        puts_ (o, ", ");
      put (o, a, (size_t) (b - a));
    }
    s = *end ? end + 1 : end;
  }
  return n;
}

static bool
has_label (const char *labels)
{
  text_out probe = { 0 };
  return put_labels (&probe, labels) > 0;
}

/* The box format is Gemini's, which Gemma shares: "box_2d" holding
 * [y_min, x_min, y_max, x_max], top-left origin, each value normalized to
 * 0-1000 of the image (Google Cloud "Bounding box detection" for Gemini; the
 * Gemma 4 launch material (Hugging Face "Welcome Gemma 4", 2026-04-02)
 * describes native JSON boxes in a 1000x1000 space without naming the key,
 * and Google's answer on google/gemma-3-4b-it discussion #38 points Gemma at
 * the Gemini format). The model is asked for the bare list so that the answer
 * parses (g4_detections_parse) and matches g4_constraint_detection_new. */
static void
put_detect (text_out * o, const char *labels)
{
  if (has_label (labels)) {
    puts_ (o, "Detect every object of these kinds in the image: ");
    put_labels (o, labels);
    puts_ (o, ".");
  } else {
    puts_ (o, "Detect the prominent objects in the image.");
  }
  puts_ (o, " Answer with only a JSON list and nothing else: one"
      " {\"box_2d\": [y_min, x_min, y_max, x_max], \"label\": \"...\"} object per"
      " object found, where the coordinates are integers normalized to 0-1000"
      " of the image (0,0 is the top-left corner)");
  if (has_label (labels)) {
    puts_ (o, " and the label is one of: ");
    put_labels (o, labels);
    puts_ (o, ".");
  } else {
    puts_ (o, " and the label is a short name of the object.");
  }
  puts_ (o, " Answer [] when there is none.");
}

/* An unknown task, or classify without labels, gives the empty string (0). */
size_t
g4_vision_task_prompt (g4_vision_task task, const char *labels, char *buf, size_t buf_size)
{
  text_out o = {.buf = buf,.size = buf ? buf_size : 0 };
  switch (task) {
    case G4_VISION_DESCRIBE:
      puts_ (&o, "Describe this image in one or two sentences.");
      break;
    case G4_VISION_DETECT:
      put_detect (&o, labels);
      break;
    case G4_VISION_OCR:
      puts_ (&o, "Transcribe all the text in this image verbatim, in reading"
          " order, keeping its line breaks. Answer with only the text and"
          " nothing else.");
      break;
    case G4_VISION_CLASSIFY:
      if (!has_label (labels))
        break;
      puts_ (&o, "Which one of these labels fits this image best: ");
      put_labels (&o, labels);
      puts_ (&o, "? Answer with exactly one of the labels and nothing else.");
      break;
  }
  if (o.size > 0)
    o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
  return o.len;
}
