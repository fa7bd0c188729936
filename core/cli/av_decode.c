/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4-cli's libav decoding loop, for image_input.c, audio_input.c and
 * video_input.c: packets of the chosen stream go to its decoder until the
 * demuxer ends, then the decoder is flushed. */
#include "av_decode.h"

const char *
cli_av_open (cli_av * d, const char *path, const char *unknown, char *msg, size_t msg_size)
{
  int r;
  *d = (cli_av) {.stream = -1 };
  if (!(d->pkt = av_packet_alloc ()))
    return "out of memory";
  if ((r = avformat_open_input (&d->fc, path, NULL, NULL)) < 0
      || (r = avformat_find_stream_info (d->fc, NULL)) < 0) {
    av_strerror (r, msg, msg_size);
    return r == AVERROR_INVALIDDATA && unknown ? unknown : msg;
  }
  return NULL;
}

bool
cli_av_find_stream (cli_av * d, enum AVMediaType type)
{
  d->stream = av_find_best_stream (d->fc, type, -1, -1, &d->codec, 0);
  return d->stream >= 0;
}

bool
cli_av_open_decoder (cli_av * d)
{
  return (d->cc = avcodec_alloc_context3 (d->codec))
      && avcodec_parameters_to_context (d->cc, d->fc->streams[d->stream]->codecpar) >= 0
      && avcodec_open2 (d->cc, d->codec, NULL) >= 0;
}

int
cli_av_next_frame (cli_av * d, AVFrame * fr)
{
  for (;;) {
    const int r = avcodec_receive_frame (d->cc, fr);
    if (r >= 0)
      return 1;
    if (r == AVERROR_EOF)
      return 0;
    if (r != AVERROR (EAGAIN))
      return r;
    if (av_read_frame (d->fc, d->pkt) < 0) {
      if (d->draining)
        return 0;
      d->draining = true;
      avcodec_send_packet (d->cc, NULL);
      continue;
    }
    if (d->pkt->stream_index == d->stream)
      avcodec_send_packet (d->cc, d->pkt);
    av_packet_unref (d->pkt);
  }
}

void
cli_av_close (cli_av * d)
{
  av_packet_free (&d->pkt);
  avcodec_free_context (&d->cc);
  avformat_close_input (&d->fc);
}
