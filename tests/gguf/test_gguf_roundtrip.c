/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writes a GGUF with every value type, arrays of every fixed-size type, a
 * string array, nested arrays and tensors of several types, reads it back
 * (from memory, from a file, and relabelled as v2) and compares; then checks
 * the typed getters' conversions and error messages and the writer's own
 * argument checks. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gguf.h"
#include "kernels.h"
#include "test_util.h"

#define ALIGNMENT 64

static const uint8_t v_u8 = 200;
static const int8_t v_i8 = -100;
static const uint16_t v_u16 = 60000;
static const int16_t v_i16 = -30000;
static const uint32_t v_u32 = 4000000000u;
static const int32_t v_i32 = -2000000000;
static const float v_f32 = 1.5f;
static const uint64_t v_u64 = 0xfedcba9876543210u;
static const int64_t v_i64 = -1234567890123456789;
static const double v_f64 = -2.25e300;

static const g4_gguf_type fixed_types[] = {
  G4_GGUF_UINT8, G4_GGUF_INT8, G4_GGUF_UINT16, G4_GGUF_INT16, G4_GGUF_UINT32,
  G4_GGUF_INT32, G4_GGUF_FLOAT32, G4_GGUF_BOOL, G4_GGUF_UINT64, G4_GGUF_INT64,
  G4_GGUF_FLOAT64,
};
#define N_FIXED (sizeof fixed_types / sizeof fixed_types[0])
#define ARR_N 5

static const char *const strs[] = { "", "alpha", "\xe2\x96\x81hello", "a\nb" };

typedef struct {
  const char *name;
  g4_type type;
  uint32_t n_dims;
  int64_t ne[4];
} tensor_spec;

static const tensor_spec tensor_specs[] = {
  { "f32.weight", G4_TYPE_F32, 2, { 7, 3 } },
  { "f16.bias", G4_TYPE_F16, 1, { 5 } },
  { "q4_0.weight", G4_TYPE_Q4_0, 2, { 64, 2 } },
  { "q8_0.weight", G4_TYPE_Q8_0, 3, { 32, 3, 2 } },
  { "q4_k.weight", G4_TYPE_Q4_K, 2, { 256, 2 } },
  { "bf16.weight", G4_TYPE_BF16, 4, { 3, 2, 2, 2 } },
  { "iq2_xxs.weight", (g4_type) 16, 1, { 256 } },       /* exists, unsupported: still readable */
};
#define N_TENSORS (sizeof tensor_specs / sizeof tensor_specs[0])

static uint8_t arr_bytes[N_FIXED][ARR_N * 8];
static uint8_t *tensor_bytes[N_TENSORS];
static size_t tensor_nbytes[N_TENSORS];

static const uint16_t nested_a[] = { 1, 2, 3 };
static const uint16_t nested_b[] = { 4 };

static size_t
spec_nbytes (const tensor_spec * s)
{
  const g4_type_traits *tt = g4_type_traits_get (s->type);
  size_t n = (size_t) (s->ne[0] / tt->block_size) * tt->type_size;
  for (uint32_t d = 1; d < s->n_dims; d++)
    n *= (size_t) s->ne[d];
  return n;
}

static g4_gguf_writer *
build (void)
{
  g4_gguf_writer *w = g4_gguf_writer_new ();
  g4_gguf_writer_set_alignment (w, ALIGNMENT);
  g4_gguf_writer_add_scalar (w, "s.u8", G4_GGUF_UINT8, &v_u8);
  g4_gguf_writer_add_scalar (w, "s.i8", G4_GGUF_INT8, &v_i8);
  g4_gguf_writer_add_scalar (w, "s.u16", G4_GGUF_UINT16, &v_u16);
  g4_gguf_writer_add_scalar (w, "s.i16", G4_GGUF_INT16, &v_i16);
  g4_gguf_writer_add_u32 (w, "s.u32", v_u32);
  g4_gguf_writer_add_i32 (w, "s.i32", v_i32);
  g4_gguf_writer_add_f32 (w, "s.f32", v_f32);
  g4_gguf_writer_add_bool (w, "s.bool", true);
  g4_gguf_writer_add_str (w, "s.str", "gemma4");
  g4_gguf_writer_add_scalar (w, "s.u64", G4_GGUF_UINT64, &v_u64);
  g4_gguf_writer_add_scalar (w, "s.i64", G4_GGUF_INT64, &v_i64);
  g4_gguf_writer_add_scalar (w, "s.f64", G4_GGUF_FLOAT64, &v_f64);
  for (size_t k = 0; k < N_FIXED; k++) {
    char key[32];
    snprintf (key, sizeof key, "a.%s", g4_gguf_type_name (fixed_types[k]));
    size_t es = g4_gguf_type_size (fixed_types[k]);
    for (size_t b = 0; b < ARR_N * es; b++)
      arr_bytes[k][b] = (uint8_t) (fixed_types[k] == G4_GGUF_BOOL ? b & 1 : b * 37 + k);
    g4_gguf_writer_add_array (w, key, fixed_types[k], arr_bytes[k], ARR_N);
  }
  g4_gguf_writer_add_array (w, "a.empty", G4_GGUF_FLOAT32, NULL, 0);
  g4_gguf_writer_add_str_array (w, "a.str", strs, 4);
  const void *nested[] = { nested_a, nested_b, NULL };
  const uint64_t counts[] = { 3, 1, 0 };
  g4_gguf_writer_add_array_of_arrays (w, "a.nested", G4_GGUF_UINT16, nested, counts, 3);
  for (size_t i = 0; i < N_TENSORS; i++) {
    const tensor_spec *s = &tensor_specs[i];
    tensor_nbytes[i] = spec_nbytes (s);
    tensor_bytes[i] = malloc (tensor_nbytes[i]);
    for (size_t b = 0; b < tensor_nbytes[i]; b++)
      tensor_bytes[i][b] = (uint8_t) (b * 131 + i * 7);
    g4_gguf_writer_add_tensor (w, s->name, s->type, s->n_dims, s->ne, tensor_bytes[i],
        tensor_nbytes[i]);
  }
  return w;
}

