/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Session lifetime and g4_session_decode(_many): argument checks, context
 * limits and laying the sequences' positions out into passes of at most
 * n_batch rows. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decoder.h"
#include "log.h"

/* rows of the largest image (G4_IMAGE_MAX_TOKENS soft tokens), rounded up */
#define BIDIRECTIONAL_BATCH 1152

g4_session_params
g4_session_default_params (void)
{
  return (g4_session_params) {.n_ctx = 0, .n_threads = 0, .n_batch = 0,
    .kv_type = G4_KV_F16, .cancel = NULL };
}

static int
n_cores (void)
{
  long n = sysconf (_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int) n : 1;
}

/* Largest g4_matmul activation scratch over every matrix product of a batch. */
static size_t
scratch_size (const g4_model * m, int T)
{
  const g4_weights *w = &m->w;
  const g4_hparams *hp = &m->hp;
  size_t mx = 0;
#define UPD(mat, rows) do { if ((mat).data) { size_t z = g4_matmul_scratch_size ((mat).type, (mat).n_in, rows); mx = z > mx ? z : mx; } } while (0)
  UPD (w->output, T);
  UPD (w->ple_model_proj, T);
  for (int l = 0; l < hp->info.n_layer; l++) {
    const g4_layer_weights *lw = &w->layers[l];
    UPD (lw->q, T); UPD (lw->k, T); UPD (lw->v, T); UPD (lw->o, T);
    UPD (lw->gate, T); UPD (lw->up, T); UPD (lw->down, T);
    UPD (lw->router, T); UPD (lw->exp_gate, T); UPD (lw->exp_up, T); UPD (lw->exp_down, T);
    UPD (lw->inp_gate, T); UPD (lw->proj, T);
  }
#undef UPD
  return mx;
}

static void *
alloc_array (size_t n, size_t size)
{
  return malloc ((n ? n : 1) * size);
}

g4_status
g4_session_new (const g4_model * m, const g4_session_params * params, g4_session ** out,
    g4_error * err)
{
  *out = NULL;
  if (!m || !m->has_weights)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "the model has no weights (vocab-only load)");
  const g4_hparams *hp = &m->hp;
  const g4_model_info *in = &hp->info;
  g4_session_params p = params ? *params : g4_session_default_params ();
  if (p.n_ctx < 0 || p.n_threads < 0 || p.n_batch < 0)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "negative n_ctx, n_threads or n_batch");
  if (p.n_ctx == 0)
    p.n_ctx = in->n_ctx_train < 4096 ? in->n_ctx_train : 4096;
  if (p.n_ctx > in->n_ctx_train)
    return g4_set_error (err, G4_STATUS_INVALID_ARG,
        "context size %d exceeds the model's trained context %d", p.n_ctx, in->n_ctx_train);
  if (p.n_threads == 0)
    p.n_threads = n_cores ();
  /* a batch larger than the context is only of use to passes that decode
   * several sessions' positions in this session's buffers */
  if (p.n_batch == 0) {
    /* models whose image rows attend to each other decode an image in one
     * pass: the default holds the largest image (1120 soft tokens) */
    const int dflt = in->media_bidirectional ? BIDIRECTIONAL_BATCH : 512;
    p.n_batch = dflt < p.n_ctx ? dflt : p.n_ctx;
  }

  g4_session *s = calloc (1, sizeof *s);
  if (!s)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  s->model = m;
  s->p = p;
  g4_status st = g4_kv_cache_init (&s->kv, hp, p.n_ctx, p.n_batch, p.kv_type, err);
  if (st) {
    free (s);
    return st;
  }
  g4_log (G4_LOG_INFO, "session: context %d, batch %d, %d threads, KV cache %s %.1f MiB",
      p.n_ctx, p.n_batch, p.n_threads, p.kv_type == G4_KV_F16 ? "f16" : "f32",
      (double) s->kv.bytes / 1048576.0);

  const size_t T = (size_t) p.n_batch, d = (size_t) in->n_embd;
  size_t hd_max = (size_t) (in->head_dim > in->head_dim_swa ? in->head_dim : in->head_dim_swa);
  size_t hkv_max = 0, ff_max = (size_t) in->n_ff_expert;
  for (int l = 0; l < in->n_layer; l++) {
    hkv_max = (size_t) hp->n_head_kv[l] > hkv_max ? (size_t) hp->n_head_kv[l] : hkv_max;
    ff_max = (size_t) hp->n_ff[l] > ff_max ? (size_t) hp->n_ff[l] : ff_max;
  }
  const size_t LP = (size_t) in->n_layer * (size_t) in->n_embd_per_layer;
  const size_t E = (size_t) in->n_expert, K = (size_t) in->n_expert_used;

