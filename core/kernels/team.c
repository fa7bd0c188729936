/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* See team.h. The barrier is a generation counter: the last member to arrive
 * resets the arrival count and the work-sharing counter, then bumps the
 * generation, which is also the futex word the others sleep on. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

#include "profile.h"
#include "team.h"

/* How long a member spins before it sleeps. Work between barriers is split
 * into chunks, so with every member on a core the others arrive within a few
 * microseconds; a longer wait means a member was descheduled, and spinning
 * then only keeps its replacement off the core. */
#define SPIN_NS 20000

struct g4_team {
  _Alignas (64) atomic_int arrived;
  atomic_uint gen;              /* futex word: bumped when a barrier opens */
  atomic_int sleepers;
  _Alignas (64) atomic_llong next;      /* work-sharing counter */
};

static atomic_int budget;       /* 0: not set, use the CPU count */
static atomic_int in_use;

static int
n_cpus (void)
{
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity (0, sizeof set, &set) == 0 && CPU_COUNT (&set) > 0)
    return CPU_COUNT (&set);
#endif
  long n = sysconf (_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int) n : 1;
}

void
g4_threads_set_budget (int n)
{
  atomic_store (&budget, n > 0 ? n : 0);
}

int
g4_threads_budget (void)
{
  int b = atomic_load (&budget);
  return b > 0 ? b : n_cpus ();
}

int
g4_threads_in_use (void)
{
  return atomic_load (&in_use);
}

/* Takes up to want threads from the budget, at least one: a team that finds
 * the budget spent still runs, on its calling thread alone. */
static int
threads_acquire (int want)
{
  const int b = g4_threads_budget ();
  int used = atomic_load (&in_use), n;
  do {
    n = b - used < want ? b - used : want;
    n = n < 1 ? 1 : n;
  } while (!atomic_compare_exchange_weak (&in_use, &used, used + n));
  return n;
}

static void
threads_release (int n)
{
  atomic_fetch_sub (&in_use, n);
}

static double
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#endif
}

static void
futex_wait (atomic_uint *word, unsigned val)
{
#ifdef __linux__
  syscall (SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
#else
  (void) word;
  (void) val;
  sched_yield ();
#endif
}

static void
futex_wake_all (atomic_uint *word)
{
#ifdef __linux__
  syscall (SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#else
  (void) word;
#endif
}

void
g4_barrier (const g4_thread *th)
{
  g4_team *t = th->team;
  if (th->n == 1) {
    atomic_store_explicit (&t->next, 0, memory_order_relaxed);
    return;
  }
  const unsigned gen = atomic_load (&t->gen);
  if (atomic_fetch_add (&t->arrived, 1) == th->n - 1) {
    atomic_store_explicit (&t->arrived, 0, memory_order_relaxed);
    atomic_store_explicit (&t->next, 0, memory_order_relaxed);
    atomic_fetch_add (&t->gen, 1);
    if (atomic_load (&t->sleepers) > 0)
      futex_wake_all (&t->gen);
    return;
  }
  const double t0 = now_ns ();
  const bool prof = g4_prof_on ();
  for (int i = 1;; i++) {
    if (atomic_load_explicit (&t->gen, memory_order_acquire) != gen) {
      if (prof)
        g4_prof_add_wait ((now_ns () - t0) * 1e-9);
      return;
    }
    cpu_relax ();
    if (i % 64 == 0 && now_ns () - t0 > SPIN_NS)
      break;
  }
  /* sleepers is raised before gen is read again and the last arrival bumps
   * gen before it reads sleepers (both sequentially consistent), so either
   * it sees a sleeper and wakes it, or the futex call sees the new gen */
  atomic_fetch_add (&t->sleepers, 1);
  while (atomic_load (&t->gen) == gen)
    futex_wait (&t->gen, gen);
  atomic_fetch_sub (&t->sleepers, 1);
  if (prof)
    g4_prof_add_wait ((now_ns () - t0) * 1e-9);
}

bool
g4_team_cancelled (const g4_thread *th, const volatile int *cancel, bool *seen)
{
  if (th->id == 0 && cancel && *cancel)
    *seen = true;
  g4_barrier (th);
  return *seen;
}

bool
g4_take (const g4_thread *th, int64_t n, int64_t chunk, int64_t *i0, int64_t *i1)
{
  if (chunk <= 0) {
    chunk = n / (8 * (int64_t) th->n);
    chunk = chunk < 1 ? 1 : chunk;
  }
  const int64_t c = atomic_fetch_add_explicit (&th->team->next, 1, memory_order_relaxed);
  if (c > n / chunk)
    return false;
  *i0 = c * chunk;
  *i1 = *i0 + chunk < n ? *i0 + chunk : n;
  return *i0 < *i1;
}

void
g4_team_run (int n_threads, g4_team_fn *fn, void *arg)
{
  g4_team team = { 0 };
  const int n = threads_acquire (n_threads < 1 ? 1 : n_threads);
  if (n == 1) {
    const g4_thread th = {.team = &team,.id = 0,.n = 1 };
    fn (&th, arg);
  } else {
#pragma omp parallel num_threads(n)
    {
      g4_thread th = {.team = &team,.id = 0,.n = 1 };
#ifdef _OPENMP
      th.id = omp_get_thread_num ();
      th.n = omp_get_num_threads ();
#endif
      fn (&th, arg);
    }
  }
  threads_release (n);
}
