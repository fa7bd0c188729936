/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g4_attention_f32: multi-head attention on F32 queries, for the encoders'
 * bidirectional attention and the decoder's masked attention over its KV
 * cache (F32 or F16, K stored transposed). Each K/V head's keys are packed
 * transposed (as floats) and its values contiguous, then the team's members
 * take (head, block of queries) tasks to the row kernel of the ISA
 * dispatch.c chose (attention.h). Also the scalar row kernel, the
 * executable spec the SIMD ones must equal up to float summation order. */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "attention.h"
#include "kernels.h"

static int64_t
pad_keys (int64_t n_kv)
{
  return (n_kv + ATTN_KEY_PAD - 1) / ATTN_KEY_PAD * ATTN_KEY_PAD;
}

/* The online softmax of attention.h, one row at a time, key blocks of
 * ATTN_KEY_BLOCK as the SIMD kernels go; libm's exponential. */
void
attention_rows_scalar (const attn_head *h, const float *q, int64_t ldq, const int32_t *lo,
    const int32_t *hi, int rows, float *o, int64_t ldo, float *s)
{
  const int dh = h->head_dim;
  for (int r = 0; r < rows; r++) {
    const float *qr = q + r * ldq;
    float *orow = o + r * ldo, m = -INFINITY, l = 0.0f;
    for (int d = 0; d < dh; d++)
      orow[d] = 0.0f;
    for (int64_t j0 = 0; j0 < h->n_kv; j0 += ATTN_KEY_BLOCK) {
      const int64_t nb = h->n_kv - j0 < ATTN_KEY_BLOCK ? h->n_kv - j0 : ATTN_KEY_BLOCK;
      float bm = -INFINITY;
      for (int64_t j = 0; j < nb; j++) {
        const int32_t p = h->kpos[j0 + j];
        float x = -INFINITY;
        if (p >= lo[r] && p < hi[r]) {
          x = 0.0f;
          for (int d = 0; d < dh; d++)
            x += qr[d] * h->kt[d * h->n_pad + j0 + j];
        }
        s[j] = x;
        bm = x > bm ? x : bm;
      }
      const float mn = bm > m ? bm : m;
      if (mn == -INFINITY)
        continue;
      const float alpha = expf ((m - mn) * h->scale);
      float sum = 0.0f;
      for (int64_t j = 0; j < nb; j++)
        sum += s[j] = expf ((s[j] - mn) * h->scale);
      l = l * alpha + sum;
      m = mn;
      for (int d = 0; d < dh; d++) {
        float acc = orow[d] * alpha;
        for (int64_t j = 0; j < nb; j++)
          acc += s[j] * h->vp[(j0 + j) * dh + d];
        orow[d] = acc;
      }
    }
    const float inv = l > 0.0f ? 1.0f / l : 0.0f;
    for (int d = 0; d < dh; d++)
      orow[d] *= inv;
  }
}

static void
f16_run_scalar (const uint16_t *x, float *y, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    y[i] = g4_fp16_to_fp32 (x[i]);
}

static g4_attention_f16_run *
f16_run (void)
{
  switch (g4_kernels_isa ()) {
#ifdef G4_HAVE_AVX512
    case G4_ISA_AVX512:
      return attention_f16_run_avx512;
#endif
#ifdef G4_HAVE_AVX2
    case G4_ISA_AVX2:
      return attention_f16_run_avx2;
#endif
    default:
      return f16_run_scalar;
  }
}

/* dst[0, n) = the n values of x (a->kv_type) from element i on, as floats. */
static void
kv_run (const g4_attention_args *a, const void *x, int64_t i, float *dst, int64_t n)
{
  if (a->kv_type == G4_TYPE_F16)
    f16_run () ((const uint16_t *) x + i, dst, n);
  else
    memcpy (dst, (const float *) x + i, sizeof (float) * (size_t) n);
}

/* Keys [j0, j0 + ATTN_KEY_PAD) of K/V head g: transposed into kt (zero past
 * n_kv), their values into vp, and (for g 0) their positions into kpos
 * (INT32_MAX past n_kv). A chunk of whole padding blocks, so that each write
 * of the transpose fills whole cache lines. Keys stored transposed (the
 * decoder's cache) and values are copied by runs. */
