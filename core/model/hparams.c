/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reads the gemma4.* keys (docs/text-decoder.md#hyperparameters) and checks
 * them for consistency before any buffer is sized from them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hparams.h"

#define ARCH "gemma4."
/* Guards against absurd values in hostile files before they size allocations. */
#define MAX_LAYERS 1024
#define MAX_DIM (1 << 20)

static g4_status
get_u32_or (const g4_gguf * g, const char *key, uint32_t def, int *out, g4_error * err)
{
  uint32_t v = def;
  if (g4_gguf_find_key (g, key) >= 0 && g4_gguf_get_u32 (g, key, &v, err))
    return err ? err->code : G4_STATUS_FORMAT;
  if (v > MAX_DIM)
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: key '%s' = %u is out of range",
        g4_gguf_path (g), key, v);
  *out = (int) v;
  return G4_OK;
}

static g4_status
get_u32_req (const g4_gguf * g, const char *key, int *out, g4_error * err)
{
  if (g4_gguf_find_key (g, key) < 0)
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: missing required key '%s'",
        g4_gguf_path (g), key);
  return get_u32_or (g, key, 0, out, err);
}

static g4_status
get_f32_or (const g4_gguf * g, const char *key, float def, float *out, g4_error * err)
{
  *out = def;
  if (g4_gguf_find_key (g, key) >= 0 && g4_gguf_get_f32 (g, key, out, err))
    return err ? err->code : G4_STATUS_FORMAT;
  if (!isfinite (*out))
    return g4_set_error (err, G4_STATUS_FORMAT, "%s: key '%s' is not finite",
        g4_gguf_path (g), key);
  return G4_OK;
}

/* Per-layer int keys may be a scalar (broadcast) or an array of n_layer. */
static g4_status
get_layer_ints (const g4_gguf * g, const char *key, int def, int n_layer, int *out,
    g4_error * err)
{
  if (g4_gguf_find_key (g, key) < 0) {
    for (int l = 0; l < n_layer; l++)
      out[l] = def;
    return G4_OK;
  }
  int32_t *tmp = malloc (sizeof *tmp * (size_t) n_layer);
  if (!tmp)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  g4_status st = g4_gguf_get_i32_array (g, key, tmp, (uint32_t) n_layer, err);
  for (int l = 0; st == G4_OK && l < n_layer; l++) {
    if (tmp[l] < 0 || tmp[l] > MAX_DIM)
      st = g4_set_error (err, G4_STATUS_FORMAT, "%s: key '%s'[%d] = %d is out of range",
          g4_gguf_path (g), key, l, tmp[l]);
    else
      out[l] = tmp[l];
  }
  free (tmp);
  return st;
}

