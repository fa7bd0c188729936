/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AVX-512 VNNI kernels of the packed GEMM (packed.h): a 16-row group against
 * up to PACK_COLS activation rows. Per block, the group's quant words are
 * loaded (and unpacked to unsigned bytes) once; each activation row then
 * costs one dpbusd per 4 values with a broadcast 4-byte word for all 16
 * weight rows, the scales applied in int32 lanes (lane r is row r), and one
 * convert and FMA per block. Bit-identical to gemm_packed_*_scalar. */
#include <immintrin.h>
#include <string.h>

#include "packed.h"
#include "vec.h"

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))

/* the most activation rows one pass over a group takes */
#define PACK_COLS 8

ALWAYS_INLINE int32_t
word (const void *p)
{
  int32_t v;
  memcpy (&v, p, sizeof v);
  return v;
}

/* dot + sum over 4 words of u[k] . (the 4 bytes at q + 4k) */
ALWAYS_INLINE __m512i
dot_words (__m512i dot, const __m512i *u, const int8_t *q, int n_words)
{
#pragma GCC unroll 8
  for (int k = 0; k < n_words; k++)
    dot = _mm512_dpbusd_epi32 (dot, u[k], _mm512_set1_epi32 (word (q + 4 * k)));
  return dot;
}

/* lanes of v shifted right by s, low bits under mask */
ALWAYS_INLINE __m512i
field (__m512i v, int s, int mask)
{
  return _mm512_and_si512 (_mm512_srli_epi32 (v, s), _mm512_set1_epi32 (mask));
}

/* Both int16 halves of each lane: the low int16 of v (pairs of sub-blocks
 * against a pair of bsums). */
ALWAYS_INLINE __m512i
both_halves (__m512i v)
{
  return _mm512_or_si512 (_mm512_and_si512 (v, _mm512_set1_epi32 (0xFFFF)), _mm512_slli_epi32 (v, 16));
}

/* Bit j of each byte of qh, moved to bit 4 (no bit crosses a byte: the
 * shifts are at most 4). */
ALWAYS_INLINE __m512i
fifth_bit (__m512i qh, int j)
{
  const __m512i b = j <= 4 ? _mm512_slli_epi16 (qh, 4 - j) : _mm512_srli_epi16 (qh, j - 4);
  return _mm512_and_si512 (b, _mm512_set1_epi8 (0x10));
}

/* ---- the integer part of one block index, per weight type ------------- */

/* Q4_0 / Q8_0 block b: the dot minus K times the activation block's sum. */
ALWAYS_INLINE void
int_q8_0_family (g4_type t, int C, const char *p, const char *a, size_t as,
    int64_t b, const int32_t *sums, int64_t nb, __m512i *isum)
{
  const __m512i m4 = _mm512_set1_epi8 (0x0F);
  __m512i u[8];
  if (t == G4_TYPE_Q8_0) {
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++)
      u[k] = _mm512_loadu_si512 (p + G4_PACK_SCALES + 64 * k);
  } else {
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      const __m512i v = _mm512_loadu_si512 (p + G4_PACK_SCALES + 64 * k);
      u[k] = _mm512_and_si512 (v, m4);
      u[k + 4] = _mm512_and_si512 (_mm512_srli_epi16 (v, 4), m4);
    }
  }
  const int k_off = t == G4_TYPE_Q8_0 ? G4_PACK_K_Q8_0 : G4_PACK_K_Q4_0;
#pragma GCC unroll 8
  for (int c = 0; c < C; c++) {
    const block_q8_0 *ab = (const block_q8_0 *) (a + c * as) + b;
    isum[c] = dot_words (_mm512_set1_epi32 (-k_off * sums[c * nb + b]), u, ab->qs, 8);
  }
}

/* Q4_K or Q5_K super-block i: scales and mins unpacked once (byte j of
 * lane r: sub-block j of row r), each sub-block's nibbles once (Q5_K: with
 * bit j of the qh bytes as bit 4); the mins against the bsums pairs by
 * dpwssd. */
