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

enum { W_F32, W_F16, W_BF16 };

/* 8 weights of a row from element i on, as f32 (exact conversions) */
ALWAYS_INLINE __m256
load_8 (int kind, const char *row, int64_t i)
{
  if (kind == W_F32)
    return _mm256_loadu_ps ((const float *) row + i);
  const __m128i h = _mm_loadu_si128 ((const __m128i *) ((const uint16_t *) row + i));
  if (kind == W_F16)
    return _mm256_cvtph_ps (h);
  return _mm256_castsi256_ps (_mm256_slli_epi32 (_mm256_cvtepu16_epi32 (h), 16));
}

ALWAYS_INLINE float
weight_at (int kind, const char *row, int64_t i)
{
  if (kind == W_F32)
    return ((const float *) row)[i];
  const uint16_t h = ((const uint16_t *) row)[i];
  return kind == W_F16 ? g4_fp16_to_fp32 (h) : g4_bf16_to_fp32 (h);
}

/* buf[k * PANEL + r] = W[r0 + r][k0 + k] for r < nr, k < kc; rows nr and
 * above are zeros (their outputs are never stored). */
ALWAYS_INLINE void
pack_panel (int kind, const g4_matrix *w, int64_t r0, int nr, int64_t k0, int kc,
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
      _mm256_storeu_ps (v, load_8 (kind, row, k0 + k));
      for (int j = 0; j < 8; j++)
        buf[(k + j) * PANEL + r] = v[j];
    }
    for (; k < kc; k++)
      buf[k * PANEL + r] = weight_at (kind, row, k0 + k);
  }
}

/* the lanes of rows first .. first + 7 that are below nr */
static inline __m256i
rows_mask (int first, int nr)
{
  return _mm256_cmpgt_epi32 (_mm256_set1_epi32 (nr - first),
      _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7));
}

typedef __m256 vf;
typedef __m256i rmask;
#define W 8
static inline vf vzero (void) { return _mm256_setzero_ps (); }
static inline vf vload_a (const float *p) { return _mm256_load_ps (p); }
static inline vf vbroadcast (const float *p) { return _mm256_broadcast_ss (p); }
static inline vf vfma (vf a, vf b, vf c) { return _mm256_fmadd_ps (a, b, c); }
static inline vf vload_m (const float *p, rmask m) { return _mm256_maskload_ps (p, m); }
static inline void vstore_m (float *p, rmask m, vf x) { _mm256_maskstore_ps (p, m, x); }
#define GEMM_FLOAT_FN gemm_float_rows_avx2
#include "gemm_float_simd.h"
