/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs a libFuzzer target without libFuzzer: feeds it every file of the
 * directories (or files) named on the command line, each in an exact-size
 * heap buffer so out-of-bounds reads show up under the sanitizers. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static int n_inputs;

static int
replay_file (const char *path)
{
  FILE *f = fopen (path, "rb");
  if (f == NULL) {
    fprintf (stderr, "cannot open %s\n", path);
    return 1;
  }
  fseek (f, 0, SEEK_END);
  long len = ftell (f);
  fseek (f, 0, SEEK_SET);
  uint8_t *buf = malloc (len > 0 ? (size_t) len : 1);
  size_t n = len > 0 && buf ? fread (buf, 1, (size_t) len, f) : 0;
  fclose (f);
  if (buf == NULL || len < 0 || n != (size_t) len) {
    fprintf (stderr, "cannot read %s\n", path);
    free (buf);
    return 1;
  }
  LLVMFuzzerTestOneInput (buf, n);
  free (buf);
  n_inputs++;
  return 0;
}

static int
replay (const char *path)
{
  struct stat st;
  if (stat (path, &st) != 0) {
    fprintf (stderr, "cannot stat %s\n", path);
    return 1;
  }
  if (!S_ISDIR (st.st_mode))
    return replay_file (path);
  DIR *d = opendir (path);
  if (d == NULL)
    return 1;
  int bad = 0;
  for (struct dirent *e; (e = readdir (d)) != NULL;) {
    if (e->d_name[0] == '.' || strcmp (e->d_name, "MANIFEST") == 0)
      continue;
    char child[4096];
    snprintf (child, sizeof child, "%s/%s", path, e->d_name);
    bad |= replay_file (child);
  }
  closedir (d);
  return bad;
}

int
main (int argc, char **argv)
{
  int bad = 0;
  for (int i = 1; i < argc; i++)
    bad |= replay (argv[i]);
  printf ("replayed %d inputs without a crash\n", n_inputs);
  return bad || n_inputs == 0;
}
