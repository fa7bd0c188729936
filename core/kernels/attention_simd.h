/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The body of the SIMD attention row kernel (attention.h), written once over a
 * small vector vocabulary that attention_avx2.c and attention_avx512.c define
 * before including it: the type vf of W floats, vmask for the first n lanes,
 * and vzero, vset1, vload, vload_h (W binary16 values as floats), vstore,
 * vload_m, vstore_m, vfma, vmul, vsub, vadd, vmax, vhmax, vhadd, vexp (e^x,
 * exactly 0 for -inf), vkeep (the lanes whose key position is in [lo, hi),
 * -inf elsewhere), plus SCORE_VECS and OUT_VECS, the vectors per row of the
 * score and output register tiles, and ATTN_ROWS_FN and ATTN_F16_RUN_FN,
 * the names to define.
 *
 * Scores: a tile of rows x SCORE_VECS W keys accumulates q[r][d] (broadcast)
 * times the packed keys' row d, so no horizontal sums are needed. The output
 * tile (rows x OUT_VECS W dims) starts from the output row times the block's
 * rescale factor and accumulates p[r][j] (broadcast) times value row j; it
 * is divided by the row's sum once at the end. Every score is one chain of
 * FMAs in dimension order, every output one in key order. */
#include <math.h>
#include <stdbool.h>

#include "kernels.h"

_Static_assert (ATTN_ROWS == 6, "FOR_EACH_ROW_COUNT has a case for each row count up to 6");
_Static_assert (ATTN_KEY_BLOCK % (SCORE_VECS * W) == 0, "a key block is whole score tiles");

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))

