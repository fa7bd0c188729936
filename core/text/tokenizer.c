/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g4_tokenize: the Gemma 4 encoder of docs/tokenizer-and-chat.md#encoding,
 * matching llama.cpp's "gemma4" BPE: special tokens are carved out first
 * (longest first), spaces become U+2581, each newline run is its own word, then
 * BPE merges the lowest rank (leftmost on ties) until none applies, with <0xHH>
 * byte fallback. Invalid UTF-8 is read as llama.cpp reads it: each bad byte is
 * U+FFFD. */
#include "vocab.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Longest input accepted: normalised, it must still fit the 32-bit symbol
 * offsets (a byte can grow to the 3 bytes of U+FFFD or U+2581). */
#define MAX_INPUT_BYTES ((size_t) 1 << 29)

/* A piece of the input: raw text still to encode, or an already found token. */
typedef struct {
  g4_token token;               /* -1: raw text */
  size_t off, len;
} fragment;

/* A BPE symbol: a run of the word that is one vocab string (or one character
 * that is not in the vocab, id -1, which no merge can touch). */
typedef struct {
  int32_t prev, next;
  g4_token id;
  uint32_t off, len;            /* bytes in the normalised word; len 0 = merged away */
} symbol;

/* A candidate merge of symbol left with its right neighbour; stale once
 * either side changed. */
typedef struct {
  int32_t rank;
  int32_t left;
  g4_token left_id, right_id, result;
} bigram;

typedef struct {
  const g4_vocab *v;
  g4_token *tokens;
  int max_tokens;
  int64_t n;
  fragment *frags, *frags_next;
  size_t n_frags, cap_frags;
  char *norm;                   /* normalised text of the current fragment */
  symbol *syms;
  bigram *heap;
  size_t n_heap;
} encoder;

static void
emit (encoder * e, g4_token t)
{
  if (e->n < e->max_tokens)
    e->tokens[e->n] = t;
  e->n++;
}

/* ---- special-token partition ---------------------------------------------- */

static bool
push_fragment (encoder * e, size_t * n, g4_token token, size_t off, size_t len)
{
  if (*n == e->cap_frags) {
    size_t cap = e->cap_frags * 2;
    fragment *a = realloc (e->frags, cap * sizeof *a);
    if (a == NULL)
      return false;
    e->frags = a;
    fragment *b = realloc (e->frags_next, cap * sizeof *b);
    if (b == NULL)
      return false;
    e->frags_next = b;
    e->cap_frags = cap;
  }
  e->frags_next[(*n)++] = (fragment) { token, off, len };
  return true;
}

/* Splits every raw fragment at each occurrence of special token t, the way
 * llama.cpp's tokenizer_st_partition does: one token at a time, over the whole
 * fragment list, longest tokens first. */
static bool
partition (encoder * e, const char *text, g4_token t)
{
  const g4_token_text *s = &e->v->text[t];
  size_t n = 0;
  for (size_t i = 0; i < e->n_frags; i++) {
    fragment f = e->frags[i];
    if (f.token >= 0) {
      if (!push_fragment (e, &n, f.token, f.off, f.len))
        return false;
      continue;
    }
    size_t off = f.off, end = f.off + f.len;
    while (end - off >= s->len) {
      const char *hit = memmem (text + off, end - off, s->ptr, s->len);
      if (hit == NULL)
        break;
      size_t at = (size_t) (hit - text);
      if ((at > off && !push_fragment (e, &n, -1, off, at - off))
          || !push_fragment (e, &n, t, at, s->len))
        return false;
      off = at + s->len;
    }
    if (off < end && !push_fragment (e, &n, -1, off, end - off))
      return false;
  }
  fragment *tmp = e->frags;
  e->frags = e->frags_next;
  e->frags_next = tmp;
  e->n_frags = n;
  return true;
}

/* ---- normalisation --------------------------------------------------------- */

/* Decodes one character the way llama.cpp's unicode_cpt_from_utf8 does (no
 * check for overlong forms or surrogates) and returns the bytes consumed, with
 * *cp = U+FFFD and 1 byte for anything it rejects. Code points above U+10FFFF
 * are rejected too (llama.cpp throws on them). */
