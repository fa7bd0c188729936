/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AVX2 kernels of the packed GEMM (packed.h): each 16-row group is two
 * halves of 8 rows, one 256-bit register per quant word; maddubs + madd do
 * what VNNI's dpbusd does. Q4_0's products are summed in int16 over the whole
 * block (8 words x 2 pairs x 15 x 127 < 32768) before one madd; Q8_0's are
 * signed on both sides (the stored sign flip is undone, |w| times a with w's
 * sign), so their K * sum term vanishes. Bit-identical to
 * gemm_packed_*_scalar. */
#include <immintrin.h>
#include <string.h>

#include "packed.h"
#include "vec.h"

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))

/* activation rows per pass over a half group's weights */
#define PACK_COLS 4

ALWAYS_INLINE int32_t
word (const int8_t *p)
{
  int32_t v;
  memcpy (&v, p, sizeof v);
  return v;
}

/* The int32 dots of 8 rows (half h of a group block p) with block ab. */
ALWAYS_INLINE __m256i
dot_q4_0 (const __m256i wq[8], const block_q8_0 *ab, int32_t sum)
{
  __m256i p16 = _mm256_maddubs_epi16 (wq[0], _mm256_set1_epi32 (word (ab->qs)));
#pragma GCC unroll 8
  for (int k = 1; k < 8; k++)
    p16 = _mm256_add_epi16 (p16, _mm256_maddubs_epi16 (wq[k], _mm256_set1_epi32 (word (ab->qs + 4 * k))));
  const __m256i dot = _mm256_madd_epi16 (p16, _mm256_set1_epi16 (1));
  return _mm256_add_epi32 (dot, _mm256_set1_epi32 (-G4_PACK_K_Q4_0 * sum));
}

ALWAYS_INLINE __m256i
dot_q8_0 (const __m256i wa[8], const char *q, const block_q8_0 *ab)
{
  const __m256i flip = _mm256_set1_epi8 ((char) 0x80), ones = _mm256_set1_epi16 (1);
  __m256i dot = _mm256_setzero_si256 ();
#pragma GCC unroll 8
  for (int k = 0; k < 8; k++) {
    const __m256i ws = _mm256_xor_si256 (_mm256_loadu_si256 ((const __m256i *) (q + 64 * k)), flip);
    const __m256i as = _mm256_sign_epi8 (_mm256_set1_epi32 (word (ab->qs + 4 * k)), ws);
    dot = _mm256_add_epi32 (dot, _mm256_madd_epi16 (_mm256_maddubs_epi16 (wa[k], as), ones));
  }
  return dot;
}

ALWAYS_INLINE void
packed_half (g4_type t, int C, int h, int64_t n, const char *w, const char *a,
    size_t as, const int32_t *sums, float *y, int64_t ldy)
{
  const bool q8 = t == G4_TYPE_Q8_0;
  const size_t gbs = q8 ? G4_PACK_BLOCK_Q8_0 : G4_PACK_BLOCK_Q4_0;
  const int64_t nb = n / QK8_0;
  const __m256i m4 = _mm256_set1_epi8 (0x0F), flip = _mm256_set1_epi8 ((char) 0x80);
  __m256 acc[PACK_COLS];
#pragma GCC unroll 4
  for (int c = 0; c < C; c++)
    acc[c] = _mm256_setzero_ps ();
  for (int64_t b = 0; b < nb; b++) {
    const char *p = w + b * gbs;
    const char *q = p + G4_PACK_SCALES + 32 * h;
    const __m256 dw = _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (p + 16 * h)));
    __m256i wq[8];
    if (q8) {
#pragma GCC unroll 8
      for (int k = 0; k < 8; k++)
        wq[k] = _mm256_abs_epi8 (_mm256_xor_si256 (_mm256_loadu_si256 ((const __m256i *) (q + 64 * k)), flip));
    } else {
#pragma GCC unroll 4
      for (int k = 0; k < 4; k++) {
        const __m256i v = _mm256_loadu_si256 ((const __m256i *) (q + 64 * k));
        wq[k] = _mm256_and_si256 (v, m4);
        wq[k + 4] = _mm256_and_si256 (_mm256_srli_epi16 (v, 4), m4);
      }
    }
