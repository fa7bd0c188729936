/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The numeric kernels the model code calls: row dequantization,
 * and matrix products working directly on quantized blocks. Model files include
 * only this header: no intrinsics, no ISA #ifdefs outside kernels/. */
#ifndef G4_KERNELS_H
#define G4_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gemma4.h"
#include "team.h"
#include "type_traits.h"

/* Whether the kernels dequantize and multiply weights of this ggml type id. */
bool g4_kernels_supports (uint32_t type);

/* Scalar conversions shared by every kernel. */
float g4_fp16_to_fp32 (uint16_t h);
uint16_t g4_fp32_to_fp16 (float f);
float g4_bf16_to_fp32 (uint16_t h);

/* The numeric truth for each type (bit-exact with ggml's dequantize_row_*). */
void g4_dequantize_row (g4_type type, const void *src, float *dst, int64_t n);

/* A 2-D weight view: n_out rows of n_in values; row o starts at
 * data + o * row_bytes. row_bytes is a stride and may exceed the row's own size
 * (the attention code multiplies strided views of the KV cache, whose F16/F32
 * rows can have any n_in, not only multiples of 8 or 16). */
typedef struct {
  g4_type type;
  int64_t n_in, n_out;
  size_t row_bytes;
  const void *data;
  bool packed;                  /* data is in g4_repack's layout: g4_matmul reads it, nothing else */
} g4_matrix;

/* Whether g4_repack takes m: Q4_0 / Q8_0, plain rows of their own size,
 * n_out a multiple of 16. */
bool g4_repack_supported (const g4_matrix * m);
/* Writes m's rows into dst (n_out * row_bytes bytes, 64-byte aligned) in the
 * interleaved layout of the many-token GEMM, and returns the matrix viewing
 * them. Views of rows [16i, 16j) of it are taken as of a plain matrix. */
g4_matrix g4_repack (const g4_matrix * m, void *dst);
/* Moves each of m[0, n) that g4_repack takes (the others stay as they are)
 * into one 64-byte aligned buffer, *buf (NULL when none was taken; the
 * caller frees it after the matrices), and gives the mapped file's pages of
 * their plain rows back (g4_mapped_release), so the weights stay resident
 * once. G4_REPACK=0 in the environment keeps every matrix plain (to compare
 * the paths). */
g4_status g4_repack_matrices (g4_matrix * const *m, int n, void **buf, g4_error * err);
/* The same over a model's layers: the matrices at byte offsets[0, n_offsets)
 * of each of the n_layer structs (layer_bytes apart) at layers, then
 * extra[0, n_extra). */
g4_status g4_repack_layers (void *layers, size_t layer_bytes, int n_layer,
    const size_t * offsets, int n_offsets, g4_matrix * const *extra, int n_extra, void **buf,
    g4_error * err);

/* Scratch bytes g4_matmul needs for T activation rows of n_in values. */
size_t g4_matmul_scratch_size (g4_type wtype, int64_t n_in, int64_t T);

/* y[t][o] = sum_i W[o][i] * x[t][i] for t < T, o < n_out.
 * x: T rows of n_in floats (stride n_in); y: T rows of n_out floats (stride ldy).
 * Activations are quantized to the weight type's partner block type (Q8_0, Q8_1,
 * Q8_K) in scratch, as the reference does. Runs on a team of n_threads
 * (g4_team_run); results are identical for any thread count. */
void g4_matmul (const g4_matrix * w, const float *x, int64_t T, float *y,
    int64_t ldy, void *scratch, int n_threads);
/* The same product computed by the members of a running team (every member
 * calls it with the same arguments); y is complete for all of them on return.
 * what names it in profiles ("matmul", "LM head", ...). */
void g4_matmul_team (const g4_thread * th, const char *what, const g4_matrix * w,
    const float *x, int64_t T, float *y, int64_t ldy, void *scratch);
/* The encoders' product: the same with every output limited to [lo, hi]
 * (their clippable linears; -INFINITY, INFINITY for the others), done as
 * each member's rows are computed. Each output has the same bits whatever
 * T (from 4 rows on), so rows computed in chunks of any size (images
 * encoded together or alone) agree; g4_matmul_team keeps the few-row tiles
 * up to 64 rows instead, which round differently. */
