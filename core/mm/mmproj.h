/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The multimodal projector file (mmproj GGUF, docs/mmproj.md): what the
 * vision and audio encoders share. The tensor binder checks presence, shape and
 * type of every tensor and reads the ClippableLinear clamp scalars; each
 * encoder binds its own tensors with it (audio: audio_weights.c). */
#ifndef G4_MMPROJ_H
#define G4_MMPROJ_H

#include "error.h"
#include "gguf.h"
#include "kernels.h"

/* ClippableLinear (docs/mmproj.md#clippable-linear):
 * y = clamp (W clamp (x, in_min, in_max), out_min, out_max); an absent bound
 * is -FLT_MAX / FLT_MAX, as in the reference. */
typedef struct {
  g4_matrix w;
  float in_min, in_max, out_min, out_max;
  bool clamp_in, clamp_out;     /* at least one bound of that side exists */
} g4_mm_linear;

/* y[T][n_out] = CL(W, x): x_clamped holds T * n_in floats when clamp_in,
 * scratch is g4_matmul's. */
void g4_mm_linear_apply (const g4_mm_linear * L, const float *x, int64_t T, float *y,
    float *x_clamped, void *scratch, int n_threads);
/* The same, computed by the members of a running team. */
void g4_mm_linear_team (const g4_thread * th, const g4_mm_linear * L, const float *x, int64_t T,
    float *y, float *x_clamped, void *scratch);

/* Binds tensors of one file, naming it in every message. */
typedef struct {
  const g4_gguf *g;
  g4_error *err;
} g4_mm_binder;

/* A weight matrix {n_in, n_out} of any type the kernels multiply, with its
 * clamp scalars <base>.input_min ... (each F32 with exactly one element).
 * An absent optional tensor leaves *out zeroed (out->w.data NULL). */
g4_status g4_mm_bind_linear (g4_mm_binder * b, const char *name, int64_t n_in,
    int64_t n_out, bool required, g4_mm_linear * out);
/* The same without clamp scalars (the reference multiplies it directly). */
g4_status g4_mm_bind_matrix (g4_mm_binder * b, const char *name, int64_t n_in,
    int64_t n_out, bool required, g4_matrix * out);
/* An F32 tensor of shape {ne0, ne1} (ne1 = 1 for vectors); NULL when absent
 * and optional. */
g4_status g4_mm_bind_f32 (g4_mm_binder * b, const char *name, int64_t ne0,
    int64_t ne1, bool required, const float **out);
/* Reads the shape of a tensor that must exist, for sizes the file defines. */
g4_status g4_mm_require (g4_mm_binder * b, const char *name, const g4_gguf_tensor ** out);

typedef struct g4_audio_model g4_audio_model;       /* audio.h */
typedef struct g4_vision_model g4_vision_model;     /* vision_model.h */

struct g4_mmproj {
  g4_gguf *gguf;
  bool has_vision;              /* gemma4v */
  int n_embd;                   /* text width: ne1 of mm.input_projection / mm.a.input_projection */
  g4_audio_model *audio;        /* NULL without an audio encoder */
  g4_vision_model *vision;      /* NULL without a vision encoder */
  g4_mmproj_info info;
};

#endif
