/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gemma4a audio encoder (docs/audio-encoder.md): the log-mel front end
 * (mel_spectrogram.c), the geometry and weights bound into the mapped mmproj
 * file (audio_weights.c) and the conformer (audio_encoder.c). Shapes are in
 * GGUF ne order, ne0 first. */
#ifndef G4_AUDIO_H
#define G4_AUDIO_H

#include "mmproj.h"

/* ---- log-mel front end (docs/audio-encoder.md#log-mel) ---- */

#define G4_MEL_N_FFT 512
#define G4_MEL_WINDOW 320       /* 20 ms periodic Hann */
#define G4_MEL_HOP 160          /* 10 ms */
#define G4_MEL_N_BINS (G4_MEL_N_FFT / 2 + 1)
#define G4_MEL_MAX_BANDS 256
/* Audio is encoded in independent pieces of 30 s (the reference's choice,
 * docs/audio-encoder.md#pieces). */
#define G4_AUDIO_PIECE_SAMPLES (30 * G4_AUDIO_SAMPLE_RATE)

typedef struct {
  int n_mel;
  float window[G4_MEL_WINDOW];
  float *filters;               /* [n_mel][G4_MEL_N_BINS] HTK triangles, no area normalisation */
  int *bin_lo, *bin_hi;         /* [n_mel] first and one-past-last non-zero bin */
  float cos_tab[G4_MEL_N_FFT / 2], sin_tab[G4_MEL_N_FFT / 2];  /* of 2 pi k / N */
  int bitrev[G4_MEL_N_FFT];
} g4_mel_bank;

g4_status g4_mel_init (g4_mel_bank * mb, int n_mel, g4_error * err);
void g4_mel_clear (g4_mel_bank * mb);
/* Frames of a piece of n samples (1 <= n <= 480000): (n + 160 - 321) / 160 + 1
 * with C division, at least 1 (so 1..160 samples give one frame). */
int64_t g4_mel_n_frames (int64_t n);
/* Log-mel features of one piece: out[Tf][n_mel], time-major.
 * work holds 2 * G4_MEL_N_FFT floats. */
void g4_mel_compute (const g4_mel_bank * mb, const float *x, int64_t n, float *out,
    float *work);

/* ---- weights (docs/audio-encoder.md#keys-and-tensors); optional tensors are
 * NULL / zeroed ---- */

#define G4_AUDIO_CONV_K 5       /* depthwise kernel (left padding 4 is fixed) */
#define G4_AUDIO_CHUNK 12       /* attention: self plus 11 past positions */
#define G4_AUDIO_N_REL 13       /* relative positions 12 .. 0 */

typedef struct {
  const float *ffn_norm;        /* ffn_norm.weight {D} */
  g4_mm_linear ffn_up;          /* ffn_up {D, FF} */
  g4_mm_linear ffn_down;        /* ffn_down {FF, D} */
  const float *ffn_post_norm;   /* ffn_post_norm.weight {D} */

  const float *attn_norm;       /* attn_pre_norm.weight (or ln1.weight) {D} */
  g4_mm_linear q, k, v;         /* attn_q/k/v {D, D} */
  g4_mm_linear o;               /* attn_out {D, D} */
  const float *o_bias;          /* attn_out.bias {D} */
  g4_matrix k_rel;              /* attn_k_rel {D, D}, never clamped */
  const float *per_dim_scale;   /* per_dim_scale.weight {dh}, already softplus'ed */
  const float *per_dim_k_scale; /* per_dim_k_scale.weight {dh} */
  const float *attn_post_norm;  /* attn_post_norm.weight {D} */

  /* The converter swapped these two names (tensor_mapping.py): GGUF
   * "conv_norm" is HF lconv1d.pre_layer_norm, "norm_conv" is lconv1d.conv_norm. */
  const float *conv_pre_norm;   /* conv_norm.weight {D} */
  g4_mm_linear conv_pw1;        /* conv_pw1 {D, 2D} */
  const float *conv_dw;         /* conv_dw.weight {5, D}: tap k of channel c at k + 5 c */
  const float *conv_dw_bias;    /* conv_dw.bias {D} */
  const float *conv_post_norm;  /* norm_conv.weight {D} */
  g4_mm_linear conv_pw2;        /* conv_pw2 {D, D} */

  const float *ffn_norm_1;      /* ffn_norm_1.weight {D} */
  g4_mm_linear ffn_up_1, ffn_down_1;
  const float *ffn_post_norm_1;
  const float *out_norm;        /* ln2.weight {D} */
} g4_audio_layer;

struct g4_audio_model {
  int n_mel;                    /* M, clip.audio.num_mel_bins */
  int n_embd, n_head, head_dim; /* D, H, dh (D = H dh) */
  int n_layer, n_ff;            /* L, FF */
  int c0, c1, f2;               /* SSCP channels and frequency bins after two stride-2 convs */
  int n_out;                    /* Dout, width after a.pre_encode.out */
  int n_embd_text;              /* T */

  /* SSCP convolutions {3, 3, Cin, Cout} as matrices {9 Cin, Cout}. The values
   * are rounded to F16, because the reference's conv_2d multiplies F16 copies
   * of kernel and input (docs/mmproj.md#numerics); owned. */
  g4_matrix conv[2];
  float *conv_f16_values;
  const float *conv_bias[2];    /* a.conv1d.j.bias {Cout} */
  const float *conv_norm[2];    /* a.conv1d.j.norm.weight {Cout}: LayerNorm over channels */
  g4_mm_linear input_proj;      /* a.input_projection {F2 C1, D} */
  const float *input_proj_bias; /* {D} */
  g4_audio_layer *layers;       /* [n_layer] */
  g4_mm_linear out_proj;        /* a.pre_encode.out {D, Dout} */
  const float *out_proj_bias;   /* {Dout} */
  const float *soft_emb_norm;   /* mm.a.soft_emb_norm.weight {Dout} */
  g4_mm_linear mm_proj;         /* mm.a.input_projection {Dout, T} */
  void *packed;                 /* the repacked matrices (g4_repack_matrices), or NULL */

  g4_mel_bank mel;
};

/* Reads the clip.audio.* keys and binds every tensor of the gemma4a encoder. */
g4_status g4_audio_model_load (const g4_gguf * g, g4_audio_model ** out, g4_error * err);
void g4_audio_model_free (g4_audio_model * am);

#endif
