/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AVX2 kernels of the packed GEMM (packed.h): each 16-row group is two
 * halves of 8 rows, one 256-bit register per quant word; maddubs + madd do
 * what VNNI's dpbusd does, within int16 range: unsigned 4-bit quants sum
 * their pairs over 8 words (8 x 2 x 15 x 128 < 32768), Q5_K's over 4
 * (4 x 2 x 31 x 128 < 32768), Q6_K's over 2 words,
 * and the signed ones (Q8_0, IQ4_XS) multiply |w| by a with w's sign, so
 * their offset term vanishes. Bit-identical to gemm_packed_*_scalar. */
#include <immintrin.h>
#include <string.h>

#include "packed.h"
#include "vec.h"

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))

/* activation rows per pass over a half group's weights */
#define PACK_COLS 4

ALWAYS_INLINE int32_t
word (const void *p)
{
  int32_t v;
  memcpy (&v, p, sizeof v);
  return v;
}

ALWAYS_INLINE __m256i
bcast (const int8_t *q)
{
  return _mm256_set1_epi32 (word (q));
}

/* sum over k < n_words of u[k] . (the 4 bytes at q + 4k), u unsigned with
 * pairs summed in int16 over all n_words */
ALWAYS_INLINE __m256i
dot_unsigned (const __m256i *u, const int8_t *q, int n_words)
{
  __m256i p16 = _mm256_maddubs_epi16 (u[0], bcast (q));
#pragma GCC unroll 8
  for (int k = 1; k < n_words; k++)
    p16 = _mm256_add_epi16 (p16, _mm256_maddubs_epi16 (u[k], bcast (q + 4 * k)));
  return _mm256_madd_epi16 (p16, _mm256_set1_epi16 (1));
}

/* the same for 8 signed words v[k] (|v| <= 128 times |a| <= 127) */
ALWAYS_INLINE __m256i
dot_signed (const __m256i *v, const int8_t *q)
{
  __m256i dot = _mm256_setzero_si256 ();
#pragma GCC unroll 8
  for (int k = 0; k < 8; k++) {
    const __m256i sa = _mm256_sign_epi8 (bcast (q + 4 * k), v[k]);
    dot = _mm256_add_epi32 (dot, _mm256_madd_epi16 (_mm256_maddubs_epi16 (_mm256_abs_epi8 (v[k]), sa),
            _mm256_set1_epi16 (1)));
  }
  return dot;
}

ALWAYS_INLINE __m256i
field (__m256i v, int s, int mask)
{
  return _mm256_and_si256 (_mm256_srli_epi32 (v, s), _mm256_set1_epi32 (mask));
}

ALWAYS_INLINE __m256i
load (const char *p)
{
  return _mm256_loadu_si256 ((const __m256i *) p);
}

/* ---- the integer part of one block index, per weight type (rows 8h..8h+7) */

ALWAYS_INLINE void
int_q8_0_family (g4_type t, int C, int h, const char *p, const char *a, size_t as,
    int64_t b, const int32_t *sums, int64_t nb, __m256i *isum)
{
  const __m256i m4 = _mm256_set1_epi8 (0x0F);
  const char *q = p + G4_PACK_SCALES + 32 * h;
  __m256i u[8];
  if (t == G4_TYPE_Q8_0) {
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++)
      u[k] = _mm256_xor_si256 (load (q + 64 * k), _mm256_set1_epi8 ((char) 0x80));
  } else {
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      const __m256i v = load (q + 64 * k);
      u[k] = _mm256_and_si256 (v, m4);
      u[k + 4] = _mm256_and_si256 (_mm256_srli_epi16 (v, 4), m4);
    }
  }
#pragma GCC unroll 4
  for (int c = 0; c < C; c++) {
    const block_q8_0 *ab = (const block_q8_0 *) (a + c * as) + b;
    isum[c] = t == G4_TYPE_Q8_0 ? dot_signed (u, ab->qs)
        : _mm256_add_epi32 (dot_unsigned (u, ab->qs, 8),
        _mm256_set1_epi32 (-G4_PACK_K_Q4_0 * sums[c * nb + b]));
  }
}

/* Bit j of each byte of qh, moved to bit 4 (no bit crosses a byte). */
ALWAYS_INLINE __m256i
fifth_bit (__m256i qh, int j)
{
  const __m256i b = j <= 4 ? _mm256_slli_epi16 (qh, 4 - j) : _mm256_srli_epi16 (qh, j - 4);
  return _mm256_and_si256 (b, _mm256_set1_epi8 (0x10));
}

