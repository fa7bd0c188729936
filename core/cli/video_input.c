/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Video files for gemma4-cli: libavformat/libavcodec decode the best video
 * stream packet by packet. The sampler keeps two decoded frames by reference
 * (the last one at or before the asked time and the next) and returns the
 * closer: the decoder's own planes for the pixel formats g4_image_view reads
 * (I420, NV12, packed RGB orders, grey), else an RGB conversion by
 * libswscale of that frame only. */
#include <stdio.h>
#include <stdlib.h>

#include <libswscale/swscale.h>

#include "av_decode.h"
#include "video_input.h"

struct cli_video {
  const char *path;
  cli_av av;
  AVFrame *cur, *next;          /* the frame shown now, the one decoded after it */
  bool have_cur, have_next, eof;
  int64_t cur_ms, next_ms, gap_ms, n_decoded, duration_ms;
  int64_t stream_ms;            /* the video stream's own length, -1 unknown */
  uint8_t *rgb;                 /* a frame in RGB8, for formats a view cannot show */
  int64_t rgb_ms;               /* that frame's timestamp, or -1 */
  size_t rgb_size;
};

void
cli_video_close (cli_video * v)
{
  if (!v)
    return;
  av_frame_free (&v->cur);
  av_frame_free (&v->next);
  cli_av_close (&v->av);
  free (v->rgb);
  free (v);
}

cli_video *
cli_video_open (const char *path)
{
  cli_video *v = calloc (1, sizeof *v);
  const char *why = NULL;
  char msg[128];
  av_log_set_level (AV_LOG_FATAL);    /* the messages below say what failed */
  if (!v || !(v->cur = av_frame_alloc ()) || !(v->next = av_frame_alloc ()))
    why = "out of memory";
  else if (!(why = cli_av_open (&v->av, path, "not a video file (no format FFmpeg knows)", msg,
              sizeof msg))) {
    if (!cli_av_find_stream (&v->av, AVMEDIA_TYPE_VIDEO))
      why = "no video stream";
    else if (v->av.fc->streams[v->av.stream]->disposition & AV_DISPOSITION_ATTACHED_PIC)
      why = "no video stream (only a cover picture)";
    else if (!cli_av_open_decoder (&v->av))
      why = "cannot open the video decoder";
  }
  if (why) {
    fprintf (stderr, "gemma4-cli: %s: %s\n", path, why);
    cli_video_close (v);
    return NULL;
  }
  v->path = path;
  v->rgb_ms = -1;
  const AVStream *st = v->av.fc->streams[v->av.stream];
  /* the video stream's own length: the container's is that of its longest
   * stream, which may be the sound */
  v->stream_ms = st->duration > 0 ? av_rescale_q (st->duration, st->time_base,
      (AVRational) { 1, 1000 }) : -1;
  v->duration_ms = v->stream_ms > 0 ? v->stream_ms
      : v->av.fc->duration > 0 ? v->av.fc->duration / 1000 : -1;
  return v;
}

int64_t
cli_video_duration_ms (const cli_video * v)
{
  return v->duration_ms;
}

/* The timestamp of a decoded frame in ms from the stream's start, counted
 * from the frame rate when the file gives none. */
static int64_t
frame_ms (const cli_video * v, const AVFrame * fr)
{
  const AVStream *st = v->av.fc->streams[v->av.stream];
  if (fr->best_effort_timestamp != AV_NOPTS_VALUE) {
    const int64_t t = fr->best_effort_timestamp
        - (st->start_time != AV_NOPTS_VALUE ? st->start_time : 0);
    return av_rescale_q (t, st->time_base, (AVRational) { 1, 1000 });
  }
  const AVRational fps = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : (AVRational) { 25, 1 };
  return av_rescale_q (v->n_decoded, av_inv_q (fps), (AVRational) { 1, 1000 });
}

/* Decodes the next frame into v->next: 1, 0 at the end, -1 on an error. */
static int
decode_next (cli_video * v)
{
  const int r = cli_av_next_frame (&v->av, v->next);
  if (r > 0) {
    v->next_ms = frame_ms (v, v->next);
    v->n_decoded++;
  } else if (r < 0) {
    char msg[128];
    av_strerror (r, msg, sizeof msg);
    fprintf (stderr, "gemma4-cli: %s: %s\n", v->path, msg);
  }
  return r < 0 ? -1 : r;
}

/* Makes the look-ahead frame the current one. */
static void
advance (cli_video * v)
{
  if (v->have_cur)
    v->gap_ms = v->next_ms - v->cur_ms;
  av_frame_unref (v->cur);
  av_frame_move_ref (v->cur, v->next);
  v->cur_ms = v->next_ms;
  v->have_cur = true;
  v->have_next = false;
}

