/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g4_generate with the detection constraint on the random real-vocabulary
 * model: greedy and sampled (temperature 1, several seeds) answers, with a
 * label set and with any label, are each a complete strict-JSON list that
 * g4_detections_parse reads whole, with labels from the set; the same prompts
 * without the constraint give text that does not parse (the model is random,
 * so the constraint is what makes the difference); classification answers
 * under the choice constraint are exactly one label. Prints the time per
 * token with and without it.
 * usage: test_constrained_generate MODEL.gguf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemma4.h"
#include "test_util.h"

/* one object fits in about 160 tokens even with every whitespace run full */
#define MAX_TOKENS 200
#define UNCONSTRAINED_TOKENS 24
#define N_SEEDS 4

/* ---- a strict JSON reader: is the text exactly one JSON value? ---------------- */

static const char *json_value (const char *s, int depth);

static const char *
json_space (const char *s)
{
  while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
    s++;
  return s;
}

static const char *
json_string (const char *s)
{
  for (s++; *s != '"'; s++) {
    if ((unsigned char) *s < 0x20)
      return NULL;
    if (*s == '\\') {
      s++;
      if (*s == 'u') {
        for (int i = 1; i <= 4; i++)
          if (!strchr ("0123456789abcdefABCDEF", s[i]) || !s[i])
            return NULL;
        s += 4;
      } else if (!*s || !strchr ("\"\\/bfnrt", *s)) {
        return NULL;
      }
    }
  }
  return s + 1;
}

static const char *
json_number (const char *s)
{
  if (*s == '-')
    s++;
  if (*s == '0')
    s++;
  else if (*s >= '1' && *s <= '9')
    while (*s >= '0' && *s <= '9')
      s++;
  else
    return NULL;
  if (*s == '.') {
    if (*++s < '0' || *s > '9')
      return NULL;
    while (*s >= '0' && *s <= '9')
      s++;
  }
  if (*s == 'e' || *s == 'E') {
    s += s[1] == '+' || s[1] == '-' ? 2 : 1;
    if (*s < '0' || *s > '9')
      return NULL;
    while (*s >= '0' && *s <= '9')
      s++;
  }
  return s;
}

/* Items of an array or members of an object, up to the closing byte. */
static const char *
json_items (const char *s, char close, int depth)
{
  s = json_space (s + 1);
  if (*s == close)
    return s + 1;
  for (;;) {
    if (close == '}') {
      if (*s != '"' || !(s = json_string (s)))
        return NULL;
      s = json_space (s);
      if (*s++ != ':')
        return NULL;
    }
    if (!(s = json_value (s, depth + 1)))
      return NULL;
    s = json_space (s);
    if (*s == close)
      return s + 1;
    if (*s++ != ',')
      return NULL;
    s = json_space (s);
  }
}

static const char *
json_value (const char *s, int depth)
{
  s = json_space (s);
  if (depth > 16)
    return NULL;
  if (*s == '[')
    return json_items (s, ']', depth);
  if (*s == '{')
    return json_items (s, '}', depth);
  if (*s == '"')
    return json_string (s);
  for (const char *const *w = (const char *const[]) { "true", "false", "null", NULL }; *w; w++)
    if (!strncmp (s, *w, strlen (*w)))
      return s + strlen (*w);
  return json_number (s);
}

static bool
strict_json_list (const char *text)
{
  const char *s = json_space (text);
  if (*s != '[')
    return false;
  s = json_value (s, 0);
  return s && *json_space (s) == '\0';
}

/* ---- generation ------------------------------------------------------------------ */

static g4_model *model;
static g4_token prompt[256];
static int n_prompt;
static double total_seconds[2];
static int total_tokens[2];

static void
generate (g4_constraint * c, int max_tokens, float temperature, uint64_t seed, test_answer * k,
    g4_generate_result * r)
{
  g4_session_params sp = g4_session_default_params ();
  sp.n_ctx = n_prompt + MAX_TOKENS + 8;
  sp.n_threads = 2;
  g4_session *s;
  g4_error err = { 0 };
  *k = (test_answer) { 0 };
  *r = (g4_generate_result) { 0 };
  if (g4_session_new (model, &sp, &s, &err)) {
    CHECK (false, "session: %s", err.message);
    return;
  }
  g4_generate_params gp = {.max_tokens = max_tokens,.sampling = g4_sampler_default_params (),
    .on_piece = test_collect_answer,.user = k,.constraint = c
  };
  gp.sampling.temperature = temperature;
  gp.sampling.seed = seed;
  g4_batch pb = {.n = n_prompt,.tokens = prompt };
  CHECK (g4_generate (s, &pb, &gp, r, &err) == G4_OK, "generate: %s", err.message);
  total_seconds[c != NULL] += r->generate_seconds;
  total_tokens[c != NULL] += r->n_generated;
  g4_session_free (s);
}

static bool
in_set (const char *label, const char *const *labels, int n)
{
  for (int i = 0; i < n; i++)
    if (!strcmp (label, labels[i]))
      return true;
  return n == 0;
}

