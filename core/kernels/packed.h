/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to kernels/: the repacked weight layout that the prefill GEMM
 * streams (repack.c writes it, gemm_packed_*.c read it). Rows are
 * interleaved by groups of G4_PACK_ROWS: for each block index of the group,
 * each field of the block (scales, quant bytes) is stored for the 16 rows
 * together, element e of row r at element e * 16 + r of the field. One 64-byte
 * load then holds the same 4 quant bytes of 16 rows, what one VNNI dpbusd
 * multiplies with 4 broadcast activation bytes (int32 lane r is row r), and
 * 16 rows' scales convert in one instruction: a block costs no horizontal sum
 * and no shuffle. A group block takes exactly the bytes of its 16 blocks, so
 * a view of rows [16i, ...) of a repacked matrix starts at i * 16 * row_bytes,
 * as in a plain one.
 *
 * Quant bytes are unsigned u = q + K for VNNI (Q4_0's and Q4_K's nibbles
 * already are; Q8_0's bytes are stored with the sign bit flipped); the Q8_0
 * family's kernels take back K times each activation block's sum, which
 * matmul computes once per activation row. Q4_K's offset is its mins, taken
 * back through the Q8_K activations' bsums (Q5_K's too: its fifth bit makes
 * u = q, 0..31), and so is IQ4_XS's offset: its
 * codebook values v are looked up as v + 128, and Q6_K's: its 6-bit quants
 * are q + 32. */
#ifndef G4_PACKED_H
#define G4_PACKED_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "quant_blocks.h"

#define G4_PACK_ROWS 16
/* The kernels stream a matrix's group blocks in order and prefetch the
 * bytes this far ahead: the hardware prefetcher alone left the loads and
 * the products one after the other once a group takes a few activation
 * rows (Q4_0 1536x98304, 85 MB, 2 threads: T=1 1.47 -> 0.96-1.05 ms, T=4
 * 2.29 -> 1.31-1.40, T=8 4.75 -> 2.18-2.28; 4 KB ahead was short, 16-32 KB
 * alike). */
#define G4_PACK_PREFETCH 16384
/* bytes of the 16 scales at the start of each group block */
#define G4_PACK_SCALES (G4_PACK_ROWS * 2)

/* One field of a block: count elements of elem bytes at byte src of the
 * plain block, at byte dst of the group block (element e of row r at dst +
 * (e * 16 + r) * elem), XORed with flip. */
typedef struct {
  uint16_t src, dst;
  uint8_t elem, count, flip;
} g4_pack_field;

typedef struct {
  size_t block_bytes;           /* of one plain block */
  int block_values;
  int n_fields;
  g4_pack_field field[5];
} g4_pack_format;

/* The layout of a weight type, or NULL when it has none. */
const g4_pack_format *g4_pack_format_get (g4_type t);
/* Row r's plain block, back from a group block (the scalar kernels' view). */
void g4_pack_gather (const g4_pack_format *f, const uint8_t *group_block, int r,
    uint8_t *block);

/* Group block byte offsets the SIMD kernels read (the table in repack.c). */
#define G4_PACK_Q4_K_DMIN 32
#define G4_PACK_Q4_K_SCALES 64
#define G4_PACK_Q4_K_QS 256
#define G4_PACK_Q5_K_QH 256
#define G4_PACK_Q5_K_QS 768
#define G4_PACK_IQ4_XS_SCALES_H 32
#define G4_PACK_IQ4_XS_SCALES_L 64
#define G4_PACK_IQ4_XS_QS 128
#define G4_PACK_Q6_K_SCALES 32
#define G4_PACK_Q6_K_QL 288
#define G4_PACK_Q6_K_QH 2336

/* A 16-row group (n values per row) against nc activation rows (stride
 * a_stride bytes) in the weight type's partner blocks: y[c * ldy + r] for the
 * group's rows r. For the Q8_0 family, sums[c * nb + b] (nb = n / 32) is the
 * sum of activation block b's quants; the K-quants take theirs from Q8_K's
 * bsums (sums NULL). Every ISA's kernel computes each output as
 * gemm_packed_*_scalar does, bit for bit: per block the exact integer dot
 * (and min term), times (d_w * d_a) rounded to float, added with one fused
 * multiply-add (the min term with a second one) in block order. */
typedef void g4_gemm_packed_kernel (int64_t n, const void *restrict w,
    const void *restrict a, size_t a_stride, const int32_t *restrict sums, int nc,
    float *restrict y, int64_t ldy);
typedef g4_gemm_packed_kernel *g4_gemm_packed_fn;

/* The same for two adjacent groups, w and w + group_bytes, of the Q8_0
 * family (sums required): y[c * ldy + r] for the first group's rows r,
 * y[c * ldy + 16 + r] for the second's, each output exactly as the one-group
 * kernel gives it. */
typedef void g4_gemm_packed_pair_kernel (int64_t n, const void *restrict w, size_t group_bytes,
    const void *restrict a, size_t a_stride, const int32_t *restrict sums, int nc,
    float *restrict y, int64_t ldy);
typedef g4_gemm_packed_pair_kernel *g4_gemm_packed_pair_fn;

g4_gemm_packed_pair_kernel gemm_packed_pair_q4_0_avx512, gemm_packed_pair_q8_0_avx512;

/* the offset K of each packed type's unsigned quant bytes */
#define G4_PACK_K_Q4_0 8
#define G4_PACK_K_Q8_0 128

/* bytes of one block index of a 16-row group */
#define G4_PACK_BLOCK_Q4_0 (G4_PACK_ROWS * sizeof (block_q4_0))
#define G4_PACK_BLOCK_Q8_0 (G4_PACK_ROWS * sizeof (block_q8_0))
#define G4_PACK_BLOCK_Q4_K (G4_PACK_ROWS * sizeof (block_q4_K))
#define G4_PACK_BLOCK_Q5_K (G4_PACK_ROWS * sizeof (block_q5_K))
#define G4_PACK_BLOCK_IQ4_XS (G4_PACK_ROWS * sizeof (block_iq4_xs))
#define G4_PACK_BLOCK_Q6_K (G4_PACK_ROWS * sizeof (block_q6_K))

g4_gemm_packed_kernel gemm_packed_q4_0_scalar, gemm_packed_q8_0_scalar,
    gemm_packed_q4_K_scalar, gemm_packed_q4_0_avx2, gemm_packed_q8_0_avx2,
    gemm_packed_q4_K_avx2, gemm_packed_q4_0_avx512, gemm_packed_q8_0_avx512,
    gemm_packed_q4_K_avx512, gemm_packed_iq4_xs_scalar, gemm_packed_iq4_xs_avx2,
    gemm_packed_iq4_xs_avx512, gemm_packed_q6_K_scalar, gemm_packed_q6_K_avx2,
    gemm_packed_q6_K_avx512, gemm_packed_q5_K_scalar, gemm_packed_q5_K_avx2,
    gemm_packed_q5_K_avx512;

#endif
