/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Binary PPM (P6, maxval 255) images: the one dependency-free image format
 * the core reads, for the CLI without FFmpeg and for the vision tests. */
#ifndef G4_VISION_PPM_H
#define G4_VISION_PPM_H

#include <stdint.h>

#include "error.h"

/* Reads packed RGB8 pixels (stride 3 * width); *rgb is malloc'ed. */
g4_status g4_ppm_read (const char *path, uint8_t ** rgb, int *width, int *height,
    g4_error * err);

#endif
