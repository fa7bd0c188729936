/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image views against the packed RGB path: every packed format encodes to the
 * same bits as RGB, YUV 4:2:0 (I420, NV12; BT.601/709, limited/full range,
 * made here from the RGB image with the standard equations) converts within a
 * few levels and encodes close to RGB, crops (odd offsets on 4:2:0) read the
 * right pixels and clip, g4_image_resample_size agrees with g4_image_n_tokens,
 * and a frame resized once to its encoder canvas (g4_image_resize_canvas)
 * encodes to the same rows in both sizing modes.
 * usage: test_image_view MMPROJ */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemma4.h"
#include "test_util.h"

#define W 101                   /* odd sides: 4:2:0 chroma has a half block */
#define H 75
#define BUDGET 70
#define ALIGN 12                /* the fixture mmproj: patch 4, 3x3 pooling */

static g4_mmproj *mm;
static int n_embd;

/* Encodes on 1 thread; the rows (malloc) and their count. */
static float *
encode_sized (const g4_image_view * v, g4_image_sizing sizing, int max_soft_tokens, int *nt)
{
  const int n = g4_image_n_tokens (mm, v->width, v->height, sizing, max_soft_tokens);
  float *out = malloc (sizeof (float) * (size_t) (n > 0 ? n : 1) * n_embd);
  g4_error err = { 0 };
  *nt = 0;
  if (g4_image_encode_view (mm, v, sizing, max_soft_tokens, 1, NULL, out, nt, &err)) {
    CHECK (0, "encode %dx%d format %d: %s", v->width, v->height, v->format, err.message);
    free (out);
    return NULL;
  }
  return out;
}

/* Budget sizing, BUDGET soft tokens. */
static float *
encode (const g4_image_view * v, int *nt)
{
  return encode_sized (v, G4_IMAGE_BUDGET, BUDGET, nt);
}

/* The view resampled to its own size: its rows as the library converts them. */
static uint8_t *
convert (const g4_image_view * v)
{
  uint8_t *rgb = malloc ((size_t) v->width * v->height * 3);
  g4_error err = { 0 };
  if (g4_image_resize (v, v->width, v->height, rgb, 3 * v->width, &err)) {
    CHECK (0, "resize format %d: %s", v->format, err.message);
    free (rgb);
    return NULL;
  }
  return rgb;
}

static bool
same_rows (const float *a, const float *b, int na, int nb)
{
  return a && b && na == nb && !memcmp (a, b, sizeof (float) * (size_t) na * n_embd);
}

/* ---- packed formats ---- */

static const struct {
  g4_pixel_format f;
  const char *name;
  int bpp, r, g, b;
} packed[] = {
  { G4_PIXEL_RGB, "RGB", 3, 0, 1, 2 }, { G4_PIXEL_BGR, "BGR", 3, 2, 1, 0 },
  { G4_PIXEL_RGBA, "RGBA", 4, 0, 1, 2 }, { G4_PIXEL_BGRA, "BGRA", 4, 2, 1, 0 },
  { G4_PIXEL_ARGB, "ARGB", 4, 1, 2, 3 }, { G4_PIXEL_ABGR, "ABGR", 4, 3, 2, 1 },
  { G4_PIXEL_RGBX, "RGBX", 4, 0, 1, 2 }, { G4_PIXEL_BGRX, "BGRX", 4, 2, 1, 0 },
  { G4_PIXEL_XRGB, "XRGB", 4, 1, 2, 3 }, { G4_PIXEL_XBGR, "XBGR", 4, 3, 2, 1 },
};

/* rgb (W x H packed) in format i with padded rows; the filler byte random. */
static g4_image_view
pack (const uint8_t * rgb, int i, uint8_t ** buf)
{
  const int bpp = packed[i].bpp, stride = bpp * W + 5;
  *buf = malloc ((size_t) stride * H);
  for (size_t j = 0; j < (size_t) stride * H; j++)
    (*buf)[j] = (uint8_t) test_rng_u32 ();
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      const uint8_t *s = rgb + ((size_t) y * W + x) * 3;
      uint8_t *d = *buf + (size_t) y * stride + (size_t) x * bpp;
      d[packed[i].r] = s[0];
      d[packed[i].g] = s[1];
      d[packed[i].b] = s[2];
    }
  g4_image_view v = { .format = packed[i].f, .width = W, .height = H };
  v.planes[0] = *buf;
  v.strides[0] = stride;
  return v;
}

