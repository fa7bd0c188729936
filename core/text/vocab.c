/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loads the Gemma 4 vocabulary from tokenizer.* GGUF keys
 * (docs/tokenizer-and-chat.md#vocabulary): token views, attributes,
 * byte-fallback ids, the end-of-generation set, a text -> id hash and a
 * (left id, right id) -> merge hash. Every id and length in the file is
 * checked; the strings themselves are not copied. */
#include "vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"

#define KEY_MODEL "tokenizer.ggml.model"
#define KEY_TOKENS "tokenizer.ggml.tokens"
#define KEY_TOKEN_TYPE "tokenizer.ggml.token_type"
#define KEY_MERGES "tokenizer.ggml.merges"
#define KEY_BOS "tokenizer.ggml.bos_token_id"
#define KEY_EOS "tokenizer.ggml.eos_token_id"
#define KEY_UNK "tokenizer.ggml.unknown_token_id"
#define KEY_PAD "tokenizer.ggml.padding_token_id"
#define KEY_ADD_BOS "tokenizer.ggml.add_bos_token"
#define KEY_SUPPRESS "tokenizer.ggml.suppress_tokens"

/* Token strings that end generation, matched by text as llama.cpp does
 * (docs/tokenizer-and-chat.md#vocabulary). */
static const char *const eog_texts[] = { "<eos>", "<turn|>", "<|tool_response>" };

/* FNV-1a, streamed so a merge's "left" + "right" hashes like the token text
 * left+right without building the concatenation. */
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t
fnv1a (uint64_t h, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    h ^= (uint8_t) s[i];
    h *= FNV_PRIME;
  }
  return h;
}

