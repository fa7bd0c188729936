/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Scalar quantizers of float activation rows into the partner block types of
 * the weights: Q8_0 (Q4_0, Q5_0, Q8_0, IQ4_NL), Q8_1 (Q4_1, Q5_1) and Q8_K
 * (the K-quants and IQ4_XS). Same math and rounding as ggml's reference
 * quantize_row_q8_{0,1,K}_ref; the ISA files must produce identical blocks. */
#include <math.h>
#include <string.h>

#include "quant_blocks.h"
#include "vec.h"

/* One block of 32: d = amax / 127, q = roundf(x / d) (round half away from
 * zero, as ggml); returns d unrounded. */
static float
quantize_block_q8 (const float *x, int8_t q[32])
{
  float amax = 0.0f;
  for (int j = 0; j < 32; j++)
    amax = fmaxf (amax, fabsf (x[j]));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int j = 0; j < 32; j++)
    q[j] = (int8_t) roundf (x[j] * id);
  return d;
}

void
quantize_row_q8_0_scalar (const float *restrict x, void *restrict vy, int64_t n)
{
  block_q8_0 *restrict y = vy;
  for (int64_t i = 0; i < n / QK8_0; i++, x += QK8_0)
    y[i].d = g4_fp32_to_fp16 (quantize_block_q8 (x, y[i].qs));
}

/* As Q8_0, plus s = d * sum(q) for the offset term of Q4_1 / Q5_1 (d is the
 * unrounded float scale, as ggml). */
void
quantize_row_q8_1_scalar (const float *restrict x, void *restrict vy, int64_t n)
{
  block_q8_1 *restrict y = vy;
  for (int64_t i = 0; i < n / QK8_1; i++, x += QK8_1) {
    const float d = quantize_block_q8 (x, y[i].qs);
    int sum = 0;
    for (int j = 0; j < QK8_1; j++)
      sum += y[i].qs[j];
    y[i].d = g4_fp32_to_fp16 (d);
    y[i].s = g4_fp32_to_fp16 ((float) sum * d);
  }
}

/* The value of largest magnitude maps to -127 (ggml keeps the sign flip so
 * that its IQ kernels stay simple); q = nearest_int (round half to even, what
 * ggml's magic-number nearest_int does), clamped to 127. bsums are the sums of
 * each 16 quants. An all-zero block has d = 0 and zero quants and sums (ggml
 * leaves its bsums unset there). */
void
quantize_row_q8_K_scalar (const float *restrict x, void *restrict vy, int64_t n)
{
  block_q8_K *restrict y = vy;
  for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
    float max = 0.0f, amax = 0.0f;
    for (int j = 0; j < QK_K; j++) {
      if (fabsf (x[j]) > amax) {
        amax = fabsf (x[j]);
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      memset (&y[i], 0, sizeof y[i]);
      continue;
    }
    const float iscale = -127.0f / max;
    for (int j = 0; j < QK_K; j++) {
      int v = (int) rintf (iscale * x[j]);
      y[i].qs[j] = (int8_t) (v < 127 ? v : 127);
    }
    for (int j = 0; j < QK_K / 16; j++) {
      int sum = 0;
      for (int l = 0; l < 16; l++)
        sum += y[i].qs[16 * j + l];
      y[i].bsums[j] = (int16_t) sum;
    }
    y[i].d = 1.0f / iscale;
  }
}
