/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image views: frames in the caller's memory in any g4_pixel_format, read one
 * row at a time as packed RGB8 (so the resampler never copies a whole frame),
 * cropped without copying, and the YUV <-> RGB matrices (BT.601 / BT.709,
 * limited or full range) shared with the drawing code. */
#include "vision_model.h"

#define FIX_BITS 16             /* YUV -> RGB coefficients in 16.16 fixed point */

/* Byte offsets of R, G, B (and alpha, -1 when none) in a packed pixel. */
static const struct {
  int bpp, r, g, b, a;
} packed[] = {
  [G4_PIXEL_RGB] = { 3, 0, 1, 2, -1 },
  [G4_PIXEL_BGR] = { 3, 2, 1, 0, -1 },
  [G4_PIXEL_RGBA] = { 4, 0, 1, 2, 3 },
  [G4_PIXEL_BGRA] = { 4, 2, 1, 0, 3 },
  [G4_PIXEL_ARGB] = { 4, 1, 2, 3, 0 },
  [G4_PIXEL_ABGR] = { 4, 3, 2, 1, 0 },
  [G4_PIXEL_RGBX] = { 4, 0, 1, 2, -1 },
  [G4_PIXEL_BGRX] = { 4, 2, 1, 0, -1 },
  [G4_PIXEL_XRGB] = { 4, 1, 2, 3, -1 },
  [G4_PIXEL_XBGR] = { 4, 3, 2, 1, -1 },
  [G4_PIXEL_GRAY8] = { 1, 0, 0, 0, -1 },
};

bool
g4_pixel_layout (g4_pixel_format f, int *bpp, int offsets[4])
{
  if ((unsigned) f > G4_PIXEL_GRAY8)
    return false;
  *bpp = packed[f].bpp;
  offsets[0] = packed[f].r;
  offsets[1] = packed[f].g;
  offsets[2] = packed[f].b;
  offsets[3] = packed[f].a;
  return true;
}

static bool
is_420 (g4_pixel_format f)
{
  return f == G4_PIXEL_I420 || f == G4_PIXEL_NV12;
}

g4_image_view
g4_image_view_rgb (uint8_t * rgb, int width, int height, int stride)
{
  g4_image_view v = { .format = G4_PIXEL_RGB, .width = width, .height = height };
  v.planes[0] = rgb;
  v.strides[0] = stride;
  return v;
}

const char *
g4_image_view_check (const g4_image_view * img)
{
  if (!img)
    return "no image";
  if ((unsigned) img->format > G4_PIXEL_NV12)
    return "unknown pixel format";
  if (img->width < 1 || img->height < 1 || img->width > G4_IMAGE_MAX_SIDE
      || img->height > G4_IMAGE_MAX_SIDE)
    return "image size out of range";
  const int cw = (img->width + 1) / 2;
  int n_planes = 1, min_stride[3] = { 0 };
  if (img->format == G4_PIXEL_I420) {
    n_planes = 3;
    min_stride[0] = img->width;
    min_stride[1] = min_stride[2] = cw;
  } else if (img->format == G4_PIXEL_NV12) {
    n_planes = 2;
    min_stride[0] = img->width;
    min_stride[1] = 2 * cw;
  } else {
    min_stride[0] = packed[img->format].bpp * img->width;
  }
  for (int i = 0; i < n_planes; i++) {
    if (!img->planes[i])
      return "missing image plane";
    if (img->strides[i] < min_stride[i])
      return "image stride smaller than a row";
  }
  return NULL;
}

bool
g4_image_view_crop (const g4_image_view * img, int x, int y, int w, int h, g4_image_view * out)
{
  if (!img || !out || g4_image_view_check (img))
    return false;
  /* 4:2:0 chroma pairs columns and rows: the origin moves to the pair's start
   * and the size stays, so the crop is the requested size where it fits */
  if (is_420 (img->format)) {
    x &= ~1;
    y &= ~1;
  }
  int64_t x0 = x, y0 = y, x1 = (int64_t) x + w, y1 = (int64_t) y + h;
  x0 = x0 < 0 ? 0 : x0;
  y0 = y0 < 0 ? 0 : y0;
  x1 = x1 > img->width ? img->width : x1;
  y1 = y1 > img->height ? img->height : y1;
  if (w <= 0 || h <= 0 || x1 <= x0 || y1 <= y0)
    return false;
  *out = *img;
  out->width = (int) (x1 - x0);
  out->height = (int) (y1 - y0);
  const size_t cx = (size_t) x0 / 2, cy = (size_t) y0 / 2;
  switch (img->format) {
    case G4_PIXEL_I420:
      out->planes[0] += (size_t) y0 * img->strides[0] + (size_t) x0;
      out->planes[1] += cy * img->strides[1] + cx;
      out->planes[2] += cy * img->strides[2] + cx;
      break;
    case G4_PIXEL_NV12:
      out->planes[0] += (size_t) y0 * img->strides[0] + (size_t) x0;
      out->planes[1] += cy * img->strides[1] + 2 * cx;
      break;
    default:
      out->planes[0] += (size_t) y0 * img->strides[0] + (size_t) x0 * packed[img->format].bpp;
      break;
  }
  return true;
}

/* ---- YUV matrices ---- */

typedef struct {
  double kr, kb;                /* luma weights of R and B (G = 1 - kr - kb) */
  double y_off, y_range, c_range;
} yuv_matrix;

static yuv_matrix
matrix_of (const g4_image_view * img)
{
  yuv_matrix m = { img->yuv_bt709 ? 0.2126 : 0.299, img->yuv_bt709 ? 0.0722 : 0.114,
    16.0, 219.0, 224.0
  };
  if (img->yuv_full_range) {
    m.y_off = 0.0;
    m.y_range = 255.0;
    m.c_range = 255.0;
  }
  return m;
}

