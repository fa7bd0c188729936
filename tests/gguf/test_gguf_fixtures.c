/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Opens the committed model and vocab fixtures (written by llama.cpp's
 * gguf-py) and checks a few keys, an array of bools, a string array and the
 * shape and placement of a tensor. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "test_util.h"

static bool
str_is (g4_gguf_str s, const char *want)
{
  return s.len == strlen (want) && memcmp (s.ptr, want, s.len) == 0;
}

/* The opened file, or NULL after a failed check. */
static g4_gguf *
open_fixture (const char *path)
{
  g4_error err = { 0 };
  g4_gguf *g = NULL;
  CHECK (g4_gguf_open (path, &g, &err) == G4_OK, "%s", err.message);
  return g;
}

static void
check_model (const char *path)
{
  g4_gguf *g = open_fixture (path);
  if (g == NULL)
    return;
  g4_error err = { 0 };
  g4_gguf_str arch;
  CHECK (g4_gguf_get_str (g, "general.architecture", &arch, &err) == G4_OK);
  CHECK (str_is (arch, "gemma4"));
  uint32_t n_layer = 0;
  CHECK (g4_gguf_get_u32 (g, "gemma4.block_count", &n_layer, &err) == G4_OK);
  CHECK (n_layer == 7);

  int64_t k = g4_gguf_find_key (g, "gemma4.attention.sliding_window_pattern");
  CHECK (k >= 0);
  if (k >= 0) {
    CHECK (g4_gguf_kv_type (g, k) == G4_GGUF_ARRAY);
    CHECK (g4_gguf_arr_type (g, k) == G4_GGUF_BOOL);
    CHECK (g4_gguf_arr_n (g, k) == n_layer);
    int32_t swa[7];
    CHECK (g4_gguf_get_i32_array (g, "gemma4.attention.sliding_window_pattern", swa, 7,
            &err) == G4_OK);
    int n_swa = 0;
    for (int l = 0; l < 7; l++)
      n_swa += swa[l];
    printf ("sliding_window_pattern: %d of 7 layers sliding\n", n_swa);
    CHECK (n_swa > 0 && n_swa < 7);
  }

  const g4_gguf_tensor *t = g4_gguf_find_tensor (g, "token_embd.weight");
  CHECK (t != NULL);
  if (t) {
    printf ("token_embd.weight: %s [%" PRId64 ", %" PRId64 "] %" PRIu64 " bytes\n",
        g4_type_name (t->type), t->ne[0], t->ne[1], t->nbytes);
    CHECK (t->n_dims == 2);
    CHECK (t->type == G4_TYPE_F32);
    CHECK (t->ne[0] > 0 && t->ne[1] > 0 && t->ne[2] == 1 && t->ne[3] == 1);
    CHECK (t->nbytes == (uint64_t) (t->ne[0] * t->ne[1]) * 4);
    CHECK ((uintptr_t) t->data % g4_gguf_alignment (g) == 0);
  }
  printf ("%s: v%" PRIu32 ", %" PRId64 " kv, %" PRId64 " tensors, alignment %" PRIu64 "\n",
      g4_gguf_path (g), g4_gguf_version (g), g4_gguf_n_kv (g), g4_gguf_n_tensors (g),
      g4_gguf_alignment (g));
  g4_gguf_close (g);
}

static void
check_vocab (const char *path)
{
  g4_gguf *g = open_fixture (path);
  if (g == NULL)
    return;
  CHECK (g4_gguf_n_tensors (g) == 0);
  int64_t k = g4_gguf_find_key (g, "tokenizer.ggml.tokens");
  CHECK (k >= 0);
  if (k >= 0) {
    CHECK (g4_gguf_arr_type (g, k) == G4_GGUF_STRING);
    CHECK (g4_gguf_arr_n (g, k) == 262144);
    g4_gguf_str last = g4_gguf_arr_str (g, k, g4_gguf_arr_n (g, k) - 1);
    CHECK (last.ptr != NULL);
    printf ("tokenizer.ggml.tokens: %" PRIu64 " strings\n", g4_gguf_arr_n (g, k));
  }
  g4_gguf_close (g);
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 2, "MODEL.gguf VOCAB.gguf");
  check_model (argv[1]);
  check_vocab (argv[2]);
  return test_exit_status ();
}
