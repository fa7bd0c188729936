/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GGUF v2/v3 reader. One bounded pass over the header checks every count,
 * length, type id and offset against the bytes left (and against overflow)
 * before anything is allocated or dereferenced; tensor data stays in the
 * mapping. Layout: "GGUF", u32 version, u64 n_tensors, u64 n_kv, n_kv x (key,
 * u32 type, value), n_tensors x (name, u32 n_dims, i64 ne[n_dims], u32 ggml
 * type, u64 offset), padding to general.alignment, tensor data. */
#include "gguf.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "mapped_file.h"
#include "type_traits.h"

_Static_assert (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
    "the reader takes values straight from little-endian files");

#define DEFAULT_ALIGNMENT 32
#define MAX_ARRAY_DEPTH 8
#define HEADER_BYTES 24
/* Smallest encodings, used to reject counts before allocating: a kv is a
 * key (u64 length + 1 byte), a u32 type and a 1-byte value; a tensor info is
 * a name (8 + 1), n_dims, no dims, a type and an offset. */
#define MIN_KV_BYTES 14
#define MIN_TENSOR_INFO_BYTES 25
#define NAME_SHOWN 48

typedef struct {
  char *key;
  uint64_t offset;              /* of the kv in the file, for messages */
  g4_gguf_type type;
  const uint8_t *data;          /* scalar value, string bytes or first array element */
  uint64_t len;                 /* string length */
  g4_gguf_type arr_type;
  uint64_t arr_n;
  g4_gguf_str *strs;            /* string arrays: arr_n views */
  const uint8_t *raw;           /* the encoded value, after the type id */
  uint64_t raw_len;
} kv_entry;

typedef struct {
  const char *name;             /* NULL: empty slot */
  int64_t idx;
} name_slot;

/* Open-addressing hash of names, so duplicate checks and look-ups stay linear
 * even for hostile files with many entries. */
typedef struct {
  name_slot *slots;
  uint64_t mask;
} name_index;

struct g4_gguf {
  g4_mapped_file mf;
  const uint8_t *base;
  uint64_t size;
  char *path;
  const char *name;             /* last path component, for messages */
  uint32_t version;
  uint64_t alignment;
  uint64_t data_offset;
  int64_t n_kv;
  kv_entry *kv;
  name_index kv_index;
  int64_t n_tensors;
  g4_gguf_tensor *tensors;
  uint64_t *info_offset;        /* file offset of each tensor info, for messages */
  name_index tensor_index;
};

typedef struct {
  g4_gguf *g;
  uint64_t pos;
  g4_error *err;
  char what[NAME_SHOWN + 16];   /* "key 'x'" or "tensor 'x'": who the next message is about */
} cursor;

static const char *const type_names[G4_GGUF_TYPE_COUNT] = {
  "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool",
  "string", "array", "uint64", "int64", "float64",
};

static const uint8_t type_sizes[G4_GGUF_TYPE_COUNT] = {
  1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8,
};

const char *
g4_gguf_type_name (g4_gguf_type t)
{
  return (unsigned) t < G4_GGUF_TYPE_COUNT ? type_names[t] : "unknown";
}

size_t
g4_gguf_type_size (g4_gguf_type t)
{
  return (unsigned) t < G4_GGUF_TYPE_COUNT ? type_sizes[t] : 0;
}

static g4_status
fail_at (const g4_gguf * g, g4_error * err, uint64_t offset, const char *fmt, ...)
    G4_PRINTF (4, 5);

static g4_status
fail_at (const g4_gguf * g, g4_error * err, uint64_t offset, const char *fmt, ...)
{
  char problem[224];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (problem, sizeof problem, fmt, ap);
  va_end (ap);
  return g4_set_error (err, G4_STATUS_FORMAT, "%s: %s at offset %" PRIu64,
      g->name, problem, offset);
}

/* Copies at most NAME_SHOWN bytes of a name from the file, with '?' for
 * unprintable bytes, so messages stay one readable line. */
static void
printable_name (char *dst, size_t cap, const char *s, uint64_t len)
{
  size_t n = len < NAME_SHOWN ? (size_t) len : NAME_SHOWN;
  if (n + 4 > cap)
    n = cap - 4;
  for (size_t k = 0; k < n; k++) {
    unsigned char ch = (unsigned char) s[k];
    dst[k] = ch >= 0x20 && ch < 0x7f ? (char) ch : '?';
  }
  if (n < len) {
    memcpy (dst + n, "...", 4);
    return;
  }
  dst[n] = '\0';
}

static uint32_t
u32_at (const uint8_t * p)
{
  uint32_t v;
  memcpy (&v, p, sizeof v);
  return v;
}