/* Q4_K or Q5_K (nibbles with bit j of the qh bytes as bit 4): Q5_K's
 * quants up to 31 sum their pairs in int16 over 4 words only. */
ALWAYS_INLINE void
int_k4 (g4_type t, int C, int h, const char *p, const char *a, size_t as, int64_t i,
    __m256i *isum, __m256i *imin)
{
  const bool q5 = t == G4_TYPE_Q5_K;
  const size_t qs = q5 ? G4_PACK_Q5_K_QS : G4_PACK_Q4_K_QS;
  const __m256i m4 = _mm256_set1_epi8 (0x0F), m6 = _mm256_set1_epi8 (0x3F), top = _mm256_set1_epi8 (0x30);
  const char *sp = p + G4_PACK_Q4_K_SCALES + 32 * h;
  const __m256i s0 = load (sp), s1 = load (sp + 64), s2 = load (sp + 128);
  const __m256i sc_lo = _mm256_and_si256 (s0, m6), m_lo = _mm256_and_si256 (s1, m6);
  const __m256i sc_hi = _mm256_or_si256 (_mm256_and_si256 (s2, m4),
      _mm256_and_si256 (_mm256_srli_epi32 (s0, 2), top));
  const __m256i m_hi = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi32 (s2, 4), m4),
      _mm256_and_si256 (_mm256_srli_epi32 (s1, 2), top));
#pragma GCC unroll 8
  for (int j = 0; j < 8; j++) {
    const __m256i sc = field (j < 4 ? sc_lo : sc_hi, 8 * (j % 4), 0xFF);
    const __m256i mn = field (j < 4 ? m_lo : m_hi, 8 * (j % 4), 0xFF);
    const __m256i mn2 = _mm256_or_si256 (mn, _mm256_slli_epi32 (mn, 16));
    __m256i u[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++) {
      const __m256i v = load (p + qs + 64 * (8 * (j / 2) + k) + 32 * h);
      u[k] = j % 2 ? _mm256_and_si256 (_mm256_srli_epi16 (v, 4), m4) : _mm256_and_si256 (v, m4);
      if (q5)
        u[k] = _mm256_or_si256 (u[k], fifth_bit (load (p + G4_PACK_Q5_K_QH + 64 * k + 32 * h), j));
    }
#pragma GCC unroll 4
    for (int c = 0; c < C; c++) {
      const block_q8_K *ab = (const block_q8_K *) (a + c * as) + i;
      const __m256i dot = q5 ? _mm256_add_epi32 (dot_unsigned (u, ab->qs + 32 * j, 4),
          dot_unsigned (u + 4, ab->qs + 32 * j + 16, 4)) : dot_unsigned (u, ab->qs + 32 * j, 8);
      isum[c] = _mm256_add_epi32 (isum[c], _mm256_mullo_epi32 (dot, sc));
      imin[c] = _mm256_add_epi32 (imin[c], _mm256_madd_epi16 (mn2, _mm256_set1_epi32 (word (ab->bsums + 2 * j))));
    }
  }
}

ALWAYS_INLINE void
int_iq4_xs (int C, int h, const char *p, const char *a, size_t as, int64_t i, __m256i *isum)
{
  const __m256i m4 = _mm256_set1_epi8 (0x0F);
  const __m256i book = _mm256_broadcastsi128_si256 (_mm_loadu_si128 ((const __m128i *) g4_iq4nl_values));
  const __m256i sl = load (p + G4_PACK_IQ4_XS_SCALES_L + 32 * h);
  const __m256i sh = _mm256_cvtepu16_epi32 (_mm_loadu_si128 ((const __m128i *) (p + G4_PACK_IQ4_XS_SCALES_H + 16 * h)));
#pragma GCC unroll 8
  for (int j = 0; j < 8; j++) {
    const __m256i sc = _mm256_sub_epi32 (_mm256_or_si256 (field (sl, 4 * j, 0xF),
            _mm256_slli_epi32 (field (sh, 2 * j, 3), 4)), _mm256_set1_epi32 (32));
    __m256i v[8];
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      const __m256i x = load (p + G4_PACK_IQ4_XS_QS + 64 * (4 * j + k) + 32 * h);
      v[k] = _mm256_shuffle_epi8 (book, _mm256_and_si256 (x, m4));
      v[k + 4] = _mm256_shuffle_epi8 (book, _mm256_and_si256 (_mm256_srli_epi16 (x, 4), m4));
    }
#pragma GCC unroll 4
    for (int c = 0; c < C; c++) {
      const block_q8_K *ab = (const block_q8_K *) (a + c * as) + i;
      isum[c] = _mm256_add_epi32 (isum[c], _mm256_mullo_epi32 (dot_signed (v, ab->qs + 32 * j), sc));
    }
  }
}

