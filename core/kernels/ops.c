/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>

#include "ops.h"

/* The element-wise loops are compiled for AVX-512 and AVX2 as well, the
 * loader picking the CPU's (a tenth of the time of the baseline's 4 lanes
 * for GELU); results may differ in the last bits between CPUs, never
 * between threads. */
#ifdef G4_OPS_CLONES
#define MULTI_ISA __attribute__ ((target_clones ("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MULTI_ISA
#endif

/* Independent partial sums, so that the loops vectorize without
 * reassociation flags; the order is fixed, so results do not depend on the
 * ISA the compiler picked. Element-wise loops whose output may be their
 * input (y == x, never partly overlapping) say so with ivdep: the runtime
 * overlap check would send the in-place calls to the scalar loop. */
#define LANES 16

static MULTI_ISA void
rmsnorm_any (float *y, const float *x, const float *w, int64_t n, float eps)
{
  double part[LANES] = { 0 };   /* double: long rows of large activations lose bits in float */
  int64_t i = 0;
  for (; i + LANES <= n; i += LANES)
    for (int j = 0; j < LANES; j++)
      part[j] += (double) x[i + j] * x[i + j];
  double ss = 0.0;
  for (int j = 0; j < LANES; j++)
    ss += part[j];
  for (; i < n; i++)
    ss += (double) x[i] * x[i];
  const float r = (float) (1.0 / sqrt (ss / (double) n + eps));
  if (w) {
#pragma GCC ivdep
    for (i = 0; i < n; i++)
      y[i] = x[i] * r * w[i];
  } else {
#pragma GCC ivdep
    for (i = 0; i < n; i++)
      y[i] = x[i] * r;
  }
}

static MULTI_ISA float
dot_any (const float *x, const float *y, int64_t n)
{
  float part[LANES] = { 0 };
  int64_t i = 0;
  for (; i + LANES <= n; i += LANES)
    for (int j = 0; j < LANES; j++)
      part[j] += x[i + j] * y[i + j];
  float s = 0.0f;
  for (int j = 0; j < LANES; j++)
    s += part[j];
  for (; i < n; i++)
    s += x[i] * y[i];
  return s;
}

void
g4_rmsnorm_rows (float *y, const float *x, const float *w, int64_t T, int64_t n, float eps)
{
  for (int64_t t = 0; t < T; t++)
    g4_rmsnorm (y + t * n, x + t * n, w, n, eps);
}

/* e^x for x in [-87, 87] to ~2 ulp, branch-free so loops over it vectorize
 * (a libm call per element made tanhf a fifth of prefill time). */
static inline float
exp_approx (float x)
{
  x = x < -87.0f ? -87.0f : x > 87.0f ? 87.0f : x;
  const float shift = 12582912.0f;      /* 1.5 * 2^23: adding it rounds to an integer */
  const float n = (x * 1.44269504f + shift) - shift;
  const float r = (x - n * 0.693145752f) - n * 1.42860677e-6f;
  float p = 1.0f / 5040 + r * (1.0f / 40320);
  p = 1.0f / 720 + r * p;
  p = 1.0f / 120 + r * p;
  p = 1.0f / 24 + r * p;
  p = 1.0f / 6 + r * p;
  p = 0.5f + r * p;
  p = 1.0f + r * p;
  p = 1.0f + r * p;
  union { float f; int32_t i; } u = { p };
  u.i += (int32_t) n << 23;
  return u.f;
}

/* 0.5 x (1 + tanh(z)) = x sigmoid(2z) with z = sqrt(2/pi) (x + 0.044715 x^3) */
static inline float
gelu_tanh (float x)
{
  const float two_k = 1.5957691216057308f;      /* 2 sqrt(2/pi) */
  return x / (1.0f + exp_approx (-two_k * (x + 0.044715f * x * x * x)));
}

static MULTI_ISA void
gelu_tanh_any (float *x, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    x[i] = gelu_tanh (x[i]);
}

static MULTI_ISA void
geglu_any (float *x, const float *g, const float *u, int64_t n)
{
#pragma GCC ivdep
  for (int64_t i = 0; i < n; i++)
    x[i] = gelu_tanh (g[i]) * u[i];
}

/* x sigmoid(g), with the same exponential as GELU */
static inline float
times_sigmoid (float x, float g)
{
  return x / (1.0f + exp_approx (-g));
}

static MULTI_ISA void
silu_any (float *x, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    x[i] = times_sigmoid (x[i], x[i]);
}

