/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g4_attention_f32: full (unmasked) multi-head attention on F32 rows, for the
 * encoders' bidirectional attention. Each head's keys are packed transposed
 * and its values contiguous, then the team's members take (head, block of
 * queries) tasks to the row kernel of the ISA dispatch.c chose
 * (attention.h). Also the scalar row kernel, the executable spec the SIMD
 * ones must equal up to float summation order. */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "attention.h"
#include "kernels.h"

/* Bytes of one call's scores that stay in L2 beside a key block. */
#define SCORE_BYTES (384 * 1024)

static int64_t
pad_keys (int64_t n_kv)
{
  return (n_kv + ATTN_KEY_PAD - 1) / ATTN_KEY_PAD * ATTN_KEY_PAD;
}

/* Query rows per kernel call: whole register tiles whose scores fit
 * SCORE_BYTES, at least one tile. */
static int
query_block (int64_t n_pad)
{
  int64_t rows = SCORE_BYTES / (int64_t) sizeof (float) / n_pad / ATTN_ROWS * ATTN_ROWS;
  rows = rows < ATTN_ROWS ? ATTN_ROWS : rows;
  return (int) (rows < ATTN_QUERY_BLOCK ? rows : ATTN_QUERY_BLOCK);
}

void
attention_rows_scalar (const float *q, int64_t ldq, const float *kt, const float *vp,
    int64_t n_kv, int64_t n_pad, int head_dim, float scale, int rows, float *o, int64_t ldo,
    float *s)
{
  for (int r = 0; r < rows; r++) {
    const float *qr = q + r * ldq;
    float *sr = s + r * n_pad, *orow = o + r * ldo;
    for (int64_t j = 0; j < n_kv; j++)
      sr[j] = 0.0f;
    for (int d = 0; d < head_dim; d++)
      for (int64_t j = 0; j < n_kv; j++)
        sr[j] += qr[d] * kt[d * n_pad + j];
    float mx = -INFINITY;
    for (int64_t j = 0; j < n_kv; j++)
      mx = sr[j] > mx ? sr[j] : mx;
    float sum = 0.0f;
    for (int64_t j = 0; j < n_kv; j++) {
      sr[j] = expf ((sr[j] - mx) * scale);
      sum += sr[j];
    }
    for (int d = 0; d < head_dim; d++)
      orow[d] = 0.0f;
    for (int64_t j = 0; j < n_kv; j++)
      for (int d = 0; d < head_dim; d++)
        orow[d] += sr[j] * vp[j * head_dim + d];
    for (int d = 0; d < head_dim; d++)
      orow[d] /= sum;
  }
}

/* Head h's keys transposed into kt (zero past n_kv) and values into vp. The
 * transpose goes ATTN_KEY_PAD keys at a time, so that each of its writes
 * fills whole cache lines instead of one float per line. */
static void
pack_head (const g4_attention_args *a, int h, int64_t n_pad, float *kt, float *vp)
{
  const int dh = a->head_dim;
  for (int64_t j0 = 0; j0 < n_pad; j0 += ATTN_KEY_PAD) {
    const int64_t n = a->n_kv - j0 < ATTN_KEY_PAD ? a->n_kv - j0 : ATTN_KEY_PAD;
    const float *k = a->k + j0 * a->ld_kv + h * dh;
    for (int d = 0; d < dh; d++) {
      float *dst = kt + d * n_pad + j0;
      for (int64_t j = 0; j < n; j++)
        dst[j] = k[j * a->ld_kv + d];
      for (int64_t j = n; j < ATTN_KEY_PAD; j++)
        dst[j] = 0.0f;
    }
  }
  for (int64_t j = 0; j < a->n_kv; j++)
    memcpy (vp + j * dh, a->v + j * a->ld_kv + h * dh, sizeof (float) * (size_t) dh);
}

static g4_attention_rows_kernel *
rows_kernel (void)
{
  switch (g4_kernels_isa ()) {
#ifdef G4_HAVE_AVX512
    case G4_ISA_AVX512:
      return attention_rows_avx512;
#endif
#ifdef G4_HAVE_AVX2
    case G4_ISA_AVX2:
      return attention_rows_avx2;
#endif
    default:
      return attention_rows_scalar;
  }
}

size_t
g4_attention_scratch_size (int64_t n_kv, int n_head, int head_dim, int n_threads)
{
  const int64_t n_pad = pad_keys (n_kv);
  const int64_t packed = (int64_t) n_head * head_dim * (n_pad + n_kv);
  return sizeof (float) * (size_t) (packed + (int64_t) n_threads * query_block (n_pad) * n_pad);
}

void
g4_attention_f32_team (const g4_thread *th, const g4_attention_args *a, void *scratch)
{
  assert (a->n_q >= 1 && a->n_kv >= 1 && a->head_dim >= 1 && a->scale > 0.0f);
  const int H = a->n_head, dh = a->head_dim;
  const int64_t n_kv = a->n_kv, n_pad = pad_keys (n_kv), head_kt = (int64_t) dh * n_pad;
  const int qb = query_block (n_pad);
  const int64_t head_vp = n_kv * dh, n_blocks = (a->n_q + qb - 1) / qb;
  float *kt = scratch, *vp = kt + H * head_kt, *scores = vp + H * head_vp;
  g4_attention_rows_kernel *kernel = rows_kernel ();
  int64_t i0, i1;

  while (g4_take (th, H, 1, &i0, &i1))
    pack_head (a, (int) i0, n_pad, kt + i0 * head_kt, vp + i0 * head_vp);
  g4_barrier (th);
  float *s = scores + (int64_t) th->id * qb * n_pad;
  while (g4_take (th, H * n_blocks, 1, &i0, &i1)) {
    const int h = (int) (i0 / n_blocks);
    const int64_t q0 = i0 % n_blocks * qb;
    const int rows = (int) (a->n_q - q0 < qb ? a->n_q - q0 : qb);
    kernel (a->q + q0 * a->ld_q + h * dh, a->ld_q, kt + h * head_kt, vp + h * head_vp, n_kv,
        n_pad, dh, a->scale, rows, a->o + q0 * a->ld_o + h * dh, a->ld_o, s);
  }
  g4_barrier (th);
}

typedef struct {
  const g4_attention_args *a;
  void *scratch;
} attention_call;

static void
attention_member (const g4_thread *th, void *arg)
{
  const attention_call *c = arg;
  g4_attention_f32_team (th, c->a, c->scratch);
}

void
g4_attention_f32 (const g4_attention_args *a, void *scratch, int n_threads)
{
  attention_call c = {.a = a,.scratch = scratch };
  g4_team_run (n_threads, attention_member, &c);
}
