/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bidirectional image attention is a property of the loaded model that
 * follows its family (per-layer embeddings or not), not its width: the
 * fixture models have widths 96 and 128, which no released model has, and
 * the E2B-like one of width 128 must stay causal where a rule keyed on the
 * width (every width but 1536 and 2560) would make it bidirectional.
 * g4_prompt_build marks image rows only for the models that attend both
 * ways, and the decoder follows g4_batch.bidirectional: an image row sees
 * the rows after it exactly when they are marked.
 * usage: test_image_attention TEXT_FIXTURE_DIR REAL_VOCAB_MODEL.gguf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemma4.h"
#include "test_util.h"

#define N_POS 8
#define IMG0 2                  /* rows IMG0 .. IMG0 + N_IMG - 1 hold an image */
#define N_IMG 4

static g4_model *
load (const char *dir, const char *name)
{
  char path[512];
  snprintf (path, sizeof path, "%s/%s", dir, name);
  g4_error err = { 0 };
  g4_model *m = NULL;
  g4_status st = g4_model_load (path, NULL, &m, &err);
  CHECK (st == G4_OK, "cannot load %s: %s", name, err.message);
  return m;
}

static bool
released_width (int d)
{
  return d == 1536 || d == 2560 || d == 2816 || d == 5376;
}

static void
check_property (const char *dir, const char *name, bool want)
{
  g4_model *m = load (dir, name);
  if (!m)
    return;
  const g4_model_info *in = g4_model_get_info (m);
  CHECK (!released_width (in->n_embd), "%s: width %d is a released model's", name, in->n_embd);
  CHECK (in->media_bidirectional == want, "%s (width %d, per-layer width %d): "
      "media_bidirectional %d, expected %d", name, in->n_embd, in->n_embd_per_layer,
      in->media_bidirectional, want);
  printf ("%s: width %d, per-layer embeddings %d: image rows attend %s\n", name, in->n_embd,
      in->n_embd_per_layer, in->media_bidirectional ? "both ways" : "causally");
  g4_model_free (m);
}

/* Logits of every position of a batch whose rows IMG0.. are one injected
 * image, marked bidirectional or not, in passes of n_batch rows (0: the
 * default); NULL when the decode fails, its message in err. */
static float *
image_logits (const g4_model * m, bool both_ways, int n_batch, g4_error * err)
{
  const g4_model_info *in = g4_model_get_info (m);
  const int d = in->n_embd, V = in->n_vocab;
  g4_token tok[N_POS];
  bool mask[N_POS], bidi[N_POS], want[N_POS];
  float *embd = calloc ((size_t) N_POS * d, sizeof *embd);
  float *logits = malloc (sizeof *logits * (size_t) N_POS * V);
  test_rng_seed (7);
  for (int i = 0; i < N_POS; i++) {
    tok[i] = (g4_token) (i * 37 + 11) % V;
    mask[i] = i >= IMG0 && i < IMG0 + N_IMG;
    bidi[i] = mask[i] && both_ways;
    want[i] = true;
    for (int j = 0; mask[i] && j < d; j++)
      embd[(size_t) i * d + j] = test_rng_float (-1.0f, 1.0f);
  }
  g4_session_params sp = g4_session_default_params ();
  sp.n_ctx = 64;
  sp.kv_type = G4_KV_F32;
  sp.n_batch = n_batch;
  g4_session *s = NULL;
  g4_batch b = {.n = N_POS,.tokens = tok,.embd = embd,.embd_mask = mask,.want_logits = want,
    .bidirectional = bidi };
  if (g4_session_new (m, &sp, &s, err) || g4_session_decode (s, &b, logits, err)) {
    free (logits);
    logits = NULL;
  }
  g4_session_free (s);
  free (embd);
  return logits;
}

/* The first image row changes when it may see the three rows after it;
 * the rows before the image never do. */
