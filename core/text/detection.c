/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reads detections out of a model's answer with a tolerant JSON reader: the
 * first '[' or '{' that starts a JSON value (code fences and prose around it
 * are skipped), any object with a box key, wrapper objects, numbers written as
 * strings, fractions, swapped corners, and a list cut off mid-object (the
 * complete objects are kept). The reader never looks past the NUL and its
 * total work is bounded by the text's length. */
#include "error.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 32
#define LABEL_SIZE ((int) sizeof (((g4_detection *) 0)->label))

typedef enum { J_OK, J_EOF, J_ERR } jres;   /* J_EOF: the text ended inside the value */

typedef enum { V_OTHER, V_STRING, V_NUMBER, V_ARRAY } vkind;

/* What a caller keeps of a value: a string (decoded, truncated to a label on
 * a UTF-8 boundary), a number (also a string holding one), or an array's
 * first four numbers. */
typedef struct {
  vkind kind;
  bool has_num;
  double num;
  char str[LABEL_SIZE];
  int str_len;
  bool str_full;
  double box[4];
  int n_items;
  bool all_numbers;
} jvalue;

typedef struct {
  const char *p;
  size_t budget;                /* bytes all attempts together may still read */
  bool exhausted;
  bool xy_order;
  g4_detection *out;
  int max_out, n;
} reader;

static jres parse_value (reader * r, int depth, jvalue * v);

/* ---- cursor --------------------------------------------------------------- */

static unsigned char
peek (const reader * r)
{
  return (unsigned char) *r->p;
}

/* Moves past the current byte (never past the NUL); false once the work
 * budget is spent. */
static bool
advance (reader * r)
{
  if (r->budget == 0) {
    r->exhausted = true;
    return false;
  }
  r->budget--;
  if (*r->p)
    r->p++;
  return true;
}