/* splitmix64's finaliser: spreads a (left, right) id pair over the table. */
static uint64_t
mix64 (uint64_t x)
{
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

static uint32_t
table_size (uint64_t n_entries)
{
  uint64_t cap = 16;
  while (cap < 2 * n_entries)
    cap <<= 1;
  return (uint32_t) cap;
}

/* Id of the token whose text is a[0..na) followed by b[0..nb), or -1; h is
 * that text's hash. */
static g4_token
lookup_hashed (const g4_vocab * v, uint64_t h, const char *a, size_t na, const char *b,
    size_t nb)
{
  uint32_t tag = (uint32_t) (h >> 32);
  for (uint32_t i = (uint32_t) h & v->id_mask;; i = (i + 1) & v->id_mask) {
    const g4_id_slot *slot = &v->id_slots[i];
    if (slot->id1 == 0)
      return -1;
    if (slot->tag != tag)
      continue;
    const g4_token_text *t = &v->text[slot->id1 - 1];
    if (t->len == na + nb && memcmp (t->ptr, a, na) == 0
        && (nb == 0 || memcmp (t->ptr + na, b, nb) == 0))
      return (g4_token) slot->id1 - 1;
  }
}

static g4_token
lookup_concat (const g4_vocab * v, const char *a, size_t na, const char *b, size_t nb)
{
  return lookup_hashed (v, fnv1a (fnv1a (FNV_OFFSET, a, na), b, nb), a, na, b, nb);
}

g4_token
g4_vocab_lookup (const g4_vocab * v, const char *s, size_t n)
{
  return lookup_concat (v, s, n, NULL, 0);
}

g4_token
g4_vocab_find (const g4_vocab * vocab, const char *text)
{
  if (vocab == NULL || text == NULL)
    return -1;
  return g4_vocab_lookup (vocab, text, strlen (text));
}

/* A later token with the same text replaces the earlier one, as in llama.cpp. */
static void
insert_token (g4_vocab * v, g4_token id)
{
  const g4_token_text *t = &v->text[id];
  uint64_t h = fnv1a (FNV_OFFSET, t->ptr, t->len);
  uint32_t tag = (uint32_t) (h >> 32);
  for (uint32_t i = (uint32_t) h & v->id_mask;; i = (i + 1) & v->id_mask) {
    g4_id_slot *slot = &v->id_slots[i];
    const g4_token_text *old = slot->id1 ? &v->text[slot->id1 - 1] : NULL;
    if (old == NULL || (slot->tag == tag && old->len == t->len
            && memcmp (old->ptr, t->ptr, t->len) == 0)) {
      *slot = (g4_id_slot) { (uint32_t) id + 1, tag };
      return;
    }
  }
}

int32_t
g4_vocab_merge_rank (const g4_vocab * v, g4_token left, g4_token right, g4_token * result)
{
  uint64_t key = (uint64_t) (uint32_t) left << 32 | (uint32_t) right;
  for (uint32_t i = (uint32_t) mix64 (key) & v->merge_mask;; i = (i + 1) & v->merge_mask) {
    const g4_merge_slot *s = &v->merge_slots[i];
    if (s->rank1 == 0)
      return -1;
    if (s->key == key) {
      *result = s->result;
      return (int32_t) s->rank1 - 1;
    }
  }
}

/* The first occurrence of a pair keeps its rank, as llama.cpp's emplace does. */
static void
insert_merge (g4_vocab * v, g4_token left, g4_token right, int32_t rank, g4_token result)
{
  uint64_t key = (uint64_t) (uint32_t) left << 32 | (uint32_t) right;
  for (uint32_t i = (uint32_t) mix64 (key) & v->merge_mask;; i = (i + 1) & v->merge_mask) {
    g4_merge_slot *s = &v->merge_slots[i];
    if (s->rank1 == 0) {
      *s = (g4_merge_slot) { key, (uint32_t) rank + 1, result };
      return;
    }
    if (s->key == key)
      return;
  }
}

static const char *
file_name (const g4_gguf * g)
{
  const char *p = g4_gguf_path (g);
  if (p == NULL)
    return "gguf";
  const char *slash = strrchr (p, '/');
  return slash ? slash + 1 : p;
}

/* The index of the string-array key, checked for type and length. */
static g4_status
find_str_array (const g4_gguf * g, const char *key, int64_t * idx, g4_error * err)
{
  *idx = g4_gguf_find_key (g, key);
  if (*idx < 0)
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: missing key '%s'", file_name (g), key);
  if (g4_gguf_kv_type (g, *idx) != G4_GGUF_ARRAY || g4_gguf_arr_type (g, *idx) != G4_GGUF_STRING)
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: key '%s' is not an array of strings",
        file_name (g), key);
  if (g4_gguf_arr_n (g, *idx) > INT32_MAX)
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: key '%s' has %llu entries, at most %d allowed",
        file_name (g), key, (unsigned long long) g4_gguf_arr_n (g, *idx), INT32_MAX);
  return G4_OK;
}

/* A token id key; an optional one gives -1 when absent. Out of range ids
 * are errors. */
static g4_status
read_token_id (const g4_gguf * g, const char *key, bool required, int n_tokens,
    g4_token * out, g4_error * err)
{
  *out = -1;
  if (!required && g4_gguf_find_key (g, key) < 0)
    return G4_OK;
  uint32_t id;
  g4_status st = g4_gguf_get_u32 (g, key, &id, err);
  if (st != G4_OK)
    return st;
  if (id >= (uint32_t) n_tokens)
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: '%s' is %u, expected a token id below %d",
        file_name (g), key, id, n_tokens);
  *out = (g4_token) id;
  return G4_OK;
}

static g4_status
check_model (const g4_gguf * g, g4_error * err)
{
  if (g4_gguf_find_key (g, KEY_MODEL) < 0)
    return g4_set_error (err, G4_STATUS_UNSUPPORTED,
        "no tokenizer in file %s (no key '" KEY_MODEL "')", file_name (g));
  g4_gguf_str model;
  g4_status st = g4_gguf_get_str (g, KEY_MODEL, &model, err);
  if (st != G4_OK)
    return st;
  if (model.len == 4 && memcmp (model.ptr, "none", 4) == 0)
    return g4_set_error (err, G4_STATUS_UNSUPPORTED,
        "no tokenizer in file %s ('" KEY_MODEL "' is \"none\")", file_name (g));
  if (model.len != 6 || memcmp (model.ptr, "gemma4", 6) != 0) {
    int shown = model.len > 32 ? 32 : (int) model.len;
    return g4_set_error (err, G4_STATUS_UNSUPPORTED,
        "%s: tokenizer model \"%.*s\" is not supported, expected \"gemma4\"",
        file_name (g), shown, model.ptr);
  }
  return G4_OK;
}

