/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shared model's turn (the encoders') and its batch's passes never run
 * at once: a caller that takes the turn while a generation is in the batch
 * gets it between two passes, and no pass runs (no token comes) until it
 * gives the turn back; the generation then goes on and ends with the text
 * it gives decoded alone (greedy). Fails when passes go on under the turn.
 * usage: test_model_registry MODEL.gguf (the tiny real-vocabulary model) */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "gemma4.h"
#include "gstgemma4modelregistry.h"

#define MAX_TOKENS 200

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; \
      printf ("FAIL %s:%d: ", __FILE__, __LINE__); printf (__VA_ARGS__); \
      printf ("\n"); } } while (0)

typedef struct
{
  gint pieces;                  /* atomic */
  GString *text;
} Output;

static bool
on_piece (const char *text, int len, bool in_thought, void *user)
{
  Output *o = user;
  (void) in_thought;
  g_string_append_len (o->text, text, len);
  g_atomic_int_inc (&o->pieces);
  return true;
}

typedef struct
{
  GstGemma4Model *m;
  g4_generation *g;
  GstGemma4BatchOptions o;
} Job;

static gpointer
run_generation (gpointer data)
{
  Job *j = data;
  return GINT_TO_POINTER (gst_gemma4_model_generate (j->m, j->g, &j->o));
}

static g4_session *
new_session (const g4_model * model)
{
  g4_session_params sp = g4_session_default_params ();
  g4_session *s = NULL;
  g4_error err = { 0 };
  sp.n_ctx = 512;
  if (g4_session_new (model, &sp, &s, &err) != G4_OK)
    g_error ("session: %s", err.message);
  return s;
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  g4_error err = { 0 };
  g4_token tokens[24];
  gint cancel = 0, pieces_held;

  if (argc != 2) {
    fprintf (stderr, "usage: %s MODEL.gguf\n", argv[0]);
    return 2;
  }
  GstGemma4Model *m = gst_gemma4_model_get (argv[1], NULL, NULL, &error);
  if (!m || !gst_gemma4_model_wait_ready (m, NULL, &error))
    g_error ("load: %s", error->message);
  const g4_model *model = gst_gemma4_model_get_model (m);
  tokens[0] = 2;
  for (int i = 1; i < 24; i++)
    tokens[i] = 1000 + (i * 104729) % 200000;
  const g4_batch prompt = {.n = 24,.tokens = tokens };

  /* alone */
  Output alone = { 0, g_string_new (NULL) };
  g4_generate_params p = {.max_tokens = MAX_TOKENS,
    .sampling = g4_sampler_default_params (),.on_piece = on_piece,.user = &alone
  };
  g4_generate_result res_alone = { 0 };
  g4_session *s = new_session (model);
  CHECK (g4_generate (s, &prompt, &p, &res_alone, &err) == G4_OK, "alone: %s", err.message);
  g4_session_free (s);
  CHECK (res_alone.n_generated > 20, "only %d tokens alone: the test needs a long answer",
      res_alone.n_generated);

  /* in the batch, the turn taken and held meanwhile */
  Output batched = { 0, g_string_new (NULL) };
  p.user = &batched;
  s = new_session (model);
  Job job = {.m = m,.o = {.max_batch = 4,.cancel = &cancel } };
  CHECK (g4_generation_new (s, &prompt, &p, &job.g, &err) == G4_OK, "new: %s", err.message);
  GThread *t = g_thread_new ("generation", run_generation, &job);
  gint64 until = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (g_atomic_int_get (&batched.pieces) < 3 && g_get_monotonic_time () < until)
    g_usleep (200);
  CHECK (gst_gemma4_model_acquire (m, &cancel), "no turn");
  pieces_held = g_atomic_int_get (&batched.pieces);
  CHECK (pieces_held < res_alone.n_generated, "the generation ended before the turn was taken");
  g_usleep (300 * 1000);
  CHECK (g_atomic_int_get (&batched.pieces) == pieces_held,
      "%d pieces came while the turn was held (%d before)",
      g_atomic_int_get (&batched.pieces) - pieces_held, pieces_held);
  gst_gemma4_model_release (m);
  CHECK (GPOINTER_TO_INT (g_thread_join (t)), "the generation did not join the batch");

  g4_generate_result res = { 0 };
  CHECK (g4_generation_result (job.g, &res, &err) == G4_OK, "batched: %s", err.message);
  CHECK (res.n_generated == res_alone.n_generated, "%d tokens batched, %d alone",
      res.n_generated, res_alone.n_generated);
  CHECK (!strcmp (batched.text->str, alone.text->str), "the texts differ");
  printf ("turn taken after %d pieces of %d; none came while it was held\n", pieces_held,
      res.n_generated);
  g4_generation_free (job.g);
  g4_session_free (s);
  g_string_free (alone.text, TRUE);
  g_string_free (batched.text, TRUE);
  gst_gemma4_model_unref (m);
  printf ("%s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