static bool
str_is (g4_gguf_str s, const char *want)
{
  return s.ptr != NULL && s.len == strlen (want) && memcmp (s.ptr, want, s.len) == 0;
}

#define SCALAR_IS(key, var) \
  do { \
    int64_t k_ = g4_gguf_find_key (g, key); \
    CHECK (k_ >= 0 && g4_gguf_kv_data (g, k_) != NULL \
        && memcmp (g4_gguf_kv_data (g, k_), &var, sizeof var) == 0); \
  } while (0)

static void
compare (const g4_gguf * g)
{
  CHECK (g4_gguf_alignment (g) == ALIGNMENT);
  CHECK (g4_gguf_n_kv (g) == 1 + 12 + (int64_t) N_FIXED + 3);
  CHECK (g4_gguf_n_tensors (g) == (int64_t) N_TENSORS);
  SCALAR_IS ("s.u8", v_u8);
  SCALAR_IS ("s.i8", v_i8);
  SCALAR_IS ("s.u16", v_u16);
  SCALAR_IS ("s.i16", v_i16);
  SCALAR_IS ("s.u32", v_u32);
  SCALAR_IS ("s.i32", v_i32);
  SCALAR_IS ("s.f32", v_f32);
  SCALAR_IS ("s.u64", v_u64);
  SCALAR_IS ("s.i64", v_i64);
  SCALAR_IS ("s.f64", v_f64);
  int64_t k = g4_gguf_find_key (g, "s.bool");
  CHECK (k >= 0 && g4_gguf_kv_type (g, k) == G4_GGUF_BOOL
      && *(const uint8_t *) g4_gguf_kv_data (g, k) == 1);
  k = g4_gguf_find_key (g, "s.str");
  CHECK (k >= 0 && str_is (g4_gguf_kv_str (g, k), "gemma4"));
  CHECK (k >= 0 && g4_gguf_kv_data (g, k) == NULL);
  for (size_t t = 0; t < N_FIXED; t++) {
    char key[32];
    snprintf (key, sizeof key, "a.%s", g4_gguf_type_name (fixed_types[t]));
    k = g4_gguf_find_key (g, key);
    CHECK (k >= 0);
    if (k < 0)
      continue;
    CHECK (g4_gguf_kv_type (g, k) == G4_GGUF_ARRAY);
    CHECK (g4_gguf_arr_type (g, k) == fixed_types[t]);
    CHECK (g4_gguf_arr_n (g, k) == ARR_N);
    CHECK (memcmp (g4_gguf_arr_data (g, k), arr_bytes[t],
            ARR_N * g4_gguf_type_size (fixed_types[t])) == 0);
  }
  k = g4_gguf_find_key (g, "a.empty");
  CHECK (k >= 0 && g4_gguf_arr_n (g, k) == 0 && g4_gguf_arr_type (g, k) == G4_GGUF_FLOAT32);
  k = g4_gguf_find_key (g, "a.str");
  CHECK (k >= 0 && g4_gguf_arr_type (g, k) == G4_GGUF_STRING && g4_gguf_arr_n (g, k) == 4);
  for (uint64_t j = 0; k >= 0 && j < 4; j++)
    CHECK (g4_gguf_arr_str (g, k, j).len == strlen (strs[j])
        && memcmp (g4_gguf_arr_str (g, k, j).ptr, strs[j], strlen (strs[j])) == 0);
  CHECK (k >= 0 && g4_gguf_arr_str (g, k, 4).ptr == NULL);
  k = g4_gguf_find_key (g, "a.nested");
  CHECK (k >= 0 && g4_gguf_arr_type (g, k) == G4_GGUF_ARRAY && g4_gguf_arr_n (g, k) == 3);
  CHECK (k >= 0 && g4_gguf_arr_data (g, k) == NULL);
  CHECK (g4_gguf_find_key (g, "absent") == -1);

  for (size_t i = 0; i < N_TENSORS; i++) {
    const tensor_spec *s = &tensor_specs[i];
    const g4_gguf_tensor *t = g4_gguf_find_tensor (g, s->name);
    CHECK (t != NULL && t == g4_gguf_tensor_at (g, (int64_t) i));
    if (t == NULL)
      continue;
    CHECK (strcmp (t->name, s->name) == 0);
    CHECK (t->type == s->type && t->n_dims == s->n_dims);
    for (uint32_t d = 0; d < 4; d++)
      CHECK (t->ne[d] == (d < s->n_dims ? s->ne[d] : 1));
    CHECK (t->nbytes == tensor_nbytes[i]);
    CHECK (t->offset % ALIGNMENT == 0);
    CHECK (memcmp (t->data, tensor_bytes[i], tensor_nbytes[i]) == 0);
  }
  CHECK (g4_gguf_find_tensor (g, "absent") == NULL);
}

