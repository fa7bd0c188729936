/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The body of the SIMD attention row kernel (attention.h), written once over a
 * small vector vocabulary that attention_avx2.c and attention_avx512.c define
 * before including it: the type vf of W floats, vmask for the first n lanes,
 * and vzero, vset1, vload, vstore, vload_m, vstore_m, vfma, vmul, vsub, vadd,
 * vmax, vhmax, vhadd, vexp (e^x, exactly 0 for -inf), plus SCORE_VECS and
 * OUT_VECS, the vectors per row of the score and output register tiles, and
 * ATTN_ROWS_FN, the name to define.
 *
 * Scores: a tile of rows x SCORE_VECS W keys accumulates q[r][d] (broadcast)
 * times the packed keys' row d, so no horizontal sums are needed; padded keys
 * score -inf. Softmax keeps the exponentials unnormalised, the output tile
 * (rows x OUT_VECS W dims) accumulates p[r][j] (broadcast) times value row j
 * and is scaled by 1 / sum once at the end. Every score and output is one
 * chain of FMAs in key (or dimension) order, whatever the blocking. */
#include <math.h>
#include <stdbool.h>

_Static_assert (ATTN_ROWS == 6, "FOR_EACH_ROW_COUNT has a case for each row count up to 6");

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))

/* s[r][j0, j0 + SCORE_VECS W) for R rows. */
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
      vstore (s + r * n_pad + j0 + c * W, acc[r][c]);
}

/* o[r][d0, d0 + NV W) = sum_j s[r][j] vp[j][d0...] over the keys [j0, j1)
 * for R rows, carried through o from the blocks before (unless first) and
 * times inv[r] after the last; with a mask m the last of the NV vectors holds
 * only m's lanes. */
