/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Element-wise and per-row operations shared by the decoder and the encoders.
 * Plain loops the compiler vectorizes; the heavy lifting is in g4_matmul. */
#ifndef G4_OPS_H
#define G4_OPS_H

#include <stdint.h>

/* y = x / sqrt(mean(x^2) + eps) * w (w NULL: unweighted). y may alias x. */
void g4_rmsnorm (float *y, const float *x, const float *w, int64_t n, float eps);
/* g4_rmsnorm on each of T rows of n values (row stride n). */
void g4_rmsnorm_rows (float *y, const float *x, const float *w, int64_t T, int64_t n, float eps);
/* sum x[i] y[i] in float (short rows: attention heads). */
float g4_dot (const float *x, const float *y, int64_t n);
/* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in place. */
void g4_gelu_tanh (float *x, int64_t n);
/* x[i] = gelu_tanh(g[i]) * u[i] (the GeGLU product; x may be g); callers split long
 * rows over their threads (its tanh dominates prefill time outside the
 * matmuls when done on one core). */
void g4_geglu (float *x, const float *g, const float *u, int64_t n);
/* x sigmoid(x), in place. */
void g4_silu (float *x, int64_t n);
/* y[i] = a[i] sigmoid(g[i]) (the gated linear unit; y may alias a). */
void g4_glu (float *y, const float *a, const float *g, int64_t n);
/* In-place softmax; entries equal to -INFINITY get weight 0. */
void g4_softmax (float *x, int64_t n);
/* x = c * tanh(x / c) */
void g4_softcap (float *x, int64_t n, float c);
void g4_scale (float *x, int64_t n, float s);
/* y += x */
void g4_add (float *y, const float *x, int64_t n);
/* y += a * b, element by element. */
void g4_mul_add (float *y, const float *a, const float *b, int64_t n);
/* NEOX rotation of n values (n even): each pair (x[i], x[i + n/2]) turned by
 * the angle whose cosine and sine are c[i] and s[i]. */
void g4_rope_neox (float *x, int64_t n, const float *c, const float *s);
/* y[i] = x[i] limited to [lo, hi] (y may alias x). */
void g4_clamp (float *y, const float *x, int64_t n, float lo, float hi);

#endif
