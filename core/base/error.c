/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

g4_status
g4_set_error (g4_error * err, g4_status code, const char *fmt, ...)
{
  if (err == NULL || err->code != G4_OK)
    return code;
  err->code = code;
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (err->message, sizeof err->message, fmt, ap);
  va_end (ap);
  return code;
}

const char *
g4_status_name (g4_status s)
{
  switch (s) {
    case G4_OK: return "ok";
    case G4_STATUS_IO: return "i/o error";
    case G4_STATUS_FORMAT: return "malformed file";
    case G4_STATUS_UNSUPPORTED: return "unsupported";
    case G4_STATUS_INVALID_ARG: return "invalid argument";
    case G4_STATUS_NO_MEMORY: return "out of memory";
    case G4_STATUS_CONTEXT_FULL: return "context full";
    case G4_STATUS_CANCELLED: return "cancelled";
  }
  return "unknown status";
}
