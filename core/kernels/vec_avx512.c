/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AVX-512 (F, BW, VL, DQ, VNNI) versions of the row kernels, compiled with
 * their own flags and chosen at run time by dispatch.c. Each dot product comes
 * as a tile kernel (up to TILE_R weight rows x TILE_C activation rows, the
 * loads and unpacking of one operand shared by the other's rows) and as the
 * single-row vec_dot, which is the 1 x 1 tile: every output of a tile is the
 * same sequence of operations as that vec_dot, so they are bit-identical.
 * Each names the scalar function in vec_scalar.c it must equal (up to float
 * summation order; the integer sums are exact). */
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "float_weights_avx512.h"
#include "quant_blocks.h"
#include "quant_helpers.h"
#include "vec.h"

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))

/* Weight rows stream from DRAM during decode, a few hundred bytes per row, too
 * short for the hardware prefetcher to lock on: each step prefetches the same
 * place PREFETCH_TILES row tiles ahead (about 2x the bandwidth on a 226 MB
 * Q4_0 matrix here). */
#define PREFETCH_TILES 2

/* the tile shape dispatch.c announces (DEFINE_KERNELS has an instance
 * for each column count of it) */
#define TILE_R 4
#define TILE_C 4
_Static_assert (TILE_R == 4 && TILE_C == 4, "DEFINE_KERNELS' instances");

/* Prefetches the bytes [p, p + len) of the row PREFETCH_TILES tiles ahead. */
static inline __attribute__ ((always_inline)) void
prefetch_ahead (const char *p, size_t ws, size_t len)
{
  for (size_t off = 0; off < len; off += 64)
    _mm_prefetch (p + PREFETCH_TILES * TILE_R * ws + off, _MM_HINT_T0);
}


/* One tile instance: R weight rows (stride ws bytes) x C activation rows
 * (stride as bytes), outputs y[c * ldy + r]. */
typedef void (*tile_instance) (int64_t n, const char *w, size_t ws,
    const char *a, size_t as, float *y, int64_t ldy);

/* Covers any nr <= TILE_R, nc <= TILE_C with one instance per column
 * count (k4[c - 1]: TILE_R weight rows, k1[c - 1]: one): a weight row's
 * blocks are unpacked once for all the activation rows (2 or 3 sequences
 * of a batched decode would otherwise unpack the LM head's rows 2 or 3
 * times). */
static void
tile_cover (int64_t n, const void *w, size_t ws, int nr, const void *a,
    size_t as, int nc, float *y, int64_t ldy, const tile_instance *k4,
    const tile_instance *k1)
{
  const char *wc = w;
  if (nr == TILE_R) {
    k4[nc - 1] (n, wc, ws, a, as, y, ldy);
    return;
  }
  for (int r = 0; r < nr; r++)
    k1[nc - 1] (n, wc + r * ws, ws, a, as, y + r, ldy);
}

/* One instance of family FAM for weight kind KIND: R weight rows x C
 * activation rows. */
#define DEFINE_INSTANCE(NAME, FAM, KIND, R, C)                                 \
  static void NAME##_##R##x##C (int64_t n, const char *w, size_t ws,          \
      const char *a, size_t as, float *y, int64_t ldy)                         \
  { FAM (KIND, R, C, n, w, ws, a, as, y, ldy); }

/* Defines the instances of family FAM for weight kind KIND, the tile
 * function NAME_tile_avx512 and the single dot NAME_avx512. */
