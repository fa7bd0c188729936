/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The text decoder's tensors (docs/text-decoder.md#tensors), bound as views
 * into the mapped GGUF file after checking each one's type and shape. */
#ifndef G4_WEIGHTS_H
#define G4_WEIGHTS_H

#include "hparams.h"
#include "kernels.h"

typedef struct {
  const float *attn_norm;       /* attn_norm.weight {d} */
  g4_matrix q;                  /* attn_q {d, H*hd}, or the first rows of attn_qkv */
  g4_matrix k, v;               /* attn_k / attn_v {d, Hkv*hd}; v.data NULL: V = raw K (T3) */
  const float *q_norm, *k_norm; /* {hd} */
  g4_matrix o;                  /* attn_output {H*hd, d} */
  const float *post_attn_norm;  /* post_attention_norm.weight {d} */
  const float *ffn_norm;        /* ffn_norm.weight {d} */
  g4_matrix gate, up, down;     /* ffn_gate/up {d, n_ff}, ffn_down {n_ff, d} */
  const float *post_ffw_norm;   /* post_ffw_norm.weight {d} */
  float out_scale;              /* layer_output_scale.weight {1}, 1 if absent */

  /* MoE (26B-A4B, docs/text-decoder.md#moe) */
  bool moe;
  g4_matrix router;             /* ffn_gate_inp.weight {d, n_expert} */
  const float *router_scale;    /* ffn_gate_inp.scale {d} */
  const float *pre_ffw_norm_2, *post_ffw_norm_1, *post_ffw_norm_2;  /* {d} */
  g4_matrix exp_gate, exp_up;   /* expert 0's gate and up rows {d, n_ff_exp} */
  g4_matrix exp_down;           /* expert 0 of ffn_down_exps {n_ff_exp, d} */
  size_t exp_gate_stride, exp_up_stride, exp_down_stride;  /* bytes between experts */
  const float *exp_scale;       /* ffn_down_exps.scale {n_expert}, NULL = 1 */

  /* per-layer embeddings (E2B/E4B, docs/text-decoder.md#per-layer-embeddings) */
  g4_matrix inp_gate;           /* inp_gate.weight {d, P} */
  g4_matrix proj;               /* proj.weight {P, d} */
  const float *post_norm;       /* post_norm.weight {d} */
} g4_layer_weights;

typedef struct {
  g4_matrix token_embd;         /* {d, V}; also the LM head when output is absent */
  g4_matrix output;             /* {d, V} */
  const float *output_norm;     /* {d} */
  const float *rope_freqs;      /* {head_dim/2} frequency divisors of full layers, NULL = 1 */
  g4_matrix ple_token_embd;     /* per_layer_token_embd {P*L, V} */
  g4_matrix ple_model_proj;     /* per_layer_model_proj {d, P*L} */
  const float *ple_proj_norm;   /* per_layer_proj_norm {P} */
  g4_layer_weights *layers;     /* [n_layer] */
  void *packed;                 /* the repacked layer matrices (weights_repack.c), or NULL */
} g4_weights;

/* Binds and checks every tensor; sets hp->n_vocab from token_embd. */
g4_status g4_weights_bind (const g4_gguf * g, g4_hparams * hp, g4_weights * w, g4_error * err);
void g4_weights_clear (g4_weights * w);
/* Moves the layer matrices g4_repack takes into its layout (one buffer owned
 * by w) and gives their mapped pages back; g4_weights_bind calls it. */
g4_status g4_weights_repack (g4_weights * w, int n_layer, g4_error * err);

#endif
