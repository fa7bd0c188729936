/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Scalar dequantization of one row per ggml type: the numeric truth every
 * SIMD kernel is tested against. Results are bit-exact with ggml's
 * dequantize_row_*: each value is computed with the same float operations,
 * e.g. (d * sc) * q - (dmin * m) for the K-quants. */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "quant_blocks.h"
#include "quant_helpers.h"

/* Every product below is exact in binary32: a half scale has 11 significant
 * bits and the integer factors at most 13 more (Q6_K: 8-bit scale times 6-bit
 * quant), so only the final "- min" / "+ m" rounds. Hence the grouping of the
 * products, and FMA contraction in SIMD variants, cannot change a result. */

static void
dequantize_row_f32 (const float *x, float *y, int64_t n)
{
  memcpy (y, x, (size_t) n * sizeof (float));
}

static void
dequantize_row_f16 (const g4_half * x, float *y, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    y[i] = g4_fp16_to_fp32 (x[i]);
}

static void
dequantize_row_bf16 (const g4_bf16 * x, float *y, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    y[i] = g4_bf16_to_fp32 (x[i]);
}

/* The 5th bits of a Q5_0/Q5_1 block, bit j for value j, as a little-endian
 * word whatever the host's byte order. */
static inline uint32_t
high_bits_q5 (const uint8_t qh[4])
{
  return (uint32_t) qh[0] | (uint32_t) qh[1] << 8 | (uint32_t) qh[2] << 16 |
      (uint32_t) qh[3] << 24;
}

/* Q8_0: y = q * d */
static void
dequantize_row_q8_0 (const block_q8_0 * x, float *y, int64_t n)
{
  for (int64_t i = 0; i < n / QK8_0; i++, y += QK8_0) {
    const float d = g4_fp16_to_fp32 (x[i].d);
    for (int j = 0; j < QK8_0; j++)
      y[j] = x[i].qs[j] * d;
  }
}

/* Q4_0: y = (q - 8) * d; low nibbles are values 0-15, high nibbles 16-31. */
static void
dequantize_row_q4_0 (const block_q4_0 * x, float *y, int64_t n)
{
  for (int64_t i = 0; i < n / QK4_0; i++, y += QK4_0) {
    const float d = g4_fp16_to_fp32 (x[i].d);
    for (int j = 0; j < QK4_0 / 2; j++) {
      y[j] = ((x[i].qs[j] & 0xF) - 8) * d;
      y[j + QK4_0 / 2] = ((x[i].qs[j] >> 4) - 8) * d;
    }
  }
}

/* Q4_1: y = q * d + m */
static void
dequantize_row_q4_1 (const block_q4_1 * x, float *y, int64_t n)
{
  for (int64_t i = 0; i < n / QK4_1; i++, y += QK4_1) {
    const float d = g4_fp16_to_fp32 (x[i].d);
    const float m = g4_fp16_to_fp32 (x[i].m);
    for (int j = 0; j < QK4_1 / 2; j++) {
      y[j] = (x[i].qs[j] & 0xF) * d + m;
      y[j + QK4_1 / 2] = (x[i].qs[j] >> 4) * d + m;
    }
  }
}

/* Q5_0: y = (q - 16) * d with q = nibble | 5th bit << 4 */
static void
dequantize_row_q5_0 (const block_q5_0 * x, float *y, int64_t n)
{
  for (int64_t i = 0; i < n / QK5_0; i++, y += QK5_0) {
    const float d = g4_fp16_to_fp32 (x[i].d);
    const uint32_t qh = high_bits_q5 (x[i].qh);
    for (int j = 0; j < QK5_0 / 2; j++) {
      int q0 = (x[i].qs[j] & 0xF) | (int) ((qh >> j) & 1) << 4;
      int q1 = (x[i].qs[j] >> 4) | (int) ((qh >> (j + QK5_0 / 2)) & 1) << 4;
      y[j] = (q0 - 16) * d;
      y[j + QK5_0 / 2] = (q1 - 16) * d;
    }
  }
}

/* Q5_1: y = q * d + m with q = nibble | 5th bit << 4 */
static void
dequantize_row_q5_1 (const block_q5_1 * x, float *y, int64_t n)
{
  for (int64_t i = 0; i < n / QK5_1; i++, y += QK5_1) {
    const float d = g4_fp16_to_fp32 (x[i].d);
    const float m = g4_fp16_to_fp32 (x[i].m);
    const uint32_t qh = high_bits_q5 (x[i].qh);
    for (int j = 0; j < QK5_1 / 2; j++) {
      int q0 = (x[i].qs[j] & 0xF) | (int) ((qh >> j) & 1) << 4;
      int q1 = (x[i].qs[j] >> 4) | (int) ((qh >> (j + QK5_1 / 2)) & 1) << 4;
      y[j] = q0 * d + m;
      y[j + QK5_1 / 2] = q1 * d + m;
    }
  }
}