#define DEFINE_KERNELS(NAME, FAM, KIND)                                        \
  DEFINE_INSTANCE (NAME, FAM, KIND, 4, 1)                                      \
  DEFINE_INSTANCE (NAME, FAM, KIND, 4, 2)                                      \
  DEFINE_INSTANCE (NAME, FAM, KIND, 4, 3)                                      \
  DEFINE_INSTANCE (NAME, FAM, KIND, 4, 4)                                      \
  DEFINE_INSTANCE (NAME, FAM, KIND, 1, 1)                                      \
  DEFINE_INSTANCE (NAME, FAM, KIND, 1, 2)                                      \
  DEFINE_INSTANCE (NAME, FAM, KIND, 1, 3)                                      \
  DEFINE_INSTANCE (NAME, FAM, KIND, 1, 4)                                      \
  void NAME##_tile_avx512 (int64_t n, const void *restrict w, size_t ws,       \
      int nr, const void *restrict a, size_t as, int nc, float *restrict y,    \
      int64_t ldy)                                                             \
  {                                                                            \
    static const tile_instance k4[] = { NAME##_4x1, NAME##_4x2, NAME##_4x3,    \
      NAME##_4x4 };                                                            \
    static const tile_instance k1[] = { NAME##_1x1, NAME##_1x2, NAME##_1x3,    \
      NAME##_1x4 };                                                            \
    tile_cover (n, w, ws, nr, a, as, nc, y, ldy, k4, k1);                      \
  }                                                                            \
  float NAME##_avx512 (int64_t n, const void *restrict w,                      \
      const void *restrict a)                                                  \
  { float y; NAME##_1x1 (n, w, 0, a, 0, &y, 1); return y; }

static inline float
fp16 (g4_half h)
{
  return _cvtsh_ss (h);
}

static inline g4_half
load_half (const char *p)
{
  g4_half h;
  memcpy (&h, p, sizeof h);
  return h;
}

/* ---- float weights: F32, F16, BF16 against f32 activations ----------- */

ALWAYS_INLINE void
float_step (int kind, int R, int C, const char *w, size_t ws, const char *a,
    size_t as, int64_t i, __mmask16 m, __m512 acc[TILE_R][TILE_C])
{
#pragma GCC unroll 4
  for (int r = 0; r < R; r++) {
    prefetch_ahead (w + r * ws + i * (kind == W_F32 ? 4 : 2), ws, 1);
    const __m512 wv = load_weights_16 (kind, w + r * ws, i, m);
#pragma GCC unroll 4
    for (int c = 0; c < C; c++) {
      const __m512 av = _mm512_maskz_loadu_ps (m, (const float *) (a + c * as) + i);
      acc[r][c] = _mm512_fmadd_ps (wv, av, acc[r][c]);
    }
  }
}

ALWAYS_INLINE void
float_tile (int kind, int R, int C, int64_t n, const char *w, size_t ws,
    const char *a, size_t as, float *y, int64_t ldy)
{
  __m512 acc[TILE_R][TILE_C];
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int c = 0; c < C; c++)
      acc[r][c] = _mm512_setzero_ps ();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    float_step (kind, R, C, w, ws, a, as, i, 0xFFFF, acc);
  if (i < n)
    float_step (kind, R, C, w, ws, a, as, i, (__mmask16) ((1u << (n - i)) - 1), acc);
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int c = 0; c < C; c++)
      y[c * ldy + r] = _mm512_reduce_add_ps (acc[r][c]);
}

/* Must equal vec_dot_f32_f32_scalar (up to summation order). */
DEFINE_KERNELS (vec_dot_f32_f32, float_tile, W_F32)
/* Must equal vec_dot_f16_f32_scalar (up to summation order). */
DEFINE_KERNELS (vec_dot_f16_f32, float_tile, W_F16)
/* Must equal vec_dot_bf16_f32_scalar (up to summation order). */
DEFINE_KERNELS (vec_dot_bf16_f32, float_tile, W_BF16)

/* ---- 32-value blocks against Q8_0, two blocks per register ---------- */

/* Each kind is turned into unsigned bytes u = q + K (VNNI multiplies unsigned
 * by signed bytes); K * sum(a) is taken back out per block. */
enum { W_Q4_0, W_Q5_0, W_IQ4_NL, W_Q8_0 };

ALWAYS_INLINE size_t
q8_family_block_size (int kind)
{
  return kind == W_Q4_0 ? sizeof (block_q4_0) : kind == W_Q5_0 ? sizeof (block_q5_0)
      : kind == W_IQ4_NL ? sizeof (block_iq4_nl) : sizeof (block_q8_0);
}

ALWAYS_INLINE int
q8_family_offset (int kind)
{
  return kind == W_Q4_0 ? 8 : kind == W_Q5_0 ? 16 : 128;
}