ALWAYS_INLINE void
int_k4 (g4_type t, int C, const char *p, const char *a, size_t as, int64_t i, __m512i *isum,
    __m512i *imin)
{
  const bool q5 = t == G4_TYPE_Q5_K;
  const size_t qs = q5 ? G4_PACK_Q5_K_QS : G4_PACK_Q4_K_QS;
  const __m512i m4 = _mm512_set1_epi8 (0x0F), m6 = _mm512_set1_epi8 (0x3F), top = _mm512_set1_epi8 (0x30);
  const __m512i s0 = _mm512_loadu_si512 (p + G4_PACK_Q4_K_SCALES);
  const __m512i s1 = _mm512_loadu_si512 (p + G4_PACK_Q4_K_SCALES + 64);
  const __m512i s2 = _mm512_loadu_si512 (p + G4_PACK_Q4_K_SCALES + 128);
  /* bytes of lane r: sc_lo scales 0-3, sc_hi 4-7, m_lo mins 0-3, m_hi 4-7 */
  const __m512i sc_lo = _mm512_and_si512 (s0, m6), m_lo = _mm512_and_si512 (s1, m6);
  const __m512i sc_hi = _mm512_or_si512 (_mm512_and_si512 (s2, m4),
      _mm512_and_si512 (_mm512_srli_epi32 (s0, 2), top));
  const __m512i m_hi = _mm512_or_si512 (_mm512_and_si512 (_mm512_srli_epi32 (s2, 4), m4),
      _mm512_and_si512 (_mm512_srli_epi32 (s1, 2), top));
#pragma GCC unroll 8
  for (int j = 0; j < 8; j++) {
    const __m512i sc = field (j < 4 ? sc_lo : sc_hi, 8 * (j % 4), 0xFF);
    const __m512i mn = both_halves (field (j < 4 ? m_lo : m_hi, 8 * (j % 4), 0xFF));
    __m512i u[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++) {
      const __m512i v = _mm512_loadu_si512 (p + qs + 64 * (8 * (j / 2) + k));
      u[k] = j % 2 ? _mm512_and_si512 (_mm512_srli_epi16 (v, 4), m4) : _mm512_and_si512 (v, m4);
      if (q5)
        u[k] = _mm512_or_si512 (u[k], fifth_bit (_mm512_loadu_si512 (p + G4_PACK_Q5_K_QH + 64 * k), j));
    }
#pragma GCC unroll 8
    for (int c = 0; c < C; c++) {
      const block_q8_K *ab = (const block_q8_K *) (a + c * as) + i;
      const __m512i dot = dot_words (_mm512_setzero_si512 (), u, ab->qs + 32 * j, 8);
      isum[c] = _mm512_add_epi32 (isum[c], _mm512_mullo_epi32 (dot, sc));
      imin[c] = _mm512_dpwssd_epi32 (imin[c], mn, _mm512_set1_epi32 (word (ab->bsums + 2 * j)));
    }
  }
}

/* IQ4_XS super-block i: the codebook lookup gives v + 128 (unsigned for
 * dpbusd); 128 * scale_j * sum(a_j) is taken back through the bsums pairs.
 * Sub-block j's 16 quant bytes are words 4j..4j+3: low nibbles values 0-15,
 * high nibbles 16-31. */