static size_t
decode_lenient (const uint8_t * s, size_t n, uint32_t * cp)
{
  uint8_t b = s[0];
  *cp = 0xFFFD;
  if (b < 0x80) {
    *cp = b;
    return 1;
  }
  if (!(b & 0x40))
    return 1;
  if (!(b & 0x20)) {
    if (n < 2 || (s[1] & 0xC0) != 0x80)
      return 1;
    *cp = (uint32_t) (b & 0x1F) << 6 | (s[1] & 0x3F);
    return 2;
  }
  if (!(b & 0x10)) {
    if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
      return 1;
    *cp = (uint32_t) (b & 0x0F) << 12 | (uint32_t) (s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    return 3;
  }
  if (!(b & 0x08)) {
    if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
      return 1;
    uint32_t c = (uint32_t) (b & 0x07) << 18 | (uint32_t) (s[1] & 0x3F) << 12
        | (uint32_t) (s[2] & 0x3F) << 6 | (s[3] & 0x3F);
    if (c > 0x10FFFF)
      return 1;
    *cp = c;
    return 4;
  }
  return 1;
}

static size_t
encode_utf8 (uint32_t cp, char *out)
{
  if (cp < 0x80) {
    out[0] = (char) cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char) (0xC0 | cp >> 6);
    out[1] = (char) (0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char) (0xE0 | cp >> 12);
    out[1] = (char) (0x80 | (cp >> 6 & 0x3F));
    out[2] = (char) (0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char) (0xF0 | cp >> 18);
  out[1] = (char) (0x80 | (cp >> 12 & 0x3F));
  out[2] = (char) (0x80 | (cp >> 6 & 0x3F));
  out[3] = (char) (0x80 | (cp & 0x3F));
  return 4;
}

/* Writes the fragment to e->norm with ' ' -> U+2581 and every character
 * re-encoded from its code point; returns the length. */
static size_t
normalise (encoder * e, const char *text, size_t len)
{
  const uint8_t *s = (const uint8_t *) text;
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    i += decode_lenient (s + i, len - i, &cp);
    o += encode_utf8 (cp == ' ' ? 0x2581 : cp, e->norm + o);
  }
  return o;
}

/* ---- BPE ------------------------------------------------------------------- */

static bool
bigram_before (const bigram * a, const bigram * b)
{
  return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

static void
heap_push (encoder * e, bigram b)
{
  size_t i = e->n_heap++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!bigram_before (&b, &e->heap[parent]))
      break;
    e->heap[i] = e->heap[parent];
    i = parent;
  }
  e->heap[i] = b;
}

static bigram
heap_pop (encoder * e)
{
  bigram top = e->heap[0];
  bigram last = e->heap[--e->n_heap];
  size_t i = 0, n = e->n_heap;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n)
      break;
    if (c + 1 < n && bigram_before (&e->heap[c + 1], &e->heap[c]))
      c++;
    if (!bigram_before (&e->heap[c], &last))
      break;
    e->heap[i] = e->heap[c];
    i = c;
  }
  if (n > 0)
    e->heap[i] = last;
  return top;
}

static void
try_bigram (encoder * e, int32_t left, int32_t right)
{
  if (left < 0 || right < 0)
    return;
  g4_token l = e->syms[left].id, r = e->syms[right].id, result;
  if (l < 0 || r < 0)
    return;
  int32_t rank = g4_vocab_merge_rank (e->v, l, r, &result);
  if (rank >= 0)
    heap_push (e, (bigram) { rank, left, l, r, result });
}

static void
emit_bytes (encoder * e, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    g4_token b = e->v->byte_token[(uint8_t) s[i]];
    if (b >= 0)
      emit (e, b);
  }
}

/* Length of the UTF-8 character starting with byte b, by its lead byte only
 * (the normalised text is well formed). */
