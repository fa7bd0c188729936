/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libav plumbing gemma4-cli's image, audio and video readers share: a
 * file opened and probed, its best stream of one kind with its decoder, and
 * that stream's frames decoded in order (never seeking). FFmpeg builds only. */
#ifndef G4_CLI_AV_DECODE_H
#define G4_CLI_AV_DECODE_H

#include <stdbool.h>
#include <stddef.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

typedef struct {
  AVFormatContext *fc;
  AVCodecContext *cc;
  const AVCodec *codec;         /* the stream's decoder, once picked */
  AVPacket *pkt;
  int stream;
  bool draining;                /* the demuxer ended and the decoder is being flushed */
} cli_av;

/* Opens path and reads its stream info into d (set here). NULL, or why not:
 * unknown for data no demuxer knows (libav's own message when NULL), else
 * libav's message, written to msg. */
const char *cli_av_open (cli_av * d, const char *path, const char *unknown, char *msg,
    size_t msg_size);
/* Picks the best stream of type that has a decoder; false when none. */
bool cli_av_find_stream (cli_av * d, enum AVMediaType type);
/* Opens the decoder of the stream picked; false when it cannot. */
bool cli_av_open_decoder (cli_av * d);
/* Decodes the stream's next frame into fr: 1, 0 at the end, or a negative
 * AVERROR from the decoder. Packets the decoder rejects (damaged data) are
 * skipped. */
int cli_av_next_frame (cli_av * d, AVFrame * fr);
void cli_av_close (cli_av * d);

#endif