ALWAYS_INLINE void
int_iq4_xs (int C, const char *p, const char *a, size_t as, int64_t i, __m512i *isum)
{
  const __m512i m4 = _mm512_set1_epi8 (0x0F);
  const __m512i book = _mm512_broadcast_i32x4 (_mm_add_epi8 (
          _mm_loadu_si128 ((const __m128i *) g4_iq4nl_values), _mm_set1_epi8 ((char) 0x80)));
  const __m512i sl = _mm512_loadu_si512 (p + G4_PACK_IQ4_XS_SCALES_L);
  const __m512i sh = _mm512_cvtepu16_epi32 (_mm256_loadu_si256 ((const __m256i *) (p + G4_PACK_IQ4_XS_SCALES_H)));
#pragma GCC unroll 8
  for (int j = 0; j < 8; j++) {
    const __m512i sc = _mm512_sub_epi32 (_mm512_or_si512 (field (sl, 4 * j, 0xF),
            _mm512_slli_epi32 (field (sh, 2 * j, 3), 4)), _mm512_set1_epi32 (32));
    const __m512i off = both_halves (_mm512_mullo_epi32 (sc, _mm512_set1_epi32 (-128)));
    __m512i u[8];
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      const __m512i v = _mm512_loadu_si512 (p + G4_PACK_IQ4_XS_QS + 64 * (4 * j + k));
      u[k] = _mm512_shuffle_epi8 (book, _mm512_and_si512 (v, m4));
      u[k + 4] = _mm512_shuffle_epi8 (book, _mm512_and_si512 (_mm512_srli_epi16 (v, 4), m4));
    }
#pragma GCC unroll 8
    for (int c = 0; c < C; c++) {
      const block_q8_K *ab = (const block_q8_K *) (a + c * as) + i;
      const __m512i dot = dot_words (_mm512_setzero_si512 (), u, ab->qs + 32 * j, 8);
      isum[c] = _mm512_add_epi32 (isum[c], _mm512_mullo_epi32 (dot, sc));
      isum[c] = _mm512_dpwssd_epi32 (isum[c], off, _mm512_set1_epi32 (word (ab->bsums + 2 * j)));
    }
  }
}

/* Q6_K super-block i: u = q + 32 from 4 low bits in ql and 2 high bits in
 * qh; 16 sub-blocks of 16 values with signed 8-bit scales, the offset
 * -32 * scale_s * bsums[s] taken back by dpwssd over pairs of sub-blocks.
 * Values 128h + 32qq + 4m .. + 3 (m < 8) are ql word 16h + 8(qq % 2) + m
 * (nibble qq / 2) and qh word 8h + m (bits 2qq, 2qq + 1). */
ALWAYS_INLINE void
int_q6_K (int C, const char *p, const char *a, size_t as, int64_t i, __m512i *isum)
{
  const __m512i m4 = _mm512_set1_epi8 (0x0F), m2 = _mm512_set1_epi8 (0x03);
#pragma GCC unroll 4
  for (int k = 0; k < 4; k++) {
    /* scales 4k..4k+3 of each row: -32 times the pairs (4k, 4k+1) and
     * (4k+2, 4k+3) as int16 pairs, and each as int32 below */
    const __m512i sw = _mm512_loadu_si512 (p + G4_PACK_Q6_K_SCALES + 64 * k);
    const __m512i lo16 = _mm512_srai_epi16 (_mm512_slli_epi16 (sw, 8), 8), hi16 = _mm512_srai_epi16 (sw, 8);
    const __m512i keep_lo = _mm512_set1_epi32 (0xFFFF);
    const __m512i off[2] = {
      _mm512_mullo_epi16 (_mm512_or_si512 (_mm512_and_si512 (lo16, keep_lo), _mm512_slli_epi32 (hi16, 16)),
          _mm512_set1_epi16 (-32)),
      _mm512_mullo_epi16 (_mm512_or_si512 (_mm512_srli_epi32 (lo16, 16), _mm512_andnot_si512 (keep_lo, hi16)),
          _mm512_set1_epi16 (-32)),
    };
    /* sub-blocks 4k + 2g, 4k + 2g + 1 are the 32 values of (h, qq) = (k / 2, 2 (k % 2) + g) */
#pragma GCC unroll 2
    for (int g = 0; g < 2; g++) {
      const int h = k / 2, qq = 2 * (k % 2) + g;
      __m512i u[8];
#pragma GCC unroll 8
      for (int m = 0; m < 8; m++) {
        const __m512i l = _mm512_loadu_si512 (p + G4_PACK_Q6_K_QL + 64 * (16 * h + 8 * (qq % 2) + m));
        const __m512i hb = _mm512_loadu_si512 (p + G4_PACK_Q6_K_QH + 64 * (8 * h + m));
        const __m512i lo = qq / 2 ? _mm512_and_si512 (_mm512_srli_epi16 (l, 4), m4) : _mm512_and_si512 (l, m4);
        u[m] = _mm512_or_si512 (lo, _mm512_slli_epi16 (_mm512_and_si512 (_mm512_srli_epi16 (hb, 2 * qq), m2), 4));
      }
      const __m512i sc0 = _mm512_srai_epi32 (_mm512_slli_epi32 (sw, 24 - 16 * g), 24);
      const __m512i sc1 = _mm512_srai_epi32 (_mm512_slli_epi32 (sw, 16 - 16 * g), 24);
#pragma GCC unroll 8
      for (int c = 0; c < C; c++) {
        const block_q8_K *ab = (const block_q8_K *) (a + c * as) + i;
        const int8_t *aq = ab->qs + 128 * h + 32 * qq;
        const __m512i d0 = dot_words (_mm512_setzero_si512 (), u, aq, 4);
        const __m512i d1 = dot_words (_mm512_setzero_si512 (), u + 4, aq + 16, 4);
        isum[c] = _mm512_add_epi32 (isum[c], _mm512_mullo_epi32 (d0, sc0));
        isum[c] = _mm512_add_epi32 (isum[c], _mm512_mullo_epi32 (d1, sc1));
        isum[c] = _mm512_dpwssd_epi32 (isum[c], off[g], _mm512_set1_epi32 (word (ab->bsums + 4 * k + 2 * g)));
      }
    }
  }
}

