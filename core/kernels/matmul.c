/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g4_matmul: y = W x for T activation rows against a quantized weight matrix.
 * The activations are quantized once into the caller's scratch, then the
 * team's members take chunks of whole row blocks, so every output element is
 * computed by the same kernel call whatever the thread count (no reductions:
 * results are bit-identical for any n_threads). For T > 1 the work is blocked
 * so that a few weight rows stay in cache while a block of activation rows
 * passes over them. */
#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "ops.h"
#include "packed.h"
#include "profile.h"
#include "team.h"
#include "vec.h"

/* Weight rows per cache block: 16 rows of a 6144-wide Q4_0 matrix are 54 KiB,
 * 16 of Q8_0 102 KiB, they stay in L2 while a block of activations passes. */
#define ROW_BLOCK 16
/* Activation rows per cache block: 64 quantized rows of 6144 values are
 * 410-450 KiB, about half of a 1-2 MiB L2. */
#define COL_BLOCK 64
/* Activation rows from which two packed groups go through the kernel
 * together: with fewer, streaming one group's weights at a time is as fast
 * or faster (Q4_0 1536x98304, 85 MB, one thread: T=1 50-52 vs 45-50 G MAC/s
 * one group vs two, T=8 138-198 vs 144-209, T=16 203 vs 243-257). */
#define PAIR_MIN_T 8
/* a row block of a packed matrix is one interleaved group */
static_assert (ROW_BLOCK == G4_PACK_ROWS, "row blocks are packed groups");

static inline int64_t
min_i64 (int64_t a, int64_t b)
{
  return a < b ? a : b;
}

/* The packed kernels of the Q8_0 family take the sum of each activation
 * block; the K-quants' partner blocks carry theirs. */
static bool
needs_sums (const g4_kernel_entry *e)
{
  return e->gemm_packed != NULL && e->vec_dot_type == G4_TYPE_Q8_0;
}

/* Where the activation block sums of the packed path start in the scratch,
 * after the T quantized rows. */
static size_t
sums_offset (const g4_kernel_entry *e, int64_t n_in, int64_t T)
{
  const size_t rows = (size_t) T * g4_row_size (e->vec_dot_type, n_in);
  return (rows + 63) & ~(size_t) 63;
}

size_t
g4_matmul_scratch_size (g4_type wtype, int64_t n_in, int64_t T)
{
  const g4_kernel_entry *e = g4_kernels_entry (wtype);
  if (e == NULL || e->quantize_act == NULL)
    return 0;
  if (!needs_sums (e))
    return (size_t) T * g4_row_size (e->vec_dot_type, n_in);
  return sums_offset (e, n_in, T) + (size_t) T * (n_in / QK8_0) * sizeof (int32_t);
}

/* The sum of each Q8_0 block's quants, for the packed kernels' offset term. */
static void
block_sums (const block_q8_0 *a, int64_t nb, int32_t *sums)
{
  for (int64_t b = 0; b < nb; b++) {
    int32_t s = 0;
    for (int j = 0; j < QK8_0; j++)
      s += a[b].qs[j];
    sums[b] = s;
  }
}

/* Groups [g_begin, g_end) of a packed matrix against all T activation rows,
 * COL_BLOCK rows at a time so that they stay in cache across the groups. */
static void
packed_range (const g4_kernel_entry *e, const g4_matrix *w, int64_t g_begin,
    int64_t g_end, const char *act, size_t act_stride, const int32_t *sums,
    int64_t T, float *y, int64_t ldy)
{
  const int64_t nb = w->n_in / QK8_0;
  const size_t group_bytes = G4_PACK_ROWS * w->row_bytes;
  for (int64_t t0 = 0; t0 < T; t0 += COL_BLOCK) {
    const int nc = (int) min_i64 (COL_BLOCK, T - t0);
    const bool pairs = e->gemm_packed_pair != NULL && nc >= PAIR_MIN_T;
    int64_t g = g_begin;
    for (; pairs && g + 2 <= g_end; g += 2)
      e->gemm_packed_pair (w->n_in, (const char *) w->data + g * group_bytes, group_bytes,
          act + t0 * act_stride, act_stride, sums + t0 * nb, nc,
          y + t0 * ldy + g * G4_PACK_ROWS, ldy);
    for (; g < g_end; g++)
      e->gemm_packed (w->n_in, (const char *) w->data + g * group_bytes,
          act + t0 * act_stride, act_stride, sums ? sums + t0 * nb : NULL, nc,
          y + t0 * ldy + g * G4_PACK_ROWS, ldy);
  }
}

