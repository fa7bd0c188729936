/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A deterministic random gemma4a (audio only) mmproj with the released E2B
 * geometry (D 1024, 8 heads, FF 4096, 128 mel bands, SSCP 128/32 channels,
 * Dout 1536) and every optional tensor of the real files (norms, clamp
 * scalars, per_dim_scale, relative-position projection, pre_encode.out), as
 * the reference's mkmmproj.py writes them. */
#ifndef G4_TEST_MMPROJ_GEN_H
#define G4_TEST_MMPROJ_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "gemma4.h"

/* T: text width; L: layers (12 in E2B); q8_0: every matrix whose rows are
 * whole Q8_0 blocks is Q8_0 (the convolutions stay F32), else all F32. */
g4_status mmproj_gen_write (const char *path, int T, int L, bool q8_0, uint64_t seed,
    g4_error * err);

#endif
