/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AVX2 + FMA + F16C versions of the row kernels, compiled with their own flags
 * and chosen at run time by dispatch.c. Each function names the scalar
 * function in vec_scalar.c / quantize_act.c it must equal: the quantizers
 * byte for byte, the dots up to float summation order (the integer sums are
 * exact). Types without a function here run the scalar kernel. */
#include <immintrin.h>
#include <string.h>

#include "quant_blocks.h"
#include "quant_helpers.h"
#include "vec.h"

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
nibbles_32 (const uint8_t *qs)
{
  const __m128i b = _mm_loadu_si128 ((const __m128i *) qs);
  const __m128i m = _mm_set1_epi8 (0x0F);
  return _mm256_set_m128i (_mm_and_si128 (_mm_srli_epi16 (b, 4), m), _mm_and_si128 (b, m));
}

/* Bit j of the 32-bit word -> byte j = 0xFF or 0x00. */
static inline __m256i
bytes_from_bits_32 (const uint8_t *p)
{
  uint32_t bits;
  memcpy (&bits, p, 4);
  const __m256i byte_of_bit = _mm256_set_epi64x (0x0303030303030303, 0x0202020202020202,
      0x0101010101010101, 0x0000000000000000);
  __m256i v = _mm256_shuffle_epi8 (_mm256_set1_epi32 ((int) bits), byte_of_bit);
  /* every bit set except the one byte j is asking about */
  v = _mm256_or_si256 (v, _mm256_set1_epi64x (0x7fbfdfeff7fbfdfe));
  return _mm256_cmpeq_epi8 (v, _mm256_set1_epi64x (-1));
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

/* Must equal quantize_row_q8_0_scalar byte for byte. */
void
quantize_row_q8_0_avx2 (const float *restrict x, void *restrict vy, int64_t n)
{
  block_q8_0 *restrict y = vy;
  const __m256 abs_mask = _mm256_castsi256_ps (_mm256_set1_epi32 (0x7fffffff));
  for (int64_t i = 0; i < n / QK8_0; i++, x += QK8_0) {
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps ();
    for (int k = 0; k < 4; k++) {
      v[k] = _mm256_loadu_ps (x + 8 * k);
      amax = _mm256_max_ps (amax, _mm256_and_ps (v[k], abs_mask));
    }
    __m128 m = _mm_max_ps (_mm256_castps256_ps128 (amax), _mm256_extractf128_ps (amax, 1));
    m = _mm_max_ps (m, _mm_movehl_ps (m, m));
    m = _mm_max_ss (m, _mm_movehdup_ps (m));
    const float d = _mm_cvtss_f32 (m) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = g4_fp32_to_fp16 (d);
    __m256i q[4];
    for (int k = 0; k < 4; k++)
      q[k] = _mm256_cvttps_epi32 (round_half_away (_mm256_mul_ps (v[k], _mm256_set1_ps (id))));
    _mm256_storeu_si256 ((__m256i *) y[i].qs, pack_i32_to_i8 (q[0], q[1], q[2], q[3]));
  }
}

/* Must equal quantize_row_q8_1_scalar byte for byte. */
void
quantize_row_q8_1_avx2 (const float *restrict x, void *restrict vy, int64_t n)
{
  block_q8_1 *restrict y = vy;
  const __m256 abs_mask = _mm256_castsi256_ps (_mm256_set1_epi32 (0x7fffffff));
  for (int64_t i = 0; i < n / QK8_1; i++, x += QK8_1) {
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps ();
    for (int k = 0; k < 4; k++) {
      v[k] = _mm256_loadu_ps (x + 8 * k);
      amax = _mm256_max_ps (amax, _mm256_and_ps (v[k], abs_mask));
    }
    __m128 m = _mm_max_ps (_mm256_castps256_ps128 (amax), _mm256_extractf128_ps (amax, 1));
    m = _mm_max_ps (m, _mm_movehl_ps (m, m));
    m = _mm_max_ss (m, _mm_movehdup_ps (m));
    const float d = _mm_cvtss_f32 (m) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    __m256i q[4];
    for (int k = 0; k < 4; k++)
      q[k] = _mm256_cvttps_epi32 (round_half_away (_mm256_mul_ps (v[k], _mm256_set1_ps (id))));
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
    __m128 m = _mm_max_ps (_mm256_castps256_ps128 (amax8), _mm256_extractf128_ps (amax8, 1));
    m = _mm_max_ps (m, _mm_movehl_ps (m, m));
    m = _mm_max_ss (m, _mm_movehdup_ps (m));
    const float amax = _mm_cvtss_f32 (m);
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
  return hsum_ps (_mm256_add_ps (_mm256_add_ps (acc[0], acc[1]), _mm256_add_ps (acc[2], acc[3])));
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

/* Must equal vec_dot_f16_f32_scalar (up to summation order). */
float
vec_dot_f16_f32_avx2 (int64_t n, const void *restrict vw, const void *restrict va)
{
  const g4_half *restrict w = vw;
  const float *restrict a = va;
  __m256 acc[4] = { _mm256_setzero_ps (), _mm256_setzero_ps (), _mm256_setzero_ps (),
    _mm256_setzero_ps () };
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int k = 0; k < 4; k++)
      acc[k] = _mm256_fmadd_ps (_mm256_cvtph_ps (load_u16x8 (w + i + 8 * k, 8)),
          _mm256_loadu_ps (a + i + 8 * k), acc[k]);
  for (; i < n; i += 8) {
    const __m256i m = first_lanes (n - i);
    acc[0] = _mm256_fmadd_ps (_mm256_cvtph_ps (load_u16x8 (w + i, n - i)),
        _mm256_maskload_ps (a + i, m), acc[0]);
  }
  return hsum_ps (_mm256_add_ps (_mm256_add_ps (acc[0], acc[1]), _mm256_add_ps (acc[2], acc[3])));
}

/* Must equal vec_dot_bf16_f32_scalar (up to summation order). */
float
vec_dot_bf16_f32_avx2 (int64_t n, const void *restrict vw, const void *restrict va)
{
  const g4_bf16 *restrict w = vw;
  const float *restrict a = va;
  __m256 acc[4] = { _mm256_setzero_ps (), _mm256_setzero_ps (), _mm256_setzero_ps (),
    _mm256_setzero_ps () };
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int k = 0; k < 4; k++)
      acc[k] = _mm256_fmadd_ps (bf16x8_to_ps (load_u16x8 (w + i + 8 * k, 8)),
          _mm256_loadu_ps (a + i + 8 * k), acc[k]);
  for (; i < n; i += 8) {
    const __m256i m = first_lanes (n - i);
    acc[0] = _mm256_fmadd_ps (bf16x8_to_ps (load_u16x8 (w + i, n - i)),
        _mm256_maskload_ps (a + i, m), acc[0]);
  }
  return hsum_ps (_mm256_add_ps (_mm256_add_ps (acc[0], acc[1]), _mm256_add_ps (acc[2], acc[3])));
}

/* ---- 32-value blocks against Q8_0 ------------------------------------- */

/* Must equal vec_dot_q4_0_q8_0_scalar (up to summation order). */
float
vec_dot_q4_0_q8_0_avx2 (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q4_0 *restrict w = vw;
  const block_q8_0 *restrict a = va;
  const int64_t nb = n / QK4_0;
  __m256 acc0 = _mm256_setzero_ps (), acc1 = _mm256_setzero_ps ();
  int64_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    const __m256i x0 = _mm256_sub_epi8 (nibbles_32 (w[i].qs), _mm256_set1_epi8 (8));
    const __m256i x1 = _mm256_sub_epi8 (nibbles_32 (w[i + 1].qs), _mm256_set1_epi8 (8));
    const __m256i p0 = dot_i8_i8 (x0, _mm256_loadu_si256 ((const __m256i *) a[i].qs));
    const __m256i p1 = dot_i8_i8 (x1, _mm256_loadu_si256 ((const __m256i *) a[i + 1].qs));
    acc0 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p0), _mm256_set1_ps (fp16 (w[i].d) * fp16 (a[i].d)), acc0);
    acc1 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p1), _mm256_set1_ps (fp16 (w[i + 1].d) * fp16 (a[i + 1].d)), acc1);
  }
  if (i < nb) {
    const __m256i x = _mm256_sub_epi8 (nibbles_32 (w[i].qs), _mm256_set1_epi8 (8));
    const __m256i p = dot_i8_i8 (x, _mm256_loadu_si256 ((const __m256i *) a[i].qs));
    acc0 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p), _mm256_set1_ps (fp16 (w[i].d) * fp16 (a[i].d)), acc0);
  }
  return hsum_ps (_mm256_add_ps (acc0, acc1));
}

