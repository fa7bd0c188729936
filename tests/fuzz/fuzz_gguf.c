/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the GGUF reader. Any input must either be rejected with
 * a message or open; an opened file is walked completely (every kv, array
 * element, string and tensor byte range, every typed getter), then copied
 * through the writer and read again, which must give the same values and
 * tensor bytes. Violations abort so the fuzzer (or the replay test) reports them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "type_traits.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define MAX_I32 64

static volatile uint8_t sink;

static void
require (bool cond, const char *what)
{
  if (!cond) {
    fprintf (stderr, "fuzz_gguf: invariant broken: %s\n", what);
    abort ();
  }
}

static void
touch (const void *p, uint64_t n)
{
  const uint8_t *b = p;
  uint8_t acc = 0;
  for (uint64_t k = 0; k < n; k++)
    acc ^= b[k];
  sink ^= acc;
}

static void
check_status (g4_status st, const g4_error * err)
{
  require (st == G4_OK || (st == G4_STATUS_FORMAT && err->message[0] != '\0'),
      "getter status is OK or FORMAT with a message");
}

static void
call_getters (const g4_gguf * g, int64_t i)
{
  const char *key = g4_gguf_key (g, i);
  g4_error err = { 0 };
  uint32_t u;
  float f;
  bool b;
  g4_gguf_str s;
  int32_t v[MAX_I32];
  check_status (g4_gguf_get_u32 (g, key, &u, &err), &err);
  err = (g4_error) { 0 };
  check_status (g4_gguf_get_f32 (g, key, &f, &err), &err);
  err = (g4_error) { 0 };
  check_status (g4_gguf_get_bool (g, key, &b, &err), &err);
  err = (g4_error) { 0 };
  g4_status st = g4_gguf_get_str (g, key, &s, &err);
  check_status (st, &err);
  if (st == G4_OK)
    touch (s.ptr, s.len);
  uint64_t n = g4_gguf_arr_n (g, i);
  err = (g4_error) { 0 };
  check_status (g4_gguf_get_i32_array (g, key, v, n && n <= MAX_I32 ? (uint32_t) n : 4, &err),
      &err);
}

static void
walk_kv (const g4_gguf * g, int64_t i)
{
  const char *key = g4_gguf_key (g, i);
  require (key[0] != '\0', "keys are not empty");
  require (g4_gguf_find_key (g, key) == i, "find_key returns the kv's own index");
  g4_gguf_type t = g4_gguf_kv_type (g, i);
  require ((unsigned) t < G4_GGUF_TYPE_COUNT, "kv type in range");
  size_t raw_n;
  const void *raw = g4_gguf_kv_raw (g, i, &raw_n);
  touch (raw, raw_n);
  if (t == G4_GGUF_STRING) {
    g4_gguf_str s = g4_gguf_kv_str (g, i);
    touch (s.ptr, s.len);
  } else if (t == G4_GGUF_ARRAY) {
    g4_gguf_type et = g4_gguf_arr_type (g, i);
    uint64_t n = g4_gguf_arr_n (g, i);
    if (et == G4_GGUF_STRING) {
      for (uint64_t j = 0; j < n; j++) {
        g4_gguf_str s = g4_gguf_arr_str (g, i, j);
        require (s.ptr != NULL, "string array elements exist");
        touch (s.ptr, s.len);
      }
    } else if (et != G4_GGUF_ARRAY) {
      touch (g4_gguf_arr_data (g, i), n * g4_gguf_type_size (et));
    }
  } else {
    touch (g4_gguf_kv_data (g, i), g4_gguf_type_size (t));
  }
  call_getters (g, i);
}

static void
walk_tensor (const g4_gguf * g, int64_t i, const uint8_t * data, size_t size)
{
  const g4_gguf_tensor *t = g4_gguf_tensor_at (g, i);
  require (g4_gguf_find_tensor (g, t->name) == t, "find_tensor returns the tensor");
  const g4_type_traits *tt = g4_type_traits_get (t->type);
  require (tt != NULL && t->n_dims <= G4_GGUF_MAX_DIMS, "tensor type and n_dims valid");
  uint64_t nbytes = (uint64_t) (t->ne[0] / tt->block_size) * tt->type_size;
  for (int d = 0; d < G4_GGUF_MAX_DIMS; d++) {
    require (t->ne[d] >= 1, "dims >= 1");
    if (d > 0)
      nbytes *= (uint64_t) t->ne[d];
  }
  require (nbytes == t->nbytes, "nbytes matches the shape");
  const uint8_t *p = t->data;
  require (p >= data && t->nbytes <= (uint64_t) (data + size - p), "tensor inside the input");
  touch (p, t->nbytes);
}