static bool
is_space (unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
skip_space (reader * r)
{
  while (is_space (peek (r)) && advance (r)) {
  }
}

/* ---- numbers ---------------------------------------------------------------- */

/* A JSON number (a leading '+' tolerated) at s, without the C library's
 * locale-dependent strtod; returns its length, 0 when there is none. */
static size_t
scan_number (const char *s, double *out)
{
  size_t i = 0;
  bool neg = s[i] == '-';
  if (s[i] == '-' || s[i] == '+')
    i++;
  double m = 0.0;
  int exp10 = 0, digits = 0;
  for (; s[i] >= '0' && s[i] <= '9'; i++, digits++) {
    if (m < 1e17)
      m = m * 10.0 + (s[i] - '0');
    else
      exp10++;
  }
  if (s[i] == '.') {
    size_t j = i + 1;
    for (; s[j] >= '0' && s[j] <= '9'; j++, digits++)
      if (m < 1e17) {
        m = m * 10.0 + (s[j] - '0');
        exp10--;
      }
    if (j > i + 1 || digits > 0)
      i = j;
  }
  if (digits == 0)
    return 0;
  if (s[i] == 'e' || s[i] == 'E') {
    size_t j = i + 1;
    bool eneg = s[j] == '-';
    if (s[j] == '-' || s[j] == '+')
      j++;
    int e = 0;
    bool any = false;
    for (; s[j] >= '0' && s[j] <= '9'; j++, any = true)
      e = e < 10000 ? e * 10 + (s[j] - '0') : e;
    if (any) {
      exp10 += eneg ? -e : e;
      i = j;
    }
  }
  double x = exp10 ? m * pow (10.0, exp10) : m;
  *out = neg ? -x : x;
  return i;
}

/* A string that holds only a number (spaces around it allowed). */
static bool
string_number (const char *s, double *out)
{
  while (is_space ((unsigned char) *s))
    s++;
  size_t n = scan_number (s, out);
  if (n == 0)
    return false;
  for (s += n; is_space ((unsigned char) *s); s++) {
  }
  return *s == '\0' && isfinite (*out);
}

static jres
parse_number (reader * r, jvalue * v)
{
  double x;
  size_t n = scan_number (r->p, &x);
  if (n == 0)
    return peek (r) ? J_ERR : J_EOF;
  for (size_t i = 0; i < n; i++)
    if (!advance (r))
      return J_ERR;
  /* a number cut off by the end of the text may be missing digits */
  if (peek (r) == '\0')
    return J_EOF;
  v->kind = V_NUMBER;
  v->has_num = isfinite (x);
  v->num = x;
  return J_OK;
}

/* ---- strings ---------------------------------------------------------------- */

/* Appends n bytes of one character, unless the label is full (then nothing
 * more is added, so it ends on a character boundary). */
static void
put_char (jvalue * v, const char *c, int n)
{
  if (v->str_full || v->str_len + n > LABEL_SIZE - 1) {
    v->str_full = true;
    return;
  }
  memcpy (v->str + v->str_len, c, (size_t) n);
  v->str_len += n;
  v->str[v->str_len] = '\0';
}

static void
put_code_point (jvalue * v, uint32_t cp)
{
  char b[4];
  if (cp == 0)
    return;
  if (cp < 0x80) {
    b[0] = (char) cp;
    put_char (v, b, 1);
  } else if (cp < 0x800) {
    b[0] = (char) (0xc0 | cp >> 6);
    b[1] = (char) (0x80 | (cp & 0x3f));
    put_char (v, b, 2);
  } else if (cp < 0x10000) {
    b[0] = (char) (0xe0 | cp >> 12);
    b[1] = (char) (0x80 | (cp >> 6 & 0x3f));
    b[2] = (char) (0x80 | (cp & 0x3f));
    put_char (v, b, 3);
  } else {
    b[0] = (char) (0xf0 | cp >> 18);
    b[1] = (char) (0x80 | (cp >> 12 & 0x3f));
    b[2] = (char) (0x80 | (cp >> 6 & 0x3f));
    b[3] = (char) (0x80 | (cp & 0x3f));
    put_char (v, b, 4);
  }
}

#define REPLACEMENT 0xfffdu

/* The four hex digits of a \u escape (the cursor is on the first). */
static jres
read_hex4 (reader * r, uint32_t * cp)
{
  *cp = 0;
  for (int i = 0; i < 4; i++) {
    unsigned char c = peek (r);
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (c == '\0')
      return J_EOF;
    if (d < 0 || !advance (r))
      return J_ERR;
    *cp = *cp << 4 | (uint32_t) d;
  }
  return J_OK;
}

/* After a backslash: one escape, \uXXXX with UTF-16 surrogate pairs joined
 * (a lone surrogate becomes U+FFFD). */
static jres
parse_escape (reader * r, jvalue * v)
{
  unsigned char c = peek (r);
  if (c == '\0')
    return J_EOF;
  if (!advance (r))
    return J_ERR;
  static const char from[] = "\"\\/bfnrt'", to[] = "\"\\/\b\f\n\r\t'";
  const char *k = c != 'u' ? strchr (from, c) : NULL;
  if (k) {
    put_char (v, &to[k - from], 1);
    return J_OK;
  }
  if (c != 'u')
    return J_ERR;
  uint32_t cp;
  jres res = read_hex4 (r, &cp);
  if (res != J_OK)
    return res;
  if (cp >= 0xd800 && cp < 0xdc00 && r->p[0] == '\\' && r->p[1] == 'u') {
    const char *save = r->p;
    uint32_t lo = 0;
    if (advance (r) && advance (r) && (res = read_hex4 (r, &lo)) == J_OK && lo >= 0xdc00 && lo < 0xe000) {
      put_code_point (v, 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00));
      return J_OK;
    }
    if (res == J_EOF)
      return J_EOF;
    r->p = save;                /* not a low surrogate: read it on its own */
  }
  put_code_point (v, cp >= 0xd800 && cp < 0xe000 ? REPLACEMENT : cp);
  return J_OK;
}

/* One raw UTF-8 character; an ill-formed sequence becomes U+FFFD so labels
 * are always valid UTF-8. */
static jres
parse_raw_char (reader * r, jvalue * v)
{
  const unsigned char *s = (const unsigned char *) r->p;
  int n = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3
      : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
  unsigned char lo = s[0] == 0xe0 ? 0xa0 : s[0] == 0xf0 ? 0x90 : 0x80;
  unsigned char hi = s[0] == 0xed ? 0x9f : s[0] == 0xf4 ? 0x8f : 0xbf;
  int ok = n > 0 ? 1 : 0;
  for (int i = 1; i < n && ok == i; i++, lo = 0x80, hi = 0xbf)
    if (s[i] >= lo && s[i] <= hi)
      ok++;
  if (n > 0 && ok == n) {
    put_char (v, (const char *) s, n);
  } else {
    if (n > 0 && s[ok] == '\0')
      return J_EOF;             /* a character cut off by the end of the text */
    put_code_point (v, REPLACEMENT);
    n = ok > 0 ? ok : 1;
  }
  for (int i = 0; i < n; i++)
    if (!advance (r))
      return J_ERR;
  return J_OK;
}