static bool
hex_digit (char c, uint8_t * out)
{
  if (c >= '0' && c <= '9')
    *out = (uint8_t) (c - '0');
  else if (c >= 'A' && c <= 'F')
    *out = (uint8_t) (c - 'A' + 10);
  else if (c >= 'a' && c <= 'f')
    *out = (uint8_t) (c - 'a' + 10);
  else
    return false;
  return true;
}

static g4_status
load_tokens (g4_vocab * v, const g4_gguf * g, g4_error * err)
{
  int64_t ki;
  g4_status st = find_str_array (g, KEY_TOKENS, &ki, err);
  if (st != G4_OK)
    return st;
  uint64_t n = g4_gguf_arr_n (g, ki);
  if (n == 0)
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: '" KEY_TOKENS "' is empty", file_name (g));
  v->n_tokens = (int) n;

  int64_t ti = g4_gguf_find_key (g, KEY_TOKEN_TYPE);
  if (ti < 0)
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: missing key '" KEY_TOKEN_TYPE "'",
        file_name (g));
  if (g4_gguf_kv_type (g, ti) != G4_GGUF_ARRAY || g4_gguf_arr_type (g, ti) != G4_GGUF_INT32)
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: key '" KEY_TOKEN_TYPE
        "' is not an array of int32", file_name (g));
  if (g4_gguf_arr_n (g, ti) != n)
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: '" KEY_TOKEN_TYPE
        "' has %llu entries, expected %llu (one per token)", file_name (g),
        (unsigned long long) g4_gguf_arr_n (g, ti), (unsigned long long) n);
  const uint8_t *types = g4_gguf_arr_data (g, ti);

  v->text = malloc (n * sizeof *v->text);
  v->attr = malloc (n);
  v->byte_value = calloc (n, 1);
  v->id_mask = table_size (n) - 1;
  v->id_slots = calloc ((size_t) v->id_mask + 1, sizeof *v->id_slots);
  if (!v->text || !v->attr || !v->byte_value || !v->id_slots)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "%s: out of memory for %llu tokens",
        file_name (g), (unsigned long long) n);

  for (uint64_t i = 0; i < n; i++) {
    g4_gguf_str s = g4_gguf_arr_str (g, ki, i);
    if (s.len > UINT32_MAX)
      return g4_set_error (err, G4_STATUS_FORMAT, "%s: token %llu is %llu bytes long",
          file_name (g), (unsigned long long) i, (unsigned long long) s.len);
    v->text[i] = (g4_token_text) { s.ptr, (uint32_t) s.len };

    int32_t type;
    memcpy (&type, types + 4 * i, sizeof type);
    switch (type) {
      case G4_TOKEN_TYPE_UNDEFINED: v->attr[i] = 0; break;
      case G4_TOKEN_TYPE_NORMAL: v->attr[i] = G4_TOKEN_ATTR_NORMAL; break;
      case G4_TOKEN_TYPE_UNKNOWN: v->attr[i] = G4_TOKEN_ATTR_UNKNOWN; break;
      case G4_TOKEN_TYPE_CONTROL: v->attr[i] = G4_TOKEN_ATTR_CONTROL; break;
      case G4_TOKEN_TYPE_USER_DEFINED: v->attr[i] = G4_TOKEN_ATTR_USER_DEFINED; break;
      case G4_TOKEN_TYPE_UNUSED: v->attr[i] = G4_TOKEN_ATTR_UNUSED; break;
      case G4_TOKEN_TYPE_BYTE: v->attr[i] = G4_TOKEN_ATTR_BYTE; break;
      default:
        return g4_set_error (err, G4_STATUS_FORMAT, "%s: '" KEY_TOKEN_TYPE
            "'[%llu] is %d, expected 0..6", file_name (g), (unsigned long long) i, type);
    }
    if (type == G4_TOKEN_TYPE_BYTE) {
      uint8_t hi, lo;
      if (s.len != 6 || memcmp (s.ptr, "<0x", 3) != 0 || s.ptr[5] != '>'
          || !hex_digit (s.ptr[3], &hi) || !hex_digit (s.ptr[4], &lo)) {
        int shown = s.len > 32 ? 32 : (int) s.len;
        return g4_set_error (err, G4_STATUS_FORMAT,
            "%s: byte token %llu is \"%.*s\", expected \"<0xHH>\"", file_name (g),
            (unsigned long long) i, shown, s.ptr);
      }
      v->byte_value[i] = (uint8_t) (hi << 4 | lo);
    }
    insert_token (v, (g4_token) i);
  }

  for (int b = 0; b < 256; b++) {
    char name[7];
    snprintf (name, sizeof name, "<0x%02X>", b);
    v->byte_token[b] = g4_vocab_lookup (v, name, 6);
  }
  return G4_OK;
}

