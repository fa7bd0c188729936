/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to kernels/: the row kernel of g4_attention_f32 (attention_f32.c)
 * in each ISA. A call handles up to ATTN_QUERY_BLOCK query rows (register
 * tiles of ATTN_ROWS) of one head against that head's keys packed transposed
 * (kt: head_dim rows of n_pad floats, the columns past n_kv zero), its
 * values packed row-major (vp: n_kv rows of head_dim floats) and the keys'
 * positions (kpos: n_pad of them, INT32_MAX past n_kv). Query row r sees
 * the keys whose position p has lo[r] <= p < hi[r].
 *
 * The keys stream by blocks of ATTN_KEY_BLOCK with an online softmax: per
 * row a running maximum m and sum l of the exponentials; each block's
 * scores are masked, m raised to the block's maximum if higher, the output
 * row and l rescaled by e^(scale (m_old - m_new)) and the block's
 * exponentials and their values added. A call's memory is one block of
 * scores (ATTN_QUERY_BLOCK x ATTN_KEY_BLOCK floats), whatever n_kv. A block
 * that no row of a register tile sees is skipped, which changes nothing: for
 * such a row the rescale factor is exactly 1 and the added terms exactly 0.
 * So each output row is the same sequence of operations whatever rows it is
 * grouped with, and results do not depend on the thread count. */
#ifndef G4_ATTENTION_H
#define G4_ATTENTION_H

#include <stdint.h>

#pragma GCC visibility push(hidden)

/* query rows per register tile */
#define ATTN_ROWS 6
/* query rows per call */
#define ATTN_QUERY_BLOCK 48
/* keys are padded to a multiple of this (a whole score tile in every ISA) */
#define ATTN_KEY_PAD 64
/* keys per block of the online softmax (a multiple of ATTN_KEY_PAD) */
#define ATTN_KEY_BLOCK 128

/* One (kv) head, packed. */
typedef struct {
  const float *kt, *vp;
  const int32_t *kpos;
  int64_t n_kv, n_pad;
  int head_dim;
  float scale;
} attn_head;

/* o[r][d] = sum_j softmax_j (scale q[r] . k[j]) v[j][d] over the keys row r
 * sees, for r < rows (0 where it sees none); q rows ldq floats apart, o rows
 * ldo apart; s: ATTN_QUERY_BLOCK x ATTN_KEY_BLOCK floats of scratch. */
typedef void g4_attention_rows_kernel (const attn_head *h, const float *q, int64_t ldq,
    const int32_t *lo, const int32_t *hi, int rows, float *o, int64_t ldo, float *s);

g4_attention_rows_kernel attention_rows_scalar, attention_rows_avx2, attention_rows_avx512;

/* y[0, n) = the binary16 values x[0, n) as floats (exact): the F16 cache's
 * runs of keys and values as the kernel reads them. */
typedef void g4_attention_f16_run (const uint16_t *x, float *y, int64_t n);

g4_attention_f16_run attention_f16_run_avx2, attention_f16_run_avx512;

#pragma GCC visibility pop

#endif
