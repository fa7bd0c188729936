/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* See profile.h. Kinds live in a small table under a mutex: profiling is a
 * measurement mode, its cost only matters when it is off. */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemma4.h"
#include "profile.h"

#define MAX_KINDS 96
#define WAIT_KIND "thread wait (all threads)"

typedef struct {
  const char *kind;
  double seconds;
  int64_t calls;
} entry;

static atomic_bool on;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry table[MAX_KINDS];
static int n_kinds;
static char *names[MAX_KINDS];  /* interned names, kept until the process ends */
static int n_names;

double
g4_prof_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

bool
g4_prof_on (void)
{
  return atomic_load_explicit (&on, memory_order_relaxed);
}

/* Adds to kind's entry; the caller holds the lock. Kinds past the table's
 * size are dropped (the report says so through the missing time). */
static void
add (const char *kind, double seconds)
{
  int i = 0;
  while (i < n_kinds && table[i].kind != kind && strcmp (table[i].kind, kind))
    i++;
  if (i == MAX_KINDS)
    return;
  if (i == n_kinds)
    table[n_kinds++] = (entry) {.kind = kind };
  table[i].seconds += seconds;
  table[i].calls++;
}

double
g4_prof_start (const g4_thread *th)
{
  return th->id == 0 && g4_prof_on () ? g4_prof_now () : 0.0;
}

void
g4_prof_stop (const g4_thread *th, double t0, const char *kind)
{
  if (th->id != 0 || t0 == 0.0)
    return;
  const double dt = g4_prof_now () - t0;
  pthread_mutex_lock (&lock);
  add (kind, dt);
  pthread_mutex_unlock (&lock);
}

void
g4_prof_add_wait (double seconds)
{
  pthread_mutex_lock (&lock);
  add (WAIT_KIND, seconds);
  pthread_mutex_unlock (&lock);
}

const char *
g4_prof_name (const char *fmt, ...)
{
  char buf[128];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  const char *found = "other";
  pthread_mutex_lock (&lock);
  for (int i = 0; i < n_names; i++)
    if (!strcmp (names[i], buf)) {
      found = names[i];
      goto out;
    }
  if (n_names < MAX_KINDS && (names[n_names] = strdup (buf)))
    found = names[n_names++];
out:
  pthread_mutex_unlock (&lock);
  return found;
}

void
g4_profile_enable (bool enable)
{
  pthread_mutex_lock (&lock);
  n_kinds = 0;
  pthread_mutex_unlock (&lock);
  atomic_store (&on, enable);
}

static int
by_time (const void *a, const void *b)
{
  const double x = ((const entry *) a)->seconds, y = ((const entry *) b)->seconds;
  return (x < y) - (x > y);
}

int
g4_profile_get (g4_profile_entry *out, int max)
{
  pthread_mutex_lock (&lock);
  qsort (table, (size_t) n_kinds, sizeof table[0], by_time);
  int n = n_kinds < max ? n_kinds : max;
  for (int i = 0; i < n; i++)
    out[i] = (g4_profile_entry) {.kind = table[i].kind,.seconds = table[i].seconds,
      .calls = table[i].calls };
  pthread_mutex_unlock (&lock);
  return n;
}
