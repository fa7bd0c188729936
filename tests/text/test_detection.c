/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g4_detections_parse on the corpus of model answers in tests/data/detection
 * (NAME.txt, the answer; NAME.expected, the result: one line per detection
 * "label y_min x_min y_max x_max confidence" with "" for an empty label,
 * "ERROR" when no JSON is expected, "xy" to read [x, y, x, y]), then the
 * argument checks and max_out. Coordinates must match within COORD_TOL.
 * usage: test_detection CORPUS_DIR */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text_test.h"

#define COORD_TOL 0.01
#define CONF_TOL 1e-4
#define MAX_DET 16
#define MIN_CASES 30

typedef struct {
  bool error, xy;
  int n;
  g4_detection det[MAX_DET];
} expected;

/* One detection line: the last five fields are numbers, the label is what
 * comes before them. */
static bool
parse_detection_line (char *line, g4_detection * d)
{
  float v[5];
  char *end = line + strlen (line);
  for (int k = 4; k >= 0; k--) {
    while (end > line && end[-1] == ' ')
      end--;
    char *start = end;
    while (start > line && start[-1] != ' ')
      start--;
    if (start == end)
      return false;
    char *stop;
    v[k] = strtof (start, &stop);
    if (stop != end)
      return false;
    end = start;
  }
  if (end > line)
    end--;                      /* the separating space */
  *end = '\0';
  snprintf (d->label, sizeof d->label, "%s", strcmp (line, "\"\"") ? line : "");
  d->y_min = v[0];
  d->x_min = v[1];
  d->y_max = v[2];
  d->x_max = v[3];
  d->confidence = v[4];
  return true;
}

static bool
read_expected (const char *path, expected * e)
{
  char *text = test_read_file (path, NULL);
  if (!text)
    return false;
  *e = (expected) { 0 };
  bool ok = true;
  for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n")) {
    if (line[0] == '#' || line[0] == '\0')
      continue;
    if (!strcmp (line, "ERROR"))
      e->error = true;
    else if (!strcmp (line, "xy"))
      e->xy = true;
    else if (e->n >= MAX_DET || !parse_detection_line (line, &e->det[e->n++]))
      ok = false;
  }
  free (text);
  return ok;
}

static bool
same_detection (const g4_detection * a, const g4_detection * b)
{
  return !strcmp (a->label, b->label) && fabsf (a->y_min - b->y_min) <= COORD_TOL
      && fabsf (a->x_min - b->x_min) <= COORD_TOL && fabsf (a->y_max - b->y_max) <= COORD_TOL
      && fabsf (a->x_max - b->x_max) <= COORD_TOL && fabsf (a->confidence - b->confidence) <= CONF_TOL;
}

static void
print_detection (const char *what, const g4_detection * d)
{
  printf ("    %s [%s] %g %g %g %g %g\n", what, d->label, d->y_min, d->x_min, d->y_max,
      d->x_max, d->confidence);
}

/* Returns true when the case passed. */
static bool
run_case (const char *dir, const char *name)
{
  char path[4096];
  snprintf (path, sizeof path, "%s/%s.txt", dir, name);
  char *text = test_read_file (path, NULL);
  snprintf (path, sizeof path, "%s/%s.expected", dir, name);
  expected e;
  bool have_expected = read_expected (path, &e);
  CHECK (text && have_expected, "%s: unreadable .txt or bad .expected", name);
  if (!text || !have_expected) {
    free (text);
    return false;
  }
  g4_detection got[MAX_DET];
  g4_error err = { 0 };
  int n = g4_detections_parse (text, e.xy, got, MAX_DET, &err);
  bool pass = e.error ? n == -1 && err.code == G4_STATUS_FORMAT && err.message[0]
      : n == e.n && err.code == G4_OK;
  for (int i = 0; pass && i < n; i++)
    pass = same_detection (&got[i], &e.det[i]);
  CHECK (pass, "%s: got %d detections (%s), expected %s", name, n,
      err.code ? err.message : "no error", e.error ? "ERROR" : "the list below");
  if (!pass) {
    for (int i = 0; i < n && i < MAX_DET; i++)
      print_detection ("got ", &got[i]);
    for (int i = 0; i < e.n; i++)
      print_detection ("want", &e.det[i]);
  }
  free (text);
  return pass;
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
check_arguments (void)
{
  g4_detection d[2];
  g4_error err = { 0 };
  CHECK (g4_detections_parse (NULL, false, d, 2, &err) == -1 && err.code == G4_STATUS_INVALID_ARG);
  err = (g4_error) { 0 };
  CHECK (g4_detections_parse ("[]", false, NULL, 2, &err) == -1 && err.code == G4_STATUS_INVALID_ARG);
  err = (g4_error) { 0 };
  CHECK (g4_detections_parse ("[]", false, d, -1, &err) == -1 && err.code == G4_STATUS_INVALID_ARG);

  /* the count is of every object found, only max_out are written */
  const char *three = "[{\"box_2d\":[1,2,3,4],\"label\":\"a\"},{\"box_2d\":[5,6,7,8],\"label\":\"b\"},"
      "{\"box_2d\":[9,10,11,12],\"label\":\"c\"}]";
  memset (d, 0, sizeof d);
  d[1].label[0] = 'X';
  CHECK (g4_detections_parse (three, false, d, 1, NULL) == 3);
  CHECK (!strcmp (d[0].label, "a") && d[1].label[0] == 'X', "max_out 1 wrote past the first");
  CHECK (g4_detections_parse (three, false, NULL, 0, NULL) == 3, "counting with max_out 0");
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 1, "CORPUS_DIR");
  DIR *d = opendir (argv[1]);
  if (!d) {
    printf ("cannot open %s\n", argv[1]);
    return 1;
  }
  char *names[512];
  int n_names = 0;
  for (struct dirent *ent; (ent = readdir (d)) && n_names < 512;) {
    size_t len = strlen (ent->d_name);
    if (len > 4 && !strcmp (ent->d_name + len - 4, ".txt"))
      names[n_names++] = strndup (ent->d_name, len - 4);
  }
  closedir (d);
  qsort (names, (size_t) n_names, sizeof *names, compare_names);
  int passed = 0;
  double t0 = test_now_ms ();
  for (int i = 0; i < n_names; i++) {
    passed += run_case (argv[1], names[i]);
    free (names[i]);
  }
  double ms = test_now_ms () - t0;
  CHECK (n_names >= MIN_CASES, "only %d cases in the corpus", n_names);
  printf ("detection corpus: %d/%d cases pass (coordinates within %g) in %.2f ms\n",
      passed, n_names, COORD_TOL, ms);
  check_arguments ();
  return test_exit_status ();
}
