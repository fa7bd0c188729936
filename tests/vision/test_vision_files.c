/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gemma4v loader and the image API on rewritten copies of the fixture
 * mmproj: a vision-only file loads with audio unsupported (and encodes the
 * same bits), the large flavour's v.std_bias / v.std_scale are applied, bad
 * files are refused with the expected status and a message naming the
 * tensor or key; token counts of both sizing rules; bad arguments and
 * cancellation.
 * usage: test_vision_files MMPROJ IMAGE.ppm */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gemma4.h"
#include "test_util.h"
#include "vision_ppm.h"

static const char *src_path;
static uint8_t *img;
static int img_w, img_h;

typedef struct {
  const char *target;           /* key or tensor the case changes */
  enum { DROP, TRANSPOSE, STR, SCALAR_2, VISION_ONLY, AUDIO_ONLY, STD, STD_BIAS_ONLY,
    NO_CLAMP } kind;
  const char *str;
} edit;

static void
add_filled (g4_gguf_writer * w, const char *name, int64_t n, float v)
{
  float *x = malloc (sizeof (float) * (size_t) n);
  for (int64_t i = 0; i < n; i++)
    x[i] = v + 0.01f * (float) (i % 7);
  const int64_t ne[1] = { n };
  g4_gguf_writer_add_tensor (w, name, G4_TYPE_F32, 1, ne, x, sizeof (float) * (size_t) n);
  free (x);
}

static test_rewrite_action
apply (g4_gguf_writer * w, const g4_gguf * g, const char *name, bool is_tensor, void *user)
{
  const edit *e = user;
  if (!name) {
    if (e->kind == STD || e->kind == STD_BIAS_ONLY)
      add_filled (w, "v.std_bias", 64, 0.25f);
    if (e->kind == STD)
      add_filled (w, "v.std_scale", 64, 1.5f);
    if (e->kind == SCALAR_2)
      add_filled (w, e->target, 2, 1.0f);
    return TEST_KEEP;
  }
  const bool audio = !strncmp (name, "a.", 2) || !strncmp (name, "mm.a.", 5)
      || !strncmp (name, "clip.audio.", 11);
  const bool vision = !strncmp (name, "v.", 2) || !strcmp (name, "mm.input_projection.weight")
      || !strncmp (name, "clip.vision.", 12) || !strcmp (name, "clip.use_gelu");
  if (e->kind == VISION_ONLY && (audio || !strcmp (name, "clip.has_audio_encoder")))
    return TEST_DROP;
  if (e->kind == AUDIO_ONLY && (vision || !strcmp (name, "clip.has_vision_encoder")))
    return TEST_DROP;
  if (e->kind == NO_CLAMP && is_tensor && !strncmp (name, "v.", 2)
      && (strstr (name, ".input_m") || strstr (name, ".output_m")))
    return TEST_DROP;
  if (!e->target || strcmp (name, e->target))
    return TEST_KEEP;
  if (e->kind == STR) {
    g4_gguf_writer_add_str (w, name, e->str);
    return TEST_REPLACE;
  }
  if (e->kind == TRANSPOSE) {
    const g4_gguf_tensor *t = g4_gguf_find_tensor (g, name);
    int64_t ne[4] = { t->ne[1], t->ne[0], t->ne[2], t->ne[3] };
    if (t->n_dims == 1) {
      ne[0] = t->ne[0] / 2;
      ne[1] = 2;
    }
    g4_gguf_writer_add_tensor (w, name, t->type, t->n_dims == 1 ? 2 : t->n_dims, ne, t->data,
        t->nbytes);
    return TEST_REPLACE;
  }
  return TEST_DROP;
}

static g4_status
load_edited (edit e, g4_mmproj ** mm, g4_error * err)
{
  char *path = test_gguf_rewrite (src_path, apply, &e);
  const g4_status st = g4_mmproj_load (path, mm, err);
  unlink (path);
  free (path);
  return st;
}

static float *
encode (const g4_mmproj * mm, int *nt)
{
  g4_error err = { 0 };
  *nt = g4_image_n_tokens (mm, img_w, img_h, G4_IMAGE_NATIVE, 0);
  if (*nt < 1)
    return NULL;
  float *out = malloc (sizeof (float) * (size_t) *nt * g4_mmproj_n_embd (mm));
  if (g4_image_encode (mm, img, img_w, img_h, 3 * img_w, G4_IMAGE_NATIVE, 0, 2, NULL, out, NULL,
          &err)) {
    printf ("encode: %s\n", err.message);
    free (out);
    return NULL;
  }
  return out;
}

