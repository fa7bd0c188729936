/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shared test helpers of test_util.h. Failures print to stdout, like the
 * lines tests print about what they measured, so that they stay in order in
 * the test log. */
#include "test_util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "quant_blocks.h"

int test_checks;
int test_failures;

/* ---- checks ----------------------------------------------------------------- */

void
test_fail (const char *file, int line, const char *cond)
{
  test_failures++;
  printf ("FAIL %s:%d: %s\n", file, line, cond);
}

void
test_fail_detail (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  printf ("  ");
  vprintf (fmt, ap);
  printf ("\n");
  va_end (ap);
}

int
test_exit_status (void)
{
  if (test_failures == 0)
    return 0;
  printf ("%d check(s) failed\n", test_failures);
  return 1;
}

void
test_usage (int argc, char **argv, int n_args, const char *args)
{
  if (argc == n_args + 1)
    return;
  fprintf (stderr, "usage: %s %s\n", argv[0], args);
  exit (2);
}

double
test_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

/* ---- files ------------------------------------------------------------------ */

void *
test_read_file (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    return NULL;
  char *buf = NULL;
  long size;
  if (fseek (f, 0, SEEK_END) == 0 && (size = ftell (f)) >= 0 && fseek (f, 0, SEEK_SET) == 0
      && (buf = malloc ((size_t) size + 1)) != NULL
      && fread (buf, 1, (size_t) size, f) == (size_t) size) {
    buf[size] = '\0';
    if (len)
      *len = (size_t) size;
  } else {
    free (buf);
    buf = NULL;
  }
  fclose (f);
  return buf;
}

void *
test_read_fixture (const char *dir, const char *name, size_t size)
{
  char path[1024];
  snprintf (path, sizeof path, "%s/%s", dir, name);
  size_t got = 0;
  void *buf = test_read_file (path, &got);
  CHECK (buf != NULL, "cannot read %s", path);
  CHECK (buf == NULL || got == size, "%s: %zu bytes, expected %zu", path, got, size);
  if (buf != NULL && got != size) {
    free (buf);
    buf = NULL;
  }
  return buf;
}

float *
test_read_f32 (const char *path, size_t *n)
{
  size_t len;
  float *v = test_read_file (path, &len);
  if (v != NULL && len % sizeof (float) != 0) {
    free (v);
    return NULL;
  }
  *n = v ? len / sizeof (float) : 0;
  return v;
}

bool
test_write_file (const char *path, const void *data, size_t size)
{
  FILE *f = fopen (path, "wb");
  if (f == NULL)
    return false;
  bool ok = fwrite (data, 1, size, f) == size;
  return fclose (f) == 0 && ok;
}

char *
test_temp_file (const char *stem)
{
  const char *dir = getenv ("TMPDIR") && getenv ("TMPDIR")[0] ? getenv ("TMPDIR") : "/tmp";
  size_t size = strlen (dir) + strlen (stem) + sizeof "/g4--XXXXXX";
  char *path = malloc (size);
  snprintf (path, size, "%s/g4-%s-XXXXXX", dir, stem);
  int fd = mkstemp (path);
  if (fd < 0) {
    free (path);
    return NULL;
  }
  close (fd);
  return path;
}

/* ---- seeded random data ----------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

void
test_rng_seed (uint64_t seed)
{
  rng_state = seed;
}

uint32_t
test_rng_u32 (void)
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t) ((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

float
test_rng_float (float lo, float hi)
{
  return lo + (hi - lo) * (float) (test_rng_u32 () >> 8) * 0x1p-24f;
}

/* Where a block keeps its fp16 scale d, and whether the half right after it
 * is a second scale (m or dmin). */
static size_t
block_scale_offset (g4_type t, bool *has_min)
{
  *has_min = false;
  switch (t) {
    case G4_TYPE_Q4_1:
    case G4_TYPE_Q5_1:
    case G4_TYPE_Q4_K:
    case G4_TYPE_Q5_K:
      *has_min = true;
      return 0;
    case G4_TYPE_Q2_K:
      *has_min = true;
      return offsetof (block_q2_K, d);
    case G4_TYPE_Q3_K:
      return offsetof (block_q3_K, d);
    case G4_TYPE_Q6_K:
      return offsetof (block_q6_K, d);
    default:
      return 0;
  }
}

