/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The loader on rewritten copies of the fixture models: the alternative tensor
 * layouts (fused attn_qkv, split expert gate/up) must give the same logits as
 * the original files, and every kind of bad model must be refused with a clear
 * status and message, never a crash. Also decode-time argument errors.
 * usage: test_model_files TEXT_FIXTURE_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gemma4.h"
#include "gguf.h"
#include "kernels.h"
#include "test_util.h"

static const char *dir;
/* A rewritten copy of the fixture model DIR/MODEL (caller unlinks, frees). */
static char *
rewrite (const char *model, test_rewrite_fn fn, void *user)
{
  char src[512];
  snprintf (src, sizeof src, "%s/%s", dir, model);
  return test_gguf_rewrite (src, fn, user);
}

/* Logits of every position of a fixed token sequence, *n_logits of them;
 * NULL if loading fails. */
static float *
run_logits (const char *path, int n, size_t *n_logits, g4_error * err)
{
  g4_model *m;
  if (g4_model_load (path, NULL, &m, err))
    return NULL;
  g4_session_params sp = g4_session_default_params ();
  sp.n_ctx = 64;
  sp.kv_type = G4_KV_F32;
  g4_session *s;
  if (g4_session_new (m, &sp, &s, err)) {
    g4_model_free (m);
    return NULL;
  }
  const int V = g4_model_get_info (m)->n_vocab;
  g4_token tok[64];
  bool want[64];
  for (int i = 0; i < n; i++) {
    tok[i] = (i * 37 + 11) % V;
    want[i] = true;
  }
  *n_logits = (size_t) n * V;
  float *out = malloc (sizeof (float) * *n_logits);
  g4_batch b = {.n = n,.tokens = tok,.want_logits = want };
  if (g4_session_decode (s, &b, out, err)) {
    free (out);
    out = NULL;
  }
  g4_session_free (s);
  g4_model_free (m);
  return out;
}

/* ---- fused attn_qkv: Q, K, V rows concatenated (converter flag --fuse-qkv) ---- */
static test_rewrite_action
fuse_qkv (g4_gguf_writer * w, const g4_gguf * g, const char *name, bool is_tensor, void *user)
{
  if (!is_tensor || !name)
    return TEST_KEEP;
  int l;
  char rest[64];
  if (sscanf (name, "blk.%d.%63s", &l, rest) != 2)
    return TEST_KEEP;
  char nk[64], nv[64], nq[64];
  snprintf (nq, sizeof nq, "blk.%d.attn_q.weight", l);
  snprintf (nk, sizeof nk, "blk.%d.attn_k.weight", l);
  snprintf (nv, sizeof nv, "blk.%d.attn_v.weight", l);
  const g4_gguf_tensor *k = g4_gguf_find_tensor (g, nk), *v = g4_gguf_find_tensor (g, nv);
  if (!k || !v)
    return TEST_KEEP;                /* KV-shared layer: only attn_q */
  if (!strcmp (rest, "attn_k.weight") || !strcmp (rest, "attn_v.weight"))
    return TEST_DROP;
  if (strcmp (rest, "attn_q.weight"))
    return TEST_KEEP;
  const g4_gguf_tensor *q = g4_gguf_find_tensor (g, nq);
  size_t nb = q->nbytes + k->nbytes + v->nbytes;
  uint8_t *buf = malloc (nb);
  memcpy (buf, q->data, q->nbytes);
  memcpy (buf + q->nbytes, k->data, k->nbytes);
  memcpy (buf + q->nbytes + k->nbytes, v->data, v->nbytes);
  int64_t ne[2] = { q->ne[0], q->ne[1] + k->ne[1] + v->ne[1] };
  char nqkv[64];
  snprintf (nqkv, sizeof nqkv, "blk.%d.attn_qkv.weight", l);
  g4_gguf_writer_add_tensor (w, nqkv, q->type, 2, ne, buf, nb);
  free (buf);
  return TEST_REPLACE;
}

