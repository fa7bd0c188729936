/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image sizing and resampling for the gemma4v encoder (spec vision-audio
 * §2.3): the reference's native-size rule (float32 arithmetic, as there) with
 * its black letterbox, Hugging Face's budget rule (double, as Python's
 * floats), and a bicubic resampler that reproduces Pillow's Image.resize
 * (a = -0.5 cubic, support widened when shrinking, 22-bit fixed-point
 * weights, uint8 between the two passes), which the reference reimplements. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vision_model.h"

#define MAX_SIDE 32768
#define PRECISION_BITS 22       /* 32 bits - 8 for the pixel - 2 of headroom */

static int
round_to (float x, int f)
{
  return (int) roundf (x / (float) f) * f;
}

static int
floor_to (float x, int f)
{
  return (int) floorf (x / (float) f) * f;
}

static int
ceil_to (float x, int f)
{
  return (int) ceilf (x / (float) f) * f;
}

static int
imax (int a, int b)
{
  return a > b ? a : b;
}

static int
imin (int a, int b)
{
  return a < b ? a : b;
}

/* The reference's rule: native size on the grid, scaled into the token window. */
static void
native_size (int w, int h, int align, int min_tokens, int max_tokens, int *ow, int *oh)
{
  const int64_t min_px = (int64_t) min_tokens * align * align;
  const int64_t max_px = (int64_t) max_tokens * align * align;
  int W = imax (align, round_to ((float) w, align));
  int H = imax (align, round_to ((float) h, align));
  if ((int64_t) W * H > max_px) {
    const float beta = sqrtf ((float) h * (float) w / (float) max_px);
    H = imax (align, floor_to ((float) h / beta, align));
    W = imax (align, floor_to ((float) w / beta, align));
  } else if ((int64_t) W * H < min_px) {
    const float beta = sqrtf ((float) min_px / ((float) h * (float) w));
    H = ceil_to ((float) h * beta, align);
    W = ceil_to ((float) w * beta, align);
  }
  *ow = W;
  *oh = H;
}

/* Hugging Face's rule (image_processing_gemma4.py): the largest grid size of
 * the image's aspect ratio within budget * k * k patches. */
static bool
budget_size (int w, int h, int p, int k, int budget, int *ow, int *oh)
{
  const double max_patches = (double) budget * k * k;
  const double factor = sqrt (max_patches * p * p / ((double) h * w));
  const int side = p * k;
  int H = (int) floor (factor * h / side) * side;
  int W = (int) floor (factor * w / side) * side;
  const int max_side = budget * side;
  if (H == 0 && W == 0)
    return false;
  if (H == 0) {
    H = side;
    W = (int) fmin (floor ((double) w / h) * side, max_side);
  } else if (W == 0) {
    W = side;
    H = (int) fmin (floor ((double) h / w) * side, max_side);
  }
  *ow = W;
  *oh = H;
  return true;
}

bool
g4_image_target_size (const g4_vision_model * vm, int width, int height,
    g4_image_sizing sizing, int max_soft_tokens, int *out_w, int *out_h)
{
  if (!vm || width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE
      || max_soft_tokens < 0 || max_soft_tokens > 65536)
    return false;
  const int align = vm->patch * vm->merge;
  int W, H;
  if (sizing == G4_IMAGE_NATIVE) {
    const int max_t = max_soft_tokens ? max_soft_tokens : G4_IMAGE_MAX_TOKENS;
    native_size (width, height, align, imin (G4_IMAGE_MIN_TOKENS, max_t), max_t, &W, &H);
  } else if (sizing == G4_IMAGE_BUDGET) {
    const int budget = max_soft_tokens ? max_soft_tokens : G4_IMAGE_DEFAULT_BUDGET;
    if (!budget_size (width, height, vm->patch, vm->merge, budget, &W, &H))
      return false;
  } else {
    return false;
  }
  /* positions index the learned tables, which have n_pos rows */
  if (W < align || H < align || W > MAX_SIDE || H > MAX_SIDE || W / vm->patch > vm->n_pos
      || H / vm->patch > vm->n_pos)
    return false;
  *out_w = W;
  *out_h = H;
  return true;
}

static double
cubic (double x)
{
  const double a = -0.5;
  x = fabs (x);
  if (x < 1.0)
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0)
    return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

/* Fixed-point taps of one dimension: for output i, count[i] weights starting at
 * input first[i], in k[i * ksize ...]. Returns ksize, or 0 when out of memory. */
static int
taps (int in, int out, int **first, int **count, int32_t ** k)
{
  const double scale = (double) in / out, fscale = scale < 1.0 ? 1.0 : scale;
  const double support = 2.0 * fscale;
  const int ksize = (int) ceil (support) * 2 + 1;
  *first = malloc (sizeof (int) * (size_t) out);
  *count = malloc (sizeof (int) * (size_t) out);
  *k = calloc ((size_t) out * ksize, sizeof (int32_t));
  double *w = malloc (sizeof (double) * (size_t) ksize);
  if (!*first || !*count || !*k || !w) {
    free (w);
    return 0;
  }
  for (int i = 0; i < out; i++) {
    const double center = (i + 0.5) * scale;
    int lo = (int) (center - support + 0.5), hi = (int) (center + support + 0.5);
    lo = lo < 0 ? 0 : lo;
    hi = hi > in ? in : hi;
    double sum = 0.0;
    for (int x = 0; x < hi - lo; x++) {
      w[x] = cubic ((x + lo - center + 0.5) / fscale);
      sum += w[x];
    }
    for (int x = 0; x < hi - lo; x++) {
      const double v = sum != 0.0 ? w[x] / sum : w[x];
      (*k)[(size_t) i * ksize + x] = (int32_t) (v * (1 << PRECISION_BITS) + (v < 0 ? -0.5 : 0.5));
    }
    (*first)[i] = lo;
    (*count)[i] = hi - lo;
  }
  free (w);
  return ksize;
}

