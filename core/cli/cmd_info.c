/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4-cli info: what a GGUF file holds. A text model: architecture,
 * per-layer geometry, tensor types, vocab, template; an mmproj file: its
 * vision and audio encoders. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gguf.h"
#include "kernels.h"

static const char usage_text[] =
    "usage: gemma4-cli info FILE.gguf   (or -m FILE.gguf)\n"
    "Prints what a Gemma 4 GGUF file holds: for a text model the architecture,\n"
    "sizes per layer type, tensor types and counts, the vocabulary and the chat\n"
    "template; for a multimodal projector (mmproj) file its vision and audio\n"
    "encoders and tensor types.\n";

static void
print_layers (const g4_model_info * in)
{
  printf ("layers: %d (%d own a KV cache)\n", in->n_layer, in->n_layer_kv_from_start);
  for (int swa = 1; swa >= 0; swa--) {
    int n = 0;
    for (int l = 0; l < in->n_layer; l++)
      n += in->is_swa[l] == swa;
    if (n == 0)
      continue;
    int l0 = 0;
    while (in->is_swa[l0] != swa)
      l0++;
    printf ("  %-8s x%-3d head_dim %d, heads %d, kv heads %d, rope theta %g, n_ff %d%s\n",
        swa ? "sliding" : "full", n, swa ? in->head_dim_swa : in->head_dim, in->n_head,
        in->n_head_kv[l0], swa ? in->rope_theta_swa : in->rope_theta, in->n_ff[l0],
        swa ? "" : " (proportional RoPE)");
  }
  printf ("  pattern: ");
  for (int l = 0; l < in->n_layer; l++)
    putchar (in->is_swa[l] ? 'S' : 'F');
  putchar ('\n');
}

/* Tensor count and size per type. */
static void
print_tensors (const g4_gguf * g)
{
  int64_t count[G4_TYPE_COUNT] = { 0 };
  uint64_t bytes[G4_TYPE_COUNT] = { 0 }, total = 0;
  for (int64_t i = 0; i < g4_gguf_n_tensors (g); i++) {
    const g4_gguf_tensor *t = g4_gguf_tensor_at (g, i);
    count[t->type]++;
    bytes[t->type] += t->nbytes;
    total += t->nbytes;
  }
  printf ("tensors: %lld, %.1f MiB\n", (long long) g4_gguf_n_tensors (g), total / 1048576.0);
  for (int t = 0; t < G4_TYPE_COUNT; t++)
    if (count[t])
      printf ("  %-7s %5lld tensors %10.1f MiB\n", g4_type_name (t), (long long) count[t],
          bytes[t] / 1048576.0);
}

static void
print_header (const char *path, const g4_gguf * g)
{
  g4_gguf_str arch = { "?", 1 };
  g4_gguf_get_str (g, "general.architecture", &arch, NULL);
  printf ("file: %s (GGUF v%u)\narchitecture: %.*s\n", path, g4_gguf_version (g),
      (int) arch.len, arch.ptr);
}

/* An mmproj file says which encoders it has (clip.has_*_encoder). */
static bool
is_mmproj (const g4_gguf * g)
{
  return g4_gguf_find_key (g, "clip.has_vision_encoder") >= 0
      || g4_gguf_find_key (g, "clip.has_audio_encoder") >= 0;
}