/* One line of tokenizer.ggml.merges, split and hashed. */
typedef struct {
  const char *left, *right;
  size_t n_left, n_right;
  uint64_t h_left, h_right, h_merged;
} merge_text;

#define MERGE_BATCH 64

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch (p)
#else
#define PREFETCH(p) ((void) (p))
#endif

/* Starts loading what a later lookup of hash h will read: with touch_text
 * false the slot, with it (once the slot is cached) the candidate token's
 * view and text. */
static void
prefetch_lookup (const g4_vocab * v, uint64_t h, bool touch_text)
{
  const g4_id_slot *slot = &v->id_slots[(uint32_t) h & v->id_mask];
  if (!touch_text) {
    PREFETCH (slot);
    return;
  }
  if (slot->id1 != 0 && slot->tag == (uint32_t) (h >> 32)) {
    const g4_token_text *t = &v->text[slot->id1 - 1];
    PREFETCH (t);
    PREFETCH (t->ptr);
  }
}

static g4_status
load_merges (g4_vocab * v, const g4_gguf * g, g4_error * err)
{
  int64_t mi;
  g4_status st = find_str_array (g, KEY_MERGES, &mi, err);
  if (st != G4_OK)
    return st;
  uint64_t n = g4_gguf_arr_n (g, mi);
  v->n_merges = (int) n;
  v->merge_mask = table_size (n) - 1;
  v->merge_slots = calloc ((size_t) v->merge_mask + 1, sizeof *v->merge_slots);
  if (!v->merge_slots)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "%s: out of memory for %llu merges",
        file_name (g), (unsigned long long) n);

  /* Half a million look-ups into tables far larger than the caches: they are
   * done a batch at a time, with the memory each one needs requested first,
   * so the misses overlap instead of following one another. */
  merge_text mt[MERGE_BATCH];
  for (uint64_t base = 0; base < n; base += MERGE_BATCH) {
    int m = n - base < MERGE_BATCH ? (int) (n - base) : MERGE_BATCH;
    for (int k = 0; k < m; k++) {
      g4_gguf_str s = g4_gguf_arr_str (g, mi, base + k);
      /* Split at the first space after the first byte, as llama.cpp does. */
      const char *sp = s.len > 1 ? memchr (s.ptr + 1, ' ', s.len - 1) : NULL;
      if (sp == NULL)
        return g4_set_error (err, G4_STATUS_FORMAT, "%s: '" KEY_MERGES
            "'[%llu] \"%.*s\" is not two tokens separated by a space", file_name (g),
            (unsigned long long) (base + k), s.len > 64 ? 64 : (int) s.len, s.ptr);
      merge_text *t = &mt[k];
      t->left = s.ptr;
      t->n_left = (size_t) (sp - s.ptr);
      t->right = sp + 1;
      t->n_right = s.len - t->n_left - 1;
      t->h_left = fnv1a (FNV_OFFSET, t->left, t->n_left);
      t->h_right = fnv1a (FNV_OFFSET, t->right, t->n_right);
      t->h_merged = fnv1a (t->h_left, t->right, t->n_right);
    }
    for (int pass = 0; pass < 2; pass++)
      for (int k = 0; k < m; k++) {
        prefetch_lookup (v, mt[k].h_left, pass == 1);
        prefetch_lookup (v, mt[k].h_right, pass == 1);
        prefetch_lookup (v, mt[k].h_merged, pass == 1);
      }
    for (int k = 0; k < m; k++) {
      const merge_text *t = &mt[k];
      g4_token left = lookup_hashed (v, t->h_left, t->left, t->n_left, NULL, 0);
      g4_token right = lookup_hashed (v, t->h_right, t->right, t->n_right, NULL, 0);
      g4_token result = lookup_hashed (v, t->h_merged, t->left, t->n_left, t->right, t->n_right);
      /* HF's BPE refuses such a table too; every merge of a real file passes. */
      if (left < 0 || right < 0 || result < 0) {
        size_t len = t->n_left + 1 + t->n_right;
        return g4_set_error (err, G4_STATUS_FORMAT, "%s: '" KEY_MERGES
            "'[%llu] \"%.*s\": %s is not a token", file_name (g),
            (unsigned long long) (base + k), len > 64 ? 64 : (int) len, t->left,
            left < 0 ? "the left part" : right < 0 ? "the right part" : "the merged text");
      }
      insert_merge (v, left, right, (int32_t) (base + k), result);
    }
  }
  return G4_OK;
}

