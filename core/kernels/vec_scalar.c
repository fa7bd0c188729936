/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scalar reference dot products, one per weight type against its partner
 * activation type: the executable spec that vec_avx2.c and vec_avx512.c must
 * equal. Quantized types sum exact integer products per block (sub-block
 * scales applied in integers), then add block * scale in float, the same math
 * as ggml's vec_dot_*_generic. Float weights keep f32 activations and sum in
 * double. */
#include <string.h>

#include "quant_blocks.h"
#include "quant_helpers.h"
#include "vec.h"

float
vec_dot_f32_f32_scalar (int64_t n, const void *restrict vw, const void *restrict va)
{
  const float *restrict w = vw, *restrict a = va;
  double sum = 0.0;
  for (int64_t i = 0; i < n; i++)
    sum += (double) w[i] * a[i];
  return (float) sum;
}

float
vec_dot_f16_f32_scalar (int64_t n, const void *restrict vw, const void *restrict va)
{
  const g4_half *restrict w = vw;
  const float *restrict a = va;
  double sum = 0.0;
  for (int64_t i = 0; i < n; i++)
    sum += (double) g4_fp16_to_fp32 (w[i]) * a[i];
  return (float) sum;
}

float
vec_dot_bf16_f32_scalar (int64_t n, const void *restrict vw, const void *restrict va)
{
  const g4_bf16 *restrict w = vw;
  const float *restrict a = va;
  double sum = 0.0;
  for (int64_t i = 0; i < n; i++)
    sum += (double) g4_bf16_to_fp32 (w[i]) * a[i];
  return (float) sum;
}

/* w = d * (q - 8); low nibbles hold values 0..15, high nibbles 16..31. */
float
vec_dot_q4_0_q8_0_scalar (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q4_0 *restrict w = vw;
  const block_q8_0 *restrict a = va;
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK4_0; i++) {
    int isum = 0;
    for (int j = 0; j < QK4_0 / 2; j++) {
      isum += ((w[i].qs[j] & 0xF) - 8) * a[i].qs[j];
      isum += ((w[i].qs[j] >> 4) - 8) * a[i].qs[j + QK4_0 / 2];
    }
    sum += (float) isum * (g4_fp16_to_fp32 (w[i].d) * g4_fp16_to_fp32 (a[i].d));
  }
  return sum;
}

/* w = d * q + m; the m term needs only the activation sum, carried in a.s. */
float
vec_dot_q4_1_q8_1_scalar (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q4_1 *restrict w = vw;
  const block_q8_1 *restrict a = va;
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK4_1; i++) {
    int isum = 0;
    for (int j = 0; j < QK4_1 / 2; j++) {
      isum += (w[i].qs[j] & 0xF) * a[i].qs[j];
      isum += (w[i].qs[j] >> 4) * a[i].qs[j + QK4_1 / 2];
    }
    sum += (float) isum * (g4_fp16_to_fp32 (w[i].d) * g4_fp16_to_fp32 (a[i].d))
        + g4_fp16_to_fp32 (w[i].m) * g4_fp16_to_fp32 (a[i].s);
  }
  return sum;
}

/* Fifth bit of value j is bit j of qh. */
static inline int
q5_high_bit (uint32_t qh, int j)
{
  return (int) ((qh >> j) & 1) << 4;
}

/* w = d * (q - 16), q 5 bits. */
float
vec_dot_q5_0_q8_0_scalar (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q5_0 *restrict w = vw;
  const block_q8_0 *restrict a = va;
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK5_0; i++) {
    uint32_t qh;
    memcpy (&qh, w[i].qh, sizeof qh);
    int isum = 0;
    for (int j = 0; j < QK5_0 / 2; j++) {
      isum += (((w[i].qs[j] & 0xF) | q5_high_bit (qh, j)) - 16) * a[i].qs[j];
      isum += (((w[i].qs[j] >> 4) | q5_high_bit (qh, j + 16)) - 16)
          * a[i].qs[j + QK5_0 / 2];
    }
    sum += (float) isum * (g4_fp16_to_fp32 (w[i].d) * g4_fp16_to_fp32 (a[i].d));
  }
  return sum;
}

