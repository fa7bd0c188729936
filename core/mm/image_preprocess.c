/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image sizing and resampling for the gemma4v encoder
 * (docs/vision-encoder.md#sizing): the reference's native-size rule (float32
 * arithmetic, as there) with its black letterbox, Hugging Face's budget rule
 * (double, as Python's floats), and a bicubic resampler that reproduces
 * Pillow's Image.resize (a = -0.5 cubic, support widened when shrinking, 22-bit
 * fixed-point weights, uint8 between the two passes), which the reference
 * reimplements, reading the source through an image view one row at a time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scratch.h"
#include "vision_model.h"

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

/* Whether the reference's rule can give the grid size w x h: unscaled inside
 * the window, shrunk (floored sides, within max_px) or enlarged (ceiled sides,
 * from min_px; both can leave the window when it is narrow). */
static bool
native_output (int64_t w, int64_t h, int64_t align, int64_t min_px, int64_t max_px)
{
  if (w * h > max_px)
    return (w - align) * (h - align) < min_px;
  return w * h >= min_px || (w + align) * (h + align) > max_px;
}

/* The reference's rule: native size on the grid, scaled into the token window.
 * One departure: an image on the grid that the rule can give keeps its size,
 * so a frame resized once to its canvas (g4_image_resize_canvas) is not
 * resampled again. The reference would rescale such a canvas only when the
 * window is narrow (max_soft_tokens well under the default 1120), as scaling
 * to the window's edge overshoots it by up to a row and a column of patches. */