static g4_status
load_suppress (g4_vocab * v, const g4_gguf * g, g4_error * err)
{
  int64_t si = g4_gguf_find_key (g, KEY_SUPPRESS);
  if (si < 0)
    return G4_OK;
  if (g4_gguf_kv_type (g, si) != G4_GGUF_ARRAY || g4_gguf_arr_type (g, si) != G4_GGUF_INT32)
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: key '" KEY_SUPPRESS
        "' is not an array of int32", file_name (g));
  uint64_t n = g4_gguf_arr_n (g, si);
  if (n > (uint64_t) v->n_tokens)
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: '" KEY_SUPPRESS
        "' has %llu entries, more than the %d tokens", file_name (g),
        (unsigned long long) n, v->n_tokens);
  v->suppress = malloc ((n ? n : 1) * sizeof *v->suppress);
  if (!v->suppress)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "%s: out of memory", file_name (g));
  const uint8_t *data = g4_gguf_arr_data (g, si);
  for (uint64_t i = 0; i < n; i++) {
    int32_t id;
    memcpy (&id, data + 4 * i, sizeof id);
    if (id < 0 || id >= v->n_tokens)
      return g4_set_error (err, G4_STATUS_FORMAT, "%s: '" KEY_SUPPRESS
          "'[%llu] is %d, expected a token id below %d", file_name (g),
          (unsigned long long) i, id, v->n_tokens);
    v->suppress[i] = id;
  }
  v->n_suppress = (int) n;
  return G4_OK;
}

static void
mark_eog (g4_vocab * v)
{
  for (size_t i = 0; i < sizeof eog_texts / sizeof eog_texts[0]; i++) {
    g4_token t = g4_vocab_find (v, eog_texts[i]);
    if (t >= 0)
      v->attr[t] |= G4_TOKEN_ATTR_EOG | G4_TOKEN_ATTR_CONTROL;
  }
  v->attr[v->eos] |= G4_TOKEN_ATTR_EOG;
}

typedef struct {
  uint32_t len;
  g4_token id;
} special_key;

