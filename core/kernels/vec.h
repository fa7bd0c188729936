/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to kernels/: the per-weight-type dispatch entry and the prototypes
 * of every ISA variant of the row kernels. vec_scalar.c and quantize_act.c
 * are the executable spec; vec_avx2.c and vec_avx512.c mirror them function
 * by function. Model code never includes this header: it calls kernels.h. */
#ifndef G4_VEC_H
#define G4_VEC_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "packed.h"

/* Dot product of one weight row of n values (n a multiple of the weight block
 * size) with one activation row already in the partner block type. */
typedef float g4_vec_dot_kernel (int64_t n, const void *restrict w,
    const void *restrict a);

/* The same dot for nr weight rows (stride w_stride bytes) against nc
 * activation rows (stride a_stride bytes): y[c * ldy + r]. Every element
 * must be bit-identical to the entry's vec_dot, so the tiling that matmul
 * picks never changes a result. */
typedef void g4_vec_dot_tile_kernel (int64_t n, const void *restrict w,
    size_t w_stride, int nr, const void *restrict a, size_t a_stride, int nc,
    float *restrict y, int64_t ldy);

/* Quantizes one activation row of n floats into the partner block type. */
typedef void g4_quantize_row_kernel (const float *restrict x, void *restrict y,
    int64_t n);

/* y[t][o] for the weight rows [r0, r1) of a float matrix (F32, F16, BF16)
 * and all T activation rows of n_in floats at x: each output is one chain of
 * float FMAs over i = 0 .. n_in - 1, whatever the ISA, tiling or split, so
 * every variant equals gemm_float_rows_scalar bit for bit. */
typedef void g4_gemm_rows_kernel (const g4_matrix * w, int64_t r0, int64_t r1,
    const float *restrict x, int64_t T, float *restrict y, int64_t ldy);

typedef g4_vec_dot_kernel *g4_vec_dot_fn;
typedef g4_vec_dot_tile_kernel *g4_vec_dot_tile_fn;
typedef g4_quantize_row_kernel *g4_quantize_row_fn;
typedef g4_gemm_rows_kernel *g4_gemm_rows_fn;

typedef struct {
  g4_vec_dot_fn vec_dot;
  g4_type vec_dot_type;         /* partner block type of the activations */
  g4_quantize_row_fn quantize_act;      /* NULL when vec_dot_type is F32 */
  g4_vec_dot_tile_fn vec_dot_tile;      /* NULL: matmul loops over vec_dot */
  int tile_rows, tile_cols;     /* the largest nr and nc vec_dot_tile takes */
  g4_gemm_packed_fn gemm_packed;        /* NULL: the type has no packed layout */
  g4_gemm_packed_pair_fn gemm_packed_pair;      /* NULL: one group at a time */
  g4_gemm_rows_fn gemm_rows;    /* NULL: every product goes through vec_dot(_tile) */
  int gemm_panel;               /* the row count gemm_rows packs at a time */
} g4_kernel_entry;

/* Whether matmul multiplies T activation rows with the entry's gemm_rows:
 * below G4_GEMM_MIN_T rows packing the weights costs more than the register
 * tile saves; with a dot tile kernel (AVX-512: 4 weight rows x up to 4
 * activation rows) the tiles stay faster up to G4_GEMM_MIN_T_TILED rows
 * (F16 1536x8960, 2 threads: T=8 0.66 vs 2.33 ms, T=48 4.15 vs 4.47 ms,
 * T=96 7.37 vs 7.33 ms; without tiles, AVX2: T=8 4.9 vs 6.3 ms), which the
 * decoder's few-row passes take (tiles_first). The two paths round
 * differently, so the encoders, whose rows go through products in chunks
 * of sizes that depend on the images encoded together, keep one path. */
#define G4_GEMM_MIN_T 4
#define G4_GEMM_MIN_T_TILED 64

static inline bool
g4_uses_gemm (const g4_kernel_entry *e, int64_t T, bool tiles_first)
{
  return e->gemm_rows != NULL
      && T >= (tiles_first && e->vec_dot_tile != NULL ? G4_GEMM_MIN_T_TILED : G4_GEMM_MIN_T);
}

