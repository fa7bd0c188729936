/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AVX2 + FMA + F16C versions of the row kernels, compiled with their own flags
 * and chosen at run time by dispatch.c. Each function names the scalar
 * function in vec_scalar.c / quantize_act.c it must equal: the quantizers
 * byte for byte, the dots up to float summation order (the integer sums are
 * exact). Types without a function here run the scalar kernel. */
#include <immintrin.h>
#include <stddef.h>
#include <string.h>

#include "quant_blocks.h"
#include "quant_helpers.h"
#include "vec.h"

/* The family kernels below take the weight type as a constant; inlining
 * specializes them into one plain loop per exported function. */
#define ALWAYS_INLINE static inline __attribute__ ((always_inline))

/* ---- helpers ----------------------------------------------------------- */

static inline float
fp16 (g4_half h)
{
  return _cvtsh_ss (h);
}

static inline float
hsum_ps (__m256 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));
  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

/* the sum of four accumulators */
static inline float
hsum_ps4 (const __m256 acc[4])
{
  return hsum_ps (_mm256_add_ps (_mm256_add_ps (acc[0], acc[1]), _mm256_add_ps (acc[2], acc[3])));
}

static inline float
hmax_ps (__m256 v)
{
  __m128 m = _mm_max_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));
  m = _mm_max_ps (m, _mm_movehl_ps (m, m));
  m = _mm_max_ss (m, _mm_movehdup_ps (m));
  return _mm_cvtss_f32 (m);
}

static inline int
hsum_epi32 (__m256i v)
{
  __m128i s = _mm_add_epi32 (_mm256_castsi256_si128 (v), _mm256_extracti128_si256 (v, 1));
  s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, _MM_SHUFFLE (1, 0, 3, 2)));
  s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, _MM_SHUFFLE (2, 3, 0, 1)));
  return _mm_cvtsi128_si32 (s);
}

/* 16 bytes of packed nibbles -> 32 values 0..15: low nibbles, then high. */
static inline __m256i
split_nibbles (const uint8_t *qs)
{
  const __m128i b = _mm_loadu_si128 ((const __m128i *) qs);
  const __m128i m = _mm_set1_epi8 (0x0F);
  return _mm256_set_m128i (_mm_and_si128 (_mm_srli_epi16 (b, 4), m), _mm_and_si128 (b, m));
}

/* Q5_0 / Q5_1 keep the fifth bit of value j in bit j of the little-endian
 * word qh (bit j % 8 of byte j / 8). Byte j of the result is 0xFF where that
 * bit is set, else 0: multiplying byte k of qh by 0x0101...01 copies it into
 * the eight bytes of 64-bit lane k, and byte j of the lane keeps only its own
 * bit j % 8 (the and with 1 << (j % 8) per byte), which the compare widens. */
static inline __m256i
fifth_bit_mask (const uint8_t qh[4])
{
  const uint64_t spread = 0x0101010101010101ull;
  const __m256i lanes = _mm256_setr_epi64x ((long long) (qh[0] * spread),
      (long long) (qh[1] * spread), (long long) (qh[2] * spread), (long long) (qh[3] * spread));
  const __m256i own_bit = _mm256_set1_epi64x ((long long) 0x8040201008040201ull);
  return _mm256_cmpeq_epi8 (_mm256_and_si256 (lanes, own_bit), own_bit);
}

/* Unsigned x signed bytes -> 8 int32 lane sums; |u * s| pairs fit int16 for
 * u <= 128 and |s| <= 127, which all callers guarantee. */
static inline __m256i
dot_u8_i8 (__m256i u, __m256i s)
{
  return _mm256_madd_epi16 (_mm256_maddubs_epi16 (u, s), _mm256_set1_epi16 (1));
}

/* Signed x signed bytes: move x's sign onto y so x can be unsigned. */
static inline __m256i
dot_i8_i8 (__m256i x, __m256i y)
{
  return dot_u8_i8 (_mm256_sign_epi8 (x, x), _mm256_sign_epi8 (y, x));
}

