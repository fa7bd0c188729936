/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GGUF v3 writer for the project's tools and test fixtures: key/values are
 * serialized as they are added, tensors are copied and laid out at write time
 * with each one starting on the alignment. Mistakes made while adding are kept
 * (the first one wins) and returned by g4_gguf_writer_write(). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gguf.h"
#include "type_traits.h"

#define DEFAULT_ALIGNMENT 32

typedef struct {
  uint8_t *p;
  size_t len, cap;
} byte_buf;

typedef struct {
  char *name;
  g4_type type;
  uint32_t n_dims;
  int64_t ne[G4_GGUF_MAX_DIMS];
  uint8_t *data;
  size_t nbytes;
} pending_tensor;

struct g4_gguf_writer {
  uint32_t alignment;
  byte_buf kv;                  /* the serialized kv section */
  char **keys;
  uint64_t n_kv, cap_kv;
  pending_tensor *tensors;
  uint64_t n_tensors, cap_tensors;
  g4_error err;
};

g4_gguf_writer *
g4_gguf_writer_new (void)
{
  g4_gguf_writer *w = calloc (1, sizeof *w);
  if (w)
    w->alignment = DEFAULT_ALIGNMENT;
  return w;
}

void
g4_gguf_writer_free (g4_gguf_writer * w)
{
  if (w == NULL)
    return;
  for (uint64_t i = 0; i < w->n_kv; i++)
    free (w->keys[i]);
  for (uint64_t i = 0; i < w->n_tensors; i++) {
    free (w->tensors[i].name);
    free (w->tensors[i].data);
  }
  free (w->keys);
  free (w->tensors);
  free (w->kv.p);
  free (w);
}

static bool
grow (g4_gguf_writer * w, void **p, uint64_t *cap, uint64_t need, size_t elem)
{
  if (need <= *cap)
    return true;
  uint64_t n = *cap ? *cap : 16;
  while (n < need)
    n *= 2;
  void *q = realloc (*p, (size_t) n * elem);
  if (q == NULL) {
    g4_set_error (&w->err, G4_STATUS_NO_MEMORY, "gguf writer: out of memory");
    return false;
  }
  *p = q;
  *cap = n;
  return true;
}

static void
put (g4_gguf_writer * w, byte_buf * b, const void *src, size_t n)
{
  uint64_t cap = b->cap;
  if (!grow (w, (void **) &b->p, &cap, (uint64_t) b->len + n, 1))
    return;
  b->cap = (size_t) cap;
  if (n)
    memcpy (b->p + b->len, src, n);
  b->len += n;
}

static void
put_u32 (g4_gguf_writer * w, byte_buf * b, uint32_t v)
{
  put (w, b, &v, sizeof v);
}

static void
put_u64 (g4_gguf_writer * w, byte_buf * b, uint64_t v)
{
  put (w, b, &v, sizeof v);
}

static void
put_str (g4_gguf_writer * w, byte_buf * b, const char *s)
{
  size_t n = strlen (s);
  put_u64 (w, b, n);
  put (w, b, s, n);
}

/* Records a new key and writes its name and value type; false (with the
 * writer's error set) for an empty or repeated key. */
static bool
begin_kv (g4_gguf_writer * w, const char *key, g4_gguf_type t)
{
  if (w->err.code)
    return false;
  if (key == NULL || key[0] == '\0') {
    g4_set_error (&w->err, G4_STATUS_INVALID_ARG, "gguf writer: empty key");
    return false;
  }
  for (uint64_t i = 0; i < w->n_kv; i++)
    if (strcmp (w->keys[i], key) == 0) {
      g4_set_error (&w->err, G4_STATUS_INVALID_ARG, "gguf writer: duplicate key '%s'", key);
      return false;
    }
  char *copy = strdup (key);
  if (copy == NULL || !grow (w, (void **) &w->keys, &w->cap_kv, w->n_kv + 1, sizeof *w->keys)) {
    free (copy);
    g4_set_error (&w->err, G4_STATUS_NO_MEMORY, "gguf writer: out of memory");
    return false;
  }
  w->keys[w->n_kv++] = copy;
  put_str (w, &w->kv, key);
  put_u32 (w, &w->kv, t);
  return true;
}

static bool
check_fixed_type (g4_gguf_writer * w, const char *key, g4_gguf_type t)
{
  if (g4_gguf_type_size (t) != 0)
    return true;
  g4_set_error (&w->err, G4_STATUS_INVALID_ARG,
      "gguf writer: key '%s': type %s is not a fixed-size type", key, g4_gguf_type_name (t));
  return false;
}

