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

/* Q4_K against Q8_K, one super-block of 256 at a time: the 16 rows' scales
 * and mins are unpacked once (byte j of lane r: sub-block j of row r), each
 * sub-block's nibbles once; per activation row, 8 dpbusd per sub-block, its
 * scale applied in int32, and the mins against the bsums pairs by dpwssd. */
ALWAYS_INLINE __m512i
byte_lane (__m512i v, int k)
{
  return _mm512_and_si512 (_mm512_srli_epi32 (v, 8 * k), _mm512_set1_epi32 (0xFF));
}

ALWAYS_INLINE void
packed_tile_q4_K (int C, int64_t n, const char *w, const char *a, size_t as,
    float *y, int64_t ldy)
{
  const int64_t nsb = n / QK_K;
  const __m512i m4 = _mm512_set1_epi8 (0x0F), m6 = _mm512_set1_epi8 (0x3F);
  __m512 acc[PACK_COLS];
#pragma GCC unroll 8
  for (int c = 0; c < C; c++)
    acc[c] = _mm512_setzero_ps ();
  for (int64_t i = 0; i < nsb; i++) {
    const char *p = w + i * G4_PACK_BLOCK_Q4_K;
    const __m512i s0 = _mm512_loadu_si512 (p + G4_PACK_Q4_K_SCALES);
    const __m512i s1 = _mm512_loadu_si512 (p + G4_PACK_Q4_K_SCALES + 64);
    const __m512i s2 = _mm512_loadu_si512 (p + G4_PACK_Q4_K_SCALES + 128);
    const __m512i top = _mm512_set1_epi8 (0x30);
    /* bytes of lane r: sc_lo scales 0-3, sc_hi 4-7, m_lo mins 0-3, m_hi 4-7 */
    const __m512i sc_lo = _mm512_and_si512 (s0, m6), m_lo = _mm512_and_si512 (s1, m6);
    const __m512i sc_hi = _mm512_or_si512 (_mm512_and_si512 (s2, m4),
        _mm512_and_si512 (_mm512_srli_epi32 (s0, 2), top));
    const __m512i m_hi = _mm512_or_si512 (_mm512_and_si512 (_mm512_srli_epi32 (s2, 4), m4),
        _mm512_and_si512 (_mm512_srli_epi32 (s1, 2), top));
    __m512i isum[PACK_COLS], imin[PACK_COLS];
#pragma GCC unroll 8
    for (int c = 0; c < C; c++)
      isum[c] = imin[c] = _mm512_setzero_si512 ();
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) {
      const __m512i sc = byte_lane (j < 4 ? sc_lo : sc_hi, j % 4);
      const __m512i mn = byte_lane (j < 4 ? m_lo : m_hi, j % 4);
      /* the min in both int16 halves, against bsums[2j] and bsums[2j + 1] */
      const __m512i mn2 = _mm512_or_si512 (mn, _mm512_slli_epi32 (mn, 16));
      __m512i wq[8];
#pragma GCC unroll 8
      for (int k = 0; k < 8; k++) {
        const __m512i v = _mm512_loadu_si512 (p + G4_PACK_Q4_K_QS + 64 * (8 * (j / 2) + k));
        wq[k] = j % 2 ? _mm512_and_si512 (_mm512_srli_epi16 (v, 4), m4) : _mm512_and_si512 (v, m4);
      }
#pragma GCC unroll 8
      for (int c = 0; c < C; c++) {
        const block_q8_K *ab = (const block_q8_K *) (a + c * as) + i;
        __m512i dot = _mm512_setzero_si512 ();
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++)
          dot = _mm512_dpbusd_epi32 (dot, wq[k], _mm512_set1_epi32 (word (ab->qs + 32 * j + 4 * k)));
        isum[c] = _mm512_add_epi32 (isum[c], _mm512_mullo_epi32 (dot, sc));
        int32_t bs;
        memcpy (&bs, ab->bsums + 2 * j, sizeof bs);
        imin[c] = _mm512_dpwssd_epi32 (imin[c], mn2, _mm512_set1_epi32 (bs));
      }
    }
    const __m512 dw = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) p));
    const __m512 dmw = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (p + G4_PACK_Q4_K_DMIN)));