/* w = d * q + m, q 5 bits. */
float
vec_dot_q5_1_q8_1_scalar (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q5_1 *restrict w = vw;
  const block_q8_1 *restrict a = va;
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK5_1; i++) {
    uint32_t qh;
    memcpy (&qh, w[i].qh, sizeof qh);
    int isum = 0;
    for (int j = 0; j < QK5_1 / 2; j++) {
      isum += ((w[i].qs[j] & 0xF) | q5_high_bit (qh, j)) * a[i].qs[j];
      isum += ((w[i].qs[j] >> 4) | q5_high_bit (qh, j + 16)) * a[i].qs[j + QK5_1 / 2];
    }
    sum += (float) isum * (g4_fp16_to_fp32 (w[i].d) * g4_fp16_to_fp32 (a[i].d))
        + g4_fp16_to_fp32 (w[i].m) * g4_fp16_to_fp32 (a[i].s);
  }
  return sum;
}

float
vec_dot_q8_0_q8_0_scalar (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q8_0 *restrict w = vw;
  const block_q8_0 *restrict a = va;
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK8_0; i++) {
    int isum = 0;
    for (int j = 0; j < QK8_0; j++)
      isum += w[i].qs[j] * a[i].qs[j];
    sum += (float) isum * (g4_fp16_to_fp32 (w[i].d) * g4_fp16_to_fp32 (a[i].d));
  }
  return sum;
}

/* Q2_K: 16 sub-blocks of 16, w = d * (sc & 15) * q - dmin * (sc >> 4), q 2
 * bits. Each 32 bytes of qs hold 128 values: bits 2k..2k+1 of byte l are
 * value 32k + l. */
float
vec_dot_q2_K_q8_K_scalar (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q2_K *restrict w = vw;
  const block_q8_K *restrict a = va;
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const uint8_t *sc = w[i].scales;
    int isum = 0, summs = 0;
    for (int j = 0; j < QK_K / 16; j++) {
      const uint8_t *q2 = w[i].qs + 32 * (j / 8) + 16 * (j % 2);
      const int8_t *q8 = a[i].qs + 16 * j;
      const int shift = 2 * ((j / 2) % 4);
      int sub = 0;
      for (int l = 0; l < 16; l++)
        sub += ((q2[l] >> shift) & 3) * q8[l];
      isum += (sc[j] & 0xF) * sub;
      summs += (sc[j] >> 4) * a[i].bsums[j];
    }
    sum += a[i].d * g4_fp16_to_fp32 (w[i].d) * (float) isum
        - a[i].d * g4_fp16_to_fp32 (w[i].dmin) * (float) summs;
  }
  return sum;
}

/* Q3_K: 16 sub-blocks of 16, w = d * scale * (q - 4 * !hbit), q 2 low bits
 * laid out as Q2_K, the high bit of value v in bit v / 32 of hmask[v % 32]. */
float
vec_dot_q3_K_q8_K_scalar (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q3_K *restrict w = vw;
  const block_q8_K *restrict a = va;
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    int8_t scales[16];
    unpack_scales_q3_K (w[i].scales, scales);
    int isum = 0;
    for (int j = 0; j < QK_K / 16; j++) {
      const uint8_t *q3 = w[i].qs + 32 * (j / 8) + 16 * (j % 2);
      const uint8_t *hm = w[i].hmask + 16 * (j % 2);
      const int8_t *q8 = a[i].qs + 16 * j;
      const int shift = 2 * ((j / 2) % 4);
      const int hbit = j / 2;
      int sub = 0;
      for (int l = 0; l < 16; l++) {
        int q = ((q3[l] >> shift) & 3) - (((hm[l] >> hbit) & 1) ? 0 : 4);
        sub += q * q8[l];
      }
      isum += scales[j] * sub;
    }
    sum += a[i].d * g4_fp16_to_fp32 (w[i].d) * (float) isum;
  }
  return sum;
}

/* Q4_K: 8 sub-blocks of 32 with 6-bit scale and min, w = d * sc * q - dmin *
 * m. Each 32 bytes of qs hold 64 values: low nibbles first, then high. */
float
vec_dot_q4_K_q8_K_scalar (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q4_K *restrict w = vw;
  const block_q8_K *restrict a = va;
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    int isum = 0, summs = 0;
    for (int j = 0; j < QK_K / 32; j++) {
      uint8_t sc, m;
      get_scale_min_k4 (j, w[i].scales, &sc, &m);
      const uint8_t *q4 = w[i].qs + 32 * (j / 2);
      const int8_t *q8 = a[i].qs + 32 * j;
      const int shift = 4 * (j % 2);
      int sub = 0;
      for (int l = 0; l < 32; l++)
        sub += ((q4[l] >> shift) & 0xF) * q8[l];
      isum += sc * sub;
      summs += m * (a[i].bsums[2 * j] + a[i].bsums[2 * j + 1]);
    }
    sum += a[i].d * g4_fp16_to_fp32 (w[i].d) * (float) isum
        - a[i].d * g4_fp16_to_fp32 (w[i].dmin) * (float) summs;
  }
  return sum;
}

