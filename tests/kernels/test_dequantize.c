/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g4_dequantize_row against ggml: for each type, tests/data/quant/TYPE.q holds
 * 8 rows of 512 quantized values (rows 0-5 quantized by ggml from seeded
 * random floats, rows 6-7 random block bytes) and TYPE.f32 ggml's to_float of
 * them; the floats must match bit for bit (NaN only as NaN). Also checks the
 * type traits and g4_fp32_to_fp16 against ggml_fp32_to_fp16 (fp16_round.bin:
 * pairs of u32 float bits, u32 half bits). Usage: test_dequantize DATA_DIR */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "test_util.h"

#define N_ROW 8
#define N_COL 512
#define N_VAL (N_ROW * N_COL)

static uint32_t
f32_bits (float f)
{
  uint32_t u;
  memcpy (&u, &f, 4);
  return u;
}

/* Count of values that differ; NaN equals any NaN. */
static int
count_mismatches (const float *got, const float *want, int64_t n,
    int64_t *first)
{
  int bad = 0;
  for (int64_t i = 0; i < n; i++) {
    bool same = (isnan (got[i]) && isnan (want[i])) ||
        f32_bits (got[i]) == f32_bits (want[i]);
    if (!same && bad++ == 0)
      *first = i;
  }
  return bad;
}

/* Dequantizes TYPE.q row by row and in one call over all rows, both of which
 * must equal TYPE.f32. Returns the reference floats for reuse (caller frees). */
static float *
check_type (const char *dir, g4_type type)
{
  const g4_type_traits *tt = g4_type_traits_get (type);
  char name[64];

  size_t row_bytes = g4_row_size (type, N_COL);
  snprintf (name, sizeof name, "%s.q", tt->name);
  uint8_t *q = test_read_fixture (dir, name, row_bytes * N_ROW);
  snprintf (name, sizeof name, "%s.f32", tt->name);
  float *want = test_read_fixture (dir, name, N_VAL * sizeof (float));
  float *got = malloc (N_VAL * sizeof (float));
  if (!q || !want) {
    free (q);
    free (got);
    free (want);
    return NULL;
  }

  int64_t first = 0;
  for (int r = 0; r < N_ROW; r++)
    g4_dequantize_row (type, q + r * row_bytes, got + r * N_COL, N_COL);
  int bad_rows = count_mismatches (got, want, N_VAL, &first);
  CHECK (bad_rows == 0, "%s by rows: %d of %d values differ, first [%lld] "
      "got %a expected %a", tt->name, bad_rows, N_VAL, (long long) first,
      got[first], want[first]);

  memset (got, 0, N_VAL * sizeof (float));
  g4_dequantize_row (type, q, got, N_VAL);
  int bad_all = count_mismatches (got, want, N_VAL, &first);
  CHECK (bad_all == 0, "%s in one call: %d of %d values differ, first [%lld] "
      "got %a expected %a", tt->name, bad_all, N_VAL, (long long) first,
      got[first], want[first]);

  if (bad_rows == 0 && bad_all == 0)
    printf ("%s: %d values bit-exact\n", tt->name, N_VAL);
  free (q);
  free (got);
  return want;
}

/* F32 "dequantization" is a copy; NaN payloads and signed zeros must survive. */
static void
check_f32 (const float *src)
{
  float *got = malloc (N_VAL * sizeof (float));
  g4_dequantize_row (G4_TYPE_F32, src, got, N_VAL);
  CHECK (memcmp (got, src, N_VAL * sizeof (float)) == 0, "F32 copy differs");
  if (memcmp (got, src, N_VAL * sizeof (float)) == 0)
    printf ("F32: %d values bit-exact\n", N_VAL);
  free (got);
}