/* y[t][r] for weight rows [r0, r1) and activation rows [t0, t1). */
static void
dot_block (const g4_kernel_entry *e, const g4_matrix *w, int64_t r0, int64_t r1,
    const char *act, size_t act_stride, int64_t t0, int64_t t1, float *y,
    int64_t ldy)
{
  const char *wdata = w->data;
  const int64_t n = w->n_in;
  if (e->vec_dot_tile != NULL) {
    for (int64_t t = t0; t < t1; t += e->tile_cols) {
      for (int64_t r = r0; r < r1; r += e->tile_rows) {
        e->vec_dot_tile (n, wdata + r * w->row_bytes, w->row_bytes,
            (int) min_i64 (e->tile_rows, r1 - r), act + t * act_stride,
            act_stride, (int) min_i64 (e->tile_cols, t1 - t), y + t * ldy + r,
            ldy);
      }
    }
    return;
  }
  for (int64_t t = t0; t < t1; t++) {
    const char *a = act + t * act_stride;
    for (int64_t r = r0; r < r1; r++)
      y[t * ldy + r] = e->vec_dot (n, wdata + r * w->row_bytes, a);
  }
}

static void
dot_range (const g4_kernel_entry *e, const g4_matrix *w, int64_t r_begin,
    int64_t r_end, const char *act, size_t act_stride, int64_t T, float *y,
    int64_t ldy)
{
  if (T == 1) {
    dot_block (e, w, r_begin, r_end, act, act_stride, 0, 1, y, ldy);
    return;
  }
  for (int64_t t0 = 0; t0 < T; t0 += COL_BLOCK) {
    for (int64_t r0 = r_begin; r0 < r_end; r0 += ROW_BLOCK) {
      dot_block (e, w, r0, min_i64 (r_end, r0 + ROW_BLOCK), act, act_stride,
          t0, min_i64 (T, t0 + COL_BLOCK), y, ldy);
    }
  }
}

typedef struct {
  const g4_matrix *w;
  const float *x;
  int64_t T, ldy;
  float *y;
  void *scratch;
} matmul_args;

static void
matmul_member (const g4_thread *th, void *arg)
{
  const matmul_args *a = arg;
  g4_matmul_team (th, "matmul", a->w, a->x, a->T, a->y, a->ldy, a->scratch);
}

void
g4_matmul (const g4_matrix *w, const float *x, int64_t T, float *y,
    int64_t ldy, void *scratch, int n_threads)
{
  matmul_args a = {.w = w,.x = x,.T = T,.ldy = ldy,.y = y,.scratch = scratch };
  g4_team_run (n_threads, matmul_member, &a);
}

/* y[t][r0, r1) limited to [lo, hi], by the member that just computed them
 * (still in its cache; no pass of its own, no barrier). */
static void
clamp_rows (float *y, int64_t ldy, int64_t T, int64_t r0, int64_t r1, float lo, float hi)
{
  if (lo == -INFINITY && hi == INFINITY)
    return;
  for (int64_t t = 0; t < T; t++)
    g4_clamp (y + t * ldy + r0, y + t * ldy + r0, r1 - r0, lo, hi);
}

static void
product (const g4_thread *th, const char *what, const g4_matrix *w, const float *x, int64_t T,
    float *y, int64_t ldy, void *scratch, float lo, float hi, bool quantized, bool tiles_first);

void
g4_matmul_team (const g4_thread *th, const char *what, const g4_matrix *w,
    const float *x, int64_t T, float *y, int64_t ldy, void *scratch)
{
  product (th, what, w, x, T, y, ldy, scratch, -INFINITY, INFINITY, false, true);
}

bool
g4_matmul_same_act (g4_type a, g4_type b)
{
  const g4_kernel_entry *ea = g4_kernels_entry (a), *eb = g4_kernels_entry (b);
  return ea != NULL && eb != NULL && ea->quantize_act != NULL && eb->quantize_act != NULL
      && ea->vec_dot_type == eb->vec_dot_type && needs_sums (ea) == needs_sums (eb);
}

void
g4_matmul_quantize_row (g4_type wtype, const float *x, int64_t n, int64_t t, int64_t T,
    void *scratch)
{
  const g4_kernel_entry *e = g4_kernels_entry (wtype);
  if (e == NULL || e->quantize_act == NULL)
    return;
  const size_t stride = g4_row_size (e->vec_dot_type, n);
  char *row = (char *) scratch + t * stride;
  e->quantize_act (x, row, n);
  if (needs_sums (e))
    block_sums ((const block_q8_0 *) row, n / QK8_0,
        (int32_t *) ((char *) scratch + sums_offset (e, n, T)) + t * (n / QK8_0));
}

