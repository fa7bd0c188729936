/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The detection constraint on the real 262144-token vocabulary: valid answers
 * are accepted byte by byte (and then parse), invalid prefixes are refused at
 * the right byte (numbers, keys, labels, bounds on spaces, label length and
 * objects), labels are checked at creation, the token mask agrees with a
 * token-by-token check in every kind of state, the greedy pick is the argmax
 * of the allowed tokens, and the time of both per token is printed.
 * usage: test_constraint VOCAB.gguf */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "constraint.h"
#include "text_test.h"

static const g4_vocab *vocab;
static int n_vocab;

/* Feeds text byte by byte; returns the index of the first refused byte, or
 * -1 when all were accepted. */
static int
feed (g4_constraint * c, const char *text)
{
  for (size_t i = 0; text[i]; i++)
    if (!g4_constraint_accept_text (c, text + i, 1))
      return (int) i;
  return -1;
}

static void
accepts (g4_constraint * c, const char *text, int n_objects)
{
  g4_constraint_reset (c);
  int bad = feed (c, text);
  CHECK (bad < 0, "refused byte %d of %s", bad, text);
  CHECK (g4_constraint_done (c), "not complete after %s", text);
  CHECK (g4_constraint_allows (c, g4_vocab_eos (vocab)) && !g4_constraint_accept_text (c, " ", 1),
      "after the list only end of generation");
  g4_detection d[8];
  CHECK (g4_detections_parse (text, false, d, 8, NULL) == n_objects, "%s does not parse", text);
}

/* text must be refused exactly at its last byte */
static void
refuses_last (g4_constraint * c, const char *text)
{
  g4_constraint_reset (c);
  int bad = feed (c, text);
  CHECK (bad == (int) strlen (text) - 1, "%s: refused at byte %d, expected the last", text, bad);
}

static g4_constraint *
make (const char *const *labels, int n, int max_objects)
{
  g4_error err = { 0 };
  g4_constraint *c = g4_constraint_detection_new (vocab, labels, n, max_objects, &err);
  CHECK (c != NULL, "constraint: %s", err.message);
  if (!c)
    exit (test_exit_status ());
  return c;
}

static void
check_label_set (void)
{
  const char *labels[] = { "person", "car", "traffic light", "caf\xc3\xa9 \"q\"", "cart" };
  g4_constraint *c = make (labels, 5, 2);
  accepts (c, "[]", 0);
  accepts (c, " [ \n ]", 0);
  accepts (c, "[{\"box_2d\": [0, 10, 999, 1000], \"label\": \"person\"}]", 1);
  accepts (c, "[{\"box_2d\":[5,6,7,8],\"label\":\"car\"},{\"box_2d\":[1,2,3,4],\"label\":\"cart\"}]", 2);
  accepts (c, "[\n  {\n    \"box_2d\": [ 100 , 200 , 300 , 400 ],\n    \"label\": \"traffic light\"\n  }\n]", 1);
  accepts (c, "[{\"box_2d\": [1, 2, 3, 4], \"label\": \"caf\xc3\xa9 \\\"q\\\"\"}]", 1);

  refuses_last (c, "{");
  refuses_last (c, "[{\"box\"");
  refuses_last (c, "[{\"l");
  refuses_last (c, "[{\"box_2d\": [01");
  refuses_last (c, "[{\"box_2d\": [1001");
  refuses_last (c, "[{\"box_2d\": [-");
  refuses_last (c, "[{\"box_2d\": [1.");
  refuses_last (c, "[{\"box_2d\": [1, 2, 3]");
  /* no box without a width or a height */
  refuses_last (c, "[{\"box_2d\": [5, 6, 5,");
  refuses_last (c, "[{\"box_2d\": [5, 6, 5 ");
  refuses_last (c, "[{\"box_2d\": [5, 6, 7, 6]");
  /* refused as soon as the coordinate can only equal its partner */
  refuses_last (c, "[{\"box_2d\": [555, 6, 555");
  refuses_last (c, "[{\"box_2d\": [0, 6, 0");
  refuses_last (c, "[{\"box_2d\": [5, 1000, 7, 1000");
  accepts (c, "[{\"box_2d\": [10, 20, 100, 200], \"label\": \"car\"}]", 1);
  refuses_last (c, "[{\"box_2d\": [1, 2, 3, 4,");
  refuses_last (c, "[{\"box_2d\": [1, 2, 3, 4], \"label\": \"d");
  refuses_last (c, "[{\"box_2d\": [1, 2, 3, 4], \"label\": \"pers\"");
  refuses_last (c, "[{\"box_2d\": [1, 2, 3, 4], \"label\": \"car\",");
  refuses_last (c, "[{\"box_2d\": [1, 2, 3, 4], \"label\": \"car\"}, {\"box_2d\": [1, 2, 3, 4], "
      "\"label\": \"car\"},");
  refuses_last (c, "[         ");
  refuses_last (c, "[]]");
  g4_constraint_free (c);

  /* bad label sets */
  char long_label[80];
  memset (long_label, 'a', 64);
  long_label[64] = '\0';
  const char *bad[][1] = { {""}, {long_label}, {"\xff"}, {NULL} };
  for (int i = 0; i < 4; i++) {
    g4_error err = { 0 };
    CHECK (!g4_constraint_detection_new (vocab, bad[i], 1, 0, &err) && err.code == G4_STATUS_INVALID_ARG,
        "bad label %d accepted", i);
  }
  long_label[63] = '\0';
  const char *ok[] = { long_label };
  c = make (ok, 1, 0);
  g4_constraint_free (c);
}

