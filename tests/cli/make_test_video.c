/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* make_test_video OUT SECONDS FPS WIDTH HEIGHT [AUDIO_SECONDS]: writes a
 * short MPEG-4 video (the container from OUT's extension, e.g. .mkv) of
 * moving colour bars with libavformat/libavcodec, for the caption tests when
 * no ffmpeg program is installed. Frame i has timestamp i / FPS. With
 * AUDIO_SECONDS the file also has that much silent 16 kHz PCM sound (longer
 * than the video: a file whose container outlasts its pictures). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

/* Sends frame (NULL: flush) and writes every packet that comes out. */
static int
encode (AVFormatContext * fc, AVCodecContext * cc, AVStream * st, AVFrame * frame, AVPacket * pkt)
{
  int r = avcodec_send_frame (cc, frame);
  while (r >= 0) {
    r = avcodec_receive_packet (cc, pkt);
    if (r == AVERROR (EAGAIN) || r == AVERROR_EOF)
      return 0;
    if (r < 0)
      break;
    pkt->duration = 1;          /* one frame: the container then ends at n / FPS */
    av_packet_rescale_ts (pkt, cc->time_base, st->time_base);
    pkt->stream_index = st->index;
    r = av_interleaved_write_frame (fc, pkt);
  }
  return r;
}

/* Vertical bars of 8 colours moving right by 2 px a frame, the luma of the
 * whole picture rising over the video. */
static void
fill (AVFrame * f, int i, int n)
{
  static const uint8_t yuv[8][3] = {
    {235, 128, 128}, {210, 16, 146}, {170, 166, 16}, {145, 54, 34},
    {106, 202, 222}, {81, 90, 240}, {41, 240, 110}, {16, 128, 128},
  };
  for (int y = 0; y < f->height; y++)
    for (int x = 0; x < f->width; x++) {
      const int bar = ((x + 2 * i) * 8 / f->width) % 8;
      f->data[0][y * f->linesize[0] + x] = (uint8_t) (yuv[bar][0] * (n + i) / (2 * n));
      if (!(x & 1) && !(y & 1)) {
        f->data[1][y / 2 * f->linesize[1] + x / 2] = yuv[bar][1];
        f->data[2][y / 2 * f->linesize[2] + x / 2] = yuv[bar][2];
      }
    }
}

enum { AUDIO_RATE = 16000, AUDIO_PACKET = 1600 };

/* Writes the silent sound packets that start before t seconds. */
static int
write_audio (AVFormatContext * fc, AVStream * st, AVPacket * pkt, int64_t * next, int64_t end,
    double t)
{
  static const uint8_t silence[2 * AUDIO_PACKET];
  int r = 0;
  while (r >= 0 && *next < end && *next < t * AUDIO_RATE) {
    const int64_t n = end - *next < AUDIO_PACKET ? end - *next : AUDIO_PACKET;
    av_packet_unref (pkt);
    if ((r = av_new_packet (pkt, (int) (2 * n))) < 0)
      break;
    memcpy (pkt->data, silence, (size_t) (2 * n));
    pkt->pts = pkt->dts = *next;
    pkt->duration = n;
    av_packet_rescale_ts (pkt, (AVRational) { 1, AUDIO_RATE }, st->time_base);
    pkt->stream_index = st->index;
    r = av_interleaved_write_frame (fc, pkt);
    *next += n;
  }
  return r;
}

int
main (int argc, char **argv)
{
  if (argc != 6 && argc != 7) {
    fprintf (stderr, "usage: %s OUT SECONDS FPS WIDTH HEIGHT [AUDIO_SECONDS]\n", argv[0]);
    return 2;
  }
  const int64_t audio_end = argc == 7 ? (int64_t) (atof (argv[6]) * AUDIO_RATE) : 0;
  int64_t audio_next = 0;
  const double seconds = atof (argv[2]);
  const int fps = atoi (argv[3]), w = atoi (argv[4]), h = atoi (argv[5]);
  const int n = (int) (seconds * fps + 0.5);
  AVFormatContext *fc = NULL;
  const AVCodec *codec = avcodec_find_encoder (AV_CODEC_ID_MPEG4);
  AVCodecContext *cc = codec ? avcodec_alloc_context3 (codec) : NULL;
  AVFrame *frame = av_frame_alloc ();
  AVPacket *pkt = av_packet_alloc ();
  AVStream *st = NULL, *ast = NULL;
  int r = -1;
  if (n < 1 || fps < 1 || w < 16 || h < 16 || (w | h) & 1 || !cc || !frame || !pkt
      || avformat_alloc_output_context2 (&fc, NULL, NULL, argv[1]) < 0
      || !(st = avformat_new_stream (fc, NULL))) {
    fprintf (stderr, "make_test_video: bad arguments or no MPEG-4 encoder\n");
    goto done;
  }
  if (audio_end > 0) {
    if (!(ast = avformat_new_stream (fc, NULL)))
      goto done;
    ast->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
    ast->codecpar->codec_id = AV_CODEC_ID_PCM_S16LE;
    ast->codecpar->sample_rate = AUDIO_RATE;
    ast->codecpar->ch_layout = (AVChannelLayout) AV_CHANNEL_LAYOUT_MONO;
    ast->codecpar->format = AV_SAMPLE_FMT_S16;
    ast->codecpar->bits_per_coded_sample = 16;
    ast->codecpar->block_align = 2;
    ast->time_base = (AVRational) { 1, AUDIO_RATE };
  }
  cc->width = w;
  cc->height = h;
  cc->pix_fmt = AV_PIX_FMT_YUV420P;
  cc->time_base = (AVRational) { 1, fps };
  cc->framerate = (AVRational) { fps, 1 };
  cc->gop_size = fps;
  if (fc->oformat->flags & AVFMT_GLOBALHEADER)
    cc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  st->time_base = cc->time_base;
  frame->format = cc->pix_fmt;
  frame->width = w;
  frame->height = h;
  if (avcodec_open2 (cc, codec, NULL) < 0 || avcodec_parameters_from_context (st->codecpar, cc) < 0
      || av_frame_get_buffer (frame, 0) < 0 || avio_open (&fc->pb, argv[1], AVIO_FLAG_WRITE) < 0
      || avformat_write_header (fc, NULL) < 0) {
    fprintf (stderr, "make_test_video: cannot open the encoder or %s\n", argv[1]);
    goto done;
  }
  for (int i = 0; i < n; i++) {
    if (av_frame_make_writable (frame) < 0)
      goto done;
    fill (frame, i, n);
    frame->pts = i;
    if (encode (fc, cc, st, frame, pkt) < 0
        || (ast && write_audio (fc, ast, pkt, &audio_next, audio_end, (double) (i + 1) / fps) < 0))
      goto done;
  }
  if (encode (fc, cc, st, NULL, pkt) < 0
      || (ast && write_audio (fc, ast, pkt, &audio_next, audio_end, 1e30) < 0)
      || av_write_trailer (fc) < 0)
    goto done;
  r = 0;
done:
  if (fc && fc->pb)
    avio_closep (&fc->pb);
  avformat_free_context (fc);
  av_packet_free (&pkt);
  av_frame_free (&frame);
  avcodec_free_context (&cc);
  return r ? 1 : 0;
}
