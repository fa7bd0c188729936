/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The thread team of kernels/team.h: g4_take hands out every item exactly once
 * per loop across many loops separated by barriers (a member that takes no
 * chunk still passes them), a barrier orders writes before reads, a member that
 * arrives late (asleep past the spin) is waited for, and the process-wide
 * budget bounds the threads of concurrent teams. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gemma4.h"
#include "team.h"

#define N_ITEMS 1000
#define N_LOOPS 200

typedef struct {
  atomic_int taken[N_ITEMS];
  int stage[8];                 /* written by member i before a barrier, read by all after */
  atomic_int bad;
  int n_members;
} loops_state;

static void
loops (const g4_thread *th, void *arg)
{
  loops_state *st = arg;
  if (th->id == 0)
    st->n_members = th->n;
  for (int k = 0; k < N_LOOPS; k++) {
    /* member 1 skips every third loop: the others must cover its items */
    if (!(th->id == 1 && k % 3 == 0)) {
      int64_t i0, i1;
      while (g4_take (th, N_ITEMS - k, k % 5, &i0, &i1))
        for (int64_t i = i0; i < i1; i++)
          atomic_fetch_add (&st->taken[i], 1);
    }
    st->stage[th->id] = k;
    if (th->id == 2 && k == N_LOOPS / 2) {
      /* arrive long after the others have gone to sleep */
      struct timespec ts = {.tv_nsec = 30 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
    g4_barrier (th);
    for (int i = 0; i < th->n; i++)
      if (st->stage[i] != k)
        atomic_store (&st->bad, 1);
    if (th->id == 0)
      for (int i = 0; i < N_ITEMS; i++)
        if (atomic_exchange (&st->taken[i], 0) != (i < N_ITEMS - k))
          atomic_store (&st->bad, 1);
    g4_barrier (th);
  }
}

typedef struct {
  atomic_int started, release;
  int n;
} holder_state;

static void
hold (const g4_thread *th, void *arg)
{
  holder_state *h = arg;
  if (th->id == 0) {
    h->n = th->n;
    atomic_store (&h->started, 1);
    while (!atomic_load (&h->release)) {
      struct timespec ts = {.tv_nsec = 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  }
  g4_barrier (th);
}

static void *
holder_thread (void *arg)
{
  g4_team_run (2, hold, arg);
  return NULL;
}

static void
size_of_team (const g4_thread *th, void *arg)
{
  if (th->id == 0)
    *(int *) arg = th->n;
}

int
main (void)
{
  int fails = 0;
  /* three members even on a two-core machine: oversubscribed on purpose */
  g4_threads_set_budget (3);
  for (int n = 1; n <= 3; n++) {
    static loops_state st;
    memset (&st, 0, sizeof st);
    g4_team_run (n, loops, &st);
    printf ("team of %d (asked %d): %s\n", st.n_members, n, st.bad ? "FAIL" : "ok");
    fails += st.bad != 0;
  }

  /* budget 3: a team of 2 holds two, so a second one asking 3 gets 1 */
  holder_state h = { 0 };
  pthread_t pt;
  pthread_create (&pt, NULL, holder_thread, &h);
  while (!atomic_load (&h.started)) {
    struct timespec ts = {.tv_nsec = 1000 * 1000 };
    nanosleep (&ts, NULL);
  }
  int in_use = g4_threads_in_use (), second = 0;
  g4_team_run (3, size_of_team, &second);
  atomic_store (&h.release, 1);
  pthread_join (pt, NULL);
  int third = 0;
  g4_team_run (3, size_of_team, &third);
  const int ok = in_use == 2 && second == 1 && g4_threads_in_use () == 0;
  printf ("budget 3: holder %d threads, in use %d, second team %d, after release %d, "
      "a team alone %d: %s\n", h.n, in_use, second, g4_threads_in_use (), third,
      ok ? "ok" : "FAIL");
  fails += !ok;
  g4_threads_set_budget (0);
  return fails != 0;
}
