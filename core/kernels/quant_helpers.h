/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bit layouts of the quantized blocks in one place: each weight block
 * unpacked into small integers q and its scales, so that dequantize.c (the
 * numeric truth) and vec_scalar.c (the reference dots) read the same
 * unpacking. Also the packed K-quant and IQ4_XS sub-block scales the SIMD
 * files use. Only static inline functions: ISA files may include it safely. */
#ifndef G4_QUANT_HELPERS_H
#define G4_QUANT_HELPERS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"
#include "quant_blocks.h"

/* ---- packed sub-block scales ------------------------------------------- */

/* Q4_K / Q5_K: the 8 sub-blocks' 6-bit scales and mins packed in 12 bytes.
 * Bytes 0-3 hold the scales of sub-blocks 0-3 and bytes 4-7 their mins, in
 * their low 6 bits; sub-blocks 4-7 keep their low 4 bits in bytes 8-11 (the
 * scale in the low nibble, the min in the high one) and their top 2 bits in
 * the spare top 2 bits of bytes 0-3 (scales) and 4-7 (mins). */
static inline void
unpack_scales_mins_k4 (const uint8_t packed[12], uint8_t scale[8], uint8_t min[8])
{
  for (int k = 0; k < 4; k++) {
    const uint8_t lo_s = packed[k], lo_m = packed[4 + k], hi = packed[8 + k];
    scale[k] = lo_s & 0x3F;
    min[k] = lo_m & 0x3F;
    scale[4 + k] = (uint8_t) ((hi & 0x0F) | (lo_s & 0xC0) >> 2);
    min[4 + k] = (uint8_t) ((hi >> 4) | (lo_m & 0xC0) >> 2);
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

/* ---- blocks of 32 values: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL --------- */

/* One block unpacked: value j is d * q[j], plus m for Q4_1 and Q5_1. */
typedef struct {
  int8_t q[32];
  g4_half d, m;
} block32;

static inline bool
block32_has_min (g4_type t)
{
  return t == G4_TYPE_Q4_1 || t == G4_TYPE_Q5_1;
}

/* The 4-bit layout: the low nibbles of qs[0..15] are values 0-15, the high
 * nibbles values 16-31; q = nibble - offset. */
static inline void
unpack_nibbles_32 (const uint8_t qs[16], int offset, int8_t q[32])
{
  for (int j = 0; j < 16; j++) {
    q[j] = (int8_t) ((qs[j] & 0xF) - offset);
    q[j + 16] = (int8_t) ((qs[j] >> 4) - offset);
  }
}

/* Q5_0 / Q5_1: the nibbles plus a fifth bit, bit j of the little-endian
 * word qh for value j; q = 5-bit value - offset. */
static inline void
unpack_q5_32 (const uint8_t qs[16], const uint8_t qh[4], int offset, int8_t q[32])
{
  const uint32_t bits = (uint32_t) qh[0] | (uint32_t) qh[1] << 8 | (uint32_t) qh[2] << 16
      | (uint32_t) qh[3] << 24;
  for (int j = 0; j < 16; j++) {
    q[j] = (int8_t) (((qs[j] & 0xF) | (int) ((bits >> j) & 1) << 4) - offset);
    q[j + 16] = (int8_t) (((qs[j] >> 4) | (int) ((bits >> (j + 16)) & 1) << 4) - offset);
  }
}

/* IQ4_NL: the nibbles index the non-linear codebook. */
static inline void
unpack_iq4_nl_32 (const uint8_t qs[16], int8_t q[32])
{
  for (int j = 0; j < 16; j++) {
    q[j] = g4_iq4nl_values[qs[j] & 0xF];
    q[j + 16] = g4_iq4nl_values[qs[j] >> 4];
  }
}

/* Block i of a row of 32-value blocks of type t. */
static inline void
unpack_block32 (g4_type t, const void *row, int64_t i, block32 *u)
{
  u->m = 0;
  switch (t) {
    case G4_TYPE_Q4_0: {
      const block_q4_0 *b = (const block_q4_0 *) row + i;
      unpack_nibbles_32 (b->qs, 8, u->q);
      u->d = b->d;
      break;
    }
    case G4_TYPE_Q4_1: {
      const block_q4_1 *b = (const block_q4_1 *) row + i;
      unpack_nibbles_32 (b->qs, 0, u->q);
      u->d = b->d;
      u->m = b->m;
      break;
    }
    case G4_TYPE_Q5_0: {
      const block_q5_0 *b = (const block_q5_0 *) row + i;
      unpack_q5_32 (b->qs, b->qh, 16, u->q);
      u->d = b->d;
      break;
    }
    case G4_TYPE_Q5_1: {
      const block_q5_1 *b = (const block_q5_1 *) row + i;
      unpack_q5_32 (b->qs, b->qh, 0, u->q);
      u->d = b->d;
      u->m = b->m;
      break;
    }
    case G4_TYPE_IQ4_NL: {
      const block_iq4_nl *b = (const block_iq4_nl *) row + i;
      unpack_iq4_nl_32 (b->qs, u->q);
      u->d = b->d;
      break;
    }
    default: {
      const block_q8_0 *b = (const block_q8_0 *) row + i;
      memcpy (u->q, b->qs, sizeof u->q);
      u->d = b->d;
      break;
    }
  }
}

/* ---- super-blocks of 256 values: Q2_K .. Q6_K, IQ4_XS ------------------- */

/* One super-block unpacked: value v is d * scale[s] * q[v] - dmin * min[s]
 * for its sub-block s = v / superblock_sub (t); min only where
 * superblock_has_min (t). */
typedef struct {
  int8_t q[QK_K];
  int16_t scale[16], min[16];
  g4_half d, dmin;
} superblock;

/* values per sub-block */
static inline int
superblock_sub (g4_type t)
{
  return t == G4_TYPE_Q4_K || t == G4_TYPE_Q5_K || t == G4_TYPE_IQ4_XS ? 32 : 16;
}

static inline bool
superblock_has_min (g4_type t)
{
  return t == G4_TYPE_Q2_K || t == G4_TYPE_Q4_K || t == G4_TYPE_Q5_K;
}

/* Q2_K and Q3_K's low bits: each 32 bytes of qs hold 128 values, bits 2k and
 * 2k+1 of byte l being value 32k + l. */
static inline void
unpack_2bit_256 (const uint8_t qs[64], int8_t q[QK_K])
{
  for (int h = 0; h < 2; h++)
    for (int k = 0; k < 4; k++)
      for (int l = 0; l < 32; l++)
        q[128 * h + 32 * k + l] = (int8_t) ((qs[32 * h + l] >> (2 * k)) & 3);
}

/* Q2_K: q 0..3; each scale byte is a 4-bit scale and a 4-bit min. */
static inline void
unpack_q2_K (const block_q2_K *b, superblock *u)
{
  unpack_2bit_256 (b->qs, u->q);
  for (int s = 0; s < 16; s++) {
    u->scale[s] = b->scales[s] & 0xF;
    u->min[s] = b->scales[s] >> 4;
  }
  u->d = b->d;
  u->dmin = b->dmin;
}

/* Q3_K: q -4..3, the low bits as Q2_K's, minus 4 where the high bit of value
 * v (bit v / 32 of hmask[v % 32]) is clear. */
static inline void
unpack_q3_K (const block_q3_K *b, superblock *u)
{
  unpack_2bit_256 (b->qs, u->q);
  for (int k = 0; k < 8; k++)
    for (int l = 0; l < 32; l++)
      u->q[32 * k + l] = (int8_t) (u->q[32 * k + l] - (((b->hmask[l] >> k) & 1) ? 0 : 4));
  int8_t scales[16];
  unpack_scales_q3_K (b->scales, scales);
  for (int s = 0; s < 16; s++)
    u->scale[s] = scales[s];
  u->d = b->d;
}

/* Q4_K and Q5_K's nibbles: each 32 bytes of qs hold 64 values, the low
 * nibbles first, then the high ones; 6-bit scales and mins. */
static inline void
unpack_k4 (const uint8_t qs[128], const uint8_t scales[12], superblock *u)
{
  for (int g = 0; g < 4; g++)
    for (int l = 0; l < 32; l++) {
      u->q[64 * g + l] = (int8_t) (qs[32 * g + l] & 0xF);
      u->q[64 * g + 32 + l] = (int8_t) (qs[32 * g + l] >> 4);
    }
  uint8_t sc[8], m[8];
  unpack_scales_mins_k4 (scales, sc, m);
  for (int s = 0; s < 8; s++) {
    u->scale[s] = sc[s];
    u->min[s] = m[s];
  }
}

/* Q4_K: q 0..15. */
static inline void
unpack_q4_K (const block_q4_K *b, superblock *u)
{
  unpack_k4 (b->qs, b->scales, u);
  u->d = b->d;
  u->dmin = b->dmin;
}

/* Q5_K: q 0..31, Q4_K's nibbles plus a fifth bit: bit v / 32 of qh[v % 32]. */
static inline void
unpack_q5_K (const block_q5_K *b, superblock *u)
{
  unpack_k4 (b->qs, b->scales, u);
  for (int k = 0; k < 8; k++)
    for (int l = 0; l < 32; l++)
      u->q[32 * k + l] = (int8_t) (u->q[32 * k + l] | ((b->qh[l] >> k) & 1) << 4);
  u->d = b->d;
  u->dmin = b->dmin;
}

/* Q6_K: q -32..31, signed 8-bit scales. Per 128 values: ql holds 64 bytes
 * (values l and l+64 in the nibbles of byte l, l < 64), qh 32 bytes (the top
 * 2 bits of values l, l+32, l+64, l+96 at shifts 0, 2, 4, 6 of byte l). */
static inline void
unpack_q6_K (const block_q6_K *b, superblock *u)
{
  for (int h = 0; h < 2; h++) {
    const uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
    int8_t *q = u->q + 128 * h;
    for (int l = 0; l < 32; l++) {
      q[l] = (int8_t) (((ql[l] & 0xF) | (qh[l] & 3) << 4) - 32);
      q[l + 32] = (int8_t) (((ql[l + 32] & 0xF) | ((qh[l] >> 2) & 3) << 4) - 32);
      q[l + 64] = (int8_t) (((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32);
      q[l + 96] = (int8_t) (((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32);
    }
  }
  for (int s = 0; s < 16; s++)
    u->scale[s] = b->scales[s];
  u->d = b->d;
}

/* IQ4_XS: codebook values, each sub-block of 32 laid out as an IQ4_NL block,
 * with signed 6-bit scales. */
static inline void
unpack_iq4_xs (const block_iq4_xs *b, superblock *u)
{
  for (int s = 0; s < 8; s++) {
    unpack_iq4_nl_32 (b->qs + 16 * s, u->q + 32 * s);
    u->scale[s] = (int16_t) scale_iq4_xs (b, s);
  }
  u->d = b->d;
}

/* Super-block i of a row of type t. */
static inline void
unpack_superblock (g4_type t, const void *row, int64_t i, superblock *u)
{
  switch (t) {
    case G4_TYPE_Q2_K:
      unpack_q2_K ((const block_q2_K *) row + i, u);
      break;
    case G4_TYPE_Q3_K:
      unpack_q3_K ((const block_q3_K *) row + i, u);
      break;
    case G4_TYPE_Q4_K:
      unpack_q4_K ((const block_q4_K *) row + i, u);
      break;
    case G4_TYPE_Q5_K:
      unpack_q5_K ((const block_q5_K *) row + i, u);
      break;
    case G4_TYPE_Q6_K:
      unpack_q6_K ((const block_q6_K *) row + i, u);
      break;
    default:
      unpack_iq4_xs ((const block_iq4_xs *) row + i, u);
      break;
  }
}

#endif
