/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The row ops against double precision: GELU (tanh form, computed through a
 * branch-free exp), GeGLU, SiLU and GLU (the same exp), RMSNorm, softmax
 * (masked entries), soft-cap (<= 4e-7 relative: a few ulp).
 * Tolerances: GELU |error| <= 2e-6 |gelu(x)| + 1e-9 (the absolute term only
 * matters for outputs below 1e-3, where float exp's own rounding dominates),
 * the others <= 1e-6 relative. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ops.h"

#define GELU_REL_TOL 2e-6
#define OPS_REL_TOL 1e-6
#define SOFTCAP_REL_TOL 4e-7

static double
gelu_ref (double x)
{
  /* the sigmoid form: 0.5 (1 + tanh z) loses all digits to cancellation for z << 0 */
  return x / (1.0 + exp (-2.0 * 0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

int
main (void)
{
  int fails = 0;
  enum { N = 400001 };
  float *x = malloc (sizeof (float) * N), *y = malloc (sizeof (float) * N);
  for (int i = 0; i < N; i++)
    x[i] = y[i] = -40.0f + 80.0f * (float) i / (N - 1);
  g4_gelu_tanh (y, N);
  double worst = 0, worst_x = 0;
  for (int i = 0; i < N; i++) {
    double e = gelu_ref (x[i]), err = fabs (y[i] - e);
    double rel = err <= 1e-9 ? 0 : err / fabs (e);
    if (!(rel <= worst)) {
      worst = rel;
      worst_x = x[i];
    }
  }
  printf ("gelu_tanh on [-40, 40]: max relative error %.3g at x = %g (limit %.1g)\n", worst, worst_x, GELU_REL_TOL);
  fails += !(worst <= GELU_REL_TOL);

  float g[5] = { -3, -0.5f, 0, 0.7f, 4 }, u[5] = { 2, -1, 5, 3, -0.25f }, o[5];
  g4_geglu (o, g, u, 5);
  for (int i = 0; i < 5; i++)
    fails += fabs (o[i] - gelu_ref (g[i]) * u[i]) > OPS_REL_TOL * (1 + fabs (o[i]));

  /* SiLU over the same range, and GLU with the gate over it */
  double worst_silu = 0, worst_glu = 0;
  for (int i = 0; i < N; i++)
    y[i] = x[i];
  g4_silu (y, N);
  for (int i = 0; i < N; i++) {
    const double e = x[i] / (1.0 + exp (-(double) x[i]));
    const double rel = fabs (y[i] - e) <= 1e-9 ? 0 : fabs (y[i] - e) / fabs (e);
    worst_silu = rel > worst_silu ? rel : worst_silu;
  }
  for (int i = 0; i < N; i++)
    y[i] = 0.5f + (float) (i % 7);
  g4_glu (y, y, x, N);
  for (int i = 0; i < N; i++) {
    const double a = 0.5 + i % 7, e = a / (1.0 + exp (-(double) x[i]));
    const double rel = fabs (y[i] - e) <= 1e-9 ? 0 : fabs (y[i] - e) / fabs (e);
    worst_glu = rel > worst_glu ? rel : worst_glu;
  }
  printf ("silu, glu on [-40, 40]: max relative error %.3g, %.3g (limit %.1g)\n", worst_silu,
      worst_glu, GELU_REL_TOL);
  fails += !(worst_silu <= GELU_REL_TOL) + !(worst_glu <= GELU_REL_TOL);

  float v[4] = { 1, -2, 3, 0.5f }, w[4] = { 1, 0.5f, 2, -1 }, r[4];
  double ms = (1 + 4 + 9 + 0.25) / 4.0;
  g4_rmsnorm (r, v, w, 4, 1e-6f);
  for (int i = 0; i < 4; i++)
    fails += fabs (r[i] - v[i] / sqrt (ms + 1e-6) * w[i]) > OPS_REL_TOL;

  /* every length around the 16 partial sums, values of both signs */
  for (int n = 0; n <= 40; n++) {
    float a[40], b[40];
    double e = 0, mag = 0;
    for (int i = 0; i < n; i++) {
      a[i] = x[i * 9973];
      b[i] = x[N - 1 - i * 7919] * 0.25f;
      e += (double) a[i] * b[i];
      mag += fabs ((double) a[i] * b[i]);
    }
    fails += !(fabs (g4_dot (a, b, n) - e) <= OPS_REL_TOL * mag);
  }

  /* y += a b on 37 values (vector bodies and a tail), in place of a too */
  float ma[37], mb[37], my[37];
  for (int i = 0; i < 37; i++) {
    ma[i] = x[i * 1000];
    mb[i] = x[N - 1 - i * 999] * 0.1f;
    my[i] = (float) i;
  }
  g4_mul_add (my, ma, mb, 37);
  for (int i = 0; i < 37; i++)
    fails += fabs (my[i] - (i + (double) ma[i] * mb[i])) > OPS_REL_TOL * (1 + fabs (my[i]));

  /* rotating 2 x 19 pairs by angles th: (a, b) -> (a cos - b sin, b cos + a sin) */
  float rx[38], rc[19], rs[19];
  for (int i = 0; i < 19; i++) {
    rx[i] = ma[i];
    rx[i + 19] = mb[i];
    rc[i] = (float) cos (0.3 * i + 0.1);
    rs[i] = (float) sin (0.3 * i + 0.1);
  }
  g4_rope_neox (rx, 38, rc, rs);
  for (int i = 0; i < 19; i++) {
    const double a = ma[i], b = mb[i];
    fails += fabs (rx[i] - (a * rc[i] - b * rs[i])) > OPS_REL_TOL * (1 + fabs (a) + fabs (b));
    fails += fabs (rx[i + 19] - (b * rc[i] + a * rs[i])) > OPS_REL_TOL * (1 + fabs (a) + fabs (b));
  }

  float s[4] = { 1, -INFINITY, 3, 2 };
  g4_softmax (s, 4);
  double z = exp (1 - 3.0) + 1 + exp (2 - 3.0);
  fails += s[1] != 0.0f || fabs (s[2] - 1 / z) > OPS_REL_TOL || fabs (s[0] + s[2] + s[3] - 1) > OPS_REL_TOL;
  float m[2] = { -INFINITY, -INFINITY };
  g4_softmax (m, 2);
  fails += m[0] != 0.0f || m[1] != 0.0f;

  /* soft-cap (vectorized tanh: series near 0, exponential form above) over
   * [-200, 200], an odd count so that the vector loop has a tail */
  double worst_cap = 0, worst_cap_x = 0;
  for (int i = 0; i < N; i++)
    y[i] = x[i] * 5.0f;
  g4_softcap (y, N, 30.0f);
  for (int i = 0; i < N; i++) {
    const double e = 30.0 * tanh ((double) x[i] * 5.0 / 30.0);
    const double rel = e == 0 ? fabs (y[i]) : fabs (y[i] - e) / fabs (e);
    if (!(rel <= worst_cap)) {
      worst_cap = rel;
      worst_cap_x = x[i] * 5.0;
    }
  }
  printf ("softcap 30 on [-200, 200]: max relative error %.3g at x = %g (limit %.1g)\n",
      worst_cap, worst_cap_x, SOFTCAP_REL_TOL);
  fails += !(worst_cap <= SOFTCAP_REL_TOL);
  float c[5] = { 100, -5, 0, INFINITY, NAN };
  g4_softcap (c, 5, 30);
  fails += fabs (c[0] - 30 * tanh (100 / 30.0)) > 1e-5 || fabs (c[1] - 30 * tanh (-5 / 30.0)) > 1e-5
      || c[2] != 0 || c[3] != 30.0f || !isnan (c[4]);

  printf ("%s\n", fails ? "FAILED" : "ops match double precision");
  free (x);
  free (y);
  return fails != 0;
}