static void
test_packed (const uint8_t * rgb, const float *ref, int nref)
{
  int same = 0;
  for (size_t i = 0; i < sizeof packed / sizeof packed[0]; i++) {
    uint8_t *buf;
    const g4_image_view v = pack (rgb, (int) i, &buf);
    int nt;
    float *e = encode (&v, &nt);
    uint8_t *c = convert (&v);
    const bool ok = same_rows (e, ref, nt, nref) && c && !memcmp (c, rgb, (size_t) W * H * 3);
    CHECK (ok, "%s: rows or converted pixels differ from RGB", packed[i].name);
    same += ok;
    free (c);
    free (e);
    free (buf);
  }
  /* grey: the RGB image of its values */
  uint8_t *grey = malloc ((size_t) W * H), *grey_rgb = malloc ((size_t) W * H * 3);
  for (int j = 0; j < W * H; j++)
    grey[j] = grey_rgb[3 * j] = grey_rgb[3 * j + 1] = grey_rgb[3 * j + 2] = rgb[3 * j + 1];
  g4_image_view gv = { .format = G4_PIXEL_GRAY8, .width = W, .height = H };
  gv.planes[0] = grey;
  gv.strides[0] = W;
  const g4_image_view rv = g4_image_view_rgb (grey_rgb, W, H, 3 * W);
  int n1, n2;
  float *e1 = encode (&gv, &n1), *e2 = encode (&rv, &n2);
  CHECK (same_rows (e1, e2, n1, n2), "GRAY8 rows differ from its RGB image");
  same += same_rows (e1, e2, n1, n2);
  free (e1);
  free (e2);
  free (grey);
  free (grey_rgb);
  printf ("packed: %d of %zu formats (10 packed + GRAY8) encode bit-identical to RGB "
      "(%d rows)\n", same, sizeof packed / sizeof packed[0] + 1, nref);
}

/* ---- YUV 4:2:0 ---- */

typedef struct {
  uint8_t *y, *u, *v, *uv;      /* planes: I420 u, v; NV12 uv */
  int cw, ch;
} yuv_planes;

static uint8_t
round8 (double v)
{
  return v < 0 ? 0 : v > 255 ? 255 : (uint8_t) floor (v + 0.5);
}

/* Y' = Kr R + Kg G + Kb B; Cb = (B - Y') / (2 (1 - Kb)), Cr = (R - Y') / (2 (1 - Kr));
 * limited range Y = 16 + 219 Y' / 255, C = 128 + 224 C' / 255; full range
 * Y = Y', C = 128 + C'. Chroma: the mean of the 2x2 block (1 or 2 pixels at
 * odd edges). */
static void
to_yuv (const uint8_t * rgb, bool bt709, bool full, yuv_planes * p)
{
  const double kr = bt709 ? 0.2126 : 0.299, kb = bt709 ? 0.0722 : 0.114, kg = 1.0 - kr - kb;
  const double ys = full ? 1.0 : 219.0 / 255.0, yo = full ? 0.0 : 16.0;
  const double cs = full ? 1.0 : 224.0 / 255.0;
  p->cw = (W + 1) / 2;
  p->ch = (H + 1) / 2;
  p->y = malloc ((size_t) W * H);
  p->u = malloc ((size_t) p->cw * p->ch);
  p->v = malloc ((size_t) p->cw * p->ch);
  p->uv = malloc ((size_t) p->cw * p->ch * 2);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      const uint8_t *s = rgb + ((size_t) y * W + x) * 3;
      p->y[(size_t) y * W + x] = round8 (yo + ys * (kr * s[0] + kg * s[1] + kb * s[2]));
    }
  for (int cy = 0; cy < p->ch; cy++)
    for (int cx = 0; cx < p->cw; cx++) {
      double r = 0, g = 0, b = 0;
      int n = 0;
      for (int y = 2 * cy; y < 2 * cy + 2 && y < H; y++)
        for (int x = 2 * cx; x < 2 * cx + 2 && x < W; x++, n++) {
          const uint8_t *s = rgb + ((size_t) y * W + x) * 3;
          r += s[0];
          g += s[1];
          b += s[2];
        }
      r /= n;
      g /= n;
      b /= n;
      const double l = kr * r + kg * g + kb * b;
      const size_t i = (size_t) cy * p->cw + cx;
      p->u[i] = p->uv[2 * i] = round8 (128.0 + cs * (b - l) / (2.0 * (1.0 - kb)));
      p->v[i] = p->uv[2 * i + 1] = round8 (128.0 + cs * (r - l) / (2.0 * (1.0 - kr)));
    }
}