static void
pack_keys (const g4_attention_args *a, int g, int64_t j0, int64_t n_pad, float *kt, float *vp,
    int32_t *kpos)
{
  const int dh = a->head_dim;
  const int64_t n = a->n_kv - j0 < ATTN_KEY_PAD ? a->n_kv - j0 : ATTN_KEY_PAD;
  for (int d = 0; d < dh; d++) {
    float *dst = kt + d * n_pad + j0;
    if (a->k_transposed)
      kv_run (a, a->k, ((int64_t) g * dh + d) * a->ld_kt + j0, dst, n);
    else
      for (int64_t j = 0; j < n; j++) {
        const int64_t i = (j0 + j) * a->ld_kv + (int64_t) g * dh + d;
        dst[j] = a->kv_type == G4_TYPE_F16 ? g4_fp16_to_fp32 (((const uint16_t *) a->k)[i])
            : ((const float *) a->k)[i];
      }
    for (int64_t j = n; j < ATTN_KEY_PAD; j++)
      dst[j] = 0.0f;
  }
  for (int64_t j = 0; j < n; j++)
    kv_run (a, a->v, (j0 + j) * a->ld_kv + (int64_t) g * dh, vp + (j0 + j) * dh, dh);
  if (g == 0)
    for (int64_t j = 0; j < ATTN_KEY_PAD; j++)
      kpos[j0 + j] = j >= n ? INT32_MAX : a->key_pos ? a->key_pos[j0 + j] : (int32_t) (j0 + j);
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

static size_t
floats_64 (int64_t n)
{
  return ((size_t) n + 15) & ~(size_t) 15;
}

size_t
g4_attention_scratch_size (int64_t n_kv, int n_head_kv, int head_dim)
{
  const int64_t n_pad = pad_keys (n_kv);
  const int64_t packed = (int64_t) n_head_kv * head_dim * (n_pad + n_kv);
  return sizeof (float) * (floats_64 (packed) + floats_64 (n_pad));
}

/* Where call a's packed keys, values and positions are in its scratch, and
 * how many tasks each of its two steps has. A row task is a block of one
 * head's query rows, or, grouped (a decode step: fewer query rows than a
 * register tile), one query row of every head sharing a K/V head, so that
 * each key the kernel loads serves all of them. */
typedef struct {
  int64_t n_pad, head_kt, head_vp, n_chunks, n_blocks, n_row_tasks;
  int hkv, group;               /* group: heads per K/V head when grouped, else 0 */
  float *kt, *vp;
  int32_t *kpos;
} packed_kv;

static packed_kv
packed_kv_of (const g4_attention_args *a, void *scratch)
{
  assert (a->n_q >= 1 && a->n_kv >= 1 && a->head_dim >= 1 && a->scale > 0.0f);
  assert (a->kv_type == G4_TYPE_F32 || a->kv_type == G4_TYPE_F16);
  packed_kv p = {.hkv = a->n_head_kv > 0 ? a->n_head_kv : a->n_head };
  assert (a->n_head % p.hkv == 0);
  p.n_pad = pad_keys (a->n_kv);
  p.head_kt = (int64_t) a->head_dim * p.n_pad;
  p.head_vp = a->n_kv * a->head_dim;
  p.n_chunks = p.n_pad / ATTN_KEY_PAD;
  p.n_blocks = (a->n_q + ATTN_QUERY_BLOCK - 1) / ATTN_QUERY_BLOCK;
  const int G = a->n_head / p.hkv;
  p.group = G > 1 && G <= ATTN_QUERY_BLOCK && a->n_q < ATTN_ROWS ? G : 0;
  p.n_row_tasks = p.group ? p.hkv * a->n_q : a->n_head * p.n_blocks;
  p.kt = scratch;
  p.vp = p.kt + p.hkv * p.head_kt;
  p.kpos = (int32_t *) ((float *) scratch + floats_64 (p.hkv * (p.head_kt + p.head_vp)));
  return p;
}

/* A member's place in the tasks of n calls, which it takes in increasing
 * order: call c holds tasks [base, base + count). */
typedef struct {
  int c;
  int64_t base, count;
  packed_kv p;
} task_cursor;

static void
cursor_seek (task_cursor *k, const g4_attention_args *a, void *const *scratch, bool rows,
    int64_t task)
{
  while (task >= k->base + k->count) {
    k->base += k->count;
    k->c++;
    k->p = packed_kv_of (&a[k->c], scratch[k->c]);
    k->count = rows ? k->p.n_row_tasks : k->p.hkv * k->p.n_chunks;
  }
}

void
g4_attention_f32_team_many (const g4_thread *th, const g4_attention_args *a,
    void *const *scratch, int n)
{
  assert (n >= 1);
  int64_t n_pack = 0, n_rows = 0;
  for (int c = 0; c < n; c++) {
    const packed_kv p = packed_kv_of (&a[c], scratch[c]);
    n_pack += p.hkv * p.n_chunks;
    n_rows += p.n_row_tasks;
  }
  g4_attention_rows_kernel *kernel = rows_kernel ();
  int64_t i0, i1;

  task_cursor k = {.c = -1 };
  while (g4_take (th, n_pack, 0, &i0, &i1))
    for (int64_t i = i0; i < i1; i++) {
      cursor_seek (&k, a, scratch, false, i);
      const int g = (int) ((i - k.base) / k.p.n_chunks);
      pack_keys (&a[k.c], g, (i - k.base) % k.p.n_chunks * ATTN_KEY_PAD, k.p.n_pad,
          k.p.kt + g * k.p.head_kt, k.p.vp + g * k.p.head_vp, k.p.kpos);
    }
  g4_barrier (th);
  /* a block of scores per member: 24 KiB of its stack */
  float s[ATTN_QUERY_BLOCK * ATTN_KEY_BLOCK];
  int32_t all_lo[ATTN_QUERY_BLOCK], all_hi[ATTN_QUERY_BLOCK];
  k = (task_cursor) {.c = -1 };
  while (g4_take (th, n_rows, 1, &i0, &i1)) {
    cursor_seek (&k, a, scratch, true, i0);
    const g4_attention_args *ac = &a[k.c];
    const int H = ac->n_head, dh = ac->head_dim, G = H / k.p.hkv;
    const int64_t t = i0 - k.base;
    /* grouped: query row q0 of heads g G .. g G + G - 1 (dh floats apart) */
    const int h = k.p.group ? (int) (t / ac->n_q) * G : (int) (t / k.p.n_blocks);
    const int64_t q0 = k.p.group ? t % ac->n_q : t % k.p.n_blocks * ATTN_QUERY_BLOCK;
    const int rows = k.p.group ? G
        : (int) (ac->n_q - q0 < ATTN_QUERY_BLOCK ? ac->n_q - q0 : ATTN_QUERY_BLOCK);
    const int64_t ld_q = k.p.group ? dh : ac->ld_q, ld_o = k.p.group ? dh : ac->ld_o;
    for (int r = 0; r < rows; r++) {
      const int64_t i = k.p.group ? q0 : q0 + r;
      all_lo[r] = ac->q_lo ? ac->q_lo[i] : INT32_MIN;
      all_hi[r] = ac->q_hi ? ac->q_hi[i] : INT32_MAX;
    }
    const int g = h / G;
    const attn_head head = {
      .kt = k.p.kt + g * k.p.head_kt, .vp = k.p.vp + g * k.p.head_vp, .kpos = k.p.kpos,
      .n_kv = ac->n_kv, .n_pad = k.p.n_pad, .head_dim = dh, .scale = ac->scale,
    };
    kernel (&head, ac->q + q0 * ac->ld_q + h * dh, ld_q, all_lo, all_hi, rows,
        ac->o + q0 * ac->ld_o + h * dh, ld_o, s);
  }
  g4_barrier (th);
}

void
g4_attention_f32_team (const g4_thread *th, const g4_attention_args *a, void *scratch)
{
  g4_attention_f32_team_many (th, a, &scratch, 1);
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
