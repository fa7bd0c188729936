/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ggml tensor types as the GGUF format stores them: per type id its name,
 * the values per block and the bytes per block. Which types the kernels can
 * multiply is theirs to say (g4_kernels_supports). */
#include "type_traits.h"

#define T(id, nm, bs, ts) [id] = { .name = nm, .block_size = bs, .type_size = ts }

/* clang-format off */
static const g4_type_traits traits[G4_TYPE_COUNT] = {
  T (G4_TYPE_F32,    "F32",     1,   4),
  T (G4_TYPE_F16,    "F16",     1,   2),
  T (G4_TYPE_Q4_0,   "Q4_0",    32,  18),   /* fp16 d, 16 bytes of nibbles */
  T (G4_TYPE_Q4_1,   "Q4_1",    32,  20),   /* fp16 d and m, nibbles */
  T (4,              "Q4_2",    0,   0),    /* removed from ggml */
  T (5,              "Q4_3",    0,   0),
  T (G4_TYPE_Q5_0,   "Q5_0",    32,  22),   /* d, 4 bytes of fifth bits, nibbles */
  T (G4_TYPE_Q5_1,   "Q5_1",    32,  24),
  T (G4_TYPE_Q8_0,   "Q8_0",    32,  34),   /* d, 32 int8 */
  T (G4_TYPE_Q8_1,   "Q8_1",    32,  36),   /* d, s = d * sum, 32 int8 */
  T (G4_TYPE_Q2_K,   "Q2_K",    256, 84),
  T (G4_TYPE_Q3_K,   "Q3_K",    256, 110),
  T (G4_TYPE_Q4_K,   "Q4_K",    256, 144),
  T (G4_TYPE_Q5_K,   "Q5_K",    256, 176),
  T (G4_TYPE_Q6_K,   "Q6_K",    256, 210),
  T (G4_TYPE_Q8_K,   "Q8_K",    256, 292),  /* float d, 256 int8, 16 int16 sums */
  T (16,             "IQ2_XXS", 256, 66),
  T (17,             "IQ2_XS",  256, 74),
  T (18,             "IQ3_XXS", 256, 98),
  T (19,             "IQ1_S",   256, 50),
  T (G4_TYPE_IQ4_NL, "IQ4_NL",  32,  18),
  T (21,             "IQ3_S",   256, 110),
  T (22,             "IQ2_S",   256, 82),
  T (G4_TYPE_IQ4_XS, "IQ4_XS",  256, 136),
  T (24,             "I8",      1,   1),
  T (25,             "I16",     1,   2),
  T (26,             "I32",     1,   4),
  T (27,             "I64",     1,   8),
  T (28,             "F64",     1,   8),
  T (29,             "IQ1_M",   256, 56),
  T (G4_TYPE_BF16,   "BF16",    1,   2),
  T (34,             "TQ1_0",   256, 54),
  T (35,             "TQ2_0",   256, 66),
  T (39,             "MXFP4",   32,  17),
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