/* 32 bytes of block p, and of the next block when both (else zeros). */
ALWAYS_INLINE __m512i
load_pair_32 (const char *p, size_t stride, bool both)
{
  const __m256i lo = _mm256_loadu_si256 ((const __m256i *) p);
  const __m256i hi = both ? _mm256_loadu_si256 ((const __m256i *) (p + stride)) : _mm256_setzero_si256 ();
  return _mm512_inserti64x4 (_mm512_castsi256_si512 (lo), hi, 1);
}

/* The fp16 scales of two blocks: lanes 0-7 the first, 8-15 the second. */
ALWAYS_INLINE __m512
pair_scales (g4_half d0, g4_half d1)
{
  const __m128 d = _mm_cvtph_ps (_mm_cvtsi32_si128 ((int) ((uint32_t) d0 | (uint32_t) d1 << 16)));
  const __m512i idx = _mm512_setr_epi32 (0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  return _mm512_permutexvar_ps (idx, _mm512_castps128_ps512 (d));
}

/* The 64 values q + K of blocks p and p + 1 (zeros for a missing second),
 * in value order. */
ALWAYS_INLINE __m512i
q8_family_weights (int kind, const char *p, bool both)
{
  const size_t bs = q8_family_block_size (kind);
  if (kind == W_Q8_0)
    return _mm512_xor_si512 (load_pair_32 (p + offsetof (block_q8_0, qs), bs, both),
        _mm512_set1_epi8 ((char) 0x80));
  const size_t qs = kind == W_Q5_0 ? offsetof (block_q5_0, qs) : offsetof (block_q4_0, qs);
  /* [q0 q0 q1 q1] in 128-bit lanes, then the high nibbles of lanes 1 and 3:
   * values 0-15, 16-31 of each block */
  const __m128i q0 = _mm_loadu_si128 ((const __m128i *) (p + qs));
  const __m128i q1 = both ? _mm_loadu_si128 ((const __m128i *) (p + bs + qs)) : _mm_setzero_si128 ();
  __m512i z = _mm512_mask_broadcast_i32x4 (_mm512_broadcast_i32x4 (q0), (__mmask16) 0xFF00, q1);
  z = _mm512_mask_srli_epi16 (z, (__mmask32) 0xFF00FF00u, z, 4);
  z = _mm512_and_si512 (z, _mm512_set1_epi8 (0x0F));
  if (kind == W_Q5_0) {
    uint32_t h0, h1 = 0;
    memcpy (&h0, p + offsetof (block_q5_0, qh), 4);
    if (both)
      memcpy (&h1, p + bs + offsetof (block_q5_0, qh), 4);
    z = _mm512_mask_add_epi8 (z, (__mmask64) h0 | (__mmask64) h1 << 32, z, _mm512_set1_epi8 (0x10));
  } else if (kind == W_IQ4_NL) {
    const __m128i t = _mm_add_epi8 (_mm_loadu_si128 ((const __m128i *) g4_iq4nl_values),
        _mm_set1_epi8 ((char) 0x80));
    z = _mm512_shuffle_epi8 (_mm512_broadcast_i32x4 (t), z);
  }
  return z;
}

ALWAYS_INLINE void
q8_family_step (int kind, int R, int C, const char *w, size_t ws, const char *a,
    size_t as, int64_t b, bool both, __m512 acc[TILE_R][TILE_C])
{
  const size_t wbs = q8_family_block_size (kind), abs = sizeof (block_q8_0);
  __m512i wq[TILE_R];
  __m512 wd[TILE_R];
#pragma GCC unroll 4
  for (int r = 0; r < R; r++) {
    const char *p = w + r * ws + b * wbs;
    prefetch_ahead (p, ws, 1);
    wq[r] = q8_family_weights (kind, p, both);
    wd[r] = pair_scales (load_half (p), both ? load_half (p + wbs) : 0);
  }
#pragma GCC unroll 4
  for (int c = 0; c < C; c++) {
    const char *p = a + c * as + b * abs;
    const __m512i av = load_pair_32 (p + offsetof (block_q8_0, qs), abs, both);
    const __m512i k_sum = _mm512_dpbusd_epi32 (_mm512_setzero_si512 (),
        _mm512_set1_epi8 ((char) q8_family_offset (kind)), av);
    const __m512i minus_k_sum = _mm512_sub_epi32 (_mm512_setzero_si512 (), k_sum);
    const __m512 ad = pair_scales (load_half (p), both ? load_half (p + abs) : 0);
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      const __m512i dot = _mm512_dpbusd_epi32 (minus_k_sum, wq[r], av);
      acc[r][c] = _mm512_fmadd_ps (_mm512_cvtepi32_ps (dot), _mm512_mul_ps (wd[r], ad), acc[r][c]);
    }
  }
}