typedef struct {
  int32_t y_off, cy, crv, cgu, cgv, cbu;
} yuv_fix;

static yuv_fix
fix_of (const g4_image_view * img)
{
  const yuv_matrix m = matrix_of (img);
  const double kg = 1.0 - m.kr - m.kb, one = (double) (1 << FIX_BITS);
  const double ys = 255.0 / m.y_range, cs = 255.0 / m.c_range;
  const yuv_fix f = {
    (int32_t) m.y_off,
    (int32_t) (ys * one + 0.5),
    (int32_t) (2.0 * (1.0 - m.kr) * cs * one + 0.5),
    (int32_t) (2.0 * m.kb * (1.0 - m.kb) / kg * cs * one + 0.5),
    (int32_t) (2.0 * m.kr * (1.0 - m.kr) / kg * cs * one + 0.5),
    (int32_t) (2.0 * (1.0 - m.kb) * cs * one + 0.5),
  };
  return f;
}

void
g4_rgb_to_yuv (const g4_image_view * img, uint32_t rgb, uint8_t yuv[3])
{
  const yuv_matrix m = matrix_of (img);
  const double r = (rgb >> 16) & 255, g = (rgb >> 8) & 255, b = rgb & 255;
  const double y = m.kr * r + (1.0 - m.kr - m.kb) * g + m.kb * b;
  const double v[3] = {
    m.y_off + y * m.y_range / 255.0,
    128.0 + (b - y) / (2.0 * (1.0 - m.kb)) * m.c_range / 255.0,
    128.0 + (r - y) / (2.0 * (1.0 - m.kr)) * m.c_range / 255.0,
  };
  for (int i = 0; i < 3; i++)
    yuv[i] = v[i] < 0.0 ? 0 : v[i] > 255.0 ? 255 : (uint8_t) (v[i] + 0.5);
}

/* shift first, then clamp: both sides compile to conditional moves */
static uint8_t
clamp_fix (int32_t v)
{
  v = (v + (1 << (FIX_BITS - 1))) >> FIX_BITS;
  v = v < 0 ? 0 : v;
  return (uint8_t) (v > 255 ? 255 : v);
}

/* 4:2:0 chroma is upsampled by repeating each sample over its 2x2 block
 * (nearest): a row then needs one chroma row only, crops at even offsets stay
 * exact, and the encoder shrinks every frame with a bicubic filter wider than
 * the block, which averages the blocks anyway, so interpolating here would
 * cost a second chroma row per row for no visible change in the rows. */
static void
yuv_row (const yuv_fix * f, const uint8_t * Y, const uint8_t * U, const uint8_t * V, int step,
    int w, uint8_t * d)
{
  for (int x = 0; x < w; x += 2, d += 6) {
    const int32_t u = U[(x >> 1) * step] - 128, v = V[(x >> 1) * step] - 128;
    const int32_t r = f->crv * v, g = -f->cgu * u - f->cgv * v, b = f->cbu * u;
    for (int i = 0; i < 2 && x + i < w; i++) {
      const int32_t c = (int32_t) (Y[x + i] - f->y_off) * f->cy;
      d[3 * i] = clamp_fix (c + r);
      d[3 * i + 1] = clamp_fix (c + g);
      d[3 * i + 2] = clamp_fix (c + b);
    }
  }
}

/* Constant layouts so the compiler builds one loop per packed format. */
static inline void
packed_row (const uint8_t * s, int w, uint8_t * d, const int bpp, const int r, const int g,
    const int b)
{
  for (int x = 0; x < w; x++, s += bpp, d += 3) {
    d[0] = s[r];
    d[1] = s[g];
    d[2] = s[b];
  }
}

const uint8_t *
g4_image_view_row (const g4_image_view * img, int y, uint8_t * buf)
{
  const uint8_t *s = img->planes[0] + (size_t) y * img->strides[0];
  const int w = img->width;
  switch (img->format) {
    case G4_PIXEL_RGB:
      return s;
    case G4_PIXEL_I420:{
      const yuv_fix f = fix_of (img);
      yuv_row (&f, s, img->planes[1] + (size_t) (y / 2) * img->strides[1],
          img->planes[2] + (size_t) (y / 2) * img->strides[2], 1, w, buf);
      return buf;
    }
    case G4_PIXEL_NV12:{
      const yuv_fix f = fix_of (img);
      const uint8_t *uv = img->planes[1] + (size_t) (y / 2) * img->strides[1];
      yuv_row (&f, s, uv, uv + 1, 2, w, buf);
      return buf;
    }
    case G4_PIXEL_BGR:
      packed_row (s, w, buf, 3, 2, 1, 0);
      return buf;
    case G4_PIXEL_RGBA:
    case G4_PIXEL_RGBX:
      packed_row (s, w, buf, 4, 0, 1, 2);
      return buf;
    case G4_PIXEL_BGRA:
    case G4_PIXEL_BGRX:
      packed_row (s, w, buf, 4, 2, 1, 0);
      return buf;
    case G4_PIXEL_ARGB:
    case G4_PIXEL_XRGB:
      packed_row (s, w, buf, 4, 1, 2, 3);
      return buf;
    case G4_PIXEL_ABGR:
    case G4_PIXEL_XBGR:
      packed_row (s, w, buf, 4, 3, 2, 1);
      return buf;
    case G4_PIXEL_GRAY8:
    default:                   /* g4_image_view_check admits no other format */
      packed_row (s, w, buf, 1, 0, 0, 0);
      return buf;
  }
}