/* lanes i < k all ones: the tail mask of maskload */
static inline __m256i
first_lanes (int64_t k)
{
  return _mm256_cmpgt_epi32 (_mm256_set1_epi32 ((int) k),
      _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7));
}

/* ---- activation quantizers --------------------------------------------- */

/* roundf: half away from zero, which no AVX rounding mode does. x - trunc(x)
 * is exact, so comparing it with 0.5 decides like roundf. */
static inline __m256
round_half_away (__m256 x)
{
  const __m256 t = _mm256_round_ps (x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 sign = _mm256_and_ps (x, _mm256_set1_ps (-0.0f));
  const __m256 frac = _mm256_andnot_ps (_mm256_set1_ps (-0.0f), _mm256_sub_ps (x, t));
  const __m256 up = _mm256_cmp_ps (frac, _mm256_set1_ps (0.5f), _CMP_GE_OQ);
  return _mm256_add_ps (t, _mm256_and_ps (up, _mm256_or_ps (sign, _mm256_set1_ps (1.0f))));
}

/* 4 x 8 int32 in [-128, 127] -> 32 int8 in order. */
static inline __m256i
pack_i32_to_i8 (__m256i a, __m256i b, __m256i c, __m256i d)
{
  const __m256i ab = _mm256_packs_epi32 (a, b), cd = _mm256_packs_epi32 (c, d);
  /* packs works per 128-bit lane: undo the interleave */
  return _mm256_permutevar8x32_epi32 (_mm256_packs_epi16 (ab, cd),
      _mm256_setr_epi32 (0, 4, 1, 5, 2, 6, 3, 7));
}

/* One block of 32 as quantize_block_q8 in quantize_act.c: the quants as
 * int32 lanes in q; returns d unrounded. */
ALWAYS_INLINE float
quantize_block_q8_avx2 (const float *x, __m256i q[4])
{
  const __m256 abs_mask = _mm256_castsi256_ps (_mm256_set1_epi32 (0x7fffffff));
  __m256 v[4];
  __m256 amax = _mm256_setzero_ps ();
  for (int k = 0; k < 4; k++) {
    v[k] = _mm256_loadu_ps (x + 8 * k);
    amax = _mm256_max_ps (amax, _mm256_and_ps (v[k], abs_mask));
  }
  const float d = hmax_ps (amax) / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int k = 0; k < 4; k++)
    q[k] = _mm256_cvttps_epi32 (round_half_away (_mm256_mul_ps (v[k], _mm256_set1_ps (id))));
  return d;
}

/* Must equal quantize_row_q8_0_scalar byte for byte. */
void
quantize_row_q8_0_avx2 (const float *restrict x, void *restrict vy, int64_t n)
{
  block_q8_0 *restrict y = vy;
  for (int64_t i = 0; i < n / QK8_0; i++, x += QK8_0) {
    __m256i q[4];
    y[i].d = g4_fp32_to_fp16 (quantize_block_q8_avx2 (x, q));
    _mm256_storeu_si256 ((__m256i *) y[i].qs, pack_i32_to_i8 (q[0], q[1], q[2], q[3]));
  }
}

/* Must equal quantize_row_q8_1_scalar byte for byte. */
void
quantize_row_q8_1_avx2 (const float *restrict x, void *restrict vy, int64_t n)
{
  block_q8_1 *restrict y = vy;
  for (int64_t i = 0; i < n / QK8_1; i++, x += QK8_1) {
    __m256i q[4];
    const float d = quantize_block_q8_avx2 (x, q);
    const int sum = hsum_epi32 (_mm256_add_epi32 (_mm256_add_epi32 (q[0], q[1]), _mm256_add_epi32 (q[2], q[3])));
    _mm256_storeu_si256 ((__m256i *) y[i].qs, pack_i32_to_i8 (q[0], q[1], q[2], q[3]));
    y[i].d = g4_fp32_to_fp16 (d);
    y[i].s = g4_fp32_to_fp16 ((float) sum * d);
  }
}

