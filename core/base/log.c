/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static void
log_stderr (g4_log_level level, const char *msg, void *user)
{
  (void) user;
  if (level <= G4_LOG_WARNING)
    fprintf (stderr, "gemma4: %s\n", msg);
}

/* Written once by the application before it starts threads. */
static g4_log_fn log_fn = log_stderr;
static void *log_user;

void
g4_log_set (g4_log_fn fn, void *user)
{
  log_fn = fn ? fn : log_stderr;
  log_user = user;
}

void
g4_log (g4_log_level level, const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  log_fn (level, buf, log_user);
}