/* Must equal vec_dot_q8_0_q8_0_scalar (up to summation order). */
float
vec_dot_q8_0_q8_0_avx2 (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q8_0 *restrict w = vw;
  const block_q8_0 *restrict a = va;
  const int64_t nb = n / QK8_0;
  __m256 acc0 = _mm256_setzero_ps (), acc1 = _mm256_setzero_ps ();
  int64_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    const __m256i p0 = dot_i8_i8 (_mm256_loadu_si256 ((const __m256i *) w[i].qs),
        _mm256_loadu_si256 ((const __m256i *) a[i].qs));
    const __m256i p1 = dot_i8_i8 (_mm256_loadu_si256 ((const __m256i *) w[i + 1].qs),
        _mm256_loadu_si256 ((const __m256i *) a[i + 1].qs));
    acc0 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p0), _mm256_set1_ps (fp16 (w[i].d) * fp16 (a[i].d)), acc0);
    acc1 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p1), _mm256_set1_ps (fp16 (w[i + 1].d) * fp16 (a[i + 1].d)), acc1);
  }
  if (i < nb) {
    const __m256i p = dot_i8_i8 (_mm256_loadu_si256 ((const __m256i *) w[i].qs),
        _mm256_loadu_si256 ((const __m256i *) a[i].qs));
    acc0 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p), _mm256_set1_ps (fp16 (w[i].d) * fp16 (a[i].d)), acc0);
  }
  return hsum_ps (_mm256_add_ps (acc0, acc1));
}