static bool
msg_has (const g4_error * e, const char *a, const char *b, const char *c)
{
  bool ok = strstr (e->message, a) && (!b || strstr (e->message, b))
      && (!c || strstr (e->message, c));
  if (!ok)
    fprintf (stderr, "unexpected message: %s\n", e->message);
  return ok;
}

static void
check_getters (const g4_gguf * g)
{
  g4_error e = { 0 };
  uint32_t u;
  CHECK (g4_gguf_get_u32 (g, "s.u8", &u, &e) == G4_OK && u == v_u8);
  CHECK (g4_gguf_get_u32 (g, "s.u32", &u, &e) == G4_OK && u == v_u32);
  CHECK (g4_gguf_get_u32 (g, "s.i32", &u, &e) == G4_STATUS_FORMAT);
  CHECK (msg_has (&e, "mem.gguf: ", "key 's.i32'", "does not fit in uint32"));
  e = (g4_error) { 0 };
  CHECK (g4_gguf_get_u32 (g, "s.u64", &u, &e) == G4_STATUS_FORMAT);
  e = (g4_error) { 0 };
  CHECK (g4_gguf_get_u32 (g, "s.str", &u, &e) == G4_STATUS_FORMAT);
  CHECK (msg_has (&e, "key 's.str' has type string", "uint32", "at offset"));
  e = (g4_error) { 0 };
  CHECK (g4_gguf_get_u32 (g, "nope", &u, &e) == G4_STATUS_FORMAT);
  CHECK (msg_has (&e, "missing key 'nope'", NULL, NULL));

  float f;
  e = (g4_error) { 0 };
  CHECK (g4_gguf_get_f32 (g, "s.f32", &f, &e) == G4_OK && f == v_f32);
  CHECK (g4_gguf_get_f32 (g, "s.f64", &f, &e) == G4_OK && f == (float) v_f64);
  CHECK (g4_gguf_get_f32 (g, "s.u8", &f, &e) == G4_STATUS_FORMAT);
  CHECK (msg_has (&e, "key 's.u8' has type uint8", "expected float32", NULL));

  bool b = false;
  e = (g4_error) { 0 };
  CHECK (g4_gguf_get_bool (g, "s.bool", &b, &e) == G4_OK && b);
  CHECK (g4_gguf_get_bool (g, "a.bool", &b, &e) == G4_STATUS_FORMAT);
  CHECK (msg_has (&e, "has type array of bool", "expected bool", NULL));

  g4_gguf_str s;
  e = (g4_error) { 0 };
  CHECK (g4_gguf_get_str (g, "s.str", &s, &e) == G4_OK && str_is (s, "gemma4"));
  CHECK (g4_gguf_get_str (g, "a.str", &s, &e) == G4_STATUS_FORMAT);
  CHECK (msg_has (&e, "key 'a.str' has type array of string", "expected string", NULL));

  int32_t v[ARR_N];
  e = (g4_error) { 0 };
  CHECK (g4_gguf_get_i32_array (g, "a.bool", v, ARR_N, &e) == G4_OK);
  CHECK (v[0] == 0 && v[1] == 1 && v[4] == 0);
  CHECK (g4_gguf_get_i32_array (g, "a.int16", v, ARR_N, &e) == G4_OK);
  CHECK (g4_gguf_get_i32_array (g, "s.i8", v, 3, &e) == G4_OK);
  CHECK (v[0] == v_i8 && v[2] == v_i8);
  CHECK (g4_gguf_get_i32_array (g, "a.int16", v, 4, &e) == G4_STATUS_FORMAT);
  CHECK (msg_has (&e, "key 'a.int16' has 5 entries, expected 4", NULL, NULL));
  e = (g4_error) { 0 };
  CHECK (g4_gguf_get_i32_array (g, "a.float32", v, ARR_N, &e) == G4_STATUS_FORMAT);
  CHECK (msg_has (&e, "has type array of float32", "expected an integer", NULL));
  e = (g4_error) { 0 };
  CHECK (g4_gguf_get_i32_array (g, "a.uint64", v, ARR_N, &e) == G4_STATUS_FORMAT);
  CHECK (msg_has (&e, "does not fit in int32", NULL, NULL));
}

