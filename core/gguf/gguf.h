/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GGUF v2/v3 reader (bounded, validating; tensor data memory-mapped, never
 * copied) and writer (for the project's own tools and test fixtures).
 * Strings inside the file are views (pointer + length) into the mapping and
 * are NOT NUL terminated, except key names and tensor names, which the reader
 * copies once into NUL-terminated storage. */
#ifndef G4_GGUF_H
#define G4_GGUF_H

#include "gemma4.h"

typedef enum {
  G4_GGUF_UINT8 = 0,
  G4_GGUF_INT8 = 1,
  G4_GGUF_UINT16 = 2,
  G4_GGUF_INT16 = 3,
  G4_GGUF_UINT32 = 4,
  G4_GGUF_INT32 = 5,
  G4_GGUF_FLOAT32 = 6,
  G4_GGUF_BOOL = 7,
  G4_GGUF_STRING = 8,
  G4_GGUF_ARRAY = 9,
  G4_GGUF_UINT64 = 10,
  G4_GGUF_INT64 = 11,
  G4_GGUF_FLOAT64 = 12,
  G4_GGUF_TYPE_COUNT
} g4_gguf_type;

typedef struct {
  const char *ptr;              /* not NUL terminated */
  uint64_t len;
} g4_gguf_str;

#define G4_GGUF_MAX_DIMS 4

typedef struct {
  const char *name;             /* NUL terminated */
  uint32_t n_dims;
  int64_t ne[G4_GGUF_MAX_DIMS]; /* ne[0] fastest; unused dims are 1 */
  g4_type type;
  uint64_t offset;              /* relative to the start of the data section */
  uint64_t nbytes;
  const void *data;             /* inside the mapping */
} g4_gguf_tensor;

typedef struct g4_gguf g4_gguf;

/* Maps and validates a file. On failure *out is NULL and err names the file,
 * the problem and the byte offset. */
g4_status g4_gguf_open (const char *path, g4_gguf ** out, g4_error * err);
/* Same over a caller-owned buffer that must outlive the handle (fuzzing, tests).
 * name is used in messages. */
g4_status g4_gguf_open_memory (const void *data, size_t size, const char *name,
    g4_gguf ** out, g4_error * err);
void g4_gguf_close (g4_gguf * g);

/* "uint32", "string", ...; "unknown" for an id out of range. */
const char *g4_gguf_type_name (g4_gguf_type t);
/* Bytes of one value of a fixed-size type; 0 for STRING, ARRAY and unknown ids. */
size_t g4_gguf_type_size (g4_gguf_type t);

uint32_t g4_gguf_version (const g4_gguf * g);
uint64_t g4_gguf_alignment (const g4_gguf * g);
const char *g4_gguf_path (const g4_gguf * g);

/* ---- key/value metadata ---- */
int64_t g4_gguf_n_kv (const g4_gguf * g);
int64_t g4_gguf_find_key (const g4_gguf * g, const char *key);   /* -1 if absent */
const char *g4_gguf_key (const g4_gguf * g, int64_t i);
g4_gguf_type g4_gguf_kv_type (const g4_gguf * g, int64_t i);
/* Scalar value of a non-array, non-string kv (points into the mapping; may be unaligned:
 * read it with memcpy or the getters below). */
const void *g4_gguf_kv_data (const g4_gguf * g, int64_t i);
g4_gguf_str g4_gguf_kv_str (const g4_gguf * g, int64_t i);
/* Arrays: element type, count, raw data of a fixed-size element array (unaligned),
 * j-th string of a string array. Nested arrays: g4_gguf_arr_type() is ARRAY and
 * their contents are validated but not exposed element-wise. On a kv that is not
 * an array (or not a string array, or j out of range) these give
 * G4_GGUF_TYPE_COUNT, 0, NULL and {NULL, 0}. */
g4_gguf_type g4_gguf_arr_type (const g4_gguf * g, int64_t i);
uint64_t g4_gguf_arr_n (const g4_gguf * g, int64_t i);
const void *g4_gguf_arr_data (const g4_gguf * g, int64_t i);
g4_gguf_str g4_gguf_arr_str (const g4_gguf * g, int64_t i, uint64_t j);
/* The value of kv i exactly as encoded in the file (after its type id), for
 * copying it verbatim; *nbytes receives its length. */
const void *g4_gguf_kv_raw (const g4_gguf * g, int64_t i, size_t * nbytes);

/* Typed getters by key. Integers convert between any integer kv types when the
 * value fits; floats accept FLOAT32/FLOAT64. A missing key gives
 * G4_STATUS_FORMAT with "missing key"; a wrong type gives G4_STATUS_FORMAT naming
 * the key, the type found and the type expected. */
g4_status g4_gguf_get_u32 (const g4_gguf * g, const char *key, uint32_t * out, g4_error * err);
g4_status g4_gguf_get_f32 (const g4_gguf * g, const char *key, float *out, g4_error * err);
g4_status g4_gguf_get_bool (const g4_gguf * g, const char *key, bool *out, g4_error * err);
g4_status g4_gguf_get_str (const g4_gguf * g, const char *key, g4_gguf_str * out, g4_error * err);
/* Reads an integer-or-bool scalar or array of exactly n entries into out (a scalar
 * is broadcast). */
g4_status g4_gguf_get_i32_array (const g4_gguf * g, const char *key, int32_t * out,
    uint32_t n, g4_error * err);

/* ---- tensors ---- */
int64_t g4_gguf_n_tensors (const g4_gguf * g);
const g4_gguf_tensor *g4_gguf_tensor_at (const g4_gguf * g, int64_t i);
const g4_gguf_tensor *g4_gguf_find_tensor (const g4_gguf * g, const char *name);

/* ---- writer ---- */
typedef struct g4_gguf_writer g4_gguf_writer;

g4_gguf_writer *g4_gguf_writer_new (void);
void g4_gguf_writer_free (g4_gguf_writer * w);
void g4_gguf_writer_set_alignment (g4_gguf_writer * w, uint32_t alignment);
void g4_gguf_writer_add_u32 (g4_gguf_writer * w, const char *key, uint32_t v);
void g4_gguf_writer_add_i32 (g4_gguf_writer * w, const char *key, int32_t v);
void g4_gguf_writer_add_f32 (g4_gguf_writer * w, const char *key, float v);
void g4_gguf_writer_add_bool (g4_gguf_writer * w, const char *key, bool v);
void g4_gguf_writer_add_str (g4_gguf_writer * w, const char *key, const char *v);
/* Scalar of any fixed-size type t (not STRING/ARRAY); v points to its value. */
void g4_gguf_writer_add_scalar (g4_gguf_writer * w, const char *key, g4_gguf_type t,
    const void *v);
/* Array of fixed-size elements of type t (not STRING/ARRAY). */
void g4_gguf_writer_add_array (g4_gguf_writer * w, const char *key, g4_gguf_type t,
    const void *data, uint64_t n);
void g4_gguf_writer_add_str_array (g4_gguf_writer * w, const char *key,
    const char *const *strs, uint64_t n);
/* Array of n arrays whose elements have fixed-size type t; array k holds
 * counts[k] elements at data[k]. */
void g4_gguf_writer_add_array_of_arrays (g4_gguf_writer * w, const char *key,
    g4_gguf_type t, const void *const *data, const uint64_t * counts, uint64_t n);
/* Copies kv i of a file being read, whatever its type (nested arrays included). */
void g4_gguf_writer_copy_kv (g4_gguf_writer * w, const g4_gguf * g, int64_t i);
/* data is copied; nbytes must match the type and dims. */
void g4_gguf_writer_add_tensor (g4_gguf_writer * w, const char *name, g4_type type,
    uint32_t n_dims, const int64_t * ne, const void *data, size_t nbytes);
/* Errors made while adding (a duplicate key or tensor, nbytes not matching the
 * shape, out of memory) are kept and reported here. */
g4_status g4_gguf_writer_write (const g4_gguf_writer * w, const char *path, g4_error * err);
/* The same bytes in a malloc'ed buffer the caller frees. */
g4_status g4_gguf_writer_to_memory (const g4_gguf_writer * w, uint8_t ** out,
    size_t * size, g4_error * err);

#endif