/* Q5_0 values q - 16 as signed bytes: the nibble, with 0xF0 or-ed in where
 * the fifth bit is clear (nibble - 16 in two's complement). */
static inline __m256i
q5_0_values (const block_q5_0 *b)
{
  const __m256i hbit = bytes_from_bits_32 (b->qh);
  return _mm256_or_si256 (nibbles_32 (b->qs), _mm256_andnot_si256 (hbit, _mm256_set1_epi8 ((char) 0xF0)));
}

/* Must equal vec_dot_q5_0_q8_0_scalar (up to summation order). */
float
vec_dot_q5_0_q8_0_avx2 (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q5_0 *restrict w = vw;
  const block_q8_0 *restrict a = va;
  __m256 acc = _mm256_setzero_ps ();
  for (int64_t i = 0; i < n / QK5_0; i++) {
    const __m256i p = dot_i8_i8 (q5_0_values (&w[i]), _mm256_loadu_si256 ((const __m256i *) a[i].qs));
    acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p), _mm256_set1_ps (fp16 (w[i].d) * fp16 (a[i].d)), acc);
  }
  return hsum_ps (acc);
}

/* Must equal vec_dot_q4_1_q8_1_scalar (up to summation order). */
float
vec_dot_q4_1_q8_1_avx2 (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q4_1 *restrict w = vw;
  const block_q8_1 *restrict a = va;
  __m256 acc = _mm256_setzero_ps ();
  float offset = 0.0f;
  for (int64_t i = 0; i < n / QK4_1; i++) {
    const __m256i p = dot_u8_i8 (nibbles_32 (w[i].qs), _mm256_loadu_si256 ((const __m256i *) a[i].qs));
    acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p), _mm256_set1_ps (fp16 (w[i].d) * fp16 (a[i].d)), acc);
    offset += fp16 (w[i].m) * fp16 (a[i].s);
  }
  return hsum_ps (acc) + offset;
}