/* s[r][0, SCORE_VECS W) = q[r] . keys [j0, j0 + SCORE_VECS W) for R rows. */
ALWAYS_INLINE void
score_tile (int R, const float *q, int64_t ldq, const float *kt, int64_t n_pad, int dh,
    int64_t j0, float *s)
{
  vf acc[ATTN_ROWS][SCORE_VECS];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
#pragma GCC unroll 8
    for (int c = 0; c < SCORE_VECS; c++)
      acc[r][c] = vzero ();
  for (int d = 0; d < dh; d++) {
    const float *kr = kt + d * n_pad + j0;
    vf kv[SCORE_VECS];
#pragma GCC unroll 8
    for (int c = 0; c < SCORE_VECS; c++)
      kv[c] = vload (kr + c * W);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const vf qb = vset1 (q[r * ldq + d]);
#pragma GCC unroll 8
      for (int c = 0; c < SCORE_VECS; c++)
        acc[r][c] = vfma (qb, kv[c], acc[r][c]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
#pragma GCC unroll 8
    for (int c = 0; c < SCORE_VECS; c++)
      vstore (s + r * ATTN_KEY_BLOCK + c * W, acc[r][c]);
}

/* o[r][d0, d0 + NV W) = alpha[r] o[r][...] + sum_j s[r][j - j0] vp[j][d0...]
 * over the keys [j0, j1) for R rows; with a mask m the last of the NV
 * vectors holds only m's lanes. */
ALWAYS_INLINE void
out_tile (int R, int NV, bool masked, vmask m, const float *s, const float *vp, int64_t j0,
    int64_t j1, int dh, int d0, const float *alpha, float *o, int64_t ldo)
{
  vf acc[ATTN_ROWS][OUT_VECS];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) {
    const vf a = vset1 (alpha[r]);
#pragma GCC unroll 8
    for (int c = 0; c < NV; c++) {
      const float *src = o + r * ldo + d0 + c * W;
      acc[r][c] = vmul (masked && c == NV - 1 ? vload_m (src, m) : vload (src), a);
    }
  }
  for (int64_t j = j0; j < j1; j++) {
    const float *vr = vp + j * dh + d0;
    vf vv[OUT_VECS];
#pragma GCC unroll 8
    for (int c = 0; c < NV; c++)
      vv[c] = masked && c == NV - 1 ? vload_m (vr + c * W, m) : vload (vr + c * W);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const vf p = vset1 (s[r * ATTN_KEY_BLOCK + j - j0]);
#pragma GCC unroll 8
      for (int c = 0; c < NV; c++)
        acc[r][c] = vfma (p, vv[c], acc[r][c]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
#pragma GCC unroll 8
    for (int c = 0; c < NV; c++) {
      float *dst = o + r * ldo + d0 + c * W;
      if (masked && c == NV - 1)
        vstore_m (dst, acc[r][c], m);
      else
        vstore (dst, acc[r][c]);
    }
}

/* One row's scores of a block of nb keys (positions kp) in place: masked to
 * [lo, hi), then their exponentials against the running maximum *m, raised
 * first to the block's maximum; *l becomes the running sum. Returns the
 * factor of the output row's rescale. */
static float
block_softmax (float *s, const int32_t *kp, int64_t nb, int32_t lo, int32_t hi, float scale,
    float *m, float *l)
{
  vf mx = vset1 (-INFINITY);
  for (int64_t j = 0; j < nb; j += W) {
    const vf x = vkeep (vload (s + j), kp + j, lo, hi);
    vstore (s + j, x);
    mx = vmax (mx, x);
  }
  const float bm = vhmax (mx), mn = bm > *m ? bm : *m;
  if (mn == -INFINITY) {
    /* nothing seen yet: the output row is still 0 */
    for (int64_t j = 0; j < nb; j += W)
      vstore (s + j, vzero ());
    return 1.0f;
  }
  const float alpha = expf ((*m - mn) * scale);
  const vf mv = vset1 (mn), sc = vset1 (scale);
  vf sum = vzero ();
  for (int64_t j = 0; j < nb; j += W) {
    const vf e = vexp (vmul (vsub (vload (s + j), mv), sc));
    vstore (s + j, e);
    sum = vadd (sum, e);
  }
  *l = *l * alpha + vhadd (sum);
  *m = mn;
  return alpha;
}

/* The score tiles of R rows for the keys [j0, j1). */
ALWAYS_INLINE void
score_rows (int R, const float *q, int64_t ldq, const float *kt, int64_t n_pad, int dh,
    int64_t j0, int64_t j1, float *s)
{
  for (int64_t j = j0; j < j1; j += SCORE_VECS * W)
    score_tile (R, q, ldq, kt, n_pad, dh, j, s + (j - j0));
}

/* R output rows over the keys [j0, j1), every head dimension. */
ALWAYS_INLINE void
out_rows (int R, const float *s, const float *vp, int64_t j0, int64_t j1, int dh,
    const float *alpha, float *o, int64_t ldo)
{
  const vmask none = vmask_first (W), tail = vmask_first (dh % W);
  int d0 = 0;
  for (; d0 + OUT_VECS * W <= dh; d0 += OUT_VECS * W)
    out_tile (R, OUT_VECS, false, none, s, vp, j0, j1, dh, d0, alpha, o, ldo);
  for (; d0 + W <= dh; d0 += W)
    out_tile (R, 1, false, none, s, vp, j0, j1, dh, d0, alpha, o, ldo);
  if (d0 < dh)
    out_tile (R, 1, true, tail, s, vp, j0, j1, dh, d0, alpha, o, ldo);
}

#define FOR_EACH_ROW_COUNT(CASE) CASE (1) CASE (2) CASE (3) CASE (4) CASE (5) CASE (6)

static void
score_group (int R, const float *q, int64_t ldq, const float *kt, int64_t n_pad, int dh,
    int64_t j0, int64_t j1, float *s)
{
  switch (R) {
#define SCORE_CASE(n) case n: score_rows (n, q, ldq, kt, n_pad, dh, j0, j1, s); break;
    FOR_EACH_ROW_COUNT (SCORE_CASE)
#undef SCORE_CASE
    default:
      break;
  }
}

static void
out_group (int R, const float *s, const float *vp, int64_t j0, int64_t j1, int dh,
    const float *alpha, float *o, int64_t ldo)
{
  switch (R) {
#define OUT_CASE(n) case n: out_rows (n, s, vp, j0, j1, dh, alpha, o, ldo); break;
    FOR_EACH_ROW_COUNT (OUT_CASE)
#undef OUT_CASE
    default:
      break;
  }
}

/* Key blocks outside, groups of ATTN_ROWS query rows inside: a block of
 * keys and values (ATTN_KEY_BLOCK of them, 32 KiB at 64 dims) is read from
 * L2 by every group of the call's rows. */
void
ATTN_ROWS_FN (const attn_head *h, const float *q, int64_t ldq, const int32_t *lo,
    const int32_t *hi, int rows, float *o, int64_t ldo, float *s)
{
  const int dh = h->head_dim;
  float m[ATTN_QUERY_BLOCK], l[ATTN_QUERY_BLOCK], alpha[ATTN_QUERY_BLOCK];
  for (int r = 0; r < rows; r++) {
    m[r] = -INFINITY;
    l[r] = 0.0f;
    for (int d = 0; d < dh; d++)
      o[r * ldo + d] = 0.0f;
  }
  for (int64_t j0 = 0; j0 < h->n_pad; j0 += ATTN_KEY_BLOCK) {
    const int64_t j1 = j0 + ATTN_KEY_BLOCK < h->n_pad ? j0 + ATTN_KEY_BLOCK : h->n_pad;
    int32_t kmin = INT32_MAX, kmax = INT32_MIN;
    for (int64_t j = j0; j < j1 && j < h->n_kv; j++) {
      kmin = h->kpos[j] < kmin ? h->kpos[j] : kmin;
      kmax = h->kpos[j] > kmax ? h->kpos[j] : kmax;
    }
    for (int r0 = 0; r0 < rows; r0 += ATTN_ROWS) {
      const int R = rows - r0 < ATTN_ROWS ? rows - r0 : ATTN_ROWS;
      bool seen = false;
      for (int r = r0; r < r0 + R; r++)
        seen |= kmin < hi[r] && kmax >= lo[r];
      if (!seen)
        continue;
      float *sg = s + r0 * ATTN_KEY_BLOCK;
      score_group (R, q + r0 * ldq, ldq, h->kt, h->n_pad, dh, j0, j1, sg);
      for (int r = r0; r < r0 + R; r++)
        alpha[r] = block_softmax (sg + (r - r0) * ATTN_KEY_BLOCK, h->kpos + j0, j1 - j0, lo[r],
            hi[r], h->scale, &m[r], &l[r]);
      out_group (R, sg, h->vp, j0, j1 < h->n_kv ? j1 : h->n_kv, dh, alpha + r0, o + r0 * ldo,
          ldo);
    }
  }
  for (int r = 0; r < rows; r++) {
    const float inv = l[r] > 0.0f ? 1.0f / l[r] : 0.0f;
    for (int d = 0; d < dh; d++)
      o[r * ldo + d] *= inv;
  }
}

void
ATTN_F16_RUN_FN (const uint16_t *x, float *y, int64_t n)
{
  int64_t i = 0;
  for (; i + W <= n; i += W)
    vstore (y + i, vload_h (x + i));
  for (; i < n; i++)
    y[i] = g4_fp16_to_fp32 (x[i]);
}
