/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Audio input shared by the gemma4-cli subcommands: any sound (or video)
 * file to the 16 kHz mono float samples the audio encoder takes. */
#ifndef G4_CLI_AUDIO_INPUT_H
#define G4_CLI_AUDIO_INPUT_H

#include <stdint.h>

/* Decodes path (WAV here, anything else through FFmpeg when built with it),
 * averages the channels and resamples to G4_AUDIO_SAMPLE_RATE. Returns the
 * samples (free()) and their count in *n_samples, or NULL after printing
 * what went wrong to stderr. */
float *cli_audio_read (const char *path, int64_t *n_samples);

#endif
