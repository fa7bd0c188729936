/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Block layouts of the ggml quantization types exactly as stored in GGUF
 * files, with their sizes pinned by static asserts. Halves are raw IEEE
 * binary16 bit patterns. */
#ifndef G4_QUANT_BLOCKS_H
#define G4_QUANT_BLOCKS_H

#include <assert.h>
#include <stdint.h>

typedef uint16_t g4_half;       /* IEEE binary16 bits */
typedef uint16_t g4_bf16;       /* bfloat16 bits */

#define QK4_0 32
#define QK4_1 32
#define QK5_0 32
#define QK5_1 32
#define QK8_0 32
#define QK8_1 32
#define QK4_NL 32
#define QK_K 256
#define K_SCALE_SIZE 12

typedef struct { g4_half d; uint8_t qs[QK4_0 / 2]; } block_q4_0;
typedef struct { g4_half d, m; uint8_t qs[QK4_1 / 2]; } block_q4_1;
typedef struct { g4_half d; uint8_t qh[4]; uint8_t qs[QK5_0 / 2]; } block_q5_0;
typedef struct { g4_half d, m; uint8_t qh[4]; uint8_t qs[QK5_1 / 2]; } block_q5_1;
typedef struct { g4_half d; int8_t qs[QK8_0]; } block_q8_0;
/* s = d * sum(qs), precomputed for the Q4_1/Q5_1 offset term */
typedef struct { g4_half d, s; int8_t qs[QK8_1]; } block_q8_1;
typedef struct { uint8_t scales[QK_K / 16]; uint8_t qs[QK_K / 4]; g4_half d, dmin; } block_q2_K;
typedef struct { uint8_t hmask[QK_K / 8]; uint8_t qs[QK_K / 4]; uint8_t scales[12]; g4_half d; } block_q3_K;
typedef struct { g4_half d, dmin; uint8_t scales[K_SCALE_SIZE]; uint8_t qs[QK_K / 2]; } block_q4_K;
typedef struct { g4_half d, dmin; uint8_t scales[K_SCALE_SIZE]; uint8_t qh[QK_K / 8]; uint8_t qs[QK_K / 2]; } block_q5_K;
typedef struct { uint8_t ql[QK_K / 2]; uint8_t qh[QK_K / 4]; int8_t scales[QK_K / 16]; g4_half d; } block_q6_K;
/* activations for K-quant dot products; bsums[i] = sum of qs[16i .. 16i+15] */
typedef struct { float d; int8_t qs[QK_K]; int16_t bsums[QK_K / 16]; } block_q8_K;
typedef struct { g4_half d; uint8_t qs[QK4_NL / 2]; } block_iq4_nl;
typedef struct { g4_half d; uint16_t scales_h; uint8_t scales_l[QK_K / 64]; uint8_t qs[QK_K / 2]; } block_iq4_xs;

static_assert (sizeof (block_q4_0) == 18, "block_q4_0");
static_assert (sizeof (block_q4_1) == 20, "block_q4_1");
static_assert (sizeof (block_q5_0) == 22, "block_q5_0");
static_assert (sizeof (block_q5_1) == 24, "block_q5_1");
static_assert (sizeof (block_q8_0) == 34, "block_q8_0");
static_assert (sizeof (block_q8_1) == 36, "block_q8_1");
static_assert (sizeof (block_q2_K) == 84, "block_q2_K");
static_assert (sizeof (block_q3_K) == 110, "block_q3_K");
static_assert (sizeof (block_q4_K) == 144, "block_q4_K");
static_assert (sizeof (block_q5_K) == 176, "block_q5_K");
static_assert (sizeof (block_q6_K) == 210, "block_q6_K");
static_assert (sizeof (block_q8_K) == 292, "block_q8_K");
static_assert (sizeof (block_iq4_nl) == 18, "block_iq4_nl");
static_assert (sizeof (block_iq4_xs) == 136, "block_iq4_xs");

/* the non-linear 4-bit codebook of IQ4_NL / IQ4_XS */
static const int8_t g4_iq4nl_values[16] = {
  -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
};

#endif