/* A string in double quotes (single quotes tolerated), decoded into v. */
static jres
parse_string (reader * r, jvalue * v)
{
  const unsigned char quote = peek (r);
  if (!advance (r))
    return J_ERR;
  v->kind = V_STRING;
  v->str[0] = '\0';
  for (;;) {
    unsigned char c = peek (r);
    jres res = J_OK;
    if (c == '\0')
      return J_EOF;
    if (c == quote) {
      if (!advance (r))
        return J_ERR;
      break;
    }
    if (c == '\\')
      res = advance (r) ? parse_escape (r, v) : J_ERR;
    else
      res = parse_raw_char (r, v);
    if (res != J_OK)
      return res;
  }
  v->has_num = string_number (v->str, &v->num);
  return J_OK;
}

/* A bare word: true, false, null, or an unquoted object key. */
static jres
parse_word (reader * r, jvalue * v)
{
  v->kind = V_STRING;
  v->str[0] = '\0';
  for (;;) {
    unsigned char c = peek (r);
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      break;
    put_char (v, (const char *) r->p, 1);
    if (!advance (r))
      return J_ERR;
  }
  if (v->str_len == 0)
    return J_ERR;
  return peek (r) ? J_OK : J_EOF;
}

/* ---- arrays and objects ------------------------------------------------------- */

/* Between items: the separator, tolerating a trailing comma. Returns J_OK
 * with *more when another item follows. */
static jres
next_item (reader * r, unsigned char close, bool *more)
{
  skip_space (r);
  unsigned char c = peek (r);
  if (c == '\0')
    return J_EOF;
  if (!advance (r))
    return J_ERR;
  if (c == close) {
    *more = false;
    return J_OK;
  }
  if (c != ',')
    return J_ERR;
  skip_space (r);
  if (peek (r) == close) {
    *more = false;
    return advance (r) ? J_OK : J_ERR;
  }
  *more = peek (r) != '\0';
  return *more ? J_OK : J_EOF;
}

static jres
parse_array (reader * r, int depth, jvalue * v)
{
  if (!advance (r))
    return J_ERR;
  v->kind = V_ARRAY;
  v->all_numbers = true;
  skip_space (r);
  if (peek (r) == ']')
    return advance (r) ? J_OK : J_ERR;
  for (bool more = true; more;) {
    jvalue item = { 0 };
    jres res = parse_value (r, depth + 1, &item);
    if (res != J_OK)
      return res;
    if (item.has_num && v->n_items < 4)
      v->box[v->n_items] = item.num;
    v->all_numbers = v->all_numbers && item.has_num;
    v->n_items++;
    if ((res = next_item (r, ']', &more)) != J_OK)
      return res;
  }
  return J_OK;
}

static bool
key_is (const jvalue * k, const char *const *names)
{
  for (; *names; names++)
    if (!strcasecmp (k->str, *names))
      return true;
  return false;
}

static float
clampf (double x, double lo, double hi)
{
  return (float) (x < lo ? lo : x > hi ? hi : x);
}

/* A detection from an object's box (as the model wrote it), label and
 * confidence (-1 when absent). */
static void
emit (reader * r, const double *box, const char *label, double confidence)
{
  double b[4];
  bool fractions = true;
  for (int i = 0; i < 4; i++) {
    b[i] = box[r->xy_order ? (i ^ 1) : i];
    fractions = fractions && b[i] <= 1.0;
  }
  for (int i = 0; i < 4; i++)
    b[i] = fractions ? b[i] * 1000.0 : b[i];
  const float y_min = clampf (fmin (b[0], b[2]), 0.0, 1000.0);
  const float x_min = clampf (fmin (b[1], b[3]), 0.0, 1000.0);
  const float y_max = clampf (fmax (b[0], b[2]), 0.0, 1000.0);
  const float x_max = clampf (fmax (b[1], b[3]), 0.0, 1000.0);
  /* a box without width or height (or wholly outside the image) locates
   * nothing: dropped, never widened into a box the model did not draw */
  if (!(x_max > x_min) || !(y_max > y_min))
    return;
  if (r->n < r->max_out) {
    g4_detection *d = &r->out[r->n];
    d->y_min = y_min;
    d->x_min = x_min;
    d->y_max = y_max;
    d->x_max = x_max;
    /* trimmed: the label was cut on a character boundary already */
    while (is_space ((unsigned char) *label))
      label++;
    size_t n = strlen (label);
    while (n > 0 && is_space ((unsigned char) label[n - 1]))
      n--;
    memcpy (d->label, label, n);
    d->label[n] = '\0';
    if (confidence > 1.0 && confidence <= 100.0)
      confidence /= 100.0;      /* a percentage */
    d->confidence = confidence >= 0.0 ? clampf (confidence, 0.0, 1.0) : -1.0f;
  }
  r->n++;
}

