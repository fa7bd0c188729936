/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scalar reference of the packed GEMM (packed.h): each row's block is
 * gathered back from its group and multiplied in the order every ISA's packed
 * kernel follows, so that gemm_packed_avx2.c and gemm_packed_avx512.c equal
 * it bit for bit. */
#include <math.h>

#include "packed.h"
#include "quant_helpers.h"
#include "vec.h"

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))

/* The exact integer dot of a Q4_0 or Q8_0 block with an activation block. */
ALWAYS_INLINE int
dot_block_32 (g4_type t, const uint8_t *blk, const block_q8_0 *a)
{
  int dot = 0;
  for (int j = 0; j < QK8_0; j++) {
    const uint8_t *qs = ((const block_q4_0 *) blk)->qs;
    const int q = t == G4_TYPE_Q8_0 ? ((const block_q8_0 *) blk)->qs[j]
        : (j < 16 ? (qs[j] & 0x0F) : (qs[j - 16] >> 4)) - 8;
    dot += q * a->qs[j];
  }
  return dot;
}

ALWAYS_INLINE void
gemm_packed_32 (g4_type t, int64_t n, const uint8_t *w, const char *a, size_t as,
    int nc, float *y, int64_t ldy)
{
  const g4_pack_format *f = g4_pack_format_get (t);
  const int64_t nb = n / QK8_0;
  uint8_t blk[sizeof (block_q8_0)];
  for (int c = 0; c < nc; c++) {
    const block_q8_0 *ab = (const block_q8_0 *) (a + c * as);
    for (int r = 0; r < G4_PACK_ROWS; r++) {
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; b++) {
        g4_pack_gather (f, w + b * G4_PACK_ROWS * f->block_bytes, r, blk);
        g4_half dw;
        memcpy (&dw, blk, sizeof dw);
        const float scale = g4_fp16_to_fp32 (dw) * g4_fp16_to_fp32 (ab[b].d);
        acc = fmaf ((float) dot_block_32 (t, blk, &ab[b]), scale, acc);
      }
      y[c * ldy + r] = acc;
    }
  }
}

void
gemm_packed_q4_0_scalar (int64_t n, const void *restrict w, const void *restrict a,
    size_t as, const int32_t *restrict sums, int nc, float *restrict y, int64_t ldy)
{
  (void) sums;
  gemm_packed_32 (G4_TYPE_Q4_0, n, w, a, as, nc, y, ldy);
}

void
gemm_packed_q8_0_scalar (int64_t n, const void *restrict w, const void *restrict a,
    size_t as, const int32_t *restrict sums, int nc, float *restrict y, int64_t ldy)
{
  (void) sums;
  gemm_packed_32 (G4_TYPE_Q8_0, n, w, a, as, nc, y, ldy);
}

/* Q4_K: per super-block sum_j scale_j (q_j . a_j) and sum_j min_j sum(a_j)
 * over its 8 sub-blocks of 32, exact in int32. */
void
gemm_packed_q4_K_scalar (int64_t n, const void *restrict w, const void *restrict a,
    size_t as, const int32_t *restrict sums, int nc, float *restrict y, int64_t ldy)
{
  (void) sums;
  const g4_pack_format *f = g4_pack_format_get (G4_TYPE_Q4_K);
  const int64_t nsb = n / QK_K;
  block_q4_K blk;
  for (int c = 0; c < nc; c++) {
    const block_q8_K *ab = (const block_q8_K *) ((const char *) a + c * as);
    for (int r = 0; r < G4_PACK_ROWS; r++) {
      float acc = 0.0f;
      for (int64_t i = 0; i < nsb; i++) {
        g4_pack_gather (f, (const uint8_t *) w + i * G4_PACK_BLOCK_Q4_K, r, (uint8_t *) &blk);
        uint8_t sc[8], m[8];
        unpack_scales_mins_k4 (blk.scales, sc, m);
        int isum = 0, imin = 0;
        for (int j = 0; j < 8; j++) {
          int dot = 0;
          for (int l = 0; l < 32; l++) {
            const uint8_t byte = blk.qs[32 * (j / 2) + l];
            dot += (j % 2 ? byte >> 4 : byte & 0x0F) * ab[i].qs[32 * j + l];
          }
          isum += sc[j] * dot;
          imin += m[j] * (ab[i].bsums[2 * j] + ab[i].bsums[2 * j + 1]);
        }
        acc = fmaf ((float) isum, g4_fp16_to_fp32 (blk.d) * ab[i].d, acc);
        acc = fmaf (-(float) imin, g4_fp16_to_fp32 (blk.dmin) * ab[i].d, acc);
      }
      y[c * ldy + r] = acc;
    }
  }
}

/* IQ4_XS and Q6_K: per super-block sum_s scale_s (q_s . a_s) over its
 * sub-blocks (8 of 32 codebook values, 16 of 16 signed 6-bit quants), exact
 * in int32. */
ALWAYS_INLINE void
gemm_packed_scaled (g4_type t, int64_t n, const void *restrict w, const void *restrict a,
    size_t as, int nc, float *restrict y, int64_t ldy)
{
  const g4_pack_format *f = g4_pack_format_get (t);
  const int64_t nsb = n / QK_K;
  const int sub = superblock_sub (t);
  uint8_t blk[sizeof (block_q6_K)];
  superblock u;
  for (int c = 0; c < nc; c++) {
    const block_q8_K *ab = (const block_q8_K *) ((const char *) a + c * as);
    for (int r = 0; r < G4_PACK_ROWS; r++) {
      float acc = 0.0f;
      for (int64_t i = 0; i < nsb; i++) {
        g4_pack_gather (f, (const uint8_t *) w + i * G4_PACK_ROWS * f->block_bytes, r, blk);
        unpack_superblock (t, blk, 0, &u);
        int isum = 0;
        for (int j = 0; j < QK_K / sub; j++) {
          int dot = 0;
          for (int l = 0; l < sub; l++)
            dot += u.q[sub * j + l] * ab[i].qs[sub * j + l];
          isum += u.scale[j] * dot;
        }
        acc = fmaf ((float) isum, g4_fp16_to_fp32 (u.d) * ab[i].d, acc);
      }
      y[c * ldy + r] = acc;
    }
  }
}

void
gemm_packed_iq4_xs_scalar (int64_t n, const void *restrict w, const void *restrict a,
    size_t as, const int32_t *restrict sums, int nc, float *restrict y, int64_t ldy)
{
  (void) sums;
  gemm_packed_scaled (G4_TYPE_IQ4_XS, n, w, a, as, nc, y, ldy);
}

void
gemm_packed_q6_K_scalar (int64_t n, const void *restrict w, const void *restrict a,
    size_t as, const int32_t *restrict sums, int nc, float *restrict y, int64_t ldy)
{
  (void) sums;
  gemm_packed_scaled (G4_TYPE_Q6_K, n, w, a, as, nc, y, ldy);
}