/* ---- split experts: ffn_gate_up_exps -> ffn_gate_exps + ffn_up_exps ---- */
static test_rewrite_action
split_experts (g4_gguf_writer * w, const g4_gguf * g, const char *name, bool is_tensor, void *user)
{
  int l;
  if (!is_tensor || !name || sscanf (name, "blk.%d.", &l) != 1 || !strstr (name, "ffn_gate_up_exps"))
    return TEST_KEEP;
  const g4_gguf_tensor *t = g4_gguf_find_tensor (g, name);
  const int64_t d = t->ne[0], fe = t->ne[1] / 2, E = t->ne[2];
  const size_t row = g4_row_size (t->type, d), half = row * (size_t) fe;
  uint8_t *gate = malloc (half * (size_t) E), *up = malloc (half * (size_t) E);
  for (int64_t e = 0; e < E; e++) {
    memcpy (gate + e * half, (const uint8_t *) t->data + e * 2 * half, half);
    memcpy (up + e * half, (const uint8_t *) t->data + e * 2 * half + half, half);
  }
  int64_t ne[3] = { d, fe, E };
  char nm[64];
  snprintf (nm, sizeof nm, "blk.%d.ffn_gate_exps.weight", l);
  g4_gguf_writer_add_tensor (w, nm, t->type, 3, ne, gate, half * (size_t) E);
  snprintf (nm, sizeof nm, "blk.%d.ffn_up_exps.weight", l);
  g4_gguf_writer_add_tensor (w, nm, t->type, 3, ne, up, half * (size_t) E);
  free (gate);
  free (up);
  return TEST_REPLACE;
}

static void
check_same_logits (const char *model, test_rewrite_fn fn, const char *what)
{
  char src[512];
  snprintf (src, sizeof src, "%s/%s", dir, model);
  char *path = rewrite (model, fn, NULL);
  g4_error e1 = { 0 }, e2 = { 0 };
  const int n = 20;
  size_t n_a = 0, n_b = 0;
  float *a = run_logits (src, n, &n_a, &e1), *b = run_logits (path, n, &n_b, &e2);
  CHECK (a && b, "%s: %s / %s", what, e1.message, e2.message);
  if (a && b) {
    double mx = test_compare_f32 (b, a, n_a).max_abs;
    /* the same rows go through the same kernels: identical up to summation order */
    CHECK (mx <= 1e-5, "%s: max |diff| %g", what, mx);
    printf ("%s: same logits as the original layout (max |diff| %g)\n", what, mx);
  }
  free (a);
  free (b);
  unlink (path);
  free (path);
}

/* ---- bad models ---- */
enum { BAD_ARCH, BAD_DROP_TENSOR, BAD_SHAPE, BAD_NORM_TYPE, BAD_DROP_KEY, BAD_SCALAR_PATTERN,
  BAD_KV_HEADS, BAD_TYPE_IQ2, BAD_ROPE_DIM };

typedef struct {
  int kind;
  const char *target;           /* the key or tensor the rewrite acts on */
} bad_edit;

static test_rewrite_action
make_bad (g4_gguf_writer * w, const g4_gguf * g, const char *name, bool is_tensor, void *user)
{
  const bad_edit *bad = user;
  if (!name || strcmp (name, bad->target))
    return TEST_KEEP;
  if (!is_tensor) {
    switch (bad->kind) {
      case BAD_ARCH:
        g4_gguf_writer_add_str (w, name, "llama");
        return TEST_REPLACE;
      case BAD_SCALAR_PATTERN:
        g4_gguf_writer_add_u32 (w, name, 5);
        return TEST_REPLACE;
      case BAD_KV_HEADS:
        g4_gguf_writer_add_u32 (w, name, 3);
        return TEST_REPLACE;
      case BAD_ROPE_DIM:
        g4_gguf_writer_add_u32 (w, name, 4096);
        return TEST_REPLACE;
      default:
        return TEST_DROP;
    }
  }
  const g4_gguf_tensor *t = g4_gguf_find_tensor (g, name);
  if (bad->kind == BAD_SHAPE) {
    int64_t ne[2] = { t->ne[1], t->ne[0] };
    g4_gguf_writer_add_tensor (w, name, t->type, 2, ne, t->data, t->nbytes);
    return TEST_REPLACE;
  }
  if (bad->kind == BAD_NORM_TYPE) {
    uint16_t *h = calloc ((size_t) t->ne[0], 2);
    g4_gguf_writer_add_tensor (w, name, G4_TYPE_F16, 1, t->ne, h, (size_t) t->ne[0] * 2);
    free (h);
    return TEST_REPLACE;
  }
  if (bad->kind == BAD_TYPE_IQ2) {
    size_t nb = (size_t) (t->ne[0] / 256) * 66 * (size_t) t->ne[1];
    uint8_t *z = calloc (nb, 1);
    g4_gguf_writer_add_tensor (w, name, (g4_type) 16, 2, t->ne, z, nb);
    free (z);
    return TEST_REPLACE;
  }
  return TEST_DROP;
}

static void
check_bad (const char *model, int kind, const char *target, g4_status want, const char *frag)
{
  char *path = rewrite (model, make_bad, &(bad_edit) { kind, target });
  g4_error err = { 0 };
  g4_model *m = NULL;
  g4_status st = g4_model_load (path, NULL, &m, &err);
  CHECK (st == want && m == NULL, "%s: status %s, expected %s (%s)", target, g4_status_name (st),
      g4_status_name (want), err.message);
  CHECK (strstr (err.message, frag) != NULL, "%s: message '%s' lacks '%s'", target, err.message, frag);
  printf ("rejected (%s): %s\n", g4_status_name (st), err.message);
  g4_model_free (m);
  unlink (path);
  free (path);
}

