/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* End to end: a chat prompt holding an image, on the E2B-like tiny model of
 * tests/tools/tiny_model.h (generated here into a temporary file), must give
 * the last position's logits the reference produced (g4ref_mm with the same
 * model, mmproj, image and prompt; tests/data/vision/README.md).
 * The reference keys bidirectional image attention on the width (every
 * width but 1536 and 2560), so it decoded this E2B-like width-128 model's
 * image rows both ways; g4_prompt_build, following the model family, does
 * not mark them, and the test asks for it through g4_batch.bidirectional.
 * Tolerance: rel_rms = rms(ours - ref) / std(ref) <= 5% and the same argmax.
 * usage: test_vision_prompt VOCAB.gguf MMPROJ IMAGE.ppm EXPECTED_LAST_LOGITS.f32 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gemma4.h"
#include "test_util.h"
#include "tiny_model.h"
#include "vision_ppm.h"

#define MAX_REL_RMS 0.05
#define MODEL_SEED 2
#define PROMPT_TEXT "<|image|>Describe this image."

static int
fail (const char *what, const char *msg)
{
  printf ("FAIL: %s: %s\n", what, msg);
  return 1;
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 4, "VOCAB.gguf MMPROJ IMAGE.ppm EXPECTED_LAST_LOGITS.f32");
  char *model_path = test_temp_file ("tiny-e2b");
  g4_error err = { 0 };
  g4_status st = model_path ? tiny_model_write (model_path, argv[1], MODEL_SEED, &err)
      : G4_STATUS_IO;
  g4_model *m = NULL;
  if (!st)
    st = g4_model_load (model_path, NULL, &m, &err);
  if (model_path)
    unlink (model_path);        /* the mapping keeps the data */
  free (model_path);
  if (st)
    return fail ("tiny model", err.message);

  g4_mmproj *mm;
  if (g4_mmproj_load (argv[2], &mm, &err))
    return fail ("mmproj", err.message);
  uint8_t *rgb;
  int w, h;
  if (g4_ppm_read (argv[3], &rgb, &w, &h, &err))
    return fail ("image", err.message);
  const int d = g4_mmproj_n_embd (mm), nt = g4_image_n_tokens (mm, w, h, G4_IMAGE_NATIVE, 0);
  if (d != g4_model_get_info (m)->n_embd || nt < 1)
    return fail ("widths", "mmproj and model widths differ, or no tokens");
  float *emb = malloc (sizeof (float) * (size_t) nt * d);
  if (g4_image_encode (mm, rgb, w, h, 3 * w, G4_IMAGE_NATIVE, 0, 2, NULL, emb, NULL, &err))
    return fail ("encode", err.message);

  g4_chat_message msg = { G4_ROLE_USER, PROMPT_TEXT };
  char text[1024];
  g4_chat_render (g4_model_template_flavor (m), &msg, 1, false, true, text, sizeof text);
  g4_media media = { emb, nt, false };
  g4_prompt p = { 0 };
  if (g4_prompt_build (m, text, &media, 1, &p, &err))
    return fail ("prompt", err.message);

  g4_session_params sp = g4_session_default_params ();
  sp.n_ctx = p.n + 8;
  sp.n_threads = 2;
  sp.kv_type = G4_KV_F16;
  g4_session *s;
  if (g4_session_new (m, &sp, &s, &err))
    return fail ("session", err.message);
  const int V = g4_model_get_info (m)->n_vocab;
  float *logits = malloc (sizeof (float) * (size_t) V);
  CHECK (!p.bidirectional && !g4_model_get_info (m)->media_bidirectional,
      "the E2B-like model's image rows are marked bidirectional");
  bool *both_ways = malloc (sizeof (bool) * (size_t) p.n);
  for (int i = 0; i < p.n; i++)
    both_ways[i] = p.embd_mask[i];
  g4_batch b = {.n = p.n,.tokens = p.tokens,.embd = p.embd,.embd_mask = p.embd_mask,
    .bidirectional = both_ways };
  if (g4_session_decode (s, &b, logits, &err))
    return fail ("decode", err.message);

  size_t n_ref;
  float *ref = test_read_f32 (argv[4], &n_ref);
  if (!ref || n_ref != (size_t) V)
    return fail ("expected logits", argv[4]);
  const test_diff df = test_compare_f32 (logits, ref, n_ref);
  const size_t am = test_argmax_f32 (logits, n_ref), am_ref = test_argmax_f32 (ref, n_ref);
  CHECK (df.rel_rms <= MAX_REL_RMS && am == am_ref,
      "last logits rel_rms %.3f%% (limit %.0f%%), argmax %zu (reference %zu)", 100 * df.rel_rms,
      100 * MAX_REL_RMS, am, am_ref);
  printf ("%s: %d positions (%d image rows), last logits rel_rms %.3f%%, max |diff| %.3g, "
      "argmax %zu (reference %zu)\n", argv[3], p.n, nt, 100 * df.rel_rms, df.max_abs, am, am_ref);
  free (ref);
  free (logits);
  free (both_ways);
  g4_session_free (s);
  g4_prompt_free (&p);
  free (emb);
  free (rgb);
  g4_mmproj_free (mm);
  g4_model_free (m);
  return test_exit_status ();
}