static uint64_t
u64_at (const uint8_t * p)
{
  uint64_t v;
  memcpy (&v, p, sizeof v);
  return v;
}

static uint64_t
bytes_left (const cursor * c)
{
  return c->g->size - c->pos;
}

static g4_status
need (cursor * c, uint64_t n, const char *field)
{
  if (n <= bytes_left (c))
    return G4_OK;
  return fail_at (c->g, c->err, c->pos,
      "%s: %s truncated: need %" PRIu64 " bytes, %" PRIu64 " left",
      c->what, field, n, bytes_left (c));
}

/* A u64 length followed by that many bytes. */
static g4_status
read_str (cursor * c, const char *field, g4_gguf_str * out)
{
  uint64_t at = c->pos;
  if (need (c, 8, field))
    return G4_STATUS_FORMAT;
  uint64_t len = u64_at (c->g->base + c->pos);
  c->pos += 8;
  if (len > bytes_left (c))
    return fail_at (c->g, c->err, at,
        "%s: %s length %" PRIu64 " runs past the end of the file (%" PRIu64
        " bytes left)", c->what, field, len, bytes_left (c));
  out->ptr = (const char *) c->g->base + c->pos;
  out->len = len;
  c->pos += len;
  return G4_OK;
}

/* read_str for element j of a string array; the element is named only when
 * it fails, since vocabularies hold hundreds of thousands of them. */
static g4_status
read_str_element (cursor * c, uint64_t j, g4_gguf_str * out)
{
  uint64_t left = bytes_left (c);
  uint64_t len = left >= 8 ? u64_at (c->g->base + c->pos) : 0;
  if (left >= 8 && len <= left - 8) {
    out->ptr = (const char *) c->g->base + c->pos + 8;
    out->len = len;
    c->pos += 8 + len;
    return G4_OK;
  }
  char field[40];
  snprintf (field, sizeof field, "string element %" PRIu64, j);
  return read_str (c, field, out);
}

static uint64_t
fnv1a (const char *s)
{
  uint64_t h = 0xcbf29ce484222325u;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 0x100000001b3u;
  return h;
}

static bool
index_init (name_index * ix, int64_t n)
{
  uint64_t cap = 8;
  while (cap < 2 * (uint64_t) n)
    cap *= 2;
  ix->slots = calloc (cap, sizeof *ix->slots);
  ix->mask = cap - 1;
  return ix->slots != NULL;
}

static int64_t
index_find (const name_index * ix, const char *name)
{
  if (ix->slots == NULL)
    return -1;
  for (uint64_t h = fnv1a (name) & ix->mask;; h = (h + 1) & ix->mask) {
    if (ix->slots[h].name == NULL)
      return -1;
    if (strcmp (ix->slots[h].name, name) == 0)
      return ix->slots[h].idx;
  }
}

/* Adds name unless present; returns the index already holding it, or -1. */
static int64_t
index_add (name_index * ix, const char *name, int64_t idx)
{
  uint64_t h = fnv1a (name) & ix->mask;
  for (; ix->slots[h].name != NULL; h = (h + 1) & ix->mask)
    if (strcmp (ix->slots[h].name, name) == 0)
      return ix->slots[h].idx;
  ix->slots[h].name = name;
  ix->slots[h].idx = idx;
  return -1;
}

/* Key and tensor names: non-empty, no NUL inside, copied NUL-terminated. */
static g4_status
read_name (cursor * c, const char *field, char **out)
{
  uint64_t at = c->pos;
  g4_gguf_str s;
  if (read_str (c, field, &s))
    return G4_STATUS_FORMAT;
  if (s.len == 0)
    return fail_at (c->g, c->err, at, "%s: empty %s", c->what, field);
  if (memchr (s.ptr, 0, s.len) != NULL)
    return fail_at (c->g, c->err, at, "%s: %s contains a NUL byte", c->what, field);
  char shown[NAME_SHOWN + 4];
  printable_name (shown, sizeof shown, s.ptr, s.len);
  snprintf (c->what, sizeof c->what, "%s '%s'", field, shown);
  *out = malloc ((size_t) s.len + 1);
  if (*out == NULL)
    return g4_set_error (c->err, G4_STATUS_NO_MEMORY, "%s: out of memory for %s",
        c->g->name, c->what);
  memcpy (*out, s.ptr, (size_t) s.len);
  (*out)[s.len] = '\0';
  return G4_OK;
}