static void
check_free_labels (void)
{
  g4_constraint *c = make (NULL, 0, 0);
  accepts (c, "[{\"box_2d\": [1, 2, 3, 4], \"label\": \"a \\\"b\\\" \\\\ \\/ \\n \\u00e9\\uD83D\\uDC31 "
      "\xc3\xa9\xe7\x8c\xab\xf0\x9f\x90\xb1\"}]", 1);
  const char *pre = "[{\"box_2d\": [1, 2, 3, 4], \"label\": \"";
  char text[256];
  const char *bad_tails[] = { "\"", "a\n", "\xff", "\xc0", "\xed\xa0", "\\x", "\\u12g" };
  for (size_t i = 0; i < sizeof bad_tails / sizeof *bad_tails; i++) {
    snprintf (text, sizeof text, "%s%s", pre, bad_tails[i]);
    refuses_last (c, text);
  }
  /* 63 bytes fit, a 64th does not; a character or escape that would not fit
   * whole is refused at its first byte */
  snprintf (text, sizeof text, "%s%063d", pre, 0);
  g4_constraint_reset (c);
  CHECK (feed (c, text) < 0 && !g4_constraint_accept_text (c, "x", 1)
      && g4_constraint_accept_text (c, "\"", 1), "label of 63 bytes");
  snprintf (text, sizeof text, "%s%062d\xc3", pre, 0);
  refuses_last (c, text);
  snprintf (text, sizeof text, "%s%058d\\u", pre, 0);
  refuses_last (c, text);
  g4_constraint_free (c);
}

/* In each state the mask equals the token-by-token check, and the greedy pick
 * is the argmax of the allowed tokens for random logits. */
