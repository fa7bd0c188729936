/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Drawing on image views of any pixel format: filled rectangles clipped to the
 * frame are the one primitive (box outlines, text backgrounds and the pixels
 * of glyphs), written in the view's own format; YUV colors are converted once
 * and 4:2:0 chroma is written at half resolution over the covered blocks. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vision_model.h"

#define CELL_W (G4_FONT_W + 1)  /* a glyph and one column of spacing */
#define TEXT_H (G4_FONT_H + 2)  /* a glyph and one row of margin above and below */

/* A color ready to write into one view. */
typedef struct {
  g4_image_view *img;
  bool yuv;
  int bpp, off[4];              /* packed: bytes per pixel, offsets of R, G, B, alpha */
  uint8_t c[3];                 /* R, G, B, or Y, U, V */
} pen;

static bool
pen_init (pen * p, g4_image_view * img, uint32_t rgb)
{
  if (g4_image_view_check (img))
    return false;
  p->img = img;
  p->yuv = !g4_pixel_layout (img->format, &p->bpp, p->off);
  if (p->yuv) {
    g4_rgb_to_yuv (img, rgb, p->c);
  } else if (img->format == G4_PIXEL_GRAY8) {
    /* grey is the BT.601 luma of the color */
    const double l = 0.299 * ((rgb >> 16) & 255) + 0.587 * ((rgb >> 8) & 255)
        + 0.114 * (rgb & 255);
    p->c[0] = (uint8_t) (l + 0.5);
  } else {
    p->c[0] = (uint8_t) (rgb >> 16);
    p->c[1] = (uint8_t) (rgb >> 8);
    p->c[2] = (uint8_t) rgb;
  }
  return true;
}

static int
clamp (int64_t v, int lo, int hi)
{
  return v < lo ? lo : v > hi ? hi : (int) v;
}

/* Fills [x0, x1) x [y0, y1), clipped to the frame. */
static void
fill (const pen * p, int64_t x0, int64_t y0, int64_t x1, int64_t y1)
{
  const g4_image_view *img = p->img;
  const int cx0 = clamp (x0, 0, img->width), cx1 = clamp (x1, 0, img->width);
  const int cy0 = clamp (y0, 0, img->height), cy1 = clamp (y1, 0, img->height);
  if (cx0 >= cx1 || cy0 >= cy1)
    return;
  if (!p->yuv) {
    for (int y = cy0; y < cy1; y++) {
      uint8_t *d = img->planes[0] + (size_t) y * img->strides[0] + (size_t) cx0 * p->bpp;
      for (int x = cx0; x < cx1; x++, d += p->bpp) {
        if (p->bpp == 1) {
          d[0] = p->c[0];
          continue;
        }
        d[p->off[0]] = p->c[0];
        d[p->off[1]] = p->c[1];
        d[p->off[2]] = p->c[2];
        if (p->off[3] >= 0)
          d[p->off[3]] = 255;
      }
    }
    return;
  }
  for (int y = cy0; y < cy1; y++)
    memset (img->planes[0] + (size_t) y * img->strides[0] + cx0, p->c[0], (size_t) (cx1 - cx0));
  /* every chroma sample whose 2x2 block the rectangle touches */
  const int ux0 = cx0 / 2, ux1 = (cx1 + 1) / 2, uy0 = cy0 / 2, uy1 = (cy1 + 1) / 2;
  for (int y = uy0; y < uy1; y++) {
    if (img->format == G4_PIXEL_NV12) {
      uint8_t *d = img->planes[1] + (size_t) y * img->strides[1] + (size_t) ux0 * 2;
      for (int x = ux0; x < ux1; x++, d += 2) {
        d[0] = p->c[1];
        d[1] = p->c[2];
      }
    } else {
      memset (img->planes[1] + (size_t) y * img->strides[1] + ux0, p->c[1],
          (size_t) (ux1 - ux0));
      memset (img->planes[2] + (size_t) y * img->strides[2] + ux0, p->c[2],
          (size_t) (ux1 - ux0));
    }
  }
}

void
g4_draw_rect (g4_image_view * img, int x0, int y0, int x1, int y1, int thickness, uint32_t rgb)
{
  pen p;
  if (!pen_init (&p, img, rgb))
    return;
  /* corners inclusive, in either order; the outline grows inward */
  const int64_t l = x0 < x1 ? x0 : x1, r = (int64_t) (x0 < x1 ? x1 : x0) + 1;
  const int64_t t = y0 < y1 ? y0 : y1, b = (int64_t) (y0 < y1 ? y1 : y0) + 1;
  const int64_t k = thickness < 1 ? 1 : thickness;
  fill (&p, l, t, r, t + k < b ? t + k : b);
  fill (&p, l, b - k > t ? b - k : t, r, b);
  fill (&p, l, t, l + k < r ? l + k : r, b);
  fill (&p, r - k > l ? r - k : l, t, r, b);
}

/* The next character of UTF-8 text: printable ASCII as is, controls as
 * spaces, any other character (all its bytes) as '?'. */
static unsigned char
next_char (const char **s)
{
  const unsigned char c = (unsigned char) *(*s)++;
  if (c < 0x80)
    return c >= 0x20 && c < 0x7f ? c : ' ';
  while (((unsigned char) **s & 0xc0) == 0x80)
    (*s)++;
  return '?';
}