static g4_status
read_array_header (cursor * c, int depth, g4_gguf_type * elem, uint64_t * n)
{
  uint64_t at = c->pos;
  if (depth > MAX_ARRAY_DEPTH)
    return fail_at (c->g, c->err, at, "%s: arrays nested deeper than %d levels",
        c->what, MAX_ARRAY_DEPTH);
  if (need (c, 12, "array header"))
    return G4_STATUS_FORMAT;
  uint32_t t = u32_at (c->g->base + c->pos);
  uint64_t count = u64_at (c->g->base + c->pos + 4);
  c->pos += 12;
  if (t >= G4_GGUF_TYPE_COUNT)
    return fail_at (c->g, c->err, at, "%s: unknown array element type id %" PRIu32,
        c->what, t);
  uint64_t min = t == G4_GGUF_STRING ? 8 : t == G4_GGUF_ARRAY ? 12 : type_sizes[t];
  if (count > bytes_left (c) / min)
    return fail_at (c->g, c->err, at,
        "%s: array count %" PRIu64 " of %s (at least %" PRIu64
        " bytes each) runs past the end of the file (%" PRIu64 " bytes left)",
        c->what, count, type_names[t], min, bytes_left (c));
  *elem = (g4_gguf_type) t;
  *n = count;
  return G4_OK;
}

/* Validates an array of depth >= 2 and steps over it. */
static g4_status
skip_array (cursor * c, int depth)
{
  g4_gguf_type t;
  uint64_t n;
  if (read_array_header (c, depth, &t, &n))
    return G4_STATUS_FORMAT;
  if (t != G4_GGUF_STRING && t != G4_GGUF_ARRAY) {
    c->pos += n * type_sizes[t];
    return G4_OK;
  }
  for (uint64_t j = 0; j < n; j++) {
    g4_gguf_str s;
    g4_status st = t == G4_GGUF_STRING ? read_str (c, "nested string", &s)
        : skip_array (c, depth + 1);
    if (st)
      return st;
  }
  return G4_OK;
}

static g4_status
read_kv_array (cursor * c, kv_entry * kv)
{
  if (read_array_header (c, 1, &kv->arr_type, &kv->arr_n))
    return G4_STATUS_FORMAT;
  kv->data = c->g->base + c->pos;
  switch (kv->arr_type) {
    case G4_GGUF_STRING:
      /* arr_n <= bytes left / 8, so the table is at most twice the file */
      kv->strs = malloc ((size_t) (kv->arr_n ? kv->arr_n : 1) * sizeof *kv->strs);
      if (kv->strs == NULL)
        return g4_set_error (c->err, G4_STATUS_NO_MEMORY,
            "%s: out of memory for %s (%" PRIu64 " strings)", c->g->name, c->what,
            kv->arr_n);
      for (uint64_t j = 0; j < kv->arr_n; j++)
        if (read_str_element (c, j, &kv->strs[j]))
          return G4_STATUS_FORMAT;
      return G4_OK;
    case G4_GGUF_ARRAY:
      for (uint64_t j = 0; j < kv->arr_n; j++)
        if (skip_array (c, 2))
          return G4_STATUS_FORMAT;
      return G4_OK;
    default:
      c->pos += kv->arr_n * type_sizes[kv->arr_type];
      return G4_OK;
  }
}

static g4_status
read_value (cursor * c, kv_entry * kv)
{
  if (kv->type == G4_GGUF_ARRAY)
    return read_kv_array (c, kv);
  if (kv->type == G4_GGUF_STRING) {
    g4_gguf_str s;
    if (read_str (c, "string value", &s))
      return G4_STATUS_FORMAT;
    kv->data = (const uint8_t *) s.ptr;
    kv->len = s.len;
    return G4_OK;
  }
  if (need (c, type_sizes[kv->type], "value"))
    return G4_STATUS_FORMAT;
  kv->data = c->g->base + c->pos;
  c->pos += type_sizes[kv->type];
  return G4_OK;
}

static g4_status
read_kv (cursor * c, int64_t i)
{
  g4_gguf *g = c->g;
  kv_entry *kv = &g->kv[i];
  kv->offset = c->pos;
  snprintf (c->what, sizeof c->what, "kv #%" PRId64, i);
  g4_status st = read_name (c, "key", &kv->key);
  if (st)
    return st;
  int64_t first = index_add (&g->kv_index, kv->key, i);
  if (first >= 0)
    return fail_at (g, c->err, kv->offset, "duplicate %s (first at offset %" PRIu64 ")",
        c->what, g->kv[first].offset);
  uint64_t at = c->pos;
  if (need (c, 4, "value type"))
    return G4_STATUS_FORMAT;
  uint32_t t = u32_at (g->base + c->pos);
  c->pos += 4;
  if (t >= G4_GGUF_TYPE_COUNT)
    return fail_at (g, c->err, at, "%s: unknown value type id %" PRIu32, c->what, t);
  kv->type = (g4_gguf_type) t;
  kv->raw = g->base + c->pos;
  st = read_value (c, kv);
  kv->raw_len = (uint64_t) (g->base + c->pos - kv->raw);
  return st;
}

