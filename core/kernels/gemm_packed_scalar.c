/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scalar reference of the packed GEMM (packed.h): the executable spec
 * gemm_packed_avx2.c and gemm_packed_avx512.c equal bit for bit. */
#include <math.h>
#include <string.h>

#include "packed.h"
#include "vec.h"

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))

/* Quant byte u = q + K of value j (0..31) of row r in a group block. */
ALWAYS_INLINE int
packed_quant (g4_type t, const uint8_t *blk, int r, int j)
{
  if (t == G4_TYPE_Q8_0)
    return blk[G4_PACK_SCALES + 4 * ((j / 4) * G4_PACK_ROWS + r) + j % 4];
  /* Q4_0: byte j % 16 of the row holds value j in its low nibble, j + 16 in
   * its high one */
  const int byte = j % 16;
  const uint8_t v = blk[G4_PACK_SCALES + 4 * ((byte / 4) * G4_PACK_ROWS + r) + byte % 4];
  return j < 16 ? v & 0x0F : v >> 4;
}

ALWAYS_INLINE void
gemm_packed (g4_type t, int64_t n, const uint8_t *w, const char *a, size_t as,
    const int32_t *sums, int nc, float *y, int64_t ldy)
{
  const int k_off = t == G4_TYPE_Q8_0 ? G4_PACK_K_Q8_0 : G4_PACK_K_Q4_0;
  const size_t gbs = t == G4_TYPE_Q8_0 ? G4_PACK_BLOCK_Q8_0 : G4_PACK_BLOCK_Q4_0;
  const int64_t nb = n / QK8_0;
  for (int c = 0; c < nc; c++) {
    const block_q8_0 *ab = (const block_q8_0 *) (a + c * as);
    for (int r = 0; r < G4_PACK_ROWS; r++) {
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = w + b * gbs;
        int dot = -k_off * sums[c * nb + b];
        for (int j = 0; j < QK8_0; j++)
          dot += packed_quant (t, blk, r, j) * ab[b].qs[j];
        g4_half dw;
        memcpy (&dw, blk + 2 * r, sizeof dw);
        const float scale = g4_fp16_to_fp32 (dw) * g4_fp16_to_fp32 (ab[b].d);
        acc = fmaf ((float) dot, scale, acc);
      }
      y[c * ldy + r] = acc;
    }
  }
}

void
gemm_packed_q4_0_scalar (int64_t n, const void *restrict w, const void *restrict a,
    size_t as, const int32_t *restrict sums, int nc, float *restrict y, int64_t ldy)
{
  gemm_packed (G4_TYPE_Q4_0, n, w, a, as, sums, nc, y, ldy);
}

void
gemm_packed_q8_0_scalar (int64_t n, const void *restrict w, const void *restrict a,
    size_t as, const int32_t *restrict sums, int nc, float *restrict y, int64_t ldy)
{
  gemm_packed (G4_TYPE_Q8_0, n, w, a, as, sums, nc, y, ldy);
}
