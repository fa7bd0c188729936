/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Drawing on every pixel format: a box lands on the expected pixels (read back
 * through the library's RGB conversion), out-of-range boxes, text and
 * detections never write outside the planes (guard bytes before, after and in
 * the row padding), the font's glyphs are non-empty and distinct, text is as
 * wide as reported, and a label keeps its color.
 * usage: test_draw */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemma4.h"
#include "test_util.h"

#define W 90                    /* even sides: 4:2:0 blocks align with the boxes */
#define H 64
#define PAD 7                   /* row padding, guarded */
#define GUARD 64                /* guarded bytes before and after each plane */
#define GUARD_BYTE 0xa5
#define BG 0x406080             /* the frame's color before drawing */
#define YUV_LEVELS 4            /* drawn colors read back through YUV */

static const struct {
  g4_pixel_format f;
  const char *name;
} formats[] = {
  { G4_PIXEL_RGB, "RGB" }, { G4_PIXEL_BGR, "BGR" }, { G4_PIXEL_RGBA, "RGBA" },
  { G4_PIXEL_BGRA, "BGRA" }, { G4_PIXEL_ARGB, "ARGB" }, { G4_PIXEL_ABGR, "ABGR" },
  { G4_PIXEL_RGBX, "RGBX" }, { G4_PIXEL_BGRX, "BGRX" }, { G4_PIXEL_XRGB, "XRGB" },
  { G4_PIXEL_XBGR, "XBGR" }, { G4_PIXEL_GRAY8, "GRAY8" }, { G4_PIXEL_I420, "I420" },
  { G4_PIXEL_NV12, "NV12" },
};

/* A frame with guarded planes; each plane's bytes, guards included, in mem[i]. */
typedef struct {
  g4_image_view v;
  uint8_t *mem[3];
  size_t size[3];               /* plane bytes, without guards */
  int row[3];                   /* used bytes of a row, without padding */
} frame;

static void
frame_new (frame * fr, g4_pixel_format f, int w, int h, bool bt709, bool full)
{
  memset (fr, 0, sizeof *fr);
  fr->v = (g4_image_view) { .format = f, .width = w, .height = h, .yuv_bt709 = bt709,
    .yuv_full_range = full
  };
  const int cw = (w + 1) / 2, ch = (h + 1) / 2;
  int rows[3] = { h, 0, 0 };
  if (f == G4_PIXEL_I420) {
    fr->row[0] = w;
    fr->row[1] = fr->row[2] = cw;
    rows[1] = rows[2] = ch;
  } else if (f == G4_PIXEL_NV12) {
    fr->row[0] = w;
    fr->row[1] = 2 * cw;
    rows[1] = ch;
  } else {
    fr->row[0] = w * (f == G4_PIXEL_GRAY8 ? 1 : f <= G4_PIXEL_BGR ? 3 : 4);
  }
  for (int i = 0; i < 3 && rows[i]; i++) {
    fr->v.strides[i] = fr->row[i] + PAD;
    fr->size[i] = (size_t) fr->v.strides[i] * rows[i];
    fr->mem[i] = malloc (fr->size[i] + 2 * GUARD);
    memset (fr->mem[i], GUARD_BYTE, fr->size[i] + 2 * GUARD);
    fr->v.planes[i] = fr->mem[i] + GUARD;
  }
  /* the background everywhere but in the padding */
  g4_draw_rect (&fr->v, 0, 0, w - 1, h - 1, w > h ? w : h, BG);
}

static void
frame_free (frame * fr)
{
  for (int i = 0; i < 3; i++)
    free (fr->mem[i]);
}

/* Guards and padding untouched. */
static bool
guards_ok (const frame * fr)
{
  for (int i = 0; i < 3 && fr->mem[i]; i++) {
    const uint8_t *m = fr->mem[i];
    for (size_t j = 0; j < GUARD; j++)
      if (m[j] != GUARD_BYTE || m[GUARD + fr->size[i] + j] != GUARD_BYTE)
        return false;
    for (size_t j = 0; j < fr->size[i]; j++)
      if ((int) (j % (size_t) fr->v.strides[i]) >= fr->row[i] && m[GUARD + j] != GUARD_BYTE)
        return false;
  }
  return true;
}

/* The frame as packed RGB through the library's conversion. */
static uint8_t *
to_rgb (const frame * fr)
{
  uint8_t *rgb = malloc ((size_t) fr->v.width * fr->v.height * 3);
  g4_error err = { 0 };
  CHECK (!g4_image_resize (&fr->v, fr->v.width, fr->v.height, rgb, 3 * fr->v.width, &err),
      "%s", err.message);
  return rgb;
}

static uint32_t
expect (g4_pixel_format f, uint32_t c)
{
  if (f != G4_PIXEL_GRAY8)
    return c;
  const unsigned l = (unsigned) lround (0.299 * (c >> 16) + 0.587 * ((c >> 8) & 255)
      + 0.114 * (c & 255));
  return l << 16 | l << 8 | l;
}

static int
color_dist (const uint8_t * px, uint32_t c)
{
  int m = 0;
  for (int i = 0; i < 3; i++) {
    const int d = abs (px[i] - (int) ((c >> (16 - 8 * i)) & 255));
    m = d > m ? d : m;
  }
  return m;
}

/* ---- a box on every format ---- */

#define RED 0xe01010
#define BX0 10                  /* box corners (inclusive), thickness 4 */
#define BY0 8
#define BX1 41
#define BY1 31
#define BT 4

static bool
in_outline (int x, int y)
{
  const bool inside = x >= BX0 && x <= BX1 && y >= BY0 && y <= BY1;
  const bool core = x >= BX0 + BT && x <= BX1 - BT && y >= BY0 + BT && y <= BY1 - BT;
  return inside && !core;
}

static void
test_box (void)
{
  int worst = 0, n_ok = 0;
  for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
    for (int m = 0; m < (formats[i].f >= G4_PIXEL_I420 ? 4 : 1); m++) {
      frame fr;
      frame_new (&fr, formats[i].f, W, H, m & 1, m & 2);
      g4_draw_rect (&fr.v, BX1, BY1, BX0, BY0, BT, RED);  /* corners in either order */
      uint8_t *rgb = to_rgb (&fr);
      const int tol = formats[i].f >= G4_PIXEL_I420 ? YUV_LEVELS : 0;
      const uint32_t red = expect (formats[i].f, RED), bg = expect (formats[i].f, BG);
      int bad = 0, max_d = 0;
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
          const int d = color_dist (rgb + ((size_t) y * W + x) * 3, in_outline (x, y) ? red : bg);
          bad += d > tol;
          max_d = d > max_d ? d : max_d;
        }
      const bool ok = !bad && guards_ok (&fr);
      CHECK (ok, "%s matrix %d: %d pixels off (max %d levels, tolerance %d), guards %s",
          formats[i].name, m, bad, max_d, tol, guards_ok (&fr) ? "intact" : "overwritten");
      n_ok += ok;
      worst = max_d > worst ? max_d : worst;
      free (rgb);
      frame_free (&fr);
    }
  printf ("box: exact outline on 13 formats (YUV in 4 matrices) in %d cases, colors within "
      "%d levels (<= %d on YUV, 0 on packed)\n", n_ok, worst, YUV_LEVELS);
}