/* Must equal vec_dot_q5_1_q8_1_scalar (up to summation order). */
float
vec_dot_q5_1_q8_1_avx2 (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q5_1 *restrict w = vw;
  const block_q8_1 *restrict a = va;
  __m256 acc = _mm256_setzero_ps ();
  float offset = 0.0f;
  for (int64_t i = 0; i < n / QK5_1; i++) {
    const __m256i hbit = _mm256_and_si256 (bytes_from_bits_32 (w[i].qh), _mm256_set1_epi8 (0x10));
    const __m256i q = _mm256_or_si256 (nibbles_32 (w[i].qs), hbit);
    const __m256i p = dot_u8_i8 (q, _mm256_loadu_si256 ((const __m256i *) a[i].qs));
    acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p), _mm256_set1_ps (fp16 (w[i].d) * fp16 (a[i].d)), acc);
    offset += fp16 (w[i].m) * fp16 (a[i].s);
  }
  return hsum_ps (acc) + offset;
}

/* the IQ4_NL codebook in both 128-bit lanes, for pshufb */
static inline __m256i
iq4nl_table (void)
{
  const __m128i t = _mm_loadu_si128 ((const __m128i *) g4_iq4nl_values);
  return _mm256_set_m128i (t, t);
}

/* Must equal vec_dot_iq4_nl_q8_0_scalar (up to summation order). */
float
vec_dot_iq4_nl_q8_0_avx2 (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_iq4_nl *restrict w = vw;
  const block_q8_0 *restrict a = va;
  const __m256i table = iq4nl_table ();
  __m256 acc = _mm256_setzero_ps ();
  for (int64_t i = 0; i < n / QK4_NL; i++) {
    const __m256i x = _mm256_shuffle_epi8 (table, nibbles_32 (w[i].qs));
    const __m256i p = dot_i8_i8 (x, _mm256_loadu_si256 ((const __m256i *) a[i].qs));
    acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p), _mm256_set1_ps (fp16 (w[i].d) * fp16 (a[i].d)), acc);
  }
  return hsum_ps (acc);
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

/* Must equal vec_dot_q2_K_q8_K_scalar (up to float rounding). */
float
vec_dot_q2_K_q8_K_avx2 (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q2_K *restrict w = vw;
  const block_q8_K *restrict a = va;
  const __m256i m2 = _mm256_set1_epi8 (3);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const uint8_t *sc = w[i].scales;
    __m256i acc = _mm256_setzero_si256 ();
    for (int h = 0; h < 2; h++) {
      const __m256i q = _mm256_loadu_si256 ((const __m256i *) (w[i].qs + 32 * h));
      for (int s = 0; s < 4; s++) {
        const int j = 8 * h + 2 * s;    /* sub-block of the first 16 values */
        const __m256i v = _mm256_and_si256 (_mm256_srli_epi16 (q, 2 * s), m2);
        const __m256i y = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 128 * h + 32 * s));
        acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (_mm256_maddubs_epi16 (v, y),
                scales_16_16 (sc[j] & 0xF, sc[j + 1] & 0xF)));
      }
    }
    const __m256i mins = _mm256_srli_epi16 (_mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) sc)), 4);
    const int summs = hsum_epi32 (_mm256_madd_epi16 (mins, _mm256_loadu_si256 ((const __m256i *) a[i].bsums)));
    sum += a[i].d * fp16 (w[i].d) * (float) hsum_epi32 (acc) - a[i].d * fp16 (w[i].dmin) * (float) summs;
  }
  return sum;
}

/* Must equal vec_dot_q3_K_q8_K_scalar (up to float rounding). The values are
 * taken as u = q2 + 4 * hbit (0..7); the -4 comes back as 4 * sum_j sc[j] *
 * bsums[j]. */
float
vec_dot_q3_K_q8_K_avx2 (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q3_K *restrict w = vw;
  const block_q8_K *restrict a = va;
  const __m256i m2 = _mm256_set1_epi8 (3);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    int8_t sc[16];
    unpack_scales_q3_K (w[i].scales, sc);
    const __m256i hm = _mm256_loadu_si256 ((const __m256i *) w[i].hmask);
    __m256i acc = _mm256_setzero_si256 ();
    for (int h = 0; h < 2; h++) {
      const __m256i q = _mm256_loadu_si256 ((const __m256i *) (w[i].qs + 32 * h));
      for (int s = 0; s < 4; s++) {
        const int j = 8 * h + 2 * s;
        const __m256i u = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (q, 2 * s), m2),
            bit_to_4 (hm, 4 * h + s));
        const __m256i y = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 128 * h + 32 * s));
        acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (_mm256_maddubs_epi16 (u, y), scales_16_16 (sc[j], sc[j + 1])));
      }
    }
    const __m256i sc16 = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *) sc));
    const int offset = hsum_epi32 (_mm256_madd_epi16 (sc16, _mm256_loadu_si256 ((const __m256i *) a[i].bsums)));
    sum += a[i].d * fp16 (w[i].d) * (float) (hsum_epi32 (acc) - 4 * offset);
  }
  return sum;
}