void
g4_gguf_writer_add_scalar (g4_gguf_writer * w, const char *key, g4_gguf_type t,
    const void *v)
{
  if (!check_fixed_type (w, key, t))
    return;
  if (strcmp (key, "general.alignment") == 0) {
    uint32_t a = 0;
    if (t == G4_GGUF_UINT32)
      memcpy (&a, v, sizeof a);
    if (a == 0 || (a & (a - 1)) != 0) {
      g4_set_error (&w->err, G4_STATUS_INVALID_ARG,
          "gguf writer: general.alignment must be a uint32 power of two");
      return;
    }
    w->alignment = a;
  }
  if (begin_kv (w, key, t))
    put (w, &w->kv, v, g4_gguf_type_size (t));
}

void
g4_gguf_writer_set_alignment (g4_gguf_writer * w, uint32_t alignment)
{
  g4_gguf_writer_add_scalar (w, "general.alignment", G4_GGUF_UINT32, &alignment);
}

void
g4_gguf_writer_add_u32 (g4_gguf_writer * w, const char *key, uint32_t v)
{
  g4_gguf_writer_add_scalar (w, key, G4_GGUF_UINT32, &v);
}

void
g4_gguf_writer_add_i32 (g4_gguf_writer * w, const char *key, int32_t v)
{
  g4_gguf_writer_add_scalar (w, key, G4_GGUF_INT32, &v);
}

void
g4_gguf_writer_add_f32 (g4_gguf_writer * w, const char *key, float v)
{
  g4_gguf_writer_add_scalar (w, key, G4_GGUF_FLOAT32, &v);
}

void
g4_gguf_writer_add_bool (g4_gguf_writer * w, const char *key, bool v)
{
  uint8_t b = v;
  g4_gguf_writer_add_scalar (w, key, G4_GGUF_BOOL, &b);
}

void
g4_gguf_writer_add_str (g4_gguf_writer * w, const char *key, const char *v)
{
  if (begin_kv (w, key, G4_GGUF_STRING))
    put_str (w, &w->kv, v);
}

static void
put_array (g4_gguf_writer * w, g4_gguf_type t, const void *data, uint64_t n)
{
  put_u32 (w, &w->kv, t);
  put_u64 (w, &w->kv, n);
  put (w, &w->kv, data, (size_t) n * g4_gguf_type_size (t));
}

void
g4_gguf_writer_add_array (g4_gguf_writer * w, const char *key, g4_gguf_type t,
    const void *data, uint64_t n)
{
  if (check_fixed_type (w, key, t) && begin_kv (w, key, G4_GGUF_ARRAY))
    put_array (w, t, data, n);
}

void
g4_gguf_writer_add_str_array (g4_gguf_writer * w, const char *key,
    const char *const *strs, uint64_t n)
{
  if (!begin_kv (w, key, G4_GGUF_ARRAY))
    return;
  put_u32 (w, &w->kv, G4_GGUF_STRING);
  put_u64 (w, &w->kv, n);
  for (uint64_t j = 0; j < n; j++)
    put_str (w, &w->kv, strs[j]);
}

void
g4_gguf_writer_add_array_of_arrays (g4_gguf_writer * w, const char *key,
    g4_gguf_type t, const void *const *data, const uint64_t * counts, uint64_t n)
{
  if (!check_fixed_type (w, key, t) || !begin_kv (w, key, G4_GGUF_ARRAY))
    return;
  put_u32 (w, &w->kv, G4_GGUF_ARRAY);
  put_u64 (w, &w->kv, n);
  for (uint64_t k = 0; k < n; k++)
    put_array (w, t, data[k], counts[k]);
}

void
g4_gguf_writer_copy_kv (g4_gguf_writer * w, const g4_gguf * g, int64_t i)
{
  const char *key = g4_gguf_key (g, i);
  g4_gguf_type t = g4_gguf_kv_type (g, i);
  if (strcmp (key, "general.alignment") == 0 && t == G4_GGUF_UINT32) {
    g4_gguf_writer_add_scalar (w, key, t, g4_gguf_kv_data (g, i));
    return;
  }
  size_t n;
  const void *raw = g4_gguf_kv_raw (g, i, &n);
  if (begin_kv (w, key, t))
    put (w, &w->kv, raw, n);
}