static int64_t
text_width (const char *text, int scale)
{
  int64_t n = 0;
  while (*text) {
    next_char (&text);
    n++;
  }
  return (n * CELL_W + 1) * scale;
}

int
g4_draw_text (g4_image_view * img, int x, int y, const char *text, int scale, uint32_t rgb,
    uint32_t background)
{
  if (!text)
    return 0;
  scale = scale < 1 ? 1 : scale > 256 ? 256 : scale;
  const int64_t w = text_width (text, scale);
  pen fg, bg;
  if (!pen_init (&fg, img, rgb) || !pen_init (&bg, img, background))
    return (int) (w > INT32_MAX ? INT32_MAX : w);
  fill (&bg, x, y, x + w, (int64_t) y + TEXT_H * scale);
  int64_t cx = (int64_t) x + scale;
  const int64_t top = (int64_t) y + scale;
  while (*text && cx < img->width) {
    const uint8_t *g = g4_font_glyph (next_char (&text));
    for (int row = 0; row < G4_FONT_H; row++)
      for (int col = 0; col < G4_FONT_W; col++)
        if (g[row] >> (G4_FONT_W - 1 - col) & 1)
          fill (&fg, cx + (int64_t) col * scale, top + (int64_t) row * scale,
              cx + (int64_t) (col + 1) * scale, top + (int64_t) (row + 1) * scale);
    cx += (int64_t) CELL_W * scale;
  }
  return (int) (w > INT32_MAX ? INT32_MAX : w);
}

/* Clearly distinct colors, bright enough to read on video. */
static const uint32_t palette[] = {
  0xff3b30, 0x34c759, 0x1e6fff, 0xffd60a, 0xff9500, 0xaf52de,
  0x32d4ff, 0xff2d96, 0xa8e61d, 0x00a896, 0xa2845e, 0xf2f2f2,
};

uint32_t
g4_label_color (const char *label)
{
  uint32_t h = 2166136261u;     /* FNV-1a */
  for (const unsigned char *s = (const unsigned char *) label; s && *s; s++)
    h = (h ^ *s) * 16777619u;
  return palette[h % (sizeof palette / sizeof palette[0])];
}

/* 0-1000 to a pixel index in [0, n - 1]. */
static int
to_pixel (float v, int n, bool end)
{
  const double p = (double) v * n / 1000.0;
  return clamp ((int64_t) (end ? ceil (p) - 1 : floor (p)), 0, n - 1);
}

void
g4_draw_text_size (const char *text, int scale, int *width, int *height)
{
  scale = scale < 1 ? 1 : scale > 256 ? 256 : scale;
  const int64_t w = text ? text_width (text, scale) : scale;
  if (width)
    *width = (int) (w > INT32_MAX ? INT32_MAX : w);
  if (height)
    *height = TEXT_H * scale;
}

void
g4_draw_auto_sizes (int width, int height, int *thickness, int *scale)
{
  const int side = width < height ? width : height;
  if (thickness)
    *thickness = side / 200 > 2 ? side / 200 : 2;
  if (scale)
    *scale = side / 360 > 1 ? side / 360 : 1;
}

void
g4_draw_label (g4_image_view * img, int x, int y, const char *text, int scale, uint32_t color)
{
  int tw, th;
  if (!text || g4_image_view_check (img))
    return;
  g4_draw_text_size (text, scale, &tw, &th);
  const int64_t tx = (int64_t) x + tw > img->width ? (int64_t) img->width - tw : x;
  const int64_t ty = y >= th ? (int64_t) y - th : y;
  const double luma = 0.299 * (color >> 16) + 0.587 * ((color >> 8) & 255)
      + 0.114 * (color & 255);
  g4_draw_text (img, tx < 0 ? 0 : (int) tx, ty < 0 ? 0 : (int) ty, text, scale,
      luma > 140.0 ? 0x000000 : 0xffffff, color);
}

void
g4_draw_detections (g4_image_view * img, const g4_detection * dets, int n)
{
  int thickness, scale;
  if (!dets || g4_image_view_check (img))
    return;
  g4_draw_auto_sizes (img->width, img->height, &thickness, &scale);
  for (int i = 0; i < n; i++) {
    const g4_detection *d = &dets[i];
    if (!isfinite (d->x_min) || !isfinite (d->y_min) || !isfinite (d->x_max)
        || !isfinite (d->y_max))
      continue;
    const int x0 = to_pixel (d->x_min, img->width, false);
    const int y0 = to_pixel (d->y_min, img->height, false);
    const int x1 = to_pixel (d->x_max, img->width, true);
    const int y1 = to_pixel (d->y_max, img->height, true);
    const uint32_t color = g4_label_color (d->label);
    g4_draw_rect (img, x0, y0, x1 < x0 ? x0 : x1, y1 < y0 ? y0 : y1, thickness, color);
    char text[96];
    if (d->confidence >= 0.0f)
      snprintf (text, sizeof text, "%.63s %d%%", d->label, (int) lroundf (d->confidence * 100));
    else
      snprintf (text, sizeof text, "%.63s", d->label);
    g4_draw_label (img, x0, y0, text, scale, color);
  }
}