/* Must equal quantize_row_q8_K_scalar byte for byte (rintf = cvtps under the
 * default rounding mode). */
void
quantize_row_q8_K_avx2 (const float *restrict x, void *restrict vy, int64_t n)
{
  block_q8_K *restrict y = vy;
  const __m256 abs_mask = _mm256_castsi256_ps (_mm256_set1_epi32 (0x7fffffff));
  for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
    __m256 amax8 = _mm256_setzero_ps ();
    for (int j = 0; j < QK_K; j += 8)
      amax8 = _mm256_max_ps (amax8, _mm256_and_ps (_mm256_loadu_ps (x + j), abs_mask));
    const float amax = hmax_ps (amax8);
    if (amax == 0.0f) {
      memset (&y[i], 0, sizeof y[i]);
      continue;
    }
    /* the scalar keeps the first value of largest magnitude, sign included */
    float max = 0.0f;
    for (int j = 0; j < QK_K; j += 8) {
      __m256 eq = _mm256_cmp_ps (_mm256_and_ps (_mm256_loadu_ps (x + j), abs_mask),
          _mm256_set1_ps (amax), _CMP_EQ_OQ);
      int bits = _mm256_movemask_ps (eq);
      if (bits) {
        max = x[j + __builtin_ctz ((unsigned) bits)];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const __m256 vs = _mm256_set1_ps (iscale);
    const __m256i ones = _mm256_set1_epi16 (1);
    for (int j = 0; j < QK_K; j += 32) {
      __m256i q[4];
      for (int k = 0; k < 4; k++) {
        q[k] = _mm256_cvtps_epi32 (_mm256_mul_ps (_mm256_loadu_ps (x + j + 8 * k), vs));
        q[k] = _mm256_min_epi32 (q[k], _mm256_set1_epi32 (127));
      }
      const __m256i q8 = pack_i32_to_i8 (q[0], q[1], q[2], q[3]);
      _mm256_storeu_si256 ((__m256i *) (y[i].qs + j), q8);
      /* two sums of 16: widen to int16, pair-add, then fold the 8 pairs */
      __m256i s16 = _mm256_madd_epi16 (_mm256_cvtepi8_epi16 (_mm256_castsi256_si128 (q8)), ones);
      __m256i t16 = _mm256_madd_epi16 (_mm256_cvtepi8_epi16 (_mm256_extracti128_si256 (q8, 1)), ones);
      y[i].bsums[j / 16] = (int16_t) hsum_epi32 (s16);
      y[i].bsums[j / 16 + 1] = (int16_t) hsum_epi32 (t16);
    }
    y[i].d = 1.0f / iscale;
  }
}

/* ---- float weights ------------------------------------------------------ */

/* Must equal vec_dot_f32_f32_scalar (up to summation order). */
float
vec_dot_f32_f32_avx2 (int64_t n, const void *restrict vw, const void *restrict va)
{
  const float *restrict w = vw, *restrict a = va;
  __m256 acc[4] = { _mm256_setzero_ps (), _mm256_setzero_ps (), _mm256_setzero_ps (),
    _mm256_setzero_ps () };
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int k = 0; k < 4; k++)
      acc[k] = _mm256_fmadd_ps (_mm256_loadu_ps (w + i + 8 * k), _mm256_loadu_ps (a + i + 8 * k), acc[k]);
  for (; i + 8 <= n; i += 8)
    acc[0] = _mm256_fmadd_ps (_mm256_loadu_ps (w + i), _mm256_loadu_ps (a + i), acc[0]);
  if (i < n) {
    const __m256i m = first_lanes (n - i);
    acc[1] = _mm256_fmadd_ps (_mm256_maskload_ps (w + i, m), _mm256_maskload_ps (a + i, m), acc[1]);
  }
  return hsum_ps4 (acc);
}

