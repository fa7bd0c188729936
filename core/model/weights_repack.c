/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Repacks the decoder's layer matrices, at load, into the interleaved layout
 * of the many-token GEMM (g4_repack), all into one buffer, and gives the
 * mapped file's pages of each repacked matrix back, so the weights stay
 * resident once. Decode reads the repacked copy too (one stream per group of
 * 16 rows). G4_REPACK=0 in the environment keeps the plain rows (to compare
 * the paths). */
#include <stdlib.h>
#include <string.h>

#include "mapped_file.h"
#include "weights.h"

/* The matrices of layer l that only g4_matmul reads (the MoE experts are
 * addressed by stride, the embeddings row by row: they stay plain). */
static int
layer_matrices (g4_layer_weights *lw, g4_matrix **out)
{
  g4_matrix *all[] = { &lw->q, &lw->k, &lw->v, &lw->o, &lw->gate, &lw->up,
    &lw->down, &lw->inp_gate, &lw->proj };
  int n = 0;
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    if (all[i]->data != NULL && g4_repack_supported (all[i]))
      out[n++] = all[i];
  return n;
}

static size_t
aligned_64 (size_t n)
{
  return (n + 63) & ~(size_t) 63;
}

static bool
repack_enabled (void)
{
  const char *env = getenv ("G4_REPACK");
  return env == NULL || strcmp (env, "0") != 0;
}

g4_status
g4_weights_repack (g4_weights *w, int n_layer, g4_error *err)
{
  if (!repack_enabled ())
    return G4_OK;
  g4_matrix *m[16];
  size_t total = 0;
  for (int l = 0; l < n_layer; l++) {
    const int n = layer_matrices (&w->layers[l], m);
    for (int i = 0; i < n; i++)
      total += aligned_64 ((size_t) m[i]->n_out * m[i]->row_bytes);
  }
  if (total == 0)
    return G4_OK;
  uint8_t *buf = aligned_alloc (64, total);
  if (buf == NULL)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory repacking %zu bytes of weights",
        total);
  size_t off = 0;
  for (int l = 0; l < n_layer; l++) {
    const int n = layer_matrices (&w->layers[l], m);
    for (int i = 0; i < n; i++) {
      const size_t bytes = (size_t) m[i]->n_out * m[i]->row_bytes;
      const void *src = m[i]->data;
      *m[i] = g4_repack (m[i], buf + off);
      g4_mapped_release (src, bytes);
      off += aligned_64 (bytes);
    }
  }
  w->packed = buf;
  return G4_OK;
}