void g4_matmul_clamp_team (const g4_thread * th, const char *what, const g4_matrix * w,
    const float *x, int64_t T, float *y, int64_t ldy, void *scratch, float lo, float hi);

/* Activations quantized once for several products (a norm or GeGLU that
 * quantizes its output row while it is in cache, the q/k/v products sharing
 * their input): g4_matmul_quantize_row puts row t (of T) of x, n values, into
 * scratch as a product with weights of type wtype reads it (nothing for
 * float weights); g4_matmul_quantized_team is g4_matmul_team on those rows,
 * for weights whose activations g4_matmul_same_act says are the same. */
bool g4_matmul_same_act (g4_type a, g4_type b);
void g4_matmul_quantize_row (g4_type wtype, const float *x, int64_t n, int64_t t, int64_t T,
    void *scratch);
void g4_matmul_quantized_team (const g4_thread * th, const char *what, const g4_matrix * w,
    const float *x, int64_t T, float *y, int64_t ldy, void *scratch);

/* Multi-head attention on F32 queries: for each head h and query row i,
 * o[i][h] = sum_j softmax_j (scale q[i][h] . k[j][g]) v[j][g] over the keys
 * j that row i sees, g = h / (n_head / n_head_kv) the head's K/V head, where
 * x[i][h] is the head_dim floats at x + i * ld_x + h * head_dim (k and v
 * share ld_kv; a transposed k holds dimension e of K/V head g at
 * k + (g * head_dim + e) * ld_kt, its keys contiguous: the layout the
 * kernel reads, so packing it is a plain copy). scale > 0. Row i
 * sees key j when q_lo[i] <= key_pos[j] < q_hi[i] (key_pos NULL: j; q_lo
 * and q_hi NULL: every key); a row that sees no key gets 0. Memory does not
 * grow with the score matrix: the keys stream through an online softmax. */
typedef struct {
  const float *q;
  const void *k, *v;            /* kv_type values */
  float *o;
  int64_t n_q, n_kv;
  int n_head, head_dim;
  int64_t ld_q, ld_kv, ld_o;
  float scale;
  int n_head_kv;                /* 0: n_head */
  g4_type kv_type;              /* G4_TYPE_F32 (0) or G4_TYPE_F16 */
  bool k_transposed;
  int64_t ld_kt;
  const int32_t *key_pos, *q_lo, *q_hi;
} g4_attention_args;

/* Scratch bytes g4_attention_f32 needs for n_head_kv K/V heads (the keys and
 * values packed, and their positions), whatever the thread count. */
size_t g4_attention_scratch_size (int64_t n_kv, int n_head_kv, int head_dim);
/* Heads x blocks of queries shared by a team of n_threads; every output row
 * is computed the same way whatever the thread count (bit-identical results). */
void g4_attention_f32 (const g4_attention_args * a, void *scratch, int n_threads);
/* The same, computed by the members of a running team; o is complete for
 * all on return. */
void g4_attention_f32_team (const g4_thread * th, const g4_attention_args * a, void *scratch);
/* n independent attentions (a[i] with its own scratch[i]) computed by the
 * members of a running team in one go: one barrier per step for all of them
 * (the sequences of a batched decode pass), each output as g4_attention_f32
 * computes it. */
void g4_attention_f32_team_many (const g4_thread * th, const g4_attention_args * a,
    void *const *scratch, int n);

/* Which kernel family runs: set once from cpuid, or from the G4_CPU environment
 * variable (scalar|avx2|avx512), or forced by g4_kernels_force(). */
typedef enum { G4_ISA_SCALAR, G4_ISA_AVX2, G4_ISA_AVX512 } g4_isa;
g4_isa g4_kernels_isa (void);
/* For tests and comparisons: returns false if the CPU lacks the ISA. */
bool g4_kernels_force (g4_isa isa);
const char *g4_isa_name (g4_isa isa);

#endif