/* Must equal vec_dot_q4_K_q8_K_scalar (up to float rounding). */
float
vec_dot_q4_K_q8_K_avx2 (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q4_K *restrict w = vw;
  const block_q8_K *restrict a = va;
  const __m256i low4 = _mm256_set1_epi8 (0x0F);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; j++)
      get_scale_min_k4 (j, w[i].scales, &sc[j], &m[j]);
    __m256i acc = _mm256_setzero_si256 ();
    for (int p = 0; p < 4; p++) {
      const __m256i q = _mm256_loadu_si256 ((const __m256i *) (w[i].qs + 32 * p));
      const __m256i lo = _mm256_and_si256 (q, low4);
      const __m256i hi = _mm256_and_si256 (_mm256_srli_epi16 (q, 4), low4);
      const __m256i y0 = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 64 * p));
      const __m256i y1 = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 64 * p + 32));
      acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (_mm256_maddubs_epi16 (lo, y0), _mm256_set1_epi16 (sc[2 * p])));
      acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (_mm256_maddubs_epi16 (hi, y1), _mm256_set1_epi16 (sc[2 * p + 1])));
    }
    const int isum = hsum_epi32 (acc);
    const int summs = mins_dot_bsums (m, a[i].bsums);
    sum += a[i].d * fp16 (w[i].d) * (float) isum - a[i].d * fp16 (w[i].dmin) * (float) summs;
  }
  return sum;
}

/* Must equal vec_dot_q5_K_q8_K_scalar (up to float rounding). */
float
vec_dot_q5_K_q8_K_avx2 (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q5_K *restrict w = vw;
  const block_q8_K *restrict a = va;
  const __m256i low4 = _mm256_set1_epi8 (0x0F);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; j++)
      get_scale_min_k4 (j, w[i].scales, &sc[j], &m[j]);
    const __m256i qh = _mm256_loadu_si256 ((const __m256i *) w[i].qh);
    __m256i acc = _mm256_setzero_si256 ();
    for (int p = 0; p < 4; p++) {
      const __m256i q = _mm256_loadu_si256 ((const __m256i *) (w[i].qs + 32 * p));
      const __m256i lo = _mm256_or_si256 (_mm256_and_si256 (q, low4), bit_to_16 (qh, 2 * p));
      const __m256i hi = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (q, 4), low4),
          bit_to_16 (qh, 2 * p + 1));
      const __m256i y0 = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 64 * p));
      const __m256i y1 = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 64 * p + 32));
      acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (_mm256_maddubs_epi16 (lo, y0), _mm256_set1_epi16 (sc[2 * p])));
      acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (_mm256_maddubs_epi16 (hi, y1), _mm256_set1_epi16 (sc[2 * p + 1])));
    }
    const int isum = hsum_epi32 (acc);
    const int summs = mins_dot_bsums (m, a[i].bsums);
    sum += a[i].d * fp16 (w[i].d) * (float) isum - a[i].d * fp16 (w[i].dmin) * (float) summs;
  }
  return sum;
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
    const __m256i sc16 = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *) w[i].scales));
    const int offset = hsum_epi32 (_mm256_madd_epi16 (sc16, _mm256_loadu_si256 ((const __m256i *) a[i].bsums)));
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
      const __m256i x = _mm256_shuffle_epi8 (table, nibbles_32 (w[i].qs + 16 * j));
      const __m256i y = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 32 * j));
      const __m256i p16 = _mm256_maddubs_epi16 (_mm256_sign_epi8 (x, x), _mm256_sign_epi8 (y, x));
      acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (p16, _mm256_set1_epi16 ((short) scale_iq4_xs (&w[i], j))));
    }
    sum += a[i].d * fp16 (w[i].d) * (float) hsum_epi32 (acc);
  }
  return sum;
}