/* Block geometry as ggml defines it (ggml.c type_traits). */
static void
check_traits (void)
{
  static const struct {
    g4_type type;
    const char *name;
    int64_t block_size;
    size_t type_size;
  } expect[] = {
    {G4_TYPE_F32, "F32", 1, 4}, {G4_TYPE_F16, "F16", 1, 2},
    {G4_TYPE_BF16, "BF16", 1, 2}, {G4_TYPE_Q8_0, "Q8_0", 32, 34},
    {G4_TYPE_Q4_0, "Q4_0", 32, 18}, {G4_TYPE_Q4_1, "Q4_1", 32, 20},
    {G4_TYPE_Q5_0, "Q5_0", 32, 22}, {G4_TYPE_Q5_1, "Q5_1", 32, 24},
    {G4_TYPE_Q2_K, "Q2_K", 256, 84}, {G4_TYPE_Q3_K, "Q3_K", 256, 110},
    {G4_TYPE_Q4_K, "Q4_K", 256, 144}, {G4_TYPE_Q5_K, "Q5_K", 256, 176},
    {G4_TYPE_Q6_K, "Q6_K", 256, 210}, {G4_TYPE_IQ4_NL, "IQ4_NL", 32, 18},
    {G4_TYPE_IQ4_XS, "IQ4_XS", 256, 136},
  };
  int n_ok = 0;
  for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
    const g4_type_traits *tt = g4_type_traits_get (expect[i].type);
    if (!tt) {
      CHECK (0, "no traits for %s", expect[i].name);
      continue;
    }
    size_t row = (size_t) (1024 / expect[i].block_size) * expect[i].type_size;
    bool ok = strcmp (tt->name, expect[i].name) == 0 &&
        tt->block_size == expect[i].block_size &&
        tt->type_size == expect[i].type_size && g4_kernels_supports (expect[i].type) &&
        g4_row_size (expect[i].type, 1024) == row;
    CHECK (ok, "%s traits: name %s block %lld bytes %zu supported %d row %zu, "
        "expected block %lld bytes %zu row %zu", expect[i].name, tt->name,
        (long long) tt->block_size, tt->type_size, g4_kernels_supports (expect[i].type),
        g4_row_size (expect[i].type, 1024), (long long) expect[i].block_size,
        expect[i].type_size, row);
    n_ok += ok;
  }
  /* activation-only, removed and unknown ids */
  CHECK (g4_type_traits_get (G4_TYPE_Q8_K)
      && !g4_kernels_supports (G4_TYPE_Q8_K), "Q8_K must be known "
      "but unsupported");
  CHECK (g4_type_traits_get (4) == NULL, "removed type 4 (Q4_2) has traits");
  CHECK (g4_type_traits_get (G4_TYPE_COUNT) == NULL, "id G4_TYPE_COUNT has traits");
  CHECK (g4_type_traits_get (0xffffffffu) == NULL, "id 0xffffffff has traits");
  CHECK (g4_row_size ((g4_type) 4, 1024) == 0, "row size of removed type 4 "
      "not 0");
  printf ("traits: %d of %zu types match ggml\n", n_ok,
      sizeof expect / sizeof expect[0]);
}

static bool
half_is_nan (uint16_t h)
{
  return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
}

/* g4_fp32_to_fp16 against ggml_fp32_to_fp16 on ties, subnormals, overflow
 * and specials; then every non-NaN half must survive half -> float -> half. */
static void
check_fp16_rounding (const char *dir)
{
  enum { N_PAIR = 2048 };
  uint32_t *pairs = test_read_fixture (dir, "fp16_round.bin", N_PAIR * 8);
  if (!pairs)
    return;
  int bad = 0;
  for (int i = 0; i < N_PAIR; i++) {
    float f;
    memcpy (&f, &pairs[2 * i], 4);
    uint16_t want = (uint16_t) pairs[2 * i + 1];
    uint16_t got = g4_fp32_to_fp16 (f);
    bool ok = isnan (f) ? half_is_nan (got) && half_is_nan (want) : got == want;
    if (!ok && bad++ < 5)
      CHECK (0, "fp32_to_fp16(%a = 0x%08x): 0x%04x, expected 0x%04x", f,
          pairs[2 * i], got, want);
  }
  CHECK (bad == 0, "fp32_to_fp16: %d of %d values differ", bad, N_PAIR);
  if (bad == 0)
    printf ("fp32_to_fp16: %d values match ggml\n", N_PAIR);
  free (pairs);

  int bad_trip = 0;
  for (uint32_t h = 0; h < 0x10000; h++) {
    if (half_is_nan ((uint16_t) h))
      continue;
    if (g4_fp32_to_fp16 (g4_fp16_to_fp32 ((uint16_t) h)) != h && bad_trip++ < 5)
      CHECK (0, "half 0x%04x does not round-trip", h);
  }
  CHECK (bad_trip == 0, "%d halves do not round-trip", bad_trip);
  if (bad_trip == 0)
    printf ("fp16 round trip: all 63490 non-NaN halves exact\n");
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 1, "DATA_DIR");
  const char *dir = argv[1];
  static const g4_type types[] = {
    G4_TYPE_F16, G4_TYPE_BF16, G4_TYPE_Q8_0, G4_TYPE_Q4_0, G4_TYPE_Q4_1,
    G4_TYPE_Q5_0, G4_TYPE_Q5_1, G4_TYPE_Q2_K, G4_TYPE_Q3_K, G4_TYPE_Q4_K,
    G4_TYPE_Q5_K, G4_TYPE_Q6_K, G4_TYPE_IQ4_NL, G4_TYPE_IQ4_XS,
  };

  check_traits ();
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    float *ref = check_type (dir, types[i]);
    if (ref && types[i] == G4_TYPE_F16)
      check_f32 (ref);
    free (ref);
  }
  check_fp16_rounding (dir);
  return test_exit_status ();
}