static MULTI_ISA void
glu_any (float *y, const float *a, const float *g, int64_t n)
{
#pragma GCC ivdep
  for (int64_t i = 0; i < n; i++)
    y[i] = times_sigmoid (a[i], g[i]);
}

void
g4_softmax (float *x, int64_t n)
{
  float mx = -INFINITY;
  for (int64_t i = 0; i < n; i++)
    mx = x[i] > mx ? x[i] : mx;
  if (mx == -INFINITY) {
    for (int64_t i = 0; i < n; i++)
      x[i] = 0.0f;
    return;
  }
  double sum = 0.0;
  for (int64_t i = 0; i < n; i++) {
    x[i] = expf (x[i] - mx);
    sum += x[i];
  }
  const float inv = (float) (1.0 / sum);
  for (int64_t i = 0; i < n; i++)
    x[i] *= inv;
}

/* tanh(z) to about 2 ulp, branch-free so that the soft-cap over a whole
 * vocabulary of logits vectorizes (tanhf per element cost more than the
 * LM head's product once several sequences share a pass): the odd Taylor
 * series below 0.5, where 1 - 2 / (e^2|z| + 1) would cancel; the
 * exponential form above. */
static inline float
tanh_approx (float z)
{
  const float a = fabsf (z), s = a * a;
  float p = -929569.0f / 638512875.0f;
  p = 21844.0f / 6081075.0f + s * p;
  p = -1382.0f / 155925.0f + s * p;
  p = 62.0f / 2835.0f + s * p;
  p = -17.0f / 315.0f + s * p;
  p = 2.0f / 15.0f + s * p;
  p = -1.0f / 3.0f + s * p;
  const float near = a + a * s * p;
  const float far = 1.0f - 2.0f / (exp_approx (2.0f * a) + 1.0f);
  return copysignf (a < 0.5f ? near : far, z);
}

static MULTI_ISA void
softcap_any (float *x, int64_t n, float c)
{
  const float inv = 1.0f / c;
  for (int64_t i = 0; i < n; i++)
    x[i] = c * tanh_approx (x[i] * inv);
}

static MULTI_ISA void
scale_any (float *x, int64_t n, float s)
{
  for (int64_t i = 0; i < n; i++)
    x[i] *= s;
}

static MULTI_ISA void
add_any (float *y, const float *x, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    y[i] += x[i];
}

static MULTI_ISA void
mul_add_any (float *y, const float *a, const float *b, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    y[i] += a[i] * b[i];
}

static MULTI_ISA void
rope_neox_any (float *x, int64_t n, const float *c, const float *s)
{
  const int64_t r = n / 2;
  float *x1 = x + r;
  for (int64_t i = 0; i < r; i++) {
    const float a = x[i], b = x1[i];
    x[i] = a * c[i] - b * s[i];
    x1[i] = b * c[i] + a * s[i];
  }
}

static MULTI_ISA void
clamp_any (float *y, const float *x, int64_t n, float lo, float hi)
{
#pragma GCC ivdep
  for (int64_t i = 0; i < n; i++)
    y[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i];
}

/* The entry points: aliases of the cloned loops (a cloned global function
 * would be exported whatever its visibility). */
void g4_rmsnorm (float *y, const float *x, const float *w, int64_t n, float eps)
    __attribute__ ((alias ("rmsnorm_any")));
float g4_dot (const float *x, const float *y, int64_t n)
    __attribute__ ((alias ("dot_any")));
void g4_gelu_tanh (float *x, int64_t n)
    __attribute__ ((alias ("gelu_tanh_any")));
void g4_geglu (float *x, const float *g, const float *u, int64_t n)
    __attribute__ ((alias ("geglu_any")));
void g4_silu (float *x, int64_t n)
    __attribute__ ((alias ("silu_any")));
void g4_glu (float *y, const float *a, const float *g, int64_t n)
    __attribute__ ((alias ("glu_any")));
void g4_scale (float *x, int64_t n, float s)
    __attribute__ ((alias ("scale_any")));
void g4_softcap (float *x, int64_t n, float c)
    __attribute__ ((alias ("softcap_any")));
void g4_add (float *y, const float *x, int64_t n)
    __attribute__ ((alias ("add_any")));
void g4_clamp (float *y, const float *x, int64_t n, float lo, float hi)
    __attribute__ ((alias ("clamp_any")));
void g4_mul_add (float *y, const float *a, const float *b, int64_t n)
    __attribute__ ((alias ("mul_add_any")));
void g4_rope_neox (float *x, int64_t n, const float *c, const float *s)
    __attribute__ ((alias ("rope_neox_any")));