/* An object is a detection when it has a box key holding four numbers; it is
 * emitted when its '}' is read, replacing whatever its members emitted, so a
 * list cut off inside an object loses only that object. */
static jres
parse_object (reader * r, int depth, jvalue * v)
{
  static const char *const box_keys[] = { "box_2d", "box", "bbox", "bounding_box", "bbox_2d", NULL };
  static const char *const label_keys[] = { "label", "name", "class", "category", NULL };
  static const char *const conf_keys[] = { "confidence", "score", NULL };
  if (!advance (r))
    return J_ERR;
  v->kind = V_OTHER;
  const int first = r->n;
  bool has_box = false, has_label = false;
  double box[4] = { 0 }, confidence = -1.0;
  char label[LABEL_SIZE] = "";
  skip_space (r);
  if (peek (r) == '}')
    return advance (r) ? J_OK : J_ERR;
  for (bool more = true; more;) {
    jvalue key = { 0 }, val = { 0 };
    unsigned char c = peek (r);
    jres res = c == '"' || c == '\'' ? parse_string (r, &key) : c ? parse_word (r, &key) : J_EOF;
    if (res != J_OK)
      return res;
    skip_space (r);
    if (peek (r) != ':')
      return peek (r) ? J_ERR : J_EOF;
    if (!advance (r))
      return J_ERR;
    skip_space (r);
    if ((res = parse_value (r, depth + 1, &val)) != J_OK)
      return res;
    if (key_is (&key, box_keys)) {
      if (val.kind == V_ARRAY && val.all_numbers && val.n_items == 4) {
        memcpy (box, val.box, sizeof box);
        has_box = true;
      }
    } else if (key_is (&key, label_keys) && val.kind == V_STRING
        && (!has_label || !strcasecmp (key.str, "label"))) {
      memcpy (label, val.str, sizeof label);
      has_label = true;
    } else if (key_is (&key, conf_keys) && val.has_num) {
      confidence = val.num;
    }
    if ((res = next_item (r, '}', &more)) != J_OK)
      return res;
  }
  if (has_box) {
    r->n = first;
    emit (r, box, label, confidence);
  }
  return J_OK;
}

static jres
parse_value (reader * r, int depth, jvalue * v)
{
  if (depth > MAX_DEPTH)
    return J_ERR;
  skip_space (r);
  unsigned char c = peek (r);
  if (c == '\0')
    return J_EOF;
  if (c == '[')
    return parse_array (r, depth, v);
  if (c == '{')
    return parse_object (r, depth, v);
  if (c == '"' || c == '\'')
    return parse_string (r, v);
  if (c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'))
    return parse_number (r, v);
  jres res = parse_word (r, v);
  if (res == J_OK && strcmp (v->str, "true") && strcmp (v->str, "false") && strcmp (v->str, "null"))
    return J_ERR;
  v->kind = V_OTHER;
  return res;
}

int
g4_detections_parse (const char *text, bool xy_order, g4_detection * out, int max_out,
    g4_error * err)
{
  if (!text || max_out < 0 || (max_out > 0 && !out)) {
    g4_set_error (err, G4_STATUS_INVALID_ARG, "g4_detections_parse: %s",
        !text ? "text is NULL" : max_out < 0 ? "max_out < 0" : "out is NULL");
    return -1;
  }
  size_t len = strlen (text);
  reader r = {.budget = 16 * len + 4096,.xy_order = xy_order,.out = out,.max_out = max_out };
  bool found = false;
  /* Each '[' or '{' may start the answer; the first value that holds a
   * detection wins, else the first that is JSON at all (an empty list). */
  for (const char *s = text; *s && !r.exhausted; s++) {
    if (*s != '[' && *s != '{')
      continue;
    jvalue v = { 0 };
    r.p = s;
    r.n = 0;
    jres res = parse_value (&r, 0, &v);
    if (r.n > 0)
      return r.n;
    if (res == J_ERR)
      continue;
    found = true;
    s = r.p - 1;
  }
  if (!found) {
    g4_set_error (err, G4_STATUS_FORMAT, "no JSON list or object in the answer%s",
        r.exhausted ? " (gave up: too much nesting to read)" : "");
    return -1;
  }
  return 0;
}
