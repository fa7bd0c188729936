/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A team of threads for one forward pass or one encoder call: a single OpenMP
 * parallel region wraps the whole computation; inside it the kernels split
 * their work by chunks taken from a shared counter and wait for each other at
 * g4_barrier only where data requires it. The barrier spins briefly, then
 * sleeps in the kernel, so a thread whose partner lost its core (a media
 * pipeline shares the machine) gives the core back instead of spinning through
 * the partner's time slice. libgomp's own barriers spin ~300k iterations and a
 * library cannot change that once libgomp has started, hence our own barrier.
 * Teams draw their size from the process-wide thread budget of gemma4.h
 * (g4_threads_set_budget), so that several elements running at once share
 * the cores instead of each taking them all.
 * Nothing here knows about sequences: a team runs whatever batch it is given. */
#ifndef G4_TEAM_H
#define G4_TEAM_H

#include <stdbool.h>
#include <stdint.h>

#include "gemma4.h"

typedef struct g4_team g4_team;

/* One member of a running team: its id in [0, n). */
typedef struct {
  g4_team *team;
  int id, n;
} g4_thread;

typedef void g4_team_fn (const g4_thread * th, void *arg);

/* Calls fn once on every thread of a team of at most n_threads threads (fewer
 * when other teams of the process hold the budget, at least one), the calling
 * thread being member 0; returns when every member has returned. Every member
 * must pass the same sequence of g4_barrier calls. */
void g4_team_run (int n_threads, g4_team_fn * fn, void *arg);

/* Waits until every member of the team has called it. */
void g4_barrier (const g4_thread * th);

/* Whether to stop: member 0 reads *cancel (cancel may be NULL) into *seen, the
 * team's shared copy (false at the start), and after a barrier every member
 * returns it, so that all stop at the same step. Two calls must be separated
 * by another barrier (a layer's work), so that no member still reads the
 * first answer when member 0 writes the second. */
bool g4_team_cancelled (const g4_thread * th, const volatile int *cancel, bool *seen);

/* Work sharing over n items: hands out the next chunk [*i0, *i1) of at most
 * chunk items (0: a size that gives each member about eight chunks) and
 * returns false when none is left. Which member takes which chunk depends on
 * timing, so each item's result must not depend on the chunk it falls in.
 * Consecutive loops over the shared counter must be separated by g4_barrier
 * (which resets it). */
bool g4_take (const g4_thread * th, int64_t n, int64_t chunk, int64_t * i0, int64_t * i1);

#endif
