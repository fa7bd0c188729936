/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Token -> text (docs/tokenizer-and-chat.md#decoding): NORMAL tokens with
 * U+2581 turned back into spaces, BYTE tokens as their raw byte, USER_DEFINED
 * as their text, CONTROL and UNKNOWN only on request; no "clean spaces" pass.
 * The streaming variant holds back incomplete UTF-8 across tokens and replaces
 * ill-formed bytes by U+FFFD, so every chunk it returns is valid UTF-8. */
#include "vocab.h"

#include <string.h>

/* The bytes a token stands for, produced one at a time. */
typedef struct {
  const char *s;
  uint32_t len, pos;
  bool unescape;                /* NORMAL token: U+2581 -> ' ' */
  uint8_t byte;                 /* BYTE token */
  bool is_byte;
} piece_reader;

/* false when t is out of range. */
static bool
piece_open (piece_reader * r, const g4_vocab * v, g4_token t, bool render_special)
{
  if (v == NULL || t < 0 || t >= v->n_tokens)
    return false;
  *r = (piece_reader) { 0 };
  uint8_t a = v->attr[t];
  if (!render_special && (a & (G4_TOKEN_ATTR_CONTROL | G4_TOKEN_ATTR_UNKNOWN)))
    return true;
  if (a & (G4_TOKEN_ATTR_CONTROL | G4_TOKEN_ATTR_UNKNOWN | G4_TOKEN_ATTR_USER_DEFINED)) {
    r->s = v->text[t].ptr;
    r->len = v->text[t].len;
  } else if (a & G4_TOKEN_ATTR_NORMAL) {
    r->s = v->text[t].ptr;
    r->len = v->text[t].len;
    r->unescape = true;
  } else if (a & G4_TOKEN_ATTR_BYTE) {
    r->byte = v->byte_value[t];
    r->is_byte = true;
  }
  return true;
}

/* Next byte into *b; false at the end. */
static bool
piece_next (piece_reader * r, uint8_t * b)
{
  if (r->is_byte) {
    r->is_byte = false;
    *b = r->byte;
    return true;
  }
  if (r->pos >= r->len)
    return false;
  if (r->unescape && r->len - r->pos >= 3 && memcmp (r->s + r->pos, "\xE2\x96\x81", 3) == 0) {
    r->pos += 3;
    *b = ' ';
    return true;
  }
  *b = (uint8_t) r->s[r->pos++];
  return true;
}

/* Returns the piece's length; the bytes are written only when that length
 * fits in buf_size (then NUL terminated when there is room left), so a
 * caller can ask for the length with buf_size 0. */
int
g4_token_to_piece (const g4_vocab * vocab, g4_token t, bool render_special,
    char *buf, int buf_size)
{
  piece_reader r;
  if (buf_size < 0 || (buf == NULL && buf_size > 0) || !piece_open (&r, vocab, t, render_special))
    return -1;
  piece_reader count = r;
  int n = 0;
  uint8_t b;
  while (piece_next (&count, &b))
    n++;
  if (n > buf_size)
    return n;
  for (int i = 0; piece_next (&r, &b); i++)
    buf[i] = (char) b;
  if (n < buf_size)
    buf[n] = '\0';
  return n;
}

/* ---- streaming UTF-8 ------------------------------------------------------ */

/* Incremental UTF-8 validator (the WHATWG decoder): a maximal ill-formed
 * subsequence becomes one U+FFFD, the byte that broke it is read again. */
typedef struct {
  uint8_t seq[4];
  int n_seq, need;
  uint8_t lo, hi;               /* allowed range of the next continuation byte */
  char *out;                    /* NULL: only count */
  int n_out;
} utf8_state;

static void
put (utf8_state * u, const void *p, int n)
{
  if (u->out)
    memcpy (u->out + u->n_out, p, n);
  u->n_out += n;
}

static void
feed (utf8_state * u, uint8_t b)
{
  if (u->n_seq > 0) {
    if (b >= u->lo && b <= u->hi) {
      u->seq[u->n_seq++] = b;
      u->lo = 0x80;
      u->hi = 0xBF;
      if (--u->need == 0) {
        put (u, u->seq, u->n_seq);
        u->n_seq = 0;
      }
      return;
    }
    put (u, "\xEF\xBF\xBD", 3);
    u->n_seq = 0;
  }
  u->lo = 0x80;
  u->hi = 0xBF;
  if (b < 0x80) {
    put (u, &b, 1);
    return;
  }
  if (b >= 0xC2 && b <= 0xDF)
    u->need = 1;
  else if (b >= 0xE0 && b <= 0xEF) {
    u->need = 2;
    if (b == 0xE0)
      u->lo = 0xA0;
    else if (b == 0xED)
      u->hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    u->need = 3;
    if (b == 0xF0)
      u->lo = 0x90;
    else if (b == 0xF4)
      u->hi = 0x8F;
  } else {
    put (u, "\xEF\xBF\xBD", 3);
    return;
  }
  u->seq[0] = b;
  u->n_seq = 1;
}

/* Runs the pending bytes and the piece through the validator. */
static utf8_state
stream_run (const g4_utf8_stream * s, piece_reader r, char *out)
{
  utf8_state u = { .out = out };
  for (int i = 0; i < s->n_pending; i++)
    feed (&u, (uint8_t) s->pending[i]);
  uint8_t b;
  while (piece_next (&r, &b))
    feed (&u, b);
  return u;
}

/* When out cannot hold the completed characters and the NUL, returns -1 and
 * leaves the stream as it was (out_size of 3 x (piece length + 3) + 1 always
 * suffices). Bytes still pending when generation ends are an incomplete
 * character; the caller drops them or shows U+FFFD. */
int
g4_utf8_stream_push (g4_utf8_stream * s, const g4_vocab * vocab, g4_token t,
    bool render_special, char *out, int out_size)
{
  piece_reader r;
  if (s == NULL || out == NULL || out_size < 1 || s->n_pending < 0
      || s->n_pending > 3 || !piece_open (&r, vocab, t, render_special))
    return -1;
  utf8_state dry = stream_run (s, r, NULL);
  if (dry.n_out >= out_size)
    return -1;
  utf8_state u = stream_run (s, r, out);
  out[u.n_out] = '\0';
  memcpy (s->pending, u.seq, u.n_seq);
  s->n_pending = u.n_seq;
  return u.n_out;
}
