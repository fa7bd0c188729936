/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Video files for gemma4-cli caption: the best video stream of any file
 * FFmpeg reads, decoded in order (never seeking) and sampled by time; only
 * the frames asked for are converted. FFmpeg builds only. */
#ifndef G4_CLI_VIDEO_INPUT_H
#define G4_CLI_VIDEO_INPUT_H

#include <stdint.h>

#include "gemma4.h"

typedef struct cli_video cli_video;

/* Opens path's best video stream. NULL after printing to stderr why the file
 * is missing, broken or has no video. */
cli_video *cli_video_open (const char *path);
void cli_video_close (cli_video * v);
/* The stream's length in ms from the container (-1 when it does not say). */
int64_t cli_video_duration_ms (const cli_video * v);

/* The frame closest to t_ms (milliseconds from the first frame; the earlier
 * of two as close). t_ms must not decrease from one call to the next. *view stays valid until
 * the next call: it is the decoded picture itself when g4_image_view reads
 * its pixel format, else an RGB copy (the only conversion made). Returns 1
 * with *pts_ms the frame's timestamp; 0 when the stream ends before t_ms; -1
 * after printing an error. */
int cli_video_frame_at (cli_video * v, int64_t t_ms, g4_image_view * view, int64_t *pts_ms);

#endif
