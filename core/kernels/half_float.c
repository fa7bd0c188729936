/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scalar half-precision and bfloat16 conversions every kernel shares. */
#include <string.h>

#include "kernels.h"

static inline uint32_t
f32_bits (float f)
{
  uint32_t u;
  memcpy (&u, &f, 4);
  return u;
}

static inline float
bits_f32 (uint32_t u)
{
  float f;
  memcpy (&f, &u, 4);
  return f;
}

/* Exact binary16 -> binary32 (subnormals, inf and NaN included). */
float
g4_fp16_to_fp32 (uint16_t h)
{
  uint32_t sign = (uint32_t) (h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t man = h & 0x3ff;
  if (exp == 0x1f)
    return bits_f32 (sign | 0x7f800000u | (man << 13));
  if (exp == 0) {
    if (man == 0)
      return bits_f32 (sign);
    /* subnormal: value = man * 2^-24 */
    float v = (float) man * 0x1p-24f;
    return sign ? -v : v;
  }
  return bits_f32 (sign | ((exp + 112) << 23) | (man << 13));
}

/* binary32 -> binary16 with round-to-nearest-even, as F16C's vcvtps2ph does. */
uint16_t
g4_fp32_to_fp16 (float f)
{
  uint32_t x = f32_bits (f);
  uint32_t sign = (x >> 16) & 0x8000;
  uint32_t ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u)
    return (uint16_t) (sign | 0x7e00 | ((ax >> 13) & 0x3ff));
  if (ax >= 0x477ff000u)        /* rounds to >= 65520: overflow to inf */
    return (uint16_t) (sign | 0x7c00);
  if (ax < 0x38800000u) {       /* below the smallest normal half: subnormal or zero */
    float v = bits_f32 (ax) * 0x1p24f;  /* exact scaling; lrint rounds to even */
    uint32_t m = (uint32_t) __builtin_rintf (v);
    return (uint16_t) (sign | m);
  }
  uint32_t r = ax + 0xfffu + ((ax >> 13) & 1);  /* round to nearest even at bit 13 */
  return (uint16_t) (sign | ((r - 0x38000000u) >> 13));
}

float
g4_bf16_to_fp32 (uint16_t h)
{
  return bits_f32 ((uint32_t) h << 16);
}