#pragma GCC unroll 8
    for (int c = 0; c < C; c++) {
      const __m512 ad = _mm512_set1_ps (((const block_q8_K *) (a + c * as) + i)->d);
      acc[c] = _mm512_fmadd_ps (_mm512_cvtepi32_ps (isum[c]), _mm512_mul_ps (dw, ad), acc[c]);
      acc[c] = _mm512_fnmadd_ps (_mm512_cvtepi32_ps (imin[c]), _mm512_mul_ps (dmw, ad), acc[c]);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < C; c++)
    _mm512_storeu_ps (y + c * ldy, acc[c]);
}

/* IQ4_XS against Q8_K: the codebook lookup gives v + 128 (unsigned for
 * dpbusd); 128 * scale_j * sum(a_j) is taken back through the bsums pairs.
 * Sub-block j's 16 quant bytes are words 4j..4j+3: low nibbles values 0-15,
 * high nibbles 16-31. */
ALWAYS_INLINE void
packed_tile_iq4_xs (int C, int64_t n, const char *w, const char *a, size_t as,
    float *y, int64_t ldy)
{
  const int64_t nsb = n / QK_K;
  const __m512i m4 = _mm512_set1_epi8 (0x0F);
  const __m512i book = _mm512_broadcast_i32x4 (_mm_add_epi8 (
          _mm_loadu_si128 ((const __m128i *) g4_iq4nl_values), _mm_set1_epi8 ((char) 0x80)));
  __m512 acc[PACK_COLS];
#pragma GCC unroll 8
  for (int c = 0; c < C; c++)
    acc[c] = _mm512_setzero_ps ();
  for (int64_t i = 0; i < nsb; i++) {
    const char *p = w + i * G4_PACK_BLOCK_IQ4_XS;
    const __m512i sl = _mm512_loadu_si512 (p + G4_PACK_IQ4_XS_SCALES_L);
    const __m512i sh = _mm512_cvtepu16_epi32 (_mm256_loadu_si256 ((const __m256i *) (p + G4_PACK_IQ4_XS_SCALES_H)));
    __m512i isum[PACK_COLS];
#pragma GCC unroll 8
    for (int c = 0; c < C; c++)
      isum[c] = _mm512_setzero_si512 ();
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) {
      const __m512i lo = _mm512_and_si512 (_mm512_srli_epi32 (sl, 4 * j), _mm512_set1_epi32 (0xF));
      const __m512i hi = _mm512_and_si512 (_mm512_srli_epi32 (sh, 2 * j), _mm512_set1_epi32 (3));
      const __m512i sc = _mm512_sub_epi32 (_mm512_or_si512 (lo, _mm512_slli_epi32 (hi, 4)),
          _mm512_set1_epi32 (32));
      /* -128 * scale in both int16 halves, against bsums[2j] and bsums[2j + 1] */
      const __m512i o = _mm512_mullo_epi32 (sc, _mm512_set1_epi32 (-128));
      const __m512i off = _mm512_or_si512 (_mm512_and_si512 (o, _mm512_set1_epi32 (0xFFFF)),
          _mm512_slli_epi32 (o, 16));
      __m512i wq[8];
#pragma GCC unroll 4
      for (int k = 0; k < 4; k++) {
        const __m512i v = _mm512_loadu_si512 (p + G4_PACK_IQ4_XS_QS + 64 * (4 * j + k));
        wq[k] = _mm512_shuffle_epi8 (book, _mm512_and_si512 (v, m4));
        wq[k + 4] = _mm512_shuffle_epi8 (book, _mm512_and_si512 (_mm512_srli_epi16 (v, 4), m4));
      }
#pragma GCC unroll 8
      for (int c = 0; c < C; c++) {
        const block_q8_K *ab = (const block_q8_K *) (a + c * as) + i;
        int32_t bs;
        memcpy (&bs, ab->bsums + 2 * j, sizeof bs);
        __m512i dot = _mm512_setzero_si512 ();
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++)
          dot = _mm512_dpbusd_epi32 (dot, wq[k], _mm512_set1_epi32 (word (ab->qs + 32 * j + 4 * k)));
        isum[c] = _mm512_add_epi32 (isum[c], _mm512_mullo_epi32 (dot, sc));
        isum[c] = _mm512_dpwssd_epi32 (isum[c], off, _mm512_set1_epi32 (bs));
      }
    }
    const __m512 dw = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) p));
#pragma GCC unroll 8
    for (int c = 0; c < C; c++) {
      const __m512 ad = _mm512_set1_ps (((const block_q8_K *) (a + c * as) + i)->d);
      acc[c] = _mm512_fmadd_ps (_mm512_cvtepi32_ps (isum[c]), _mm512_mul_ps (dw, ad), acc[c]);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < C; c++)
    _mm512_storeu_ps (y + c * ldy, acc[c]);
}