static void
check_decode_errors (void)
{
  char src[512];
  snprintf (src, sizeof src, "%s/e2b-f32.gguf", dir);
  g4_error err = { 0 };
  g4_model *m;
  g4_model_load (src, NULL, &m, &err);
  g4_session_params sp = g4_session_default_params ();
  sp.n_ctx = 8;
  g4_session *s;
  CHECK (g4_session_new (m, &sp, &s, &err) == G4_OK, "session: %s", err.message);
  float *logits = malloc (sizeof (float) * 512);
  g4_token bad = 512, ok[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  g4_batch b = {.n = 1,.tokens = &bad };
  err = (g4_error) { 0 };
  CHECK (g4_session_decode (s, &b, logits, &err) == G4_STATUS_INVALID_ARG
      && strstr (err.message, "out of range"), "token out of range: %s", err.message);
  b = (g4_batch) {.n = 9,.tokens = ok };
  err = (g4_error) { 0 };
  CHECK (g4_session_decode (s, &b, logits, &err) == G4_STATUS_CONTEXT_FULL, "overflow: %s", err.message);
  printf ("decode errors: %s\n", err.message);
  b.n = 8;
  err = (g4_error) { 0 };
  CHECK (g4_session_decode (s, &b, logits, &err) == G4_OK, "full context: %s", err.message);
  b.n = 1;
  err = (g4_error) { 0 };
  CHECK (g4_session_decode (s, &b, logits, &err) == G4_STATUS_CONTEXT_FULL, "after full: %s", err.message);
  sp.n_ctx = 1 << 30;
  err = (g4_error) { 0 };
  g4_session *s2 = NULL;
  CHECK (g4_session_new (m, &sp, &s2, &err) == G4_STATUS_INVALID_ARG && !s2, "huge ctx: %s", err.message);
  free (logits);
  g4_session_free (s);
  g4_model_free (m);
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 1, "TEXT_FIXTURE_DIR");
  dir = argv[1];
  check_same_logits ("e2b-f32.gguf", fuse_qkv, "fused attn_qkv (e2b)");
  check_same_logits ("moe-f32.gguf", fuse_qkv, "fused attn_qkv (moe, no attn_v on full layers kept split)");
  check_same_logits ("moe-f32.gguf", split_experts, "split ffn_gate_exps/ffn_up_exps (moe)");
  check_bad ("e2b-f32.gguf", BAD_ARCH, "general.architecture", G4_STATUS_UNSUPPORTED, "architecture 'llama'");
  check_bad ("e2b-f32.gguf", BAD_DROP_TENSOR, "blk.1.ffn_up.weight", G4_STATUS_FORMAT, "missing tensor 'blk.1.ffn_up.weight'");
  check_bad ("e2b-f32.gguf", BAD_DROP_TENSOR, "rope_freqs.weight", G4_STATUS_FORMAT, "missing tensor 'rope_freqs.weight'");
  check_bad ("e2b-f32.gguf", BAD_SHAPE, "blk.0.attn_q.weight", G4_STATUS_FORMAT, "shape [64, 128, 1], expected [128, 64, 1]");
  check_bad ("e2b-f32.gguf", BAD_NORM_TYPE, "blk.0.attn_norm.weight", G4_STATUS_UNSUPPORTED, "expected F32");
  check_bad ("e2b-f32.gguf", BAD_DROP_KEY, "gemma4.attention.key_length_swa", G4_STATUS_FORMAT, "missing required key");
  check_bad ("e2b-f32.gguf", BAD_SCALAR_PATTERN, "gemma4.attention.sliding_window_pattern", G4_STATUS_FORMAT, "must be an array");
  check_bad ("e2b-f32.gguf", BAD_KV_HEADS, "gemma4.attention.head_count_kv", G4_STATUS_FORMAT, "does not divide");
  check_bad ("e2b-f32.gguf", BAD_ROPE_DIM, "gemma4.rope.dimension_count", G4_STATUS_FORMAT, "rope dimension");
  check_bad ("q-f32.gguf", BAD_TYPE_IQ2, "blk.0.ffn_gate.weight", G4_STATUS_UNSUPPORTED, "type IQ2_XXS");
  check_bad ("moe-f32.gguf", BAD_DROP_TENSOR, "blk.3.pre_ffw_norm_2.weight", G4_STATUS_FORMAT, "missing tensor");
  check_decode_errors ();
  printf ("%s\n", test_failures ? "FAILED" : "all model file checks passed");
  return test_exit_status ();
}