static g4_status
read_alignment (g4_gguf * g, g4_error * err)
{
  g->alignment = DEFAULT_ALIGNMENT;
  int64_t i = g4_gguf_find_key (g, "general.alignment");
  if (i < 0)
    return G4_OK;
  const kv_entry *kv = &g->kv[i];
  if (kv->type != G4_GGUF_UINT32)
    return fail_at (g, err, kv->offset,
        "key 'general.alignment' has type %s, expected uint32", type_names[kv->type]);
  uint32_t a = u32_at (kv->data);
  if (a == 0 || (a & (a - 1)) != 0)
    return fail_at (g, err, kv->offset,
        "key 'general.alignment' is %" PRIu32 ", expected a non-zero power of two", a);
  g->alignment = a;
  return G4_OK;
}

/* Element count and byte size of a tensor, checked for overflow. */
static g4_status
tensor_size (cursor * c, g4_gguf_tensor * t, const g4_type_traits * tt, uint64_t at)
{
  if (t->ne[0] % tt->block_size != 0)
    return fail_at (c->g, c->err, at,
        "%s: ne[0] = %" PRId64 " is not a multiple of the %s block size %" PRId64,
        c->what, t->ne[0], tt->name, tt->block_size);
  int64_t nel = 1;
  uint64_t nbytes = (uint64_t) (t->ne[0] / tt->block_size);
  bool overflow = __builtin_mul_overflow (nbytes, (uint64_t) tt->type_size, &nbytes);
  for (int d = 0; d < G4_GGUF_MAX_DIMS; d++) {
    overflow |= __builtin_mul_overflow (nel, t->ne[d], &nel);
    if (d > 0)
      overflow |= __builtin_mul_overflow (nbytes, (uint64_t) t->ne[d], &nbytes);
  }
  if (overflow)
    return fail_at (c->g, c->err, at,
        "%s: shape [%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
        "] overflows the element count or byte size", c->what,
        t->ne[0], t->ne[1], t->ne[2], t->ne[3]);
  t->nbytes = nbytes;
  return G4_OK;
}

static g4_status
read_tensor_info (cursor * c, int64_t i)
{
  g4_gguf *g = c->g;
  g4_gguf_tensor *t = &g->tensors[i];
  uint64_t start = c->pos;
  g->info_offset[i] = start;
  snprintf (c->what, sizeof c->what, "tensor #%" PRId64, i);
  char *name;
  g4_status st = read_name (c, "tensor", &name);
  if (st)
    return st;
  t->name = name;
  int64_t first = index_add (&g->tensor_index, t->name, i);
  if (first >= 0)
    return fail_at (g, c->err, start, "duplicate %s (first at offset %" PRIu64 ")",
        c->what, g->info_offset[first]);
  uint64_t at = c->pos;
  if (need (c, 4, "n_dims"))
    return G4_STATUS_FORMAT;
  t->n_dims = u32_at (g->base + c->pos);
  c->pos += 4;
  if (t->n_dims > G4_GGUF_MAX_DIMS)
    return fail_at (g, c->err, at, "%s: n_dims %" PRIu32 ", expected at most %d",
        c->what, t->n_dims, G4_GGUF_MAX_DIMS);
  if (need (c, 8 * (uint64_t) t->n_dims + 12, "dims, type and offset"))
    return G4_STATUS_FORMAT;
  for (int d = 0; d < G4_GGUF_MAX_DIMS; d++) {
    t->ne[d] = 1;
    if ((uint32_t) d >= t->n_dims)
      continue;
    at = c->pos;
    t->ne[d] = (int64_t) u64_at (g->base + c->pos);
    c->pos += 8;
    if (t->ne[d] <= 0)
      return fail_at (g, c->err, at, "%s: ne[%d] = %" PRId64 ", expected >= 1",
          c->what, d, t->ne[d]);
  }
  at = c->pos;
  uint32_t type = u32_at (g->base + c->pos);
  c->pos += 4;
  const g4_type_traits *tt = g4_type_traits_get (type);
  if (tt == NULL)
    return fail_at (g, c->err, at, "%s: unknown tensor type id %" PRIu32, c->what, type);
  t->type = (g4_type) type;
  at = c->pos;
  t->offset = u64_at (g->base + c->pos);
  c->pos += 8;
  if (t->offset % g->alignment != 0)
    return fail_at (g, c->err, at,
        "%s: data offset %" PRIu64 " is not a multiple of the alignment %" PRIu64,
        c->what, t->offset, g->alignment);
  return tensor_size (c, t, tt, start);
}

