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

/* The NT-row register tile (nt <= NT rows, a constant once inlined) over kc
 * packed columns; acc: y holds the chains of the columns before. */
ALWAYS_INLINE void
tile (int nt, int kc, const float *restrict pw, const float *restrict x, int64_t ldx,
    float *restrict y, int64_t ldy, __mmask16 m0, __mmask16 m1, bool acc)
{
  __m512 c0[NT], c1[NT];
  const float *xr[NT];
#pragma GCC unroll 12
  for (int t = 0; t < nt; t++) {
    xr[t] = x + t * ldx;
    c0[t] = acc ? _mm512_maskz_loadu_ps (m0, y + t * ldy) : _mm512_setzero_ps ();
    c1[t] = acc ? _mm512_maskz_loadu_ps (m1, y + t * ldy + 16) : _mm512_setzero_ps ();
  }
  /* the next tile's outputs, which would otherwise stall its first loads
   * (y is T x n_out, often out of cache: a third of the time on 3072 rows) */
#pragma GCC unroll 12
  for (int t = 0; t < nt; t++) {
    _mm_prefetch ((const char *) (y + (t + nt) * ldy), _MM_HINT_T0);
    _mm_prefetch ((const char *) (y + (t + nt) * ldy + 16), _MM_HINT_T0);
  }
  for (int k = 0; k < kc; k++) {
    const __m512 w0 = _mm512_load_ps (pw + k * PANEL);
    const __m512 w1 = _mm512_load_ps (pw + k * PANEL + 16);
#pragma GCC unroll 12
    for (int t = 0; t < nt; t++) {
      const __m512 b = _mm512_set1_ps (xr[t][k]);
      c0[t] = _mm512_fmadd_ps (w0, b, c0[t]);
      c1[t] = _mm512_fmadd_ps (w1, b, c1[t]);
    }
  }
#pragma GCC unroll 12
  for (int t = 0; t < nt; t++) {
    _mm512_mask_storeu_ps (y + t * ldy, m0, c0[t]);
    _mm512_mask_storeu_ps (y + t * ldy + 16, m1, c1[t]);
  }
}

/* Tiles of the last T % NT rows, one instance per count. */
static void
tile_tail (int nt, int kc, const float *pw, const float *x, int64_t ldx, float *y, int64_t ldy,
    __mmask16 m0, __mmask16 m1, bool acc)
{
  switch (nt) {
#define TAIL(n) case n: tile (n, kc, pw, x, ldx, y, ldy, m0, m1, acc); break;
      TAIL (1) TAIL (2) TAIL (3) TAIL (4) TAIL (5) TAIL (6)
      TAIL (7) TAIL (8) TAIL (9) TAIL (10) TAIL (11)
#undef TAIL
  }
}

ALWAYS_INLINE void
gemm_rows (int kind, const g4_matrix *w, int64_t r0, int64_t r1, const float *x, int64_t T,
    float *y, int64_t ldy)
{
  float buf[KC * PANEL] __attribute__ ((aligned (64)));
  const int64_t n = w->n_in;
  for (int64_t k0 = 0; k0 < n; k0 += KC) {
    const int kc = n - k0 < KC ? (int) (n - k0) : KC;
    const bool acc = k0 > 0;
    for (int64_t p = r0; p < r1; p += PANEL) {
      const int nr = r1 - p < PANEL ? (int) (r1 - p) : PANEL;
      pack_panel (kind, w, p, nr, k0, kc, buf);
      const __mmask16 m0 = nr >= 16 ? 0xFFFF : (__mmask16) ((1u << nr) - 1);
      const __mmask16 m1 = nr >= 32 ? 0xFFFF : nr <= 16 ? 0 : (__mmask16) ((1u << (nr - 16)) - 1);
      int64_t t = 0;
      for (; t + NT <= T; t += NT)
        tile (NT, kc, buf, x + t * n + k0, n, y + t * ldy + p, ldy, m0, m1, acc);
      if (t < T)
        tile_tail ((int) (T - t), kc, buf, x + t * n + k0, n, y + t * ldy + p, ldy, m0, m1, acc);
    }
  }
}

void
gemm_float_rows_avx512 (const g4_matrix *w, int64_t r0, int64_t r1, const float *restrict x,
    int64_t T, float *restrict y, int64_t ldy)
{
  switch (w->type) {
    case G4_TYPE_F32:
      gemm_rows (W_F32, w, r0, r1, x, T, y, ldy);
      break;
    case G4_TYPE_F16:
      gemm_rows (W_F16, w, r0, r1, x, T, y, ldy);
      break;
    case G4_TYPE_BF16:
      gemm_rows (W_BF16, w, r0, r1, x, T, y, ldy);
      break;
    default:
      break;
  }
}
