/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AVX-512 GEMM for float weights (F32, F16, BF16) against f32 activations,
 * for products of many activation rows (the encoders' patches and frames, a
 * prompt): y[t][o] = sum_i W[o][i] x[t][i].
 *
 * The weights are packed a panel at a time (PANEL rows x KC columns,
 * converted to f32 and transposed so that column i is two 16-float vectors),
 * in L2; a register tile of 32 rows x NT activation rows then runs over the
 * panel: per column two vector loads, NT broadcasts and 2 NT FMAs into 24
 * accumulators. Each accumulator lane is one output's FMA chain over i in
 * order, carried through y from one column block to the next, so the result
 * is gemm_float_rows_scalar's bit for bit whatever the tiling or the rows a
 * thread takes. */
#include <assert.h>
#include <immintrin.h>
#include <stdbool.h>

#include "float_weights_avx512.h"
#include "vec.h"

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))

#define PANEL GEMM_PANEL_AVX512 /* weight rows per panel: two vectors */
#define NT 12                   /* activation rows per register tile */
/* columns per panel: 64 KiB packed. Against 256, fewer passes over y
 * outweigh the panel's leaving L1 (5-15% on 768-3072 inputs, Zen 5). */
#define KC 512

static_assert (PANEL == 32, "the tile holds two 16-float vectors of rows");

/* r[j] becomes column j of the 16 x 16 block whose rows were r[0..15]. */
ALWAYS_INLINE void
transpose_16x16 (__m512 r[16])
{
  __m512 t[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps (r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps (r[2 * i], r[2 * i + 1]);
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    r[4 * i] = _mm512_shuffle_ps (t[4 * i], t[4 * i + 2], _MM_SHUFFLE (1, 0, 1, 0));
    r[4 * i + 1] = _mm512_shuffle_ps (t[4 * i], t[4 * i + 2], _MM_SHUFFLE (3, 2, 3, 2));
    r[4 * i + 2] = _mm512_shuffle_ps (t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE (1, 0, 1, 0));
    r[4 * i + 3] = _mm512_shuffle_ps (t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE (3, 2, 3, 2));
  }
  /* 128-bit lanes: first pairs (0, 2) of rows 4 apart, then of rows 8 apart */
#pragma GCC unroll 2
  for (int h = 0; h < 2; h++)
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
      t[8 * h + i] = _mm512_shuffle_f32x4 (r[8 * h + i], r[8 * h + i + 4], 0x88);
      t[8 * h + i + 4] = _mm512_shuffle_f32x4 (r[8 * h + i], r[8 * h + i + 4], 0xdd);
    }
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) {
    r[i] = _mm512_shuffle_f32x4 (t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4 (t[i], t[i + 8], 0xdd);
  }
}

/* buf[k * PANEL + r] = W[r0 + r][k0 + k] for r < nr, k < kc; rows nr and
 * above are zeros (their outputs are never stored). */
ALWAYS_INLINE void
pack_panel (int kind, const g4_matrix *w, int64_t r0, int nr, int64_t k0, int kc,
    float *restrict buf)
{
  for (int rb = 0; rb < PANEL; rb += 16)
    for (int k = 0; k < kc; k += 16) {
      const __mmask16 m = kc - k >= 16 ? 0xFFFF : (__mmask16) ((1u << (kc - k)) - 1);
      __m512 r[16];
#pragma GCC unroll 16
      for (int i = 0; i < 16; i++)
        r[i] = rb + i < nr ? load_weights_16 (kind, (const char *) w->data
            + (r0 + rb + i) * w->row_bytes, k0 + k, m) : _mm512_setzero_ps ();
      transpose_16x16 (r);
      const int n = kc - k < 16 ? kc - k : 16;
      for (int j = 0; j < n; j++)
        _mm512_store_ps (buf + (k + j) * PANEL + rb, r[j]);
    }
}

/* the lanes of rows first .. first + 15 that are below nr */
static inline __mmask16
rows_mask (int first, int nr)
{
  const int n = nr - first;
  return n >= 16 ? 0xFFFF : n <= 0 ? 0 : (__mmask16) ((1u << n) - 1);
}

typedef __m512 vf;
typedef __mmask16 rmask;
#define W 16
static inline vf vzero (void) { return _mm512_setzero_ps (); }
static inline vf vload_a (const float *p) { return _mm512_load_ps (p); }
static inline vf vbroadcast (const float *p) { return _mm512_set1_ps (*p); }
static inline vf vfma (vf a, vf b, vf c) { return _mm512_fmadd_ps (a, b, c); }
static inline vf vload_m (const float *p, rmask m) { return _mm512_maskz_loadu_ps (m, p); }
static inline void vstore_m (float *p, rmask m, vf x) { _mm512_mask_storeu_ps (p, m, x); }
#define GEMM_FLOAT_FN gemm_float_rows_avx512
#include "gemm_float_simd.h"