static g4_image_view
yuv_view (yuv_planes * p, bool nv12, bool bt709, bool full)
{
  g4_image_view v = { .format = nv12 ? G4_PIXEL_NV12 : G4_PIXEL_I420, .width = W, .height = H,
    .yuv_bt709 = bt709, .yuv_full_range = full
  };
  v.planes[0] = p->y;
  v.strides[0] = W;
  if (nv12) {
    v.planes[1] = p->uv;
    v.strides[1] = 2 * p->cw;
  } else {
    v.planes[1] = p->u;
    v.planes[2] = p->v;
    v.strides[1] = v.strides[2] = p->cw;
  }
  return v;
}

static void
free_yuv (yuv_planes * p)
{
  free (p->y);
  free (p->u);
  free (p->v);
  free (p->uv);
}

#define YUV_LEVELS 3            /* per channel: quantization of Y, Cb, Cr */
#define YUV_REL_RMS 0.05        /* rows: rms difference / std of the RGB rows (the
                                 * random encoder turns 2 levels into ~0.03) */

/* Odd crops of 4:2:0 views: the origin rounds down to even and the pixels are
 * the full frame's at that origin. */
static void
test_yuv_crop (const g4_image_view * v, const uint8_t * conv)
{
  g4_image_view c;
  CHECK (g4_image_view_crop (v, 13, 7, 40, 31, &c) && c.width == 40 && c.height == 31);
  uint8_t *cc = convert (&c);
  bool ok = cc != NULL;
  for (int y = 0; ok && y < 31; y++)
    ok = !memcmp (cc + (size_t) y * 40 * 3, conv + ((size_t) (y + 6) * W + 12) * 3, 40 * 3);
  CHECK (ok, "format %d crop (13, 7) does not read the frame at (12, 6)", v->format);
  free (cc);
  /* a crop reaching the odd right and bottom edges */
  CHECK (g4_image_view_crop (v, 99, 73, 10, 10, &c) && c.width == 3 && c.height == 3);
  cc = convert (&c);
  ok = cc != NULL;
  for (int y = 0; ok && y < 3; y++)
    ok = !memcmp (cc + (size_t) y * 9, conv + ((size_t) (y + 72) * W + 98) * 3, 9);
  CHECK (ok, "format %d crop at the odd edge does not read the frame", v->format);
  free (cc);
}

static void
test_yuv (const uint8_t * rgb, const float *ref, int nref)
{
  int worst_px = 0;
  double worst_rel = 0, worst_abs = 0;
  for (int m = 0; m < 4; m++) {
    const bool bt709 = m & 1, full = m & 2;
    yuv_planes p;
    to_yuv (rgb, bt709, full, &p);
    for (int nv12 = 0; nv12 < 2; nv12++) {
      const g4_image_view v = yuv_view (&p, nv12, bt709, full);
      uint8_t *c = convert (&v);
      int max_px = 0;
      for (size_t j = 0; c && j < (size_t) W * H * 3; j++)
        max_px = abs (c[j] - rgb[j]) > max_px ? abs (c[j] - rgb[j]) : max_px;
      CHECK (c && max_px <= YUV_LEVELS, "%s %s %s: a channel is %d levels off (<= %d)",
          nv12 ? "NV12" : "I420", bt709 ? "BT.709" : "BT.601", full ? "full" : "limited",
          max_px, YUV_LEVELS);
      worst_px = max_px > worst_px ? max_px : worst_px;
      int nt;
      float *e = encode (&v, &nt);
      if (e && nt == nref) {
        const test_diff d = test_compare_f32 (e, ref, (size_t) nt * n_embd);
        CHECK (d.rel_rms <= YUV_REL_RMS, "format %d matrix %d: rel rms %.4f", v.format, m,
            d.rel_rms);
        worst_rel = d.rel_rms > worst_rel ? d.rel_rms : worst_rel;
        worst_abs = d.max_abs > worst_abs ? d.max_abs : worst_abs;
      } else {
        CHECK (0, "format %d: %d rows, RGB %d", v.format, nt, nref);
      }
      if (c)
        test_yuv_crop (&v, c);
      free (e);
      free (c);
    }
    free_yuv (&p);
  }
  printf ("yuv: I420/NV12 x BT.601/709 x limited/full: pixels within %d levels (<= %d), "
      "rows rel rms %.4f (<= %.2f), max |d| %.4f\n", worst_px, YUV_LEVELS, worst_rel,
      YUV_REL_RMS, worst_abs);
}

