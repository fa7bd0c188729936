/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Constrained decoding of detection answers: a byte-level pushdown-free
 * automaton (the nesting is fixed) for exactly the JSON of
 * g4_constraint_detection_new, run over token pieces; the same machinery
 * with only its label trie answers classification (g4_constraint_choice_new:
 * one of the labels, as it is written). Pieces are computed
 * once and sorted, so one pass over the vocabulary finds the allowed tokens
 * while sharing the automaton's work over common prefixes; greedy decoding
 * only checks the best candidates until one fits. */
#include "constraint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "vocab.h"

/* Whitespace run allowed between two JSON tokens: room for a newline and
 * indentation, not for the model to idle on spaces. */
#define MAX_SPACE 8
/* Bytes of a label as written in the JSON string (escapes included): what
 * g4_detection.label holds once decoded, which is never longer. */
#define MAX_LABEL 63
/* Candidates the greedy pick checks before scanning the whole vocabulary. */
#define GREEDY_CANDIDATES 32

typedef enum {
  S_START,                      /* before '[' */
  S_FIRST,                      /* after '[': '{' or ']' */
  S_OBJECT,                     /* after '{': the "box_2d" key */
  S_KEY_BOX,                    /* inside "box_2d" */
  S_COLON_BOX,
  S_BOX,                        /* '[' of the box */
  S_NUM_START,                  /* a coordinate's first digit */
  S_NUM,                        /* inside a coordinate */
  S_NUM_END,                    /* after a coordinate and spaces */
  S_AFTER_BOX,                  /* ',' before "label" */
  S_LABEL_KEY,                  /* '"' of "label" */
  S_KEY_LABEL,                  /* inside "label" */
  S_COLON_LABEL,
  S_VALUE,                      /* '"' of the label's value */
  S_STRING,                     /* inside the label's value */
  S_OBJECT_END,                 /* '}' */
  S_AFTER_OBJECT,               /* ',' or ']' */
  S_NEXT,                       /* '{' of the next object */
  S_CHOICE,                     /* inside a bare label (choice constraints) */
  S_DONE,
} phase;

static const char key_box[] = "box_2d\"", key_label[] = "label\"";

typedef struct {
  uint8_t phase, space, coord, lit;
  uint8_t esc;                  /* 1 after a backslash */
  uint8_t hex;                  /* hex digits of a \u escape still to come */
  uint8_t u8_need, u8_lo, u8_hi; /* continuation bytes of a UTF-8 character */
  uint8_t len;                  /* label bytes written */
  uint16_t value;               /* the coordinate so far */
  uint16_t first[2];            /* y_min and x_min, which y_max and x_max must differ from */
  int32_t node;                 /* label trie node; -1: any string */
  uint32_t n_objects;
} cstate;

/* Label trie: children as sibling lists (few labels, short scans). */
typedef struct {
  int32_t first_edge;
  bool terminal;
} trie_node;

typedef struct {
  int32_t next, child;
  uint8_t byte;
} trie_edge;

enum {
  T_NEVER,                      /* control, user-defined, unknown, empty piece */
  T_EOG,
  T_TEXT,
  T_STRING_SAFE,                /* whole UTF-8 characters, no '"', '\\' or control */
};

struct g4_constraint {
  cstate state;
  bool choice;                  /* the answer is one label, not a JSON list */
  uint32_t max_objects;         /* 0: no limit */
  trie_node *nodes;             /* NULL: any label */
  trie_edge *edges;
  int n_nodes, n_edges;

  int n_tokens;
  uint8_t *type;                /* [n_tokens] T_* */
  uint32_t *offset;             /* [n_tokens + 1] into bytes */
  uint8_t *bytes;               /* every piece, back to back */
  g4_token *sorted;             /* T_TEXT and T_STRING_SAFE tokens by piece */
  uint8_t *lcp;                 /* [n_sorted] bytes shared with the previous one */
  int n_sorted;
  g4_token *eog;
  int n_eog;

  uint8_t *allowed;             /* [n_tokens] scratch of the last scan */
  cstate *stack;                /* [max piece + 1] states along a piece */
};

/* ---- the automaton ---------------------------------------------------------- */

static bool
is_space (uint8_t b)
{
  return b == ' ' || b == '\n' || b == '\r' || b == '\t';
}

