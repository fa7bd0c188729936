/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-type block geometry and the scalar half/bfloat16 conversions. */
#include <string.h>

#include "kernels.h"
#include "quant_blocks.h"

#define T(id, nm, bs, ts, ok) [id] = { .name = nm, .block_size = bs, .type_size = ts, .supported = ok }

/* clang-format off */
static const g4_type_traits traits[G4_TYPE_COUNT] = {
  T (G4_TYPE_F32,    "F32",    1,      4,                      true),
  T (G4_TYPE_F16,    "F16",    1,      2,                      true),
  T (G4_TYPE_Q4_0,   "Q4_0",   QK4_0,  sizeof (block_q4_0),    true),
  T (G4_TYPE_Q4_1,   "Q4_1",   QK4_1,  sizeof (block_q4_1),    true),
  T (4,              "Q4_2",   0,      0,                      false),
  T (5,              "Q4_3",   0,      0,                      false),
  T (G4_TYPE_Q5_0,   "Q5_0",   QK5_0,  sizeof (block_q5_0),    true),
  T (G4_TYPE_Q5_1,   "Q5_1",   QK5_1,  sizeof (block_q5_1),    true),
  T (G4_TYPE_Q8_0,   "Q8_0",   QK8_0,  sizeof (block_q8_0),    true),
  T (G4_TYPE_Q8_1,   "Q8_1",   QK8_1,  sizeof (block_q8_1),    false),
  T (G4_TYPE_Q2_K,   "Q2_K",   QK_K,   sizeof (block_q2_K),    true),
  T (G4_TYPE_Q3_K,   "Q3_K",   QK_K,   sizeof (block_q3_K),    true),
  T (G4_TYPE_Q4_K,   "Q4_K",   QK_K,   sizeof (block_q4_K),    true),
  T (G4_TYPE_Q5_K,   "Q5_K",   QK_K,   sizeof (block_q5_K),    true),
  T (G4_TYPE_Q6_K,   "Q6_K",   QK_K,   sizeof (block_q6_K),    true),
  T (G4_TYPE_Q8_K,   "Q8_K",   QK_K,   sizeof (block_q8_K),    false),
  T (16,             "IQ2_XXS", QK_K,  66,                     false),
  T (17,             "IQ2_XS", QK_K,   74,                     false),
  T (18,             "IQ3_XXS", QK_K,  98,                     false),
  T (19,             "IQ1_S",  QK_K,   50,                     false),
  T (G4_TYPE_IQ4_NL, "IQ4_NL", QK4_NL, sizeof (block_iq4_nl),  true),
  T (21,             "IQ3_S",  QK_K,   110,                    false),
  T (22,             "IQ2_S",  QK_K,   82,                     false),
  T (G4_TYPE_IQ4_XS, "IQ4_XS", QK_K,   sizeof (block_iq4_xs),  true),
  T (24,             "I8",     1,      1,                      false),
  T (25,             "I16",    1,      2,                      false),
  T (26,             "I32",    1,      4,                      false),
  T (27,             "I64",    1,      8,                      false),
  T (28,             "F64",    1,      8,                      false),
  T (29,             "IQ1_M",  QK_K,   56,                     false),
  T (G4_TYPE_BF16,   "BF16",   1,      2,                      true),
  T (34,             "TQ1_0",  QK_K,   54,                     false),
  T (35,             "TQ2_0",  QK_K,   66,                     false),
  T (39,             "MXFP4",  32,     17,                     false),
};
/* clang-format on */

const g4_type_traits *
g4_type_traits_get (uint32_t type)
{
  if (type >= G4_TYPE_COUNT || traits[type].name == NULL || traits[type].block_size == 0)
    return NULL;
  return &traits[type];
}

const char *
g4_type_name (uint32_t type)
{
  if (type >= G4_TYPE_COUNT)
    return NULL;
  return traits[type].name;
}

size_t
g4_row_size (g4_type type, int64_t n)
{
  const g4_type_traits *tt = g4_type_traits_get (type);
  return tt ? (size_t) (n / tt->block_size) * tt->type_size : 0;
}

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
