/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gemma4a conformer (docs/audio-encoder.md#conformer): log-mel features,
 * two stride-2 convolutions (SSCP), 12 conformer layers (half-step macaron
 * FFNs, chunked local attention with relative positions and softcap 50, light
 * convolution), output projection and the projector to the text width.
 *
 * Audio longer than 30 s is cut into independent 30 s pieces whose rows are
 * concatenated, as the reference (llama.cpp mtmd) does; Hugging Face instead
 * truncates to 30 s (750 tokens). We follow the reference, so that every
 * second of a long recording reaches the model.
 *
 * Activations are token-major ([token][feature]); every weight product goes
 * through g4_matmul (quantized mmproj files work as well); all buffers come
 * from one arena allocated per call. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio.h"
#include "profile.h"
#include "scratch.h"
#include "ops.h"

#define NORM_EPS 1e-6f          /* every gemma4a norm, whatever the file says */
#define SOFTCAP 50.0f
#define RES_WEIGHT 0.5f         /* half-step FFN residual */
#define COL_BLOCK_FLOATS (1 << 20)  /* im2col rows built at a time: 4 MiB */

static int64_t
piece_tokens (int64_t n)
{
  int64_t t = g4_mel_n_frames (n);
  for (int i = 0; i < 2; i++)
    t = (t - 1) / 2 + 1;
  return t;
}

int
g4_audio_n_tokens (const g4_mmproj * mm, int64_t n_samples)
{
  if (!mm || !mm->audio || n_samples <= 0)
    return 0;
  int64_t n = 0;
  for (int64_t off = 0; off < n_samples; off += G4_AUDIO_PIECE_SAMPLES) {
    const int64_t len = n_samples - off;
    n += piece_tokens (len < G4_AUDIO_PIECE_SAMPLES ? len : G4_AUDIO_PIECE_SAMPLES);
  }
  return n > INT32_MAX ? -1 : (int) n;
}

/* Buffers of one call, sized for the longest piece. */
typedef struct {
  const g4_audio_model *am;
  float *feat;                  /* [Tf][M] log-mel */
  float *x0;                    /* [T1][F1][C0] first convolution */
  float *x1;                    /* [T2][F2][C1] second convolution = [N][F2 C1] */
  float *col;                   /* im2col block */
  int64_t col_floats;
  float *h;                     /* [N][D] residual stream */
  float *a;                     /* [N][D] normed input of a sub-block */
  float *b;                     /* [N][D] output of a sub-block */
  float *q, *k, *v, *o;         /* [N][D] */
  float *big;                   /* [N][max (FF, 2D)] */
  float *xin;                   /* [N][largest n_in] clamped input */
  float *pos;                   /* [13][D] sinusoids, row r = distance 12 - r */
  float *rel;                   /* [13][D] relative keys of one layer */
  float *taps;                  /* [5][D] depthwise kernel of one layer, tap-major */
  float *proj;                  /* [N][Dout] */
  float *fft;                   /* [2][512] */
  void *scratch;                /* g4_matmul activation scratch */
} workspace;

/* Every function below is called by all members of the call's thread team
 * (kernels/team.h); the per-row work is shared as the products are, each row
 * computed the same way whatever the split. */

/* y[T][n_out] = CL(W, x) (docs/mmproj.md#clippable-linear). */
static void
linear (const g4_thread * th, workspace * w, const g4_mm_linear * L, const float *x, int64_t T,
    float *y)
{
  g4_mm_linear_team (th, L, x, T, y, w->xin, w->scratch);
}

static void
add_bias (const g4_thread * th, float *y, const float *bias, int64_t T, int64_t n)
{
  if (!bias)
    return;
  const double p0 = g4_prof_start (th);
  for (int64_t t0, t1; g4_take (th, T, 0, &t0, &t1);)
    for (int64_t t = t0; t < t1; t++)
      g4_add (y + t * n, bias, n);
  g4_barrier (th);
  g4_prof_stop (th, p0, "norms and residuals");
}

/* Row-wise RMSNorm with the encoder's epsilon, in place when y == x; w NULL:
 * unweighted. */
static void
rmsnorm_rows (const g4_thread * th, float *y, const float *x, const float *w, int64_t T,
    int64_t n)
{
  const double p0 = g4_prof_start (th);
  for (int64_t t0, t1; g4_take (th, T, 0, &t0, &t1);)
    g4_rmsnorm_rows (y + t0 * n, x + t0 * n, w, t1 - t0, n, NORM_EPS);
  g4_barrier (th);
  g4_prof_stop (th, p0, "norms and residuals");
}

/* h += weight b over n values. */
static void
add_scaled (const g4_thread * th, float *h, const float *b, float weight, int64_t n)
{
  const double p0 = g4_prof_start (th);
  for (int64_t i0, i1; g4_take (th, n, 0, &i0, &i1);)
    for (int64_t i = i0; i < i1; i++)
      h[i] += weight * b[i];
  g4_barrier (th);
  g4_prof_stop (th, p0, "norms and residuals");
}

static void
silu (const g4_thread * th, float *x, int64_t n)
{
  const double p0 = g4_prof_start (th);
  for (int64_t i0, i1; g4_take (th, n, 0, &i0, &i1);)
    g4_silu (x + i0, i1 - i0);
  g4_barrier (th);
  g4_prof_stop (th, p0, "SiLU");
}

static float
round_f16 (float x)
{
  return g4_fp16_to_fp32 (g4_fp32_to_fp16 (x));
}

/* 3x3 convolution, stride 2, zero padding 1, over x[t_in][f_in][c_in], then
 * bias, LayerNorm over channels and ReLU (docs/audio-encoder.md#subsampling):
 * y[t_out][f_out][c_out]. The im2col rows are rounded to F16, as the
 * reference's conv_2d does: x is rounded in place once (each value lands in
 * up to 9 rows). */
static void
conv_block (const g4_thread * th, workspace * w, int j, float *x, int64_t t_in,
    int64_t f_in, float *y)
{
  const g4_audio_model *am = w->am;
  const g4_matrix *K = &am->conv[j];
  const int64_t c_in = K->n_in / 9, c_out = K->n_out;
  const int64_t t_out = (t_in - 1) / 2 + 1, f_out = (f_in - 1) / 2 + 1;
  const int64_t row = 9 * c_in;
  int64_t rows_per_block = w->col_floats / (f_out * row);
  if (rows_per_block < 1)
    rows_per_block = 1;
  double prof = g4_prof_start (th);
  for (int64_t i0, i1; g4_take (th, t_in * f_in * c_in, 0, &i0, &i1);)
    for (int64_t i = i0; i < i1; i++)
      x[i] = round_f16 (x[i]);
  g4_barrier (th);
  g4_prof_stop (th, prof, "im2col");
  for (int64_t t0 = 0; t0 < t_out; t0 += rows_per_block) {
    const int64_t t1 = t0 + rows_per_block < t_out ? t0 + rows_per_block : t_out;
    const double p0 = g4_prof_start (th);
    for (int64_t i0, i1; g4_take (th, (t1 - t0) * f_out, 0, &i0, &i1);)
      for (int64_t i = i0; i < i1; i++) {
        const int64_t t = t0 + i / f_out, f = i % f_out;
        float *c = w->col + i * row;
        for (int64_t ci = 0; ci < c_in; ci++)
          for (int kt = 0; kt < 3; kt++)
            for (int kf = 0; kf < 3; kf++) {
              const int64_t ts = 2 * t + kt - 1, fs = 2 * f + kf - 1;
              const bool inside = ts >= 0 && ts < t_in && fs >= 0 && fs < f_in;
              c[kf + 3 * kt + 9 * ci] = inside ? x[(ts * f_in + fs) * c_in + ci] : 0.0f;
            }
      }
    g4_barrier (th);
    g4_prof_stop (th, p0, "im2col");
    g4_matmul_team (th, "conv", K, w->col, (t1 - t0) * f_out, y + t0 * f_out * c_out, c_out,
        w->scratch);
  }
  const float *bias = am->conv_bias[j], *norm = am->conv_norm[j];
  int64_t p0, p1;
  prof = g4_prof_start (th);
  while (g4_take (th, t_out * f_out, 0, &p0, &p1))
    for (int64_t p = p0; p < p1; p++) {
      float *v = y + p * c_out;
      if (bias)
        g4_add (v, bias, c_out);
      if (norm) {
        double mean = 0.0, var = 0.0;
        for (int64_t c = 0; c < c_out; c++)
          mean += v[c];
        mean /= (double) c_out;
        for (int64_t c = 0; c < c_out; c++)
          var += ((double) v[c] - mean) * ((double) v[c] - mean);
        const float r = (float) (1.0 / sqrt (var / (double) c_out + NORM_EPS));
        for (int64_t c = 0; c < c_out; c++)
          v[c] = ((float) (v[c] - mean) * r) * norm[c];
      }
      for (int64_t c = 0; c < c_out; c++)
        v[c] = v[c] > 0.0f ? v[c] : 0.0f;
    }
  g4_barrier (th);
  g4_prof_stop (th, prof, "conv norm, ReLU");
}

/* Half-step macaron FFN: h += 0.5 rms (CL (down, silu (CL (up, rms (h))))). */
static void
ffn (const g4_thread * th, workspace * w, int64_t N, const float *norm, const g4_mm_linear * up,
    const g4_mm_linear * down, const float *post_norm)
{
  const int64_t D = w->am->n_embd, FF = up->w.n_out;
  rmsnorm_rows (th, w->a, w->h, norm, N, D);
  linear (th, w, up, w->a, N, w->big);
  silu (th, w->big, N * FF);
  linear (th, w, down, w->big, N, w->b);
  if (post_norm)
    rmsnorm_rows (th, w->b, w->b, post_norm, N, D);
  add_scaled (th, w->h, w->b, RES_WEIGHT, N * D);
}

/* Chunked local self-attention (docs/audio-encoder.md#chunked-attention):
 * query i sees keys i-11 .. i, with logits q_i k_j + q_i R_{12-(i-j)}
 * softcapped at 50. */
static void
attention (const g4_thread * th, workspace * w, int64_t N, const g4_audio_layer * lw)
{
  const g4_audio_model *am = w->am;
  const int64_t D = am->n_embd, H = am->n_head, dh = am->head_dim;
  const float q_scale = (1.0f / sqrtf ((float) dh)) / logf (2.0f);
  const float k_scale = logf (1.0f + expf (1.0f)) / logf (2.0f);
  const float *a = w->h;
  if (lw->attn_norm) {
    rmsnorm_rows (th, w->a, w->h, lw->attn_norm, N, D);
    a = w->a;
  }
  linear (th, w, &lw->q, a, N, w->q);
  linear (th, w, &lw->k, a, N, w->k);
  linear (th, w, &lw->v, a, N, w->v);
  int64_t i0, i1;
  while (g4_take (th, N, 0, &i0, &i1))
    for (int64_t t = i0; t < i1; t++)
      for (int64_t hd = 0; hd < D; hd++) {
        const int64_t d = hd % dh;
        float *q = &w->q[t * D + hd], *k = &w->k[t * D + hd];
        *q *= q_scale;
        if (lw->per_dim_scale)
          *q *= lw->per_dim_scale[d];
        *k *= k_scale;
        if (lw->per_dim_k_scale)
          *k *= lw->per_dim_k_scale[d];
      }
  g4_barrier (th);
  if (lw->k_rel.data)
    g4_matmul_team (th, "matmul", &lw->k_rel, w->pos, G4_AUDIO_N_REL, w->rel, D, w->scratch);
  float s[G4_AUDIO_CHUNK];
  const double p0 = g4_prof_start (th);
  while (g4_take (th, N * H, 0, &i0, &i1))
    for (int64_t ih = i0; ih < i1; ih++) {
      const int64_t i = ih / H, h = ih % H;
      const float *q = w->q + i * D + h * dh;
      const int64_t j0 = i - (G4_AUDIO_CHUNK - 1) > 0 ? i - (G4_AUDIO_CHUNK - 1) : 0;
      for (int64_t j = j0; j <= i; j++) {
        float ac = g4_dot (q, w->k + j * D + h * dh, dh);
        if (lw->k_rel.data)
          ac += g4_dot (q, w->rel + (G4_AUDIO_N_REL - 1 - (i - j)) * D + h * dh, dh);
        s[j - j0] = SOFTCAP * tanhf (ac * (1.0f / SOFTCAP));
      }
      g4_softmax (s, i - j0 + 1);
      float *o = w->o + i * D + h * dh;
      memset (o, 0, sizeof (float) * (size_t) dh);
      for (int64_t j = j0; j <= i; j++) {
        const float p = s[j - j0], *v = w->v + j * D + h * dh;
        for (int64_t d = 0; d < dh; d++)
          o[d] += p * v[d];
      }
    }
  g4_barrier (th);
  g4_prof_stop (th, p0, "attention");
  linear (th, w, &lw->o, w->o, N, w->b);
  add_bias (th, w->b, lw->o_bias, N, D);
  if (lw->attn_post_norm)
    rmsnorm_rows (th, w->b, w->b, lw->attn_post_norm, N, D);
  add_scaled (th, w->h, w->b, 1.0f, N * D);
}

/* Light convolution (docs/audio-encoder.md#light-convolution): GLU, causal
 * depthwise conv of 5 taps, norm, SiLU, pointwise projection. */
static void
light_conv (const g4_thread * th, workspace * w, int64_t N, const g4_audio_layer * lw)
{
  const int64_t D = w->am->n_embd;
  rmsnorm_rows (th, w->a, w->h, lw->conv_pre_norm, N, D);
  linear (th, w, &lw->conv_pw1, w->a, N, w->big);
  float *g = w->q, *u = w->o, *taps = w->taps;
  const double p0 = g4_prof_start (th);
  int64_t t0, t1;
  /* the kernel tap-major, so that the convolution runs along channels (a few
   * thousand values: member 0 alone, before its share of the GLU) */
  if (th->id == 0)
    for (int64_t c = 0; c < D; c++)
      for (int k = 0; k < G4_AUDIO_CONV_K; k++)
        taps[k * D + c] = lw->conv_dw[k + G4_AUDIO_CONV_K * c];
  while (g4_take (th, N, 0, &t0, &t1))
    for (int64_t t = t0; t < t1; t++)
      g4_glu (g + t * D, w->big + t * 2 * D, w->big + t * 2 * D + D, D);
  g4_barrier (th);
  while (g4_take (th, N, 0, &t0, &t1))
    for (int64_t t = t0; t < t1; t++) {
      float *ut = u + t * D;
      memset (ut, 0, sizeof (float) * (size_t) D);
      for (int k = 0; k < G4_AUDIO_CONV_K; k++) {
        const int64_t ts = t - (G4_AUDIO_CONV_K - 1) + k;
        if (ts >= 0)
          g4_mul_add (ut, taps + k * D, g + ts * D, D);
      }
      if (lw->conv_dw_bias)
        g4_add (ut, lw->conv_dw_bias, D);
    }
  g4_barrier (th);
  g4_prof_stop (th, p0, "light conv (GLU, depthwise)");
  if (lw->conv_post_norm)
    rmsnorm_rows (th, u, u, lw->conv_post_norm, N, D);
  silu (th, u, N * D);
  linear (th, w, &lw->conv_pw2, u, N, w->b);
  add_scaled (th, w->h, w->b, 1.0f, N * D);
}

typedef struct {
  workspace *w;
  const float *pcm;
  int64_t n_samples;
  const volatile int *cancel;
  bool cancelled;               /* g4_team_cancelled's shared copy */
  float *out;
} encode_call;

/* One piece of at most 30 s into its rows of T floats at out; false when
 * cancelled. */
static bool
encode_piece (const g4_thread * th, encode_call * call, const float *pcm, int64_t n, float *out)
{
  workspace *w = call->w;
  const g4_audio_model *am = w->am;
  const int64_t M = am->n_mel, D = am->n_embd;
  const int64_t Tf = g4_mel_n_frames (n);
  const int64_t T1 = (Tf - 1) / 2 + 1, F1 = (M - 1) / 2 + 1;
  const int64_t N = (T1 - 1) / 2 + 1;
  const double p0 = g4_prof_start (th);
  if (th->id == 0)
    g4_mel_compute (&am->mel, pcm, n, w->feat, w->fft);
  g4_barrier (th);
  g4_prof_stop (th, p0, "mel spectrogram");
  conv_block (th, w, 0, w->feat, Tf, M, w->x0);
  conv_block (th, w, 1, w->x0, T1, F1, w->x1);
  linear (th, w, &am->input_proj, w->x1, N, w->h);
  add_bias (th, w->h, am->input_proj_bias, N, D);

  for (int l = 0; l < am->n_layer; l++) {
    if (g4_team_cancelled (th, call->cancel, &call->cancelled))
      return false;
    const g4_audio_layer *lw = &am->layers[l];
    ffn (th, w, N, lw->ffn_norm, &lw->ffn_up, &lw->ffn_down, lw->ffn_post_norm);
    attention (th, w, N, lw);
    light_conv (th, w, N, lw);
    ffn (th, w, N, lw->ffn_norm_1, &lw->ffn_up_1, &lw->ffn_down_1, lw->ffn_post_norm_1);
    if (lw->out_norm)
      rmsnorm_rows (th, w->h, w->h, lw->out_norm, N, D);
  }

  const int64_t Dout = am->n_out;
  float *x = w->h;
  if (am->out_proj.w.data) {
    linear (th, w, &am->out_proj, w->h, N, w->proj);
    add_bias (th, w->proj, am->out_proj_bias, N, Dout);
    x = w->proj;
  }
  rmsnorm_rows (th, x, x, am->soft_emb_norm, N, Dout);
  linear (th, w, &am->mm_proj, x, N, out);
  return true;
}

static void
encode (const g4_thread * th, void *arg)
{
  encode_call *c = arg;
  float *dst = c->out;
  for (int64_t off = 0; off < c->n_samples; off += G4_AUDIO_PIECE_SAMPLES) {
    const int64_t len = c->n_samples - off < G4_AUDIO_PIECE_SAMPLES ? c->n_samples - off
        : G4_AUDIO_PIECE_SAMPLES;
    if (!encode_piece (th, c, c->pcm + off, len, dst))
      return;
    dst += piece_tokens (len) * c->w->am->n_embd_text;
  }
}

/* Sinusoidal relative-position table (docs/audio-encoder.md#chunked-attention):
 * row r holds distance 12 - r, sin in the first D/2 entries and cos in the
 * rest, computed in float as the reference does. */
static void
position_table (float *pos, int64_t D)
{
  const int64_t half = D / 2;
  const float inc = logf (10000.0f) / (float) (half - 1 > 1 ? half - 1 : 1);
  for (int r = 0; r < G4_AUDIO_N_REL; r++) {
    const float p = (float) (G4_AUDIO_N_REL - 1 - r);
    for (int64_t i = 0; i < half; i++) {
      const float x = p * expf (-(float) i * inc);
      pos[r * D + i] = sinf (x);
      pos[r * D + half + i] = cosf (x);
    }
  }
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

/* Carves every buffer out of one allocation sized for pieces of n samples. */
static g4_status
workspace_init (workspace * w, const g4_audio_model * am, int64_t n,
    g4_error * err)
{
  const int64_t M = am->n_mel, D = am->n_embd, Dout = am->n_out;
  const int64_t Tf = g4_mel_n_frames (n), T1 = (Tf - 1) / 2 + 1, F1 = (M - 1) / 2 + 1;
  const int64_t N = (T1 - 1) / 2 + 1, F2 = am->f2;
  const int64_t FF = am->n_ff, wide = FF > 2 * D ? FF : 2 * D;
  int64_t n_in_max = D;
  n_in_max = n_in_max > FF ? n_in_max : FF;
  n_in_max = n_in_max > F2 * am->c1 ? n_in_max : F2 * am->c1;
  n_in_max = n_in_max > Dout ? n_in_max : Dout;
  const int64_t col_min = F1 * 9 * (int64_t) (am->c0 > 1 ? am->c0 : 1);
  w->col_floats = col_min > COL_BLOCK_FLOATS ? col_min : COL_BLOCK_FLOATS;

  size_t scratch = 0;
  scratch = max_sz (scratch, g4_matmul_scratch_size (am->conv[0].type, am->conv[0].n_in, w->col_floats / am->conv[0].n_in));
  scratch = max_sz (scratch, g4_matmul_scratch_size (am->conv[1].type, am->conv[1].n_in, w->col_floats / am->conv[1].n_in));
  scratch = max_sz (scratch, linear_scratch (&am->input_proj, N));
  for (int l = 0; l < am->n_layer; l++) {
    const g4_audio_layer *lw = &am->layers[l];
    const g4_mm_linear *ls[] = { &lw->ffn_up, &lw->ffn_down, &lw->q, &lw->k, &lw->v, &lw->o,
      &lw->conv_pw1, &lw->conv_pw2, &lw->ffn_up_1, &lw->ffn_down_1 };
    for (size_t i = 0; i < sizeof ls / sizeof ls[0]; i++)
      scratch = max_sz (scratch, linear_scratch (ls[i], N));
    if (lw->k_rel.data)
      scratch = max_sz (scratch, g4_matmul_scratch_size (lw->k_rel.type, D, G4_AUDIO_N_REL));
  }
  scratch = max_sz (scratch, linear_scratch (&am->out_proj, N));
  scratch = max_sz (scratch, linear_scratch (&am->mm_proj, N));

  const g4_arena_part parts[] = {
    { (void **) &w->feat, sizeof (float) * (size_t) (Tf * M) },
    { (void **) &w->x0, sizeof (float) * (size_t) (T1 * F1 * am->c0) },
    { (void **) &w->x1, sizeof (float) * (size_t) (N * F2 * am->c1) },
    { (void **) &w->col, sizeof (float) * (size_t) w->col_floats },
    { (void **) &w->h, sizeof (float) * (size_t) (N * D) },
    { (void **) &w->a, sizeof (float) * (size_t) (N * D) },
    { (void **) &w->b, sizeof (float) * (size_t) (N * D) },
    { (void **) &w->q, sizeof (float) * (size_t) (N * D) },
    { (void **) &w->k, sizeof (float) * (size_t) (N * D) },
    { (void **) &w->v, sizeof (float) * (size_t) (N * D) },
    { (void **) &w->o, sizeof (float) * (size_t) (N * D) },
    { (void **) &w->big, sizeof (float) * (size_t) (N * wide) },
    { (void **) &w->xin, sizeof (float) * (size_t) (N * n_in_max) },
    { (void **) &w->pos, sizeof (float) * (size_t) (G4_AUDIO_N_REL * D) },
    { (void **) &w->rel, sizeof (float) * (size_t) (G4_AUDIO_N_REL * D) },
    { (void **) &w->taps, sizeof (float) * (size_t) (G4_AUDIO_CONV_K * D) },
    { (void **) &w->proj, sizeof (float) * (size_t) (N * Dout) },
    { (void **) &w->fft, sizeof (float) * 2 * G4_MEL_N_FFT },
    { &w->scratch, scratch },
  };
  g4_status st = g4_arena_take (parts, sizeof parts / sizeof parts[0], "audio encoding", err);
  if (st)
    return st;
  w->am = am;
  position_table (w->pos, D);
  return G4_OK;
}

g4_status
g4_audio_encode (const g4_mmproj * mm, const float *pcm, int64_t n_samples, int n_threads,
    const volatile int *cancel, float *out, g4_error * err)
{
  if (!mm || !pcm || !out)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "g4_audio_encode: NULL argument");
  if (!mm->audio)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "the mmproj file has no audio encoder");
  if (n_samples < 1)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "no audio samples (%lld)",
        (long long) n_samples);
  if (n_threads < 0)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "negative n_threads %d", n_threads);
  if (g4_audio_n_tokens (mm, n_samples) < 0)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "%lld samples give too many tokens",
        (long long) n_samples);
  if (n_threads == 0) {
    long nc = sysconf (_SC_NPROCESSORS_ONLN);
    n_threads = nc > 0 ? (int) nc : 1;
  }
  const g4_audio_model *am = mm->audio;
  workspace w = { 0 };
  const int64_t longest = n_samples < G4_AUDIO_PIECE_SAMPLES ? n_samples : G4_AUDIO_PIECE_SAMPLES;
  g4_status st = workspace_init (&w, am, longest, err);
  if (st)
    return st;
  encode_call c = {.w = &w,.pcm = pcm,.n_samples = n_samples,.cancel = cancel,.out = out };
  g4_team_run (n_threads, encode, &c);
  if (c.cancelled)
    return g4_set_error (err, G4_STATUS_CANCELLED, "audio encoding cancelled");
  return G4_OK;
}
