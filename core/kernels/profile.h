/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where a team's time goes (gemma4-cli bench --profile): while profiling is on
 * (g4_profile_enable in gemma4.h), member 0 times each step of a pass from
 * its start to the barrier that ends it and adds it to the step's kind, and
 * every member adds the time it waits at barriers to "thread wait". Off, a
 * step costs one relaxed load. */
#ifndef G4_PROFILE_H
#define G4_PROFILE_H

#include "team.h"

/* A start time for g4_prof_stop, 0 when not profiling or not member 0. */
double g4_prof_start (const g4_thread * th);
/* Adds the time since t0 to kind (a string that outlives the process's
 * profile: a literal, or a name made by g4_prof_name). */
void g4_prof_stop (const g4_thread * th, double t0, const char *kind);
/* The interned copy of a formatted kind name (for matrix products named by
 * weight type and shape). */
const char *g4_prof_name (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
bool g4_prof_on (void);
/* Seconds of a monotonic clock. */
double g4_prof_now (void);
/* Member-seconds spent waiting at barriers. */
void g4_prof_add_wait (double seconds);

#endif
