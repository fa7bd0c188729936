/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AVX2 + FMA attention row kernel (attention_simd.h over 8-float vectors),
 * compiled with its own flags; attention_f32.c calls it when dispatch.c chose
 * AVX2. Must equal attention_rows_scalar up to float summation order and the
 * exponential's last bits. */
#include <immintrin.h>
#include <math.h>

#include "attention.h"

typedef __m256 vf;
typedef __m256i vmask;
#define W 8
/* 6 rows x 2 vectors: 12 accumulators of the 16 registers */
#define SCORE_VECS 2
#define OUT_VECS 2
#define ATTN_ROWS_FN attention_rows_avx2
#define ATTN_F16_RUN_FN attention_f16_run_avx2

static inline vmask
vmask_first (int n)
{
  return _mm256_cmpgt_epi32 (_mm256_set1_epi32 (n), _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7));
}

static inline vf vzero (void) { return _mm256_setzero_ps (); }
static inline vf vset1 (float x) { return _mm256_set1_ps (x); }
static inline vf vload (const float *p) { return _mm256_loadu_ps (p); }
static inline vf vload_h (const uint16_t *p) { return _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) p)); }
static inline void vstore (float *p, vf x) { _mm256_storeu_ps (p, x); }
static inline vf vload_m (const float *p, vmask m) { return _mm256_maskload_ps (p, m); }
static inline void vstore_m (float *p, vf x, vmask m) { _mm256_maskstore_ps (p, m, x); }
static inline vf vfma (vf a, vf b, vf c) { return _mm256_fmadd_ps (a, b, c); }
static inline vf vmul (vf a, vf b) { return _mm256_mul_ps (a, b); }
static inline vf vsub (vf a, vf b) { return _mm256_sub_ps (a, b); }
static inline vf vadd (vf a, vf b) { return _mm256_add_ps (a, b); }
static inline vf vmax (vf a, vf b) { return _mm256_max_ps (a, b); }

static inline float
vhmax (vf x)
{
  __m128 m = _mm_max_ps (_mm256_castps256_ps128 (x), _mm256_extractf128_ps (x, 1));
  m = _mm_max_ps (m, _mm_movehl_ps (m, m));
  return _mm_cvtss_f32 (_mm_max_ss (m, _mm_movehdup_ps (m)));
}

static inline float
vhadd (vf x)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (x), _mm256_extractf128_ps (x, 1));
  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  return _mm_cvtss_f32 (_mm_add_ss (s, _mm_movehdup_ps (s)));
}

static inline vf
vkeep (vf x, const int32_t *kp, int32_t lo, int32_t hi)
{
  const __m256i p = _mm256_loadu_si256 ((const __m256i *) kp);
  const __m256i in = _mm256_andnot_si256 (_mm256_cmpgt_epi32 (_mm256_set1_epi32 (lo), p),
      _mm256_cmpgt_epi32 (_mm256_set1_epi32 (hi), p));
  return _mm256_blendv_ps (_mm256_set1_ps (-INFINITY), x, _mm256_castsi256_ps (in));
}

/* e^x = 2^n e^r, n = round (x / ln 2), |r| <= ln 2 / 2, e^r by its Taylor
 * polynomial to r^7 (relative error below 1e-8); lanes under -87.3 (where
 * e^x leaves the normal floats, -inf included) give 0; 2^n is built in the
 * exponent bits. */
static inline vf
vexp (vf x)
{
  const vf live = _mm256_cmp_ps (x, _mm256_set1_ps (-87.3f), _CMP_GE_OQ);
  x = _mm256_max_ps (_mm256_min_ps (x, _mm256_set1_ps (88.0f)), _mm256_set1_ps (-87.3f));
  const vf n = _mm256_round_ps (_mm256_mul_ps (x, _mm256_set1_ps (1.44269504f)),
      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  vf r = _mm256_fnmadd_ps (n, _mm256_set1_ps (0.693145752f), x);
  r = _mm256_fnmadd_ps (n, _mm256_set1_ps (1.42860677e-6f), r);
  vf p = _mm256_set1_ps (1.0f / 5040);
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f / 720));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f / 120));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f / 24));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f / 6));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (0.5f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f));
  const __m256i e = _mm256_slli_epi32 (_mm256_add_epi32 (_mm256_cvtps_epi32 (n),
          _mm256_set1_epi32 (127)), 23);
  return _mm256_and_ps (live, _mm256_mul_ps (p, _mm256_castsi256_ps (e)));
}

#include "attention_simd.h"
