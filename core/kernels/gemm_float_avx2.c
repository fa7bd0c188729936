/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AVX2 + FMA GEMM for float weights (F32, F16, BF16) against f32
 * activations, the AVX-512 one's scheme (gemm_float_avx512.c) on 8-float
 * vectors: a panel of PANEL rows x KC columns converted to f32 and
 * transposed (column i is two 8-float vectors) in L1/L2, and a register
 * tile of 16 rows x NT activation rows over it: per column two vector loads,
 * NT broadcasts and 2 NT FMAs into 12 of the 16 registers. Each accumulator
 * lane is one output's FMA chain over i in order, carried through y from one
 * column block to the next: gemm_float_rows_scalar's result bit for bit. */
#include <assert.h>
#include <immintrin.h>
#include <stdbool.h>

#include "vec.h"

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))

#define PANEL GEMM_PANEL_AVX2   /* weight rows per panel: two vectors */
#define NT 6                    /* activation rows per register tile */
#define KC 512                  /* columns per panel: 32 KiB packed */

static_assert (PANEL == 16, "the tile holds two 8-float vectors of rows");

/* 8 weights of a row from element i on, as f32 (exact conversions) */
ALWAYS_INLINE __m256
load_8 (g4_type t, const char *row, int64_t i)
{
  if (t == G4_TYPE_F32)
    return _mm256_loadu_ps ((const float *) row + i);
  const __m128i h = _mm_loadu_si128 ((const __m128i *) ((const uint16_t *) row + i));
  if (t == G4_TYPE_F16)
    return _mm256_cvtph_ps (h);
  return _mm256_castsi256_ps (_mm256_slli_epi32 (_mm256_cvtepu16_epi32 (h), 16));
}

ALWAYS_INLINE float
weight_at (g4_type t, const char *row, int64_t i)
{
  if (t == G4_TYPE_F32)
    return ((const float *) row)[i];
  const uint16_t h = ((const uint16_t *) row)[i];
  return t == G4_TYPE_F16 ? g4_fp16_to_fp32 (h) : g4_bf16_to_fp32 (h);
}

/* buf[k * PANEL + r] = W[r0 + r][k0 + k] for r < nr, k < kc; rows nr and
 * above are zeros (their outputs are never stored). */
ALWAYS_INLINE void
pack_panel (g4_type t, const g4_matrix *w, int64_t r0, int nr, int64_t k0, int kc,
    float *restrict buf)
{
  for (int r = 0; r < PANEL; r++) {
    const char *row = (const char *) w->data + (r0 + r) * w->row_bytes;
    int k = 0;
    if (r >= nr) {
      for (; k < kc; k++)
        buf[k * PANEL + r] = 0.0f;
      continue;
    }
    for (; k + 8 <= kc; k += 8) {
      float v[8];
      _mm256_storeu_ps (v, load_8 (t, row, k0 + k));
      for (int j = 0; j < 8; j++)
        buf[(k + j) * PANEL + r] = v[j];
    }
    for (; k < kc; k++)
      buf[k * PANEL + r] = weight_at (t, row, k0 + k);
  }
}

/* The NT-row register tile (nt <= NT rows, a constant once inlined) over kc
 * packed columns; acc: y holds the chains of the columns before. m0, m1:
 * the panel's rows that exist, per vector. */
ALWAYS_INLINE void
tile (int nt, int kc, const float *restrict pw, const float *restrict x, int64_t ldx,
    float *restrict y, int64_t ldy, __m256i m0, __m256i m1, bool acc)
{
  __m256 c0[NT], c1[NT];
  const float *xr[NT];
#pragma GCC unroll 6
  for (int t = 0; t < nt; t++) {
    xr[t] = x + t * ldx;
    c0[t] = acc ? _mm256_maskload_ps (y + t * ldy, m0) : _mm256_setzero_ps ();
    c1[t] = acc ? _mm256_maskload_ps (y + t * ldy + 8, m1) : _mm256_setzero_ps ();
  }
  for (int k = 0; k < kc; k++) {
    const __m256 w0 = _mm256_load_ps (pw + k * PANEL);
    const __m256 w1 = _mm256_load_ps (pw + k * PANEL + 8);
#pragma GCC unroll 6
    for (int t = 0; t < nt; t++) {
      const __m256 b = _mm256_broadcast_ss (xr[t] + k);
      c0[t] = _mm256_fmadd_ps (w0, b, c0[t]);
      c1[t] = _mm256_fmadd_ps (w1, b, c1[t]);
    }
  }
#pragma GCC unroll 6
  for (int t = 0; t < nt; t++) {
    _mm256_maskstore_ps (y + t * ldy, m0, c0[t]);
    _mm256_maskstore_ps (y + t * ldy + 8, m1, c1[t]);
  }
}

/* Tiles of the last T % NT rows, one instance per count. */
static void
tile_tail (int nt, int kc, const float *pw, const float *x, int64_t ldx, float *y, int64_t ldy,
    __m256i m0, __m256i m1, bool acc)
{
  switch (nt) {
#define TAIL(n) case n: tile (n, kc, pw, x, ldx, y, ldy, m0, m1, acc); break;
      TAIL (1) TAIL (2) TAIL (3) TAIL (4) TAIL (5)
#undef TAIL
  }
}

/* lanes r of the 8 rows from `first` on that are below nr */
static __m256i
rows_mask (int first, int nr)
{
  return _mm256_cmpgt_epi32 (_mm256_set1_epi32 (nr - first),
      _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7));
}

ALWAYS_INLINE void
gemm_rows (g4_type type, const g4_matrix *w, int64_t r0, int64_t r1, const float *x, int64_t T,
    float *y, int64_t ldy)
{
  float buf[KC * PANEL] __attribute__ ((aligned (32)));
  const int64_t n = w->n_in;
  for (int64_t k0 = 0; k0 < n; k0 += KC) {
    const int kc = n - k0 < KC ? (int) (n - k0) : KC;
    const bool acc = k0 > 0;
    for (int64_t p = r0; p < r1; p += PANEL) {
      const int nr = r1 - p < PANEL ? (int) (r1 - p) : PANEL;
      pack_panel (type, w, p, nr, k0, kc, buf);
      const __m256i m0 = rows_mask (0, nr), m1 = rows_mask (8, nr);
      int64_t t = 0;
      for (; t + NT <= T; t += NT)
        tile (NT, kc, buf, x + t * n + k0, n, y + t * ldy + p, ldy, m0, m1, acc);
      if (t < T)
        tile_tail ((int) (T - t), kc, buf, x + t * n + k0, n, y + t * ldy + p, ldy, m0, m1, acc);
    }
  }
}

void
gemm_float_rows_avx2 (const g4_matrix *w, int64_t r0, int64_t r1, const float *restrict x,
    int64_t T, float *restrict y, int64_t ldy)
{
  switch (w->type) {
    case G4_TYPE_F32:
      gemm_rows (G4_TYPE_F32, w, r0, r1, x, T, y, ldy);
      break;
    case G4_TYPE_F16:
      gemm_rows (G4_TYPE_F16, w, r0, r1, x, T, y, ldy);
      break;
    case G4_TYPE_BF16:
      gemm_rows (G4_TYPE_BF16, w, r0, r1, x, T, y, ldy);
      break;
    default:
      break;
  }
}