#pragma GCC unroll 4
    for (int c = 0; c < C; c++) {
      const block_q8_0 *ab = (const block_q8_0 *) (a + c * as) + b;
      const __m256i dot = q8 ? dot_q8_0 (wq, q, ab) : dot_q4_0 (wq, ab, sums[c * nb + b]);
      const __m256 scale = _mm256_mul_ps (dw, _mm256_set1_ps (_cvtsh_ss (ab->d)));
      acc[c] = _mm256_fmadd_ps (_mm256_cvtepi32_ps (dot), scale, acc[c]);
    }
  }
#pragma GCC unroll 4
  for (int c = 0; c < C; c++)
    _mm256_storeu_ps (y + c * ldy + 8 * h, acc[c]);
}

/* Q4_K against Q8_K (as gemm_packed_avx512.c): scales and mins unpacked
 * once per super-block, one sub-block's nibbles at a time. */
ALWAYS_INLINE __m256i
byte_lane (__m256i v, int k)
{
  return _mm256_and_si256 (_mm256_srli_epi32 (v, 8 * k), _mm256_set1_epi32 (0xFF));
}

ALWAYS_INLINE void
packed_half_q4_K (int C, int h, int64_t n, const char *w, const char *a,
    size_t as, float *y, int64_t ldy)
{
  const int64_t nsb = n / QK_K;
  const __m256i m4 = _mm256_set1_epi8 (0x0F), m6 = _mm256_set1_epi8 (0x3F),
      top = _mm256_set1_epi8 (0x30), ones = _mm256_set1_epi16 (1);
  __m256 acc[PACK_COLS];
#pragma GCC unroll 4
  for (int c = 0; c < C; c++)
    acc[c] = _mm256_setzero_ps ();
  for (int64_t i = 0; i < nsb; i++) {
    const char *p = w + i * G4_PACK_BLOCK_Q4_K;
    const char *sp = p + G4_PACK_Q4_K_SCALES + 32 * h;
    const __m256i s0 = _mm256_loadu_si256 ((const __m256i *) sp);
    const __m256i s1 = _mm256_loadu_si256 ((const __m256i *) (sp + 64));
    const __m256i s2 = _mm256_loadu_si256 ((const __m256i *) (sp + 128));
    const __m256i sc_lo = _mm256_and_si256 (s0, m6), m_lo = _mm256_and_si256 (s1, m6);
    const __m256i sc_hi = _mm256_or_si256 (_mm256_and_si256 (s2, m4),
        _mm256_and_si256 (_mm256_srli_epi32 (s0, 2), top));
    const __m256i m_hi = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi32 (s2, 4), m4),
        _mm256_and_si256 (_mm256_srli_epi32 (s1, 2), top));
    __m256i isum[PACK_COLS], imin[PACK_COLS];
#pragma GCC unroll 4
    for (int c = 0; c < C; c++)
      isum[c] = imin[c] = _mm256_setzero_si256 ();
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) {
      const __m256i sc = byte_lane (j < 4 ? sc_lo : sc_hi, j % 4);
      const __m256i mn = byte_lane (j < 4 ? m_lo : m_hi, j % 4);
      const __m256i mn2 = _mm256_or_si256 (mn, _mm256_slli_epi32 (mn, 16));
      __m256i wq[8];
#pragma GCC unroll 8
      for (int k = 0; k < 8; k++) {
        const __m256i v = _mm256_loadu_si256 ((const __m256i *) (p + G4_PACK_Q4_K_QS
                + 64 * (8 * (j / 2) + k) + 32 * h));
        wq[k] = j % 2 ? _mm256_and_si256 (_mm256_srli_epi16 (v, 4), m4) : _mm256_and_si256 (v, m4);
      }
#pragma GCC unroll 4
      for (int c = 0; c < C; c++) {
        const block_q8_K *ab = (const block_q8_K *) (a + c * as) + i;
        __m256i p16 = _mm256_maddubs_epi16 (wq[0], _mm256_set1_epi32 (word (ab->qs + 32 * j)));
#pragma GCC unroll 8
        for (int k = 1; k < 8; k++)
          p16 = _mm256_add_epi16 (p16, _mm256_maddubs_epi16 (wq[k],
                  _mm256_set1_epi32 (word (ab->qs + 32 * j + 4 * k))));
        const __m256i dot = _mm256_madd_epi16 (p16, ones);
        isum[c] = _mm256_add_epi32 (isum[c], _mm256_mullo_epi32 (dot, sc));
        int32_t bs;
        memcpy (&bs, ab->bsums + 2 * j, sizeof bs);
        imin[c] = _mm256_add_epi32 (imin[c], _mm256_madd_epi16 (mn2, _mm256_set1_epi32 (bs)));
      }
    }
    const __m256 dw = _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (p + 16 * h)));
    const __m256 dmw = _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (p + G4_PACK_Q4_K_DMIN + 16 * h)));