static void
native_size (int w, int h, int align, int min_tokens, int max_tokens, int *ow, int *oh)
{
  const int64_t min_px = (int64_t) min_tokens * align * align;
  const int64_t max_px = (int64_t) max_tokens * align * align;
  if (w % align == 0 && h % align == 0 && native_output (w, h, align, min_px, max_px)) {
    *ow = w;
    *oh = h;
    return;
  }
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
 * the image's aspect ratio within budget * k * k patches. One departure: an
 * image already on the grid (rows a, columns b of p k) keeps its size when
 * some aspect ratio maps to it, i.e. a b <= budget < (a + 1)(b + 1); Hugging
 * Face would often add a column or row because a / b is not the original
 * ratio, so a frame resized once to its encoder size (g4_image_resample_size)
 * would be resampled a second time. */
static bool
budget_size (int w, int h, int p, int k, int budget, int *ow, int *oh)
{
  const int side = p * k;
  if (w % side == 0 && h % side == 0) {
    const int64_t a = h / side, b = w / side;
    if (a * b <= budget && budget < (a + 1) * (b + 1)) {
      *ow = w;
      *oh = h;
      return true;
    }
  }
  const double max_patches = (double) budget * k * k;
  const double factor = sqrt (max_patches * p * p / ((double) h * w));
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
  if (!vm || width < 1 || height < 1 || width > G4_IMAGE_MAX_SIDE || height > G4_IMAGE_MAX_SIDE
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
  if (W < align || H < align || W > G4_IMAGE_MAX_SIDE || H > G4_IMAGE_MAX_SIDE || W / vm->patch > vm->n_pos
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

/* Fixed-point taps of one dimension: output i reads count[i] inputs from
 * first[i] with weights k[i * ksize ...]. */
typedef struct {
  int ksize;
  int *first, *count;
  int32_t *k;
} taps;

static void
taps_free (taps * t)
{
  free (t->first);
  free (t->count);
  free (t->k);
}

static bool
taps_init (taps * t, int in, int out)
{
  const double scale = (double) in / out, fscale = scale < 1.0 ? 1.0 : scale;
  const double support = 2.0 * fscale;
  const int ksize = (int) ceil (support) * 2 + 1;
  t->ksize = ksize;
  t->first = malloc (sizeof (int) * (size_t) out);
  t->count = malloc (sizeof (int) * (size_t) out);
  t->k = calloc ((size_t) out * ksize, sizeof (int32_t));
  double *w = malloc (sizeof (double) * (size_t) ksize);
  if (!t->first || !t->count || !t->k || !w) {
    free (w);
    taps_free (t);
    return false;
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
      t->k[(size_t) i * ksize + x] = (int32_t) (v * (1 << PRECISION_BITS) + (v < 0 ? -0.5 : 0.5));
    }
    t->first[i] = lo;
    t->count[i] = hi - lo;
  }
  free (w);
  return true;
}

static uint8_t
clip8 (int32_t v)
{
  v >>= PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : (uint8_t) v;
}

static void
resample_row (const uint8_t * src, const taps * t, int out_w, uint8_t * d)
{
  for (int i = 0; i < out_w; i++) {
    const int32_t *ki = t->k + (size_t) i * t->ksize;
    const uint8_t *px = src + (size_t) t->first[i] * 3;
    int32_t s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
    for (int x = 0; x < t->count[i]; x++, px += 3) {
      s0 += px[0] * ki[x];
      s1 += px[1] * ki[x];
      s2 += px[2] * ki[x];
    }
    d[3 * i] = clip8 (s0);
    d[3 * i + 1] = clip8 (s1);
    d[3 * i + 2] = clip8 (s2);
  }
}

/* The rows the vertical pass reads: source row y converted to RGB and, when
 * the width changes, resampled horizontally, held in a ring of n rows. The
 * taps of an output row are consecutive source rows that only move forward and
 * number at most the vertical ksize, so with n = ksize every source row is
 * converted and resampled once, and the frame is never copied whole. */
typedef struct {
  const g4_image_view *img;
  const taps *h;                /* NULL when the width does not change */
  int out_w, n;
  uint8_t *line;                /* one converted source row */
  uint8_t *ring;                /* n rows of out_w RGB */
  const uint8_t **rows;         /* [n] the row held in each slot, or NULL */
  int *tags;                    /* [n] its source row */
} row_cache;

static const uint8_t *
cached_row (row_cache * c, int y)
{
  const int slot = y % c->n;
  if (c->rows[slot] && c->tags[slot] == y)
    return c->rows[slot];
  uint8_t *d = c->ring + (size_t) slot * c->out_w * 3;
  if (c->h)
    resample_row (g4_image_view_row (c->img, y, c->line), c->h, c->out_w, d);
  c->tags[slot] = y;
  c->rows[slot] = c->h ? d : g4_image_view_row (c->img, y, d);
  return c->rows[slot];
}

g4_status
g4_image_resample (const g4_image_view * img, uint8_t * dst, int dst_w, int dst_h,
    size_t dst_stride, g4_error * err)
{
  const bool horizontal = dst_w != img->width, vertical = dst_h != img->height;
  const size_t n = (size_t) dst_w * 3;
  taps th = { 0 }, tv = { 0 };
  row_cache c = { .img = img, .h = horizontal ? &th : NULL, .out_w = dst_w, .n = 1 };
  bool ok = (!horizontal || taps_init (&th, img->width, dst_w))
      && (!vertical || taps_init (&tv, img->height, dst_h));
  if (vertical)
    c.n = tv.ksize < img->height ? tv.ksize : img->height;
  c.line = malloc ((size_t) img->width * 3);
  c.ring = malloc (n * c.n);
  c.rows = calloc ((size_t) c.n, sizeof (*c.rows));
  c.tags = malloc (sizeof (int) * (size_t) c.n);
  int32_t *acc = malloc (sizeof (int32_t) * n);
  ok = ok && c.line && c.ring && c.rows && c.tags && acc;
  for (int i = 0; ok && i < dst_h; i++) {
    uint8_t *d = dst + (size_t) i * dst_stride;
    if (!vertical) {
      memcpy (d, cached_row (&c, i), n);
      continue;
    }
    const int32_t *ki = tv.k + (size_t) i * tv.ksize;
    for (size_t e = 0; e < n; e++)
      acc[e] = 1 << (PRECISION_BITS - 1);
    for (int y = 0; y < tv.count[i]; y++) {
      const uint8_t *row = cached_row (&c, tv.first[i] + y);
      const int32_t wy = ki[y];
      for (size_t e = 0; e < n; e++)
        acc[e] += row[e] * wy;
    }
    for (size_t e = 0; e < n; e++)
      d[e] = clip8 (acc[e]);
  }
  free (acc);
  free (c.tags);
  free (c.rows);
  free (c.ring);
  free (c.line);
  taps_free (&th);
  taps_free (&tv);
  return ok ? G4_OK : g4_set_error (err, G4_STATUS_NO_MEMORY,
      "out of memory (resampling %dx%d to %dx%d)", img->width, img->height, dst_w, dst_h);
}

static const char *
sizing_name (g4_image_sizing sizing)
{
  return sizing == G4_IMAGE_NATIVE ? "native" : sizing == G4_IMAGE_BUDGET ? "budget" : "unknown";
}

/* The fit size inside the encoder's W x H: native keeps the aspect ratio
 * (float, as the reference), budget stretches. */
static bool
fit_size (const g4_vision_model * vm, int width, int height, g4_image_sizing sizing,
    int max_soft_tokens, int *W, int *H, int *nw, int *nh)
{
  if (!g4_image_target_size (vm, width, height, sizing, max_soft_tokens, W, H))
    return false;
  *nw = *W;
  *nh = *H;
  if (sizing == G4_IMAGE_NATIVE && (*W != width || *H != height)) {
    const float sw = (float) *W / (float) width, sh = (float) *H / (float) height;
    const float s = sw < sh ? sw : sh;
    *nw = imin ((int) ceilf ((float) width * s), *W);
    *nh = imin ((int) ceilf ((float) height * s), *H);
  }
  return true;
}

/* Writes the W x H canvas rows stride apart: img resampled to nw x nh and
 * centred on black (the letterbox; nothing when the fit fills the canvas). */
static g4_status
write_canvas (const g4_image_view * img, int W, int H, int nw, int nh, uint8_t * dst,
    size_t stride, g4_error * err)
{
  if (nw != W || nh != H)
    for (int y = 0; y < H; y++)
      memset (dst + (size_t) y * stride, 0, (size_t) W * 3);
  const size_t off = (size_t) ((H - nh) / 2) * stride + (size_t) ((W - nw) / 2) * 3;
  return g4_image_resample (img, dst + off, nw, nh, stride, err);
}

static g4_status
no_size_error (const g4_vision_model * vm, const g4_image_view * img, g4_image_sizing sizing,
    int max_soft_tokens, g4_error * err)
{
  return g4_set_error (err, G4_STATUS_INVALID_ARG,
      "image %dx%d with %s sizing and %d soft tokens: no valid encoder size (sides 1..%d, "
      "at most %d patches per side)", img->width, img->height, sizing_name (sizing),
      max_soft_tokens, G4_IMAGE_MAX_SIDE, vm->n_pos);
}

g4_status
g4_image_prepare (const g4_vision_model * vm, const g4_image_view * img, g4_image_sizing sizing,
    int max_soft_tokens, uint8_t ** canvas, int *out_w, int *out_h, g4_error * err)
{
  *canvas = NULL;
  const char *bad = g4_image_view_check (img);
  if (bad)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "image view: %s", bad);
  int W, H, nw, nh;
  if (!fit_size (vm, img->width, img->height, sizing, max_soft_tokens, &W, &H, &nw, &nh))
    return no_size_error (vm, img, sizing, max_soft_tokens, err);
  uint8_t *c = g4_scratch_get (G4_SCRATCH_CANVAS, (size_t) W * H * 3);
  if (!c)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory (image %dx%d)", W, H);
  g4_status st = write_canvas (img, W, H, nw, nh, c, (size_t) W * 3, err);
  if (st)
    return st;
  *canvas = c;
  *out_w = W;
  *out_h = H;
  return G4_OK;
}

bool
g4_image_resample_size (const g4_mmproj * mm, int width, int height, g4_image_sizing sizing,
    int max_soft_tokens, int *out_width, int *out_height)
{
  int nw, nh;
  return mm && mm->vision && out_width && out_height
      && fit_size (mm->vision, width, height, sizing, max_soft_tokens, out_width, out_height,
      &nw, &nh);
}

static bool
output_ok (const uint8_t * rgb, int out_width, int out_height, int stride)
{
  return rgb && out_width >= 1 && out_height >= 1 && out_width <= G4_IMAGE_MAX_SIDE
      && out_height <= G4_IMAGE_MAX_SIDE && stride >= 3 * out_width;
}

g4_status
g4_image_resize (const g4_image_view * img, int out_width, int out_height, uint8_t * rgb,
    int stride, g4_error * err)
{
  const char *bad = g4_image_view_check (img);
  if (bad)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "image view: %s", bad);
  if (!output_ok (rgb, out_width, out_height, stride))
    return g4_set_error (err, G4_STATUS_INVALID_ARG,
        "g4_image_resize: bad output %dx%d (stride %d, buffer %p)", out_width, out_height,
        stride, (void *) rgb);
  return g4_image_resample (img, rgb, out_width, out_height, (size_t) stride, err);
}

g4_status
g4_image_resize_canvas (const g4_mmproj * mm, const g4_image_view * img,
    g4_image_sizing sizing, int max_soft_tokens, uint8_t * rgb, int stride, g4_error * err)
{
  if (!mm || !mm->vision)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "the mmproj file has no vision encoder");
  const char *bad = g4_image_view_check (img);
  if (bad)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "image view: %s", bad);
  int W, H, nw, nh;
  if (!fit_size (mm->vision, img->width, img->height, sizing, max_soft_tokens, &W, &H, &nw,
          &nh))
    return no_size_error (mm->vision, img, sizing, max_soft_tokens, err);
  if (!output_ok (rgb, W, H, stride))
    return g4_set_error (err, G4_STATUS_INVALID_ARG,
        "g4_image_resize_canvas: bad output for the %dx%d canvas (stride %d, buffer %p)", W, H,
        stride, (void *) rgb);
  return write_canvas (img, W, H, nw, nh, rgb, (size_t) stride, err);
}