static void
check_mask (void)
{
  const char *labels[] = { "person", "car" };
  g4_constraint *with_labels = make (labels, 2, 0);
  g4_constraint *any = make (NULL, 0, 0);
  const char *states[] = {
    "", "[", "[{", "[{\"bo", "[{\"box_2d\": [", "[{\"box_2d\": [1", "[{\"box_2d\": [100",
    "[{\"box_2d\": [1, 2, 3, 4], \"label\": \"", "[{\"box_2d\": [1, 2, 3, 4], \"label\": \"c",
    "[{\"box_2d\": [1, 2, 3, 4], \"label\": \"car\"}", "[]",
  };
  const char *free_states[] = {
    "[{\"box_2d\": [1, 2, 3, 4], \"label\": \"", "[{\"box_2d\": [1, 2, 3, 4], \"label\": \"ab\\",
    "[{\"box_2d\": [1, 2, 3, 4], \"label\": \"\xe7", "[{\"box_2d\": [1, 2, 3, 4], \"label\": \""
        "0123456789012345678901234567890123456789012345678901234567",
  };
  float *logits = malloc (sizeof *logits * (size_t) n_vocab);
  float *masked = malloc (sizeof *masked * (size_t) n_vocab);
  test_rng_seed (7);
  int n_states = 0;
  for (int k = 0; k < 2; k++) {
    g4_constraint *c = k ? any : with_labels;
    const char *const *list = k ? free_states : states;
    int n = k ? (int) (sizeof free_states / sizeof *free_states) : (int) (sizeof states / sizeof *states);
    for (int i = 0; i < n; i++, n_states++) {
      g4_constraint_reset (c);
      CHECK (feed (c, list[i]) < 0, "state %s", list[i]);
      for (int t = 0; t < n_vocab; t++)
        logits[t] = test_rng_float (-10.0f, 10.0f);
      memcpy (masked, logits, sizeof *logits * (size_t) n_vocab);
      int n_allowed = g4_constraint_mask (c, masked, n_vocab);
      int agree = 0, count = 0;
      g4_token argmax = -1;
      for (int t = 0; t < n_vocab; t++) {
        bool a = g4_constraint_allows (c, t);
        agree += a == (masked[t] > -INFINITY);
        count += a;
        if (a && (argmax < 0 || logits[t] > logits[argmax]))
          argmax = t;
      }
      CHECK (agree == n_vocab && count == n_allowed, "state '%s': mask disagrees on %d tokens",
          list[i], n_vocab - agree);
      CHECK (n_allowed > 0, "state '%s': dead end", list[i]);
      g4_token best = g4_constraint_best (c, logits, n_vocab);
      CHECK (best == argmax, "state '%s': greedy pick %d, argmax of the allowed %d", list[i], best, argmax);
      if (i == 4 && k == 0)
        printf ("after '%s': %d allowed tokens\n", list[i], n_allowed);
    }
  }
  printf ("mask == token-by-token check and greedy == argmax in %d states\n", n_states);

  /* time per generated token, over the states of a whole answer */
  const char *answer = "[{\"box_2d\": [120, 40, 870, 515], \"label\": \"person\"}, "
      "{\"box_2d\": [300, 600, 720, 990], \"label\": \"car\"}]";
  for (int k = 0; k < 2; k++) {
    g4_constraint *c = k ? any : with_labels;
    double t_mask = 0, t_best = 0;
    int steps = 0;
    g4_constraint_reset (c);
    for (size_t i = 0; answer[i]; i++, steps++) {
      memcpy (masked, logits, sizeof *logits * (size_t) n_vocab);
      double t0 = test_now_ms ();
      g4_constraint_mask (c, masked, n_vocab);
      double t1 = test_now_ms ();
      g4_constraint_best (c, logits, n_vocab);
      t_best += test_now_ms () - t1;
      t_mask += t1 - t0;
      CHECK (g4_constraint_accept_text (c, answer + i, 1));
    }
    printf ("%s: full mask %.3f ms, greedy pick %.3f ms per token (%d states, %d-token vocab)\n",
        k ? "any label" : "label set", t_mask / steps, t_best / steps, steps, n_vocab);
  }
  free (logits);
  free (masked);
  g4_constraint_free (with_labels);
  g4_constraint_free (any);
}

/* Classification: exactly one label as written, a label that begins a longer
 * one may end or go on, nothing after a complete label but the end. */
