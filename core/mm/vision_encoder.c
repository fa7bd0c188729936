/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gemma4v vision encoder (docs/vision-encoder.md#vit): patch embedding,
 * factorised 2-D position tables, L pre-norm transformer layers with q/k/v
 * norms, 2-D RoPE (theta 100) and sandwich post-norms, k x k average pooling,
 * optional standardisation and the projector to the text width.
 *
 * Activations are token-major ([patch][feature]); the linears go through
 * g4_matmul, the attention through g4_attention_f32; all buffers come from
 * one arena allocated per call. The whole call runs on one thread team
 * (kernels/team.h): every function below is called by all its members. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernels.h"
#include "ops.h"
#include "profile.h"
#include "scratch.h"
#include "vision_model.h"

#define FFN_ROWS 512            /* FFN hidden rows per block */

typedef struct {
  const g4_vision_model *vm;
  int n_threads;
  int nx, ny;                   /* patches per row / column */
  int64_t N;                    /* patches */
  float *col;                   /* [N][3 p p] patches */
  float *h;                     /* [N][D] residual stream */
  float *a;                     /* [N][D] normed input of a sub-block */
  float *b;                     /* [N][D] output of a sub-block */
  float *q, *k, *v, *o;         /* [N][H dh] */
  float *g, *u;                 /* [FFN_ROWS][F] */
  float *xin;                   /* clamped input of a linear */
  float *rope_cos, *rope_sin;   /* [max (nx, ny)][dh / 4] */
  float *pooled;                /* [N / k^2][D] */
  void *scratch;                /* g4_matmul and g4_attention_f32 scratch */
} workspace;

/* y[T][n_out] = CL(W, x) (docs/mmproj.md#clippable-linear). */
static void
linear (const g4_thread * th, workspace * w, const g4_mm_linear * L, const float *x, int64_t T,
    float *y)
{
  g4_mm_linear_team (th, L, x, T, y, w->xin, w->scratch);
}

/* cos / sin of pos theta^(-2j/m), the angle stepped by repeated products in
 * float as the reference's rope cache does. */
static void
rope_tables (workspace * w)
{
  const int m = w->vm->head_dim / 2, r = m / 2, n = w->nx > w->ny ? w->nx : w->ny;
  const float step = powf (G4_VISION_ROPE_THETA, -2.0f / (float) m);
  for (int pos = 0; pos < n; pos++) {
    float th = (float) pos;
    for (int j = 0; j < r; j++) {
      w->rope_cos[pos * r + j] = cosf (th);
      w->rope_sin[pos * r + j] = sinf (th);
      th *= step;
    }
  }
}

/* The per-row work between the products is shared by the team as they are,
 * so that the others do not wait through it. Each row is computed the same
 * way whatever the split. */

/* dst = rms (src; weight) on every patch row. */
static void
norm_rows (const g4_thread * th, workspace * w, float *dst, const float *src,
    const float *weight)
{
  const double p0 = g4_prof_start (th);
  const int64_t D = w->vm->n_embd;
  for (int64_t n0, n1; g4_take (th, w->N, 0, &n0, &n1);)
    for (int64_t n = n0; n < n1; n++)
      g4_rmsnorm (dst + n * D, src + n * D, weight, D, w->vm->eps);
  g4_barrier (th);
  g4_prof_stop (th, p0, "norms and residuals");
}

/* h = (h + rms (b; post_norm)) * scale[0]: a sub-block's residual (post_norm,
 * scale NULL: not applied). */
static void
add_residual (const g4_thread * th, workspace * w, const float *post_norm, const float *scale)
{
  const double p0 = g4_prof_start (th);
  const int64_t D = w->vm->n_embd;
  for (int64_t n0, n1; g4_take (th, w->N, 0, &n0, &n1);)
    for (int64_t n = n0; n < n1; n++) {
      float *b = w->b + n * D, *h = w->h + n * D;
      if (post_norm)
        g4_rmsnorm (b, b, post_norm, D, w->vm->eps);
      g4_add (h, b, D);
      if (scale)
        g4_scale (h, D, scale[0]);
    }
  g4_barrier (th);
  g4_prof_stop (th, p0, "norms and residuals");
}

/* Per-head q/k/v norms and the 2-D RoPE: first half by column, second by row. */
static void
qkv_heads (const g4_thread * th, workspace * w, const g4_vision_layer * lw)
{
  const double p0 = g4_prof_start (th);
  const g4_vision_model *vm = w->vm;
  const int H = vm->n_head, dh = vm->head_dim, m = dh / 2, r = m / 2;
  for (int64_t n0, n1; g4_take (th, w->N, 0, &n0, &n1);)
    for (int64_t n = n0; n < n1; n++) {
      const int px = (int) (n % w->nx), py = (int) (n / w->nx);
      for (int hh = 0; hh < H; hh++) {
        const int64_t off = (n * H + hh) * dh;
        float *q = w->q + off, *k = w->k + off, *v = w->v + off;
        if (lw->q_norm)
          g4_rmsnorm (q, q, lw->q_norm, dh, vm->eps);
        if (lw->k_norm)
          g4_rmsnorm (k, k, lw->k_norm, dh, vm->eps);
        g4_rmsnorm (v, v, NULL, dh, vm->eps);
        g4_rope_neox (q, m, w->rope_cos + px * r, w->rope_sin + px * r);
        g4_rope_neox (q + m, m, w->rope_cos + py * r, w->rope_sin + py * r);
        g4_rope_neox (k, m, w->rope_cos + px * r, w->rope_sin + px * r);
        g4_rope_neox (k + m, m, w->rope_cos + py * r, w->rope_sin + py * r);
      }
    }
  g4_barrier (th);
  g4_prof_stop (th, p0, "q/k/v norms, RoPE");
}

/* Full bidirectional attention, scale 1 (the q/k norms set the magnitude). */
static void
attention (const g4_thread * th, workspace * w)
{
  const g4_vision_model *vm = w->vm;
  const int64_t HD = (int64_t) vm->n_head * vm->head_dim;
  const g4_attention_args a = {
    .q = w->q, .k = w->k, .v = w->v, .o = w->o, .n_q = w->N, .n_kv = w->N,
    .n_head = vm->n_head, .head_dim = vm->head_dim, .ld_q = HD, .ld_kv = HD, .ld_o = HD,
    .scale = 1.0f,
  };
  const double p0 = g4_prof_start (th);
  g4_attention_f32_team (th, &a, w->scratch);
  g4_prof_stop (th, p0, "attention");
}

/* g = act (g) * u (u NULL: act (g)) over the n values of the hidden rows. */
static void
gated (const g4_thread * th, workspace * w, int64_t n, bool has_gate)
{
  const double p0 = g4_prof_start (th);
  const bool silu = w->vm->act == G4_VISION_ACT_SILU;
  float *g = w->g;
  const float *u = has_gate ? w->u : NULL;
  for (int64_t i0, i1; g4_take (th, n, 0, &i0, &i1);) {
    if (silu)
      for (int64_t i = i0; i < i1; i++)
        g[i] = g[i] / (1.0f + expf (-g[i])) * (u ? u[i] : 1.0f);
    else if (u)
      g4_geglu (g + i0, g + i0, u + i0, i1 - i0);
    else
      g4_gelu_tanh (g + i0, i1 - i0);
  }
  g4_barrier (th);
  g4_prof_stop (th, p0, "GeGLU / activation");
}

/* h = (h + post_norm (down (act (gate f) * up f))) * out_scale, f = ln2 (h);
 * the products in row blocks. */
static void
feed_forward (const g4_thread * th, workspace * w, const g4_vision_layer * lw)
{
  const g4_vision_model *vm = w->vm;
  const int64_t D = vm->n_embd, F = vm->n_ff;
  norm_rows (th, w, w->a, w->h, lw->ln2);
  for (int64_t t0 = 0; t0 < w->N; t0 += FFN_ROWS) {
    const int64_t T = w->N - t0 < FFN_ROWS ? w->N - t0 : FFN_ROWS;
    const float *f = w->a + t0 * D;
    const bool has_gate = lw->gate.w.data != NULL;
    /* without a gate the activation applies to up's output in place */
    linear (th, w, &lw->up, f, T, has_gate ? w->u : w->g);
    if (has_gate)
      linear (th, w, &lw->gate, f, T, w->g);
    gated (th, w, T * F, has_gate);
    linear (th, w, &lw->down, w->g, T, w->b + t0 * D);
  }
  add_residual (th, w, lw->ffn_post_norm, lw->out_scale);
}

static void
layer (const g4_thread * th, workspace * w, const g4_vision_layer * lw)
{
  const int64_t N = w->N;
  norm_rows (th, w, w->a, w->h, lw->ln1);
  linear (th, w, &lw->q, w->a, N, w->q);
  linear (th, w, &lw->k, w->a, N, w->k);
  linear (th, w, &lw->v, w->a, N, w->v);
  qkv_heads (th, w, lw);
  attention (th, w);
  linear (th, w, &lw->o, w->o, N, w->b);
  add_residual (th, w, lw->attn_post_norm, NULL);
  feed_forward (th, w, lw);
}

static float
round_f16 (float x)
{
  return g4_fp16_to_fp32 (g4_fp32_to_fp16 (x));
}

/* Patches of x = 2 v - 1, v = (u / 255 - mean) / std, rounded to F16 as the
 * reference's im2col does, times the patch kernel, plus both position rows. */
static void
embed_patches (const g4_thread * th, workspace * w, const uint8_t * img, int W)
{
  const g4_vision_model *vm = w->vm;
  const int p = vm->patch;
  const int64_t D = vm->n_embd, row = (int64_t) 3 * p * p;
  int64_t n0, n1;
  double p0 = g4_prof_start (th);
  while (g4_take (th, w->N, 0, &n0, &n1))
    for (int64_t n = n0; n < n1; n++) {
      const int px = (int) (n % w->nx), py = (int) (n / w->nx);
      float *c = w->col + n * row;
      for (int ch = 0; ch < 3; ch++)
        for (int ky = 0; ky < p; ky++)
          for (int kx = 0; kx < p; kx++) {
            const uint8_t u = img[((size_t) (py * p + ky) * W + px * p + kx) * 3 + ch];
            const float v = ((float) u / 255.0f - vm->mean[ch]) / vm->std[ch];
            c[(ch * p + ky) * p + kx] = round_f16 (v * 2.0f - 1.0f);
          }
    }
  g4_barrier (th);
  g4_prof_stop (th, p0, "patching");
  g4_matmul_team (th, "patch embedding", &vm->patch_embd, w->col, w->N, w->h, D, w->scratch);
  const float *tx = vm->pos_embd, *ty = vm->pos_embd + (int64_t) vm->n_pos * D;
  p0 = g4_prof_start (th);
  while (g4_take (th, w->N, 0, &n0, &n1))
    for (int64_t n = n0; n < n1; n++) {
      float *hn = w->h + n * D;
      g4_add (hn, tx + (n % w->nx) * D, D);
      g4_add (hn, ty + (n / w->nx) * D, D);
    }
  g4_barrier (th);
  g4_prof_stop (th, p0, "position embedding");
}

/* k x k average pooling, times sqrt(D), standardisation, norm and projector. */
static void
pool_project (const g4_thread * th, workspace * w, float *out)
{
  const double p0 = g4_prof_start (th);
  const g4_vision_model *vm = w->vm;
  const int k = vm->merge, ox = w->nx / k, oy = w->ny / k;
  const int64_t D = vm->n_embd, M = (int64_t) ox * oy;
  const float scale = sqrtf ((float) D);
  for (int64_t i0, i1; g4_take (th, M, 0, &i0, &i1);)
    for (int64_t i = i0; i < i1; i++) {
      const int Y = (int) (i / ox), X = (int) (i % ox);
      float *s = w->pooled + i * D;
      for (int64_t d = 0; d < D; d++) {
        float acc = 0.0f;
        for (int dy = 0; dy < k; dy++)
          for (int dx = 0; dx < k; dx++)
            acc += w->h[((int64_t) (Y * k + dy) * w->nx + X * k + dx) * D + d];
        s[d] = acc / (float) (k * k) * scale;
        if (vm->std_bias)
          s[d] = (s[d] - vm->std_bias[d]) * vm->std_scale[d];
      }
      g4_rmsnorm (s, s, NULL, D, vm->eps);
    }
  g4_barrier (th);
  g4_prof_stop (th, p0, "pooling");
  linear (th, w, &vm->mm_proj, w->pooled, M, out);
}

static size_t
max_sz (size_t a, size_t b)
{
  return a > b ? a : b;
}

static size_t
linear_scratch (const g4_mm_linear * L, int64_t T)
{
  return L->w.data ? g4_matmul_scratch_size (L->w.type, L->w.n_in, T) : 0;
}

static g4_status
workspace_init (workspace * w, const g4_vision_model * vm, int W, int H, g4_error * err)
{
  const int p = vm->patch, dh = vm->head_dim;
  w->vm = vm;
  w->nx = W / p;
  w->ny = H / p;
  const int64_t N = (int64_t) w->nx * w->ny, D = vm->n_embd, HD = (int64_t) vm->n_head * dh;
  const int64_t F = vm->n_ff;
  w->N = N;
  const int64_t ffn_rows = N < FFN_ROWS ? N : FFN_ROWS;
  int64_t xin = N * (D > HD ? D : HD);
  xin = xin > ffn_rows * F ? xin : ffn_rows * F;
  const int n_rope = w->nx > w->ny ? w->nx : w->ny;

  size_t scratch = g4_matmul_scratch_size (G4_TYPE_F32, 3 * p * p, N);
  scratch = max_sz (scratch, g4_attention_scratch_size (N, vm->n_head, dh));
  for (int l = 0; l < vm->n_layer; l++) {
    const g4_vision_layer *lw = &vm->layers[l];
    const g4_mm_linear *ls[] = { &lw->q, &lw->k, &lw->v, &lw->o };
    for (size_t i = 0; i < sizeof ls / sizeof ls[0]; i++)
      scratch = max_sz (scratch, linear_scratch (ls[i], N));
    const g4_mm_linear *fs[] = { &lw->gate, &lw->up, &lw->down };
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++)
      scratch = max_sz (scratch, linear_scratch (fs[i], ffn_rows));
  }
  scratch = max_sz (scratch, linear_scratch (&vm->mm_proj, N / (vm->merge * vm->merge)));

  const g4_arena_part parts[] = {
    { (void **) &w->col, sizeof (float) * (size_t) (N * 3 * p * p) },
    { (void **) &w->h, sizeof (float) * (size_t) (N * D) },
    { (void **) &w->a, sizeof (float) * (size_t) (N * D) },
    { (void **) &w->b, sizeof (float) * (size_t) (N * D) },
    { (void **) &w->q, sizeof (float) * (size_t) (N * HD) },
    { (void **) &w->k, sizeof (float) * (size_t) (N * HD) },
    { (void **) &w->v, sizeof (float) * (size_t) (N * HD) },
    { (void **) &w->o, sizeof (float) * (size_t) (N * HD) },
    { (void **) &w->g, sizeof (float) * (size_t) (ffn_rows * F) },
    { (void **) &w->u, sizeof (float) * (size_t) (ffn_rows * F) },
    { (void **) &w->xin, sizeof (float) * (size_t) xin },
    { (void **) &w->rope_cos, sizeof (float) * (size_t) (n_rope * dh / 4) },
    { (void **) &w->rope_sin, sizeof (float) * (size_t) (n_rope * dh / 4) },
    { (void **) &w->pooled, sizeof (float) * (size_t) (N * D) },
    { &w->scratch, scratch },
  };
  g4_status st = g4_arena_take (parts, sizeof parts / sizeof parts[0], "image encoding", err);
  if (st)
    return st;
  rope_tables (w);
  return G4_OK;
}