ALWAYS_INLINE void
q8_family_tile (int kind, int R, int C, int64_t n, const char *w, size_t ws,
    const char *a, size_t as, float *y, int64_t ldy)
{
  __m512 acc[TILE_R][TILE_C];
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int c = 0; c < C; c++)
      acc[r][c] = _mm512_setzero_ps ();
  const int64_t nb = n / QK8_0;
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2)
    q8_family_step (kind, R, C, w, ws, a, as, b, true, acc);
  if (b < nb)
    q8_family_step (kind, R, C, w, ws, a, as, b, false, acc);
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int c = 0; c < C; c++)
      y[c * ldy + r] = _mm512_reduce_add_ps (acc[r][c]);
}

/* Must equal vec_dot_q4_0_q8_0_scalar (up to summation order). */
DEFINE_KERNELS (vec_dot_q4_0_q8_0, q8_family_tile, W_Q4_0)
/* Must equal vec_dot_q5_0_q8_0_scalar (up to summation order). */
DEFINE_KERNELS (vec_dot_q5_0_q8_0, q8_family_tile, W_Q5_0)
/* Must equal vec_dot_iq4_nl_q8_0_scalar (up to summation order). */
DEFINE_KERNELS (vec_dot_iq4_nl_q8_0, q8_family_tile, W_IQ4_NL)
/* Must equal vec_dot_q8_0_q8_0_scalar (up to summation order). */
DEFINE_KERNELS (vec_dot_q8_0_q8_0, q8_family_tile, W_Q8_0)

/* ---- K-quants against Q8_K: a super-block is four 64-value registers -- */

/* Values are unsigned (Q4_K 0..15, Q5_K 0..31, Q6_K 0..63) so maddubs can
 * multiply them with the signed activations in int16 pairs; dpwssd then
 * applies the int16 sub-block scales. Q6_K's -32 comes back through the
 * activation block sums. */
enum { W_Q4_K, W_Q5_K, W_Q6_K };

/* the 8 six-bit scales and mins of a Q4_K / Q5_K block, one byte each */
ALWAYS_INLINE void
unpack_scales_k4 (const uint8_t *q, uint64_t *sc, uint64_t *m)
{
  uint32_t w0, w1, w2;
  memcpy (&w0, q, 4);
  memcpy (&w1, q + 4, 4);
  memcpy (&w2, q + 8, 4);
  const uint32_t sc_lo = w0 & 0x3f3f3f3f, m_lo = w1 & 0x3f3f3f3f;
  const uint32_t sc_hi = (w2 & 0x0f0f0f0f) | ((w0 >> 2) & 0x30303030);
  const uint32_t m_hi = ((w2 >> 4) & 0x0f0f0f0f) | ((w1 >> 2) & 0x30303030);
  *sc = (uint64_t) sc_lo | (uint64_t) sc_hi << 32;
  *m = (uint64_t) m_lo | (uint64_t) m_hi << 32;
}

/* 128-bit lane k of the result holds 8 copies of int16 v_k */
#define LANES_16(v0, v1, v2, v3) _mm512_set_epi64 ( \
    (v3) * 0x0001000100010001ll, (v3) * 0x0001000100010001ll, \
    (v2) * 0x0001000100010001ll, (v2) * 0x0001000100010001ll, \
    (v1) * 0x0001000100010001ll, (v1) * 0x0001000100010001ll, \
    (v0) * 0x0001000100010001ll, (v0) * 0x0001000100010001ll)

