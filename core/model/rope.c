/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rotary position embedding, NEOX layout (docs/text-decoder.md#rope). Full
 * layers pass rope_freqs as divisors: pairs with divisor 1e30 are left
 * (numerically) unrotated, which is Gemma 4's proportional RoPE; sliding layers
 * rotate fully. */
#include <math.h>

#include "decoder.h"

void
g4_rope_table (const g4_thread * th, float *cos_t, float *sin_t, const int *pos, int T, int n_rot,
    float theta, const float *freq_div)
{
  const int half = n_rot / 2;
  for (int64_t t0, t1; g4_take (th, T, 0, &t0, &t1);)
    for (int64_t t = t0; t < t1; t++)
      for (int i = 0; i < half; i++) {
        /* double: angles of late positions lose precision in float */
        double inv_freq = pow ((double) theta, -2.0 * i / n_rot);
        if (freq_div)
          inv_freq /= freq_div[i];
        double phi = (double) pos[t] * inv_freq;
        cos_t[t * half + i] = (float) cos (phi);
        sin_t[t * half + i] = (float) sin (phi);
      }
  g4_barrier (th);
}

void
g4_rope_rotate (float *x, int n_heads, int hd, int n_rot, const float *cos_t,
    const float *sin_t)
{
  const int half = n_rot / 2;
  for (int h = 0; h < n_heads; h++) {
    float *v = x + (size_t) h * hd;
    for (int i = 0; i < half; i++) {
      const float a = v[i], b = v[i + half];
      v[i] = a * cos_t[i] - b * sin_t[i];
      v[i + half] = b * cos_t[i] + a * sin_t[i];
    }
  }
}
