/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g4_model_load: map the GGUF, read hyperparameters, bind weights, load the
 * tokenizer and chat template. Weights stay in the mapping. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "model.h"
#include "vocab.h"

g4_status
g4_model_load (const char *path, const g4_model_params * params, g4_model ** out,
    g4_error * err)
{
  *out = NULL;
  if (!path)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "no model path given");
  const bool vocab_only = params && params->vocab_only;
  g4_model *m = calloc (1, sizeof *m);
  if (!m)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  g4_status st = g4_gguf_open (path, &m->gguf, err);
  if (st)
    goto fail;

  /* A file without a tokenizer (tokenizer.ggml.model "none", as in the tiny
   * test models) still runs from token ids. */
  g4_error verr = { 0 };
  st = g4_vocab_load (m->gguf, &m->vocab, &verr);
  if (st == G4_STATUS_UNSUPPORTED && !vocab_only) {
    g4_log (G4_LOG_INFO, "%s", verr.message);
  } else if (st) {
    g4_set_error (err, st, "%s", verr.message);
    goto fail;
  }
  g4_gguf_str tmpl;
  if (g4_gguf_find_key (m->gguf, "tokenizer.chat_template") >= 0
      && g4_gguf_get_str (m->gguf, "tokenizer.chat_template", &tmpl, NULL) == G4_OK) {
    m->chat_template = strndup (tmpl.ptr, tmpl.len);
    if (!m->chat_template) {
      st = g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
      goto fail;
    }
  }
  m->flavor = g4_template_flavor_detect (m->chat_template);
  if (vocab_only) {
    *out = m;
    return G4_OK;
  }
  if ((st = g4_hparams_load (m->gguf, &m->hp, err)))
    goto fail;
  if ((st = g4_weights_bind (m->gguf, &m->hp, &m->w, err)))
    goto fail;
  if (m->vocab && g4_vocab_n_tokens (m->vocab) != m->hp.n_vocab) {
    st = g4_set_error (err, G4_STATUS_FORMAT,
        "%s: tokenizer has %d tokens but token_embd.weight has %d rows", path,
        g4_vocab_n_tokens (m->vocab), m->hp.n_vocab);
    goto fail;
  }
  m->has_weights = true;
  *out = m;
  return G4_OK;
fail:
  g4_model_free (m);
  return st;
}

void
g4_model_free (g4_model * m)
{
  if (!m)
    return;
  g4_weights_clear (&m->w);
  g4_hparams_clear (&m->hp);
  if (m->vocab)
    g4_vocab_free (m->vocab);
  free (m->chat_template);
  g4_gguf_close (m->gguf);
  free (m);
}

const g4_model_info *
g4_model_get_info (const g4_model * m)
{
  return m->has_weights ? &m->hp.info : NULL;
}

const g4_vocab *
g4_model_get_vocab (const g4_model * m)
{
  return m->vocab;
}

const char *
g4_model_chat_template (const g4_model * m)
{
  return m->chat_template;
}

g4_template_flavor
g4_model_template_flavor (const g4_model * m)
{
  return m->flavor;
}
