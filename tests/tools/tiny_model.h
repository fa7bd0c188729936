/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Deterministic generator of an E2B-like Gemma 4 text model of width 128 with
 * the real Gemma 4 tokenizer (262144 tokens): per-layer embeddings, KV sharing,
 * sliding and full layers (the reference's mktiny.py 'e2b' geometry with
 * P = 32, so that the per-layer table rows, L P = 224, are whole Q8_0 blocks).
 * Embedding tables are Q8_0, layer matrices F16, norms and scalars F32. Too
 * large to commit (about 110 MB): tests write it to a temporary file. Also the
 * Q8_0 quantizer the tests use.
 *
 * The dense variant is the same model as the 26B/31B family has it: no
 * per-layer embeddings, no KV sharing, full layers without attn_v (V = K).
 * That family attends image rows bidirectionally in every implementation,
 * while the E2B-like model's width (128) makes llama.cpp and Hugging Face
 * disagree (docs/departures.md, "Image attention"). */
#ifndef G4_TEST_TINY_MODEL_H
#define G4_TEST_TINY_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "gemma4.h"

typedef enum {
  TINY_E2B,
  TINY_DENSE,
} tiny_family;

/* Writes the E2B-like model to path, copying every tokenizer.* key of vocab_path. */
g4_status tiny_model_write (const char *path, const char *vocab_path, uint64_t seed,
    g4_error * err);
/* The same for either family. */
g4_status tiny_model_write_family (const char *path, const char *vocab_path, uint64_t seed,
    tiny_family family, g4_error * err);

/* splitmix64, and an approximately N(0, 1) deviate made of four 16-bit
 * uniforms (centred, scaled to unit variance): no libm call decides a value,
 * so generated files are the same on every machine. */
uint64_t test_rng_next (uint64_t * state);
float test_rng_normal (uint64_t * state);

/* Q8_0 blocks of n values (n a multiple of 32), as ggml's quantize_row_q8_0_ref;
 * returns the bytes written (n / 32 * 34). */
size_t quantize_q8_0 (const float *x, int64_t n, void *dst);

#endif
