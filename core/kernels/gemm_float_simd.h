/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The loops of the float GEMMs over column blocks, panels and register
 * tiles, written once for gemm_float_avx2.c and gemm_float_avx512.c. The ISA
 * file defines before including it: PANEL (weight rows per panel, two
 * vectors), NT (activation rows per register tile), KC (columns per panel),
 * the weight kinds W_F32, W_F16, W_BF16, the vector type vf of W floats,
 * the type rmask of a vector's lanes and rows_mask (first, nr) (the lanes of
 * rows first.. that are below nr), vzero, vload_a (aligned), vbroadcast,
 * vfma, vload_m and vstore_m (the lanes of a mask), pack_panel, and
 * GEMM_FLOAT_FN, the name to define. */

/* The NT-row register tile (nt <= NT rows, a constant once inlined) over kc
 * packed columns; acc: y holds the chains of the columns before. */
ALWAYS_INLINE void
tile (int nt, int kc, const float *restrict pw, const float *restrict x, int64_t ldx,
    float *restrict y, int64_t ldy, rmask m0, rmask m1, bool acc)
{
  vf c0[NT], c1[NT];
  const float *xr[NT];
#pragma GCC unroll 12
  for (int t = 0; t < nt; t++) {
    xr[t] = x + t * ldx;
    c0[t] = acc ? vload_m (y + t * ldy, m0) : vzero ();
    c1[t] = acc ? vload_m (y + t * ldy + W, m1) : vzero ();
  }
  /* the next tile's outputs, which would otherwise stall its first loads
   * (y is T x n_out, often out of cache: a third of the time on 3072 rows) */
#pragma GCC unroll 12
  for (int t = 0; t < nt; t++) {
    _mm_prefetch ((const char *) (y + (t + nt) * ldy), _MM_HINT_T0);
    _mm_prefetch ((const char *) (y + (t + nt) * ldy + W), _MM_HINT_T0);
  }
  for (int k = 0; k < kc; k++) {
    const vf w0 = vload_a (pw + k * PANEL), w1 = vload_a (pw + k * PANEL + W);
#pragma GCC unroll 12
    for (int t = 0; t < nt; t++) {
      const vf b = vbroadcast (xr[t] + k);
      c0[t] = vfma (w0, b, c0[t]);
      c1[t] = vfma (w1, b, c1[t]);
    }
  }
#pragma GCC unroll 12
  for (int t = 0; t < nt; t++) {
    vstore_m (y + t * ldy, m0, c0[t]);
    vstore_m (y + t * ldy + W, m1, c1[t]);
  }
}

_Static_assert (NT <= 12, "tile_tail has a case for each row count below 12");

/* Tiles of the last T % NT rows, one instance per count. */
static void
tile_tail (int nt, int kc, const float *pw, const float *x, int64_t ldx, float *y, int64_t ldy,
    rmask m0, rmask m1, bool acc)
{
  switch (nt) {
#define TAIL(n) case n: if ((n) < NT) tile ((n) < NT ? (n) : 1, kc, pw, x, ldx, y, ldy, m0, m1, acc); break;
    TAIL (1) TAIL (2) TAIL (3) TAIL (4) TAIL (5) TAIL (6)
    TAIL (7) TAIL (8) TAIL (9) TAIL (10) TAIL (11)
#undef TAIL
    default:
      break;
  }
}

ALWAYS_INLINE void
gemm_rows (int kind, const g4_matrix *w, int64_t r0, int64_t r1, const float *x, int64_t T,
    float *y, int64_t ldy)
{
  float buf[KC * PANEL] __attribute__ ((aligned (64)));
  const int64_t n = w->n_in;
  for (int64_t k0 = 0; k0 < n; k0 += KC) {
    const int kc = n - k0 < KC ? (int) (n - k0) : KC;
    const bool acc = k0 > 0;
    for (int64_t p = r0; p < r1; p += PANEL) {
      const int nr = r1 - p < PANEL ? (int) (r1 - p) : PANEL;
      pack_panel (kind, w, p, nr, k0, kc, buf);
      const rmask m0 = rows_mask (0, nr), m1 = rows_mask (PANEL / 2, nr);
      int64_t t = 0;
      for (; t + NT <= T; t += NT)
        tile (NT, kc, buf, x + t * n + k0, n, y + t * ldy + p, ldy, m0, m1, acc);
      if (t < T)
        tile_tail ((int) (T - t), kc, buf, x + t * n + k0, n, y + t * ldy + p, ldy, m0, m1, acc);
    }
  }
}

void
GEMM_FLOAT_FN (const g4_matrix *w, int64_t r0, int64_t r1, const float *restrict x, int64_t T,
    float *restrict y, int64_t ldy)
{
  switch (w->type) {
    case G4_TYPE_F32:
      gemm_rows (W_F32, w, r0, r1, x, T, y, ldy);
      break;
    case G4_TYPE_F16:
      gemm_rows (W_F16, w, r0, r1, x, T, y, ldy);
      break;
    case G4_TYPE_BF16:
      gemm_rows (W_BF16, w, r0, r1, x, T, y, ldy);
      break;
    default:
      break;
  }
}