/* 8 halves or bfloat16s from p, or the first k (< 8) of them and zeros. */
static inline __m128i
load_u16x8 (const uint16_t *p, int64_t k)
{
  if (k >= 8)
    return _mm_loadu_si128 ((const __m128i *) p);
  uint16_t buf[8] = { 0 };
  memcpy (buf, p, (size_t) k * sizeof *p);
  return _mm_loadu_si128 ((const __m128i *) buf);
}

static inline __m256
bf16x8_to_ps (__m128i h)
{
  return _mm256_castsi256_ps (_mm256_slli_epi32 (_mm256_cvtepu16_epi32 (h), 16));
}

/* 8 F16 or BF16 weights from p as floats, or the first k (< 8) and zeros. */
ALWAYS_INLINE __m256
load_halves_ps (g4_type t, const uint16_t *p, int64_t k)
{
  const __m128i h = load_u16x8 (p, k);
  return t == G4_TYPE_F16 ? _mm256_cvtph_ps (h) : bf16x8_to_ps (h);
}

/* F16 or BF16 weights against f32 activations. */
ALWAYS_INLINE float
dot_half_f32 (g4_type t, int64_t n, const uint16_t *restrict w, const float *restrict a)
{
  __m256 acc[4] = { _mm256_setzero_ps (), _mm256_setzero_ps (), _mm256_setzero_ps (),
    _mm256_setzero_ps () };
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int k = 0; k < 4; k++)
      acc[k] = _mm256_fmadd_ps (load_halves_ps (t, w + i + 8 * k, 8),
          _mm256_loadu_ps (a + i + 8 * k), acc[k]);
  for (; i < n; i += 8) {
    const __m256i m = first_lanes (n - i);
    acc[0] = _mm256_fmadd_ps (load_halves_ps (t, w + i, n - i), _mm256_maskload_ps (a + i, m), acc[0]);
  }
  return hsum_ps4 (acc);
}

/* Must equal vec_dot_f16_f32_scalar (up to summation order). */
float
vec_dot_f16_f32_avx2 (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_half_f32 (G4_TYPE_F16, n, w, a);
}

/* Must equal vec_dot_bf16_f32_scalar (up to summation order). */
float
vec_dot_bf16_f32_avx2 (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_half_f32 (G4_TYPE_BF16, n, w, a);
}

/* ---- 32-value blocks against Q8_0 and Q8_1 ----------------------------- */

/* Q5_0 values q - 16 as signed bytes: the nibble, with 0xF0 or-ed in where
 * the fifth bit is clear (nibble - 16 in two's complement). */
static inline __m256i
q5_0_values (const block_q5_0 *b)
{
  const __m256i hbit = fifth_bit_mask (b->qh);
  return _mm256_or_si256 (split_nibbles (b->qs), _mm256_andnot_si256 (hbit, _mm256_set1_epi8 ((char) 0xF0)));
}

/* the IQ4_NL codebook in both 128-bit lanes, for pshufb */
static inline __m256i
iq4nl_table (void)
{
  const __m128i t = _mm_loadu_si128 ((const __m128i *) g4_iq4nl_values);
  return _mm256_set_m128i (t, t);
}

/* Block i of a Q4_0, Q5_0, IQ4_NL or Q8_0 row: its 32 values q as signed
 * bytes (w = d * q, as unpack_block32) and its scale d. */
ALWAYS_INLINE __m256i
signed_block32 (g4_type t, const void *w, int64_t i, g4_half *d)
{
  switch (t) {
    case G4_TYPE_Q4_0: {
      const block_q4_0 *b = (const block_q4_0 *) w + i;
      *d = b->d;
      return _mm256_sub_epi8 (split_nibbles (b->qs), _mm256_set1_epi8 (8));
    }
    case G4_TYPE_Q5_0: {
      const block_q5_0 *b = (const block_q5_0 *) w + i;
      *d = b->d;
      return q5_0_values (b);
    }
    case G4_TYPE_IQ4_NL: {
      const block_iq4_nl *b = (const block_iq4_nl *) w + i;
      *d = b->d;
      return _mm256_shuffle_epi8 (iq4nl_table (), split_nibbles (b->qs));
    }
    default: {
      const block_q8_0 *b = (const block_q8_0 *) w + i;
      *d = b->d;
      return _mm256_loadu_si256 ((const __m256i *) b->qs);
    }
  }
}