static int
describe_mmproj (const char *path, const g4_gguf * g)
{
  g4_error err = { 0 };
  g4_mmproj *mm;
  if (g4_mmproj_load (path, &mm, &err)) {
    fprintf (stderr, "gemma4-cli: cannot load mmproj: %s\n", err.message);
    return 1;
  }
  const g4_mmproj_info *in = g4_mmproj_get_info (mm);
  print_header (path, g);
  printf ("multimodal projector: soft tokens of width %d (the text model's n_embd)\n",
      in->n_embd);
  if (in->vision.projector) {
    printf ("vision encoder: %s, patch %d px, %dx%d patches per soft token, %s flavour\n",
        in->vision.projector, in->vision.patch_size, in->vision.merge, in->vision.merge,
        in->vision.standardized ? "26B/31B (standardized)" : "E2B/E4B");
    printf ("  layers %d, width %d, heads %d x %d, n_ff %d\n", in->vision.n_layer,
        in->vision.n_embd, in->vision.n_head, in->vision.head_dim, in->vision.n_ff);
  } else {
    printf ("vision encoder: none\n");
  }
  if (in->audio.projector) {
    printf ("audio encoder: %s, %d mel bins at %d Hz\n", in->audio.projector, in->audio.n_mel,
        G4_AUDIO_SAMPLE_RATE);
    printf ("  conformer layers %d, width %d, heads %d, n_ff %d, output width %d\n",
        in->audio.n_layer, in->audio.n_embd, in->audio.n_head, in->audio.n_ff, in->audio.n_out);
  } else {
    printf ("audio encoder: none\n");
  }
  print_tensors (g);
  g4_mmproj_free (mm);
  return 0;
}

static int
describe_model (const char *path, const g4_gguf * g)
{
  g4_model *m = cli_load_model (path, g4_gguf_n_tensors (g) == 0);
  if (!m)
    return 1;
  print_header (path, g);
  const g4_model_info *in = g4_model_get_info (m);
  if (in) {
    printf ("n_embd: %d, vocab: %d, trained context: %d, sliding window: %d\n", in->n_embd,
        in->n_vocab, in->n_ctx_train, in->sliding_window);
    printf ("per-layer embedding width: %d, final soft-cap: %g, rms eps: %g\n",
        in->n_embd_per_layer, in->final_softcap, in->rms_eps);
    if (in->n_expert)
      printf ("experts: %d, %d used, expert n_ff %d\n", in->n_expert, in->n_expert_used,
          in->n_ff_expert);
    printf ("image attention: %s\n", in->media_bidirectional
        ? "bidirectional within each image on sliding layers (no per-layer embeddings)"
        : "causal (per-layer embeddings: the E2B/E4B family)");
    print_layers (in);
  }
  print_tensors (g);
  const g4_vocab *v = g4_model_get_vocab (m);
  if (v)
    printf ("tokenizer: gemma4 BPE, %d tokens, bos %d, eos %d\n", g4_vocab_n_tokens (v),
        g4_vocab_bos (v), g4_vocab_eos (v));
  else
    printf ("tokenizer: none (token ids only)\n");
  const char *tmpl = g4_model_chat_template (m);
  printf ("chat template: %s\n", tmpl ? (g4_model_template_flavor (m) == G4_TEMPLATE_LARGE
          ? "26B/31B style (empty thought block when thinking is off)" : "E2B/E4B style") : "none");
  g4_model_free (m);
  return 0;
}

/* The file as the first argument that is not an option. */
static cli_opt_result
file_opt (const char *a, const char *v, void *user)
{
  const char **file = user;
  if (a[0] == '-' || *file)
    return CLI_UNKNOWN;
  *file = a;
  return CLI_FLAG;
}

static int
run (int argc, char **argv)
{
  cli_model_opts o = { 0 };
  const char *file = NULL;
  if (cli_parse (&cmd_info, argc, argv, &o, file_opt, &file))
    return 2;
  if (o.model && file)
    return cli_usage_error (&cmd_info, "give the file once (FILE or -m FILE)");
  if (!o.model && !file)
    return cli_usage_error (&cmd_info, "a GGUF file is required");
  const char *path = file ? file : o.model;
  g4_error err = { 0 };
  g4_gguf *g;
  if (g4_gguf_open (path, &g, &err)) {
    fprintf (stderr, "gemma4-cli: %s\n", err.message);
    return 1;
  }
  const int rc = is_mmproj (g) ? describe_mmproj (path, g) : describe_model (path, g);
  g4_gguf_close (g);
  return rc;
}

const cli_command cmd_info = { "info", "describe a model or mmproj file: geometry, encoders, tensor types",
  usage_text, run
};