typedef struct {
  uint64_t offset, end;
  int64_t idx;
} extent;

static int
by_offset (const void *a, const void *b)
{
  uint64_t oa = ((const extent *) a)->offset, ob = ((const extent *) b)->offset;
  return oa < ob ? -1 : oa > ob;
}

/* Every tensor inside the data section and no two sharing a byte. */
static g4_status
place_tensors (g4_gguf * g, g4_error * err)
{
  uint64_t data_size = g->size > g->data_offset ? g->size - g->data_offset : 0;
  for (int64_t i = 0; i < g->n_tensors; i++) {
    g4_gguf_tensor *t = &g->tensors[i];
    uint64_t end;
    if (__builtin_add_overflow (t->offset, t->nbytes, &end) || end > data_size) {
      char shown[NAME_SHOWN + 4];
      printable_name (shown, sizeof shown, t->name, strlen (t->name));
      return fail_at (g, err, g->info_offset[i],
          "tensor '%s': data [%" PRIu64 ", +%" PRIu64 ") runs past the end of the file"
          " (data section of %" PRIu64 " bytes at %" PRIu64 ")", shown, t->offset,
          t->nbytes, data_size, g->data_offset);
    }
    t->data = g->base + g->data_offset + t->offset;
  }
  if (g->n_tensors < 2)
    return G4_OK;
  extent *ext = malloc ((size_t) g->n_tensors * sizeof *ext);
  if (ext == NULL)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "%s: out of memory", g->name);
  for (int64_t i = 0; i < g->n_tensors; i++)
    ext[i] = (extent) { g->tensors[i].offset, g->tensors[i].offset + g->tensors[i].nbytes, i };
  qsort (ext, (size_t) g->n_tensors, sizeof *ext, by_offset);
  g4_status st = G4_OK;
  for (int64_t k = 1; k < g->n_tensors && st == G4_OK; k++) {
    if (ext[k - 1].end <= ext[k].offset)
      continue;
    const g4_gguf_tensor *a = &g->tensors[ext[k - 1].idx];
    const g4_gguf_tensor *b = &g->tensors[ext[k].idx];
    char sa[NAME_SHOWN + 4], sb[NAME_SHOWN + 4];
    printable_name (sa, sizeof sa, a->name, strlen (a->name));
    printable_name (sb, sizeof sb, b->name, strlen (b->name));
    st = fail_at (g, err, g->info_offset[ext[k].idx],
        "tensors '%s' [%" PRIu64 ", +%" PRIu64 ") and '%s' [%" PRIu64 ", +%" PRIu64
        ") overlap", sa, a->offset, a->nbytes, sb, b->offset, b->nbytes);
  }
  free (ext);
  return st;
}

static g4_status
read_header (cursor * c, uint64_t * n_tensors, uint64_t * n_kv)
{
  g4_gguf *g = c->g;
  snprintf (c->what, sizeof c->what, "header");
  if (g->size < 4)
    return fail_at (g, c->err, 0, "truncated header: %" PRIu64 " bytes, need %d",
        g->size, HEADER_BYTES);
  if (memcmp (g->base, "GGUF", 4) != 0) {
    char shown[8];
    printable_name (shown, sizeof shown, (const char *) g->base, 4);
    return fail_at (g, c->err, 0, "bad magic '%s', expected 'GGUF'", shown);
  }
  if (g->size < HEADER_BYTES)
    return fail_at (g, c->err, g->size, "truncated header: %" PRIu64 " bytes, need %d",
        g->size, HEADER_BYTES);
  g->version = u32_at (g->base + 4);
  if (g->version == 1)
    return fail_at (g, c->err, 4, "GGUF version 1 is not supported, expected 2 or 3");
  if (g->version != 0 && (g->version & 0xffff) == 0)
    return fail_at (g, c->err, 4, "version field 0x%08" PRIx32
        " looks byte-swapped: big-endian GGUF files are not supported", g->version);
  if (g->version != 2 && g->version != 3)
    return fail_at (g, c->err, 4, "unsupported GGUF version %" PRIu32 ", expected 2 or 3",
        g->version);
  *n_tensors = u64_at (g->base + 8);
  *n_kv = u64_at (g->base + 16);
  c->pos = HEADER_BYTES;
  if (*n_kv > bytes_left (c) / MIN_KV_BYTES)
    return fail_at (g, c->err, 16, "n_kv %" PRIu64 " is too large: each kv needs at least %d"
        " bytes and %" PRIu64 " are left", *n_kv, MIN_KV_BYTES, bytes_left (c));
  if (*n_tensors > bytes_left (c) / MIN_TENSOR_INFO_BYTES)
    return fail_at (g, c->err, 8, "n_tensors %" PRIu64 " is too large: each tensor info"
        " needs at least %d bytes and %" PRIu64 " are left", *n_tensors,
        MIN_TENSOR_INFO_BYTES, bytes_left (c));
  return G4_OK;
}