/* ---- clipping ---- */

static void
test_clip (void)
{
  static const int rects[][5] = {
    {-100, -100, 5000, 5000, 3}, {-50, 10, -10, 20, 2}, {80, 50, 200, 200, 5},
    {INT_MIN, INT_MIN, INT_MAX, INT_MAX, INT_MAX}, {W - 1, H - 1, W - 1, H - 1, 1},
    {W, H, W + 10, H + 10, 2}, {5, 5, 6, 6, -3}, {-1, 0, W, H - 1, 1},
  };
  g4_detection dets[] = {
    {0, 0, 1000, 1000, "edge", -1}, {-5000, -5000, 20000, 20000, "outside", 0.5f},
    {990, 990, 1000, 1000, "corner at the bottom right", 1}, {500, 500, 400, 400, "flip", -1},
    {NAN, 0, 10, 10, "nan", -1}, {0, INFINITY, 10, 10, "inf", -1},
  };
  int n_ok = 0, n = 0;
  for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
    for (int odd = 0; odd < 2; odd++, n++) {
      frame fr;
      frame_new (&fr, formats[i].f, W - odd, H - odd, false, false);
      for (size_t r = 0; r < sizeof rects / sizeof rects[0]; r++)
        g4_draw_rect (&fr.v, rects[r][0], rects[r][1], rects[r][2], rects[r][3], rects[r][4],
            0xffffff);
      g4_draw_text (&fr.v, -30, -5, "clipped at the top left", 2, 0xffffff, 0);
      g4_draw_text (&fr.v, W - 3, H - 3, "bottom right", 3, 0xffffff, 0);
      g4_draw_text (&fr.v, INT_MAX - 5, INT_MIN, "far", 1, 0xffffff, 0);
      g4_draw_text (&fr.v, 0, 0, "\xe2\x82\xac \x01 non-ASCII", 100000, 0xffffff, 0);
      g4_draw_detections (&fr.v, dets, sizeof dets / sizeof dets[0]);
      const bool ok = guards_ok (&fr);
      CHECK (ok, "%s %dx%d: drawing wrote outside the planes", formats[i].name, fr.v.width,
          fr.v.height);
      n_ok += ok;
      frame_free (&fr);
    }
  /* bad views draw nothing and do not crash */
  g4_image_view bad = { .format = G4_PIXEL_I420, .width = 10, .height = 10 };
  g4_draw_rect (&bad, 0, 0, 5, 5, 1, 0);
  CHECK (g4_draw_text (&bad, 0, 0, "ab", 1, 0, 0) == 13);
  g4_draw_detections (&bad, dets, 1);
  g4_draw_rect (NULL, 0, 0, 5, 5, 1, 0);
  CHECK (g4_draw_text (NULL, 0, 0, NULL, 1, 0, 0) == 0);
  printf ("clip: boxes, text and detections out of range on %d of %d frames (13 formats, "
      "even and odd sizes) left every guard byte intact\n", n_ok, n);
}