static void
check_writer_errors (void)
{
  static const int64_t ne[] = { 33 };
  static const float data[33];
  g4_gguf_writer *w = g4_gguf_writer_new ();
  g4_gguf_writer_add_u32 (w, "k", 1);
  g4_gguf_writer_add_str (w, "k", "again");
  g4_gguf_writer_add_u32 (w, "later", 2);
  g4_error e = { 0 };
  uint8_t *bytes;
  size_t size;
  CHECK (g4_gguf_writer_to_memory (w, &bytes, &size, &e) == G4_STATUS_INVALID_ARG);
  CHECK (msg_has (&e, "duplicate key 'k'", NULL, NULL));
  g4_gguf_writer_free (w);

  w = g4_gguf_writer_new ();
  g4_gguf_writer_add_tensor (w, "q", G4_TYPE_Q8_0, 1, ne, data, sizeof data);
  e = (g4_error) { 0 };
  CHECK (g4_gguf_writer_write (w, "/nonexistent/x.gguf", &e) == G4_STATUS_INVALID_ARG);
  CHECK (msg_has (&e, "tensor 'q'", "Q8_0", NULL));
  g4_gguf_writer_free (w);

  w = g4_gguf_writer_new ();
  g4_gguf_writer_set_alignment (w, 48);
  e = (g4_error) { 0 };
  CHECK (g4_gguf_writer_to_memory (w, &bytes, &size, &e) == G4_STATUS_INVALID_ARG);
  CHECK (msg_has (&e, "power of two", NULL, NULL));
  g4_gguf_writer_free (w);

  w = g4_gguf_writer_new ();
  e = (g4_error) { 0 };
  CHECK (g4_gguf_writer_write (w, "/nonexistent/x.gguf", &e) == G4_STATUS_IO);
  g4_gguf_writer_free (w);
}

int
main (int argc, char **argv)
{
  const char *tmpdir = argc > 1 ? argv[1] : "/tmp";
  g4_gguf_writer *w = build ();
  g4_error err = { 0 };
  uint8_t *bytes;
  size_t size;
  if (g4_gguf_writer_to_memory (w, &bytes, &size, &err)) {
    fprintf (stderr, "writer failed: %s\n", err.message);
    return 1;
  }
  g4_gguf *g;
  if (g4_gguf_open_memory (bytes, size, "mem.gguf", &g, &err)) {
    fprintf (stderr, "reading back failed: %s\n", err.message);
    return 1;
  }
  compare (g);
  check_getters (g);
  g4_gguf_close (g);

  char path[4096];
  snprintf (path, sizeof path, "%s/g4-roundtrip-%d.gguf", tmpdir, (int) getpid ());
  CHECK (g4_gguf_writer_write (w, path, &err) == G4_OK);
  if (g4_gguf_open (path, &g, &err) == G4_OK) {
    compare (g);
    CHECK (g4_gguf_version (g) == 3);
    CHECK (strcmp (g4_gguf_path (g), path) == 0);
    g4_gguf_close (g);
  } else {
    CHECK (0, "reading the file failed: %s", err.message);
  }
  unlink (path);

  /* v2 has the same little-endian layout; only the version differs */
  bytes[4] = 2;
  if (g4_gguf_open_memory (bytes, size, "mem.gguf", &g, &err) == G4_OK) {
    CHECK (g4_gguf_version (g) == 2);
    compare (g);
    g4_gguf_close (g);
  } else {
    CHECK (0, "reading v2 failed: %s", err.message);
  }
  check_writer_errors ();
  printf ("round trip of %zu bytes (%d kv, %zu tensors): %d checks, %d failed\n", size,
      (int) (1 + 12 + N_FIXED + 3), N_TENSORS, test_checks, test_failures);
  free (bytes);
  for (size_t i = 0; i < N_TENSORS; i++)
    free (tensor_bytes[i]);
  g4_gguf_writer_free (w);
  return test_exit_status ();
}