/* 32 int16 lanes: sub-block scale s[j0] for lanes 0-15, s[j0 + 1] for 16-31
 * (8 scales in a 128-bit int16 vector). */
ALWAYS_INLINE __m512i
scales_32_32 (__m128i s16, int j0)
{
  const __m512i idx = _mm512_add_epi16 (_mm512_set1_epi16 ((short) j0), LANES_16 (0, 0, 1, 1));
  return _mm512_permutexvar_epi16 (idx, _mm512_castsi128_si512 (s16));
}

/* 32 int16 lanes: 16 scales of 16 values, lanes 8k..8k+7 get s[j0 + k]. */
ALWAYS_INLINE __m512i
scales_16x4 (__m256i s16, int j0)
{
  const __m512i idx = _mm512_add_epi16 (_mm512_set1_epi16 ((short) j0), LANES_16 (0, 1, 2, 3));
  return _mm512_permutexvar_epi16 (idx, _mm512_castsi256_si512 (s16));
}

/* 32 packed nibble bytes -> 64 values: low nibbles (32 values), then high. */
ALWAYS_INLINE __m512i
nibbles_64 (const uint8_t *p)
{
  const __m512i v = _mm512_broadcast_i64x4 (_mm256_loadu_si256 ((const __m256i *) p));
  const __m512i s = _mm512_mask_srli_epi16 (v, (__mmask32) 0xFFFF0000u, v, 4);
  return _mm512_and_si512 (s, _mm512_set1_epi8 (0x0F));
}

/* One weight row's super-block, ready for any number of activation rows. */
typedef struct {
  __m512i q[4];                 /* values 64k .. 64k + 63 */
  __m512i scale[4];             /* int16 scales matching maddubs' pairs of q[k] */
  __m256i mins;                 /* Q4_K/Q5_K: mins per bsums pair; Q6_K: -32 * scales */
  float d, dmin;
} ksuper;

ALWAYS_INLINE void
k_family_weights (int kind, const char *p, ksuper *s)
{
  if (kind == W_Q6_K) {
    const block_q6_K *b = (const block_q6_K *) p;
    const __m512i m4 = _mm512_set1_epi8 (0x0F), top2 = _mm512_set1_epi8 (0x30);
#pragma GCC unroll 4
    for (int h = 0; h < 2; h++) {
      const __m512i ql = _mm512_loadu_si512 (b->ql + 64 * h);
      const __m512i qh = _mm512_broadcast_i64x4 (_mm256_loadu_si256 ((const __m256i *) (b->qh + 32 * h)));
      /* values 0-31 take qh bits 0-1, 32-63 bits 2-3, 64-95 bits 4-5, 96-127 bits 6-7 */
      const __m512i h_lo = _mm512_mask_slli_epi16 (_mm512_slli_epi16 (qh, 2), (__mmask32) 0x0000FFFFu,
          _mm512_slli_epi16 (qh, 2), 2);
      const __m512i h_hi = _mm512_mask_srli_epi16 (qh, (__mmask32) 0xFFFF0000u, qh, 2);
      s->q[2 * h] = _mm512_or_si512 (_mm512_and_si512 (ql, m4), _mm512_and_si512 (h_lo, top2));
      s->q[2 * h + 1] = _mm512_or_si512 (_mm512_and_si512 (_mm512_srli_epi16 (ql, 4), m4),
          _mm512_and_si512 (h_hi, top2));
    }
    const __m256i sc16 = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *) b->scales));
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++)
      s->scale[k] = scales_16x4 (sc16, 4 * k);
    s->mins = _mm256_mullo_epi16 (sc16, _mm256_set1_epi16 (-32));
    s->d = fp16 (b->d);
    s->dmin = 0.0f;
    return;
  }
  /* Q4_K and Q5_K share the layout up to qh */
  const block_q4_K *b = (const block_q4_K *) p;
  const uint8_t *qs = kind == W_Q4_K ? b->qs : ((const block_q5_K *) p)->qs;
  uint64_t sc, m;
  unpack_scales_k4 (b->scales, &sc, &m);
  const __m128i sc16 = _mm_cvtepu8_epi16 (_mm_cvtsi64_si128 ((long long) sc));
  const __m128i m16 = _mm_cvtepu8_epi16 (_mm_cvtsi64_si128 ((long long) m));
