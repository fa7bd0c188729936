/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to kernels/: the float weight kinds and their 16-value loads as
 * f32, shared by the AVX-512 dot products (vec_avx512.c) and GEMM
 * (gemm_float_avx512.c); only files compiled with AVX-512 flags include it. */
#ifndef G4_FLOAT_WEIGHTS_AVX512_H
#define G4_FLOAT_WEIGHTS_AVX512_H

#include <immintrin.h>
#include <stdint.h>

enum { W_F32, W_F16, W_BF16 };

/* 16 weights of a row from element i on (only the lanes in m, zeros
 * elsewhere); F16 and BF16 convert exactly. */
static inline __attribute__ ((always_inline)) __m512
load_weights_16 (int kind, const char *w, int64_t i, __mmask16 m)
{
  if (kind == W_F32)
    return _mm512_maskz_loadu_ps (m, (const float *) w + i);
  const __m256i h = _mm256_maskz_loadu_epi16 (m, (const uint16_t *) w + i);
  if (kind == W_F16)
    return _mm512_cvtph_ps (h);
  return _mm512_castsi512_ps (_mm512_slli_epi32 (_mm512_cvtepu16_epi32 (h), 16));
}

#endif
