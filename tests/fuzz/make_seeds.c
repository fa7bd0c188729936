/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Builds the fuzzing seed corpus with the GGUF writer: small valid files with
 * every value type, nested arrays, every tensor type, and the metadata of the
 * committed model and vocab fixtures (arrays cut to a few entries).
 * `make_seeds [--check] DIR MODEL.gguf VOCAB.gguf`; --check compares with DIR. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "kernels.h"

#define MAX_ARRAY 64

static void
fill (uint8_t * p, size_t n, unsigned seed)
{
  for (size_t k = 0; k < n; k++)
    p[k] = (uint8_t) ((k * 2654435761u + seed) >> 7);
}

static void
add_filled_tensor (g4_gguf_writer * w, const char *name, g4_type type, uint32_t n_dims,
    const int64_t * ne)
{
  const g4_type_traits *tt = g4_type_traits_get (type);
  size_t n = (size_t) (ne[0] / tt->block_size) * tt->type_size;
  for (uint32_t d = 1; d < n_dims; d++)
    n *= (size_t) ne[d];
  uint8_t *p = malloc (n);
  fill (p, n, (unsigned) type);
  g4_gguf_writer_add_tensor (w, name, type, n_dims, ne, p, n);
  free (p);
}

static g4_gguf_writer *
all_types (void)
{
  g4_gguf_writer *w = g4_gguf_writer_new ();
  g4_gguf_writer_set_alignment (w, 64);
  uint8_t v[8 * 4];
  fill (v, sizeof v, 1);
  for (int t = 0; t < G4_GGUF_TYPE_COUNT; t++) {
    if (g4_gguf_type_size (t) == 0)
      continue;
    char key[40];
    snprintf (key, sizeof key, "seed.%s", g4_gguf_type_name (t));
    g4_gguf_writer_add_scalar (w, key, t, v);
    snprintf (key, sizeof key, "seed.array.%s", g4_gguf_type_name (t));
    g4_gguf_writer_add_array (w, key, t, v, 4);
  }
  g4_gguf_writer_add_str (w, "general.architecture", "gemma4");
  const char *strs[] = { "<pad>", "", "\xe2\x96\x81the" };
  g4_gguf_writer_add_str_array (w, "seed.strings", strs, 3);
  const void *inner[] = { v, v + 4 };
  const uint64_t counts[] = { 2, 0 };
  g4_gguf_writer_add_array_of_arrays (w, "seed.nested", G4_GGUF_INT16, inner, counts, 2);
  const int64_t ne[] = { 256, 2 };
  for (uint32_t type = 0; type < G4_TYPE_COUNT; type++) {
    const g4_type_traits *tt = g4_type_traits_get (type);
    if (tt == NULL)
      continue;
    char name[40];
    snprintf (name, sizeof name, "blk.0.%s.weight", tt->name);
    add_filled_tensor (w, name, (g4_type) type, 2, ne);
  }
  return w;
}

/* The fixture's metadata, arrays cut to MAX_ARRAY entries, and a few small
 * tensors under its first tensor names. */
static g4_gguf_writer *
fixture_meta (const char *path, int n_tensors)
{
  g4_error err = { 0 };
  g4_gguf *g;
  if (g4_gguf_open (path, &g, &err)) {
    fprintf (stderr, "%s\n", err.message);
    return NULL;
  }
  g4_gguf_writer *w = g4_gguf_writer_new ();
  for (int64_t i = 0; i < g4_gguf_n_kv (g); i++) {
    g4_gguf_type et = g4_gguf_arr_type (g, i);
    const char *key = g4_gguf_key (g, i);
    if (g4_gguf_kv_type (g, i) != G4_GGUF_ARRAY || g4_gguf_arr_n (g, i) <= MAX_ARRAY
        || et == G4_GGUF_ARRAY) {
      g4_gguf_writer_copy_kv (w, g, i);
    } else if (et == G4_GGUF_STRING) {
      char *copies[MAX_ARRAY];
      for (int j = 0; j < MAX_ARRAY; j++) {
        g4_gguf_str s = g4_gguf_arr_str (g, i, (uint64_t) j);
        copies[j] = strndup (s.ptr, (size_t) s.len);
      }
      g4_gguf_writer_add_str_array (w, key, (const char *const *) copies, MAX_ARRAY);
      for (int j = 0; j < MAX_ARRAY; j++)
        free (copies[j]);
    } else {
      g4_gguf_writer_add_array (w, key, et, g4_gguf_arr_data (g, i), MAX_ARRAY);
    }
  }
  static const g4_type types[] = { G4_TYPE_F32, G4_TYPE_Q8_0, G4_TYPE_Q4_K, G4_TYPE_BF16 };
  for (int i = 0; i < n_tensors && i < g4_gguf_n_tensors (g); i++) {
    const g4_gguf_tensor *t = g4_gguf_tensor_at (g, i);
    const int64_t ne[] = { 256, 2, 1, 1 };
    add_filled_tensor (w, t->name, types[i % 4], t->n_dims ? t->n_dims : 1, ne);
  }
  g4_gguf_close (g);
  return w;
}

static int
emit (const char *dir, bool check, const char *file, g4_gguf_writer * w, int version)
{
  g4_error err = { 0 };
  uint8_t *bytes;
  size_t size;
  if (w == NULL || g4_gguf_writer_to_memory (w, &bytes, &size, &err)) {
    fprintf (stderr, "%s: %s\n", file, err.message);
    g4_gguf_writer_free (w);
    return 1;
  }
  g4_gguf_writer_free (w);
  bytes[4] = (uint8_t) version;
  char path[4096];
  snprintf (path, sizeof path, "%s/%s", dir, file);
  FILE *f = fopen (path, check ? "rb" : "wb");
  bool same = false;
  if (f && check) {
    uint8_t *old = malloc (size + 1);
    same = fread (old, 1, size + 1, f) == size && memcmp (old, bytes, size) == 0;
    free (old);
  } else if (f) {
    same = fwrite (bytes, 1, size, f) == size;
  }
  if (f && fclose (f) != 0)
    same = false;
  free (bytes);
  if (!same)
    fprintf (stderr, "%s: %s\n", path, check ? "differs from what make_seeds builds"
        : "cannot write");
  return !same;
}

int
main (int argc, char **argv)
{
  bool check = argc == 5 && strcmp (argv[1], "--check") == 0;
  if (argc != 4 && !check) {
    fprintf (stderr, "usage: %s [--check] DIR MODEL.gguf VOCAB.gguf\n", argv[0]);
    return 2;
  }
  const char *dir = argv[argc - 3], *model = argv[argc - 2], *vocab = argv[argc - 1];
  int bad = 0;
  bad += emit (dir, check, "seed-empty.gguf", g4_gguf_writer_new (), 3);
  bad += emit (dir, check, "seed-all-types.gguf", all_types (), 3);
  bad += emit (dir, check, "seed-model-meta.gguf", fixture_meta (model, 6), 3);
  bad += emit (dir, check, "seed-model-meta-v2.gguf", fixture_meta (model, 2), 2);
  bad += emit (dir, check, "seed-vocab-meta.gguf", fixture_meta (vocab, 0), 3);
  printf ("5 seeds %s, %d bad\n", check ? "checked" : "written", bad);
  return bad ? 1 : 0;
}