#pragma GCC unroll 4
    for (int c = 0; c < C; c++) {
      const __m256 ad = _mm256_set1_ps (((const block_q8_K *) (a + c * as) + i)->d);
      acc[c] = _mm256_fmadd_ps (_mm256_cvtepi32_ps (isum[c]), _mm256_mul_ps (dw, ad), acc[c]);
      acc[c] = _mm256_fnmadd_ps (_mm256_cvtepi32_ps (imin[c]), _mm256_mul_ps (dmw, ad), acc[c]);
    }
  }
#pragma GCC unroll 4
  for (int c = 0; c < C; c++)
    _mm256_storeu_ps (y + c * ldy + 8 * h, acc[c]);
}

/* IQ4_XS against Q8_K: signed codebook values on both sides (|v| times a
 * with v's sign, as Q8_0), so no offset term. */
ALWAYS_INLINE void
packed_half_iq4_xs (int C, int h, int64_t n, const char *w, const char *a,
    size_t as, float *y, int64_t ldy)
{
  const int64_t nsb = n / QK_K;
  const __m256i m4 = _mm256_set1_epi8 (0x0F), ones = _mm256_set1_epi16 (1);
  const __m256i book = _mm256_broadcastsi128_si256 (_mm_loadu_si128 ((const __m128i *) g4_iq4nl_values));
  __m256 acc[PACK_COLS];
#pragma GCC unroll 4
  for (int c = 0; c < C; c++)
    acc[c] = _mm256_setzero_ps ();
  for (int64_t i = 0; i < nsb; i++) {
    const char *p = w + i * G4_PACK_BLOCK_IQ4_XS;
    const __m256i sl = _mm256_loadu_si256 ((const __m256i *) (p + G4_PACK_IQ4_XS_SCALES_L + 32 * h));
    const __m256i sh = _mm256_cvtepu16_epi32 (_mm_loadu_si128 ((const __m128i *) (p + G4_PACK_IQ4_XS_SCALES_H + 16 * h)));
    __m256i isum[PACK_COLS];
#pragma GCC unroll 4
    for (int c = 0; c < C; c++)
      isum[c] = _mm256_setzero_si256 ();
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) {
      const __m256i lo = _mm256_and_si256 (_mm256_srli_epi32 (sl, 4 * j), _mm256_set1_epi32 (0xF));
      const __m256i hi = _mm256_and_si256 (_mm256_srli_epi32 (sh, 2 * j), _mm256_set1_epi32 (3));
      const __m256i sc = _mm256_sub_epi32 (_mm256_or_si256 (lo, _mm256_slli_epi32 (hi, 4)),
          _mm256_set1_epi32 (32));
      __m256i wv[8];
#pragma GCC unroll 4
      for (int k = 0; k < 4; k++) {
        const __m256i v = _mm256_loadu_si256 ((const __m256i *) (p + G4_PACK_IQ4_XS_QS
                + 64 * (4 * j + k) + 32 * h));
        wv[k] = _mm256_shuffle_epi8 (book, _mm256_and_si256 (v, m4));
        wv[k + 4] = _mm256_shuffle_epi8 (book, _mm256_and_si256 (_mm256_srli_epi16 (v, 4), m4));
      }
#pragma GCC unroll 4
      for (int c = 0; c < C; c++) {
        const block_q8_K *ab = (const block_q8_K *) (a + c * as) + i;
        __m256i dot = _mm256_setzero_si256 ();
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) {
          const __m256i sa = _mm256_sign_epi8 (_mm256_set1_epi32 (word (ab->qs + 32 * j + 4 * k)), wv[k]);
          dot = _mm256_add_epi32 (dot, _mm256_madd_epi16 (_mm256_maddubs_epi16 (_mm256_abs_epi8 (wv[k]), sa), ones));
        }
        isum[c] = _mm256_add_epi32 (isum[c], _mm256_mullo_epi32 (dot, sc));
      }
    }
    const __m256 dw = _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (p + 16 * h)));
#pragma GCC unroll 4
    for (int c = 0; c < C; c++) {
      const __m256 ad = _mm256_set1_ps (((const block_q8_K *) (a + c * as) + i)->d);
      acc[c] = _mm256_fmadd_ps (_mm256_cvtepi32_ps (isum[c]), _mm256_mul_ps (dw, ad), acc[c]);
    }
  }