static void
check_choice (void)
{
  const char *labels[] = { "cat", "cathedral", "traffic light", "caf\xc3\xa9 \"noir\"" };
  g4_error err = { 0 };
  g4_constraint *c = g4_constraint_choice_new (vocab, labels, 4, &err);
  CHECK (c != NULL, "choice: %s", err.message);
  if (!c)
    return;
  for (int i = 0; i < 4; i++) {
    g4_constraint_reset (c);
    CHECK (feed (c, labels[i]) < 0 && g4_constraint_done (c)
        && g4_constraint_allows (c, g4_vocab_eos (vocab)), "label %s refused", labels[i]);
  }
  g4_constraint_reset (c);
  CHECK (!g4_constraint_allows (c, g4_vocab_eos (vocab)), "an empty answer allowed");
  feed (c, "cat");
  CHECK (g4_constraint_done (c) && g4_constraint_accept_text (c, "h", 1), "cat then cathedral");
  CHECK (!g4_constraint_done (c) && !g4_constraint_allows (c, g4_vocab_eos (vocab)),
      "'cath' taken as complete");
  const char *bad[] = { "dog", "Cat", " cat", "cat.", "traffic lights", "[\"cat\"]",
    "caf\xc3\xa9 \\\"noir" };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    g4_constraint_reset (c);
    const int at = feed (c, bad[i]);
    CHECK (at >= 0 || !g4_constraint_done (c), "choice accepted '%s'", bad[i]);
  }
  /* the token mask and the greedy pick agree with the token-by-token check */
  float *logits = malloc (sizeof *logits * (size_t) n_vocab);
  for (int t = 0; t < n_vocab; t++)
    logits[t] = (float) ((t * 2654435761u) % 1000003) / 1000003.0f;
  const char *states[] = { "", "ca", "cat", "traffic " };
  for (size_t i = 0; i < sizeof states / sizeof *states; i++) {
    g4_constraint_reset (c);
    feed (c, states[i]);
    float *masked = malloc (sizeof *masked * (size_t) n_vocab);
    memcpy (masked, logits, sizeof *logits * (size_t) n_vocab);
    const int n_allowed = g4_constraint_mask (c, masked, n_vocab);
    int n_check = 0;
    g4_token argmax = -1;
    for (g4_token t = 0; t < n_vocab; t++) {
      const bool ok = g4_constraint_allows (c, t);
      n_check += ok;
      CHECK (ok == (masked[t] > -INFINITY), "state '%s' token %d: mask disagrees", states[i], t);
      if (ok && (argmax < 0 || logits[t] > logits[argmax]))
        argmax = t;
    }
    CHECK (n_allowed == n_check && n_allowed > 0, "state '%s': %d allowed, %d by check",
        states[i], n_allowed, n_check);
    CHECK (g4_constraint_best (c, logits, n_vocab) == argmax, "state '%s': greedy pick",
        states[i]);
    free (masked);
  }
  printf ("choice: 4 labels, prefixes, quotes and UTF-8 as written, mask and greedy agree\n");
  free (logits);
  g4_constraint_free (c);
  CHECK (!g4_constraint_choice_new (vocab, labels, 0, &err) && err.code == G4_STATUS_INVALID_ARG,
      "a choice of nothing");
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 1, "VOCAB.gguf");
  g4_model_params mp = {.vocab_only = true };
  g4_model *m;
  g4_error err = { 0 };
  if (g4_model_load (argv[1], &mp, &m, &err)) {
    printf ("load: %s\n", err.message);
    return 1;
  }
  vocab = g4_model_get_vocab (m);
  n_vocab = g4_vocab_n_tokens (vocab);
  double t0 = test_now_ms ();
  g4_constraint *c = make (NULL, 0, 0);
  printf ("constraint created in %.1f ms\n", test_now_ms () - t0);
  g4_constraint_free (c);
  CHECK (!g4_constraint_detection_new (NULL, NULL, 0, 0, &err) && err.code == G4_STATUS_INVALID_ARG);
  check_label_set ();
  check_free_labels ();
  check_mask ();
  check_choice ();
  g4_model_free (m);
  return test_exit_status ();
}