static void
check_decoder (const char *dir, const char *name)
{
  g4_model *m = load (dir, name);
  if (!m)
    return;
  const int V = g4_model_get_info (m)->n_vocab;
  g4_error err = { 0 };
  float *causal = image_logits (m, false, 0, &err), *both = image_logits (m, true, 0, &err);
  CHECK (causal && both, "%s: decode: %s", name, err.message);
  if (causal && both) {
    const double before = test_compare_f32 (both, causal, (size_t) IMG0 * V).max_abs;
    const double first = test_compare_f32 (both + (size_t) IMG0 * V,
        causal + (size_t) IMG0 * V, (size_t) V).max_abs;
    CHECK (before == 0.0, "%s: text before the image changed by %g", name, before);
    CHECK (first > 1e-4, "%s: the first image row did not see the rows after it "
        "(max |diff| %g)", name, first);
    printf ("%s: first image row changes by %.3g when marked bidirectional\n", name, first);
  }
  free (causal);
  free (both);
  g4_model_free (m);
}

/* A pass never ends inside a bidirectional image: with passes of IMG0 + 2
 * rows the first would end in the image's middle, hiding its last rows from
 * its first; the image goes whole into the next pass instead, and every
 * position equals one pass's within 1e-3 (passes of fewer than 4 rows take
 * other kernels than the float GEMM, summing in another order: ~6e-5 seen;
 * a cut image differs by ~15). An image longer than a
 * pass is refused with a message, not decoded wrong. */
static void
check_split (const char *dir, const char *name)
{
  g4_model *m = load (dir, name);
  if (!m)
    return;
  const int V = g4_model_get_info (m)->n_vocab;
  g4_error err = { 0 };
  float *whole = image_logits (m, true, 0, &err);
  float *passes = image_logits (m, true, IMG0 + 2, &err);
  CHECK (whole && passes, "%s: decode: %s", name, err.message);
  if (whole && passes) {
    const double diff = test_compare_f32 (passes, whole, (size_t) N_POS * V).max_abs;
    CHECK (diff <= 1e-3, "%s: passes of %d rows differ from one pass by %g", name,
        IMG0 + 2, diff);
    printf ("%s: passes of %d rows around a %d-row image: max |diff| %.3g\n", name,
        IMG0 + 2, N_IMG, diff);
  }
  err = (g4_error) { 0 };
  float *small = image_logits (m, true, N_IMG - 1, &err);
  CHECK (small == NULL && strstr (err.message, "one pass") != NULL,
      "%s: an image longer than the pass was not refused (%s)", name, err.message);
  free (whole);
  free (passes);
  free (small);
  g4_model_free (m);
}

/* g4_prompt_build marks exactly the image rows of a model that attends both
 * ways (the real-vocabulary fixture has no per-layer embeddings). */
static void
check_prompt (const char *path)
{
  g4_error err = { 0 };
  g4_model *m = NULL;
  if (g4_model_load (path, NULL, &m, &err)) {
    CHECK (0, "cannot load %s: %s", path, err.message);
    return;
  }
  const int d = g4_model_get_info (m)->n_embd;
  float *rows = calloc ((size_t) 3 * d, sizeof *rows);
  const g4_media media[2] = { {rows, 3, false}, {rows, 2, true} };
  g4_prompt p = { 0 };
  if (g4_prompt_build (m, "A<|image|>B<|audio|>", media, 2, &p, &err)) {
    CHECK (0, "g4_prompt_build: %s", err.message);
  } else {
    CHECK (g4_model_get_info (m)->media_bidirectional && p.bidirectional != NULL,
        "a model without per-layer embeddings got no bidirectional rows");
    int n_marked = 0, n_wrong = 0;
    for (int i = 0; p.bidirectional && i < p.n; i++) {
      n_marked += p.bidirectional[i];
      n_wrong += p.bidirectional[i] && !p.embd_mask[i];
    }
    CHECK (n_marked == 3 && n_wrong == 0, "%d rows marked (3 expected), %d outside the media",
        n_marked, n_wrong);
  }
  g4_prompt_free (&p);
  free (rows);
  g4_model_free (m);
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 2, "TEXT_FIXTURE_DIR REAL_VOCAB_MODEL.gguf");
  check_property (argv[1], "e2b-f32.gguf", false);
  check_property (argv[1], "dense-f32.gguf", true);
  check_property (argv[1], "moe-f32.gguf", true);
  check_decoder (argv[1], "dense-f32.gguf");
  check_decoder (argv[1], "e2b-f32.gguf");
  check_split (argv[1], "dense-f32.gguf");
  check_prompt (argv[2]);
  return test_exit_status ();
}