#pragma GCC unroll 4
  for (int c = 0; c < C; c++)
    _mm256_storeu_ps (y + c * ldy + 8 * h, acc[c]);
}

/* Q6_K against Q8_K (as gemm_packed_avx512.c); maddubs pairs of u <= 63
 * sum over two words at most in int16 (4 x 63 x 127 < 32768). */
ALWAYS_INLINE void
packed_half_q6_K (int C, int h8, int64_t n, const char *w, const char *a,
    size_t as, float *y, int64_t ldy)
{
  const int64_t nsb = n / QK_K;
  const __m256i m4 = _mm256_set1_epi8 (0x0F), m2 = _mm256_set1_epi8 (0x03), ones = _mm256_set1_epi16 (1);
  __m256 acc[PACK_COLS];
#pragma GCC unroll 4
  for (int c = 0; c < C; c++)
    acc[c] = _mm256_setzero_ps ();
  for (int64_t i = 0; i < nsb; i++) {
    const char *p = w + i * G4_PACK_BLOCK_Q6_K;
    __m256i isum[PACK_COLS];
#pragma GCC unroll 4
    for (int c = 0; c < C; c++)
      isum[c] = _mm256_setzero_si256 ();
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      const __m256i sw = _mm256_loadu_si256 ((const __m256i *) (p + G4_PACK_Q6_K_SCALES + 64 * k + 32 * h8));
      const __m256i lo16 = _mm256_srai_epi16 (_mm256_slli_epi16 (sw, 8), 8), hi16 = _mm256_srai_epi16 (sw, 8);
      const __m256i keep_lo = _mm256_set1_epi32 (0xFFFF);
      const __m256i pair0 = _mm256_or_si256 (_mm256_and_si256 (lo16, keep_lo), _mm256_slli_epi32 (hi16, 16));
      const __m256i pair1 = _mm256_or_si256 (_mm256_srli_epi32 (lo16, 16), _mm256_andnot_si256 (keep_lo, hi16));
      const __m256i off[2] = {
        _mm256_mullo_epi16 (pair0, _mm256_set1_epi16 (-32)),
        _mm256_mullo_epi16 (pair1, _mm256_set1_epi16 (-32)),
      };
#pragma GCC unroll 2
      for (int g = 0; g < 2; g++) {
        const int h = k / 2, qq = 2 * (k % 2) + g;
        __m256i wq[8];
#pragma GCC unroll 8
        for (int m = 0; m < 8; m++) {
          const __m256i l = _mm256_loadu_si256 ((const __m256i *) (p + G4_PACK_Q6_K_QL
                  + 64 * (16 * h + 8 * (qq % 2) + m) + 32 * h8));
          const __m256i hb = _mm256_loadu_si256 ((const __m256i *) (p + G4_PACK_Q6_K_QH
                  + 64 * (8 * h + m) + 32 * h8));
          const __m256i lo = qq / 2 ? _mm256_and_si256 (_mm256_srli_epi16 (l, 4), m4) : _mm256_and_si256 (l, m4);
          const __m256i hi = _mm256_and_si256 (_mm256_srli_epi16 (hb, 2 * qq), m2);
          wq[m] = _mm256_or_si256 (lo, _mm256_slli_epi16 (hi, 4));
        }
        const __m256i sc0 = _mm256_srai_epi32 (_mm256_slli_epi32 (sw, 24 - 16 * g), 24);
        const __m256i sc1 = _mm256_srai_epi32 (_mm256_slli_epi32 (sw, 16 - 16 * g), 24);
#pragma GCC unroll 4
        for (int c = 0; c < C; c++) {
          const block_q8_K *ab = (const block_q8_K *) (a + c * as) + i;
          const int8_t *aq = ab->qs + 128 * h + 32 * qq;
          __m256i d[2];
#pragma GCC unroll 2
          for (int s = 0; s < 2; s++) {
            const int8_t *q = aq + 16 * s;
            const __m256i p01 = _mm256_add_epi16 (
                _mm256_maddubs_epi16 (wq[4 * s], _mm256_set1_epi32 (word (q))),
                _mm256_maddubs_epi16 (wq[4 * s + 1], _mm256_set1_epi32 (word (q + 4))));
            const __m256i p23 = _mm256_add_epi16 (
                _mm256_maddubs_epi16 (wq[4 * s + 2], _mm256_set1_epi32 (word (q + 8))),
                _mm256_maddubs_epi16 (wq[4 * s + 3], _mm256_set1_epi32 (word (q + 12))));
            d[s] = _mm256_add_epi32 (_mm256_madd_epi16 (p01, ones), _mm256_madd_epi16 (p23, ones));
          }
          isum[c] = _mm256_add_epi32 (isum[c], _mm256_mullo_epi32 (d[0], sc0));
          isum[c] = _mm256_add_epi32 (isum[c], _mm256_mullo_epi32 (d[1], sc1));
          int32_t bs;
          memcpy (&bs, ab->bsums + 4 * k + 2 * g, sizeof bs);
          isum[c] = _mm256_add_epi32 (isum[c], _mm256_madd_epi16 (off[g], _mm256_set1_epi32 (bs)));
        }
      }
    }
    const __m256 dw = _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (p + 16 * h8)));
