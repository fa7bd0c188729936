/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Opens every file of the hostile corpus listed in DIR/MANIFEST, from disk and
 * from memory, and checks the reader rejects it with G4_STATUS_FORMAT and a
 * message naming the file, the expected problem and a byte offset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "test_util.h"

static void
expect_rejected (const char *what, g4_status st, const g4_error * err, const char *file,
    const char *fragment)
{
  CHECK (st == G4_STATUS_FORMAT && err->code == G4_STATUS_FORMAT
      && strstr (err->message, file) != NULL && strstr (err->message, fragment) != NULL
      && strstr (err->message, " at offset ") != NULL,
      "%s %s: status %d, message \"%s\", expected \"%s\"", what, file, (int) st,
      err->message, fragment);
}

static void
check_file (const char *dir, const char *file, const char *fragment)
{
  char path[4096];
  snprintf (path, sizeof path, "%s/%s", dir, file);
  g4_error err = { 0 };
  g4_gguf *g = NULL;
  g4_status st = g4_gguf_open (path, &g, &err);
  expect_rejected ("open", st, &err, file, fragment);
  CHECK (g == NULL, "open %s: a handle for a rejected file", file);
  g4_gguf_close (g);

  size_t n = 0;
  unsigned char *buf = test_read_file (path, &n);
  /* an exact-size heap copy, so a read past the end would hit the sanitizers */
  unsigned char *copy = malloc (n ? n : 1);
  memcpy (copy, buf, n);
  free (buf);
  err = (g4_error) { 0 };
  st = g4_gguf_open_memory (copy, n, file, &g, &err);
  expect_rejected ("open_memory", st, &err, file, fragment);
  CHECK (g == NULL, "open_memory %s: a handle for a rejected file", file);
  g4_gguf_close (g);
  free (copy);
}

int
main (int argc, char **argv)
{
  test_usage (argc, argv, 1, "DIR (with a MANIFEST)");
  char path[4096];
  snprintf (path, sizeof path, "%s/MANIFEST", argv[1]);
  FILE *m = fopen (path, "r");
  if (m == NULL) {
    fprintf (stderr, "cannot open %s\n", path);
    return 1;
  }
  char line[1024];
  int n_files = 0;
  while (fgets (line, sizeof line, m)) {
    line[strcspn (line, "\n")] = '\0';
    char *tab = strchr (line, '\t');
    if (line[0] == '#' || tab == NULL)
      continue;
    *tab = '\0';
    check_file (argv[1], line, tab + 1);
    n_files++;
  }
  fclose (m);
  printf ("%d hostile files rejected with the expected message (%d mismatches)\n",
      n_files - test_failures, test_failures);
  return test_failures || n_files < 30 ? 1 : 0;
}