ALWAYS_INLINE void
int_q6_K (int C, int h8, const char *p, const char *a, size_t as, int64_t i, __m256i *isum)
{
  const __m256i m4 = _mm256_set1_epi8 (0x0F), m2 = _mm256_set1_epi8 (0x03);
#pragma GCC unroll 4
  for (int k = 0; k < 4; k++) {
    const __m256i sw = load (p + G4_PACK_Q6_K_SCALES + 64 * k + 32 * h8);
    const __m256i lo16 = _mm256_srai_epi16 (_mm256_slli_epi16 (sw, 8), 8), hi16 = _mm256_srai_epi16 (sw, 8);
    const __m256i keep_lo = _mm256_set1_epi32 (0xFFFF);
    const __m256i off[2] = {
      _mm256_mullo_epi16 (_mm256_or_si256 (_mm256_and_si256 (lo16, keep_lo), _mm256_slli_epi32 (hi16, 16)),
          _mm256_set1_epi16 (-32)),
      _mm256_mullo_epi16 (_mm256_or_si256 (_mm256_srli_epi32 (lo16, 16), _mm256_andnot_si256 (keep_lo, hi16)),
          _mm256_set1_epi16 (-32)),
    };
#pragma GCC unroll 2
    for (int g = 0; g < 2; g++) {
      const int h = k / 2, qq = 2 * (k % 2) + g;
      __m256i u[8];
#pragma GCC unroll 8
      for (int m = 0; m < 8; m++) {
        const __m256i l = load (p + G4_PACK_Q6_K_QL + 64 * (16 * h + 8 * (qq % 2) + m) + 32 * h8);
        const __m256i hb = load (p + G4_PACK_Q6_K_QH + 64 * (8 * h + m) + 32 * h8);
        const __m256i lo = qq / 2 ? _mm256_and_si256 (_mm256_srli_epi16 (l, 4), m4) : _mm256_and_si256 (l, m4);
        u[m] = _mm256_or_si256 (lo, _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (hb, 2 * qq), m2), 4));
      }
      const __m256i sc0 = _mm256_srai_epi32 (_mm256_slli_epi32 (sw, 24 - 16 * g), 24);
      const __m256i sc1 = _mm256_srai_epi32 (_mm256_slli_epi32 (sw, 16 - 16 * g), 24);
#pragma GCC unroll 4
      for (int c = 0; c < C; c++) {
        const block_q8_K *ab = (const block_q8_K *) (a + c * as) + i;
        const int8_t *aq = ab->qs + 128 * h + 32 * qq;
        const __m256i d0 = _mm256_add_epi32 (dot_unsigned (u, aq, 2), dot_unsigned (u + 2, aq + 8, 2));
        const __m256i d1 = _mm256_add_epi32 (dot_unsigned (u + 4, aq + 16, 2), dot_unsigned (u + 6, aq + 24, 2));
        isum[c] = _mm256_add_epi32 (isum[c], _mm256_mullo_epi32 (d0, sc0));
        isum[c] = _mm256_add_epi32 (isum[c], _mm256_mullo_epi32 (d1, sc1));
        isum[c] = _mm256_add_epi32 (isum[c], _mm256_madd_epi16 (off[g],
                _mm256_set1_epi32 (word (ab->bsums + 4 * k + 2 * g))));
      }
    }
  }
}

/* ---- one skeleton for every type ---------------------------------------- */

