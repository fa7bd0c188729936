/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A strict reader for the test WAV files: RIFF/WAVE, 16 kHz mono, PCM16 or
 * IEEE float32. Samples become floats in [-1, 1] (PCM16 / 32768, as the
 * reference's miniaudio decoder converts them). */
#ifndef G4_TEST_WAV_H
#define G4_TEST_WAV_H

#include <stdint.h>

/* Returns a malloc'ed array of *n samples, or NULL with a reason in why. */
float *wav_read_16k_mono (const char *path, int64_t * n, char *why, int why_size);

#endif
