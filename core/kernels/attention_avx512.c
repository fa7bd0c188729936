/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AVX-512 attention row kernel (attention_simd.h over 16-float vectors),
 * compiled with its own flags; attention_f32.c calls it when dispatch.c chose
 * AVX-512. Must equal attention_rows_scalar up to float summation order and
 * the exponential's last bits. */
#include <immintrin.h>
#include <math.h>

#include "attention.h"

typedef __m512 vf;
typedef __mmask16 vmask;
#define W 16
/* 6 rows x 4 vectors: 24 accumulators of the 32 registers */
#define SCORE_VECS 4
#define OUT_VECS 4
#define ATTN_ROWS_FN attention_rows_avx512
#define ATTN_F16_RUN_FN attention_f16_run_avx512

static inline vmask vmask_first (int n) { return (vmask) ((1u << n) - 1); }
static inline vf vzero (void) { return _mm512_setzero_ps (); }
static inline vf vset1 (float x) { return _mm512_set1_ps (x); }
static inline vf vload (const float *p) { return _mm512_loadu_ps (p); }
static inline vf vload_h (const uint16_t *p) { return _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) p)); }
static inline void vstore (float *p, vf x) { _mm512_storeu_ps (p, x); }
static inline vf vload_m (const float *p, vmask m) { return _mm512_maskz_loadu_ps (m, p); }
static inline void vstore_m (float *p, vf x, vmask m) { _mm512_mask_storeu_ps (p, m, x); }
static inline vf vfma (vf a, vf b, vf c) { return _mm512_fmadd_ps (a, b, c); }
static inline vf vmul (vf a, vf b) { return _mm512_mul_ps (a, b); }
static inline vf vsub (vf a, vf b) { return _mm512_sub_ps (a, b); }
static inline vf vadd (vf a, vf b) { return _mm512_add_ps (a, b); }
static inline vf vmax (vf a, vf b) { return _mm512_max_ps (a, b); }
static inline float vhmax (vf x) { return _mm512_reduce_max_ps (x); }
static inline float vhadd (vf x) { return _mm512_reduce_add_ps (x); }

static inline vf
vkeep (vf x, const int32_t *kp, int32_t lo, int32_t hi)
{
  const __m512i p = _mm512_loadu_si512 (kp);
  const __mmask16 in = _mm512_cmpge_epi32_mask (p, _mm512_set1_epi32 (lo))
      & _mm512_cmplt_epi32_mask (p, _mm512_set1_epi32 (hi));
  return _mm512_mask_blend_ps (in, _mm512_set1_ps (-INFINITY), x);
}

/* e^x = 2^n e^r, n = round (x / ln 2), |r| <= ln 2 / 2, e^r by its Taylor
 * polynomial to r^7 (relative error below 1e-8); lanes under -87.3 (where
 * e^x leaves the normal floats, -inf included) give 0, scalef scales by 2^n. */
static inline vf
vexp (vf x)
{
  const __mmask16 live = _mm512_cmp_ps_mask (x, _mm512_set1_ps (-87.3f), _CMP_GE_OQ);
  x = _mm512_min_ps (x, _mm512_set1_ps (88.0f));
  const vf n = _mm512_roundscale_ps (_mm512_mul_ps (x, _mm512_set1_ps (1.44269504f)),
      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  vf r = _mm512_fnmadd_ps (n, _mm512_set1_ps (0.693145752f), x);
  r = _mm512_fnmadd_ps (n, _mm512_set1_ps (1.42860677e-6f), r);
  vf p = _mm512_set1_ps (1.0f / 5040);
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (1.0f / 720));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (1.0f / 120));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (1.0f / 24));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (1.0f / 6));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (0.5f));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (1.0f));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (1.0f));
  return _mm512_maskz_scalef_ps (live, p, n);
}

#include "attention_simd.h"