/* Q6_K against Q8_K: u = q + 32 from 4 low bits in ql and 2 high bits in
 * qh; 16 sub-blocks of 16 values with signed 8-bit scales, the offset
 * -32 * scale_s * bsums[s] taken back by dpwssd over pairs of sub-blocks.
 * Values 128h + 32qq + 4m .. + 3 (m < 8) are ql word 16h + 8(qq % 2) + m
 * (nibble qq / 2) and qh word 8h + m (bits 2qq, 2qq + 1). */
ALWAYS_INLINE void
packed_tile_q6_K (int C, int64_t n, const char *w, const char *a, size_t as,
    float *y, int64_t ldy)
{
  const int64_t nsb = n / QK_K;
  const __m512i m4 = _mm512_set1_epi8 (0x0F), m2 = _mm512_set1_epi8 (0x03);
  __m512 acc[PACK_COLS];
#pragma GCC unroll 8
  for (int c = 0; c < C; c++)
    acc[c] = _mm512_setzero_ps ();
  for (int64_t i = 0; i < nsb; i++) {
    const char *p = w + i * G4_PACK_BLOCK_Q6_K;
    __m512i isum[PACK_COLS];
#pragma GCC unroll 8
    for (int c = 0; c < C; c++)
      isum[c] = _mm512_setzero_si512 ();
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      /* scales 4k..4k+3 of each row: int32 each, and -32 times the pairs
       * (4k, 4k+1), (4k+2, 4k+3) as int16 pairs */
      const __m512i sw = _mm512_loadu_si512 (p + G4_PACK_Q6_K_SCALES + 64 * k);
      const __m512i lo16 = _mm512_srai_epi16 (_mm512_slli_epi16 (sw, 8), 8), hi16 = _mm512_srai_epi16 (sw, 8);
      const __m512i keep_lo = _mm512_set1_epi32 (0xFFFF);
      const __m512i pair0 = _mm512_or_si512 (_mm512_and_si512 (lo16, keep_lo), _mm512_slli_epi32 (hi16, 16));
      const __m512i pair1 = _mm512_or_si512 (_mm512_srli_epi32 (lo16, 16), _mm512_andnot_si512 (keep_lo, hi16));
      const __m512i off[2] = {
        _mm512_mullo_epi16 (pair0, _mm512_set1_epi16 (-32)),
        _mm512_mullo_epi16 (pair1, _mm512_set1_epi16 (-32)),
      };
      /* sub-blocks 4k..4k+3 are the 64 values of (h, qq) = (k / 2, 2 (k % 2)) and
       * (k / 2, 2 (k % 2) + 1) */
#pragma GCC unroll 2
      for (int g = 0; g < 2; g++) {
        const int h = k / 2, qq = 2 * (k % 2) + g;
        __m512i wq[8];
#pragma GCC unroll 8
        for (int m = 0; m < 8; m++) {
          const __m512i l = _mm512_loadu_si512 (p + G4_PACK_Q6_K_QL + 64 * (16 * h + 8 * (qq % 2) + m));
          const __m512i hb = _mm512_loadu_si512 (p + G4_PACK_Q6_K_QH + 64 * (8 * h + m));
          const __m512i lo = qq / 2 ? _mm512_and_si512 (_mm512_srli_epi16 (l, 4), m4) : _mm512_and_si512 (l, m4);
          const __m512i hi = _mm512_and_si512 (_mm512_srli_epi16 (hb, 2 * qq), m2);
          wq[m] = _mm512_or_si512 (lo, _mm512_slli_epi16 (hi, 4));
        }
        const __m512i sc0 = _mm512_srai_epi32 (_mm512_slli_epi32 (sw, 24 - 16 * g), 24);
        const __m512i sc1 = _mm512_srai_epi32 (_mm512_slli_epi32 (sw, 16 - 16 * g), 24);
#pragma GCC unroll 8
        for (int c = 0; c < C; c++) {
          const block_q8_K *ab = (const block_q8_K *) (a + c * as) + i;
          const int8_t *aq = ab->qs + 128 * h + 32 * qq;
          __m512i d0 = _mm512_setzero_si512 (), d1 = _mm512_setzero_si512 ();
#pragma GCC unroll 4
          for (int m = 0; m < 4; m++) {
            d0 = _mm512_dpbusd_epi32 (d0, wq[m], _mm512_set1_epi32 (word (aq + 4 * m)));
            d1 = _mm512_dpbusd_epi32 (d1, wq[m + 4], _mm512_set1_epi32 (word (aq + 16 + 4 * m)));
          }
          isum[c] = _mm512_add_epi32 (isum[c], _mm512_mullo_epi32 (d0, sc0));
          isum[c] = _mm512_add_epi32 (isum[c], _mm512_mullo_epi32 (d1, sc1));
          int32_t bs;
          memcpy (&bs, ab->bsums + 4 * k + 2 * g, sizeof bs);
          isum[c] = _mm512_dpwssd_epi32 (isum[c], off[g], _mm512_set1_epi32 (bs));
        }
      }
    }
    const __m512 dw = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) p));
