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
  int kv_top;                   /* 1 + the last position written since the reset, cancelled passes too */
  g4_token *held;               /* [n_ctx] token of each position held, -1 for media */

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

  /* attention: g4_attention_f32's scratch, the key positions of a cache's
   * slots and each row's visible positions [lo, hi) */
  void *att_scratch;
  int32_t *att_kpos;            /* [n_ctx] */
  int32_t *att_lo, *att_hi;     /* [T] */
  g4_attention_args *att_args;  /* [T] a pass's sequences' attentions */
  void **att_scratches;         /* [T] their scratch (each sequence's att_scratch) */

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
  /* where each row of a pass comes from: several sessions' rows share one
   * pass (g4_session_decode_many), decoded in this session's buffers */
  g4_token *row_token;          /* [T] token, or the placeholder of a media row */
  const float **row_embd;       /* [T] injected media row, NULL for a token */
  int *row_pos;                 /* [T] position in its sequence */
  int *row_seq;                 /* [T] index of its sequence in the pass */
  float *logits_rows;           /* packed logits of a pass's wanted rows */
  size_t logits_cap;            /* floats allocated there */
};

/* One session's rows [row0, row0 + n) of a pass: its positions n_past.. */
typedef struct {
  g4_session *s;
  int row0, n;
} g4_pass_seq;

/* Whether b fits s: a non-empty batch of valid tokens within the context
 * (what g4_session_decode_many checks of each batch). */
g4_status g4_session_check (const g4_session * s, const g4_batch * b, g4_error * err);

/* The head of b: its positions before the first media row, at most
 * b->n - 1 (the last position is always fed, for its logits); 0 without
 * tokens. */
int g4_batch_head (const g4_batch * b);

/* Keeps the longest head of the positions s holds that equals the head of
 * b (tokens, up to the first media row, at most b->n - 1 positions) when
 * the sliding layers' rings still hold what later positions see of it, and
 * forgets the rest; returns the positions kept. */
int g4_session_keep_prefix (g4_session * s, const g4_batch * b);

/* The forward pass (docs/text-decoder.md#forward-pass) over the T rows
 * described by w's row arrays, want and span, which belong to the n_seq
 * sequences of seqs (each at its own n_past, with its own KV cache), in the
 * buffers of session w (decoder.c). Logits of the wanted rows are packed into
 * logits. The pass stops when every sequence's cancel flag is raised;
 * otherwise each sequence's n_past advances by its rows. */
g4_status g4_decoder_forward (g4_session * w, const g4_pass_seq * seqs, int n_seq, int T,
    float *logits, g4_error * err);

#endif