typedef struct {
  workspace *w;
  const uint8_t *canvas;
  int W;
  const volatile int *cancel;
  bool cancelled;               /* g4_team_cancelled's shared copy */
  float *out;
} encode_call;

static void
encode (const g4_thread * th, void *arg)
{
  encode_call *c = arg;
  const g4_vision_model *vm = c->w->vm;
  embed_patches (th, c->w, c->canvas, c->W);
  for (int l = 0; l < vm->n_layer; l++) {
    if (g4_team_cancelled (th, c->cancel, &c->cancelled))
      return;
    layer (th, c->w, &vm->layers[l]);
  }
  pool_project (th, c->w, c->out);
}

int
g4_image_n_tokens (const g4_mmproj * mm, int width, int height, g4_image_sizing sizing,
    int max_soft_tokens)
{
  int W, H;
  if (!mm || !mm->vision
      || !g4_image_target_size (mm->vision, width, height, sizing, max_soft_tokens, &W, &H))
    return -1;
  const int a = mm->vision->patch * mm->vision->merge;
  return (W / a) * (H / a);
}

g4_status
g4_image_encode_view (const g4_mmproj * mm, const g4_image_view * img, g4_image_sizing sizing,
    int max_soft_tokens, int n_threads, const volatile int *cancel, float *out, int *n_tokens,
    g4_error * err)
{
  if (n_tokens)
    *n_tokens = 0;
  if (!mm || !img || !out)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "g4_image_encode: NULL argument");
  if (!mm->vision)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "the mmproj file has no vision encoder");
  if (n_threads < 0)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "negative n_threads %d", n_threads);
  if (n_threads == 0) {
    long nc = sysconf (_SC_NPROCESSORS_ONLN);
    n_threads = nc > 0 ? (int) nc : 1;
  }
  const g4_vision_model *vm = mm->vision;
  uint8_t *canvas;
  int W, H;
  g4_status st = g4_image_prepare (vm, img, sizing, max_soft_tokens, &canvas, &W, &H, err);
  if (st)
    return st;
  workspace w = { 0 };
  w.n_threads = n_threads;
  if ((st = workspace_init (&w, vm, W, H, err)))
    return st;
  encode_call c = {.w = &w,.canvas = canvas,.W = W,.cancel = cancel,.out = out };
  g4_team_run (n_threads, encode, &c);
  if (c.cancelled)
    st = g4_set_error (err, G4_STATUS_CANCELLED, "image encoding cancelled");
  else if (n_tokens)
    *n_tokens = (w.nx / vm->merge) * (w.ny / vm->merge);
  return st;
}

g4_status
g4_image_encode (const g4_mmproj * mm, const uint8_t * rgb, int width, int height, int stride,
    g4_image_sizing sizing, int max_soft_tokens, int n_threads, const volatile int *cancel,
    float *out, int *n_tokens, g4_error * err)
{
  if (n_tokens)
    *n_tokens = 0;
  if (!rgb)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "g4_image_encode: NULL argument");
  /* the view is only read: the cast keeps the view type single */
  const g4_image_view v = g4_image_view_rgb ((uint8_t *) rgb, width, height, stride);
  return g4_image_encode_view (mm, &v, sizing, max_soft_tokens, n_threads, cancel, out,
      n_tokens, err);
}