/* Q2_K: 16 sub-blocks of 16 values; scale byte = 4-bit scale | 4-bit min << 4;
 * y = (d * sc) * q - (dmin * m). Each 128-value half reads 32 bytes of qs
 * four times, two bits deeper each pass: bytes 0-15 feed one sub-block and
 * bytes 16-31 the next. */
static void
dequantize_row_q2_K (const block_q2_K * x, float *y, int64_t n)
{
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = g4_fp16_to_fp32 (x[i].d);
    const float dmin = g4_fp16_to_fp32 (x[i].dmin);
    const uint8_t *sc = x[i].scales;
    for (int half = 0; half < 2; half++) {
      const uint8_t *q = x[i].qs + 32 * half;
      for (int shift = 0; shift < 8; shift += 2) {
        for (int k = 0; k < 2; k++, sc++) {
          const float dl = d * (*sc & 0xF);
          const float ml = dmin * (*sc >> 4);
          for (int l = 0; l < 16; l++)
            *y++ = dl * ((q[16 * k + l] >> shift) & 3) - ml;
        }
      }
    }
  }
}

/* Q3_K: like Q2_K's 2-bit layout plus a high bit in hmask (bit b of hmask[l]
 * for pass b); a clear high bit means q - 4. 6-bit signed scales,
 * y = (d * sc) * q. */
static void
dequantize_row_q3_K (const block_q3_K * x, float *y, int64_t n)
{
  int8_t scales[16];
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = g4_fp16_to_fp32 (x[i].d);
    const uint8_t *hm = x[i].hmask;
    unpack_scales_q3_K (x[i].scales, scales);
    const int8_t *sc = scales;
    int bit = 0;
    for (int half = 0; half < 2; half++) {
      const uint8_t *q = x[i].qs + 32 * half;
      for (int shift = 0; shift < 8; shift += 2, bit++) {
        for (int k = 0; k < 2; k++, sc++) {
          const float dl = d * *sc;
          for (int l = 0; l < 16; l++) {
            int lo = (q[16 * k + l] >> shift) & 3;
            int hi = (hm[16 * k + l] >> bit) & 1;
            *y++ = dl * (lo - (hi ? 0 : 4));
          }
        }
      }
    }
  }
}

/* Q4_K: 8 sub-blocks of 32 with 6-bit scale and min; each 64-value group
 * takes the low nibbles of 32 bytes, then their high nibbles.
 * y = (d * sc) * q - (dmin * m). */