void
g4_gguf_writer_add_tensor (g4_gguf_writer * w, const char *name, g4_type type,
    uint32_t n_dims, const int64_t * ne, const void *data, size_t nbytes)
{
  if (w->err.code)
    return;
  if (name == NULL || name[0] == '\0') {
    g4_set_error (&w->err, G4_STATUS_INVALID_ARG, "gguf writer: empty tensor name");
    return;
  }
  for (uint64_t i = 0; i < w->n_tensors; i++)
    if (strcmp (w->tensors[i].name, name) == 0) {
      g4_set_error (&w->err, G4_STATUS_INVALID_ARG, "gguf writer: duplicate tensor '%s'", name);
      return;
    }
  const g4_type_traits *tt = g4_type_traits_get (type);
  if (tt == NULL || n_dims > G4_GGUF_MAX_DIMS) {
    g4_set_error (&w->err, G4_STATUS_INVALID_ARG,
        "gguf writer: tensor '%s': type id %d or n_dims %" PRIu32 " invalid", name, type, n_dims);
    return;
  }
  pending_tensor t = { .type = type, .n_dims = n_dims, .ne = { 1, 1, 1, 1 } };
  uint64_t expect = 1;
  bool bad = false;
  for (uint32_t d = 0; d < n_dims; d++) {
    t.ne[d] = ne[d];
    bad |= ne[d] <= 0;
  }
  bad |= t.ne[0] % tt->block_size != 0;
  if (!bad) {
    expect = (uint64_t) (t.ne[0] / tt->block_size) * tt->type_size;
    for (int d = 1; d < G4_GGUF_MAX_DIMS; d++)
      bad |= __builtin_mul_overflow (expect, (uint64_t) t.ne[d], &expect);
  }
  if (bad || expect != nbytes) {
    g4_set_error (&w->err, G4_STATUS_INVALID_ARG,
        "gguf writer: tensor '%s': %zu bytes given, shape [%" PRId64 ", %" PRId64 ", %"
        PRId64 ", %" PRId64 "] of %s needs %" PRIu64, name, nbytes, t.ne[0], t.ne[1],
        t.ne[2], t.ne[3], tt->name, bad ? 0 : expect);
    return;
  }
  t.name = strdup (name);
  t.data = malloc (nbytes ? nbytes : 1);
  if (t.name == NULL || t.data == NULL
      || !grow (w, (void **) &w->tensors, &w->cap_tensors, w->n_tensors + 1,
          sizeof *w->tensors)) {
    free (t.name);
    free (t.data);
    g4_set_error (&w->err, G4_STATUS_NO_MEMORY, "gguf writer: out of memory");
    return;
  }
  memcpy (t.data, data, nbytes);
  t.nbytes = nbytes;
  w->tensors[w->n_tensors++] = t;
}

static void
pad (g4_gguf_writer * w, byte_buf * b, uint32_t alignment)
{
  static const uint8_t zeros[64];
  while (b->len % alignment != 0) {
    size_t n = alignment - b->len % alignment;
    put (w, b, zeros, n < sizeof zeros ? n : sizeof zeros);
  }
}

g4_status
g4_gguf_writer_to_memory (const g4_gguf_writer * w, uint8_t ** out, size_t * size,
    g4_error * err)
{
  *out = NULL;
  *size = 0;
  if (w->err.code)
    return g4_set_error (err, w->err.code, "%s", w->err.message);
  /* The output buffer's own failures go to a scratch writer error, since w is const. */
  g4_gguf_writer scratch = { .alignment = w->alignment };
  byte_buf b = { 0 };
  put (&scratch, &b, "GGUF", 4);
  put_u32 (&scratch, &b, 3);
  put_u64 (&scratch, &b, w->n_tensors);
  put_u64 (&scratch, &b, w->n_kv);
  put (&scratch, &b, w->kv.p, w->kv.len);
  uint64_t offset = 0;
  for (uint64_t i = 0; i < w->n_tensors; i++) {
    const pending_tensor *t = &w->tensors[i];
    put_str (&scratch, &b, t->name);
    put_u32 (&scratch, &b, t->n_dims);
    for (uint32_t d = 0; d < t->n_dims; d++)
      put_u64 (&scratch, &b, (uint64_t) t->ne[d]);
    put_u32 (&scratch, &b, t->type);
    put_u64 (&scratch, &b, offset);
    offset = (offset + t->nbytes + w->alignment - 1) / w->alignment * w->alignment;
  }
  for (uint64_t i = 0; i < w->n_tensors; i++) {
    pad (&scratch, &b, w->alignment);
    put (&scratch, &b, w->tensors[i].data, w->tensors[i].nbytes);
  }
  if (w->n_tensors > 0)
    pad (&scratch, &b, w->alignment);
  if (scratch.err.code) {
    free (b.p);
    return g4_set_error (err, scratch.err.code, "%s", scratch.err.message);
  }
  *out = b.p;
  *size = b.len;
  return G4_OK;
}

g4_status
g4_gguf_writer_write (const g4_gguf_writer * w, const char *path, g4_error * err)
{
  uint8_t *bytes;
  size_t size;
  g4_status st = g4_gguf_writer_to_memory (w, &bytes, &size, err);
  if (st)
    return st;
  FILE *f = fopen (path, "wb");
  if (f == NULL) {
    free (bytes);
    return g4_set_error (err, G4_STATUS_IO, "%s: cannot create: %s", path, strerror (errno));
  }
  bool ok = fwrite (bytes, 1, size, f) == size;
  if (fclose (f) != 0)
    ok = false;
  free (bytes);
  if (!ok)
    return g4_set_error (err, G4_STATUS_IO, "%s: write failed: %s", path, strerror (errno));
  return G4_OK;
}
