/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scalar reference of the packed GEMM (packed.h): each row's block is
 * gathered back from its group and multiplied in the order every ISA's packed
 * kernel follows, so that gemm_packed_avx2.c and gemm_packed_avx512.c equal
 * it bit for bit: per block the exact integer dot isum (sub-block scales
 * applied in int32) and, for Q4_K, the min term imin; then
 * acc += isum * (d_w * d_a) and acc -= imin * (dmin_w * d_a), each one fused
 * multiply-add. */
#include <math.h>

#include "packed.h"
#include "quant_helpers.h"
#include "vec.h"

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))

/* A Q4_0 or Q8_0 block against an activation block. */
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

/* A super-block against an activation block: sum_s scale_s (q_s . a_s) over
 * its sub-blocks, and sum_s min_s sum(a_s) where the type has mins. */
ALWAYS_INLINE void
dot_superblock (g4_type t, const uint8_t *blk, const block_q8_K *a, int *isum,
    int *imin, float *d, float *dmin)
{
  superblock u;
  unpack_superblock (t, blk, 0, &u);
  const int sub = superblock_sub (t);
  *isum = *imin = 0;
  for (int s = 0; s < QK_K / sub; s++) {
    int dot = 0, sum = 0;
    for (int l = 0; l < sub; l++) {
      dot += u.q[sub * s + l] * a->qs[sub * s + l];
      sum += a->qs[sub * s + l];
    }
    *isum += u.scale[s] * dot;
    if (superblock_has_min (t))
      *imin += u.min[s] * sum;
  }
  *d = g4_fp16_to_fp32 (u.d);
  *dmin = superblock_has_min (t) ? g4_fp16_to_fp32 (u.dmin) : 0.0f;
}

ALWAYS_INLINE void
gemm_packed (g4_type t, int64_t n, const uint8_t *w, const char *a, size_t as,
    int nc, float *y, int64_t ldy)
{
  const g4_pack_format *f = g4_pack_format_get (t);
  const bool k_quant = f->block_values == QK_K;
  const size_t abs = k_quant ? sizeof (block_q8_K) : sizeof (block_q8_0);
  const int64_t nb = n / f->block_values;
  uint8_t blk[sizeof (block_q6_K)];
  for (int c = 0; c < nc; c++) {
    for (int r = 0; r < G4_PACK_ROWS; r++) {
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; b++) {
        const char *ab = a + c * as + b * abs;
        g4_pack_gather (f, w + b * G4_PACK_ROWS * f->block_bytes, r, blk);
        int isum, imin = 0;
        float dw, dmw = 0.0f, da;
        if (k_quant) {
          dot_superblock (t, blk, (const block_q8_K *) ab, &isum, &imin, &dw, &dmw);
          da = ((const block_q8_K *) ab)->d;
        } else {
          g4_half h;
          memcpy (&h, blk, sizeof h);
          isum = dot_block_32 (t, blk, (const block_q8_0 *) ab);
          dw = g4_fp16_to_fp32 (h);
          da = g4_fp16_to_fp32 (((const block_q8_0 *) ab)->d);
        }
        acc = fmaf ((float) isum, dw * da, acc);
        if (superblock_has_min (t))
          acc = fmaf (-(float) imin, dmw * da, acc);
      }
      y[c * ldy + r] = acc;
    }
  }
}

#define DEFINE_SCALAR(NAME, TYPE)                                              \
  void NAME (int64_t n, const void *restrict w, const void *restrict a,        \
      size_t as, const int32_t *restrict sums, int nc, float *restrict y,      \
      int64_t ldy)                                                             \
  {                                                                            \
    (void) sums;                                                               \
    gemm_packed (TYPE, n, w, a, as, nc, y, ldy);                               \
  }

DEFINE_SCALAR (gemm_packed_q4_0_scalar, G4_TYPE_Q4_0)
DEFINE_SCALAR (gemm_packed_q8_0_scalar, G4_TYPE_Q8_0)
DEFINE_SCALAR (gemm_packed_q4_K_scalar, G4_TYPE_Q4_K)
DEFINE_SCALAR (gemm_packed_q5_K_scalar, G4_TYPE_Q5_K)
DEFINE_SCALAR (gemm_packed_q6_K_scalar, G4_TYPE_Q6_K)
DEFINE_SCALAR (gemm_packed_iq4_xs_scalar, G4_TYPE_IQ4_XS)