/* ---- text ---- */

/* The text pixels (not background) of one string drawn at scale 1 on RGB. */
static int
render (const char *s, uint8_t * rgb, int w, int h)
{
  memset (rgb, 0, (size_t) w * h * 3);
  g4_image_view v = g4_image_view_rgb (rgb, w, h, 3 * w);
  const int tw = g4_draw_text (&v, 0, 0, s, 1, 0xffffff, 0x000000);
  int n = 0;
  for (int j = 0; j < w * h; j++)
    n += rgb[3 * j] == 255;
  CHECK (tw == (int) strlen (s) * 6 + 1, "\"%s\" is %d pixels wide", s, tw);
  return n;
}

static void
test_text (void)
{
  enum { GW = 7, GH = 11 };
  uint8_t glyph[95][GW * GH * 3];
  int empty = 0, same = 0;
  for (int c = 0x20; c < 0x7f; c++) {
    const char s[2] = { (char) c, 0 };
    const int n = render (s, glyph[c - 0x20], GW, GH);
    if ((n == 0) != (c == ' ')) {
      CHECK (0, "glyph '%c' has %d pixels", c, n);
      empty++;
    }
  }
  for (int a = 0; a < 95; a++)
    for (int b = a + 1; b < 95; b++)
      if (!memcmp (glyph[a], glyph[b], sizeof glyph[a])) {
        CHECK (0, "glyphs '%c' and '%c' are the same", a + 0x20, b + 0x20);
        same++;
      }
  /* text on a frame: the glyph pixels inside the reported box, scaled */
  frame fr;
  frame_new (&fr, G4_PIXEL_BGRA, W, H, false, false);
  const int tw = g4_draw_text (&fr.v, 4, 6, "Hi!", 2, 0xffffff, 0x000000);
  uint8_t *rgb = to_rgb (&fr);
  int text = 0, box = 0, outside = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      const uint8_t *px = rgb + ((size_t) y * W + x) * 3;
      const bool in = x >= 4 && x < 4 + tw && y >= 6 && y < 6 + 22;
      text += in && color_dist (px, 0xffffff) == 0;
      box += in && color_dist (px, 0) == 0;
      outside += !in && color_dist (px, BG) != 0;
    }
  /* H: 17 pixels, i: 9, !: 6, each 2x2 at scale 2 */
  CHECK (tw == 38 && text == 4 * (17 + 9 + 6) && box == tw * 22 - text && !outside,
      "\"Hi!\": width %d, %d text and %d background pixels, %d outside", tw, text, box, outside);
  printf ("text: 94 non-empty distinct glyphs (%d empty, %d pairs equal); \"Hi!\" at scale 2: "
      "%d px wide, %d text pixels, %d background, %d outside\n", empty, same, tw, text, box,
      outside);
  free (rgb);
  frame_free (&fr);
}