ALWAYS_INLINE void
packed_half (g4_type t, int C, int h, int64_t n, const char *w, const char *a,
    size_t as, const int32_t *sums, float *y, int64_t ldy)
{
  const bool k_quant = t != G4_TYPE_Q4_0 && t != G4_TYPE_Q8_0;
  const int64_t nb = n / (k_quant ? QK_K : QK8_0);
  const size_t gbs = t == G4_TYPE_Q4_0 ? G4_PACK_BLOCK_Q4_0 : t == G4_TYPE_Q8_0 ? G4_PACK_BLOCK_Q8_0
      : t == G4_TYPE_Q4_K ? G4_PACK_BLOCK_Q4_K : t == G4_TYPE_Q5_K ? G4_PACK_BLOCK_Q5_K
      : t == G4_TYPE_Q6_K ? G4_PACK_BLOCK_Q6_K
      : G4_PACK_BLOCK_IQ4_XS;
  __m256 acc[PACK_COLS];
#pragma GCC unroll 4
  for (int c = 0; c < C; c++)
    acc[c] = _mm256_setzero_ps ();
  for (int64_t b = 0; b < nb; b++) {
    const char *p = w + b * gbs;
    for (size_t off = 0; off < gbs; off += 64)
      _mm_prefetch (p + G4_PACK_PREFETCH + off, _MM_HINT_T0);
    __m256i isum[PACK_COLS], imin[PACK_COLS];
#pragma GCC unroll 4
    for (int c = 0; c < C; c++)
      isum[c] = imin[c] = _mm256_setzero_si256 ();
    if (!k_quant)
      int_q8_0_family (t, C, h, p, a, as, b, sums, nb, isum);
    else if (t == G4_TYPE_Q4_K || t == G4_TYPE_Q5_K)
      int_k4 (t, C, h, p, a, as, b, isum, imin);
    else if (t == G4_TYPE_Q6_K)
      int_q6_K (C, h, p, a, as, b, isum);
    else
      int_iq4_xs (C, h, p, a, as, b, isum);
    const __m256 dw = _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (p + 16 * h)));
#pragma GCC unroll 4
    for (int c = 0; c < C; c++) {
      const float da = k_quant ? ((const block_q8_K *) (a + c * as) + b)->d
          : _cvtsh_ss (((const block_q8_0 *) (a + c * as) + b)->d);
      acc[c] = _mm256_fmadd_ps (_mm256_cvtepi32_ps (isum[c]), _mm256_mul_ps (dw, _mm256_set1_ps (da)), acc[c]);
      if (t == G4_TYPE_Q4_K || t == G4_TYPE_Q5_K) {
        const __m256 dmw = _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (p + G4_PACK_Q4_K_DMIN + 16 * h)));
        acc[c] = _mm256_fnmadd_ps (_mm256_cvtepi32_ps (imin[c]), _mm256_mul_ps (dmw, _mm256_set1_ps (da)), acc[c]);
      }
    }
  }
#pragma GCC unroll 4
  for (int c = 0; c < C; c++)
    _mm256_storeu_ps (y + c * ldy + 8 * h, acc[c]);
}

/* One instance per column count, so every loop over columns is unrolled;
 * the exported kernel takes any nc. */
#define DEFINE_PACKED(NAME, TYPE)                                              \
  static void NAME##_c (int C, int h, int64_t n, const char *w, const char *a, \
      size_t as, const int32_t *sums, float *y, int64_t ldy)                   \
  {                                                                            \
    switch (C) {                                                               \
      case 4: packed_half (TYPE, 4, h, n, w, a, as, sums, y, ldy); break;      \
      case 3: packed_half (TYPE, 3, h, n, w, a, as, sums, y, ldy); break;      \
      case 2: packed_half (TYPE, 2, h, n, w, a, as, sums, y, ldy); break;      \
      default: packed_half (TYPE, 1, h, n, w, a, as, sums, y, ldy); break;     \
    }                                                                          \
  }                                                                            \
  void NAME (int64_t n, const void *restrict w, const void *restrict a,        \
      size_t as, const int32_t *restrict sums, int nc, float *restrict y,      \
      int64_t ldy)                                                             \
  {                                                                            \
    const int64_t nb = n / QK8_0;                                              \
    for (int c0 = 0; c0 < nc; c0 += PACK_COLS) {                               \
      const int C = nc - c0 < PACK_COLS ? nc - c0 : PACK_COLS;                 \
      for (int h = 0; h < 2; h++)                                              \
        NAME##_c (C, h, n, w, (const char *) a + c0 * as, as,                  \
            sums ? sums + c0 * nb : NULL, y + c0 * ldy, ldy);                  \
    }                                                                          \
  }

DEFINE_PACKED (gemm_packed_q4_0_avx2, G4_TYPE_Q4_0)
DEFINE_PACKED (gemm_packed_q8_0_avx2, G4_TYPE_Q8_0)
DEFINE_PACKED (gemm_packed_q4_K_avx2, G4_TYPE_Q4_K)
DEFINE_PACKED (gemm_packed_q5_K_avx2, G4_TYPE_Q5_K)
DEFINE_PACKED (gemm_packed_q6_K_avx2, G4_TYPE_Q6_K)
DEFINE_PACKED (gemm_packed_iq4_xs_avx2, G4_TYPE_IQ4_XS)