static uint32_t
char_len (uint8_t b)
{
  return b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

static void
bpe_word (encoder * e, const char *w, size_t len)
{
  const g4_vocab *v = e->v;
  int32_t n = 0;
  for (size_t i = 0; i < len; n++) {
    uint32_t cl = char_len ((uint8_t) w[i]);
    e->syms[n] = (symbol) { n - 1, -1, g4_vocab_lookup (v, w + i, cl), (uint32_t) i, cl };
    i += cl;
    if (i < len)
      e->syms[n].next = n + 1;
  }
  e->n_heap = 0;
  for (int32_t i = 0; i + 1 < n; i++)
    try_bigram (e, i, i + 1);

  while (e->n_heap > 0) {
    bigram b = heap_pop (e);
    symbol *l = &e->syms[b.left];
    /* A symbol only grows by absorbing its right neighbour, which changes its
     * id: while the left id is unchanged so is its neighbour, and that
     * neighbour's id says whether it grew. */
    if (l->len == 0 || l->id != b.left_id || l->next < 0)
      continue;
    symbol *r = &e->syms[l->next];
    if (r->id != b.right_id)
      continue;
    l->id = b.result;
    l->len += r->len;
    r->len = 0;
    l->next = r->next;
    if (r->next >= 0)
      e->syms[r->next].prev = b.left;
    try_bigram (e, l->prev, b.left);
    try_bigram (e, b.left, l->next);
  }

  for (int32_t i = 0; i >= 0 && i < n; i = e->syms[i].next) {
    const symbol *s = &e->syms[i];
    if (s->id >= 0)
      emit (e, s->id);
    else
      emit_bytes (e, w + s->off, s->len);
  }
}

/* Encodes one raw fragment: normalise, split into newline runs and the text
 * between them, BPE each (a newline run that is itself a token is taken
 * whole, llama.cpp PR #21343). */
static bool
encode_fragment (encoder * e, const char *text, size_t len)
{
  char *norm = realloc (e->norm, 3 * len);
  if (norm == NULL)
    return false;
  e->norm = norm;
  size_t n = normalise (e, text, len);

  /* A word of c characters needs c symbols and at most 3c bigrams (c - 1
   * to start with, two per merge): size both for the longest word. */
  size_t max_chars = 0, chars = 0;
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && (norm[i] == '\n') != (norm[i - 1] == '\n'))
      chars = 0;
    chars += ((uint8_t) norm[i] & 0xC0) != 0x80;
    max_chars = chars > max_chars ? chars : max_chars;
  }
  symbol *syms = realloc (e->syms, max_chars * sizeof *syms);
  if (syms == NULL)
    return false;
  e->syms = syms;
  bigram *heap = realloc (e->heap, 3 * max_chars * sizeof *heap);
  if (heap == NULL)
    return false;
  e->heap = heap;

  for (size_t i = 0; i < n;) {
    bool newlines = norm[i] == '\n';
    size_t j = i;
    while (j < n && (norm[j] == '\n') == newlines)
      j++;
    g4_token whole = newlines ? g4_vocab_lookup (e->v, norm + i, j - i) : -1;
    if (whole >= 0)
      emit (e, whole);
    else
      bpe_word (e, norm + i, j - i);
    i = j;
  }
  return true;
}

int
g4_tokenize (const g4_vocab * vocab, const char *text, size_t len, bool add_bos,
    bool parse_special, g4_token * tokens, int max_tokens)
{
  if (vocab == NULL || (text == NULL && len > 0) || max_tokens < 0
      || (tokens == NULL && max_tokens > 0) || len > MAX_INPUT_BYTES)
    return -1;
  encoder e = { .v = vocab, .tokens = tokens, .max_tokens = max_tokens };
  e.cap_frags = 16;
  e.frags = malloc (e.cap_frags * sizeof *e.frags);
  e.frags_next = malloc (e.cap_frags * sizeof *e.frags_next);
  bool ok = e.frags && e.frags_next;

  if (ok && len > 0) {
    e.frags[0] = (fragment) { -1, 0, len };
    e.n_frags = 1;
  }
  for (int i = 0; ok && i < vocab->n_special; i++) {
    g4_token t = vocab->special[i];
    if (!parse_special && (vocab->attr[t] & (G4_TOKEN_ATTR_CONTROL | G4_TOKEN_ATTR_UNKNOWN)))
      continue;
    ok = partition (&e, text, t);
  }

  if (ok && add_bos && vocab->bos >= 0)
    emit (&e, vocab->bos);
  for (size_t i = 0; ok && i < e.n_frags; i++) {
    const fragment *f = &e.frags[i];
    if (f->token >= 0)
      emit (&e, f->token);
    else
      ok = encode_fragment (&e, text + f->off, f->len);
  }

  free (e.frags);
  free (e.frags_next);
  free (e.norm);
  free (e.syms);
  free (e.heap);
  if (!ok || e.n > INT_MAX)
    return -1;
  return (int) e.n;
}
