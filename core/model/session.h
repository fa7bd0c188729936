/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A session: the KV cache and every scratch buffer a forward pass needs,
 * allocated once at g4_session_new (nothing is allocated per token). */
#ifndef G4_SESSION_H
#define G4_SESSION_H

#include "kv_cache.h"
#include "model.h"

struct g4_session {
  const g4_model *model;
  g4_session_params p;
  g4_kv_cache kv;
  int n_past;

  /* activations of one batch, T <= p.n_batch rows each */
  float *h;                     /* [T][d] residual stream */
  float *x;                     /* [T][d] normed input of a block */
  float *q;                     /* [T][H*hd_max] */
  float *k, *v;                 /* [T][Hkv_max*hd_max] */
  float *attn;                  /* [T][H*hd_max] concatenated head outputs */
  float *y;                     /* [T][d] block output */
  float *y2;                    /* [T][d] second branch (MoE) */
  float *gate, *up;             /* [T][n_ff_max] */
  float *pli;                   /* [T][L*P] per-layer inputs */
  float *ple_ctx;               /* [T][L*P] their context part */
  float *ple_g;                 /* [T][P] */
  float *rope_cos[2], *rope_sin[2];  /* [T][n_rot/2] of full [0] and sliding [1] layers */

  /* attention: gathered queries, scores and outputs of one chunk of rows */
  float *att_q, *att_s, *att_o;
  int att_rows;                 /* rows per chunk */

  /* MoE routing of one batch */
  float *router;                /* [T][n_expert] */
  int *sel;                     /* [T][k] selected experts */
  float *sel_w;                 /* [T][k] their weights */
  int *exp_tokens;              /* [T] tokens routed to the expert being computed */
  float *exp_w;                 /* [T] their routing weights */
  float *exp_x, *exp_out;       /* [T][d] their inputs and outputs */

  void *mm_scratch;             /* g4_matmul activation quantization */
  size_t mm_scratch_size;
  float *logit_rows;            /* [T][d] normed final states of wanted positions */
  bool *want;                   /* [T] which positions of the current batch give logits */
  int *span;                    /* [T] media span of each position (-1: text) when media attends bidirectionally */
};

/* The forward pass (docs/text-decoder.md#forward-pass) over T positions at
 * n_past (decoder.c). */
g4_status g4_decoder_forward (g4_session * s, const g4_token * tokens, const float *embd,
    const bool *embd_mask, const bool *bidirectional, const bool *want, int T, float *logits,
    g4_error * err);

#endif