#define ALLOC(ptr, n) do { if (!((ptr) = alloc_array ((n), sizeof *(ptr)))) goto oom; } while (0)
  ALLOC (s->h, T * d);
  ALLOC (s->x, T * d);
  ALLOC (s->y, T * d);
  ALLOC (s->y2, T * d);
  ALLOC (s->q, T * in->n_head * hd_max);
  ALLOC (s->attn, T * in->n_head * hd_max);
  ALLOC (s->k, T * hkv_max * hd_max);
  ALLOC (s->v, T * hkv_max * hd_max);
  ALLOC (s->gate, T * ff_max);
  ALLOC (s->up, T * ff_max);
  ALLOC (s->pli, T * LP);
  ALLOC (s->ple_ctx, T * LP);
  ALLOC (s->ple_g, T * (size_t) in->n_embd_per_layer);
  for (int i = 0; i < 2; i++) {
    ALLOC (s->rope_cos[i], T * hd_max / 2);
    ALLOC (s->rope_sin[i], T * hd_max / 2);
  }
  ALLOC (s->att_kpos, (size_t) p.n_ctx);
  ALLOC (s->att_lo, T);
  ALLOC (s->att_hi, T);
  ALLOC (s->att_args, T);
  ALLOC (s->att_scratches, T);
  ALLOC (s->router, T * E);
  ALLOC (s->sel, T * K);
  ALLOC (s->sel_w, T * K);
  ALLOC (s->exp_tokens, T);
  ALLOC (s->exp_w, T);
  ALLOC (s->exp_x, E ? T * d : 0);
  ALLOC (s->exp_out, E ? T * d : 0);
  ALLOC (s->logit_rows, T * d);
  ALLOC (s->want, T);
  ALLOC (s->span, T);
  ALLOC (s->row_token, T);
  ALLOC (s->row_embd, T);
  ALLOC (s->row_pos, T);
  ALLOC (s->row_seq, T);
  ALLOC (s->held, (size_t) p.n_ctx);
#undef ALLOC
  /* the slots a pass attends to are at most the context's positions */
  s->att_scratch = malloc (g4_attention_scratch_size (p.n_ctx, (int) hkv_max, (int) hd_max));
  if (!s->att_scratch)
    goto oom;
  s->mm_scratch_size = scratch_size (m, (int) T);
  s->mm_scratch = malloc (s->mm_scratch_size ? s->mm_scratch_size : 1);
  if (!s->mm_scratch)
    goto oom;
  *out = s;
  return G4_OK;
oom:
  g4_session_free (s);
  return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory for session buffers");
}

void
g4_session_free (g4_session * s)
{
  if (!s)
    return;
  g4_kv_cache_free (&s->kv);
  float *bufs[] = { s->h, s->x, s->y, s->y2, s->q, s->attn, s->k, s->v, s->gate, s->up,
    s->pli, s->ple_ctx, s->ple_g, s->rope_cos[0], s->rope_sin[0], s->rope_cos[1],
    s->rope_sin[1], s->router, s->sel_w, s->exp_w,
    s->exp_x, s->exp_out, s->logit_rows };
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
    free (bufs[i]);
  free (s->sel);
  free (s->want);
  free (s->span);
  free (s->att_kpos);
  free (s->att_lo);
  free (s->att_hi);
  free (s->att_args);
  free (s->att_scratches);
  free (s->att_scratch);
  free (s->row_token);
  free (s->row_embd);
  free (s->row_pos);
  free (s->row_seq);
  free (s->held);
  free (s->logits_rows);
  free (s->exp_tokens);
  free (s->mm_scratch);
  free (s);
}

void
g4_session_reset (g4_session * s)
{
  s->n_past = 0;
  s->kv_top = 0;
}

int
g4_batch_head (const g4_batch * b)
{
  int k = 0;
  while (b->tokens && k < b->n - 1 && !(b->embd && b->embd_mask && b->embd_mask[k]))
    k++;
  return k;
}

