/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scalar reference dot products, one per weight type against its partner
 * activation type: the executable spec that vec_avx2.c and vec_avx512.c must
 * equal. Quantized weights are unpacked by quant_helpers.h, as dequantize.c
 * does; one loop per block family then sums exact integer products per block
 * (sub-block scales applied in integers) and adds block * scale in float, the
 * same math as ggml's vec_dot_*_generic. Float weights keep f32 activations
 * and sum in double. */
#include <math.h>

#include "quant_blocks.h"
#include "quant_helpers.h"
#include "vec.h"

/* The family loops take the weight type as a constant: inlined into each
 * exported function, they become one plain, vectorizable loop per type. */
#define ALWAYS_INLINE static inline __attribute__ ((always_inline))

/* Weight i of a row of F32, F16 or BF16 values. */
ALWAYS_INLINE float
float_weight (g4_type t, const void *w, int64_t i)
{
  if (t == G4_TYPE_F16)
    return g4_fp16_to_fp32 (((const g4_half *) w)[i]);
  if (t == G4_TYPE_BF16)
    return g4_bf16_to_fp32 (((const g4_bf16 *) w)[i]);
  return ((const float *) w)[i];
}

/* Float weights against f32 activations, summed in double. */
ALWAYS_INLINE float
dot_float_f32 (g4_type t, int64_t n, const void *w, const float *a)
{
  double sum = 0.0;
  for (int64_t i = 0; i < n; i++)
    sum += (double) float_weight (t, w, i) * a[i];
  return (float) sum;
}

/* sum x[k] * y[k] over n int8 pairs: exact */
static inline int
dot_i8 (const int8_t *x, const int8_t *y, int n)
{
  int sum = 0;
  for (int k = 0; k < n; k++)
    sum += x[k] * y[k];
  return sum;
}

/* a.qs[v0] + ... + a.qs[v0 + len - 1] from the sums of 16 (v0, len multiples of 16) */
static inline int
sum_q8_K (const block_q8_K *a, int v0, int len)
{
  int sum = 0;
  for (int k = v0 / 16; k < (v0 + len) / 16; k++)
    sum += a->bsums[k];
  return sum;
}

/* Rows of 32-value blocks (quant_helpers.h: w = d * q, + m for Q4_1 and
 * Q5_1) against Q8_0, or Q8_1 for the types with m: per block
 * (q . a) * (d * d_a), and m * s_a, where s_a carries the activation sum. */
ALWAYS_INLINE float
dot_block32 (g4_type t, int64_t n, const void *w, const void *a)
{
  float sum = 0.0f;
  for (int64_t i = 0; i < n / 32; i++) {
    block32 u;
    unpack_block32 (t, w, i, &u);
    if (block32_has_min (t)) {
      const block_q8_1 *b = (const block_q8_1 *) a + i;
      sum += (float) dot_i8 (u.q, b->qs, 32) * (g4_fp16_to_fp32 (u.d) * g4_fp16_to_fp32 (b->d))
          + g4_fp16_to_fp32 (u.m) * g4_fp16_to_fp32 (b->s);
    } else {
      const block_q8_0 *b = (const block_q8_0 *) a + i;
      sum += (float) dot_i8 (u.q, b->qs, 32) * (g4_fp16_to_fp32 (u.d) * g4_fp16_to_fp32 (b->d));
    }
  }
  return sum;
}

/* Super-blocks (quant_helpers.h: w = d * sc * q - dmin * m per sub-block)
 * against Q8_K: the sub-block scales applied to exact integer dots, the mins
 * to the activation sums bsums (one per 16 values). */
ALWAYS_INLINE float
dot_superblock_q8_K (g4_type t, int64_t n, const void *w, const block_q8_K *a)
{
  const int sub = superblock_sub (t);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    superblock u;
    unpack_superblock (t, w, i, &u);
    int isum = 0, summs = 0;
    for (int s = 0; s < QK_K / sub; s++) {
      isum += u.scale[s] * dot_i8 (u.q + sub * s, a[i].qs + sub * s, sub);
      if (superblock_has_min (t))
        summs += u.min[s] * sum_q8_K (&a[i], sub * s, sub);
    }
    if (superblock_has_min (t))
      sum += a[i].d * g4_fp16_to_fp32 (u.d) * (float) isum
          - a[i].d * g4_fp16_to_fp32 (u.dmin) * (float) summs;
    else
      sum += a[i].d * g4_fp16_to_fp32 (u.d) * (float) isum;
  }
  return sum;
}

float
vec_dot_f32_f32_scalar (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_float_f32 (G4_TYPE_F32, n, w, a);
}

float
vec_dot_f16_f32_scalar (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_float_f32 (G4_TYPE_F16, n, w, a);
}

float
vec_dot_bf16_f32_scalar (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_float_f32 (G4_TYPE_BF16, n, w, a);
}

float
vec_dot_q4_0_q8_0_scalar (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_block32 (G4_TYPE_Q4_0, n, w, a);
}

float
vec_dot_q5_0_q8_0_scalar (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_block32 (G4_TYPE_Q5_0, n, w, a);
}

float
vec_dot_q8_0_q8_0_scalar (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_block32 (G4_TYPE_Q8_0, n, w, a);
}

float
vec_dot_iq4_nl_q8_0_scalar (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_block32 (G4_TYPE_IQ4_NL, n, w, a);
}

float
vec_dot_q4_1_q8_1_scalar (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_block32 (G4_TYPE_Q4_1, n, w, a);
}

float
vec_dot_q5_1_q8_1_scalar (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_block32 (G4_TYPE_Q5_1, n, w, a);
}

float
vec_dot_q2_K_q8_K_scalar (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_superblock_q8_K (G4_TYPE_Q2_K, n, w, a);
}

float
vec_dot_q3_K_q8_K_scalar (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_superblock_q8_K (G4_TYPE_Q3_K, n, w, a);
}

float
vec_dot_q4_K_q8_K_scalar (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_superblock_q8_K (G4_TYPE_Q4_K, n, w, a);
}

float
vec_dot_q5_K_q8_K_scalar (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_superblock_q8_K (G4_TYPE_Q5_K, n, w, a);
}

float
vec_dot_q6_K_q8_K_scalar (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_superblock_q8_K (G4_TYPE_Q6_K, n, w, a);
}

float
vec_dot_iq4_xs_q8_K_scalar (int64_t n, const void *restrict w, const void *restrict a)
{
  return dot_superblock_q8_K (G4_TYPE_IQ4_XS, n, w, a);
}

/* The float GEMM's spec: each output the chain of float FMAs over its row in
 * order, from 0 (gemm_float_avx512.c keeps one such chain per accumulator
 * lane across its tiles and column blocks). */
void
gemm_float_rows_scalar (const g4_matrix *w, int64_t r0, int64_t r1, const float *restrict x,
    int64_t T, float *restrict y, int64_t ldy)
{
  const int64_t n = w->n_in;
  for (int64_t t = 0; t < T; t++)
    for (int64_t o = r0; o < r1; o++) {
      const void *row = (const char *) w->data + o * w->row_bytes;
      float acc = 0.0f;
      for (int64_t i = 0; i < n; i++)
        acc = fmaf (float_weight (w->type, row, i), x[t * n + i], acc);
      y[t * ldy + o] = acc;
    }
}