static int
cmp_special (const void *a, const void *b)
{
  const special_key *x = a, *y = b;
  if (x->len != y->len)
    return x->len > y->len ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

static g4_status
collect_special (g4_vocab * v, const g4_gguf * g, g4_error * err)
{
  const uint8_t special_bits =
      G4_TOKEN_ATTR_CONTROL | G4_TOKEN_ATTR_USER_DEFINED | G4_TOKEN_ATTR_UNKNOWN;
  int n = 0;
  for (int i = 0; i < v->n_tokens; i++)
    n += (v->attr[i] & special_bits) && v->text[i].len > 0;
  special_key *keys = malloc ((n ? n : 1) * sizeof *keys);
  v->special = malloc ((n ? n : 1) * sizeof *v->special);
  if (!keys || !v->special) {
    free (keys);
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "%s: out of memory", file_name (g));
  }
  n = 0;
  for (int i = 0; i < v->n_tokens; i++)
    if ((v->attr[i] & special_bits) && v->text[i].len > 0)
      keys[n++] = (special_key) { v->text[i].len, i };
  qsort (keys, n, sizeof *keys, cmp_special);
  for (int i = 0; i < n; i++)
    v->special[i] = keys[i].id;
  v->n_special = n;
  free (keys);
  return G4_OK;
}

static g4_status
load_all (g4_vocab * v, const g4_gguf * g, g4_error * err)
{
  g4_status st;
  if ((st = check_model (g, err)) != G4_OK || (st = load_tokens (v, g, err)) != G4_OK
      || (st = load_merges (v, g, err)) != G4_OK)
    return st;
  if ((st = read_token_id (g, KEY_BOS, true, v->n_tokens, &v->bos, err)) != G4_OK
      || (st = read_token_id (g, KEY_EOS, true, v->n_tokens, &v->eos, err)) != G4_OK
      || (st = read_token_id (g, KEY_UNK, false, v->n_tokens, &v->unk, err)) != G4_OK
      || (st = read_token_id (g, KEY_PAD, false, v->n_tokens, &v->pad, err)) != G4_OK)
    return st;

  v->add_bos = true;
  if (g4_gguf_find_key (g, KEY_ADD_BOS) >= 0) {
    bool add_bos;
    if ((st = g4_gguf_get_bool (g, KEY_ADD_BOS, &add_bos, err)) != G4_OK)
      return st;
    if (!add_bos)
      g4_log (G4_LOG_WARNING, "%s: '" KEY_ADD_BOS "' is false; gemma4 needs <bos>, using true",
          file_name (g));
  }
  if ((st = load_suppress (v, g, err)) != G4_OK)
    return st;
  mark_eog (v);
  return collect_special (v, g, err);
}

g4_status
g4_vocab_load (const g4_gguf * g, g4_vocab ** out, g4_error * err)
{
  *out = NULL;
  g4_vocab *v = calloc (1, sizeof *v);
  if (v == NULL)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory for the vocab");
  g4_status st = load_all (v, g, err);
  if (st != G4_OK) {
    g4_vocab_free (v);
    return st;
  }
  *out = v;
  return G4_OK;
}

void
g4_vocab_free (g4_vocab * v)
{
  if (v == NULL)
    return;
  free (v->text);
  free (v->attr);
  free (v->byte_value);
  free (v->id_slots);
  free (v->merge_slots);
  free (v->special);
  free (v->suppress);
  free (v);
}

int
g4_vocab_n_tokens (const g4_vocab * vocab)
{
  return vocab ? vocab->n_tokens : 0;
}

g4_token
g4_vocab_bos (const g4_vocab * vocab)
{
  return vocab ? vocab->bos : -1;
}

g4_token
g4_vocab_eos (const g4_vocab * vocab)
{
  return vocab ? vocab->eos : -1;
}

bool
g4_vocab_is_eog (const g4_vocab * vocab, g4_token t)
{
  return vocab && t >= 0 && t < vocab->n_tokens && (vocab->attr[t] & G4_TOKEN_ATTR_EOG);
}

bool
g4_vocab_is_control (const g4_vocab * vocab, g4_token t)
{
  return vocab && t >= 0 && t < vocab->n_tokens && (vocab->attr[t] & G4_TOKEN_ATTR_CONTROL);
}

const g4_token *
g4_vocab_suppress_tokens (const g4_vocab * v, int *n)
{
  *n = v->n_suppress;
  return v->suppress;
}
