/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gemma4v vision encoder (docs/vision-encoder.md#vit): patch embedding,
 * factorised 2-D position tables, L pre-norm transformer layers with q/k/v
 * norms, 2-D RoPE (theta 100) and sandwich post-norms, k x k average pooling,
 * optional standardisation and the projector to the text width.
 *
 * Activations are token-major ([patch][feature]); the linears go through
 * g4_matmul, the attention through g4_attention_f32; all buffers come from
 * one arena allocated per call. The whole call runs on one thread team
 * (kernels/team.h): every function below is called by all its members.
 * One call may encode several images: their patch rows follow each other
 * through the products (the weights are read once for all), while the
 * position tables, attention and pooling stay within each image. */
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

/* One image of a call: its patch rows [row0, row0 + nx ny) and soft-token
 * rows [tok0, tok0 + nx ny / k^2) of the call's buffers. */
typedef struct {
  int nx, ny;                   /* patches per row / column */
  int64_t row0, tok0;
  const uint8_t *canvas;        /* nx p x ny p RGB8 */
  float *out;
} image_part;

typedef struct {
  const g4_vision_model *vm;
  int n_threads;
  image_part *img;
  int n_img;
  int64_t N;                    /* patches of all images */
  int64_t M;                    /* soft tokens of all images */
  float *col;                   /* [N][3 p p] patches */
  float *h;                     /* [N][D] residual stream */
  float *a;                     /* [N][D] normed input of a sub-block */
  float *b;                     /* [N][D] output of a sub-block */
  float *q, *k, *v, *o;         /* [N][H dh] */
  float *g, *u;                 /* [FFN_ROWS][F] */
  float *xin;                   /* clamped input of a linear */
  float *rope_cos, *rope_sin;   /* [max (nx, ny)][dh / 4] */
  float *pooled;                /* [M][D] */
  float *proj;                  /* [M][n_embd] projected rows of several images, else NULL */
  uint8_t *canvases;            /* the images' canvases, one after the other */
  void *scratch;                /* g4_matmul and g4_attention_f32 scratch */
} workspace;

/* The image that patch row n (tokens: soft-token row n) belongs to (a call
 * holds a few images). */
static const image_part *
image_of (const workspace * w, int64_t n, bool tokens)
{
  int i = 0;
  while (i + 1 < w->n_img && (tokens ? w->img[i + 1].tok0 : w->img[i + 1].row0) <= n)
    i++;
  return &w->img[i];
}

/* The longest side in patches of the call's images. */
static int
max_side (const workspace * w)
{
  int n = 0;
  for (int i = 0; i < w->n_img; i++) {
    n = w->img[i].nx > n ? w->img[i].nx : n;
    n = w->img[i].ny > n ? w->img[i].ny : n;
  }
  return n;
}

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
  const int m = w->vm->head_dim / 2, r = m / 2, n = max_side (w);
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
      const image_part *im = image_of (w, n, false);
      const int px = (int) ((n - im->row0) % im->nx), py = (int) ((n - im->row0) / im->nx);
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

/* Full bidirectional attention within each image, scale 1 (the q/k norms
 * set the magnitude). */
static void
attention (const g4_thread * th, workspace * w)
{
  const g4_vision_model *vm = w->vm;
  const int64_t HD = (int64_t) vm->n_head * vm->head_dim;
  const double p0 = g4_prof_start (th);
  for (int i = 0; i < w->n_img; i++) {
    const image_part *im = &w->img[i];
    const int64_t off = im->row0 * HD, n = (int64_t) im->nx * im->ny;
    const g4_attention_args a = {
      .q = w->q + off, .k = w->k + off, .v = w->v + off, .o = w->o + off, .n_q = n,
      .n_kv = n, .n_head = vm->n_head, .head_dim = vm->head_dim, .ld_q = HD, .ld_kv = HD,
      .ld_o = HD, .scale = 1.0f,
    };
    g4_attention_f32_team (th, &a, w->scratch);
  }
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
embed_patches (const g4_thread * th, workspace * w)
{
  const g4_vision_model *vm = w->vm;
  const int p = vm->patch;
  const int64_t D = vm->n_embd, row = (int64_t) 3 * p * p;
  int64_t n0, n1;
  double p0 = g4_prof_start (th);
  while (g4_take (th, w->N, 0, &n0, &n1))
    for (int64_t n = n0; n < n1; n++) {
      const image_part *im = image_of (w, n, false);
      const int px = (int) ((n - im->row0) % im->nx), py = (int) ((n - im->row0) / im->nx);
      const uint8_t *img = im->canvas;
      const int W = im->nx * p;
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
  g4_matmul_clamp_team (th, "patch embedding", &vm->patch_embd, w->col, w->N, w->h, D,
      w->scratch, -INFINITY, INFINITY);
  const float *tx = vm->pos_embd, *ty = vm->pos_embd + (int64_t) vm->n_pos * D;
  p0 = g4_prof_start (th);
  while (g4_take (th, w->N, 0, &n0, &n1))
    for (int64_t n = n0; n < n1; n++) {
      const image_part *im = image_of (w, n, false);
      float *hn = w->h + n * D;
      g4_add (hn, tx + ((n - im->row0) % im->nx) * D, D);
      g4_add (hn, ty + ((n - im->row0) / im->nx) * D, D);
    }
  g4_barrier (th);
  g4_prof_stop (th, p0, "position embedding");
}

/* k x k average pooling, times sqrt(D), standardisation, norm and projector
 * (into each image's out). */
static void
pool_project (const g4_thread * th, workspace * w)
{
  double p0 = g4_prof_start (th);
  const g4_vision_model *vm = w->vm;
  const int k = vm->merge;
  const int64_t D = vm->n_embd;
  const float scale = sqrtf ((float) D);
  for (int64_t i0, i1; g4_take (th, w->M, 0, &i0, &i1);)
    for (int64_t j = i0; j < i1; j++) {
      const image_part *im = image_of (w, j, true);
      const int ox = im->nx / k;
      const int64_t i = j - im->tok0;
      const int Y = (int) (i / ox), X = (int) (i % ox);
      const float *h = w->h + im->row0 * D;
      float *s = w->pooled + j * D;
      for (int64_t d = 0; d < D; d++) {
        float acc = 0.0f;
        for (int dy = 0; dy < k; dy++)
          for (int dx = 0; dx < k; dx++)
            acc += h[((int64_t) (Y * k + dy) * im->nx + X * k + dx) * D + d];
        s[d] = acc / (float) (k * k) * scale;
        if (vm->std_bias)
          s[d] = (s[d] - vm->std_bias[d]) * vm->std_scale[d];
      }
      g4_rmsnorm (s, s, NULL, D, vm->eps);
    }
  g4_barrier (th);
  g4_prof_stop (th, p0, "pooling");
  if (!w->proj) {
    linear (th, w, &vm->mm_proj, w->pooled, w->M, w->img[0].out);
    return;
  }
  linear (th, w, &vm->mm_proj, w->pooled, w->M, w->proj);
  p0 = g4_prof_start (th);
  const int64_t E = vm->mm_proj.w.n_out;
  for (int64_t i0, i1; g4_take (th, w->n_img, 1, &i0, &i1);)
    for (int64_t i = i0; i < i1; i++) {
      const image_part *im = &w->img[i];
      memcpy (im->out, w->proj + im->tok0 * E,
          sizeof (float) * (size_t) (im->nx / k) * (im->ny / k) * E);
    }
  g4_barrier (th);
  g4_prof_stop (th, p0, "pooling");
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

/* Sizes the images (their canvases' sizes in w->img[i].nx, ny) and lays
 * out the call's buffers. */
static g4_status
workspace_init (workspace * w, const g4_vision_model * vm, g4_error * err)
{
  const int p = vm->patch, dh = vm->head_dim, k2 = vm->merge * vm->merge;
  w->vm = vm;
  int64_t N = 0, M = 0, n_max = 0;
  size_t canvas_bytes = 0;
  for (int i = 0; i < w->n_img; i++) {
    image_part *im = &w->img[i];
    const int64_t n = (int64_t) im->nx * im->ny;
    im->row0 = N;
    im->tok0 = M;
    N += n;
    M += n / k2;
    n_max = n > n_max ? n : n_max;
    canvas_bytes += (size_t) n * p * p * 3;
  }
  w->N = N;
  w->M = M;
  const int64_t D = vm->n_embd, HD = (int64_t) vm->n_head * dh, F = vm->n_ff;
  const int64_t ffn_rows = N < FFN_ROWS ? N : FFN_ROWS;
  int64_t xin = N * (D > HD ? D : HD);
  xin = xin > ffn_rows * F ? xin : ffn_rows * F;
  const int n_rope = max_side (w);

  size_t scratch = g4_matmul_scratch_size (G4_TYPE_F32, 3 * p * p, N);
  scratch = max_sz (scratch, g4_attention_scratch_size (n_max, vm->n_head, dh));
  for (int l = 0; l < vm->n_layer; l++) {
    const g4_vision_layer *lw = &vm->layers[l];
    const g4_mm_linear *ls[] = { &lw->q, &lw->k, &lw->v, &lw->o };
    for (size_t i = 0; i < sizeof ls / sizeof ls[0]; i++)
      scratch = max_sz (scratch, linear_scratch (ls[i], N));
    const g4_mm_linear *fs[] = { &lw->gate, &lw->up, &lw->down };
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++)
      scratch = max_sz (scratch, linear_scratch (fs[i], ffn_rows));
  }
  scratch = max_sz (scratch, linear_scratch (&vm->mm_proj, M));
  const size_t proj = w->n_img > 1 ? (size_t) M * vm->mm_proj.w.n_out : 0;

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
    { (void **) &w->pooled, sizeof (float) * (size_t) (M * D) },
    { (void **) &w->proj, sizeof (float) * proj },
    { (void **) &w->canvases, canvas_bytes },
    { &w->scratch, scratch },
  };
  g4_status st = g4_arena_take (parts, sizeof parts / sizeof parts[0], "image encoding", err);
  if (st)
    return st;
  if (!proj)
    w->proj = NULL;
  rope_tables (w);
  return G4_OK;
}

typedef struct {
  workspace *w;
  const g4_image_item *items;
  int all_cancelled;            /* member 0's reading of the items' cancel flags */
  bool cancelled;               /* g4_team_cancelled's shared copy */
} encode_call;

static int
all_cancelled (const g4_image_item * items, int n)
{
  for (int i = 0; i < n; i++)
    if (!items[i].cancel || !*items[i].cancel)
      return 0;
  return 1;
}

static void
encode (const g4_thread * th, void *arg)
{
  encode_call *c = arg;
  const g4_vision_model *vm = c->w->vm;
  embed_patches (th, c->w);
  for (int l = 0; l < vm->n_layer; l++) {
    if (th->id == 0)
      c->all_cancelled = all_cancelled (c->items, c->w->n_img);
    if (g4_team_cancelled (th, &c->all_cancelled, &c->cancelled))
      return;
    layer (th, c->w, &vm->layers[l]);
  }
  pool_project (th, c->w);
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
g4_image_encode_many (const g4_mmproj * mm, g4_image_item * items, int n, int n_threads,
    g4_error * err)
{
  for (int i = 0; items && i < n; i++)
    items[i].n_tokens = 0;
  if (!mm || !items || n < 1)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "g4_image_encode: no image");
  for (int i = 0; i < n; i++)
    if (!items[i].img || !items[i].out)
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
  image_part stack[8];
  image_part *img = n <= 8 ? stack : calloc ((size_t) n, sizeof *img);
  if (!img)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  g4_status st = G4_OK;
  for (int i = 0; i < n && !st; i++) {
    int W, H;
    if (!g4_image_target_size (vm, items[i].img->width, items[i].img->height, items[i].sizing,
            items[i].max_soft_tokens, &W, &H)) {
      /* g4_image_prepare words the error */
      uint8_t *canvas;
      st = g4_image_prepare (vm, items[i].img, items[i].sizing, items[i].max_soft_tokens,
          &canvas, &W, &H, err);
      st = st ? st : g4_set_error (err, G4_STATUS_INVALID_ARG, "image %d has no size", i);
    } else {
      img[i] = (image_part) {.nx = W / vm->patch,.ny = H / vm->patch,.out = items[i].out };
    }
  }
  workspace w = {.n_threads = n_threads,.img = img,.n_img = n };
  if (!st)
    st = workspace_init (&w, vm, err);
  /* each canvas is written in the thread's one canvas slot, then kept in
   * the arena beside the others */
  for (int i = 0, off = 0; i < n && !st; i++) {
    uint8_t *canvas;
    int W, H;
    st = g4_image_prepare (vm, items[i].img, items[i].sizing, items[i].max_soft_tokens, &canvas,
        &W, &H, err);
    if (st)
      break;
    memcpy (w.canvases + off, canvas, (size_t) W * H * 3);
    img[i].canvas = w.canvases + off;
    off += W * H * 3;
  }
  if (!st) {
    encode_call c = {.w = &w,.items = items };
    g4_team_run (n_threads, encode, &c);
    if (c.cancelled)
      st = g4_set_error (err, G4_STATUS_CANCELLED, "image encoding cancelled");
    for (int i = 0; i < n && !st; i++)
      items[i].n_tokens = (img[i].nx / vm->merge) * (img[i].ny / vm->merge);
  }
  if (img != stack)
    free (img);
  return st;
}

g4_status
g4_image_encode_view (const g4_mmproj * mm, const g4_image_view * img, g4_image_sizing sizing,
    int max_soft_tokens, int n_threads, const volatile int *cancel, float *out, int *n_tokens,
    g4_error * err)
{
  g4_image_item item = {.img = img,.sizing = sizing,.max_soft_tokens = max_soft_tokens,
    .out = out,.cancel = cancel
  };
  if (n_tokens)
    *n_tokens = 0;
  g4_status st = g4_image_encode_many (mm, &item, 1, n_threads, err);
  if (!st && n_tokens)
    *n_tokens = item.n_tokens;
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