static g4_status
parse (g4_gguf * g, g4_error * err)
{
  cursor c = { .g = g, .err = err };
  uint64_t n_tensors = 0, n_kv = 0;
  if (read_header (&c, &n_tensors, &n_kv))
    return G4_STATUS_FORMAT;
  g->kv = calloc (n_kv ? n_kv : 1, sizeof *g->kv);
  g->tensors = calloc (n_tensors ? n_tensors : 1, sizeof *g->tensors);
  g->info_offset = calloc (n_tensors ? n_tensors : 1, sizeof *g->info_offset);
  if (g->kv == NULL || g->tensors == NULL || g->info_offset == NULL
      || !index_init (&g->kv_index, (int64_t) n_kv)
      || !index_init (&g->tensor_index, (int64_t) n_tensors))
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "%s: out of memory for %" PRIu64
        " kvs and %" PRIu64 " tensors", g->name, n_kv, n_tensors);
  for (int64_t i = 0; i < (int64_t) n_kv; i++) {
    g4_status st = read_kv (&c, i);
    g->n_kv = i + 1;            /* so close() frees what this entry allocated */
    if (st)
      return st;
  }
  if (read_alignment (g, err))
    return G4_STATUS_FORMAT;
  for (int64_t i = 0; i < (int64_t) n_tensors; i++) {
    g4_status st = read_tensor_info (&c, i);
    g->n_tensors = i + 1;
    if (st)
      return st;
  }
  g->data_offset = c.pos;
  if (g->n_tensors > 0)
    g->data_offset = (c.pos + g->alignment - 1) / g->alignment * g->alignment;
  return place_tensors (g, err);
}

static g4_status
open_common (g4_gguf * g, const char *path, g4_gguf ** out, g4_error * err)
{
  g->path = strdup (path);
  g4_status st = G4_STATUS_NO_MEMORY;
  if (g->path == NULL)
    g4_set_error (err, st, "%s: out of memory", path);
  else {
    const char *slash = strrchr (g->path, '/');
    g->name = slash ? slash + 1 : g->path;
    st = parse (g, err);
  }
  if (st) {
    g4_gguf_close (g);
    return st;
  }
  *out = g;
  return G4_OK;
}

g4_status
g4_gguf_open (const char *path, g4_gguf ** out, g4_error * err)
{
  *out = NULL;
  g4_gguf *g = calloc (1, sizeof *g);
  if (g == NULL)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "%s: out of memory", path);
  g4_status st = g4_mapped_file_open (path, &g->mf, err);
  if (st) {
    free (g);
    return st;
  }
  g->base = g->mf.data;
  g->size = g->mf.size;
  return open_common (g, path, out, err);
}

g4_status
g4_gguf_open_memory (const void *data, size_t size, const char *name,
    g4_gguf ** out, g4_error * err)
{
  *out = NULL;
  g4_gguf *g = calloc (1, sizeof *g);
  if (g == NULL)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "%s: out of memory", name);
  g->base = data;
  g->size = data ? size : 0;
  return open_common (g, name, out, err);
}

void
g4_gguf_close (g4_gguf * g)
{
  if (g == NULL)
    return;
  for (int64_t i = 0; i < g->n_kv; i++) {
    free (g->kv[i].key);
    free (g->kv[i].strs);
  }
  for (int64_t i = 0; i < g->n_tensors; i++)
    free ((char *) g->tensors[i].name);
  free (g->kv);
  free (g->tensors);
  free (g->info_offset);
  free (g->kv_index.slots);
  free (g->tensor_index.slots);
  free (g->path);
  g4_mapped_file_close (&g->mf);
  free (g);
}

uint32_t
g4_gguf_version (const g4_gguf * g)
{
  return g->version;
}

uint64_t
g4_gguf_alignment (const g4_gguf * g)
{
  return g->alignment;
}

const char *
g4_gguf_path (const g4_gguf * g)
{
  return g->path;
}

/* ---- key/value metadata ---- */

int64_t
g4_gguf_n_kv (const g4_gguf * g)
{
  return g->n_kv;
}

int64_t
g4_gguf_find_key (const g4_gguf * g, const char *key)
{
  return index_find (&g->kv_index, key);
}

static const kv_entry *
kv_at (const g4_gguf * g, int64_t i)
{
  assert (i >= 0 && i < g->n_kv);
  return &g->kv[i];
}

const char *
g4_gguf_key (const g4_gguf * g, int64_t i)
{
  return kv_at (g, i)->key;
}

