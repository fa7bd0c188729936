/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Scale unpacking shared by dequantize.c and the dot-product kernels, so the
 * bit layouts of the packed K-quant and IQ4_XS sub-block scales live in one
 * place. Only static inline functions: ISA files may include it safely. */
#ifndef G4_QUANT_HELPERS_H
#define G4_QUANT_HELPERS_H

#include <stdint.h>

#include "quant_blocks.h"

/* Q4_K / Q5_K: sub-block j (0..7) of the 12 packed scale bytes holds a 6-bit
 * scale and a 6-bit min. Sub-blocks 0-3 sit in the low 6 bits of bytes 0-3
 * (scales) and 4-7 (mins); sub-blocks 4-7 keep their low 4 bits in the
 * nibbles of bytes 8-11 and their top 2 bits in the spare top bits of
 * bytes 0-7. */
static inline void
get_scale_min_k4 (int j, const uint8_t *q, uint8_t *sc, uint8_t *m)
{
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = (uint8_t) ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = (uint8_t) ((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

/* Q3_K: the 16 signed 6-bit sub-block scales (-32..31) from 12 bytes: low
 * nibbles in bytes 0-7 (sub-blocks 0-7 low nibble, 8-15 high nibble), top
 * 2 bits in bytes 8-11, two bits per sub-block j at shift 2 * (j / 4). */
static inline void
unpack_scales_q3_K (const uint8_t *packed, int8_t scales[16])
{
  for (int j = 0; j < 16; j++) {
    int lo = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
    int hi = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
    scales[j] = (int8_t) ((lo | (hi << 4)) - 32);
  }
}

/* IQ4_XS: the signed 6-bit scale (-32..31) of sub-block ib (0..7) of 32
 * values: low 4 bits in a nibble of scales_l, top 2 bits in scales_h. */
static inline int
scale_iq4_xs (const block_iq4_xs *b, int ib)
{
  int lo = (b->scales_l[ib / 2] >> (4 * (ib % 2))) & 0xF;
  int hi = (b->scales_h >> (2 * ib)) & 3;
  return (lo | (hi << 4)) - 32;
}

#endif