int
g4_session_keep_prefix (g4_session * s, const g4_batch * b)
{
  const g4_hparams *hp = &s->model->hp;
  const int head = g4_batch_head (b);
  int k = 0;
  while (k < s->n_past && k < head && s->held[k] == b->tokens[k])
    k++;
  /* ring slots of positions a later query still sees (the window before k)
   * must not have been overwritten by positions written after them */
  const int W = hp->info.sliding_window;
  for (int l = 0; l < s->kv.n_layer; l++) {
    const g4_kv_layer *kl = &s->kv.layers[l];
    if (hp->is_swa[l] && kl->cap > 0 && kl->cap < s->p.n_ctx
        && (k - W > 0 ? k - W : 0) < s->kv_top - kl->cap)
      k = 0;
  }
  s->n_past = k;
  s->kv_top = k > 0 ? s->kv_top : 0;
  return k;
}

int
g4_session_n_past (const g4_session * s)
{
  return s->n_past;
}

g4_status
g4_session_check (const g4_session * s, const g4_batch * b, g4_error * err)
{
  if (!s || !b || b->n < 1 || (!b->tokens && !b->embd))
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "empty batch");
  const g4_hparams *hp = &s->model->hp;
  if (s->n_past + b->n > s->p.n_ctx)
    return g4_set_error (err, G4_STATUS_CONTEXT_FULL,
        "context full: %d positions used, %d more requested, context size %d",
        s->n_past, b->n, s->p.n_ctx);
  for (int j = 0; j < b->n; j++) {
    bool media = b->embd && b->embd_mask && b->embd_mask[j];
    if (!media && (!b->tokens || b->tokens[j] < 0 || b->tokens[j] >= hp->n_vocab))
      return g4_set_error (err, G4_STATUS_INVALID_ARG,
          "token %d at batch position %d is out of range [0, %d)",
          b->tokens ? b->tokens[j] : -1, j, hp->n_vocab);
  }
  return G4_OK;
}

/* The session whose buffers a pass over all of s uses: the largest context
 * (its attention buffers hold any of the others'), then the largest batch. */
static g4_session *
workspace (g4_session * const *s, int n)
{
  g4_session *w = s[0];
  for (int i = 1; i < n; i++)
    if (s[i]->p.n_ctx > w->p.n_ctx
        || (s[i]->p.n_ctx == w->p.n_ctx && s[i]->p.n_batch > w->p.n_batch))
      w = s[i];
  return w;
}

/* Rows [from, from + k) of b as rows row0.. of w's pass, sequence seq. */
static void
lay_rows (g4_session * w, const g4_batch * b, int seq, int from, int k, int row0)
{
  const int d = w->model->hp.info.n_embd;
  for (int j = 0; j < k; j++) {
    const int i = from + j, t = row0 + j;
    const bool media = b->embd && b->embd_mask && b->embd_mask[i];
    w->row_token[t] = b->tokens ? b->tokens[i] : 0;
    w->row_embd[t] = media ? b->embd + (size_t) i * d : NULL;
    w->row_seq[t] = seq;
    /* without want_logits only the last position of the whole batch is wanted */
    w->want[t] = b->want_logits ? b->want_logits[i] : i == b->n - 1;
    /* contiguous runs of bidirectional media rows form spans (one per image) */
    const bool bidi = media && b->bidirectional && b->bidirectional[i];
    w->span[t] = !bidi ? -1 : j > 0 && w->span[t - 1] >= 0 ? w->span[t - 1] : t;
  }
}

/* A pass never ends inside an image whose rows attend to each other (a cut
 * would hide its later rows from its earlier ones): the rows of b from
 * `from` that fit k, shortened to the start of such an image. */
static int
whole_images (const g4_batch * b, int from, int k)
{
  int end = from + k;
  if (!b->bidirectional || end >= b->n || !b->bidirectional[end]
      || !b->bidirectional[end - 1])
    return k;
  while (end > from && b->bidirectional[end - 1])
    end--;
  return end - from;
}

/* Passes over the batches until every row is decoded; done[i]: rows of
 * sequence i decoded, out_rows[i]: its logits rows written; seqs: room for n. */