#pragma GCC unroll 4
    for (int c = 0; c < C; c++) {
      const __m256 ad = _mm256_set1_ps (((const block_q8_K *) (a + c * as) + i)->d);
      acc[c] = _mm256_fmadd_ps (_mm256_cvtepi32_ps (isum[c]), _mm256_mul_ps (dw, ad), acc[c]);
    }
  }
#pragma GCC unroll 4
  for (int c = 0; c < C; c++)
    _mm256_storeu_ps (y + c * ldy + 8 * h8, acc[c]);
}

/* One instance per column count (TILE (C, h, ...) up to PACK_COLS), so every
 * loop over columns is unrolled; the exported kernel takes any nc. */
#define DEFINE_PACKED(NAME, TILE, SUMS_PER_ROW)                                \
  static void NAME##_c (int C, int h, int64_t n, const char *w, const char *a, \
      size_t as, const int32_t *sums, float *y, int64_t ldy)                   \
  {                                                                            \
    switch (C) {                                                               \
      case 4: TILE (4, h, n, w, a, as, sums, y, ldy); break;                   \
      case 3: TILE (3, h, n, w, a, as, sums, y, ldy); break;                   \
      case 2: TILE (2, h, n, w, a, as, sums, y, ldy); break;                   \
      default: TILE (1, h, n, w, a, as, sums, y, ldy); break;                  \
    }                                                                          \
  }                                                                            \
  void NAME (int64_t n, const void *restrict w, const void *restrict a,        \
      size_t as, const int32_t *restrict sums, int nc, float *restrict y,      \
      int64_t ldy)                                                             \
  {                                                                            \
    for (int c0 = 0; c0 < nc; c0 += PACK_COLS) {                               \
      const int C = nc - c0 < PACK_COLS ? nc - c0 : PACK_COLS;                 \
      for (int h = 0; h < 2; h++)                                              \
        NAME##_c (C, h, n, w, (const char *) a + c0 * as, as,                  \
            sums ? sums + c0 * (SUMS_PER_ROW) : NULL, y + c0 * ldy, ldy);      \
    }                                                                          \
  }

#define TILE_Q4_0(C, h, n, w, a, as, sums, y, ldy) packed_half (G4_TYPE_Q4_0, C, h, n, w, a, as, sums, y, ldy)
#define TILE_Q8_0(C, h, n, w, a, as, sums, y, ldy) packed_half (G4_TYPE_Q8_0, C, h, n, w, a, as, sums, y, ldy)
#define TILE_Q4_K(C, h, n, w, a, as, sums, y, ldy) packed_half_q4_K (C, h, n, w, a, as, y, ldy)

DEFINE_PACKED (gemm_packed_q4_0_avx2, TILE_Q4_0, n / QK8_0)
DEFINE_PACKED (gemm_packed_q8_0_avx2, TILE_Q8_0, n / QK8_0)
#define TILE_IQ4_XS(C, h, n, w, a, as, sums, y, ldy) packed_half_iq4_xs (C, h, n, w, a, as, y, ldy)
DEFINE_PACKED (gemm_packed_q4_K_avx2, TILE_Q4_K, 0)
DEFINE_PACKED (gemm_packed_iq4_xs_avx2, TILE_IQ4_XS, 0)
#define TILE_Q6_K(C, h, n, w, a, as, sums, y, ldy) packed_half_q6_K (C, h, n, w, a, as, y, ldy)
DEFINE_PACKED (gemm_packed_q6_K_avx2, TILE_Q6_K, 0)