#pragma GCC unroll 8
    for (int c = 0; c < C; c++) {
      const __m512 ad = _mm512_set1_ps (((const block_q8_K *) (a + c * as) + i)->d);
      acc[c] = _mm512_fmadd_ps (_mm512_cvtepi32_ps (isum[c]), _mm512_mul_ps (dw, ad), acc[c]);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < C; c++)
    _mm512_storeu_ps (y + c * ldy, acc[c]);
}

/* One instance per column count (TILE (C, ...) up to PACK_COLS), so every
 * loop over columns is unrolled; the exported kernel takes any nc. */
#define DEFINE_PACKED(NAME, TILE, SUMS_PER_ROW)                                \
  static void NAME##_c (int C, int64_t n, const char *w, const char *a,        \
      size_t as, const int32_t *sums, float *y, int64_t ldy)                   \
  {                                                                            \
    switch (C) {                                                               \
      case 8: TILE (8, n, w, a, as, sums, y, ldy); break;                      \
      case 7: TILE (7, n, w, a, as, sums, y, ldy); break;                      \
      case 6: TILE (6, n, w, a, as, sums, y, ldy); break;                      \
      case 5: TILE (5, n, w, a, as, sums, y, ldy); break;                      \
      case 4: TILE (4, n, w, a, as, sums, y, ldy); break;                      \
      case 3: TILE (3, n, w, a, as, sums, y, ldy); break;                      \
      case 2: TILE (2, n, w, a, as, sums, y, ldy); break;                      \
      default: TILE (1, n, w, a, as, sums, y, ldy); break;                     \
    }                                                                          \
  }                                                                            \
  void NAME (int64_t n, const void *restrict w, const void *restrict a,        \
      size_t as, const int32_t *restrict sums, int nc, float *restrict y,      \
      int64_t ldy)                                                             \
  {                                                                            \
    for (int c0 = 0; c0 < nc; c0 += PACK_COLS) {                               \
      const int C = nc - c0 < PACK_COLS ? nc - c0 : PACK_COLS;                 \
      NAME##_c (C, n, w, (const char *) a + c0 * as, as,                       \
          sums ? sums + c0 * (SUMS_PER_ROW) : NULL, y + c0 * ldy, ldy);        \
    }                                                                          \
  }

#define TILE_Q4_0(C, n, w, a, as, sums, y, ldy) packed_tile (G4_TYPE_Q4_0, C, n, w, a, as, sums, y, ldy)
#define TILE_Q8_0(C, n, w, a, as, sums, y, ldy) packed_tile (G4_TYPE_Q8_0, C, n, w, a, as, sums, y, ldy)
#define TILE_Q4_K(C, n, w, a, as, sums, y, ldy) packed_tile_q4_K (C, n, w, a, as, y, ldy)

DEFINE_PACKED (gemm_packed_q4_0_avx512, TILE_Q4_0, n / QK8_0)
DEFINE_PACKED (gemm_packed_q8_0_avx512, TILE_Q8_0, n / QK8_0)
#define TILE_IQ4_XS(C, n, w, a, as, sums, y, ldy) packed_tile_iq4_xs (C, n, w, a, as, y, ldy)
DEFINE_PACKED (gemm_packed_q4_K_avx512, TILE_Q4_K, 0)
DEFINE_PACKED (gemm_packed_iq4_xs_avx512, TILE_IQ4_XS, 0)
#define TILE_Q6_K(C, n, w, a, as, sums, y, ldy) packed_tile_q6_K (C, n, w, a, as, y, ldy)
DEFINE_PACKED (gemm_packed_q6_K_avx512, TILE_Q6_K, 0)
