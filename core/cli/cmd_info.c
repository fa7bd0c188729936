/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4-cli info: architecture, per-layer geometry, tensor types, vocab, template. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gguf.h"
#include "kernels.h"

static const char usage_text[] =
    "usage: gemma4-cli info -m MODEL.gguf\n"
    "Prints the architecture, sizes per layer type, tensor types and counts,\n"
    "the vocabulary and the chat template of a Gemma 4 GGUF file.\n";

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

static int
run (int argc, char **argv)
{
  cli_model_opts o = { 0 };
  if (cli_parse (&cmd_info, argc, argv, &o, NULL, NULL))
    return 2;
  if (!o.model)
    return cli_usage_error (&cmd_info, "-m MODEL is required");
  g4_error err = { 0 };
  g4_gguf *g;
  if (g4_gguf_open (o.model, &g, &err)) {
    fprintf (stderr, "gemma4-cli: %s\n", err.message);
    return 1;
  }
  g4_model *m = cli_load_model (o.model, g4_gguf_n_tensors (g) == 0);
  if (!m) {
    g4_gguf_close (g);
    return 1;
  }
  g4_gguf_str arch = { "?", 1 };
  g4_gguf_get_str (g, "general.architecture", &arch, NULL);
  printf ("file: %s (GGUF v%u)\narchitecture: %.*s\n", o.model, g4_gguf_version (g),
      (int) arch.len, arch.ptr);
  const g4_model_info *in = g4_model_get_info (m);
  if (in) {
    printf ("n_embd: %d, vocab: %d, trained context: %d, sliding window: %d\n", in->n_embd,
        in->n_vocab, in->n_ctx_train, in->sliding_window);
    printf ("per-layer embedding width: %d, final soft-cap: %g, rms eps: %g\n",
        in->n_embd_per_layer, in->final_softcap, in->rms_eps);
    if (in->n_expert)
      printf ("experts: %d, %d used, expert n_ff %d\n", in->n_expert, in->n_expert_used,
          in->n_ff_expert);
    print_layers (in);
  }
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
  g4_gguf_close (g);
  return 0;
}

const cli_command cmd_info = { "info", "print a model's architecture, geometry and tensor types",
  usage_text, run
};