void
test_random_row (g4_type t, void *dst, int64_t n)
{
  unsigned char *bytes = dst;
  if (t == G4_TYPE_F32) {
    for (int64_t i = 0; i < n; i++) {
      float v = test_rng_float (-1.0f, 1.0f);
      memcpy (bytes + 4 * i, &v, 4);
    }
    return;
  }
  if (t == G4_TYPE_F16 || t == G4_TYPE_BF16) {
    for (int64_t i = 0; i < n; i++) {
      float v = test_rng_float (-1.0f, 1.0f);
      uint32_t bits;
      memcpy (&bits, &v, 4);
      uint16_t h = t == G4_TYPE_F16 ? g4_fp32_to_fp16 (v) : (uint16_t) (bits >> 16);
      memcpy (bytes + 2 * i, &h, 2);
    }
    return;
  }
  const g4_type_traits *tt = g4_type_traits_get (t);
  for (size_t i = 0; i < g4_row_size (t, n); i++)
    bytes[i] = (unsigned char) test_rng_u32 ();
  bool has_min;
  const size_t d_off = block_scale_offset (t, &has_min);
  for (int64_t b = 0; b < n / tt->block_size; b++) {
    for (int k = 0; k < (has_min ? 2 : 1); k++) {
      uint16_t h = g4_fp32_to_fp16 (test_rng_float (0.001f, 0.02f));
      memcpy (bytes + (size_t) b * tt->type_size + d_off + 2 * k, &h, 2);
    }
  }
}

/* ---- float comparison ------------------------------------------------------- */

test_diff
test_compare_f32 (const float *got, const float *want, size_t n)
{
  test_diff r = { 0 };
  double sum_abs = 0.0, sum_d2 = 0.0, mean = 0.0, var = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double d = fabs ((double) got[i] - want[i]);
    sum_abs += d;
    sum_d2 += d * d;
    mean += want[i];
    if (!(d <= r.max_abs) && !isnan (r.max_abs)) {
      r.max_abs = d;
      r.worst = i;
    }
  }
  mean /= (double) n;
  for (size_t i = 0; i < n; i++)
    var += (want[i] - mean) * (want[i] - mean);
  r.mean_abs = sum_abs / (double) n;
  r.rel_rms = sqrt (sum_d2 / var);
  return r;
}

size_t
test_argmax_f32 (const float *x, size_t n)
{
  size_t best = 0;
  for (size_t i = 1; i < n; i++)
    if (x[i] > x[best])
      best = i;
  return best;
}

/* ---- hand-built files ------------------------------------------------------- */

void
test_bytes_put (test_bytes *b, const void *data, size_t n)
{
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2;
    b->p = realloc (b->p, b->cap);
    if (b->p == NULL) {
      fprintf (stderr, "test_bytes: out of memory\n");
      exit (1);
    }
  }
  memcpy (b->p + b->len, data, n);
  b->len += n;
}

void
test_bytes_u32 (test_bytes *b, uint32_t v)
{
  test_bytes_put (b, &v, 4);
}

void
test_bytes_u64 (test_bytes *b, uint64_t v)
{
  test_bytes_put (b, &v, 8);
}

void
test_bytes_gguf_str (test_bytes *b, const char *s)
{
  test_bytes_u64 (b, strlen (s));
  test_bytes_put (b, s, strlen (s));
}

/* ---- rewriting a GGUF file -------------------------------------------------- */

char *
test_gguf_rewrite (const char *src, test_rewrite_fn fn, void *user)
{
  g4_error err = { 0 };
  g4_gguf *g;
  if (g4_gguf_open (src, &g, &err)) {
    printf ("cannot open %s: %s\n", src, err.message);
    exit (1);
  }
  g4_gguf_writer *w = g4_gguf_writer_new ();
  for (int64_t i = 0; i < g4_gguf_n_kv (g); i++)
    if (fn (w, g, g4_gguf_key (g, i), false, user) == TEST_KEEP)
      g4_gguf_writer_copy_kv (w, g, i);
  fn (w, g, NULL, false, user);
  for (int64_t i = 0; i < g4_gguf_n_tensors (g); i++) {
    const g4_gguf_tensor *t = g4_gguf_tensor_at (g, i);
    if (fn (w, g, t->name, true, user) == TEST_KEEP)
      g4_gguf_writer_add_tensor (w, t->name, t->type, t->n_dims, t->ne, t->data, t->nbytes);
  }
  char *path = test_temp_file ("rewrite");
  if (path == NULL || g4_gguf_writer_write (w, path, &err)) {
    printf ("cannot write a copy of %s: %s\n", src, path ? err.message : "no temporary file");
    exit (1);
  }
  g4_gguf_writer_free (w);
  g4_gguf_close (g);
  return path;
}

bool
test_collect_answer (const char *t, int n, bool thought, void *user)
{
  test_answer *k = user;
  if (!thought && k->len + (size_t) n < sizeof k->text) {
    memcpy (k->text + k->len, t, (size_t) n);
    k->len += (size_t) n;
    k->text[k->len] = '\0';
  }
  return true;
}

g4_model *
test_load_model (const char *path)
{
  g4_model *m = NULL;
  g4_error err = { 0 };
  if (g4_model_load (path, NULL, &m, &err)) {
    printf ("load %s: %s\n", path, err.message);
    return NULL;
  }
  return m;
}
