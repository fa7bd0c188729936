/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AVX-512 VNNI kernels of the packed GEMM (packed.h): a 16-row group against
 * up to PACK_COLS activation rows. Per block, the group's quant words are
 * loaded (and Q4_0's nibbles split) once; each activation row then costs 8
 * dpbusd with a broadcast 4-byte word, one convert and one FMA for all 16
 * weight rows. Bit-identical to gemm_packed_*_scalar. */
#include <immintrin.h>
#include <string.h>

#include "packed.h"
#include "vec.h"

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))

/* the most activation rows one call takes (dispatch.c announces it) */
#define PACK_COLS 8

ALWAYS_INLINE int32_t
word (const int8_t *p)
{
  int32_t v;
  memcpy (&v, p, sizeof v);
  return v;
}

ALWAYS_INLINE void
packed_tile (g4_type t, int C, int64_t n, const char *w, const char *a,
    size_t as, const int32_t *sums, float *y, int64_t ldy)
{
  const bool q8 = t == G4_TYPE_Q8_0;
  const int k_off = q8 ? G4_PACK_K_Q8_0 : G4_PACK_K_Q4_0;
  const size_t gbs = q8 ? G4_PACK_BLOCK_Q8_0 : G4_PACK_BLOCK_Q4_0;
  const int64_t nb = n / QK8_0;
  const __m512i m4 = _mm512_set1_epi8 (0x0F);
  __m512 acc[PACK_COLS];
#pragma GCC unroll 8
  for (int c = 0; c < C; c++)
    acc[c] = _mm512_setzero_ps ();
  for (int64_t b = 0; b < nb; b++) {
    const char *p = w + b * gbs;
    const __m512 dw = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) p));
    __m512i wq[8];
    if (q8) {
#pragma GCC unroll 8
      for (int k = 0; k < 8; k++)
        wq[k] = _mm512_loadu_si512 (p + G4_PACK_SCALES + 64 * k);
    } else {
#pragma GCC unroll 4
      for (int k = 0; k < 4; k++) {
        const __m512i v = _mm512_loadu_si512 (p + G4_PACK_SCALES + 64 * k);
        wq[k] = _mm512_and_si512 (v, m4);
        wq[k + 4] = _mm512_and_si512 (_mm512_srli_epi16 (v, 4), m4);
      }
    }
#pragma GCC unroll 8
    for (int c = 0; c < C; c++) {
      const block_q8_0 *ab = (const block_q8_0 *) (a + c * as) + b;
      __m512i dot = _mm512_set1_epi32 (-k_off * sums[c * nb + b]);
#pragma GCC unroll 8
      for (int k = 0; k < 8; k++)
        dot = _mm512_dpbusd_epi32 (dot, wq[k], _mm512_set1_epi32 (word (ab->qs + 4 * k)));
      const __m512 scale = _mm512_mul_ps (dw, _mm512_set1_ps (_cvtsh_ss (ab->d)));
      acc[c] = _mm512_fmadd_ps (_mm512_cvtepi32_ps (dot), scale, acc[c]);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < C; c++)
    _mm512_storeu_ps (y + c * ldy, acc[c]);
}

/* One instance per column count, so every loop over columns is unrolled. */
#define DEFINE_PACKED(NAME, TYPE)                                              \
  static void NAME##_c (int C, int64_t n, const char *w, const char *a,        \
      size_t as, const int32_t *sums, float *y, int64_t ldy)                   \
  {                                                                            \
    switch (C) {                                                               \
      case 8: packed_tile (TYPE, 8, n, w, a, as, sums, y, ldy); break;         \
      case 7: packed_tile (TYPE, 7, n, w, a, as, sums, y, ldy); break;         \
      case 6: packed_tile (TYPE, 6, n, w, a, as, sums, y, ldy); break;         \
      case 5: packed_tile (TYPE, 5, n, w, a, as, sums, y, ldy); break;         \
      case 4: packed_tile (TYPE, 4, n, w, a, as, sums, y, ldy); break;         \
      case 3: packed_tile (TYPE, 3, n, w, a, as, sums, y, ldy); break;         \
      case 2: packed_tile (TYPE, 2, n, w, a, as, sums, y, ldy); break;         \
      default: packed_tile (TYPE, 1, n, w, a, as, sums, y, ldy); break;        \
    }                                                                          \
  }                                                                            \
  void NAME (int64_t n, const void *restrict w, const void *restrict a,        \
      size_t as, const int32_t *restrict sums, int nc, float *restrict y,      \
      int64_t ldy)                                                             \
  {                                                                            \
    const int64_t nb = n / QK8_0;                                              \
    for (int c0 = 0; c0 < nc; c0 += PACK_COLS) {                               \
      const int C = nc - c0 < PACK_COLS ? nc - c0 : PACK_COLS;                 \
      NAME##_c (C, n, w, (const char *) a + c0 * as, as, sums + c0 * nb,       \
          y + c0 * ldy, ldy);                                                  \
    }                                                                          \
  }

DEFINE_PACKED (gemm_packed_q4_0_avx512, G4_TYPE_Q4_0)
DEFINE_PACKED (gemm_packed_q8_0_avx512, G4_TYPE_Q8_0)
