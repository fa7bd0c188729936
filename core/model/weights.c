/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tensor table of docs/text-decoder.md#tensors: every required tensor must be
 * present with the expected shape; types must be ones our kernels multiply.
 * Tensors the model never reads (K/V of KV-shared layers,
 * docs/text-decoder.md#kv-sharing) are not touched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weights.h"

typedef struct {
  const g4_gguf *g;
  g4_error *err;
} binder;

static const g4_gguf_tensor *
find (binder * b, const char *name)
{
  return g4_gguf_find_tensor (b->g, name);
}

static g4_status
shape_error (binder * b, const g4_gguf_tensor * t, int64_t e0, int64_t e1, int64_t e2)
{
  return g4_set_error (b->err, G4_STATUS_FORMAT,
      "%s: tensor '%s': shape [%lld, %lld, %lld], expected [%lld, %lld, %lld]",
      g4_gguf_path (b->g), t->name, (long long) t->ne[0], (long long) t->ne[1],
      (long long) t->ne[2], (long long) e0, (long long) e1, (long long) e2);
}

static g4_status
check_type (binder * b, const g4_gguf_tensor * t)
{
  if (!g4_kernels_supports (t->type))
    return g4_set_error (b->err, G4_STATUS_UNSUPPORTED,
        "%s: tensor '%s' has type %s, which is not supported", g4_gguf_path (b->g),
        t->name, g4_type_name (t->type) ? g4_type_name (t->type) : "unknown");
  return G4_OK;
}

static g4_status
check_shape (binder * b, const g4_gguf_tensor * t, int64_t e0, int64_t e1, int64_t e2)
{
  if (t->ne[0] != e0 || t->ne[1] != e1 || t->ne[2] != e2 || t->ne[3] != 1)
    return shape_error (b, t, e0, e1, e2);
  return G4_OK;
}

/* A matrix {n_in, n_out[, n_expert]}; absent optional ones leave m zeroed. */
static g4_status
bind_matrix (binder * b, const char *name, int64_t n_in, int64_t n_out, int64_t n_exp,
    bool required, g4_matrix * m)
{
  memset (m, 0, sizeof *m);
  const g4_gguf_tensor *t = find (b, name);
  if (!t) {
    if (required)
      return g4_set_error (b->err, G4_STATUS_FORMAT, "%s: missing tensor '%s'",
          g4_gguf_path (b->g), name);
    return G4_OK;
  }
  g4_status st = check_shape (b, t, n_in, n_out, n_exp);
  if (!st)
    st = check_type (b, t);
  if (st)
    return st;
  m->type = t->type;
  m->n_in = n_in;
  m->n_out = n_out;
  m->row_bytes = g4_row_size (t->type, n_in);
  m->data = t->data;
  return G4_OK;
}

/* Norms, scales and frequency factors are F32 in every conversion
 * (docs/text-decoder.md#conventions). */
static g4_status
bind_f32 (binder * b, const char *name, int64_t n, bool required, const float **out)
{
  *out = NULL;
  const g4_gguf_tensor *t = find (b, name);
  if (!t) {
    if (required)
      return g4_set_error (b->err, G4_STATUS_FORMAT, "%s: missing tensor '%s'",
          g4_gguf_path (b->g), name);
    return G4_OK;
  }
  if (check_shape (b, t, n, 1, 1))
    return b->err ? b->err->code : G4_STATUS_FORMAT;
  if (t->type != G4_TYPE_F32)
    return g4_set_error (b->err, G4_STATUS_UNSUPPORTED,
        "%s: tensor '%s' has type %s, expected F32", g4_gguf_path (b->g), t->name,
        g4_type_name (t->type));
  if (((uintptr_t) t->data) % sizeof (float))
    return g4_set_error (b->err, G4_STATUS_FORMAT, "%s: tensor '%s' is not 4-byte aligned",
        g4_gguf_path (b->g), t->name);
  *out = t->data;
  return G4_OK;
}

/* A view of rows [first, first+n) of m. */
static g4_matrix
rows (const g4_matrix * m, int64_t first, int64_t n)
{
  g4_matrix r = *m;
  r.data = (const uint8_t *) m->data + (size_t) first * m->row_bytes;
  r.n_out = n;
  return r;
}

static g4_status
bind_layer (binder * b, const g4_hparams * hp, int l, g4_layer_weights * lw)
{
  const g4_model_info *in = &hp->info;
  const int64_t d = in->n_embd, hd = g4_head_dim (hp, l), H = in->n_head,
      Hkv = hp->n_head_kv[l], P = in->n_embd_per_layer, nff = hp->n_ff[l];
  const bool has_kv = g4_has_kv (hp, l);
  char name[96];
  g4_status st;
#define NM(s) (snprintf (name, sizeof name, "blk.%d." s, l), name)
#define TRY(x) do { if ((st = (x)) != G4_OK) return st; } while (0)
  TRY (bind_f32 (b, NM ("attn_norm.weight"), d, true, &lw->attn_norm));
  if (find (b, NM ("attn_qkv.weight"))) {
    g4_matrix qkv;
    int64_t n_kv = has_kv ? 2 * Hkv * hd : 0;
    TRY (bind_matrix (b, name, d, H * hd + n_kv, 1, true, &qkv));
    lw->q = rows (&qkv, 0, H * hd);
    if (has_kv) {
      lw->k = rows (&qkv, H * hd, Hkv * hd);
      lw->v = rows (&qkv, H * hd + Hkv * hd, Hkv * hd);
    }
  } else {
    TRY (bind_matrix (b, NM ("attn_q.weight"), d, H * hd, 1, true, &lw->q));
    if (has_kv) {
      TRY (bind_matrix (b, NM ("attn_k.weight"), d, Hkv * hd, 1, true, &lw->k));
      TRY (bind_matrix (b, NM ("attn_v.weight"), d, Hkv * hd, 1, false, &lw->v));
    }
  }
  TRY (bind_f32 (b, NM ("attn_q_norm.weight"), hd, true, &lw->q_norm));
  if (has_kv)
    TRY (bind_f32 (b, NM ("attn_k_norm.weight"), hd, true, &lw->k_norm));
  TRY (bind_matrix (b, NM ("attn_output.weight"), H * hd, d, 1, true, &lw->o));
  TRY (bind_f32 (b, NM ("post_attention_norm.weight"), d, true, &lw->post_attn_norm));
  TRY (bind_f32 (b, NM ("ffn_norm.weight"), d, true, &lw->ffn_norm));
  TRY (bind_matrix (b, NM ("ffn_gate.weight"), d, nff, 1, true, &lw->gate));
  TRY (bind_matrix (b, NM ("ffn_up.weight"), d, nff, 1, true, &lw->up));
  TRY (bind_matrix (b, NM ("ffn_down.weight"), nff, d, 1, true, &lw->down));
  TRY (bind_f32 (b, NM ("post_ffw_norm.weight"), d, true, &lw->post_ffw_norm));
  const float *scale;
  TRY (bind_f32 (b, NM ("layer_output_scale.weight"), 1, false, &scale));
  lw->out_scale = scale ? scale[0] : 1.0f;

  lw->moe = find (b, NM ("ffn_gate_inp.weight")) != NULL;
  if (lw->moe) {
    const int64_t E = in->n_expert, fe = in->n_ff_expert;
    if (E < 1)
      return g4_set_error (b->err, G4_STATUS_FORMAT,
          "%s: layer %d has a router but expert_count is 0", g4_gguf_path (b->g), l);
    TRY (bind_matrix (b, NM ("ffn_gate_inp.weight"), d, E, 1, true, &lw->router));
    if (lw->router.type != G4_TYPE_F32 && lw->router.type != G4_TYPE_F16
        && lw->router.type != G4_TYPE_BF16)
      return g4_set_error (b->err, G4_STATUS_UNSUPPORTED,
          "%s: router '%s' must be a float type", g4_gguf_path (b->g), name);
    TRY (bind_f32 (b, NM ("ffn_gate_inp.scale"), d, true, &lw->router_scale));
    TRY (bind_f32 (b, NM ("pre_ffw_norm_2.weight"), d, true, &lw->pre_ffw_norm_2));
    TRY (bind_f32 (b, NM ("post_ffw_norm_1.weight"), d, true, &lw->post_ffw_norm_1));
    TRY (bind_f32 (b, NM ("post_ffw_norm_2.weight"), d, true, &lw->post_ffw_norm_2));
    TRY (bind_f32 (b, NM ("ffn_down_exps.scale"), E, false, &lw->exp_scale));
    g4_matrix all;
    if (find (b, NM ("ffn_gate_up_exps.weight"))) {
      TRY (bind_matrix (b, name, d, 2 * fe, E, true, &all));
      lw->exp_gate = rows (&all, 0, fe);
      lw->exp_up = rows (&all, fe, fe);
      lw->exp_gate_stride = lw->exp_up_stride = all.row_bytes * (size_t) (2 * fe);
    } else {
      TRY (bind_matrix (b, NM ("ffn_gate_exps.weight"), d, fe, E, true, &lw->exp_gate));
      TRY (bind_matrix (b, NM ("ffn_up_exps.weight"), d, fe, E, true, &lw->exp_up));
      lw->exp_gate_stride = lw->exp_gate.row_bytes * (size_t) fe;
      lw->exp_up_stride = lw->exp_up.row_bytes * (size_t) fe;
    }
    TRY (bind_matrix (b, NM ("ffn_down_exps.weight"), fe, d, E, true, &lw->exp_down));
    lw->exp_down_stride = lw->exp_down.row_bytes * (size_t) d;
  }
  if (P > 0) {
    TRY (bind_matrix (b, NM ("inp_gate.weight"), d, P, 1, true, &lw->inp_gate));
    TRY (bind_matrix (b, NM ("proj.weight"), P, d, 1, true, &lw->proj));
    TRY (bind_f32 (b, NM ("post_norm.weight"), d, true, &lw->post_norm));
  }
#undef NM
#undef TRY
  return G4_OK;
}

g4_status
g4_weights_bind (const g4_gguf * g, g4_hparams * hp, g4_weights * w, g4_error * err)
{
  memset (w, 0, sizeof *w);
  binder b = { g, err };
  const g4_model_info *in = &hp->info;
  const int64_t d = in->n_embd, L = in->n_layer, P = in->n_embd_per_layer;
  g4_status st;
  const g4_gguf_tensor *te = g4_gguf_find_tensor (g, "token_embd.weight");
  if (!te)
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: missing tensor 'token_embd.weight'",
        g4_gguf_path (g));
  if (te->ne[1] < 1 || te->ne[1] > INT32_MAX)
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: token_embd.weight has %lld rows",
        g4_gguf_path (g), (long long) te->ne[1]);
  hp->n_vocab = (int) te->ne[1];
  hp->info.n_vocab = hp->n_vocab;
  const int64_t V = hp->n_vocab;
  if ((st = bind_matrix (&b, "token_embd.weight", d, V, 1, true, &w->token_embd)))
    return st;
  if ((st = bind_matrix (&b, "output.weight", d, V, 1, false, &w->output)))
    return st;
  if (!w->output.data)
    w->output = w->token_embd;
  if ((st = bind_f32 (&b, "output_norm.weight", d, true, &w->output_norm)))
    return st;
  bool any_full = false;
  for (int l = 0; l < L; l++)
    any_full |= !hp->is_swa[l];
  if ((st = bind_f32 (&b, "rope_freqs.weight", in->head_dim / 2, any_full, &w->rope_freqs)))
    return st;
  if (P > 0) {
    if ((st = bind_matrix (&b, "per_layer_token_embd.weight", P * L, V, 1, true, &w->ple_token_embd))
        || (st = bind_matrix (&b, "per_layer_model_proj.weight", d, P * L, 1, true, &w->ple_model_proj))
        || (st = bind_f32 (&b, "per_layer_proj_norm.weight", P, true, &w->ple_proj_norm)))
      return st;
  }
  w->layers = calloc ((size_t) L, sizeof *w->layers);
  if (!w->layers)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  for (int l = 0; l < L; l++)
    if ((st = bind_layer (&b, hp, l, &w->layers[l]))) {
      g4_weights_clear (w);
      return st;
    }
  if ((st = g4_weights_repack (w, (int) L, err)))
    g4_weights_clear (w);
  return st;
}

void
g4_weights_clear (g4_weights * w)
{
  free (w->layers);
  free (w->packed);
  memset (w, 0, sizeof *w);
}
