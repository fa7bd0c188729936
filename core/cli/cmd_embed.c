/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4-cli embed: the audio encoder's rows for a sound file, n_tokens x
 * n_embd float32 (all 30 s pieces concatenated), the layout of the reference
 * fixtures; or the image encoder's rows for an image file. The audio is
 * read by audio_input.c, the image by image_input.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio_input.h"
#include "cli.h"
#include "image_input.h"

static const char usage_text[] =
    "usage: gemma4-cli embed --mmproj MMPROJ.gguf --audio FILE -o OUT.f32\n"
    "                        [-m TEXT_MODEL.gguf] [-t THREADS]\n"
    "       gemma4-cli embed --mmproj MMPROJ.gguf --image FILE -o OUT.f32\n"
    "                        [--image-size native|budget] [--max-soft-tokens N]\n"
    "With --image, writes the image's rows (n_tokens x n_embd float32); images are\n"
#ifdef G4_HAVE_FFMPEG
    "any still image FFmpeg decodes (PNG, JPEG, WebP, BMP, PPM, ...). native\n"
#else
    "binary PPM (P6) files (built without FFmpeg). native\n"
#endif
    "sizing (default) is the reference's, budget Hugging Face's (--max-soft-tokens:\n"
    "70, 140, 280 (default), 560, 1120).\n"
    "Writes the audio embeddings the text model receives: n_tokens x n_embd\n"
    "float32 (little endian), 25 rows a second, audio longer than 30 s encoded\n"
    "in 30 s pieces whose rows follow each other. With -m, checks that the text\n"
    "model's width matches the mmproj file's.\n"
#ifdef G4_HAVE_FFMPEG
    "Reads WAV files, and any other audio file FFmpeg decodes.\n";
#else
    "Reads WAV files (PCM 8/16/24/32 bit, float 32/64 bit; built without FFmpeg).\n";
#endif

typedef struct {
  const char *mmproj, *audio, *out, *image;
  cli_image_opts img;
} embed_opts;

static cli_opt_result
opt (const char *a, const char *v, void *user)
{
  embed_opts *e = user;
  const cli_opt_result r = cli_image_opt (a, v, &e->img);
  if (r != CLI_UNKNOWN)
    return r;
  if (!strcmp (a, "--mmproj"))
    e->mmproj = v;
  else if (!strcmp (a, "--audio"))
    e->audio = v;
  else if (!strcmp (a, "-o"))
    e->out = v;
  else if (!strcmp (a, "--image"))
    e->image = v;
  else
    return CLI_UNKNOWN;
  return CLI_VALUE;
}

/* --image: the image encoder's rows of an image file. */
static int
run_image (const embed_opts * eo, int n_threads)
{
  g4_error err = { 0 };
  g4_mmproj *mm = NULL;
  cli_image img = { 0 };
  float *emb = NULL;
  int nt = 0, rc = 1;
  const int max_t = eo->img.max_soft_tokens;
  if (!cli_image_read (eo->image, &img))
    goto done;
  if (g4_mmproj_load (eo->mmproj, &mm, &err)) {
    fprintf (stderr, "gemma4-cli: %s\n", err.message);
    goto done;
  }
  const int w = img.width, h = img.height, d = g4_mmproj_n_embd (mm);
  const int n = g4_image_n_tokens (mm, w, h, eo->img.sizing, max_t);
  if (!g4_mmproj_has_vision (mm) || n < 1) {
    fprintf (stderr, "gemma4-cli: %s\n", !g4_mmproj_has_vision (mm)
        ? "the mmproj file has no vision encoder" : "no valid encoder size for this image");
    goto done;
  }
  emb = malloc (sizeof (float) * (size_t) n * (size_t) d);
  if (!emb || g4_image_encode (mm, img.rgb, w, h, 3 * w, eo->img.sizing, max_t, n_threads, NULL,
          emb, &nt, &err)) {
    fprintf (stderr, "gemma4-cli: %s\n", emb ? err.message : "out of memory");
    goto done;
  }
  if (cli_write_rows (eo->out, emb, d, nt)) {
    rc = 0;
    fprintf (stderr, "wrote %d x %d image embeddings (%dx%d image) to %s\n", nt, d, w, h, eo->out);
  }
done:
  free (emb);
  cli_image_free (&img);
  g4_mmproj_free (mm);
  return rc;
}

static int
run (int argc, char **argv)
{
  cli_model_opts o = { 0 };
  embed_opts eo = { 0 };
  if (cli_parse (&cmd_embed, argc, argv, &o, opt, &eo))
    return 2;
  if (eo.mmproj && eo.image && eo.out && !eo.audio)
    return run_image (&eo, o.n_threads);
  if (!eo.mmproj || !eo.audio || !eo.out)
    return cli_usage_error (&cmd_embed, "--mmproj, -o and one of --audio or --image are required");
  g4_error err = { 0 };
  g4_mmproj *mm = NULL;
  g4_model *m = NULL;
  float *x = NULL, *emb = NULL;
  int64_t n = 0;
  int rc = 1;
  if (g4_mmproj_load (eo.mmproj, &mm, &err)) {
    fprintf (stderr, "gemma4-cli: cannot load mmproj: %s\n", err.message);
    goto done;
  }
  if (!g4_mmproj_has_audio (mm)) {
    fprintf (stderr, "gemma4-cli: %s has no audio encoder\n", eo.mmproj);
    goto done;
  }
  if (o.model) {
    if (!(m = cli_load_model (o.model, false)))
      goto done;
    if (g4_model_get_info (m)->n_embd != g4_mmproj_n_embd (mm)) {
      fprintf (stderr, "gemma4-cli: the text model's width is %d but the mmproj file's is %d\n",
          g4_model_get_info (m)->n_embd, g4_mmproj_n_embd (mm));
      goto done;
    }
  }
  if (!(x = cli_audio_read (eo.audio, &n)))
    goto done;
  const int nt = g4_audio_n_tokens (mm, n), d = g4_mmproj_n_embd (mm);
  if (nt < 1) {
    fprintf (stderr, "gemma4-cli: %s: no audio to encode\n", eo.audio);
    goto done;
  }
  emb = malloc (sizeof (float) * (size_t) nt * (size_t) d);
  if (!emb || g4_audio_encode (mm, x, n, o.n_threads, NULL, emb, &err)) {
    fprintf (stderr, "gemma4-cli: %s\n", emb ? err.message : "out of memory");
    goto done;
  }
  if (cli_write_rows (eo.out, emb, d, nt)) {
    rc = 0;
    fprintf (stderr, "wrote %d x %d audio embeddings (%.2f s of audio) to %s\n", nt, d,
        (double) n / G4_AUDIO_SAMPLE_RATE, eo.out);
  }
done:
  free (emb);
  free (x);
  g4_model_free (m);
  g4_mmproj_free (mm);
  return rc;
}

const cli_command cmd_embed = { "embed", "write the audio or image embeddings of a file",
  usage_text, run
};