/* Q5_K: Q4_K plus a fifth bit: value 32j + l has it in bit j of qh[l]. */
float
vec_dot_q5_K_q8_K_scalar (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q5_K *restrict w = vw;
  const block_q8_K *restrict a = va;
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    int isum = 0, summs = 0;
    for (int j = 0; j < QK_K / 32; j++) {
      uint8_t sc, m;
      get_scale_min_k4 (j, w[i].scales, &sc, &m);
      const uint8_t *q4 = w[i].qs + 32 * (j / 2);
      const int8_t *q8 = a[i].qs + 32 * j;
      const int shift = 4 * (j % 2);
      int sub = 0;
      for (int l = 0; l < 32; l++) {
        int q = ((q4[l] >> shift) & 0xF) | (((w[i].qh[l] >> j) & 1) << 4);
        sub += q * q8[l];
      }
      isum += sc * sub;
      summs += m * (a[i].bsums[2 * j] + a[i].bsums[2 * j + 1]);
    }
    sum += a[i].d * g4_fp16_to_fp32 (w[i].d) * (float) isum
        - a[i].d * g4_fp16_to_fp32 (w[i].dmin) * (float) summs;
  }
  return sum;
}

/* Q6_K: 16 sub-blocks of 16 with signed 8-bit scales, w = d * sc * (q - 32).
 * Per 128 values: ql holds 64 bytes (values l and l+64 in the nibbles of
 * byte l, l < 64), qh 32 bytes (the top 2 bits of values l, l+32, l+64, l+96
 * at shifts 0, 2, 4, 6 of byte l). */
float
vec_dot_q6_K_q8_K_scalar (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_q6_K *restrict w = vw;
  const block_q8_K *restrict a = va;
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    int isum = 0;
    for (int j = 0; j < QK_K / 16; j++) {
      const int half = j / 8;   /* which 128 values */
      const int quarter = (j / 2) % 4;  /* which 32 of them */
      const uint8_t *ql = w[i].ql + 64 * half + 32 * (quarter % 2) + 16 * (j % 2);
      const uint8_t *qh = w[i].qh + 32 * half + 16 * (j % 2);
      const int8_t *q8 = a[i].qs + 16 * j;
      const int lshift = 4 * (quarter / 2), hshift = 2 * quarter;
      int sub = 0;
      for (int l = 0; l < 16; l++) {
        int q = (((ql[l] >> lshift) & 0xF) | (((qh[l] >> hshift) & 3) << 4)) - 32;
        sub += q * q8[l];
      }
      isum += w[i].scales[j] * sub;
    }
    sum += a[i].d * g4_fp16_to_fp32 (w[i].d) * (float) isum;
  }
  return sum;
}

/* IQ4_NL: w = d * codebook[q], laid out as Q4_0. */
float
vec_dot_iq4_nl_q8_0_scalar (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_iq4_nl *restrict w = vw;
  const block_q8_0 *restrict a = va;
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK4_NL; i++) {
    int isum = 0;
    for (int j = 0; j < QK4_NL / 2; j++) {
      isum += g4_iq4nl_values[w[i].qs[j] & 0xF] * a[i].qs[j];
      isum += g4_iq4nl_values[w[i].qs[j] >> 4] * a[i].qs[j + QK4_NL / 2];
    }
    sum += (float) isum * (g4_fp16_to_fp32 (w[i].d) * g4_fp16_to_fp32 (a[i].d));
  }
  return sum;
}

/* IQ4_XS: 8 sub-blocks of 32 with signed 6-bit scales, w = d * scale *
 * codebook[q], each sub-block laid out as one IQ4_NL block. */
float
vec_dot_iq4_xs_q8_K_scalar (int64_t n, const void *restrict vw, const void *restrict va)
{
  const block_iq4_xs *restrict w = vw;
  const block_q8_K *restrict a = va;
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    int isum = 0;
    for (int j = 0; j < QK_K / 32; j++) {
      const uint8_t *qs = w[i].qs + 16 * j;
      const int8_t *q8 = a[i].qs + 32 * j;
      int sub = 0;
      for (int l = 0; l < 16; l++) {
        sub += g4_iq4nl_values[qs[l] & 0xF] * q8[l];
        sub += g4_iq4nl_values[qs[l] >> 4] * q8[l + 16];
      }
      isum += scale_iq4_xs (&w[i], j) * sub;
    }
    sum += a[i].d * g4_fp16_to_fp32 (w[i].d) * (float) isum;
  }
  return sum;
}
