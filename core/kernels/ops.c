/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>

#include "ops.h"

void
g4_rmsnorm (float *y, const float *x, const float *w, int64_t n, float eps)
{
  double ss = 0.0;              /* double: long rows of large activations lose bits in float */
  for (int64_t i = 0; i < n; i++)
    ss += (double) x[i] * x[i];
  const float r = (float) (1.0 / sqrt (ss / (double) n + eps));
  if (w)
    for (int64_t i = 0; i < n; i++)
      y[i] = x[i] * r * w[i];
  else
    for (int64_t i = 0; i < n; i++)
      y[i] = x[i] * r;
}

static inline float
gelu_tanh (float x)
{
  const float k = 0.7978845608028654f;  /* sqrt(2/pi) */
  return 0.5f * x * (1.0f + tanhf (k * (x + 0.044715f * x * x * x)));
}

void
g4_gelu_tanh (float *x, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    x[i] = gelu_tanh (x[i]);
}

void
g4_geglu (float *x, const float *g, const float *u, int64_t n, int n_threads)
{
  /* tanhf dominates prefill time outside the matmuls when done on one core */
#pragma omp parallel for num_threads(n_threads) if(n > 16384) schedule(static)
  for (int64_t i = 0; i < n; i++)
    x[i] = gelu_tanh (g[i]) * u[i];
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

void
g4_softcap (float *x, int64_t n, float c)
{
  const float inv = 1.0f / c;
  for (int64_t i = 0; i < n; i++)
    x[i] = c * tanhf (x[i] * inv);
}

void
g4_scale (float *x, int64_t n, float s)
{
  for (int64_t i = 0; i < n; i++)
    x[i] *= s;
}

void
g4_add (float *y, const float *x, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    y[i] += x[i];
}
