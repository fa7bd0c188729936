/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Repacks the decoder's layer matrices at load (g4_repack_layers): the
 * many-token GEMM and decode both read the interleaved copy (one stream per
 * group of 16 rows). */
#include <stddef.h>

#include "weights.h"

g4_status
g4_weights_repack (g4_weights *w, int n_layer, g4_error *err)
{
  /* the matrices that only g4_matmul reads (the MoE experts are addressed
   * by stride, the embeddings row by row: they stay plain) */
  static const size_t layer_matrices[] = {
    offsetof (g4_layer_weights, q), offsetof (g4_layer_weights, k),
    offsetof (g4_layer_weights, v), offsetof (g4_layer_weights, o),
    offsetof (g4_layer_weights, gate), offsetof (g4_layer_weights, up),
    offsetof (g4_layer_weights, down), offsetof (g4_layer_weights, inp_gate),
    offsetof (g4_layer_weights, proj),
  };
  return g4_repack_layers (w->layers, sizeof *w->layers, n_layer, layer_matrices,
      sizeof layer_matrices / sizeof layer_matrices[0], NULL, 0, &w->packed, err);
}