void
g4_matmul_clamp_team (const g4_thread *th, const char *what, const g4_matrix *w,
    const float *x, int64_t T, float *y, int64_t ldy, void *scratch, float lo, float hi)
{
  product (th, what, w, x, T, y, ldy, scratch, lo, hi, false, false);
}

void
g4_matmul_quantized_team (const g4_thread *th, const char *what, const g4_matrix *w,
    const float *x, int64_t T, float *y, int64_t ldy, void *scratch)
{
  product (th, what, w, x, T, y, ldy, scratch, -INFINITY, INFINITY, true, true);
}

/* The product, its activations quantized here unless the caller did
 * (quantized: g4_matmul_quantize_row on every row); tiles_first: see
 * g4_uses_gemm. */
static void
product (const g4_thread *th, const char *what, const g4_matrix *w, const float *x, int64_t T,
    float *y, int64_t ldy, void *scratch, float lo, float hi, bool quantized, bool tiles_first)
{
  double p0 = g4_prof_start (th);
  const g4_kernel_entry *e = g4_kernels_entry (w->type);
  assert (e != NULL);
  assert (T >= 1 && ldy >= w->n_out);
  assert (w->n_in % g4_type_traits_get (w->type)->block_size == 0);
  const int64_t n = w->n_in;
  const char *act = (const char *) x;
  size_t act_stride = (size_t) n * sizeof (float);
  int64_t i0, i1;
  if (e->quantize_act != NULL) {
    assert (scratch != NULL);
    act = scratch;
    act_stride = g4_row_size (e->vec_dot_type, n);
    if (!quantized) {
      while (g4_take (th, T, 0, &i0, &i1))
        for (int64_t t = i0; t < i1; t++)
          g4_matmul_quantize_row (w->type, x + t * n, n, t, T, scratch);
      g4_barrier (th);
      g4_prof_stop (th, p0, "activation quantization");
      p0 = g4_prof_start (th);
    }
  }
  /* Chunks are whole row blocks counted from row 0 (ROW_BLOCK is a multiple
   * of every tile height), so every tile is the one a single thread would
   * compute. About 16 chunks per thread: a member that loses its core holds
   * back the others by one small chunk at most. The GEMM's results do not
   * depend on its blocks; its chunks are whole panels. */
  const bool gemm = g4_uses_gemm (e, T, tiles_first);
  const int64_t block = gemm ? e->gemm_panel : ROW_BLOCK;
  const int64_t n_blocks = (w->n_out + block - 1) / block;
  int64_t chunk = n_blocks / (16 * (int64_t) th->n);
  chunk = chunk < 1 ? 1 : chunk;
  /* whole pairs of groups where the kernel takes two at once */
  if (w->packed && e->gemm_packed_pair)
    chunk = (chunk + 1) & ~(int64_t) 1;
  const int32_t *sums = w->packed && needs_sums (e)
      ? (const int32_t *) ((const char *) scratch + sums_offset (e, n, T)) : NULL;
  assert (!w->packed || e->gemm_packed != NULL);
  while (g4_take (th, n_blocks, chunk, &i0, &i1)) {
    const int64_t r0 = i0 * block, r1 = min_i64 (w->n_out, i1 * block);
    if (w->packed)
      packed_range (e, w, i0, i1, act, act_stride, sums, T, y, ldy);
    else if (gemm)
      e->gemm_rows (w, r0, r1, x, T, y, ldy);
    else
      dot_range (e, w, r0, r1, act, act_stride, T, y, ldy);
    clamp_rows (y, ldy, T, r0, r1, lo, hi);
  }
  g4_barrier (th);
  /* weights by shape; other products (KV cache views) vary with the context */
  if (p0 != 0.0 && !strcmp (what, "matmul"))
    g4_prof_stop (th, p0, g4_prof_name ("matmul %s%s %lldx%lld %s",
            g4_type_traits_get (w->type)->name, w->packed ? " packed" : "",
            (long long) w->n_in, (long long) w->n_out, T == 1 ? "T=1" : "T>1"));
  else if (p0 != 0.0)
    g4_prof_stop (th, p0, g4_prof_name ("%s %s %s", what,
            g4_type_traits_get (w->type)->name, T == 1 ? "T=1" : "T>1"));
}
