/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image files for gemma4-cli: with FFmpeg, libavformat's image demuxers
 * (the content-probed "*_pipe" ones, image2, gif, apng) pick the decoder and
 * libswscale converts the picture to RGB8 at its own size; without FFmpeg,
 * binary PPM. Writing: PPM here, PNG and JPEG with libavcodec's encoders. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "gemma4.h"
#include "image_input.h"
#include "vision_ppm.h"

#ifdef G4_HAVE_FFMPEG
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#include "av_decode.h"
#endif

void
cli_image_free (cli_image * img)
{
  free (img->rgb);
  img->rgb = NULL;
}

static const char *
extension (const char *path)
{
  const char *dot = strrchr (path, '.'), *slash = strrchr (path, '/');
  return dot && (!slash || dot > slash) ? dot + 1 : "";
}

static bool
write_ppm (const char *path, const cli_image * img)
{
  FILE *f = cli_open_output (path);
  if (!f)
    return false;
  fprintf (f, "P6\n%d %d\n255\n", img->width, img->height);
  fwrite (img->rgb, 3 * (size_t) img->width, (size_t) img->height, f);
  return cli_close_output (f, path);
}

/* The image types cli_image_write knows by extension. */
typedef enum { IMAGE_UNKNOWN, IMAGE_PPM, IMAGE_PNG, IMAGE_JPEG } image_type;

static image_type
output_type (const char *path)
{
  const char *ext = extension (path);
  if (!strcasecmp (ext, "ppm"))
    return IMAGE_PPM;
#ifdef G4_HAVE_FFMPEG
  if (!strcasecmp (ext, "png"))
    return IMAGE_PNG;
  if (!strcasecmp (ext, "jpg") || !strcasecmp (ext, "jpeg"))
    return IMAGE_JPEG;
#endif
  return IMAGE_UNKNOWN;
}

bool
cli_image_output_check (const char *path)
{
  if (output_type (path) == IMAGE_UNKNOWN) {
#ifdef G4_HAVE_FFMPEG
    fprintf (stderr, "gemma4-cli: %s: unknown image type (use .png, .jpg or .ppm)\n", path);
#else
    fprintf (stderr, "gemma4-cli: %s: this gemma4-cli was built without FFmpeg: it writes binary "
        "PPM (.ppm) images only\n", path);
#endif
    return false;
  }
  /* the file is written only after inference: find now whether it can be */
  char *dir = strdup (path);
  if (!dir) {
    fprintf (stderr, "gemma4-cli: out of memory\n");
    return false;
  }
  char *slash = strrchr (dir, '/');
  const char *where = !slash ? "." : slash == dir ? "/" : (*slash = '\0', dir);
  const bool exists = access (path, F_OK) == 0;
  const bool ok = exists ? access (path, W_OK) == 0 : access (where, W_OK | X_OK) == 0;
  if (!ok)
    fprintf (stderr, "gemma4-cli: cannot write %s: %s\n", path, strerror (errno));
  free (dir);
  return ok;
}

#ifdef G4_HAVE_FFMPEG

/* Demuxers that hold one still picture (or an animation of them): a video,
 * a sound or a text file is refused even when FFmpeg could render it. */
static bool
is_image_demuxer (const AVInputFormat * f)
{
  const size_t n = strlen (f->name);
  return !strcmp (f->name, "image2") || !strcmp (f->name, "gif") || !strcmp (f->name, "apng")
      || (n > 5 && !strcmp (f->name + n - 5, "_pipe"));
}

/* Converts fr to packed RGB8 at its own size into out->rgb. */
static const char *
frame_to_rgb (const AVFrame * fr, cli_image * out)
{
  if (fr->width < 1 || fr->height < 1 || fr->width > 1 << 15 || fr->height > 1 << 15)
    return "unsupported picture size";
  struct SwsContext *sws = sws_getContext (fr->width, fr->height, fr->format, fr->width,
      fr->height, AV_PIX_FMT_RGB24, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
      NULL, NULL, NULL);
  if (!sws)
    return "unsupported pixel format";
  out->width = fr->width;
  out->height = fr->height;
  out->rgb = malloc (3 * (size_t) fr->width * (size_t) fr->height);
  uint8_t *dst[4] = { out->rgb };
  int dst_stride[4] = { 3 * fr->width };
  const bool ok = out->rgb && sws_scale (sws, (const uint8_t * const *) fr->data, fr->linesize,
      0, fr->height, dst, dst_stride) == fr->height;
  sws_freeContext (sws);
  if (!ok)
    cli_image_free (out);
  return ok ? NULL : "cannot convert the picture to RGB";
}

bool
cli_image_read (const char *path, cli_image * out)
{
  cli_av d = { 0 };
  AVFrame *fr = av_frame_alloc ();
  char msg[160] = "";
  *out = (cli_image) { 0 };
  av_log_set_level (AV_LOG_FATAL);    /* the messages below say what failed */
  const char *why = !fr ? "out of memory"
      : cli_av_open (&d, path, "not an image file (no format FFmpeg knows)", msg, sizeof msg);
  if (!why) {
    if (!is_image_demuxer (d.fc->iformat)) {
      snprintf (msg, sizeof msg, "not an image file (it reads as %s)", d.fc->iformat->long_name
          ? d.fc->iformat->long_name : d.fc->iformat->name);
      why = msg;
    } else if (!cli_av_find_stream (&d, AVMEDIA_TYPE_VIDEO))
      why = "no picture in the file";
    else if (!cli_av_open_decoder (&d))
      why = "cannot open the image decoder";
    else if (cli_av_next_frame (&d, fr) <= 0)
      why = "no picture could be decoded (broken file?)";
    else
      why = frame_to_rgb (fr, out);
  }
  if (why)
    fprintf (stderr, "gemma4-cli: %s: %s\n", path, why);
  cli_av_close (&d);
  av_frame_free (&fr);
  return why == NULL;
}

