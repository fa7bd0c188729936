/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_weights_repack MODEL.gguf...: binding a model's weights repacks every
 * Q4_0 / Q8_0 layer matrix g4_repack takes (and G4_REPACK=0 keeps them all
 * plain); a repacked layer matrix multiplies like the plain tensor in the
 * file to float rounding. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "hparams.h"
#include "test_util.h"
#include "weights.h"

#define TOL 1e-5
#define T 5

/* The packed and plain matrices of layer l's ffn_gate agree. */
static void
check_product (const g4_gguf *g, const g4_matrix *packed, const char *name)
{
  const g4_gguf_tensor *t = g4_gguf_find_tensor (g, name);
  CHECK (t != NULL, "%s in the file", name);
  if (t == NULL)
    return;
  g4_matrix plain = *packed;
  plain.data = t->data;
  plain.packed = false;
  const int64_t n = plain.n_in, m = plain.n_out;
  float *x = malloc (T * n * sizeof (float)), *y0 = malloc (T * m * sizeof (float)),
      *y1 = malloc (T * m * sizeof (float));
  for (int64_t i = 0; i < T * n; i++)
    x[i] = test_rng_float (-1.0f, 1.0f);
  void *scratch = malloc (g4_matmul_scratch_size (plain.type, n, T));
  g4_matmul (&plain, x, T, y0, m, scratch, 2);
  g4_matmul (packed, x, T, y1, m, scratch, 2);
  double worst = 0.0, mag = 0.0;
  for (int64_t i = 0; i < T * m; i++) {
    worst = fmax (worst, fabs ((double) y0[i] - y1[i]));
    mag = fmax (mag, fabs ((double) y0[i]));
  }
  CHECK (worst <= TOL * mag, "%s: packed vs plain differ by %.3g (max |y| %.3g)", name, worst, mag);
  free (x);
  free (y0);
  free (y1);
  free (scratch);
}

/* Binds the model's weights; returns how many layer matrices are packed,
 * after checking that every one g4_repack takes is. */
static int
bind_and_count (const char *path, bool compare)
{
  g4_error err = { 0 };
  g4_gguf *g = NULL;
  g4_hparams hp;
  g4_weights w;
  if (g4_gguf_open (path, &g, &err) || g4_hparams_load (g, &hp, &err)
      || g4_weights_bind (g, &hp, &w, &err)) {
    CHECK (0, "%s: %s", path, err.message);
    g4_gguf_close (g);
    return -1;
  }
  int packed = 0;
  for (int l = 0; l < hp.info.n_layer; l++) {
    g4_layer_weights *lw = &w.layers[l];
    const g4_matrix *all[] = { &lw->q, &lw->k, &lw->v, &lw->o, &lw->gate, &lw->up,
      &lw->down, &lw->inp_gate, &lw->proj };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
      packed += all[i]->packed;
      g4_matrix plain = *all[i];
      plain.packed = false;
      CHECK (all[i]->packed || all[i]->data == NULL || !g4_repack_supported (&plain)
          || getenv ("G4_REPACK") != NULL, "%s: layer %d matrix %zu left plain", path, l, i);
    }
  }
  if (compare && w.layers[0].gate.packed)
    check_product (g, &w.layers[0].gate, "blk.0.ffn_gate.weight");
  g4_weights_clear (&w);
  g4_hparams_clear (&hp);
  g4_gguf_close (g);
  return packed;
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    test_usage (argc, argv, 1, "MODEL.gguf...");
  test_rng_seed (7);
  for (int i = 1; i < argc; i++) {
    unsetenv ("G4_REPACK");
    const int packed = bind_and_count (argv[i], true);
    CHECK (packed > 0, "%s: no layer matrix repacked", argv[i]);
    setenv ("G4_REPACK", "0", 1);
    CHECK (bind_and_count (argv[i], false) == 0, "%s: G4_REPACK=0 still repacks", argv[i]);
    printf ("%s: %d layer matrices repacked\n", argv[i], packed);
  }
  return test_exit_status ();
}