ALWAYS_INLINE void
out_tile (int R, int NV, bool masked, vmask m, const float *s, int64_t n_pad, const float *vp,
    int64_t j0, int64_t j1, int dh, int d0, bool first, bool last, const float *inv, float *o,
    int64_t ldo)
{
  vf acc[ATTN_ROWS][OUT_VECS];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
#pragma GCC unroll 8
    for (int c = 0; c < NV; c++) {
      const float *src = o + r * ldo + d0 + c * W;
      acc[r][c] = first ? vzero () : masked && c == NV - 1 ? vload_m (src, m) : vload (src);
    }
  for (int64_t j = j0; j < j1; j++) {
    const float *vr = vp + j * dh + d0;
    vf vv[OUT_VECS];
#pragma GCC unroll 8
    for (int c = 0; c < NV; c++)
      vv[c] = masked && c == NV - 1 ? vload_m (vr + c * W, m) : vload (vr + c * W);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const vf p = vset1 (s[r * n_pad + j]);
#pragma GCC unroll 8
      for (int c = 0; c < NV; c++)
        acc[r][c] = vfma (p, vv[c], acc[r][c]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) {
    const vf sc = vset1 (inv[r]);
#pragma GCC unroll 8
    for (int c = 0; c < NV; c++) {
      float *dst = o + r * ldo + d0 + c * W;
      const vf x = last ? vmul (acc[r][c], sc) : acc[r][c];
      if (masked && c == NV - 1)
        vstore_m (dst, x, m);
      else
        vstore (dst, x);
    }
  }
}

/* Exponentials of one score row in place (scaled, max subtracted); returns
 * 1 / their sum. */
static float
softmax_row (float *s, int64_t n_kv, int64_t n_pad, float scale)
{
  for (int64_t j = n_kv; j < n_pad; j++)
    s[j] = -INFINITY;
  vf mx = vset1 (-INFINITY);
  for (int64_t j = 0; j < n_pad; j += W)
    mx = vmax (mx, vload (s + j));
  const vf m = vset1 (vhmax (mx)), sc = vset1 (scale);
  vf sum = vzero ();
  for (int64_t j = 0; j < n_pad; j += W) {
    const vf e = vexp (vmul (vsub (vload (s + j), m), sc));
    vstore (s + j, e);
    sum = vadd (sum, e);
  }
  return 1.0f / vhadd (sum);
}

/* The score tiles of R rows for the keys [j0, j1). */
ALWAYS_INLINE void
score_rows (int R, const float *q, int64_t ldq, const float *kt, int64_t n_pad, int dh,
    int64_t j0, int64_t j1, float *s)
{
  for (int64_t j = j0; j < j1; j += SCORE_VECS * W)
    score_tile (R, q, ldq, kt, n_pad, dh, j, s);
}

/* R output rows over the keys [j0, j1), every head dimension. */
ALWAYS_INLINE void
out_rows (int R, const float *s, int64_t n_pad, const float *vp, int64_t j0, int64_t j1,
    int dh, bool first, bool last, const float *inv, float *o, int64_t ldo)
{
  const vmask none = vmask_first (W), tail = vmask_first (dh % W);
  int d0 = 0;
  for (; d0 + OUT_VECS * W <= dh; d0 += OUT_VECS * W)
    out_tile (R, OUT_VECS, false, none, s, n_pad, vp, j0, j1, dh, d0, first, last, inv, o, ldo);
  for (; d0 + W <= dh; d0 += W)
    out_tile (R, 1, false, none, s, n_pad, vp, j0, j1, dh, d0, first, last, inv, o, ldo);
  if (d0 < dh)
    out_tile (R, 1, true, tail, s, n_pad, vp, j0, j1, dh, d0, first, last, inv, o, ldo);
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
out_group (int R, const float *s, int64_t n_pad, const float *vp, int64_t j0, int64_t j1,
    int dh, bool first, bool last, const float *inv, float *o, int64_t ldo)
{
  switch (R) {
#define OUT_CASE(n) case n: out_rows (n, s, n_pad, vp, j0, j1, dh, first, last, inv, o, ldo); break;
    FOR_EACH_ROW_COUNT (OUT_CASE)
#undef OUT_CASE
    default:
      break;
  }
}

/* Key blocks outside, groups of ATTN_ROWS query rows inside: a block of
 * keys or values (ATTN_KEY_BLOCK of them, 32 KiB at 64 dims) is read from
 * L2 by every group of the call's rows instead of the whole head streaming
 * from L3 for each group. */
void
ATTN_ROWS_FN (const float *q, int64_t ldq, const float *kt, const float *vp, int64_t n_kv,
    int64_t n_pad, int head_dim, float scale, int rows, float *o, int64_t ldo, float *s)
{
  for (int64_t j0 = 0; j0 < n_pad; j0 += ATTN_KEY_BLOCK) {
    const int64_t j1 = j0 + ATTN_KEY_BLOCK < n_pad ? j0 + ATTN_KEY_BLOCK : n_pad;
    for (int r0 = 0; r0 < rows; r0 += ATTN_ROWS)
      score_group (rows - r0 < ATTN_ROWS ? rows - r0 : ATTN_ROWS, q + r0 * ldq, ldq, kt, n_pad,
          head_dim, j0, j1, s + r0 * n_pad);
  }
  float inv[ATTN_QUERY_BLOCK];
  for (int r = 0; r < rows; r++)
    inv[r] = softmax_row (s + r * n_pad, n_kv, n_pad, scale);
  for (int64_t j0 = 0; j0 < n_kv; j0 += ATTN_KEY_BLOCK) {
    const int64_t j1 = j0 + ATTN_KEY_BLOCK < n_kv ? j0 + ATTN_KEY_BLOCK : n_kv;
    for (int r0 = 0; r0 < rows; r0 += ATTN_ROWS)
      out_group (rows - r0 < ATTN_ROWS ? rows - r0 : ATTN_ROWS, s + r0 * n_pad, n_pad, vp, j0,
          j1, head_dim, j0 == 0, j1 == n_kv, inv + r0, o + r0 * ldo, ldo);
  }
}
