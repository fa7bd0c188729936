/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Status codes and the caller-owned error record every fallible core call fills.
 * The first error set wins, so the message names the innermost cause. */
#ifndef G4_ERROR_H
#define G4_ERROR_H

#include "gemma4.h"

#if defined(__GNUC__)
#define G4_PRINTF(f, a) __attribute__ ((format (printf, f, a)))
#else
#define G4_PRINTF(f, a)
#endif

/* Sets err (if non-NULL and not already set) and returns code, so callers can write
 * `return g4_set_error (err, G4_STATUS_FORMAT, "...")`. */
g4_status g4_set_error (g4_error * err, g4_status code, const char *fmt, ...)
    G4_PRINTF (3, 4);

#endif
