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

/* Blocks of 32: y = q * d, plus m for Q4_1 / Q5_1. */
static void
dequantize_row_block32 (g4_type t, const void *x, float *y, int64_t n)
{
  for (int64_t i = 0; i < n / 32; i++, y += 32) {
    block32 u;
    unpack_block32 (t, x, i, &u);
    const float d = g4_fp16_to_fp32 (u.d);
    if (block32_has_min (t)) {
      const float m = g4_fp16_to_fp32 (u.m);
      for (int j = 0; j < 32; j++)
        y[j] = u.q[j] * d + m;
    } else {
      for (int j = 0; j < 32; j++)
        y[j] = u.q[j] * d;
    }
  }
}

/* Super-blocks: y = (d * sc) * q, minus (dmin * m) for Q2_K, Q4_K, Q5_K. */
static void
dequantize_row_superblock (g4_type t, const void *x, float *y, int64_t n)
{
  const int sub = superblock_sub (t);
  for (int64_t i = 0; i < n / QK_K; i++) {
    superblock u;
    unpack_superblock (t, x, i, &u);
    const float d = g4_fp16_to_fp32 (u.d);
    const float dmin = superblock_has_min (t) ? g4_fp16_to_fp32 (u.dmin) : 0.0f;
    for (int s = 0; s < QK_K / sub; s++, y += sub) {
      const int8_t *q = u.q + sub * s;
      const float dl = d * u.scale[s];
      if (superblock_has_min (t)) {
        const float ml = dmin * u.min[s];
        for (int l = 0; l < sub; l++)
          y[l] = dl * q[l] - ml;
      } else {
        for (int l = 0; l < sub; l++)
          y[l] = dl * q[l];
      }
    }
  }
}

void
g4_dequantize_row (g4_type type, const void *src, float *dst, int64_t n)
{
  assert (g4_kernels_supports (type));
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
    case G4_TYPE_Q4_0:
    case G4_TYPE_Q4_1:
    case G4_TYPE_Q5_0:
    case G4_TYPE_Q5_1:
    case G4_TYPE_Q8_0:
    case G4_TYPE_IQ4_NL:
      dequantize_row_block32 (type, src, dst, n);
      break;
    case G4_TYPE_Q2_K:
    case G4_TYPE_Q3_K:
    case G4_TYPE_Q4_K:
    case G4_TYPE_Q5_K:
    case G4_TYPE_Q6_K:
    case G4_TYPE_IQ4_XS:
      dequantize_row_superblock (type, src, dst, n);
      break;
    default:
      /* The loader rejects unsupported types; NaN makes a slip visible in
       * release builds instead of leaving the caller's buffer stale. */
      for (int64_t i = 0; i < n; i++)
        dst[i] = NAN;
      break;
  }
}