/* One constrained answer: complete, strict JSON, parsed whole. */
static void
check_constrained (const char *what, g4_constraint * c, const char *const *labels, int n_labels,
    float temperature, uint64_t seed)
{
  static test_answer k;
  g4_generate_result r;
  generate (c, MAX_TOKENS, temperature, seed, &k, &r);
  g4_detection d[64];
  g4_error err = { 0 };
  int n = g4_detections_parse (k.text, false, d, 64, &err);
  int objects = 0;
  for (const char *s = k.text; (s = strstr (s, "\"box_2d\"")); s++)
    objects++;
  bool labels_ok = true;
  for (int i = 0; i < n && i < 64; i++)
    labels_ok = labels_ok && in_set (d[i].label, labels, n_labels);
  printf ("%s T=%.1f seed %llu: %d tokens, %d objects: %.160s%s\n", what, temperature,
      (unsigned long long) seed, r.n_generated, n, k.text, k.len > 160 ? "..." : "");
  CHECK (r.stop == G4_STOP_EOG, "%s: stopped by %d, not at the end of the list", what, r.stop);
  CHECK (strict_json_list (k.text), "%s: not a complete JSON list: %s", what, k.text);
  CHECK (n >= 0 && n == objects, "%s: parsed %d of %d objects (%s)", what, n, objects, err.message);
  CHECK (labels_ok, "%s: a label outside the set", what);
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 1, "MODEL.gguf");
  g4_error err = { 0 };
  if (g4_model_load (argv[1], NULL, &model, &err)) {
    printf ("load: %s\n", err.message);
    return 1;
  }
  const g4_vocab *v = g4_model_get_vocab (model);
  char instruction[1024], text[2048];
  g4_vision_task_prompt (G4_VISION_DETECT, "person, car", instruction, sizeof instruction);
  g4_chat_message msg = { G4_ROLE_USER, instruction };
  g4_chat_render (g4_model_template_flavor (model), &msg, 1, false, true, text, sizeof text);
  n_prompt = g4_tokenize (v, text, strlen (text), false, true, prompt, 256);
  CHECK (n_prompt > 10 && n_prompt < 256, "prompt tokens %d", n_prompt);

  const char *labels[] = { "person", "car" };
  g4_constraint *with_labels = g4_constraint_detection_new (v, labels, 2, 1, &err);
  g4_constraint *any = g4_constraint_detection_new (v, NULL, 0, 1, &err);
  CHECK (with_labels && any, "constraint: %s", err.message);
  if (!with_labels || !any)
    return test_exit_status ();

  check_constrained ("labels", with_labels, labels, 2, 0.0f, 0);
  for (uint64_t seed = 1; seed <= N_SEEDS; seed++)
    check_constrained ("labels", with_labels, labels, 2, 1.0f, seed);
  check_constrained ("any label", any, NULL, 0, 0.0f, 0);

  /* classification: the answer is exactly one of the labels, then the end */
  const char *classes[] = { "person", "car", "traffic light" };
  g4_constraint *choice = g4_constraint_choice_new (v, classes, 3, &err);
  CHECK (choice != NULL, "choice: %s", err.message);
  for (uint64_t seed = 0; choice && seed <= N_SEEDS; seed++) {
    static test_answer k;
    g4_generate_result r;
    generate (choice, 16, seed ? 1.0f : 0.0f, seed, &k, &r);
    printf ("classify T=%d seed %llu: %d tokens: '%s'\n", seed ? 1 : 0,
        (unsigned long long) seed, r.n_generated, k.text);
    CHECK (r.stop == G4_STOP_EOG && in_set (k.text, classes, 3),
        "classify: '%s' is not one of the labels (stop %d)", k.text, r.stop);
  }
  g4_constraint_free (choice);

  /* the same model and prompts without the constraint */
  int parsed = 0;
  for (uint64_t seed = 0; seed <= 2; seed++) {
    static test_answer k;
    g4_generate_result r;
    generate (NULL, UNCONSTRAINED_TOKENS, seed ? 1.0f : 0.0f, seed, &k, &r);
    g4_detection d[8];
    int n = g4_detections_parse (k.text, false, d, 8, NULL);
    parsed += n > 0 || strict_json_list (k.text);
    printf ("unconstrained T=%d seed %llu: %d tokens, parse %d: %.80s\n", seed ? 1 : 0,
        (unsigned long long) seed, r.n_generated, n, k.text);
  }
  CHECK (parsed == 0, "%d unconstrained answers of the random model parse: the test proves nothing", parsed);

  printf ("time per generated token: %.3f ms constrained, %.3f ms unconstrained\n",
      1e3 * total_seconds[1] / (total_tokens[1] ? total_tokens[1] : 1),
      1e3 * total_seconds[0] / (total_tokens[0] ? total_tokens[0] : 1));
  g4_constraint_free (with_labels);
  g4_constraint_free (any);
  g4_model_free (model);
  return test_exit_status ();
}