static void
expect_bad (edit e, g4_status want, const char *needle)
{
  g4_mmproj *mm = NULL;
  g4_error err = { 0 };
  const g4_status st = load_edited (e, &mm, &err);
  CHECK (st == want && strstr (err.message, needle) && mm == NULL,
      "edit of '%s' (kind %d): status %s, message '%s' (expected %s mentioning '%s')",
      e.target ? e.target : "-", (int) e.kind, g4_status_name (st), err.message,
      g4_status_name (want), needle);
  g4_mmproj_free (mm);
}

static void
expect_tokens (const g4_mmproj * mm, int w, int h, g4_image_sizing s, int max, int want)
{
  const int got = g4_image_n_tokens (mm, w, h, s, max);
  CHECK (got == want, "%dx%d %s %d: %d tokens, expected %d", w, h,
      s == G4_IMAGE_NATIVE ? "native" : "budget", max, got, want);
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 2, "MMPROJ IMAGE.ppm");
  src_path = argv[1];
  g4_error err = { 0 };
  g4_mmproj *mm;
  if (g4_mmproj_load (src_path, &mm, &err) || g4_ppm_read (argv[2], &img, &img_w, &img_h, &err)) {
    printf ("FAIL: %s\n", err.message);
    return 1;
  }
  int nt;
  float *base = encode (mm, &nt);
  CHECK (base != NULL, "the fixture encodes");
  const size_t n = (size_t) nt * g4_mmproj_n_embd (mm);

  /* vision only: same bits, audio refused */
  g4_mmproj *vo = NULL;
  CHECK (!load_edited ((edit) { NULL, VISION_ONLY, NULL }, &vo, &err), "vision-only: %s", err.message);
  if (vo) {
    CHECK (g4_mmproj_has_vision (vo) && !g4_mmproj_has_audio (vo) && g4_mmproj_n_embd (vo) == 128,
        "vision-only flags");
    float pcm[1600] = { 0 };
    float row[128];
    CHECK (g4_audio_encode (vo, pcm, 1600, 1, NULL, row, &err) == G4_STATUS_INVALID_ARG,
        "audio encoding on a vision-only file");
    int nv;
    float *x = encode (vo, &nv);
    CHECK (x && base && nv == nt && !memcmp (x, base, sizeof (float) * n),
        "vision-only file encodes the same bits");
    free (x);
    g4_mmproj_free (vo);
  }
  /* audio only: vision refused */
  g4_mmproj *ao = NULL;
  CHECK (!load_edited ((edit) { NULL, AUDIO_ONLY, NULL }, &ao, &err), "audio-only: %s", err.message);
  if (ao) {
    float out[128];
    CHECK (!g4_mmproj_has_vision (ao) && g4_image_n_tokens (ao, 64, 64, G4_IMAGE_NATIVE, 0) == -1
        && g4_image_encode (ao, img, img_w, img_h, 3 * img_w, G4_IMAGE_NATIVE, 0, 1, NULL, out,
            NULL, &err) == G4_STATUS_INVALID_ARG, "image encoding on an audio-only file");
    g4_mmproj_free (ao);
  }
  /* large flavour: standardisation applied; no clamp scalars still loads */
  g4_mmproj *sm = NULL;
  CHECK (!load_edited ((edit) { NULL, STD, NULL }, &sm, &err), "std: %s", err.message);
  if (sm) {
    int ns;
    float *x = encode (sm, &ns);
    const test_diff df = x && base ? test_compare_f32 (x, base, n) : (test_diff) { 0 };
    CHECK (x && df.max_abs > 1e-3 && isfinite (df.max_abs), "v.std_* change the output (max %g)",
        df.max_abs);
    free (x);
    g4_mmproj_free (sm);
  }
  g4_mmproj *nc = NULL;
  CHECK (!load_edited ((edit) { NULL, NO_CLAMP, NULL }, &nc, &err), "no clamps: %s", err.message);
  g4_mmproj_free (nc);

  /* bad files */
  expect_bad ((edit) { "v.blk.1.attn_k.weight", DROP, NULL }, G4_STATUS_FORMAT, "v.blk.1.attn_k.weight");
  expect_bad ((edit) { "v.patch_embd.weight", DROP, NULL }, G4_STATUS_FORMAT, "v.patch_embd.weight");
  expect_bad ((edit) { "v.blk.0.ffn_down.weight", TRANSPOSE, NULL }, G4_STATUS_FORMAT, "v.blk.0.ffn_down.weight");
  expect_bad ((edit) { "v.blk.0.attn_q_norm.weight", TRANSPOSE, NULL }, G4_STATUS_FORMAT, "attn_q_norm");
  expect_bad ((edit) { "v.position_embd.weight", TRANSPOSE, NULL }, G4_STATUS_FORMAT, "v.position_embd.weight");
  expect_bad ((edit) { "clip.vision.projector_type", STR, "siglip" }, G4_STATUS_UNSUPPORTED, "siglip");
  expect_bad ((edit) { "clip.vision.patch_size", DROP, NULL }, G4_STATUS_FORMAT, "clip.vision.patch_size");
  expect_bad ((edit) { "clip.vision.image_mean", DROP, NULL }, G4_STATUS_FORMAT, "image_mean");
  expect_bad ((edit) { "v.blk.0.ffn_up.input_max", SCALAR_2, NULL }, G4_STATUS_FORMAT, "v.blk.0.ffn_up.input_max");
  expect_bad ((edit) { NULL, STD_BIAS_ONLY, NULL }, G4_STATUS_FORMAT, "std_scale");

  /* token counts (fixture: p = 4, k = 3, grid 12 px, 128 positions a side) */
  expect_tokens (mm, 160, 120, G4_IMAGE_NATIVE, 0, 130);
  expect_tokens (mm, 640, 480, G4_IMAGE_NATIVE, 0, 1064);
  expect_tokens (mm, 640, 480, G4_IMAGE_NATIVE, 200, 192);
  expect_tokens (mm, 224, 224, G4_IMAGE_NATIVE, 0, 361);
  expect_tokens (mm, 10, 10, G4_IMAGE_NATIVE, 0, 81);
  /* Hugging Face's budget rule: the count scales with the budget, not the size */
  expect_tokens (mm, 640, 480, G4_IMAGE_BUDGET, 0, 266);
  expect_tokens (mm, 640, 480, G4_IMAGE_BUDGET, 70, 63);
  expect_tokens (mm, 640, 480, G4_IMAGE_BUDGET, 1120, 1064);
  expect_tokens (mm, 160, 120, G4_IMAGE_BUDGET, 280, 266);
  expect_tokens (mm, 480, 640, G4_IMAGE_BUDGET, 140, 130);
  expect_tokens (mm, 300, 300, G4_IMAGE_BUDGET, 280, 256);
  expect_tokens (mm, 200, 10, G4_IMAGE_BUDGET, 70, 37);
  expect_tokens (mm, 3000, 100, G4_IMAGE_BUDGET, 280, -1);     /* 273 patches > 128 positions */
  expect_tokens (mm, 0, 100, G4_IMAGE_NATIVE, 0, -1);
  expect_tokens (mm, 100, 100, (g4_image_sizing) 7, 0, -1);

  /* budget mode encodes its own count */
  const int nb = g4_image_n_tokens (mm, img_w, img_h, G4_IMAGE_BUDGET, 70);
  float *bo = malloc (sizeof (float) * (size_t) nb * 128);
  int got = 0;
  err = (g4_error) { 0 };
  CHECK (!g4_image_encode (mm, img, img_w, img_h, 3 * img_w, G4_IMAGE_BUDGET, 70, 2, NULL, bo,
          &got, &err) && got == nb && isfinite (bo[0]), "budget encode: %s (%d tokens, expected %d)",
      err.message, got, nb);
  free (bo);

  /* bad arguments and cancellation */
  float *out = malloc (sizeof (float) * n);
  err = (g4_error) { 0 };       /* the first error of a g4_error is kept */
  CHECK (g4_image_encode (mm, img, img_w, img_h, 3 * img_w - 1, G4_IMAGE_NATIVE, 0, 1, NULL, out,
          NULL, &err) == G4_STATUS_INVALID_ARG && strstr (err.message, "stride"), "short stride");
  CHECK (g4_image_encode (mm, NULL, img_w, img_h, 3 * img_w, G4_IMAGE_NATIVE, 0, 1, NULL, out,
          NULL, &err) == G4_STATUS_INVALID_ARG, "NULL pixels");
  CHECK (g4_image_encode (mm, img, -5, img_h, 3 * img_w, G4_IMAGE_NATIVE, 0, 1, NULL, out, NULL,
          &err) == G4_STATUS_INVALID_ARG, "negative width");
  volatile int cancel = 1;
  CHECK (g4_image_encode (mm, img, img_w, img_h, 3 * img_w, G4_IMAGE_NATIVE, 0, 1, &cancel, out,
          NULL, &err) == G4_STATUS_CANCELLED, "cancel");
  free (out);
  printf ("vision files: %d checks, %d failed; %d tokens per image\n", test_checks, test_failures, nt);
  free (base);
  free (img);
  g4_mmproj_free (mm);
  return test_exit_status ();
}
