/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vocab.h: the Gemma 4 vocabulary as read from a GGUF file's tokenizer.* keys
 * (docs/tokenizer-and-chat.md#vocabulary), shared by the tokenizer, the
 * detokenizer and the model loader. Internal to core: the public calls are in
 * gemma4.h. Token strings are views into the GGUF mapping, so the g4_gguf
 * handle must outlive the vocab. */
#ifndef G4_VOCAB_H
#define G4_VOCAB_H

#include "gemma4.h"
#include "gguf.h"

/* tokenizer.ggml.token_type values (sentencepiece's, as written by the converter) */
enum {
  G4_TOKEN_TYPE_UNDEFINED = 0,
  G4_TOKEN_TYPE_NORMAL = 1,
  G4_TOKEN_TYPE_UNKNOWN = 2,
  G4_TOKEN_TYPE_CONTROL = 3,
  G4_TOKEN_TYPE_USER_DEFINED = 4,
  G4_TOKEN_TYPE_UNUSED = 5,
  G4_TOKEN_TYPE_BYTE = 6,
};

/* Per-token attribute bits. They follow llama.cpp's, including its rule that
 * an end-of-generation token is also CONTROL (so <|tool_response>, typed
 * USER_DEFINED in the file, is only matched when parsing special tokens and
 * only rendered on request). */
enum {
  G4_TOKEN_ATTR_NORMAL = 1 << 0,
  G4_TOKEN_ATTR_UNKNOWN = 1 << 1,
  G4_TOKEN_ATTR_CONTROL = 1 << 2,
  G4_TOKEN_ATTR_USER_DEFINED = 1 << 3,
  G4_TOKEN_ATTR_UNUSED = 1 << 4,
  G4_TOKEN_ATTR_BYTE = 1 << 5,
  G4_TOKEN_ATTR_EOG = 1 << 6,
};

typedef struct {
  const char *ptr;              /* into the GGUF mapping, not NUL terminated */
  uint32_t len;
} g4_token_text;

/* One merge of the BPE table, keyed by the ids of its two halves. Empty
 * slots are all zero, so a calloc'ed table starts empty. */
typedef struct {
  uint64_t key;                 /* left id << 32 | right id */
  uint32_t rank1;               /* index in tokenizer.ggml.merges + 1; 0 = empty slot */
  g4_token result;              /* id of left+right */
} g4_merge_slot;

/* One slot of the text -> id hash; the high bits of the text's hash let a
 * probe skip other tokens without reading their text. */
typedef struct {
  uint32_t id1;                 /* token id + 1; 0 = empty slot */
  uint32_t tag;
} g4_id_slot;

struct g4_vocab {
  int n_tokens;
  g4_token_text *text;          /* [n_tokens] */
  uint8_t *attr;                /* [n_tokens] G4_TOKEN_ATTR_* bits */
  g4_token bos, eos, unk, pad;  /* -1 when absent */
  bool add_bos;                 /* always true for gemma4 (llama.cpp PR #21500) */
  g4_token byte_token[256];     /* id of <0xHH>, -1 if the vocab lacks it */
  uint8_t *byte_value;          /* [n_tokens] the byte of a BYTE token */

  /* text -> id: open addressing, linear probing */
  g4_id_slot *id_slots;
  uint32_t id_mask;

  /* (left id, right id) -> rank and result, open addressing */
  g4_merge_slot *merge_slots;
  uint32_t merge_mask;
  int n_merges;

  /* CONTROL, USER_DEFINED and UNKNOWN tokens, longest text first (ties: lower
   * id first): the order in which the tokenizer carves them out of the text. */
  g4_token *special;
  int n_special;

  g4_token *suppress;           /* tokenizer.ggml.suppress_tokens, may be empty */
  int n_suppress;
};

/* Builds the vocab from g's tokenizer.* keys.
 * Outcomes:
 *   G4_OK                  *out is the vocab;
 *   G4_STATUS_UNSUPPORTED  the file has no tokenizer (tokenizer.ggml.model
 *                          missing or "none", as in the tiny test fixtures):
 *                          the message starts with "no tokenizer in file" and
 *                          a model can still be loaded without a vocab; also
 *                          returned (with another message) for a tokenizer
 *                          model other than "gemma4";
 *   G4_STATUS_FORMAT       a gemma4 tokenizer with missing or inconsistent
 *                          keys (the message names the key);
 *   G4_STATUS_NO_MEMORY.
 * On failure *out is NULL. */
g4_status g4_vocab_load (const g4_gguf * g, g4_vocab ** out, g4_error * err);
void g4_vocab_free (g4_vocab * v);

/* Id of the token whose text is exactly s[0..n), or -1. */
g4_token g4_vocab_lookup (const g4_vocab * v, const char *s, size_t n);

/* Rank of the merge (left, right), or -1 when there is none; *result is the
 * merged token's id. */
int32_t g4_vocab_merge_rank (const g4_vocab * v, g4_token left, g4_token right,
    g4_token * result);

/* tokenizer.ggml.suppress_tokens (ids the sampler should never pick). */
const g4_token *g4_vocab_suppress_tokens (const g4_vocab * v, int *n);

/* Which generation prompt the template asks for: LARGE when it prefills an
 * empty thought block ("<|channel>thought\n<channel|>") in the generation
 * prompt (26B-A4B, 31B), SMALL otherwise (E2B, E4B) and for NULL. */
g4_template_flavor g4_template_flavor_detect (const char *chat_template);

#endif
