/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gemma4v vision encoder (docs/vision-encoder.md): its geometry and weights
 * bound into the mapped mmproj file (vision_weights.c), the image sizing rules
 * and Pillow-compatible bicubic resampler (image_preprocess.c) and the ViT,
 * pooler and projector (vision_encoder.c). Shapes are in GGUF ne order. */
#ifndef G4_VISION_MODEL_H
#define G4_VISION_MODEL_H

#include "mmproj.h"

#define G4_VISION_ROPE_THETA 100.0f
#define G4_IMAGE_MIN_TOKENS 70      /* reference window: docs/vision-encoder.md#native-sizing */
#define G4_IMAGE_MAX_TOKENS 1120
#define G4_IMAGE_DEFAULT_BUDGET 280 /* Hugging Face's default budget */
#define G4_IMAGE_MAX_SIDE 32768     /* largest image side accepted anywhere */

typedef enum {
  G4_VISION_ACT_GELU_TANH,
  G4_VISION_ACT_SILU,
} g4_vision_act;

typedef struct {
  const float *ln1;             /* ln1.weight {D} */
  g4_mm_linear q, k, v, o;      /* attn_q/k/v {D, H dh}, attn_out {H dh, D} */
  const float *q_norm, *k_norm; /* attn_q_norm / attn_k_norm {dh} */
  const float *attn_post_norm;  /* {D} */
  const float *ln2;             /* {D} */
  g4_mm_linear gate, up, down;  /* ffn_gate/ffn_up {D, F}, ffn_down {F, D} */
  const float *ffn_post_norm;   /* {D} */
  const float *out_scale;       /* out_scale.weight {1}: scales the layer output */
} g4_vision_layer;

struct g4_vision_model {
  int n_embd, n_head, head_dim; /* D, H, dh */
  int n_layer, n_ff;            /* L, F */
  int patch;                    /* p */
  int merge;                    /* k, pooling kernel (clip.vision.projector.scale_factor, 3) */
  int n_pos;                    /* S, rows of each position table */
  int n_embd_text;              /* T */
  float eps;
  float mean[3], std[3];        /* clip.vision.image_mean / image_std */
  g4_vision_act act;

  /* v.patch_embd {p, p, 3, D} as an F32 matrix {3 p p, D} whose values are
   * rounded to F16, because the reference's conv_2d multiplies F16 copies of
   * kernel and input (docs/mmproj.md#numerics); owned. Input index
   * c p p + ky p + kx. */
  g4_matrix patch_embd;
  float *patch_f16_values;
  const float *pos_embd;        /* {D, S, 2}: x table, then y table */
  g4_vision_layer *layers;      /* [n_layer] */
  const float *std_bias, *std_scale;  /* {D}, both or neither (large models) */
  g4_mm_linear mm_proj;         /* mm.input_projection {D, T} */
  void *packed;                 /* the repacked matrices (g4_repack_matrices), or NULL */
};

/* Reads the clip.vision.* keys and binds every tensor of the gemma4v encoder. */
g4_status g4_vision_model_load (const g4_gguf * g, g4_vision_model ** out, g4_error * err);
void g4_vision_model_free (g4_vision_model * vm);

/* ---- preprocessing (docs/vision-encoder.md#sizing) ---- */

/* Encoder input size (multiples of p k) for a width x height image; false when
 * the arguments are out of range. max_soft_tokens 0 picks the mode's default. */
bool g4_image_target_size (const g4_vision_model * vm, int width, int height,
    g4_image_sizing sizing, int max_soft_tokens, int *out_w, int *out_h);

/* Pillow's Image.resize (BICUBIC) of a valid view to dst_w x dst_h packed RGB8
 * rows dst_stride apart: separable, horizontal pass first, fixed-point
 * weights; a pass whose size does not change is skipped. Source rows are
 * converted one at a time (G4_STATUS_NO_MEMORY is the only failure). */
g4_status g4_image_resample (const g4_image_view * img, uint8_t * dst, int dst_w, int dst_h,
    size_t dst_stride, g4_error * err);

/* The encoder's canvas for an image: resized to W x H (budget) or resized to
 * fit and centred on black (native), packed RGB8 W * H * 3, in the calling
 * thread's canvas scratch (scratch.h: valid until its next canvas; not to be
 * freed). */
g4_status g4_image_prepare (const g4_vision_model * vm, const g4_image_view * img,
    g4_image_sizing sizing, int max_soft_tokens, uint8_t ** canvas, int *out_w, int *out_h,
    g4_error * err);

/* ---- image views (image_view.c) ---- */

/* NULL when img can be read (known format, size within 1..G4_IMAGE_MAX_SIDE,
 * planes present, strides covering a row), else what is wrong. */
const char *g4_image_view_check (const g4_image_view * img);
/* Row y of a valid view as packed RGB8: the row itself for G4_PIXEL_RGB, else
 * converted into buf (3 width bytes), which is returned. */
const uint8_t *g4_image_view_row (const g4_image_view * img, int y, uint8_t * buf);
/* Packed and grey formats: bytes per pixel and the offsets of R, G, B and
 * alpha (-1 when none); false for YUV. */
bool g4_pixel_layout (g4_pixel_format f, int *bpp, int offsets[4]);
/* A 0xRRGGBB color in the view's YUV matrix and range. */
void g4_rgb_to_yuv (const g4_image_view * img, uint32_t rgb, uint8_t yuv[3]);

/* ---- the drawing font (font.c) ---- */

#define G4_FONT_W 5             /* glyph columns */
#define G4_FONT_H 9             /* glyph rows, descenders included */

/* The G4_FONT_H rows of character c (bit 4 the leftmost column); '?' for
 * characters outside printable ASCII. */
const uint8_t *g4_font_glyph (unsigned char c);


#endif