/* ---- one skeleton for every type ---------------------------------------- */

ALWAYS_INLINE void
packed_tile (g4_type t, int C, int64_t n, const char *w, const char *a,
    size_t as, const int32_t *sums, float *y, int64_t ldy)
{
  const bool k_quant = t != G4_TYPE_Q4_0 && t != G4_TYPE_Q8_0;
  const int64_t nb = n / (k_quant ? QK_K : QK8_0);
  const size_t gbs = t == G4_TYPE_Q4_0 ? G4_PACK_BLOCK_Q4_0 : t == G4_TYPE_Q8_0 ? G4_PACK_BLOCK_Q8_0
      : t == G4_TYPE_Q4_K ? G4_PACK_BLOCK_Q4_K : t == G4_TYPE_Q5_K ? G4_PACK_BLOCK_Q5_K
      : t == G4_TYPE_Q6_K ? G4_PACK_BLOCK_Q6_K
      : G4_PACK_BLOCK_IQ4_XS;
  __m512 acc[PACK_COLS];
#pragma GCC unroll 8
  for (int c = 0; c < C; c++)
    acc[c] = _mm512_setzero_ps ();
  for (int64_t b = 0; b < nb; b++) {
    const char *p = w + b * gbs;
    for (size_t off = 0; off < gbs; off += 64)
      _mm_prefetch (p + G4_PACK_PREFETCH + off, _MM_HINT_T0);
    __m512i isum[PACK_COLS], imin[PACK_COLS];
#pragma GCC unroll 8
    for (int c = 0; c < C; c++)
      isum[c] = imin[c] = _mm512_setzero_si512 ();
    if (!k_quant)
      int_q8_0_family (t, C, p, a, as, b, sums, nb, isum);
    else if (t == G4_TYPE_Q4_K || t == G4_TYPE_Q5_K)
      int_k4 (t, C, p, a, as, b, isum, imin);
    else if (t == G4_TYPE_Q6_K)
      int_q6_K (C, p, a, as, b, isum);
    else
      int_iq4_xs (C, p, a, as, b, isum);
    const __m512 dw = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) p));