/* ---- crops of packed views ---- */

static void
test_crop (const uint8_t * rgb)
{
  g4_image_view full = g4_image_view_rgb ((uint8_t *) rgb, W, H, 3 * W), c;
  /* the crop encodes as a packed copy of the rectangle */
  uint8_t *copy = malloc (41 * 30 * 3);
  for (int y = 0; y < 30; y++)
    memcpy (copy + (size_t) y * 41 * 3, rgb + ((size_t) (y + 7) * W + 13) * 3, 41 * 3);
  const g4_image_view cv = g4_image_view_rgb (copy, 41, 30, 41 * 3);
  CHECK (g4_image_view_crop (&full, 13, 7, 41, 30, &c) && c.width == 41 && c.height == 30);
  int n1, n2, n3;
  float *e1 = encode (&c, &n1), *e2 = encode (&cv, &n2);
  CHECK (same_rows (e1, e2, n1, n2), "RGB crop rows differ from the copy's");
  uint8_t *bgra;
  const g4_image_view bv = pack (rgb, 3, &bgra);
  CHECK (g4_image_view_crop (&bv, 13, 7, 41, 30, &c));
  float *e3 = encode (&c, &n3);
  CHECK (same_rows (e3, e2, n3, n2), "BGRA crop rows differ from the copy's");
  free (e1);
  free (e2);
  free (e3);
  free (bgra);
  free (copy);
  /* clipping */
  CHECK (g4_image_view_crop (&full, -5, -6, 20, 20, &c) && c.width == 15 && c.height == 14
      && c.planes[0] == rgb);
  CHECK (g4_image_view_crop (&full, 90, 70, 50, 50, &c) && c.width == 11 && c.height == 5
      && c.planes[0] == rgb + ((size_t) 70 * W + 90) * 3);
  CHECK (!g4_image_view_crop (&full, W, 0, 10, 10, &c));
  CHECK (!g4_image_view_crop (&full, 0, -20, 10, 20, &c));
  CHECK (!g4_image_view_crop (&full, 5, 5, 0, 10, &c));
  CHECK (!g4_image_view_crop (&full, 5, 5, 10, -1, &c));
  CHECK (!g4_image_view_crop (&full, 2147483600, 5, 1000, 10, &c));
  CHECK (g4_image_view_crop (&full, -2147483600, 0, 2147483647, 10, &c) && c.width == 47);
  printf ("crop: RGB and BGRA crops encode as a packed copy; clipping and empty crops\n");
}

/* ---- sizes ---- */

