/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The user instructions of the built-in image tasks (describe, detect, ocr,
 * classify), with the caller's comma-separated labels cleaned up (items
 * trimmed, empty ones dropped) and written back as "a, b, c"; and the user
 * turn of a video caption window, shared by gemma4caption and the CLI. */
#include "gemma4.h"

#include <inttypes.h>
#include <stdio.h>
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

const char *
g4_caption_default_instruction (void)
{
  return "These are {num_frames} frames of a video from {start} to {end}, each after its"
      " time stamp. Earlier captions: {previous} Describe what happens in these frames in"
      " one or two sentences.";
}

/* mm:ss as Hugging Face's Gemma 4 processor writes frame times
 * (processing_gemma4.py, replace_video_token: zero-padded minutes and
 * seconds, minutes counting on past 59), which is what the model saw in
 * training. */
static void
put_time (text_out * o, int64_t ms)
{
  char t[32];
  const int64_t s = ms > 0 ? ms / 1000 : 0;
  snprintf (t, sizeof t, "%02" PRId64 ":%02d", s / 60, (int) (s % 60));
  puts_ (o, t);
}

size_t
g4_caption_prompt (const char *instruction, const int64_t * frame_ms, int n_frames,
    int64_t start_ms, int64_t end_ms, const char *const *previous, int n_previous, char *buf,
    size_t buf_size)
{
  text_out o = {.buf = buf,.size = buf ? buf_size : 0 };
  for (int i = 0; i < n_frames; i++) {
    puts_ (&o, i ? " " : "");
    put_time (&o, frame_ms[i]);
    puts_ (&o, " <|image|>");
  }
  /* the chat template puts a video as "\n\n<|video|>\n\n"; the rendered
   * turn is trimmed, so the blank line between frames and text remains */
  puts_ (&o, "\n\n");
  for (const char *p = instruction ? instruction : g4_caption_default_instruction (); *p;) {
    static const char *const keys[] = { "num_frames", "start", "end", "timestamps", "previous" };
    int k = -1;
    for (int i = 0; *p == '{' && i < 5 && k < 0; i++) {
      const size_t n = strlen (keys[i]);
      if (!strncmp (p + 1, keys[i], n) && p[1 + n] == '}')
        k = i;
    }
    if (k < 0) {
      put (&o, p++, 1);
      continue;
    }
    p += strlen (keys[k]) + 2;
    if (k == 0) {
      char nf[16];
      snprintf (nf, sizeof nf, "%d", n_frames);
      puts_ (&o, nf);
    } else if (k == 1 || k == 2) {
      put_time (&o, k == 1 ? start_ms : end_ms);
    } else if (k == 3) {
      for (int i = 0; i < n_frames; i++) {
        puts_ (&o, i ? ", " : "");
        put_time (&o, frame_ms[i]);
      }
    } else {
      for (int i = 0; i < n_previous; i++) {
        puts_ (&o, i ? " " : "");
        puts_ (&o, previous[i]);
      }
      if (n_previous <= 0)
        puts_ (&o, "(none)");
    }
  }
  if (o.size > 0)
    o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
  return o.len;
}
