/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* constraint.h: what generation needs of a g4_constraint (created with
 * g4_constraint_detection_new, gemma4.h): the tokens allowed next, the greedy
 * pick among them, and advancing over the chosen token. Internal to core. */
#ifndef G4_CONSTRAINT_H
#define G4_CONSTRAINT_H

#include "gemma4.h"

/* Back to the start: nothing of the answer written yet. */
void g4_constraint_reset (g4_constraint * c);
/* The answer is complete: only end-of-generation tokens are allowed. */
bool g4_constraint_done (const g4_constraint * c);

/* Whether token t keeps the answer valid now. */
bool g4_constraint_allows (const g4_constraint * c, g4_token t);
/* Advances over token t; false (nothing changes) when t is not allowed. */
bool g4_constraint_accept (g4_constraint * c, g4_token t);
/* Advances over n bytes of answer text; false (nothing changes) unless every
 * byte keeps the answer valid. */
bool g4_constraint_accept_text (g4_constraint * c, const char *text, size_t n);

/* Sets the logits of the tokens not allowed now to -INFINITY; returns how
 * many allowed tokens keep a finite logit (0: a dead end). */
int g4_constraint_mask (g4_constraint * c, float *logits, int n_logits);
/* The allowed token with the highest finite logit (the lowest id on ties),
 * found by checking the best candidates first; -1 when none is allowed. */
g4_token g4_constraint_best (g4_constraint * c, const float *logits, int n_logits);

#endif