static void
test_sizes (void)
{
  static const int sizes[][2] = { {101, 75}, {640, 480}, {480, 640}, {1920, 1080}, {300, 50},
  {1000, 1000}, {33, 1000}, {200, 10}, {1104, 528}, {1, 1}, {3000, 100}
  };
  static const int budgets[] = { 70, 140, 280, 560, 1120 };
  int n = 0;
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++)
      for (int s = 0; s < 2; s++) {
        const g4_image_sizing sz = s ? G4_IMAGE_BUDGET : G4_IMAGE_NATIVE;
        const int w = sizes[i][0], h = sizes[i][1];
        const int nt = g4_image_n_tokens (mm, w, h, sz, budgets[b]);
        int rw = 0, rh = 0;
        const bool ok = g4_image_resample_size (mm, w, h, sz, budgets[b], &rw, &rh);
        /* the canvas is on the grid, one patch of p k per soft token, and
         * is its own canvas */
        const int grid = (rw / ALIGN) * (rh / ALIGN);
        const bool fits = rw % ALIGN == 0 && rh % ALIGN == 0 && grid == nt;
        CHECK (ok == (nt >= 0) && (!ok || fits), "%dx%d %s %d: resample %d (%dx%d, "
            "%d tokens), n_tokens %d", w, h, s ? "budget" : "native", budgets[b], ok, rw, rh,
            grid, nt);
        if (ok) {
          int rw2, rh2;
          CHECK (g4_image_n_tokens (mm, rw, rh, sz, budgets[b]) == nt
              && g4_image_resample_size (mm, rw, rh, sz, budgets[b], &rw2, &rh2) && rw2 == rw
              && rh2 == rh, "%dx%d %s %d: the canvas %dx%d is not kept", w, h,
              s ? "budget" : "native", budgets[b], rw, rh);
        }
        n++;
      }
  int rw, rh;
  CHECK (!g4_image_resample_size (mm, 0, 10, G4_IMAGE_BUDGET, 70, &rw, &rh));
  CHECK (!g4_image_resample_size (NULL, 10, 10, G4_IMAGE_BUDGET, 70, &rw, &rh));
  printf ("sizes: g4_image_resample_size agrees with g4_image_n_tokens on %d cases\n", n);
}

/* A frame resized once to its canvas encodes to the frame's rows: crops of v
 * of several aspects, both modes, token limits that shrink, keep and enlarge. */
static void
test_canvas (const g4_image_view * v, const char *name)
{
  static const int crops[][2] = { {101, 75}, {96, 72}, {40, 75}, {101, 20}, {13, 9} };
  static const int limits[] = { 24, 48, 70 };
  g4_error err = { 0 };
  int n = 0, letterboxed = 0;
  for (size_t c = 0; c < sizeof crops / sizeof crops[0]; c++)
    for (int s = 0; s < 2; s++)
      for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
        const g4_image_sizing sz = s ? G4_IMAGE_BUDGET : G4_IMAGE_NATIVE;
        g4_image_view cv;
        int rw, rh, n1 = 0, n2 = 0;
        CHECK (g4_image_view_crop (v, 0, 0, crops[c][0], crops[c][1], &cv));
        if (!g4_image_resample_size (mm, cv.width, cv.height, sz, limits[l], &rw, &rh))
          continue;
        uint8_t *small = malloc ((size_t) rw * rh * 3 + 7);
        memset (small, 0x55, (size_t) rw * rh * 3 + 7);
        CHECK (!g4_image_resize_canvas (mm, &cv, sz, limits[l], small, 3 * rw, &err), "%s",
            err.message);
        letterboxed += small[0] == 0 && small[1] == 0 && small[2] == 0;
        const g4_image_view sv = g4_image_view_rgb (small, rw, rh, 3 * rw);
        float *e1 = encode_sized (&cv, sz, limits[l], &n1);
        float *e2 = encode_sized (&sv, sz, limits[l], &n2);
        double max_d = -1;
        if (e1 && e2 && n1 == n2)
          max_d = test_compare_f32 (e2, e1, (size_t) n1 * n_embd).max_abs;
        CHECK (max_d == 0.0, "%s %dx%d %s %d: canvas %dx%d rows differ, max |d| %g (%d, %d "
            "rows)", name, cv.width, cv.height, s ? "budget" : "native", limits[l], rw, rh,
            max_d, n1, n2);
        free (e1);
        free (e2);
        free (small);
        n++;
      }
  printf ("canvas: %s, %d crops x modes x limits resized once to their canvas (%d with a "
      "black corner) encode to the frame's rows, max |d| == 0\n", name, n, letterboxed);
  /* bad arguments */
  uint8_t px[3 * 64];
  CHECK (g4_image_resize (v, 8, 8, px, 3 * 8 - 1, &err) == G4_STATUS_INVALID_ARG);
  CHECK (g4_image_resize (v, 0, 8, px, 3 * 8, &err) == G4_STATUS_INVALID_ARG);
  CHECK (g4_image_resize (NULL, 8, 8, px, 3 * 8, &err) == G4_STATUS_INVALID_ARG);
  err = (g4_error) { 0 };
  CHECK (g4_image_resize_canvas (mm, v, G4_IMAGE_NATIVE, 70, px, 3, &err)
      == G4_STATUS_INVALID_ARG && strstr (err.message, "canvas"), "%s", err.message);
  CHECK (g4_image_resize_canvas (mm, v, G4_IMAGE_NATIVE, 70, NULL, 3 * 1000, &err)
      == G4_STATUS_INVALID_ARG);
  CHECK (g4_image_resize_canvas (NULL, v, G4_IMAGE_NATIVE, 70, px, 3 * 8, &err)
      == G4_STATUS_INVALID_ARG);
  CHECK (g4_image_resize_canvas (mm, NULL, G4_IMAGE_NATIVE, 70, px, 3 * 8, &err)
      == G4_STATUS_INVALID_ARG);
}