g4_gguf_type
g4_gguf_kv_type (const g4_gguf * g, int64_t i)
{
  return kv_at (g, i)->type;
}

const void *
g4_gguf_kv_data (const g4_gguf * g, int64_t i)
{
  const kv_entry *kv = kv_at (g, i);
  return kv->type == G4_GGUF_STRING || kv->type == G4_GGUF_ARRAY ? NULL : kv->data;
}

g4_gguf_str
g4_gguf_kv_str (const g4_gguf * g, int64_t i)
{
  const kv_entry *kv = kv_at (g, i);
  if (kv->type != G4_GGUF_STRING)
    return (g4_gguf_str) { NULL, 0 };
  return (g4_gguf_str) { (const char *) kv->data, kv->len };
}

g4_gguf_type
g4_gguf_arr_type (const g4_gguf * g, int64_t i)
{
  const kv_entry *kv = kv_at (g, i);
  return kv->type == G4_GGUF_ARRAY ? kv->arr_type : G4_GGUF_TYPE_COUNT;
}

uint64_t
g4_gguf_arr_n (const g4_gguf * g, int64_t i)
{
  const kv_entry *kv = kv_at (g, i);
  return kv->type == G4_GGUF_ARRAY ? kv->arr_n : 0;
}

const void *
g4_gguf_arr_data (const g4_gguf * g, int64_t i)
{
  const kv_entry *kv = kv_at (g, i);
  if (kv->type != G4_GGUF_ARRAY || kv->arr_type == G4_GGUF_STRING
      || kv->arr_type == G4_GGUF_ARRAY)
    return NULL;
  return kv->data;
}

g4_gguf_str
g4_gguf_arr_str (const g4_gguf * g, int64_t i, uint64_t j)
{
  const kv_entry *kv = kv_at (g, i);
  if (kv->type != G4_GGUF_ARRAY || kv->arr_type != G4_GGUF_STRING || j >= kv->arr_n)
    return (g4_gguf_str) { NULL, 0 };
  return kv->strs[j];
}

const void *
g4_gguf_kv_raw (const g4_gguf * g, int64_t i, size_t * nbytes)
{
  const kv_entry *kv = kv_at (g, i);
  *nbytes = (size_t) kv->raw_len;
  return kv->raw;
}

/* ---- typed getters ---- */

/* The kv of key, or NULL with err set. */
static const kv_entry *
lookup (const g4_gguf * g, const char *key, g4_error * err)
{
  int64_t i = g4_gguf_find_key (g, key);
  if (i < 0) {
    g4_set_error (err, G4_STATUS_FORMAT, "%s: missing key '%s'", g->name, key);
    return NULL;
  }
  return &g->kv[i];
}

static g4_status
wrong_type (const g4_gguf * g, const kv_entry * kv, const char *expected, g4_error * err)
{
  char found[32];
  if (kv->type == G4_GGUF_ARRAY)
    snprintf (found, sizeof found, "array of %s", type_names[kv->arr_type]);
  else
    snprintf (found, sizeof found, "%s", type_names[kv->type]);
  char shown[NAME_SHOWN + 4];
  printable_name (shown, sizeof shown, kv->key, strlen (kv->key));
  return fail_at (g, err, kv->offset, "key '%s' has type %s, expected %s", shown, found,
      expected);
}

/* An integer value of type t as int64; false if t is not an integer type.
 * *fits is false for a uint64 above INT64_MAX, which fits no target type. */
static bool
integer_at (g4_gguf_type t, const uint8_t * p, int64_t * v, bool *fits)
{
  *fits = true;
  switch (t) {
    case G4_GGUF_UINT8: *v = *p; return true;
    case G4_GGUF_INT8: *v = (int8_t) *p; return true;
    case G4_GGUF_UINT16: { uint16_t x; memcpy (&x, p, 2); *v = x; return true; }
    case G4_GGUF_INT16: { int16_t x; memcpy (&x, p, 2); *v = x; return true; }
    case G4_GGUF_UINT32: *v = u32_at (p); return true;
    case G4_GGUF_INT32: *v = (int32_t) u32_at (p); return true;
    case G4_GGUF_INT64: *v = (int64_t) u64_at (p); return true;
    case G4_GGUF_UINT64: {
      uint64_t x = u64_at (p);
      *fits = x <= INT64_MAX;
      *v = (int64_t) (x & INT64_MAX);
      return true;
    }
    default: return false;
  }
}