/* acc + (q . a) * (d * d_a) for block i */
ALWAYS_INLINE __m256
fma_block32_q8_0 (g4_type t, const void *w, const block_q8_0 *a, int64_t i, __m256 acc)
{
  g4_half d;
  const __m256i x = signed_block32 (t, w, i, &d);
  const __m256i p = dot_i8_i8 (x, _mm256_loadu_si256 ((const __m256i *) a[i].qs));
  return _mm256_fmadd_ps (_mm256_cvtepi32_ps (p), _mm256_set1_ps (fp16 (d) * fp16 (a[i].d)), acc);
}

/* Two blocks per step into two accumulators, so that one block's unpacking
 * overlaps the other's multiply. */
ALWAYS_INLINE float
dot_block32_q8_0 (g4_type t, int64_t n, const void *w, const block_q8_0 *a)
{
  const int64_t nb = n / 32;
  __m256 acc0 = _mm256_setzero_ps (), acc1 = _mm256_setzero_ps ();
  int64_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    acc0 = fma_block32_q8_0 (t, w, a, i, acc0);
    acc1 = fma_block32_q8_0 (t, w, a, i + 1, acc1);
  }
  if (i < nb)
    acc0 = fma_block32_q8_0 (t, w, a, i, acc0);
  return hsum_ps (_mm256_add_ps (acc0, acc1));
}

/* Must equal vec_dot_q4_0_q8_0_scalar (up to summation order). */
float
vec_dot_q4_0_q8_0_avx2 (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_block32_q8_0 (G4_TYPE_Q4_0, n, w, a);
}

/* Must equal vec_dot_q5_0_q8_0_scalar (up to summation order). */
float
vec_dot_q5_0_q8_0_avx2 (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_block32_q8_0 (G4_TYPE_Q5_0, n, w, a);
}

/* Must equal vec_dot_iq4_nl_q8_0_scalar (up to summation order). */
float
vec_dot_iq4_nl_q8_0_avx2 (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_block32_q8_0 (G4_TYPE_IQ4_NL, n, w, a);
}

/* Must equal vec_dot_q8_0_q8_0_scalar (up to summation order). */
float
vec_dot_q8_0_q8_0_avx2 (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_block32_q8_0 (G4_TYPE_Q8_0, n, w, a);
}

/* Q4_1 / Q5_1 against Q8_1: the values q unsigned (w = d * q + m), the m
 * term from the activation sums carried in a.s. */
ALWAYS_INLINE float
dot_block32_q8_1 (g4_type t, int64_t n, const void *w, const block_q8_1 *a)
{
  __m256 acc = _mm256_setzero_ps ();
  float offset = 0.0f;
  for (int64_t i = 0; i < n / 32; i++) {
    const block_q4_1 *b4 = (const block_q4_1 *) w + i;
    const block_q5_1 *b5 = (const block_q5_1 *) w + i;
    __m256i q;
    g4_half d, m;
    if (t == G4_TYPE_Q5_1) {
      const __m256i hbit = _mm256_and_si256 (fifth_bit_mask (b5->qh), _mm256_set1_epi8 (0x10));
      q = _mm256_or_si256 (split_nibbles (b5->qs), hbit);
      d = b5->d;
      m = b5->m;
    } else {
      q = split_nibbles (b4->qs);
      d = b4->d;
      m = b4->m;
    }
    const __m256i p = dot_u8_i8 (q, _mm256_loadu_si256 ((const __m256i *) a[i].qs));
    acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p), _mm256_set1_ps (fp16 (d) * fp16 (a[i].d)), acc);
    offset += fp16 (m) * fp16 (a[i].s);
  }
  return hsum_ps (acc) + offset;
}

