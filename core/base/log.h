/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Diagnostics go through one callback (g4_log_set), never to stdout. */
#ifndef G4_LOG_H
#define G4_LOG_H

#include "error.h"

void g4_log (g4_log_level level, const char *fmt, ...) G4_PRINTF (2, 3);

#endif
