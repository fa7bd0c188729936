/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Repacks the decoder's layer matrices at load (g4_repack_matrices): the
 * many-token GEMM and decode both read the interleaved copy (one stream per
 * group of 16 rows). */
#include <stdlib.h>

#include "weights.h"

/* The matrices of each layer that only g4_matmul reads (the MoE experts are
 * addressed by stride, the embeddings row by row: they stay plain). */
#define LAYER_MATRICES 9

g4_status
g4_weights_repack (g4_weights *w, int n_layer, g4_error *err)
{
  g4_matrix **m = malloc ((size_t) n_layer * LAYER_MATRICES * sizeof *m);
  if (m == NULL)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  int n = 0;
  for (int l = 0; l < n_layer; l++) {
    g4_layer_weights *lw = &w->layers[l];
    g4_matrix *all[LAYER_MATRICES] = { &lw->q, &lw->k, &lw->v, &lw->o, &lw->gate, &lw->up,
      &lw->down, &lw->inp_gate, &lw->proj };
    for (int i = 0; i < LAYER_MATRICES; i++)
      m[n++] = all[i];
  }
  const g4_status st = g4_repack_matrices (m, n, &w->packed, err);
  free (m);
  return st;
}
