/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to kernels/: the repacked weight layout that the prefill GEMM
 * streams (repack.c writes it, gemm_packed_*.c read it). Q4_0 and Q8_0 rows
 * are interleaved by groups of G4_PACK_ROWS: for each 32-value block index b
 * of the group, the 16 rows' fp16 scales (32 bytes), then their quant bytes
 * as 4-byte words, word k of row r at word k * 16 + r. One 64-byte load then
 * holds the same 4 quant bytes of 16 rows, what one VNNI dpbusd multiplies
 * with 4 broadcast activation bytes (the int32 lane r is row r), so a block
 * costs no horizontal sums and no shuffles. The group takes exactly the bytes
 * of its 16 rows (16 * 18 or 16 * 34 per block), so a view of rows [16i, ...)
 * of a repacked matrix starts at i * 16 * row_bytes, as in a plain one.
 *
 * Quant bytes are unsigned u = q + K (Q4_0's nibbles already are; Q8_0's
 * bytes are stored with the sign bit flipped), so VNNI multiplies them with
 * the signed activations; the kernels take back K times each activation
 * block's sum, which matmul computes once per activation row. */
#ifndef G4_PACKED_H
#define G4_PACKED_H

#include <stddef.h>
#include <stdint.h>

#include "quant_blocks.h"

#define G4_PACK_ROWS 16
/* bytes of the 16 scales at the start of each group block */
#define G4_PACK_SCALES (G4_PACK_ROWS * 2)

/* Weight rows n_out x n_in in groups of 16 against nc activation rows of
 * Q8_0 blocks (stride a_stride bytes) whose block sums are sums[c * nb + b]
 * (nb = n / 32): y[c * ldy + r] for the group's 16 rows r. Every ISA's kernel
 * computes each output as gemm_packed_*_scalar does, bit for bit: per block
 * the exact integer dot minus K * sum, times (d_w * d_a) rounded to float,
 * added with one fused multiply-add in block order. */
typedef void g4_gemm_packed_kernel (int64_t n, const void *restrict w,
    const void *restrict a, size_t a_stride, const int32_t *restrict sums, int nc,
    float *restrict y, int64_t ldy);
typedef g4_gemm_packed_kernel *g4_gemm_packed_fn;

/* the offset K of each packed type's unsigned quant bytes */
#define G4_PACK_K_Q4_0 8
#define G4_PACK_K_Q8_0 128

/* bytes of one block index of a 16-row group */
#define G4_PACK_BLOCK_Q4_0 (G4_PACK_ROWS * sizeof (block_q4_0))
#define G4_PACK_BLOCK_Q8_0 (G4_PACK_ROWS * sizeof (block_q8_0))

g4_gemm_packed_kernel gemm_packed_q4_0_scalar, gemm_packed_q8_0_scalar,
    gemm_packed_q4_0_avx2, gemm_packed_q8_0_avx2,
    gemm_packed_q4_0_avx512, gemm_packed_q8_0_avx512;

#endif