static g4_status
decode_passes (g4_session * const *s, const g4_batch * b, int n, float *const *logits,
    int *done, int *out_rows, g4_pass_seq * seqs, g4_error * err)
{
  g4_session *w = workspace (s, n);
  const int V = w->model->hp.n_vocab;
  for (;;) {
    /* each sequence's next rows, as many as its own batch size and what is
     * left of the pass allow */
    int T = 0, n_seq = 0, n_out = 0;
    for (int i = 0; i < n && T < w->p.n_batch; i++) {
      int k = b[i].n - done[i];
      k = k < s[i]->p.n_batch ? k : s[i]->p.n_batch;
      k = k < w->p.n_batch - T ? k : w->p.n_batch - T;
      if (k <= 0)
        continue;
      k = whole_images (&b[i], done[i], k);
      if (k == 0 && T == 0)
        return g4_set_error (err, G4_STATUS_INVALID_ARG,
            "an image's rows attend to each other and must be decoded in one "
            "pass, but it has more rows than the batch size (n_batch %d)",
            s[i]->p.n_batch < w->p.n_batch ? s[i]->p.n_batch : w->p.n_batch);
      if (k == 0)
        continue;               /* the image starts the next pass */
      lay_rows (w, &b[i], n_seq, done[i], k, T);
      for (int j = 0; j < k; j++) {
        w->row_pos[T + j] = s[i]->n_past + j;
        s[i]->held[s[i]->n_past + j] = w->row_embd[T + j] ? -1 : w->row_token[T + j];
        n_out += w->want[T + j];
      }
      const int top = s[i]->n_past + k;
      s[i]->kv_top = top > s[i]->kv_top ? top : s[i]->kv_top;
      seqs[n_seq++] = (g4_pass_seq) {.s = s[i],.row0 = T,.n = k };
      T += k;
    }
    if (n_seq == 0)
      return G4_OK;
    float *out;
    if (n == 1) {
      out = logits[0] + (size_t) out_rows[0] * V;
    } else {
      if ((size_t) n_out * V > w->logits_cap) {
        float *p = realloc (w->logits_rows, sizeof (float) * (size_t) n_out * V);
        if (!p)
          return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory for logits");
        w->logits_rows = p;
        w->logits_cap = (size_t) n_out * V;
      }
      out = w->logits_rows;
    }
    g4_status st = g4_decoder_forward (w, seqs, n_seq, T, out, err);
    if (st)
      return st;
    for (int q = 0, packed = 0, i = 0; q < n_seq; q++) {
      while (s[i] != seqs[q].s)
        i++;
      int k = 0;
      for (int j = 0; j < seqs[q].n; j++)
        k += w->want[seqs[q].row0 + j];
      if (n > 1)
        memcpy (logits[i] + (size_t) out_rows[i] * V, out + (size_t) packed * V,
            sizeof (float) * (size_t) k * V);
      packed += k;
      out_rows[i] += k;
      done[i] += seqs[q].n;
    }
  }
}


g4_status
g4_session_decode_many (g4_session * const *s, const g4_batch * b, int n, float *const *logits,
    g4_error * err)
{
  if (!s || !b || !logits || n < 1)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "no sessions to decode");
  for (int i = 0; i < n; i++) {
    g4_status st = g4_session_check (s[i], &b[i], err);
    if (st)
      return st;
    for (int j = 0; j < i; j++)
      if (s[j] == s[i] || s[j]->model != s[i]->model)
        return g4_set_error (err, G4_STATUS_INVALID_ARG, "sequences %d and %d %s", j, i,
            s[j] == s[i] ? "are the same session" : "use different models");
  }
  /* per sequence: rows done, logits rows written, its part of a pass */
  enum { ON_STACK = 16 };
  int stack_counts[2 * ON_STACK];
  g4_pass_seq stack_seqs[ON_STACK];
  int *done = n <= ON_STACK ? stack_counts : calloc ((size_t) n * 2, sizeof *done);
  g4_pass_seq *seqs = n <= ON_STACK ? stack_seqs : malloc (sizeof *seqs * (size_t) n);
  if (!done || !seqs) {
    if (n > ON_STACK) {
      free (done);
      free (seqs);
    }
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  }
  int *out_rows = done + n;
  memset (done, 0, sizeof *done * (size_t) n * 2);
  g4_status st = decode_passes (s, b, n, logits, done, out_rows, seqs, err);
  if (n > ON_STACK) {
    free (done);
    free (seqs);
  }
  return st;
}

g4_status
g4_session_decode (g4_session * s, const g4_batch * b, float *logits, g4_error * err)
{
  if (!s || !b)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "empty batch");
  return g4_session_decode_many (&s, b, 1, &logits, err);
}
