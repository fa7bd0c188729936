/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g4_image_encode_many: images of different sizes and sizing modes encoded
 * in one call give each the rows of its own call, bit for bit, whatever the
 * threads; a raised cancel flag of one item does not stop the others, all
 * raised stops the call; bad items are refused with an error.
 * usage: test_encode_many MMPROJ */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemma4.h"
#include "test_util.h"

#define N_IMG 3

static const struct {
  int w, h;
  g4_image_sizing sizing;
  int max_soft_tokens;
} shapes[N_IMG] = {
  { 101, 75, G4_IMAGE_BUDGET, 70 },
  { 160, 120, G4_IMAGE_NATIVE, 0 },
  { 48, 130, G4_IMAGE_BUDGET, 20 },
};

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 1, "MMPROJ");
  g4_error err = { 0 };
  g4_mmproj *mm;
  if (g4_mmproj_load (argv[1], &mm, &err)) {
    fprintf (stderr, "%s\n", err.message);
    return 1;
  }
  const int E = g4_mmproj_n_embd (mm);
  uint8_t *rgb[N_IMG];
  g4_image_view view[N_IMG];
  float *alone[N_IMG], *many[N_IMG];
  int n_tok[N_IMG];
  g4_image_item items[N_IMG];
  srand (7);
  for (int i = 0; i < N_IMG; i++) {
    const int w = shapes[i].w, h = shapes[i].h;
    rgb[i] = malloc ((size_t) w * h * 3);
    for (int j = 0; j < w * h * 3; j++)
      rgb[i][j] = (uint8_t) (rand () >> 7);
    view[i] = g4_image_view_rgb (rgb[i], w, h, 3 * w);
    n_tok[i] = g4_image_n_tokens (mm, w, h, shapes[i].sizing, shapes[i].max_soft_tokens);
    CHECK (n_tok[i] > 0);
    alone[i] = calloc ((size_t) n_tok[i] * E, sizeof (float));
    many[i] = calloc ((size_t) n_tok[i] * E, sizeof (float));
    int nt = 0;
    CHECK (!g4_image_encode_view (mm, &view[i], shapes[i].sizing, shapes[i].max_soft_tokens,
            1, NULL, alone[i], &nt, &err), "%s", err.message);
    CHECK (nt == n_tok[i]);
    items[i] = (g4_image_item) {.img = &view[i],.sizing = shapes[i].sizing,
      .max_soft_tokens = shapes[i].max_soft_tokens,.out = many[i] };
  }

  /* together, on 1 and 2 threads, one item's cancel flag raised */
  const volatile int raised = 1;
  for (int threads = 1; threads <= 2; threads++) {
    items[1].cancel = threads == 2 ? &raised : NULL;
    for (int i = 0; i < N_IMG; i++)
      memset (many[i], 0, sizeof (float) * (size_t) n_tok[i] * E);
    CHECK (!g4_image_encode_many (mm, items, N_IMG, threads, &err), "%s", err.message);
    for (int i = 0; i < N_IMG; i++) {
      CHECK (items[i].n_tokens == n_tok[i], "image %d: %d rows, %d expected", i,
          items[i].n_tokens, n_tok[i]);
      CHECK (!memcmp (many[i], alone[i], sizeof (float) * (size_t) n_tok[i] * E),
          "image %d encoded with the others differs from alone (%d threads)", i, threads);
    }
  }

  /* every flag raised: the call stops */
  for (int i = 0; i < N_IMG; i++)
    items[i].cancel = &raised;
  CHECK (g4_image_encode_many (mm, items, N_IMG, 2, &err) == G4_STATUS_CANCELLED);
  for (int i = 0; i < N_IMG; i++)
    items[i].cancel = NULL;

  /* bad calls */
  CHECK (g4_image_encode_many (mm, items, 0, 1, &err) == G4_STATUS_INVALID_ARG);
  items[2].out = NULL;
  CHECK (g4_image_encode_many (mm, items, N_IMG, 1, &err) == G4_STATUS_INVALID_ARG);
  items[2].out = many[2];
  g4_image_view tiny = g4_image_view_rgb (rgb[0], 0, 0, 3);
  items[2].img = &tiny;
  CHECK (g4_image_encode_many (mm, items, N_IMG, 1, &err) == G4_STATUS_INVALID_ARG,
      "an empty image is refused");
  CHECK (strlen (err.message) > 0);

  for (int i = 0; i < N_IMG; i++) {
    free (rgb[i]);
    free (alone[i]);
    free (many[i]);
  }
  g4_mmproj_free (mm);
  return test_exit_status ();
}