/* Must equal vec_dot_q4_1_q8_1_scalar (up to summation order). */
float
vec_dot_q4_1_q8_1_avx2 (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_block32_q8_1 (G4_TYPE_Q4_1, n, w, a);
}

/* Must equal vec_dot_q5_1_q8_1_scalar (up to summation order). */
float
vec_dot_q5_1_q8_1_avx2 (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_block32_q8_1 (G4_TYPE_Q5_1, n, w, a);
}

/* ---- K-quants against Q8_K: exact integer sums per super-block ---------- */

/* sum_j m[j] * (bsums[2j] + bsums[2j + 1]) for the 8 mins of Q4_K / Q5_K */
static inline int
mins_dot_bsums (const uint8_t m[8], const int16_t *bsums)
{
  const __m128i m16 = _mm_cvtepu8_epi16 (_mm_loadl_epi64 ((const __m128i *) m));
  const __m256i pairs = _mm256_set_m128i (_mm_unpackhi_epi16 (m16, m16), _mm_unpacklo_epi16 (m16, m16));
  return hsum_epi32 (_mm256_madd_epi16 (pairs, _mm256_loadu_si256 ((const __m256i *) bsums)));
}

/* Bit j of each byte moved to bit 4 (the 16-bit shifts never carry a
 * neighbour's bit into bit 4 for j < 8). */
static inline __m256i
bit_to_16 (__m256i v, int j)
{
  const __m256i b = j <= 4 ? _mm256_slli_epi16 (v, 4 - j) : _mm256_srli_epi16 (v, j - 4);
  return _mm256_and_si256 (b, _mm256_set1_epi8 (0x10));
}

/* int16 scale s0 for lanes 0-7 (values 0-15 after maddubs) and s1 for 8-15 */
static inline __m256i
scales_16_16 (int s0, int s1)
{
  return _mm256_set_m128i (_mm_set1_epi16 ((short) s1), _mm_set1_epi16 ((short) s0));
}

/* Bit b of each byte moved to bit 2 (no neighbour's bit reaches bit 2). */
static inline __m256i
bit_to_4 (__m256i v, int b)
{
  const __m256i t = b >= 2 ? _mm256_srli_epi16 (v, b - 2) : _mm256_slli_epi16 (v, 2 - b);
  return _mm256_and_si256 (t, _mm256_set1_epi8 (0x04));
}

/* sum_j s[j] * bsums[j] for 16 int16 scales s, one per 16 activations */
static inline int
scales_dot_bsums (__m256i s16, const int16_t bsums[16])
{
  return hsum_epi32 (_mm256_madd_epi16 (s16, _mm256_loadu_si256 ((const __m256i *) bsums)));
}

/* Q2_K and Q3_K: 16 sub-blocks of 16 values u with a signed scale each, u
 * the 2-bit value (Q2_K) or q + 4 = the 2 low bits + 4 * the hmask bit
 * (Q3_K, 0..7; the -4 comes back as 4 * sum_j sc[j] * bsums[j]). */
