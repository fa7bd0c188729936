/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The loaded model: the mapped file, its hyperparameters, bound weights and
 * tokenizer. Immutable after g4_model_load. */
#ifndef G4_MODEL_H
#define G4_MODEL_H

#include "hparams.h"
#include "weights.h"

struct g4_model {
  g4_gguf *gguf;
  g4_hparams hp;
  g4_weights w;
  bool has_weights;             /* false for vocab-only loads */
  g4_vocab *vocab;              /* NULL when the file has no tokenizer */
  char *chat_template;
  g4_template_flavor flavor;
};

#endif