#pragma GCC unroll 8
    for (int c = 0; c < C; c++) {
      const float da = k_quant ? ((const block_q8_K *) (a + c * as) + b)->d
          : _cvtsh_ss (((const block_q8_0 *) (a + c * as) + b)->d);
      acc[c] = _mm512_fmadd_ps (_mm512_cvtepi32_ps (isum[c]), _mm512_mul_ps (dw, _mm512_set1_ps (da)), acc[c]);
      if (t == G4_TYPE_Q4_K || t == G4_TYPE_Q5_K) {
        const __m512 dmw = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (p + G4_PACK_Q4_K_DMIN)));
        acc[c] = _mm512_fnmadd_ps (_mm512_cvtepi32_ps (imin[c]), _mm512_mul_ps (dmw, _mm512_set1_ps (da)), acc[c]);
      }
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < C; c++)
    _mm512_storeu_ps (y + c * ldy, acc[c]);
}

/* ---- two groups at once, the Q8_0 family ------------------------------ */

/* the most activation rows one pass over a pair of groups takes */
#define PAIR_COLS 6

/* Word k (4 values) of the 16 rows of group block p, as unsigned bytes. */
ALWAYS_INLINE __m512i
q8_0_family_word (g4_type t, const char *p, int k)
{
  if (t == G4_TYPE_Q8_0)
    return _mm512_loadu_si512 (p + G4_PACK_SCALES + 64 * k);
  const __m512i v = _mm512_loadu_si512 (p + G4_PACK_SCALES + 64 * (k % 4));
  const __m512i m4 = _mm512_set1_epi8 (0x0F);
  return k < 4 ? _mm512_and_si512 (v, m4) : _mm512_and_si512 (_mm512_srli_epi16 (v, 4), m4);
}

/* Groups w and w + gs against C activation rows: each broadcast activation
 * word serves both groups' rows, which halves the broadcasts, what bounds
 * the one-group kernel on the many-row products (a broadcast and a dpbusd
 * issue at about 1.2 pairs a cycle on Zen 4, dpbusd alone at 2). E2B-sized
 * Q8_0 768x3072 at 720 rows on one thread: 286 -> 346 G MAC/s; three groups
 * of 4 rows measured the same as two of 6. Each output is the same integer
 * dot and the same FMA per block as packed_tile's. */
ALWAYS_INLINE void
pair_tile (g4_type t, int C, int64_t n, const char *w, size_t gs, const char *a, size_t as,
    const int32_t *sums, float *y, int64_t ldy)
{
  const int64_t nb = n / QK8_0;
  const size_t gbs = t == G4_TYPE_Q4_0 ? G4_PACK_BLOCK_Q4_0 : G4_PACK_BLOCK_Q8_0;
  const int k_off = t == G4_TYPE_Q8_0 ? G4_PACK_K_Q8_0 : G4_PACK_K_Q4_0;
  __m512 acc[2][PAIR_COLS];
#pragma GCC unroll 8
  for (int c = 0; c < C; c++)
#pragma GCC unroll 2
    for (int g = 0; g < 2; g++)
      acc[g][c] = _mm512_setzero_ps ();
  for (int64_t b = 0; b < nb; b++) {
    const char *p = w + b * gbs;
#pragma GCC unroll 2
    for (int g = 0; g < 2; g++)
      for (size_t off = 0; off < gbs; off += 64)
        _mm_prefetch (p + g * gs + G4_PACK_PREFETCH + off, _MM_HINT_T0);
    __m512i isum[2][PAIR_COLS];
#pragma GCC unroll 8
    for (int c = 0; c < C; c++)
#pragma GCC unroll 2
      for (int g = 0; g < 2; g++)
        isum[g][c] = _mm512_set1_epi32 (-k_off * sums[c * nb + b]);
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++) {
      __m512i u[2];
#pragma GCC unroll 2
      for (int g = 0; g < 2; g++)
        u[g] = q8_0_family_word (t, p + g * gs, k);
#pragma GCC unroll 8
      for (int c = 0; c < C; c++) {
        const block_q8_0 *ab = (const block_q8_0 *) (a + c * as) + b;
        const __m512i x = _mm512_set1_epi32 (word (ab->qs + 4 * k));
#pragma GCC unroll 2
        for (int g = 0; g < 2; g++)
          isum[g][c] = _mm512_dpbusd_epi32 (isum[g][c], u[g], x);
      }
    }
    __m512 dw[2];
#pragma GCC unroll 2
    for (int g = 0; g < 2; g++)
      dw[g] = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (p + g * gs)));
