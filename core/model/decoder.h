/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pieces of one forward pass (docs/text-decoder.md#forward-pass), shared by
 * decoder.c and the files that implement each block. All work on the session's
 * buffers and are called by every member of the pass's team (kernels/team.h):
 * each splits its work with g4_take and returns after a barrier, its output
 * complete for all. */
#ifndef G4_DECODER_H
#define G4_DECODER_H

#include "ops.h"
#include "profile.h"
#include "session.h"

/* y[T][W.n_out] = W x[T][W.n_in] */
static inline void
mm (const g4_thread * th, g4_session * s, const g4_matrix * W, const float *x, int T, float *y)
{
  g4_matmul_team (th, "matmul", W, x, T, y, W->n_out, s->mm_scratch);
}

/* Row t of x quantized for W's products by the member that just computed
 * it (still in its cache): a norm or GeGLU fused with the quantization of
 * the next product's input. */
static inline void
mm_prepare_row (g4_session * s, const g4_matrix * W, const float *x_row, int t, int T)
{
  g4_matmul_quantize_row (W->type, x_row, W->n_in, t, T, s->mm_scratch);
}

/* y = W x, with x's rows already quantized for the weights of type
 * prepared (mm_prepare_row on every row, or an earlier product on the same
 * x) when W's activations are the same, else quantized here; returns the
 * type x is now prepared for. G4_TYPE_COUNT: nothing prepared. */
static inline g4_type
mm_q (const g4_thread * th, g4_session * s, const g4_matrix * W, g4_type prepared,
    const float *x, int T, float *y)
{
  if (prepared != G4_TYPE_COUNT && g4_matmul_same_act (W->type, prepared)) {
    g4_matmul_quantized_team (th, "matmul", W, x, T, y, W->n_out, s->mm_scratch);
    return prepared;
  }
  mm (th, s, W, x, T, y);
  return g4_matmul_same_act (W->type, W->type) ? W->type : prepared;
}

/* decoder.c: h += rmsnorm (y; w) on each of the T rows, the sandwich
 * post-norm and residual add that ends every block; then, when next_norm
 * is given, x = rmsnorm (h; next_norm) of each row, and when next is given,
 * x (or h without next_norm) quantized for next's products (the next
 * block's first steps, fused). */
void g4_norm_add (const g4_thread * th, g4_session * s, float *y, const float *w, int T,
    const float *next_norm, const g4_matrix * next);

/* rope.c (docs/text-decoder.md#rope): cos/sin of positions pos[0..T) for a
 * rotary width n_rot, base theta and optional per-pair frequency divisors (rows
 * shared by the team); then rotation of n_heads heads of one row (NEOX pairing
 * (i, i + n_rot/2)). */
void g4_rope_table (const g4_thread * th, float *cos_t, float *sin_t, const int *pos, int T,
    int n_rot, float theta, const float *freq_div);
void g4_rope_rotate (float *x, int n_heads, int hd, int n_rot, const float *cos_t,
    const float *sin_t);

/* attention.c (docs/text-decoder.md#attention): y = attn(attn_norm(h)), each
 * sequence of seqs attending to its own KV cache (the caller's g4_norm_add
 * then adds post_norm(y) to h). */
void g4_attention_block (const g4_thread * th, g4_session * s, const g4_pass_seq * seqs,
    int n_seq, int l, int T);

/* feed_forward.c (docs/text-decoder.md#feed-forward): out = down(gelu(gate u) * up u),
 * u's rows already quantized for gate's products unless prepared is
 * G4_TYPE_COUNT (mm_q). */
void g4_feed_forward (const g4_thread * th, g4_session * s, const g4_matrix * gate,
    const g4_matrix * up, const g4_matrix * down, const float *u, g4_type prepared, int T,
    float *out);
/* moe.c (docs/text-decoder.md#moe): out = expert mixture of h_a, before
 * post_ffw_norm_2. */
void g4_moe (const g4_thread * th, g4_session * s, const g4_layer_weights * lw,
    const float *h_a, int T, float *out);

/* per_layer_embedding.c (docs/text-decoder.md#per-layer-embeddings) */
void g4_ple_inputs (const g4_thread * th, g4_session * s, int T);
/* h's rows already quantized for inp_gate's products unless prepared is
 * G4_TYPE_COUNT */
void g4_ple_apply (const g4_thread * th, g4_session * s, int l, g4_type prepared, int T);

#endif