/* The entry for a weight type under the current ISA, or NULL when the type
 * cannot be multiplied. */
const g4_kernel_entry *g4_kernels_entry (g4_type wtype);

/* Every variant below is declared through the kernel types above, so each
 * definition is checked against the one signature of its kind. */

/* ---- scalar reference (quantize_act.c, vec_scalar.c) --------------------- */

g4_quantize_row_kernel quantize_row_q8_0_scalar, quantize_row_q8_1_scalar,
    quantize_row_q8_K_scalar;
g4_vec_dot_kernel vec_dot_f32_f32_scalar, vec_dot_f16_f32_scalar, vec_dot_bf16_f32_scalar,
    vec_dot_q4_0_q8_0_scalar, vec_dot_q4_1_q8_1_scalar, vec_dot_q5_0_q8_0_scalar,
    vec_dot_q5_1_q8_1_scalar, vec_dot_q8_0_q8_0_scalar, vec_dot_q2_K_q8_K_scalar,
    vec_dot_q3_K_q8_K_scalar, vec_dot_q4_K_q8_K_scalar, vec_dot_q5_K_q8_K_scalar,
    vec_dot_q6_K_q8_K_scalar, vec_dot_iq4_nl_q8_0_scalar, vec_dot_iq4_xs_q8_K_scalar;

/* The float GEMM's reference (vec_scalar.c). */
g4_gemm_rows_kernel gemm_float_rows_scalar;

/* ---- AVX2 + FMA + F16C (vec_avx2.c) ------------------------------------ */

g4_quantize_row_kernel quantize_row_q8_0_avx2, quantize_row_q8_1_avx2, quantize_row_q8_K_avx2;
g4_vec_dot_kernel vec_dot_f32_f32_avx2, vec_dot_f16_f32_avx2, vec_dot_bf16_f32_avx2,
    vec_dot_q4_0_q8_0_avx2, vec_dot_q4_1_q8_1_avx2, vec_dot_q5_0_q8_0_avx2,
    vec_dot_q5_1_q8_1_avx2, vec_dot_q8_0_q8_0_avx2, vec_dot_q2_K_q8_K_avx2,
    vec_dot_q3_K_q8_K_avx2, vec_dot_q4_K_q8_K_avx2, vec_dot_q5_K_q8_K_avx2,
    vec_dot_q6_K_q8_K_avx2, vec_dot_iq4_nl_q8_0_avx2, vec_dot_iq4_xs_q8_K_avx2;

/* gemm_float_avx2.c: packed panels of GEMM_PANEL_AVX2 weight rows */
g4_gemm_rows_kernel gemm_float_rows_avx2;
#define GEMM_PANEL_AVX2 16

/* ---- AVX-512 F/BW/VL/DQ + VNNI (vec_avx512.c): dot and tile kernels ---- */

g4_vec_dot_kernel vec_dot_f32_f32_avx512, vec_dot_f16_f32_avx512, vec_dot_bf16_f32_avx512,
    vec_dot_q4_0_q8_0_avx512, vec_dot_q5_0_q8_0_avx512, vec_dot_iq4_nl_q8_0_avx512,
    vec_dot_q8_0_q8_0_avx512, vec_dot_q4_K_q8_K_avx512, vec_dot_q5_K_q8_K_avx512,
    vec_dot_q6_K_q8_K_avx512;
g4_vec_dot_tile_kernel vec_dot_f32_f32_tile_avx512, vec_dot_f16_f32_tile_avx512,
    vec_dot_bf16_f32_tile_avx512, vec_dot_q4_0_q8_0_tile_avx512, vec_dot_q5_0_q8_0_tile_avx512,
    vec_dot_iq4_nl_q8_0_tile_avx512, vec_dot_q8_0_q8_0_tile_avx512,
    vec_dot_q4_K_q8_K_tile_avx512, vec_dot_q5_K_q8_K_tile_avx512,
    vec_dot_q6_K_q8_K_tile_avx512;
/* gemm_float_avx512.c: packed panels of GEMM_PANEL_AVX512 weight rows */
g4_gemm_rows_kernel gemm_float_rows_avx512;
#define GEMM_PANEL_AVX512 32

#endif
