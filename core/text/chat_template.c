/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Gemma 4 chat format (docs/tokenizer-and-chat.md#chat-format) written out
 * in C instead of running the Jinja template: turns, the optional system turn
 * with <|think|>, prior model turns with their thought blocks stripped, the
 * generation prompt of each template flavour, and the split of a raw answer
 * into thought and answer. Trimming follows Jinja's |trim (Python
 * str.strip). */
#include "vocab.h"

#include <stdlib.h>
#include <string.h>

#define CHANNEL_OPEN "<|channel>"
#define CHANNEL_CLOSE "<channel|>"
#define THOUGHT_LABEL "thought\n"

/* ---- text helpers ------------------------------------------------------------ */

/* Python's str.isspace() code points. */
static bool
is_space_cp (uint32_t c)
{
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0
      || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029
      || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Length of the whitespace character at s[0..n), or 0 when it is none. */
static size_t
space_at (const char *s, size_t n)
{
  const uint8_t *u = (const uint8_t *) s;
  if (u[0] < 0x80)
    return is_space_cp (u[0]) ? 1 : 0;
  if (u[0] >= 0xC2 && u[0] <= 0xDF && n >= 2 && (u[1] & 0xC0) == 0x80)
    return is_space_cp ((uint32_t) (u[0] & 0x1F) << 6 | (u[1] & 0x3F)) ? 2 : 0;
  if (u[0] >= 0xE0 && u[0] <= 0xEF && n >= 3 && (u[1] & 0xC0) == 0x80 && (u[2] & 0xC0) == 0x80)
    return is_space_cp ((uint32_t) (u[0] & 0x0F) << 12 | (uint32_t) (u[1] & 0x3F) << 6
        | (u[2] & 0x3F)) ? 3 : 0;
  return 0;
}

/* Narrows s[0..*n) to its trimmed part. */
static const char *
trim (const char *s, size_t * n)
{
  size_t k;
  while (*n > 0 && (k = space_at (s, *n)) > 0) {
    s += k;
    *n -= k;
  }
  while (*n > 0) {
    /* Whitespace is at most 3 bytes long: try the characters ending at *n. */
    size_t cut = 0;
    for (k = 1; k <= 3 && k <= *n && cut == 0; k++)
      if (space_at (s + *n - k, k) == k)
        cut = k;
    if (cut == 0)
      break;
    *n -= cut;
  }
  return s;
}

/* A bounded output: counts every byte, stores what fits, stays NUL terminated. */
typedef struct {
  char *buf;
  size_t size, len;
} sink;

static void
put (sink * o, const char *s, size_t n)
{
  if (o->len < o->size) {
    size_t room = o->size - 1 - o->len;
    size_t k = n < room ? n : room;
    memcpy (o->buf + o->len, s, k);
    o->buf[o->len + k] = '\0';
  }
  o->len += n;
}

static void
put_str (sink * o, const char *s)
{
  put (o, s, strlen (s));
}

/* Calls fn on each part of text that survives strip_thinking() of the Gemma 4
 * template: text.split('<channel|>'), keeping of each part what precedes its
 * first '<|channel>'. With want_thought, fn gets instead what follows that
 * opener (the thought), minus the "thought\n" label. */
static void
each_part (const char *text, size_t n, bool want_thought,
    void (*fn) (void *ctx, const char *s, size_t n), void *ctx)
{
  const size_t close_len = strlen (CHANNEL_CLOSE), open_len = strlen (CHANNEL_OPEN);
  const char *p = text, *end = text + n;
  for (;;) {
    const char *close = memmem (p, (size_t) (end - p), CHANNEL_CLOSE, close_len);
    const char *part_end = close ? close : end;
    const char *open = memmem (p, (size_t) (part_end - p), CHANNEL_OPEN, open_len);
    if (!want_thought)
      fn (ctx, p, (size_t) ((open ? open : part_end) - p));
    else if (open) {
      const char *t = open + open_len;
      size_t label = strlen (THOUGHT_LABEL);
      if ((size_t) (part_end - t) >= label && memcmp (t, THOUGHT_LABEL, label) == 0)
        t += label;
      fn (ctx, t, (size_t) (part_end - t));
    }
    if (close == NULL)
      break;
    p = close + close_len;
  }
}

/* A growable byte buffer for the concatenations that must be trimmed whole. */
typedef struct {
  char *s;
  size_t len;
} joined;

static void
join_part (void *ctx, const char *s, size_t n)
{
  joined *j = ctx;
  memcpy (j->s + j->len, s, n);
  j->len += n;
}

/* Thought blocks are trimmed one by one and joined by newlines. */
static void
join_thought (void *ctx, const char *s, size_t n)
{
  joined *j = ctx;
  s = trim (s, &n);
  if (n == 0)
    return;
  if (j->len > 0)
    j->s[j->len++] = '\n';
  memcpy (j->s + j->len, s, n);
  j->len += n;
}

/* strip_thinking(text) | trim into a caller buffer of at least n bytes. */
static size_t
strip_thinking (const char *text, size_t n, char *scratch, const char **out)
{
  joined j = { scratch, 0 };
  each_part (text, n, false, join_part, &j);
  size_t len = j.len;
  *out = trim (j.s, &len);
  return len;
}

/* ---- rendering ------------------------------------------------------------------ */

static const char *
role_name (g4_role r)
{
  switch (r) {
    case G4_ROLE_SYSTEM: return "system";
    case G4_ROLE_USER: return "user";
    case G4_ROLE_MODEL: return "model";
  }
  return "user";
}

size_t
g4_chat_render (g4_template_flavor flavor, const g4_chat_message * msgs,
    int n_msgs, bool thinking, bool add_generation_prompt, char *buf, size_t buf_size)
{
  if (msgs == NULL || n_msgs < 0)
    n_msgs = 0;
  if (buf == NULL)
    buf_size = 0;
  sink o = { buf, buf_size, 0 };
  if (buf_size > 0)
    buf[0] = '\0';

  /* One scratch buffer, as long as the longest model message, for stripping. */
  size_t longest = 1;
  for (int i = 0; i < n_msgs; i++)
    if (msgs[i].role == G4_ROLE_MODEL && msgs[i].content) {
      size_t n = strlen (msgs[i].content);
      longest = n > longest ? n : longest;
    }
  char *scratch = malloc (longest);
  if (scratch == NULL)
    return 0;

  put_str (&o, "<bos>");
  int first = 0;
  bool has_system = n_msgs > 0 && msgs[0].role == G4_ROLE_SYSTEM;
  if (thinking || has_system) {
    put_str (&o, "<|turn>system\n");
    if (thinking)
      put_str (&o, "<|think|>\n");
    if (has_system) {
      const char *c = msgs[0].content ? msgs[0].content : "";
      size_t n = strlen (c);
      c = trim (c, &n);
      put (&o, c, n);
      first = 1;
    }
    put_str (&o, "<turn|>\n");
  }

  for (int i = first; i < n_msgs; i++) {
    const char *c = msgs[i].content ? msgs[i].content : "";
    size_t n = strlen (c);
    put_str (&o, "<|turn>");
    put_str (&o, role_name (msgs[i].role));
    put_str (&o, "\n");
    if (msgs[i].role == G4_ROLE_MODEL)
      n = strip_thinking (c, n, scratch, &c);
    else
      c = trim (c, &n);
    put (&o, c, n);
    put_str (&o, "<turn|>\n");
  }

  if (add_generation_prompt) {
    put_str (&o, "<|turn>model\n");
    if (flavor == G4_TEMPLATE_LARGE && !thinking)
      put_str (&o, CHANNEL_OPEN THOUGHT_LABEL CHANNEL_CLOSE);
  }
  free (scratch);
  return o.len;
}

/* Copies s[0..n) into a buffer of size bytes, cut at a character boundary. */
static void
copy_out (char *dst, size_t size, const char *s, size_t n)
{
  if (dst == NULL || size == 0)
    return;
  if (n >= size) {
    n = size - 1;
    while (n > 0 && ((uint8_t) s[n] & 0xC0) == 0x80)
      n--;
  }
  memcpy (dst, s, n);
  dst[n] = '\0';
}

void
g4_chat_split_thought (const char *raw, char *answer, size_t answer_size,
    char *thought, size_t thought_size)
{
  copy_out (answer, answer_size, "", 0);
  copy_out (thought, thought_size, "", 0);
  if (raw == NULL)
    return;
  size_t n = strlen (raw);
  char *scratch = malloc (n + 1);
  if (scratch == NULL)
    return;

  const char *a;
  size_t na = strip_thinking (raw, n, scratch, &a);
  copy_out (answer, answer_size, a, na);

  joined t = { scratch, 0 };
  each_part (raw, n, true, join_thought, &t);
  copy_out (thought, thought_size, t.s, t.len);
  free (scratch);
}

g4_template_flavor
g4_template_flavor_detect (const char *chat_template)
{
  /* The LARGE templates end the generation prompt with an empty thought
   * block; in the Jinja source its newline is usually the escape "\n". */
  if (chat_template != NULL
      && (strstr (chat_template, CHANNEL_OPEN "thought\\n" CHANNEL_CLOSE)
          || strstr (chat_template, CHANNEL_OPEN THOUGHT_LABEL CHANNEL_CLOSE)))
    return G4_TEMPLATE_LARGE;
  return G4_TEMPLATE_SMALL;
}