g4_status
g4_gguf_get_u32 (const g4_gguf * g, const char *key, uint32_t * out, g4_error * err)
{
  const kv_entry *kv = lookup (g, key, err);
  if (kv == NULL)
    return G4_STATUS_FORMAT;
  int64_t v;
  bool fits;
  if (!integer_at (kv->type, kv->data, &v, &fits))
    return wrong_type (g, kv, "an integer (uint32)", err);
  if (!fits || v < 0 || v > UINT32_MAX)
    return fail_at (g, err, kv->offset, "key '%s' (%s) value does not fit in uint32",
        key, type_names[kv->type]);
  *out = (uint32_t) v;
  return G4_OK;
}

g4_status
g4_gguf_get_f32 (const g4_gguf * g, const char *key, float *out, g4_error * err)
{
  const kv_entry *kv = lookup (g, key, err);
  if (kv == NULL)
    return G4_STATUS_FORMAT;
  if (kv->type == G4_GGUF_FLOAT32) {
    memcpy (out, kv->data, sizeof *out);
    return G4_OK;
  }
  if (kv->type == G4_GGUF_FLOAT64) {
    double d;
    memcpy (&d, kv->data, sizeof d);
    *out = (float) d;
    return G4_OK;
  }
  return wrong_type (g, kv, "float32", err);
}

g4_status
g4_gguf_get_bool (const g4_gguf * g, const char *key, bool *out, g4_error * err)
{
  const kv_entry *kv = lookup (g, key, err);
  if (kv == NULL)
    return G4_STATUS_FORMAT;
  if (kv->type != G4_GGUF_BOOL)
    return wrong_type (g, kv, "bool", err);
  *out = *kv->data != 0;
  return G4_OK;
}

g4_status
g4_gguf_get_str (const g4_gguf * g, const char *key, g4_gguf_str * out, g4_error * err)
{
  const kv_entry *kv = lookup (g, key, err);
  if (kv == NULL)
    return G4_STATUS_FORMAT;
  if (kv->type != G4_GGUF_STRING)
    return wrong_type (g, kv, "string", err);
  out->ptr = (const char *) kv->data;
  out->len = kv->len;
  return G4_OK;
}

/* One int32 from an integer or bool element; false if it does not fit. */
static bool
int32_at (g4_gguf_type t, const uint8_t * p, int32_t * out, int64_t * raw)
{
  bool fits = true;
  if (t == G4_GGUF_BOOL)
    *raw = *p != 0;
  else
    integer_at (t, p, raw, &fits);
  if (!fits || *raw < INT32_MIN || *raw > INT32_MAX)
    return false;
  *out = (int32_t) *raw;
  return true;
}

static bool
is_int_or_bool (g4_gguf_type t)
{
  return t != G4_GGUF_FLOAT32 && t != G4_GGUF_FLOAT64 && t != G4_GGUF_STRING
      && t != G4_GGUF_ARRAY;
}

g4_status
g4_gguf_get_i32_array (const g4_gguf * g, const char *key, int32_t * out,
    uint32_t n, g4_error * err)
{
  const kv_entry *kv = lookup (g, key, err);
  if (kv == NULL)
    return G4_STATUS_FORMAT;
  const char *expected = "an integer or bool scalar or array";
  int64_t raw;
  if (kv->type != G4_GGUF_ARRAY) {
    if (!is_int_or_bool (kv->type))
      return wrong_type (g, kv, expected, err);
    int32_t v;
    if (!int32_at (kv->type, kv->data, &v, &raw))
      return fail_at (g, err, kv->offset, "key '%s' (%s) value does not fit in int32",
          key, type_names[kv->type]);
    for (uint32_t j = 0; j < n; j++)
      out[j] = v;
    return G4_OK;
  }
  if (!is_int_or_bool (kv->arr_type))
    return wrong_type (g, kv, expected, err);
  if (kv->arr_n != n)
    return fail_at (g, err, kv->offset, "key '%s' has %" PRIu64 " entries, expected %"
        PRIu32, key, kv->arr_n, n);
  size_t esize = type_sizes[kv->arr_type];
  for (uint32_t j = 0; j < n; j++)
    if (!int32_at (kv->arr_type, kv->data + j * esize, &out[j], &raw))
      return fail_at (g, err, kv->offset, "key '%s' entry %" PRIu32 " (%s) does not fit"
          " in int32", key, j, type_names[kv->arr_type]);
  return G4_OK;
}

/* ---- tensors ---- */

int64_t
g4_gguf_n_tensors (const g4_gguf * g)
{
  return g->n_tensors;
}

const g4_gguf_tensor *
g4_gguf_tensor_at (const g4_gguf * g, int64_t i)
{
  assert (i >= 0 && i < g->n_tensors);
  return &g->tensors[i];
}

const g4_gguf_tensor *
g4_gguf_find_tensor (const g4_gguf * g, const char *name)
{
  int64_t i = index_find (&g->tensor_index, name);
  return i < 0 ? NULL : &g->tensors[i];
}