static int32_t
trie_child (const g4_constraint * c, int32_t node, uint8_t b)
{
  for (int32_t e = c->nodes[node].first_edge; e >= 0; e = c->edges[e].next)
    if (c->edges[e].byte == b)
      return c->edges[e].child;
  return -1;
}

/* One byte of a label written as any JSON string (bounded, valid UTF-8). */
static bool
step_free_string (cstate * s, uint8_t b)
{
  if (s->u8_need > 0) {
    if (b < s->u8_lo || b > s->u8_hi)
      return false;
    s->u8_need--;
    s->u8_lo = 0x80;
    s->u8_hi = 0xbf;
    return true;
  }
  if (s->hex > 0) {
    if (!((b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F')))
      return false;
    s->hex--;
    s->len++;
    return true;
  }
  if (s->esc) {
    if (b == 'u') {
      if (s->len + 5 > MAX_LABEL)
        return false;
      s->hex = 4;
    } else if (b == '\0' || !strchr ("\"\\/bfnrt", b)) {
      return false;
    }
    s->esc = 0;
    s->len++;
    return true;
  }
  if (b == '"') {
    if (s->len == 0)
      return false;
    s->phase = S_OBJECT_END;
    return true;
  }
  /* every unit must fit whole, so the string can always be closed */
  int n = b < 0x20 ? 0 : b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3
      : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (b == '\\')
    n = 2;
  if (n == 0 || s->len + n > MAX_LABEL)
    return false;
  if (b == '\\') {
    s->esc = 1;
    s->len++;
    return true;
  }
  s->len += (uint8_t) n;
  s->u8_need = (uint8_t) (n - 1);
  s->u8_lo = b == 0xe0 ? 0xa0 : b == 0xf0 ? 0x90 : 0x80;
  s->u8_hi = b == 0xed ? 0x9f : b == 0xf4 ? 0x8f : 0xbf;
  return true;
}

static bool
step_string (const g4_constraint * c, cstate * s, uint8_t b)
{
  if (s->node < 0)
    return step_free_string (s, b);
  if (b == '"' && c->nodes[s->node].terminal) {
    s->phase = S_OBJECT_END;
    return true;
  }
  int32_t next = trie_child (c, s->node, b);
  if (next < 0)
    return false;
  s->node = next;
  return true;
}

/* Moves to phase p on a structural character. */
static bool
go (cstate * s, phase p)
{
  s->phase = (uint8_t) p;
  return true;
}

/* The box must have a width and a height (g4_detections_parse drops one
 * without): y_max and x_max differ from y_min and x_min. A coordinate may end
 * unless it equals its partner. */
static bool
may_end (const cstate * s)
{
  return s->coord < 2 || s->value != s->first[s->coord - 2];
}

/* Whether a coordinate whose digits so far make v can still be written: it
 * may end, or more digits can follow (no leading zero, at most 1000), so the
 * answer never reaches a dead end. */
static bool
may_continue (const cstate * s, int v)
{
  return s->coord < 2 || v != s->first[s->coord - 2] || (v != 0 && v * 10 <= 1000);
}

/* After a coordinate: ',' before the next one, ']' after the fourth. */
static bool
end_number (cstate * s, uint8_t b)
{
  if (!may_end (s))
    return false;
  if (s->coord < 2)
    s->first[s->coord] = s->value;
  if (b == ',' && s->coord < 3) {
    s->coord++;
    return go (s, S_NUM_START);
  }
  if (b == ']' && s->coord == 3)
    return go (s, S_AFTER_BOX);
  return false;
}

/* Advances s over byte b; false when b cannot come next. */
static bool
step (const g4_constraint * c, cstate * s, uint8_t b)
{
  switch ((phase) s->phase) {
    case S_KEY_BOX:
    case S_KEY_LABEL:{
      const char *key = s->phase == S_KEY_BOX ? key_box : key_label;
      if (b != (uint8_t) key[s->lit])
        return false;
      if (key[++s->lit] == '\0')
        s->phase = s->phase == S_KEY_BOX ? S_COLON_BOX : S_COLON_LABEL;
      return true;
    }
    case S_STRING:
      return step_string (c, s, b);
    case S_CHOICE:{
      const int32_t next = trie_child (c, s->node, b);
      if (next < 0)
        return false;
      s->node = next;
      return true;
    }
    case S_DONE:
      return false;
    case S_NUM:
      if (b >= '0' && b <= '9') {
        int v = s->value * 10 + (b - '0');
        if (s->value == 0 || v > 1000 || !may_continue (s, v))
          return false;
        s->value = (uint16_t) v;
        return true;
      }
      break;
    default:
      break;
  }
  if (is_space (b)) {
    if (s->space >= MAX_SPACE)
      return false;
    if (s->phase == S_NUM && !may_end (s))
      return false;
    s->space++;
    if (s->phase == S_NUM)
      s->phase = S_NUM_END;
    return true;
  }
  s->space = 0;
  switch ((phase) s->phase) {
    case S_START:
      return b == '[' && go (s, S_FIRST);
    case S_FIRST:
      return b == '{' ? go (s, S_OBJECT) : b == ']' && go (s, S_DONE);
    case S_OBJECT:
    case S_LABEL_KEY:
      if (b != '"')
        return false;
      s->lit = 0;
      return go (s, s->phase == S_OBJECT ? S_KEY_BOX : S_KEY_LABEL);
    case S_COLON_BOX:
      return b == ':' && go (s, S_BOX);
    case S_BOX:
      s->coord = 0;
      return b == '[' && go (s, S_NUM_START);
    case S_NUM_START:
      if (b < '0' || b > '9' || !may_continue (s, b - '0'))
        return false;
      s->value = (uint16_t) (b - '0');
      return go (s, S_NUM);
    case S_NUM:
    case S_NUM_END:
      return end_number (s, b);
    case S_AFTER_BOX:
      return b == ',' && go (s, S_LABEL_KEY);
    case S_COLON_LABEL:
      return b == ':' && go (s, S_VALUE);
    case S_VALUE:
      if (b != '"')
        return false;
      s->node = c->nodes ? 0 : -1;
      s->len = s->esc = s->hex = s->u8_need = 0;
      return go (s, S_STRING);
    case S_OBJECT_END:
      if (b != '}')
        return false;
      s->n_objects++;
      return go (s, S_AFTER_OBJECT);
    case S_AFTER_OBJECT:
      if (b == ']')
        return go (s, S_DONE);
      return b == ',' && (c->max_objects == 0 || s->n_objects < c->max_objects) && go (s, S_NEXT);
    case S_NEXT:
      return b == '{' && go (s, S_OBJECT);
    default:
      return false;
  }
}

static bool
walk (const g4_constraint * c, cstate * s, const uint8_t * p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!step (c, s, p[i]))
      return false;
  return true;
}

/* ---- tokens ------------------------------------------------------------------ */

static const uint8_t *
piece (const g4_constraint * c, g4_token t, int *len)
{
  *len = (int) (c->offset[t + 1] - c->offset[t]);
  return c->bytes + c->offset[t];
}

void
g4_constraint_reset (g4_constraint * c)
{
  c->state = c->choice ? (cstate) {.phase = S_CHOICE,.node = 0 }
  : (cstate) {.phase = S_START,.node = -1 };
}

bool
g4_constraint_done (const g4_constraint * c)
{
  /* a label that is the start of a longer one may end or go on */
  return c->state.phase == S_DONE
      || (c->state.phase == S_CHOICE && c->nodes[c->state.node].terminal);
}

bool
g4_constraint_allows (const g4_constraint * c, g4_token t)
{
  if (t < 0 || t >= c->n_tokens)
    return false;
  if (c->type[t] == T_EOG)
    return g4_constraint_done (c);
  if (c->type[t] == T_NEVER)
    return false;
  int len;
  const uint8_t *p = piece (c, t, &len);
  cstate s = c->state;
  return walk (c, &s, p, (size_t) len);
}

bool
g4_constraint_accept_text (g4_constraint * c, const char *text, size_t n)
{
  cstate s = c->state;
  if (!walk (c, &s, (const uint8_t *) text, n))
    return false;
  c->state = s;
  return true;
}

bool
g4_constraint_accept (g4_constraint * c, g4_token t)
{
  if (!g4_constraint_allows (c, t))
    return false;
  if (c->type[t] != T_EOG) {
    int len;
    const uint8_t *p = piece (c, t, &len);
    walk (c, &c->state, p, (size_t) len);
  }
  return true;
}

/* Marks every allowed token in c->allowed: one pass over the pieces in sorted
 * order, where a token that shares with the previous one the byte that made
 * it fail fails too, and the states along the shared prefix are reused.
 * Inside a free label, pieces of plain characters only need a length check. */
static void
scan (g4_constraint * c)
{
  const cstate *s0 = &c->state;
  memset (c->allowed, 0, (size_t) c->n_tokens);
  if (g4_constraint_done (c))
    for (int i = 0; i < c->n_eog; i++)
      c->allowed[c->eog[i]] = 1;
  if (s0->phase == S_DONE)
    return;
  const bool plain_string = s0->phase == S_STRING && s0->node < 0 && !s0->esc && !s0->hex
      && !s0->u8_need;
  cstate *st = c->stack;
  st[0] = *s0;
  int valid = 0;                /* st[0..valid] hold the states along the previous piece */
  int fail = INT32_MAX;         /* the byte of the previous piece that was refused */
  for (int i = 0; i < c->n_sorted; i++) {
    const int shared = c->lcp[i];
    if (fail < shared)
      continue;
    fail = INT32_MAX;
    valid = valid < shared ? valid : shared;
    const g4_token t = c->sorted[i];
    int len;
    const uint8_t *p = piece (c, t, &len);
    if (plain_string && c->type[t] == T_STRING_SAFE) {
      c->allowed[t] = s0->len + len <= MAX_LABEL;
      continue;
    }
    int k = valid;
    for (; k < len; k++) {
      st[k + 1] = st[k];
      if (!step (c, &st[k + 1], p[k]))
        break;
    }
    valid = k;
    if (k == len)
      c->allowed[t] = 1;
    else
      fail = k;
  }
}

int
g4_constraint_mask (g4_constraint * c, float *logits, int n_logits)
{
  scan (c);
  int n = 0;
  for (int t = 0; t < n_logits; t++) {
    if (t < c->n_tokens && c->allowed[t] && logits[t] > -INFINITY)
      n++;
    else
      logits[t] = -INFINITY;
  }
  return n;
}

g4_token
g4_constraint_best (g4_constraint * c, const float *logits, int n_logits)
{
  /* the best candidates, best first (lower id first on ties) */
  g4_token cand[GREEDY_CANDIDATES];
  int n = 0;
  const int limit = n_logits < c->n_tokens ? n_logits : c->n_tokens;
  for (int t = 0; t < limit; t++) {
    const float x = logits[t];
    if (!(x > -INFINITY) || (n == GREEDY_CANDIDATES && !(x > logits[cand[n - 1]])))
      continue;
    int i = n < GREEDY_CANDIDATES ? n++ : n - 1;
    for (; i > 0 && x > logits[cand[i - 1]]; i--)
      cand[i] = cand[i - 1];
    cand[i] = t;
  }
  for (int i = 0; i < n; i++)
    if (g4_constraint_allows (c, cand[i]))
      return cand[i];
  if (n < GREEDY_CANDIDATES)
    return -1;                  /* every finite candidate was checked */
  scan (c);
  g4_token best = -1;
  for (int t = 0; t < limit; t++)
    if (c->allowed[t] && logits[t] > -INFINITY && (best < 0 || logits[t] > logits[best]))
      best = t;
  return best;
}

/* ---- construction -------------------------------------------------------------- */

typedef struct {
  uint64_t head;                /* the first 8 bytes, big-endian, zero padded */
  const uint8_t *p;
  uint32_t len;
  g4_token id;
} sort_item;

/* Byte order of the pieces; the heads decide most comparisons cheaply. */
static int
cmp_piece (const void *a, const void *b)
{
  const sort_item *x = a, *y = b;
  if (x->head != y->head)
    return x->head < y->head ? -1 : 1;
  uint32_t n = x->len < y->len ? x->len : y->len;
  int r = memcmp (x->p, y->p, n);
  if (r)
    return r;
  return x->len != y->len ? (x->len < y->len ? -1 : 1) : (x->id < y->id ? -1 : 1);
}

/* The free-label rules over p[0..n) from an empty label; with closed, the
 * closing quote must follow. */
static bool
free_label (const uint8_t * p, int n, bool closed)
{
  cstate s = {.phase = S_STRING,.node = -1 };
  for (int i = 0; i < n; i++)
    if (!step_free_string (&s, p[i]))
      return false;
  return closed ? step_free_string (&s, '"') : !s.esc && !s.hex && !s.u8_need;
}

/* Whether a piece can sit anywhere inside a free label: whole UTF-8
 * characters without quotes, backslashes or control bytes. */
static bool
string_safe (const uint8_t * p, int len)
{
  return !memchr (p, '"', (size_t) len) && !memchr (p, '\\', (size_t) len) && free_label (p, len, false);
}

static g4_status
load_tokens (g4_constraint * c, const g4_vocab * v, g4_error * err)
{
  const int n = v->n_tokens;
  c->n_tokens = n;
  c->type = calloc ((size_t) n, 1);
  c->offset = malloc (sizeof *c->offset * ((size_t) n + 1));
  c->allowed = calloc ((size_t) n, 1);
  c->eog = malloc (sizeof *c->eog * (size_t) n);
  if (!c->type || !c->offset || !c->allowed || !c->eog)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  /* piece lengths first, then the bytes */
  size_t total = 0;
  int max_len = 0;
  for (g4_token t = 0; t < n; t++) {
    c->offset[t] = (uint32_t) total;
    uint8_t a = v->attr[t];
    if (a & G4_TOKEN_ATTR_EOG) {
      c->type[t] = T_EOG;
      c->eog[c->n_eog++] = t;
    } else if ((a & (G4_TOKEN_ATTR_NORMAL | G4_TOKEN_ATTR_BYTE))
        && !(a & (G4_TOKEN_ATTR_CONTROL | G4_TOKEN_ATTR_USER_DEFINED | G4_TOKEN_ATTR_UNKNOWN))) {
      int len = g4_token_to_piece (v, t, false, NULL, 0);
      if (len > 0) {
        c->type[t] = T_TEXT;
        total += (size_t) len;
        max_len = len > max_len ? len : max_len;
      }
    }
  }
  c->offset[n] = (uint32_t) total;
  if (total > UINT32_MAX || max_len > 255)
    return g4_set_error (err, G4_STATUS_UNSUPPORTED, "vocabulary pieces too large for the constraint");
  c->bytes = malloc (total ? total : 1);
  c->stack = malloc (sizeof *c->stack * ((size_t) max_len + 1));
  sort_item *items = malloc (sizeof *items * (size_t) n);
  c->sorted = malloc (sizeof *c->sorted * (size_t) n);
  c->lcp = malloc ((size_t) n);
  if (!c->bytes || !c->stack || !items || !c->sorted || !c->lcp) {
    free (items);
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  }
  for (g4_token t = 0; t < n; t++) {
    if (c->type[t] != T_TEXT)
      continue;
    uint8_t *p = c->bytes + c->offset[t];
    const int len = (int) (c->offset[t + 1] - c->offset[t]);
    g4_token_to_piece (v, t, false, (char *) p, len);
    if (string_safe (p, len))
      c->type[t] = T_STRING_SAFE;
    uint64_t head = 0;
    for (int i = 0; i < 8; i++)
      head = head << 8 | (i < len ? p[i] : 0);
    items[c->n_sorted++] = (sort_item) {head, p, (uint32_t) len, t};
  }
  qsort (items, (size_t) c->n_sorted, sizeof *items, cmp_piece);
  for (int i = 0; i < c->n_sorted; i++) {
    c->sorted[i] = items[i].id;
    uint32_t k = 0;
    if (i > 0)
      while (k < items[i].len && k < items[i - 1].len && items[i].p[k] == items[i - 1].p[k])
        k++;
    c->lcp[i] = (uint8_t) k;
  }
  free (items);
  return G4_OK;
}

static int32_t
trie_add_node (g4_constraint * c)
{
  c->nodes[c->n_nodes] = (trie_node) {.first_edge = -1 };
  return c->n_nodes++;
}

/* The label as it must appear between the quotes: '"', '\\' and control
 * characters escaped, everything else as is. Returns the length, or -1 when
 * it does not fit out. */
static int
json_escape (const char *label, char *out, int size)
{
  int n = 0;
  for (const unsigned char *s = (const unsigned char *) label; *s; s++) {
    char tmp[8];
    int k = *s == '"' || *s == '\\' ? snprintf (tmp, sizeof tmp, "\\%c", *s)
        : *s < 0x20 ? snprintf (tmp, sizeof tmp, "\\u%04x", *s) : snprintf (tmp, sizeof tmp, "%c", *s);
    if (n + k >= size)
      return -1;
    memcpy (out + n, tmp, (size_t) k);
    n += k;
  }
  out[n] = '\0';
  return n;
}

/* The labels' trie, of their bytes as written inside a JSON string, or, with
 * raw, as they are (a bare answer). */
static g4_status
build_trie (g4_constraint * c, const char *const *labels, int n_labels, bool raw,
    g4_error * err)
{
  size_t max_nodes = 1;
  for (int i = 0; i < n_labels; i++)
    max_nodes += labels[i] ? strlen (labels[i]) * 6 : 0;
  c->nodes = malloc (sizeof *c->nodes * max_nodes);
  c->edges = malloc (sizeof *c->edges * max_nodes);
  if (!c->nodes || !c->edges)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  trie_add_node (c);
  for (int i = 0; i < n_labels; i++) {
    char enc[MAX_LABEL + 1];
    int n = labels[i] ? json_escape (labels[i], enc, sizeof enc) : -1;
    /* what a label may be: what a free label may be */
    if (n <= 0 || !free_label ((const uint8_t *) enc, n, true))
      return g4_set_error (err, G4_STATUS_INVALID_ARG,
          "label %d (\"%s\") must be 1-%d bytes of valid UTF-8 once escaped as JSON",
          i, labels[i] ? labels[i] : "(null)", MAX_LABEL);
    if (raw)
      n = (int) strlen (strcpy (enc, labels[i]));
    int32_t node = 0;
    for (int k = 0; k < n; k++) {
      int32_t next = trie_child (c, node, (uint8_t) enc[k]);
      if (next < 0) {
        next = trie_add_node (c);
        c->edges[c->n_edges] = (trie_edge) {.next = c->nodes[node].first_edge,.child = next,
          .byte = (uint8_t) enc[k] };
        c->nodes[node].first_edge = c->n_edges++;
      }
      node = next;
    }
    c->nodes[node].terminal = true;
  }
  return G4_OK;
}

static g4_constraint *
constraint_new (const g4_vocab * vocab, const char *const *labels, int n_labels,
    int max_objects, bool choice, g4_error * err)
{
  g4_constraint *c = calloc (1, sizeof *c);
  if (!c) {
    g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
    return NULL;
  }
  c->max_objects = (uint32_t) max_objects;
  c->choice = choice;
  if ((n_labels > 0 && build_trie (c, labels, n_labels, choice, err))
      || load_tokens (c, vocab, err)) {
    g4_constraint_free (c);
    return NULL;
  }
  g4_constraint_reset (c);
  return c;
}

g4_constraint *
g4_constraint_detection_new (const g4_vocab * vocab, const char *const *labels, int n_labels,
    int max_objects, g4_error * err)
{
  if (!vocab || n_labels < 0 || (n_labels > 0 && !labels) || max_objects < 0) {
    g4_set_error (err, G4_STATUS_INVALID_ARG, "g4_constraint_detection_new: %s",
        !vocab ? "no vocabulary" : max_objects < 0 ? "max_objects < 0" : "bad labels");
    return NULL;
  }
  return constraint_new (vocab, labels, n_labels, max_objects, false, err);
}

g4_constraint *
g4_constraint_choice_new (const g4_vocab * vocab, const char *const *labels, int n_labels,
    g4_error * err)
{
  if (!vocab || n_labels < 1 || !labels) {
    g4_set_error (err, G4_STATUS_INVALID_ARG, "g4_constraint_choice_new: %s",
        !vocab ? "no vocabulary" : "no labels to choose from");
    return NULL;
  }
  return constraint_new (vocab, labels, n_labels, 0, true, err);
}

void
g4_constraint_free (g4_constraint * c)
{
  if (!c)
    return;
  free (c->nodes);
  free (c->edges);
  free (c->type);
  free (c->offset);
  free (c->bytes);
  free (c->sorted);
  free (c->lcp);
  free (c->eog);
  free (c->allowed);
  free (c->stack);
  free (c);
}