static void
dequantize_row_q4_K (const block_q4_K * x, float *y, int64_t n)
{
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = g4_fp16_to_fp32 (x[i].d);
    const float dmin = g4_fp16_to_fp32 (x[i].dmin);
    const uint8_t *q = x[i].qs;
    for (int g = 0; g < QK_K / 64; g++, q += 32) {
      uint8_t sc, m;
      get_scale_min_k4 (2 * g, x[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      get_scale_min_k4 (2 * g + 1, x[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; l++)
        *y++ = d1 * (q[l] & 0xF) - m1;
      for (int l = 0; l < 32; l++)
        *y++ = d2 * (q[l] >> 4) - m2;
    }
  }
}

/* Q5_K: Q4_K plus a 5th bit: for group g, bit 2g of qh[l] tops the low
 * nibble of qs[l] and bit 2g+1 the high nibble. */
static void
dequantize_row_q5_K (const block_q5_K * x, float *y, int64_t n)
{
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = g4_fp16_to_fp32 (x[i].d);
    const float dmin = g4_fp16_to_fp32 (x[i].dmin);
    const uint8_t *q = x[i].qs;
    const uint8_t *qh = x[i].qh;
    for (int g = 0; g < QK_K / 64; g++, q += 32) {
      uint8_t sc, m;
      get_scale_min_k4 (2 * g, x[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      get_scale_min_k4 (2 * g + 1, x[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; l++)
        *y++ = d1 * ((q[l] & 0xF) | ((qh[l] >> (2 * g)) & 1) << 4) - m1;
      for (int l = 0; l < 32; l++)
        *y++ = d2 * ((q[l] >> 4) | ((qh[l] >> (2 * g + 1)) & 1) << 4) - m2;
    }
  }
}

/* Q6_K: per 128-value half, 64 bytes of low nibbles (ql), 32 bytes of
 * 2-bit pairs (qh) and 8 int8 scales of 16 values each.
 * y = (d * sc) * (q - 32). */
static void
dequantize_row_q6_K (const block_q6_K * x, float *y, int64_t n)
{
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = g4_fp16_to_fp32 (x[i].d);
    for (int half = 0; half < 2; half++, y += 128) {
      const uint8_t *ql = x[i].ql + 64 * half;
      const uint8_t *qh = x[i].qh + 32 * half;
      const int8_t *sc = x[i].scales + 8 * half;
      for (int l = 0; l < 32; l++) {
        const int s = l / 16;
        int q0 = ((ql[l] & 0xF) | ((qh[l] >> 0) & 3) << 4) - 32;
        int q1 = ((ql[l + 32] & 0xF) | ((qh[l] >> 2) & 3) << 4) - 32;
        int q2 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
        int q3 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
        y[l] = d * sc[s] * q0;
        y[l + 32] = d * sc[s + 2] * q1;
        y[l + 64] = d * sc[s + 4] * q2;
        y[l + 96] = d * sc[s + 6] * q3;
      }
    }
  }
}

/* IQ4_NL: y = d * codebook[q], nibble layout as Q4_0. */
static void
dequantize_row_iq4_nl (const block_iq4_nl * x, float *y, int64_t n)
{
  for (int64_t i = 0; i < n / QK4_NL; i++, y += QK4_NL) {
    const float d = g4_fp16_to_fp32 (x[i].d);
    for (int j = 0; j < QK4_NL / 2; j++) {
      y[j] = d * g4_iq4nl_values[x[i].qs[j] & 0xF];
      y[j + QK4_NL / 2] = d * g4_iq4nl_values[x[i].qs[j] >> 4];
    }
  }
}

/* IQ4_XS: 8 sub-blocks of 32 in IQ4_NL's layout, each with a 6-bit scale;
 * y = (d * (ls - 32)) * codebook[q]. */
static void
dequantize_row_iq4_xs (const block_iq4_xs * x, float *y, int64_t n)
{
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = g4_fp16_to_fp32 (x[i].d);
    const uint8_t *q = x[i].qs;
    for (int ib = 0; ib < QK_K / 32; ib++, q += 16, y += 32) {
      const float dl = d * scale_iq4_xs (&x[i], ib);
      for (int j = 0; j < 16; j++) {
        y[j] = dl * g4_iq4nl_values[q[j] & 0xF];
        y[j + 16] = dl * g4_iq4nl_values[q[j] >> 4];
      }
    }
  }
}

void
g4_dequantize_row (g4_type type, const void *src, float *dst, int64_t n)
{
  assert (g4_type_traits_get (type) && g4_type_traits_get (type)->supported);
  assert (n % g4_type_traits_get (type)->block_size == 0);

  switch (type) {
    case G4_TYPE_F32:
      dequantize_row_f32 (src, dst, n);
      break;
    case G4_TYPE_F16:
      dequantize_row_f16 (src, dst, n);
      break;
    case G4_TYPE_BF16:
      dequantize_row_bf16 (src, dst, n);
      break;
    case G4_TYPE_Q8_0:
      dequantize_row_q8_0 (src, dst, n);
      break;
    case G4_TYPE_Q4_0:
      dequantize_row_q4_0 (src, dst, n);
      break;
    case G4_TYPE_Q4_1:
      dequantize_row_q4_1 (src, dst, n);
      break;
    case G4_TYPE_Q5_0:
      dequantize_row_q5_0 (src, dst, n);
      break;
    case G4_TYPE_Q5_1:
      dequantize_row_q5_1 (src, dst, n);
      break;
    case G4_TYPE_Q2_K:
      dequantize_row_q2_K (src, dst, n);
      break;
    case G4_TYPE_Q3_K:
      dequantize_row_q3_K (src, dst, n);
      break;
    case G4_TYPE_Q4_K:
      dequantize_row_q4_K (src, dst, n);
      break;
    case G4_TYPE_Q5_K:
      dequantize_row_q5_K (src, dst, n);
      break;
    case G4_TYPE_Q6_K:
      dequantize_row_q6_K (src, dst, n);
      break;
    case G4_TYPE_IQ4_NL:
      dequantize_row_iq4_nl (src, dst, n);
      break;
    case G4_TYPE_IQ4_XS:
      dequantize_row_iq4_xs (src, dst, n);
      break;
    default:
      /* The loader rejects unsupported types; NaN makes a slip visible in
       * release builds instead of leaving the caller's buffer stale. */
      for (int64_t i = 0; i < n; i++)
        dst[i] = NAN;
      break;
  }
}
