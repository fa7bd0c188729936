/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Prompt assembly with media (docs/tokenizer-and-chat.md#prompts-with-media):
 * each placeholder token <|image|> / <|audio|> in the tokenized text becomes
 * begin token, the encoder's rows, end token, as llama.cpp's mtmd lays them
 * out. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "model.h"

static g4_token
need_token (const g4_vocab * v, const char *text, g4_status * st, g4_error * err)
{
  g4_token t = g4_vocab_find (v, text);
  if (t < 0 && *st == G4_OK)
    *st = g4_set_error (err, G4_STATUS_UNSUPPORTED, "the tokenizer has no '%s' token", text);
  return t;
}

/* bytes of p's memory store i, zeroed (rows without media must read as
 * zero); kept when big enough, else grown by half as much again. NULL when
 * out of memory. */
static void *
reserve (g4_prompt * p, int i, size_t bytes)
{
  if (bytes > p->reserved[i] || !p->store[i]) {
    size_t cap = p->reserved[i] + p->reserved[i] / 2;
    cap = cap > bytes ? cap : bytes;
    void *q = malloc (cap ? cap : 1);
    if (!q)
      return NULL;
    free (p->store[i]);
    p->store[i] = q;
    p->reserved[i] = cap;
  }
  memset (p->store[i], 0, bytes);
  return p->store[i];
}

g4_status
g4_prompt_build (const g4_model * m, const char *text, const g4_media * media, int n_media,
    g4_prompt * out, g4_error * err)
{
  out->n = 0;
  out->tokens = NULL;
  out->embd = NULL;
  out->embd_mask = NULL;
  out->bidirectional = NULL;
  const g4_vocab *v = m->vocab;
  if (!v)
    return g4_set_error (err, G4_STATUS_UNSUPPORTED, "the model has no tokenizer");
  if (!text || n_media < 0 || (n_media > 0 && !media))
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "no prompt text or media");
  g4_status st = G4_OK;
  const g4_token img = need_token (v, "<|image|>", &st, err), aud = need_token (v, "<|audio|>", &st, err);
  const g4_token boi = need_token (v, "<|image>", &st, err), eoi = need_token (v, "<image|>", &st, err);
  const g4_token boa = need_token (v, "<|audio>", &st, err), eoa = need_token (v, "<audio|>", &st, err);
  if (st && n_media > 0)
    return st;
  const size_t len = strlen (text);
  g4_token *ids = malloc (sizeof *ids * (len + 2));
  if (!ids)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  const int n_text = g4_tokenize (v, text, len, false, true, ids, (int) len + 2);
  int found = 0;
  int64_t n = n_text;
  for (int i = 0; i < n_text; i++)
    if (n_media > 0 && (ids[i] == img || ids[i] == aud)) {
      if (found < n_media) {
        if ((ids[i] == aud) != media[found].is_audio || media[found].n_tokens < 1) {
          free (ids);
          return g4_set_error (err, G4_STATUS_INVALID_ARG,
              "placeholder %d is %s but media %d is %s with %d tokens", found,
              ids[i] == aud ? "<|audio|>" : "<|image|>", found,
              media[found].is_audio ? "audio" : "an image", media[found].n_tokens);
        }
        n += media[found].n_tokens + 1;
      }
      found++;
    }
  if (found != n_media || n > INT32_MAX) {
    free (ids);
    return g4_set_error (err, G4_STATUS_INVALID_ARG,
        "the prompt has %d media placeholders but %d media were given", found, n_media);
  }
  const size_t d = m->has_weights ? (size_t) m->hp.info.n_embd : 0;
  const bool bidi = n_media > 0 && m->has_weights && m->hp.info.media_bidirectional;
  out->tokens = reserve (out, 0, sizeof *out->tokens * (size_t) n);
  if (n_media > 0) {
    out->embd = reserve (out, 1, sizeof *out->embd * (size_t) n * d);
    out->embd_mask = reserve (out, 2, sizeof *out->embd_mask * (size_t) n);
  }
  if (bidi)
    out->bidirectional = reserve (out, 3, sizeof *out->bidirectional * (size_t) n);
  if (!out->tokens || (n_media > 0 && (!out->embd || !out->embd_mask || d == 0))
      || (bidi && !out->bidirectional)) {
    free (ids);
    out->tokens = NULL;
    out->embd = NULL;
    out->embd_mask = NULL;
    out->bidirectional = NULL;
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory (or a model without weights)");
  }
  out->n = (int) n;
  int k = 0, mi = 0;
  for (int i = 0; i < n_text; i++) {
    if (n_media > 0 && (ids[i] == img || ids[i] == aud)) {
      const g4_media *md = &media[mi++];
      out->tokens[k++] = md->is_audio ? boa : boi;
      for (int j = 0; j < md->n_tokens; j++, k++) {
        out->tokens[k] = ids[i];
        out->embd_mask[k] = true;
        if (out->bidirectional)
          out->bidirectional[k] = !md->is_audio;
        memcpy (out->embd + (size_t) k * d, md->embd + (size_t) j * d, sizeof (float) * d);
      }
      out->tokens[k++] = md->is_audio ? eoa : eoi;
    } else {
      out->tokens[k++] = ids[i];
    }
  }
  free (ids);
  return G4_OK;
}

void
g4_prompt_free (g4_prompt * p)
{
  for (int i = 0; i < 4; i++)
    free (p->store[i]);
  memset (p, 0, sizeof *p);
}
