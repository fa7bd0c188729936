/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* End to end: a chat prompt holding audio, on the E2B-like tiny model of
 * tests/tools/tiny_model.h (generated here into a temporary file), must give
 * the last position's logits the reference produced (g4ref_mm with the same
 * model, mmproj, audio and prompt; tests/data/audio/README.md).
 * Tolerance: rel_rms = rms(ours - ref) / std(ref) <= 5% and the same argmax
 * (the reference's KV cache is F16, ours too; its audio rows differ from ours
 * by <= 1e-3).
 * usage: test_audio_prompt VOCAB.gguf MMPROJ WAV EXPECTED_LAST_LOGITS.f32 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gemma4.h"
#include "test_util.h"
#include "tiny_model.h"
#include "wav.h"

#define MAX_REL_RMS 0.05
/* Seed 2: the top two reference logits are 0.96 (speech) and 0.25 (long)
 * apart; with seed 1 the long prompt had a tie (0.0016) that argmax cannot judge. */
#define MODEL_SEED 2
#define PROMPT_TEXT "<|audio|>Transcribe this audio."

static int
fail (const char *what, const char *msg)
{
  printf ("FAIL: %s: %s\n", what, msg);
  return 1;
}

int
main (int argc, char **argv)
{
  if (argc != 5) {
    fprintf (stderr, "usage: %s VOCAB.gguf MMPROJ WAV EXPECTED_LAST_LOGITS.f32\n", argv[0]);
    return 2;
  }
  const char *tmpdir = getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp";
  char model_path[512];
  snprintf (model_path, sizeof model_path, "%s/g4-tiny-e2b-XXXXXX", tmpdir);
  int fd = mkstemp (model_path);
  if (fd < 0)
    return fail ("mkstemp", model_path);
  close (fd);
  g4_error err = { 0 };
  g4_status st = tiny_model_write (model_path, argv[1], MODEL_SEED, &err);
  g4_model *m = NULL;
  if (!st)
    st = g4_model_load (model_path, NULL, &m, &err);
  unlink (model_path);          /* the mapping keeps the data */
  if (st)
    return fail ("tiny model", err.message);

  g4_mmproj *mm;
  if (g4_mmproj_load (argv[2], &mm, &err))
    return fail ("mmproj", err.message);
  char why[256];
  int64_t n_samples;
  float *pcm = wav_read_16k_mono (argv[3], &n_samples, why, sizeof why);
  if (!pcm)
    return fail ("wav", why);
  const int d = g4_mmproj_n_embd (mm), nt = g4_audio_n_tokens (mm, n_samples);
  if (d != g4_model_get_info (m)->n_embd)
    return fail ("widths", "mmproj and model widths differ");
  float *emb = malloc (sizeof (float) * (size_t) nt * d);
  if (g4_audio_encode (mm, pcm, n_samples, 2, NULL, emb, &err))
    return fail ("encode", err.message);

  g4_chat_message msg = { G4_ROLE_USER, PROMPT_TEXT };
  char text[1024];
  g4_chat_render (g4_model_template_flavor (m), &msg, 1, false, true, text, sizeof text);
  printf ("prompt: ");
  for (const char *c = text; *c; c++)
    printf (*c == '\n' ? "\\n" : "%c", *c);
  printf ("\n");
  g4_media media = { emb, nt, true };
  g4_prompt p = { 0 };
  /* a prompt built again in the same g4_prompt reuses its memory: a text
   * prompt first, then the one with the audio (its arrays grow), then the
   * same again (nothing allocated), which must equal the first build */
  if (g4_prompt_build (m, "<bos>hi", NULL, 0, &p, &err) || p.embd != NULL)
    return fail ("text prompt", err.message);
  if (g4_prompt_build (m, text, &media, 1, &p, &err))
    return fail ("prompt", err.message);
  g4_prompt again = { 0 };
  if (g4_prompt_build (m, text, &media, 1, &again, &err))
    return fail ("prompt again", err.message);
  void *const store[4] = { p.store[0], p.store[1], p.store[2], p.store[3] };
  if (g4_prompt_build (m, "<bos>hi", NULL, 0, &again, &err) || again.embd != NULL
      || g4_prompt_build (m, text, &media, 1, &again, &err))
    return fail ("prompt rebuilt", err.message);
  if (g4_prompt_build (m, text, &media, 1, &p, &err) || memcmp (store, p.store, sizeof store)
      || again.n != p.n || memcmp (again.tokens, p.tokens, sizeof *p.tokens * (size_t) p.n)
      || memcmp (again.embd, p.embd, sizeof *p.embd * (size_t) p.n * (size_t) d)
      || memcmp (again.embd_mask, p.embd_mask, sizeof *p.embd_mask * (size_t) p.n))
    return fail ("prompt reuse", "a rebuilt prompt differs or was allocated again");
  g4_prompt_free (&again);
  printf ("prompt rebuilt in place: same rows, no new memory\n");

  g4_session_params sp = g4_session_default_params ();
  sp.n_ctx = p.n + 8;
  sp.n_threads = 2;
  sp.kv_type = G4_KV_F16;
  g4_session *s;
  if (g4_session_new (m, &sp, &s, &err))
    return fail ("session", err.message);
  const int V = g4_model_get_info (m)->n_vocab;
  float *logits = malloc (sizeof (float) * (size_t) V);
  g4_batch b = {.n = p.n,.tokens = p.tokens,.embd = p.embd,.embd_mask = p.embd_mask };
  if (g4_session_decode (s, &b, logits, &err))
    return fail ("decode", err.message);

  size_t n_ref;
  float *ref = test_read_f32 (argv[4], &n_ref);
  if (!ref || n_ref != (size_t) V)
    return fail ("expected logits", argv[4]);
  double mean = 0, d2 = 0, var = 0;
  int am_ref = 0, am = 0;
  for (int i = 0; i < V; i++) {
    mean += ref[i];
    am_ref = ref[i] > ref[am_ref] ? i : am_ref;
    am = logits[i] > logits[am] ? i : am;
  }
  mean /= V;
  for (int i = 0; i < V; i++) {
    d2 += ((double) logits[i] - ref[i]) * ((double) logits[i] - ref[i]);
    var += (ref[i] - mean) * (ref[i] - mean);
  }
  const double rel_rms = sqrt (d2 / var);
  printf ("%s: %d positions (%d audio rows), last logits rel_rms %.3f%% (limit %.0f%%), "
      "argmax %d (reference %d)\n", argv[3], p.n, nt, 100 * rel_rms, 100 * MAX_REL_RMS, am, am_ref);
  const int bad = !(rel_rms <= MAX_REL_RMS) || am != am_ref;
  if (bad)
    printf ("FAIL\n");
  free (ref);
  free (logits);
  g4_session_free (s);
  g4_prompt_free (&p);
  free (emb);
  free (pcm);
  g4_mmproj_free (mm);
  g4_model_free (m);
  return bad;
}