/* Encodes img with one of libavcodec's still-image encoders (its output
 * packet is the whole file) in the pixel format that encoder takes: the
 * file's bytes in *data (free with av_free), or why not. */
static const char *
encode_image (const cli_image * img, enum AVCodecID id, enum AVPixelFormat fmt, uint8_t ** data,
    size_t *size)
{
  const AVCodec *codec = avcodec_find_encoder (id);
  AVCodecContext *cc = codec ? avcodec_alloc_context3 (codec) : NULL;
  AVFrame *fr = av_frame_alloc ();
  AVPacket *pkt = av_packet_alloc ();
  struct SwsContext *sws = NULL;
  const char *why = NULL;
  if (!cc || !fr || !pkt)
    why = codec ? "out of memory" : "this FFmpeg has no encoder for it";
  else {
    cc->width = img->width;
    cc->height = img->height;
    cc->pix_fmt = fmt;
    cc->time_base = (AVRational) { 1, 25 };
    if (id == AV_CODEC_ID_MJPEG) {
      cc->flags |= AV_CODEC_FLAG_QSCALE;
      cc->global_quality = FF_QP2LAMBDA * 2;    /* high quality: the boxes stay sharp */
    }
    fr->width = img->width;
    fr->height = img->height;
    fr->format = fmt;
    sws = sws_getContext (img->width, img->height, AV_PIX_FMT_RGB24, img->width, img->height,
        fmt, SWS_BICUBIC | SWS_ACCURATE_RND, NULL, NULL, NULL);
    const uint8_t *src[4] = { img->rgb };
    const int src_stride[4] = { 3 * img->width };
    if (!sws || avcodec_open2 (cc, codec, NULL) < 0 || av_frame_get_buffer (fr, 0) < 0
        || sws_scale (sws, src, src_stride, 0, img->height, fr->data, fr->linesize)
        != img->height || avcodec_send_frame (cc, fr) < 0 || avcodec_send_frame (cc, NULL) < 0
        || avcodec_receive_packet (cc, pkt) < 0)
      why = "encoding failed";
  }
  if (!why && !(*data = av_memdup (pkt->data, (size_t) pkt->size)))
    why = "out of memory";
  *size = why ? 0 : (size_t) pkt->size;
  sws_freeContext (sws);
  av_packet_free (&pkt);
  av_frame_free (&fr);
  avcodec_free_context (&cc);
  return why;
}

/* Writes the file encode_image makes. */
static const char *
write_encoded (const char *path, const cli_image * img, enum AVCodecID id,
    enum AVPixelFormat fmt)
{
  uint8_t *data = NULL;
  size_t size = 0;
  const char *why = encode_image (img, id, fmt, &data, &size);
  if (!why) {
    FILE *f = cli_open_output (path);
    if (!f)
      why = "";
    else {
      fwrite (data, 1, size, f);
      why = cli_close_output (f, path) ? NULL : "";
    }
  }
  av_free (data);
  return why;
}

bool
cli_image_jpeg (const cli_image * img, uint8_t ** data, size_t *size)
{
  uint8_t *p = NULL;
  const char *why = encode_image (img, AV_CODEC_ID_MJPEG, AV_PIX_FMT_YUVJ420P, &p, size);
  if (why) {
    fprintf (stderr, "gemma4-cli: could not make a JPEG: %s\n", why);
    return false;
  }
  /* the caller frees with free() */
  *data = malloc (*size);
  if (*data)
    memcpy (*data, p, *size);
  av_free (p);
  return *data != NULL;
}

bool
cli_image_write (const char *path, const cli_image * img)
{
  const image_type t = output_type (path);
  if (t == IMAGE_UNKNOWN)
    return cli_image_output_check (path);
  if (t == IMAGE_PPM)
    return write_ppm (path, img);
  const char *why = t == IMAGE_PNG ? write_encoded (path, img, AV_CODEC_ID_PNG, AV_PIX_FMT_RGB24)
      : write_encoded (path, img, AV_CODEC_ID_MJPEG, AV_PIX_FMT_YUVJ420P);
  if (why && *why)              /* "": the file's own error, already printed */
    fprintf (stderr, "gemma4-cli: %s: %s\n", path, why);
  return why == NULL;
}

#else

bool
cli_image_read (const char *path, cli_image * out)
{
  g4_error err = { 0 };
  *out = (cli_image) { 0 };
  if (g4_ppm_read (path, &out->rgb, &out->width, &out->height, &err)) {
    fprintf (stderr, "gemma4-cli: %s (this gemma4-cli was built without FFmpeg: binary PPM "
        "images only)\n", err.message);
    return false;
  }
  return true;
}

bool
cli_image_write (const char *path, const cli_image * img)
{
  return output_type (path) == IMAGE_PPM ? write_ppm (path, img) : cli_image_output_check (path);
}

bool
cli_image_jpeg (const cli_image * img, uint8_t ** data, size_t *size)
{
  fprintf (stderr, "gemma4-cli: --server sends images as JPEG, which needs FFmpeg (this "
      "gemma4-cli was built without it)\n");
  return false;
}

#endif