static bool
view_format (enum AVPixelFormat f, g4_pixel_format * out)
{
  static const struct {
    enum AVPixelFormat av;
    g4_pixel_format g4;
  } map[] = {
    {AV_PIX_FMT_YUV420P, G4_PIXEL_I420}, {AV_PIX_FMT_YUVJ420P, G4_PIXEL_I420},
    {AV_PIX_FMT_NV12, G4_PIXEL_NV12}, {AV_PIX_FMT_GRAY8, G4_PIXEL_GRAY8},
    {AV_PIX_FMT_RGB24, G4_PIXEL_RGB}, {AV_PIX_FMT_BGR24, G4_PIXEL_BGR},
    {AV_PIX_FMT_RGBA, G4_PIXEL_RGBA}, {AV_PIX_FMT_BGRA, G4_PIXEL_BGRA},
    {AV_PIX_FMT_ARGB, G4_PIXEL_ARGB}, {AV_PIX_FMT_ABGR, G4_PIXEL_ABGR},
    {AV_PIX_FMT_RGB0, G4_PIXEL_RGBX}, {AV_PIX_FMT_BGR0, G4_PIXEL_BGRX},
    {AV_PIX_FMT_0RGB, G4_PIXEL_XRGB}, {AV_PIX_FMT_0BGR, G4_PIXEL_XBGR},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (map[i].av == f) {
      *out = map[i].g4;
      return true;
    }
  return false;
}

/* The view of fr (timestamp ms): its own planes, or its RGB conversion. */
static bool
frame_view (cli_video * v, const AVFrame * fr, int64_t ms, g4_image_view * view)
{
  g4_pixel_format pf;
  const bool direct = view_format (fr->format, &pf) && fr->linesize[0] > 0
      && (pf != G4_PIXEL_I420 || (fr->linesize[1] > 0 && fr->linesize[2] > 0))
      && (pf != G4_PIXEL_NV12 || fr->linesize[1] > 0);
  if (direct) {
    *view = (g4_image_view) {.format = pf,.width = fr->width,.height = fr->height,
      .planes = {fr->data[0], fr->data[1], fr->data[2]},
      .strides = {fr->linesize[0], fr->linesize[1], fr->linesize[2]},
      .yuv_bt709 = fr->colorspace == AVCOL_SPC_BT709,
      .yuv_full_range = fr->color_range == AVCOL_RANGE_JPEG || fr->format == AV_PIX_FMT_YUVJ420P
    };
    return true;
  }
  const size_t size = 3 * (size_t) fr->width * (size_t) fr->height;
  if (v->rgb_ms != ms) {
    v->rgb_ms = -1;
    if (size > v->rgb_size) {
      uint8_t *p = realloc (v->rgb, size);
      if (!p)
        return false;
      v->rgb = p;
      v->rgb_size = size;
    }
    struct SwsContext *sws = sws_getContext (fr->width, fr->height, fr->format, fr->width,
        fr->height, AV_PIX_FMT_RGB24, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
        NULL, NULL, NULL);
    uint8_t *dst[4] = { v->rgb };
    int dst_stride[4] = { 3 * fr->width };
    const bool ok = sws && sws_scale (sws, (const uint8_t * const *) fr->data, fr->linesize, 0,
        fr->height, dst, dst_stride) == fr->height;
    sws_freeContext (sws);
    if (!ok)
      return false;
    v->rgb_ms = ms;
  }
  *view = g4_image_view_rgb (v->rgb, fr->width, fr->height, 3 * fr->width);
  return true;
}

int
cli_video_frame_at (cli_video * v, int64_t t_ms, g4_image_view * view, int64_t *pts_ms)
{
  for (;;) {
    if (v->have_next && (v->next_ms <= t_ms || !v->have_cur)) {
      advance (v);
      continue;
    }
    if (v->have_next || v->eof)
      break;
    const int r = decode_next (v);
    if (r < 0)
      return -1;
    v->have_next = r > 0;
    v->eof = r == 0;
  }
  if (!v->have_cur) {
    fprintf (stderr, "gemma4-cli: %s: no frame could be decoded\n", v->path);
    return -1;
  }
  /* past the last frame: the stream ends when that frame's time is over, or
   * at the stream's own length when that says more (a still picture); never
   * at the container's, which may be a longer sound track's */
  const int64_t last = v->cur_ms + v->gap_ms;
  const int64_t end = v->stream_ms > last ? v->stream_ms : last;
  if (!v->have_next && t_ms >= end && t_ms > v->cur_ms)
    return 0;
  const bool later = v->have_next && v->cur_ms <= t_ms && v->next_ms - t_ms < t_ms - v->cur_ms;
  *pts_ms = later ? v->next_ms : v->cur_ms;
  if (!frame_view (v, later ? v->next : v->cur, *pts_ms, view)) {
    fprintf (stderr, "gemma4-cli: %s: cannot convert a frame to RGB\n", v->path);
    return -1;
  }
  return 1;
}