ALWAYS_INLINE float
dot_k2_q8_K (g4_type t, int64_t n, const void *w, const block_q8_K *a)
{
  const __m256i m2 = _mm256_set1_epi8 (3);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const block_q2_K *b2 = (const block_q2_K *) w + i;
    const block_q3_K *b3 = (const block_q3_K *) w + i;
    const uint8_t *qs = t == G4_TYPE_Q2_K ? b2->qs : b3->qs;
    int8_t sc[16];
    if (t == G4_TYPE_Q2_K)
      for (int j = 0; j < 16; j++)
        sc[j] = (int8_t) (b2->scales[j] & 0xF);
    else
      unpack_scales_q3_K (b3->scales, sc);
    const __m256i hm = t == G4_TYPE_Q3_K ? _mm256_loadu_si256 ((const __m256i *) b3->hmask)
        : _mm256_setzero_si256 ();
    __m256i acc = _mm256_setzero_si256 ();
    for (int h = 0; h < 2; h++) {
      const __m256i q = _mm256_loadu_si256 ((const __m256i *) (qs + 32 * h));
      for (int s = 0; s < 4; s++) {
        const int j = 8 * h + 2 * s;    /* sub-block of the first 16 values */
        __m256i u = _mm256_and_si256 (_mm256_srli_epi16 (q, 2 * s), m2);
        if (t == G4_TYPE_Q3_K)
          u = _mm256_or_si256 (u, bit_to_4 (hm, 4 * h + s));
        const __m256i y = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 128 * h + 32 * s));
        acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (_mm256_maddubs_epi16 (u, y),
                scales_16_16 (sc[j], sc[j + 1])));
      }
    }
    if (t == G4_TYPE_Q2_K) {
      const __m256i mins = _mm256_srli_epi16 (_mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) b2->scales)), 4);
      const int summs = scales_dot_bsums (mins, a[i].bsums);
      sum += a[i].d * fp16 (b2->d) * (float) hsum_epi32 (acc) - a[i].d * fp16 (b2->dmin) * (float) summs;
    } else {
      const int offset = scales_dot_bsums (_mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *) sc)), a[i].bsums);
      sum += a[i].d * fp16 (b3->d) * (float) (hsum_epi32 (acc) - 4 * offset);
    }
  }
  return sum;
}

/* Must equal vec_dot_q2_K_q8_K_scalar (up to float rounding). */
float
vec_dot_q2_K_q8_K_avx2 (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_k2_q8_K (G4_TYPE_Q2_K, n, w, a);
}

/* Must equal vec_dot_q3_K_q8_K_scalar (up to float rounding). */
float
vec_dot_q3_K_q8_K_avx2 (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_k2_q8_K (G4_TYPE_Q3_K, n, w, a);
}

/* Q4_K and Q5_K (which adds a fifth bit): 8 sub-blocks of 32 with 6-bit
 * scales and mins. Both blocks start with d, dmin and the scales, read
 * through block_q4_K. */
static_assert (offsetof (block_q5_K, scales) == offsetof (block_q4_K, scales)
    && offsetof (block_q5_K, dmin) == offsetof (block_q4_K, dmin), "Q4_K / Q5_K heads");

ALWAYS_INLINE float
dot_k4_q8_K (g4_type t, int64_t n, const void *w, const block_q8_K *a)
{
  const __m256i low4 = _mm256_set1_epi8 (0x0F);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const char *blk = (const char *) w + i * (t == G4_TYPE_Q5_K ? sizeof (block_q5_K) : sizeof (block_q4_K));
    const block_q4_K *b = (const block_q4_K *) blk;
    const block_q5_K *b5 = (const block_q5_K *) blk;
    const uint8_t *qs = t == G4_TYPE_Q5_K ? b5->qs : b->qs;
    uint8_t sc[8], m[8];
    unpack_scales_mins_k4 (b->scales, sc, m);
    const __m256i qh = t == G4_TYPE_Q5_K ? _mm256_loadu_si256 ((const __m256i *) b5->qh)
        : _mm256_setzero_si256 ();
    __m256i acc = _mm256_setzero_si256 ();
    for (int p = 0; p < 4; p++) {
      const __m256i q = _mm256_loadu_si256 ((const __m256i *) (qs + 32 * p));
      __m256i lo = _mm256_and_si256 (q, low4);
      __m256i hi = _mm256_and_si256 (_mm256_srli_epi16 (q, 4), low4);
      if (t == G4_TYPE_Q5_K) {
        lo = _mm256_or_si256 (lo, bit_to_16 (qh, 2 * p));
        hi = _mm256_or_si256 (hi, bit_to_16 (qh, 2 * p + 1));
      }
      const __m256i y0 = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 64 * p));
      const __m256i y1 = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 64 * p + 32));
      acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (_mm256_maddubs_epi16 (lo, y0), _mm256_set1_epi16 (sc[2 * p])));
      acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (_mm256_maddubs_epi16 (hi, y1), _mm256_set1_epi16 (sc[2 * p + 1])));
    }
    const int isum = hsum_epi32 (acc);
    const int summs = mins_dot_bsums (m, a[i].bsums);
    sum += a[i].d * fp16 (b->d) * (float) isum - a[i].d * fp16 (b->dmin) * (float) summs;
  }
  return sum;
}