/* ---- detections ---- */

static void
test_detections (void)
{
  frame fr;
  frame_new (&fr, G4_PIXEL_RGB, 200, 100, false, false);
  const g4_detection dets[] = {
    {100, 250, 900, 750, "person", -1}, {600, 50, 700, 150, "person", 0.9f},
    {300, 850, 500, 950, "car", -1},
  };
  g4_draw_detections (&fr.v, dets, 3);
  uint8_t *rgb = to_rgb (&fr);
#define PX(x, y) (rgb + ((size_t) (y) * 200 + (x)) * 3)
  /* y 100-900 of 100 rows -> 10..89, x 250-750 of 200 columns -> 50..149,
   * thickness max (2, 100 / 200) = 2 */
  const uint8_t *p = PX (50, 30);
  const uint32_t person = (uint32_t) p[0] << 16 | p[1] << 8 | p[2];
  CHECK (color_dist (PX (51, 30), person) == 0 && color_dist (PX (149, 30), person) == 0
      && color_dist (PX (148, 30), person) == 0 && color_dist (PX (100, 89), person) == 0
      && color_dist (PX (100, 88), person) == 0, "the person box is not at its pixels");
  CHECK (color_dist (PX (49, 30), BG) == 0 && color_dist (PX (52, 30), BG) == 0
      && color_dist (PX (150, 30), BG) == 0 && color_dist (PX (147, 30), BG) == 0
      && color_dist (PX (100, 90), BG) == 0 && color_dist (PX (100, 50), BG) == 0,
      "the person box spills over");
  /* the second person: x 10..29, y 60..69 */
  CHECK (color_dist (PX (10, 65), person) == 0 && color_dist (PX (29, 65), person) == 0,
      "the same label got another color");
  /* car: x 170..189, y 30..49 */
  const uint8_t *c = PX (189, 40);
  const uint32_t car = (uint32_t) c[0] << 16 | c[1] << 8 | c[2];
  CHECK (color_dist (PX (170, 40), car) == 0 && car != person && car != BG && person != BG,
      "car %06x, person %06x", car, person);
  /* the label of the first box: above its top-left corner, or inside it when
   * that does not fit (its box is 11 rows tall and the box starts at row 10:
   * rows 10..20, rows above untouched) */
  int label_px = 0, above = 0;
  for (int y = 0; y < 10; y++)
    for (int x = 50; x < 90; x++)
      above += color_dist (PX (x, y), BG) != 0;
  CHECK (above == 0, "%d pixels above the first box changed", above);
  for (int y = 10; y < 21; y++)
    for (int x = 50; x < 90; x++)
      label_px += color_dist (PX (x, y), BG) != 0;
  CHECK (label_px > 300, "the label box has %d pixels", label_px);
#undef PX
  CHECK (guards_ok (&fr));
  printf ("detections: boxes at the mapped pixels, same label same color (%06x), car %06x, "
      "label box %d pixels\n", person, car, label_px);
  free (rgb);
  frame_free (&fr);
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 0, "");
  test_box ();
  test_clip ();
  test_text ();
  test_detections ();
  return test_exit_status ();
}
