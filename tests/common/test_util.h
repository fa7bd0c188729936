/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the test programs share instead of each writing it again: a failure
 * counter with CHECK, whole-file reading and writing, temporary files, a
 * seeded generator of floats and of random quantized rows, float array
 * comparison, byte buffers for hand-built GGUF images, and copying a GGUF
 * file key by key and tensor by tensor. Tests link it through test_util_dep. */
#ifndef G4_TEST_UTIL_H
#define G4_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "gguf.h"
#include "kernels.h"

/* ---- checks ----------------------------------------------------------------- */

extern int test_checks;         /* CHECKs evaluated */
extern int test_failures;       /* CHECKs failed, plus failures counted by hand */

/* CHECK (cond) or CHECK (cond, printf-format, ...): counts the check; on
 * failure prints "FAIL file:line: cond" and the message, if any, below it. */
#define CHECK(cond, ...) \
  do { \
    test_checks++; \
    if (!(cond)) { \
      test_fail (__FILE__, __LINE__, #cond); \
      __VA_OPT__ (test_fail_detail (__VA_ARGS__);) \
    } \
  } while (0)

void test_fail (const char *file, int line, const char *cond);
void test_fail_detail (const char *fmt, ...) G4_PRINTF (1, 2);
/* main's exit status: 0, or 1 after printing how many checks failed. */
int test_exit_status (void);
/* Unless the program got exactly n_args arguments: prints
 * "usage: PROGRAM ARGS" and exits with status 2. */
void test_usage (int argc, char **argv, int n_args, const char *args);
/* Monotonic clock in milliseconds. */
double test_now_ms (void);

/* ---- files ------------------------------------------------------------------ */

/* The whole file with a NUL after it (not counted in *len; len may be NULL);
 * NULL if it cannot be read. */
void *test_read_file (const char *path, size_t *len);
/* DIR/NAME, which must hold exactly size bytes: otherwise a failed check
 * naming the file and NULL. */
void *test_read_fixture (const char *dir, const char *name, size_t size);
/* A file of raw floats: *n of them; NULL if unreadable or not whole floats. */
float *test_read_f32 (const char *path, size_t *n);
bool test_write_file (const char *path, const void *data, size_t size);
/* Creates an empty $TMPDIR/g4-STEM-XXXXXX (TMPDIR defaults to /tmp); the
 * caller unlinks and frees the path. NULL if it cannot be created. */
char *test_temp_file (const char *stem);

/* ---- seeded random data ----------------------------------------------------- */

/* xorshift64*: the same sequence on every run for a given seed (one stream
 * per program). */
void test_rng_seed (uint64_t seed);
uint32_t test_rng_u32 (void);
/* uniform in [lo, hi) */
float test_rng_float (float lo, float hi);
/* One row of n values of weight type t (n a multiple of its block size):
 * uniform [-1, 1) for F32/F16/BF16; for quantized types random bytes, so that
 * every quant bit pattern occurs, then each block's fp16 scales (d, and m or
 * dmin where the type has one) set to finite values in [0.001, 0.02). */
void test_random_row (g4_type t, void *dst, int64_t n);

/* ---- float comparison ------------------------------------------------------- */

typedef struct {
  double max_abs;               /* max |got - want|, NaN if any difference is NaN */
  size_t worst;                 /* index of max_abs */
  double mean_abs;              /* mean |got - want| */
  double rel_rms;               /* rms (got - want) / std (want) */
} test_diff;

test_diff test_compare_f32 (const float *got, const float *want, size_t n);
/* Index of the first largest value. */
size_t test_argmax_f32 (const float *x, size_t n);

/* ---- generation ------------------------------------------------------------- */

/* The answer text of a generation (thoughts left out), cut at its size. */
typedef struct {
  char text[8192];
  size_t len;
} test_answer;

/* g4_model_load of path with its default options; NULL (the error printed)
 * when it fails. */
g4_model *test_load_model (const char *path);

/* g4_piece_fn appending to the test_answer user. */
bool test_collect_answer (const char *text, int len, bool in_thought, void *user);

/* ---- hand-built files ------------------------------------------------------- */

/* Bytes appended at the end, growing as needed; free p when done. */
typedef struct {
  uint8_t *p;
  size_t len, cap;
} test_bytes;

void test_bytes_put (test_bytes *b, const void *data, size_t n);
void test_bytes_u32 (test_bytes *b, uint32_t v);    /* little-endian hosts only, as GGUF */
void test_bytes_u64 (test_bytes *b, uint64_t v);
/* A GGUF string: u64 length, then the bytes without a NUL. */
void test_bytes_gguf_str (test_bytes *b, const char *s);

/* ---- rewriting a GGUF file -------------------------------------------------- */

typedef enum { TEST_KEEP, TEST_DROP, TEST_REPLACE } test_rewrite_action;
/* What happens to a key (is_tensor false) or a tensor while copying; REPLACE
 * means the callback added its own version to w. Called once more with name
 * NULL between the keys and the tensors: the chance to add new keys. */
typedef test_rewrite_action (*test_rewrite_fn) (g4_gguf_writer *w, const g4_gguf *g,
    const char *name, bool is_tensor, void *user);

/* Copies the GGUF file src through fn into a new temporary file (see
 * test_temp_file) and returns its path. Exits with status 1 when src cannot
 * be opened or the copy cannot be written: nothing can be tested then. */
char *test_gguf_rewrite (const char *src, test_rewrite_fn fn, void *user);

#endif