g4_status
g4_hparams_load (const g4_gguf * g, g4_hparams * hp, g4_error * err)
{
  memset (hp, 0, sizeof *hp);
  g4_model_info *in = &hp->info;
  const char *path = g4_gguf_path (g);
  g4_gguf_str arch;
  if (g4_gguf_get_str (g, "general.architecture", &arch, err))
    return err ? err->code : G4_STATUS_FORMAT;
  if (arch.len != 6 || memcmp (arch.ptr, "gemma4", 6) != 0)
    return g4_set_error (err, G4_STATUS_UNSUPPORTED,
        "%s: architecture '%.*s' is not supported (expected 'gemma4')", path,
        (int) (arch.len > 64 ? 64 : arch.len), arch.ptr);

  g4_status st = G4_OK;
  int n_head = 0, key_len = 0, val_len = 0, key_len_swa = 0, val_len_swa = 0;
#define CHECK(x) do { if ((st = (x)) != G4_OK) goto fail; } while (0)
  CHECK (get_u32_req (g, ARCH "context_length", &in->n_ctx_train, err));
  CHECK (get_u32_req (g, ARCH "embedding_length", &in->n_embd, err));
  CHECK (get_u32_req (g, ARCH "block_count", &in->n_layer, err));
  if (in->n_layer < 1 || in->n_layer > MAX_LAYERS || in->n_embd < 1) {
    st = g4_set_error (err, G4_STATUS_FORMAT, "%s: block_count %d / embedding_length %d out of range",
        path, in->n_layer, in->n_embd);
    goto fail;
  }
  const int L = in->n_layer;
  hp->is_swa = calloc ((size_t) L, sizeof *hp->is_swa);
  hp->n_head_kv = calloc ((size_t) L, sizeof *hp->n_head_kv);
  hp->n_ff = calloc ((size_t) L, sizeof *hp->n_ff);
  hp->kv_source = calloc ((size_t) L, sizeof *hp->kv_source);
  if (!hp->is_swa || !hp->n_head_kv || !hp->n_ff || !hp->kv_source) {
    st = g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
    goto fail;
  }
  CHECK (get_u32_req (g, ARCH "attention.head_count", &n_head, err));
  in->n_head = n_head;
  CHECK (get_layer_ints (g, ARCH "attention.head_count_kv", n_head, L, hp->n_head_kv, err));
  CHECK (get_layer_ints (g, ARCH "feed_forward_length", 0, L, hp->n_ff, err));
  CHECK (get_u32_or (g, ARCH "attention.key_length", (uint32_t) (in->n_embd / (n_head ? n_head : 1)), &key_len, err));
  CHECK (get_u32_or (g, ARCH "attention.value_length", (uint32_t) key_len, &val_len, err));
  CHECK (get_u32_req (g, ARCH "attention.key_length_swa", &key_len_swa, err));
  CHECK (get_u32_req (g, ARCH "attention.value_length_swa", &val_len_swa, err));
  if (key_len != val_len || key_len_swa != val_len_swa || key_len < 2 || key_len_swa < 2
      || key_len % 2 || key_len_swa % 2) {
    st = g4_set_error (err, G4_STATUS_FORMAT,
        "%s: head dims key/value %d/%d (full), %d/%d (sliding) must be equal and even",
        path, key_len, val_len, key_len_swa, val_len_swa);
    goto fail;
  }
  in->head_dim = key_len;
  in->head_dim_swa = key_len_swa;
  /* T17 (docs/text-decoder.md#hyperparameters): both rotary widths and both
   * bases are read explicitly. */
  CHECK (get_u32_or (g, ARCH "rope.dimension_count", (uint32_t) key_len, &hp->n_rot, err));
  CHECK (get_u32_or (g, ARCH "rope.dimension_count_swa", (uint32_t) hp->n_rot, &hp->n_rot_swa, err));
  CHECK (get_f32_or (g, ARCH "rope.freq_base", 10000.0f, &in->rope_theta, err));
  CHECK (get_f32_or (g, ARCH "rope.freq_base_swa", 10000.0f, &in->rope_theta_swa, err));
  if (hp->n_rot > key_len || hp->n_rot_swa > key_len_swa || hp->n_rot % 2 || hp->n_rot_swa % 2) {
    st = g4_set_error (err, G4_STATUS_FORMAT, "%s: rope dimension counts %d/%d exceed head dims %d/%d",
        path, hp->n_rot, hp->n_rot_swa, key_len, key_len_swa);
    goto fail;
  }
  if (g4_gguf_find_key (g, ARCH "attention.layer_norm_rms_epsilon") < 0) {
    st = g4_set_error (err, G4_STATUS_FORMAT, "%s: missing required key '" ARCH
        "attention.layer_norm_rms_epsilon'", path);
    goto fail;
  }
  CHECK (get_f32_or (g, ARCH "attention.layer_norm_rms_epsilon", 1e-6f, &in->rms_eps, err));
  CHECK (get_u32_req (g, ARCH "attention.sliding_window", &in->sliding_window, err));

  /* The pattern must be an array (llama.cpp rejects a scalar period). */
  int64_t pk = g4_gguf_find_key (g, ARCH "attention.sliding_window_pattern");
  if (pk < 0 || g4_gguf_kv_type (g, pk) != G4_GGUF_ARRAY) {
    st = g4_set_error (err, G4_STATUS_FORMAT, "%s: key '" ARCH
        "attention.sliding_window_pattern' must be an array of %d bools", path, L);
    goto fail;
  }
  {
    int32_t *pat = malloc (sizeof *pat * (size_t) L);
    if (!pat) {
      st = g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
      goto fail;
    }
    st = g4_gguf_get_i32_array (g, ARCH "attention.sliding_window_pattern", pat, (uint32_t) L, err);
    for (int l = 0; st == G4_OK && l < L; l++)
      hp->is_swa[l] = pat[l] != 0;
    free (pat);
    if (st)
      goto fail;
  }
  int shared = 0;
  CHECK (get_u32_or (g, ARCH "attention.shared_kv_layers", 0, &shared, err));
  CHECK (get_u32_req (g, ARCH "embedding_length_per_layer_input", &in->n_embd_per_layer, err));
  CHECK (get_f32_or (g, ARCH "final_logit_softcapping", 0.0f, &in->final_softcap, err));
  CHECK (get_u32_or (g, ARCH "expert_count", 0, &in->n_expert, err));
  CHECK (get_u32_or (g, ARCH "expert_used_count", 0, &in->n_expert_used, err));
  CHECK (get_u32_or (g, ARCH "expert_feed_forward_length", 0, &in->n_ff_expert, err));

  if (n_head < 1 || shared >= L || (shared > 0 && L - shared < 2)
      || in->sliding_window < 1) {
    st = g4_set_error (err, G4_STATUS_FORMAT,
        "%s: head_count %d, shared_kv_layers %d of %d layers, sliding_window %d are inconsistent",
        path, n_head, shared, L, in->sliding_window);
    goto fail;
  }
  in->n_layer_kv_from_start = L - shared;
  for (int l = 0; l < L; l++) {
    if (hp->n_head_kv[l] < 1 || n_head % hp->n_head_kv[l] != 0) {
      st = g4_set_error (err, G4_STATUS_FORMAT,
          "%s: layer %d has %d kv heads, which does not divide %d heads", path, l,
          hp->n_head_kv[l], n_head);
      goto fail;
    }
    if (hp->n_ff[l] < 1) {
      st = g4_set_error (err, G4_STATUS_FORMAT, "%s: layer %d: feed_forward_length missing or 0", path, l);
      goto fail;
    }
    /* A layer without its own KV reads the last KV-owning layer of the same
     * attention type (HF's rule; llama.cpp's n_kv-2 / n_kv-1 is the same for
     * every released size). */
    hp->kv_source[l] = l;
    if (l >= in->n_layer_kv_from_start) {
      hp->kv_source[l] = -1;
      for (int s = in->n_layer_kv_from_start - 1; s >= 0; s--)
        if (hp->is_swa[s] == hp->is_swa[l]) {
          hp->kv_source[l] = s;
          break;
        }
      if (hp->kv_source[l] < 0) {
        st = g4_set_error (err, G4_STATUS_FORMAT,
            "%s: KV-shared layer %d has no earlier %s layer to read from", path, l,
            hp->is_swa[l] ? "sliding" : "full");
        goto fail;
      }
    }
  }
  if (in->n_expert > 0 && (in->n_expert_used < 1 || in->n_expert_used > in->n_expert
          || in->n_ff_expert < 1)) {
    st = g4_set_error (err, G4_STATUS_FORMAT, "%s: expert_count %d, expert_used_count %d, "
        "expert_feed_forward_length %d are inconsistent", path, in->n_expert,
        in->n_expert_used, in->n_ff_expert);
    goto fail;
  }
  /* Bidirectional image attention is the one model-variant rule of the text
   * model, and no GGUF key carries it. Hugging Face decides it by
   * text_config.use_bidirectional_attention == "vision" (Gemma4Model.forward,
   * modeling_gemma4.py: "Larger Gemma 4 models use Gemma 3's bidirectional
   * attention mask for vision inputs"), which its converter
   * (convert_gemma4_weights.py, _VARIANTS) sets on 26B-A4B and 31B and leaves
   * None on E2B and E4B. What sets those two apart in every file is the
   * per-layer input embeddings: E2B/E4B have them (hidden_size_per_layer_input
   * 256), the larger models none (0). So the rule follows the model family,
   * whatever its width; the reference (mtmd_decode_use_non_causal) instead
   * tests the width against E2B's 1536 and E4B's 2560, which agrees on the
   * released models only. */
  in->media_bidirectional = in->n_embd_per_layer == 0;
  in->rms_eps = in->rms_eps > 0 ? in->rms_eps : 1e-6f;
  in->is_swa = hp->is_swa;
  in->n_head_kv = hp->n_head_kv;
  in->n_ff = hp->n_ff;
  return G4_OK;
#undef CHECK
fail:
  g4_hparams_clear (hp);
  return st ? st : G4_STATUS_FORMAT;
}

void
g4_hparams_clear (g4_hparams * hp)
{
  free (hp->is_swa);
  free (hp->n_head_kv);
  free (hp->n_ff);
  free (hp->kv_source);
  memset (hp, 0, sizeof *hp);
}