#pragma GCC unroll 8
    for (int c = 0; c < C; c++) {
      const __m512 da = _mm512_set1_ps (_cvtsh_ss (((const block_q8_0 *) (a + c * as) + b)->d));
#pragma GCC unroll 2
      for (int g = 0; g < 2; g++)
        acc[g][c] = _mm512_fmadd_ps (_mm512_cvtepi32_ps (isum[g][c]), _mm512_mul_ps (dw[g], da), acc[g][c]);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < C; c++)
#pragma GCC unroll 2
    for (int g = 0; g < 2; g++)
      _mm512_storeu_ps (y + c * ldy + g * G4_PACK_ROWS, acc[g][c]);
}

#define DEFINE_PAIR(NAME, TYPE)                                                \
  static void NAME##_c (int C, int64_t n, const char *w, size_t gs,            \
      const char *a, size_t as, const int32_t *sums, float *y, int64_t ldy)    \
  {                                                                            \
    switch (C) {                                                               \
      case 6: pair_tile (TYPE, 6, n, w, gs, a, as, sums, y, ldy); break;       \
      case 5: pair_tile (TYPE, 5, n, w, gs, a, as, sums, y, ldy); break;       \
      case 4: pair_tile (TYPE, 4, n, w, gs, a, as, sums, y, ldy); break;       \
      case 3: pair_tile (TYPE, 3, n, w, gs, a, as, sums, y, ldy); break;       \
      case 2: pair_tile (TYPE, 2, n, w, gs, a, as, sums, y, ldy); break;       \
      default: pair_tile (TYPE, 1, n, w, gs, a, as, sums, y, ldy); break;      \
    }                                                                          \
  }                                                                            \
  void NAME (int64_t n, const void *restrict w, size_t gs,                     \
      const void *restrict a, size_t as, const int32_t *restrict sums, int nc, \
      float *restrict y, int64_t ldy)                                          \
  {                                                                            \
    const int64_t nb = n / QK8_0;                                              \
    for (int c0 = 0; c0 < nc; c0 += PAIR_COLS) {                               \
      const int C = nc - c0 < PAIR_COLS ? nc - c0 : PAIR_COLS;                 \
      NAME##_c (C, n, w, gs, (const char *) a + c0 * as, as, sums + c0 * nb,   \
          y + c0 * ldy, ldy);                                                  \
    }                                                                          \
  }

DEFINE_PAIR (gemm_packed_pair_q4_0_avx512, G4_TYPE_Q4_0)
DEFINE_PAIR (gemm_packed_pair_q8_0_avx512, G4_TYPE_Q8_0)

/* One instance per column count, so every loop over columns is unrolled;
 * the exported kernel takes any nc. */
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
      NAME##_c (C, n, w, (const char *) a + c0 * as, as,                       \
          sums ? sums + c0 * nb : NULL, y + c0 * ldy, ldy);                    \
    }                                                                          \
  }

DEFINE_PACKED (gemm_packed_q4_0_avx512, G4_TYPE_Q4_0)
DEFINE_PACKED (gemm_packed_q8_0_avx512, G4_TYPE_Q8_0)
DEFINE_PACKED (gemm_packed_q4_K_avx512, G4_TYPE_Q4_K)
DEFINE_PACKED (gemm_packed_q5_K_avx512, G4_TYPE_Q5_K)
DEFINE_PACKED (gemm_packed_q6_K_avx512, G4_TYPE_Q6_K)
DEFINE_PACKED (gemm_packed_iq4_xs_avx512, G4_TYPE_IQ4_XS)
