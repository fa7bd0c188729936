/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to kernels/: the row kernel of g4_attention_f32 (attention_f32.c)
 * in each ISA. A call handles up to ATTN_QUERY_BLOCK query rows (register
 * tiles of ATTN_ROWS) of one head against that head's keys packed transposed
 * (kt: head_dim rows of n_pad floats, the columns past n_kv zero) and its
 * values packed row-major (vp: n_kv rows of head_dim floats). Each output row
 * is the same sequence of operations whatever rows it is grouped with, so
 * results do not depend on the thread count. */
#ifndef G4_ATTENTION_H
#define G4_ATTENTION_H

#include <stdint.h>

#pragma GCC visibility push(hidden)

/* query rows per register tile */
#define ATTN_ROWS 6
/* the most query rows per call (the caller picks fewer for long rows, so
 * that their scores stay in L2) */
#define ATTN_QUERY_BLOCK 48
/* keys are padded to a multiple of this (a whole score tile in every ISA) */
#define ATTN_KEY_PAD 64
/* keys per cache block of the SIMD kernels (a multiple of ATTN_KEY_PAD) */
#define ATTN_KEY_BLOCK 128

/* o[r][d] = sum_j softmax_j (scale q[r] . k[j]) v[j][d] for r < rows;
 * q rows ldq floats apart, o rows ldo apart; s: rows x n_pad floats. */
typedef void g4_attention_rows_kernel (const float *q, int64_t ldq, const float *kt,
    const float *vp, int64_t n_kv, int64_t n_pad, int head_dim, float scale, int rows,
    float *o, int64_t ldo, float *s);

g4_attention_rows_kernel attention_rows_scalar, attention_rows_avx2, attention_rows_avx512;

#pragma GCC visibility pop

#endif