static uint8_t
clip8 (int32_t v)
{
  v >>= PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : (uint8_t) v;
}

static void
pass_horizontal (const uint8_t * src, size_t src_stride, int in_w, int rows, uint8_t * dst,
    int out_w)
{
  int *first, *count;
  int32_t *k;
  const int ksize = taps (in_w, out_w, &first, &count, &k);
  for (int y = 0; ksize && y < rows; y++) {
    const uint8_t *row = src + (size_t) y * src_stride;
    uint8_t *d = dst + (size_t) y * out_w * 3;
    for (int i = 0; i < out_w; i++) {
      const int32_t *ki = k + (size_t) i * ksize;
      const uint8_t *px = row + (size_t) first[i] * 3;
      int32_t s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
      for (int x = 0; x < count[i]; x++, px += 3) {
        s0 += px[0] * ki[x];
        s1 += px[1] * ki[x];
        s2 += px[2] * ki[x];
      }
      d[3 * i] = clip8 (s0);
      d[3 * i + 1] = clip8 (s1);
      d[3 * i + 2] = clip8 (s2);
    }
  }
  free (first);
  free (count);
  free (k);
}

static void
pass_vertical (const uint8_t * src, size_t src_stride, int w, int in_h, uint8_t * dst,
    int out_h)
{
  int *first, *count;
  int32_t *k;
  const int ksize = taps (in_h, out_h, &first, &count, &k);
  const size_t n = (size_t) w * 3;
  int32_t *acc = malloc (sizeof (int32_t) * n);
  for (int i = 0; ksize && acc && i < out_h; i++) {
    const int32_t *ki = k + (size_t) i * ksize;
    for (size_t e = 0; e < n; e++)
      acc[e] = 1 << (PRECISION_BITS - 1);
    for (int y = 0; y < count[i]; y++) {
      const uint8_t *row = src + (size_t) (first[i] + y) * src_stride;
      const int32_t wy = ki[y];
      for (size_t e = 0; e < n; e++)
        acc[e] += row[e] * wy;
    }
    uint8_t *d = dst + (size_t) i * n;
    for (size_t e = 0; e < n; e++)
      d[e] = clip8 (acc[e]);
  }
  free (acc);
  free (first);
  free (count);
  free (k);
}

void
g4_image_resize_bicubic (const uint8_t * src, int src_w, int src_h, size_t src_stride,
    uint8_t * dst, int dst_w, int dst_h, uint8_t * tmp)
{
  const bool horizontal = dst_w != src_w, vertical = dst_h != src_h;
  if (horizontal && vertical) {
    pass_horizontal (src, src_stride, src_w, src_h, tmp, dst_w);
    pass_vertical (tmp, (size_t) dst_w * 3, dst_w, src_h, dst, dst_h);
  } else if (horizontal) {
    pass_horizontal (src, src_stride, src_w, src_h, dst, dst_w);
  } else if (vertical) {
    pass_vertical (src, src_stride, src_w, src_h, dst, dst_h);
  } else {
    for (int y = 0; y < src_h; y++)
      memcpy (dst + (size_t) y * dst_w * 3, src + (size_t) y * src_stride, (size_t) src_w * 3);
  }
}

g4_status
g4_image_prepare (const g4_vision_model * vm, const uint8_t * rgb, int width, int height,
    int stride, g4_image_sizing sizing, int max_soft_tokens, uint8_t ** canvas, int *out_w,
    int *out_h, g4_error * err)
{
  *canvas = NULL;
  int W, H;
  if (!g4_image_target_size (vm, width, height, sizing, max_soft_tokens, &W, &H))
    return g4_set_error (err, G4_STATUS_INVALID_ARG,
        "image %dx%d with %s sizing and %d soft tokens: no valid encoder size (sides 1..%d, "
        "at most %d patches per side)", width, height,
        sizing == G4_IMAGE_NATIVE ? "native" : sizing == G4_IMAGE_BUDGET ? "budget" : "unknown",
        max_soft_tokens, MAX_SIDE, vm->n_pos);
  if (stride < 3 * width)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "image stride %d is less than 3 x width %d",
        stride, width);
  /* native: fit inside W x H keeping the aspect ratio (float, as the reference) */
  int nw = W, nh = H;
  if (sizing == G4_IMAGE_NATIVE && (W != width || H != height)) {
    const float sw = (float) W / (float) width, sh = (float) H / (float) height;
    const float s = sw < sh ? sw : sh;
    nw = imin ((int) ceilf ((float) width * s), W);
    nh = imin ((int) ceilf ((float) height * s), H);
  }
  uint8_t *c = calloc ((size_t) W * H * 3, 1);
  uint8_t *fit = nw == W && nh == H ? c : malloc ((size_t) nw * nh * 3);
  uint8_t *tmp = malloc ((size_t) nw * height * 3);
  if (!c || !fit || !tmp) {
    free (tmp);
    if (fit != c)
      free (fit);
    free (c);
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory (image %dx%d)", W, H);
  }
  g4_image_resize_bicubic (rgb, width, height, (size_t) stride, fit, nw, nh, tmp);
  free (tmp);
  if (fit != c) {
    const int ox = (W - nw) / 2, oy = (H - nh) / 2;
    for (int y = 0; y < nh; y++)
      memcpy (c + ((size_t) (y + oy) * W + ox) * 3, fit + (size_t) y * nw * 3, (size_t) nw * 3);
    free (fit);
  }
  *canvas = c;
  *out_w = W;
  *out_h = H;
  return G4_OK;
}