#pragma GCC unroll 4
  for (int k = 0; k < 4; k++) {
    s->q[k] = nibbles_64 (qs + 32 * k);
    s->scale[k] = scales_32_32 (sc16, 2 * k);
  }
  if (kind == W_Q5_K) {
    const __m512i qh = _mm512_broadcast_i64x4 (_mm256_loadu_si256 ((const __m256i *) ((const block_q5_K *) p)->qh));
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      /* value 32j + l has its fifth bit in bit j of qh[l] */
      const __m512i sel = _mm512_inserti64x4 (_mm512_set1_epi8 ((char) (1 << (2 * k))),
          _mm256_set1_epi8 ((char) (1 << (2 * k + 1))), 1);
      s->q[k] = _mm512_mask_add_epi8 (s->q[k], _mm512_test_epi8_mask (qh, sel), s->q[k], _mm512_set1_epi8 (0x10));
    }
  }
  const __m256i dup = _mm256_setr_epi16 (0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  s->mins = _mm256_permutexvar_epi16 (dup, _mm256_castsi128_si256 (m16));
  s->d = fp16 (b->d);
  s->dmin = fp16 (b->dmin);
}

ALWAYS_INLINE __m512
k_family_dot (int kind, const ksuper *s, const block_q8_K *a, __m512 acc)
{
  const __m256i bsums = _mm256_loadu_si256 ((const __m256i *) a->bsums);
  const __m256i mins = _mm256_madd_epi16 (s->mins, bsums);
  __m512i dot = kind == W_Q6_K ? _mm512_zextsi256_si512 (mins) : _mm512_setzero_si512 ();
#pragma GCC unroll 4
  for (int k = 0; k < 4; k++) {
    const __m512i p16 = _mm512_maddubs_epi16 (s->q[k], _mm512_loadu_si512 (a->qs + 64 * k));
    dot = _mm512_dpwssd_epi32 (dot, p16, s->scale[k]);
  }
  acc = _mm512_fmadd_ps (_mm512_cvtepi32_ps (dot), _mm512_set1_ps (a->d * s->d), acc);
  if (kind != W_Q6_K)
    acc = _mm512_fnmadd_ps (_mm512_zextps256_ps512 (_mm256_cvtepi32_ps (mins)),
        _mm512_set1_ps (a->d * s->dmin), acc);
  return acc;
}

ALWAYS_INLINE void
k_family_tile (int kind, int R, int C, int64_t n, const char *w, size_t ws,
    const char *a, size_t as, float *y, int64_t ldy)
{
  const size_t wbs = kind == W_Q4_K ? sizeof (block_q4_K) : kind == W_Q5_K ? sizeof (block_q5_K)
      : sizeof (block_q6_K);
  __m512 acc[TILE_R][TILE_C];
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int c = 0; c < C; c++)
      acc[r][c] = _mm512_setzero_ps ();
  for (int64_t i = 0; i < n / QK_K; i++) {
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      ksuper s;
      prefetch_ahead (w + r * ws + i * wbs, ws, wbs);
      k_family_weights (kind, w + r * ws + i * wbs, &s);
#pragma GCC unroll 4
      for (int c = 0; c < C; c++)
        acc[r][c] = k_family_dot (kind, &s, (const block_q8_K *) (a + c * as) + i, acc[r][c]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int c = 0; c < C; c++)
      y[c * ldy + r] = _mm512_reduce_add_ps (acc[r][c]);
}

/* Must equal vec_dot_q4_K_q8_K_scalar (up to float rounding). */
DEFINE_KERNELS (vec_dot_q4_K_q8_K, k_family_tile, W_Q4_K)
/* Must equal vec_dot_q5_K_q8_K_scalar (up to float rounding). */
DEFINE_KERNELS (vec_dot_q5_K_q8_K, k_family_tile, W_Q5_K)
/* Must equal vec_dot_q6_K_q8_K_scalar (up to float rounding). */
DEFINE_KERNELS (vec_dot_q6_K_q8_K, k_family_tile, W_Q6_K)