/* Must equal vec_dot_q4_K_q8_K_scalar (up to float rounding). */
float
vec_dot_q4_K_q8_K_avx2 (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_k4_q8_K (G4_TYPE_Q4_K, n, w, a);
}

/* Must equal vec_dot_q5_K_q8_K_scalar (up to float rounding). */
float
vec_dot_q5_K_q8_K_avx2 (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_k4_q8_K (G4_TYPE_Q5_K, n, w, a);
}

/* Must equal vec_dot_q6_K_q8_K_scalar (up to float rounding). The values are
 * taken unsigned (0..63) for maddubs; the -32 comes back as 32 * sum_j sc[j]
 * * bsums[j]. */
float
vec_dot_q6_K_q8_K_avx2 (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q6_K *restrict w = vw;
  const block_q8_K *restrict a = va;
  const __m256i low4 = _mm256_set1_epi8 (0x0F), top2 = _mm256_set1_epi8 (0x30);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    __m256i acc = _mm256_setzero_si256 ();
    for (int h = 0; h < 2; h++) {
      const __m256i qh = _mm256_loadu_si256 ((const __m256i *) (w[i].qh + 32 * h));
      const __m256i ql0 = _mm256_loadu_si256 ((const __m256i *) (w[i].ql + 64 * h));
      const __m256i ql1 = _mm256_loadu_si256 ((const __m256i *) (w[i].ql + 64 * h + 32));
      const __m256i q[4] = {
        _mm256_or_si256 (_mm256_and_si256 (ql0, low4), _mm256_and_si256 (_mm256_slli_epi16 (qh, 4), top2)),
        _mm256_or_si256 (_mm256_and_si256 (ql1, low4), _mm256_and_si256 (_mm256_slli_epi16 (qh, 2), top2)),
        _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (ql0, 4), low4), _mm256_and_si256 (qh, top2)),
        _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (ql1, 4), low4),
            _mm256_and_si256 (_mm256_srli_epi16 (qh, 2), top2)),
      };
      for (int k = 0; k < 4; k++) {
        const int j = 8 * h + 2 * k;    /* sub-block of the first 16 values */
        const __m256i y = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 128 * h + 32 * k));
        const __m256i scale = _mm256_set_m128i (_mm_set1_epi16 (w[i].scales[j + 1]), _mm_set1_epi16 (w[i].scales[j]));
        acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (_mm256_maddubs_epi16 (q[k], y), scale));
      }
    }
    const int offset = scales_dot_bsums (_mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *) w[i].scales)),
        a[i].bsums);
    const int isum = hsum_epi32 (acc) - 32 * offset;
    sum += a[i].d * fp16 (w[i].d) * (float) isum;
  }
  return sum;
}

/* Must equal vec_dot_iq4_xs_q8_K_scalar (up to float rounding). */
float
vec_dot_iq4_xs_q8_K_avx2 (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_iq4_xs *restrict w = vw;
  const block_q8_K *restrict a = va;
  const __m256i table = iq4nl_table ();
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    __m256i acc = _mm256_setzero_si256 ();
    for (int j = 0; j < QK_K / 32; j++) {
      const __m256i x = _mm256_shuffle_epi8 (table, split_nibbles (w[i].qs + 16 * j));
      const __m256i y = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 32 * j));
      const __m256i p16 = _mm256_maddubs_epi16 (_mm256_sign_epi8 (x, x), _mm256_sign_epi8 (y, x));
      acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (p16, _mm256_set1_epi16 ((short) scale_iq4_xs (&w[i], j))));
    }
    sum += a[i].d * fp16 (w[i].d) * (float) hsum_epi32 (acc);
  }
  return sum;
}