static void
test_bad_views (void)
{
  uint8_t px[64] = { 0 };
  g4_image_view v = { .format = G4_PIXEL_I420, .width = 4, .height = 4 };
  v.planes[0] = px;
  v.strides[0] = 4;
  v.planes[1] = px;
  v.strides[1] = 2;
  float out[1];
  g4_error err = { 0 };
  CHECK (g4_image_encode_view (mm, &v, G4_IMAGE_BUDGET, 70, 1, NULL, out, NULL, &err)
      == G4_STATUS_INVALID_ARG && strstr (err.message, "plane"), "%s", err.message);
  v.planes[2] = px;
  v.strides[2] = 1;
  err = (g4_error) { 0 };
  CHECK (g4_image_encode_view (mm, &v, G4_IMAGE_BUDGET, 70, 1, NULL, out, NULL, &err)
      == G4_STATUS_INVALID_ARG && strstr (err.message, "stride"), "%s", err.message);
  v.format = (g4_pixel_format) 99;
  err = (g4_error) { 0 };
  CHECK (g4_image_encode_view (mm, &v, G4_IMAGE_BUDGET, 70, 1, NULL, out, NULL, &err)
      == G4_STATUS_INVALID_ARG, "%s", err.message);
  CHECK (g4_image_encode_view (mm, NULL, G4_IMAGE_BUDGET, 70, 1, NULL, out, NULL, &err)
      == G4_STATUS_INVALID_ARG);
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 1, "MMPROJ");
  g4_error err = { 0 };
  if (g4_mmproj_load (argv[1], &mm, &err)) {
    fprintf (stderr, "%s\n", err.message);
    return 1;
  }
  n_embd = g4_mmproj_n_embd (mm);
  test_rng_seed (4);
  /* 2x2 blocks of random color plus a grey per-pixel texture: the block's
   * chroma is exact, so YUV differs from RGB by quantization only */
  uint8_t *rgb = malloc ((size_t) W * H * 3);
  uint8_t block[(H + 1) / 2][(W + 1) / 2][3];
  for (int by = 0; by < (H + 1) / 2; by++)
    for (int bx = 0; bx < (W + 1) / 2; bx++)
      for (int c = 0; c < 3; c++)
        block[by][bx][c] = (uint8_t) (40 + test_rng_u32 () % 176);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      const int grey = (int) (test_rng_u32 () % 61) - 30;
      for (int c = 0; c < 3; c++)
        rgb[((size_t) y * W + x) * 3 + c] = (uint8_t) (block[y / 2][x / 2][c] + grey);
    }
  const g4_image_view rv = g4_image_view_rgb (rgb, W, H, 3 * W);
  int nref;
  float *ref = encode (&rv, &nref);
  if (ref) {
    test_packed (rgb, ref, nref);
    test_yuv (rgb, ref, nref);
  }
  test_crop (rgb);
  test_sizes ();
  test_canvas (&rv, "RGB");
  yuv_planes p;
  to_yuv (rgb, false, false, &p);
  const g4_image_view yv = yuv_view (&p, false, false, false);
  test_canvas (&yv, "I420");
  free_yuv (&p);
  test_bad_views ();
  free (ref);
  free (rgb);
  g4_mmproj_free (mm);
  return test_exit_status ();
}