/* Copies everything through the writer and checks the copy reads back the same. */
static void
round_trip (const g4_gguf * g)
{
  g4_gguf_writer *w = g4_gguf_writer_new ();
  require (w != NULL, "writer allocated");
  for (int64_t i = 0; i < g4_gguf_n_kv (g); i++)
    g4_gguf_writer_copy_kv (w, g, i);
  for (int64_t i = 0; i < g4_gguf_n_tensors (g); i++) {
    const g4_gguf_tensor *t = g4_gguf_tensor_at (g, i);
    g4_gguf_writer_add_tensor (w, t->name, t->type, t->n_dims, t->ne, t->data,
        (size_t) t->nbytes);
  }
  uint8_t *bytes;
  size_t size;
  g4_error err = { 0 };
  require (g4_gguf_writer_to_memory (w, &bytes, &size, &err) == G4_OK, "writer accepts a valid file");
  g4_gguf *h;
  if (g4_gguf_open_memory (bytes, size, "copy.gguf", &h, &err) != G4_OK) {
    fprintf (stderr, "fuzz_gguf: copy rejected: %s\n", err.message);
    abort ();
  }
  require (g4_gguf_n_kv (h) == g4_gguf_n_kv (g), "same kv count");
  require (g4_gguf_n_tensors (h) == g4_gguf_n_tensors (g), "same tensor count");
  require (g4_gguf_alignment (h) == g4_gguf_alignment (g), "same alignment");
  for (int64_t i = 0; i < g4_gguf_n_kv (g); i++) {
    size_t na, nb;
    const void *a = g4_gguf_kv_raw (g, i, &na);
    const void *b = g4_gguf_kv_raw (h, i, &nb);
    require (strcmp (g4_gguf_key (g, i), g4_gguf_key (h, i)) == 0, "same key");
    require (g4_gguf_kv_type (g, i) == g4_gguf_kv_type (h, i), "same kv type");
    require (na == nb && memcmp (a, b, na) == 0, "same kv value");
  }
  for (int64_t i = 0; i < g4_gguf_n_tensors (g); i++) {
    const g4_gguf_tensor *a = g4_gguf_tensor_at (g, i), *b = g4_gguf_tensor_at (h, i);
    require (strcmp (a->name, b->name) == 0 && a->type == b->type && a->n_dims == b->n_dims
        && memcmp (a->ne, b->ne, sizeof a->ne) == 0 && a->nbytes == b->nbytes,
        "same tensor info");
    require (memcmp (a->data, b->data, (size_t) a->nbytes) == 0, "same tensor bytes");
  }
  g4_gguf_close (h);
  free (bytes);
  g4_gguf_writer_free (w);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  g4_error err = { 0 };
  g4_gguf *g;
  g4_status st = g4_gguf_open_memory (data, size, "fuzz.gguf", &g, &err);
  if (st != G4_OK) {
    require (g == NULL, "no handle on failure");
    require (st == err.code && (st == G4_STATUS_FORMAT || st == G4_STATUS_NO_MEMORY),
        "failure is FORMAT (or NO_MEMORY) and recorded in err");
    require (strncmp (err.message, "fuzz.gguf: ", 11) == 0, "message names the file");
    return 0;
  }
  require (g4_gguf_version (g) == 2 || g4_gguf_version (g) == 3, "version 2 or 3");
  uint64_t a = g4_gguf_alignment (g);
  require (a != 0 && (a & (a - 1)) == 0, "alignment is a power of two");
  for (int64_t i = 0; i < g4_gguf_n_kv (g); i++)
    walk_kv (g, i);
  for (int64_t i = 0; i < g4_gguf_n_tensors (g); i++)
    walk_tensor (g, i, data, size);
  round_trip (g);
  g4_gguf_close (g);
  return 0;
}
