/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mmproj loader and the audio API on rewritten copies of the fixture
 * mmproj: vision-only and audio-only files load with the right flags, every
 * kind of bad file is refused with the expected status and a message naming
 * the file and the key or tensor, quantized copies encode close to the
 * reference, and bad arguments, token counts and cancellation behave.
 * usage: test_mmproj_files MMPROJ WAV EXPECTED.emb.f32 EXPECTED_Q8_0.emb.f32
 *          IMAGE.ppm IMAGE_EXPECTED.emb.f32 IMAGE_EXPECTED_Q8_0.emb.f32
 *        test_mmproj_files MMPROJ --write-q8_0 OUT.gguf   (the copy the Q8_0
 *        expectations were computed from, tests/data/audio/README.md) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gemma4.h"
#include "test_util.h"
#include "gguf.h"
#include "kernels.h"
#include "audio.h"
#include "tiny_model.h"
#include "vision_model.h"
#include "vision_ppm.h"
#include "wav.h"

static const char *src_path;

typedef enum { KEEP, DROP, REPLACE } action;
/* Decides what happens to a key or tensor while copying; REPLACE means the
 * callback added its own version. name NULL: the chance to add new keys. */
typedef action (*rewrite_fn) (g4_gguf_writer * w, const g4_gguf * g, const char *name, bool is_tensor);

static char *
rewrite (rewrite_fn fn)
{
  g4_error err = { 0 };
  g4_gguf *g;
  if (g4_gguf_open (src_path, &g, &err)) {
    printf ("cannot open %s: %s\n", src_path, err.message);
    exit (1);
  }
  g4_gguf_writer *w = g4_gguf_writer_new ();
  for (int64_t i = 0; i < g4_gguf_n_kv (g); i++)
    if (fn (w, g, g4_gguf_key (g, i), false) == KEEP)
      g4_gguf_writer_copy_kv (w, g, i);
  fn (w, g, NULL, false);
  for (int64_t i = 0; i < g4_gguf_n_tensors (g); i++) {
    const g4_gguf_tensor *t = g4_gguf_tensor_at (g, i);
    if (fn (w, g, t->name, true) == KEEP)
      g4_gguf_writer_add_tensor (w, t->name, t->type, t->n_dims, t->ne, t->data, t->nbytes);
  }
  const char *tmp = getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp";
  char *path = malloc (strlen (tmp) + 32);
  sprintf (path, "%s/g4-mmproj-XXXXXX", tmp);
  int fd = mkstemp (path);
  close (fd);
  if (g4_gguf_writer_write (w, path, &err)) {
    printf ("cannot write %s: %s\n", path, err.message);
    exit (1);
  }
  g4_gguf_writer_free (w);
  g4_gguf_close (g);
  return path;
}

/* ---- modality subsets ---- */
static action
vision_only (g4_gguf_writer * w, const g4_gguf * g, const char *name, bool is_tensor)
{
  if (!name)
    return KEEP;
  if (is_tensor)
    return !strncmp (name, "a.", 2) || !strncmp (name, "mm.a.", 5) ? DROP : KEEP;
  if (!strcmp (name, "clip.has_audio_encoder")) {
    g4_gguf_writer_add_bool (w, name, false);
    return REPLACE;
  }
  return !strncmp (name, "clip.audio.", 11) ? DROP : KEEP;
}

static action
audio_only (g4_gguf_writer * w, const g4_gguf * g, const char *name, bool is_tensor)
{
  if (!name)
    return KEEP;
  if (is_tensor)
    return !strncmp (name, "v.", 2) || !strcmp (name, "mm.input_projection.weight") ? DROP : KEEP;
  return !strncmp (name, "clip.vision.", 12) || !strcmp (name, "clip.has_vision_encoder")
      ? DROP : KEEP;
}

/* ---- quantized copy: every matrix whose rows are whole Q8_0 blocks ---- */
static g4_type quant_type;

static action
quantize (g4_gguf_writer * w, const g4_gguf * g, const char *name, bool is_tensor)
{
  if (!is_tensor || !name)
    return KEEP;
  const g4_gguf_tensor *t = g4_gguf_find_tensor (g, name);
  if (t->n_dims != 2 || t->ne[0] % 32 || t->type != G4_TYPE_F32 || strstr (name, "conv_dw"))
    return KEEP;
  const int64_t n = t->ne[0] * t->ne[1];
  const float *x = t->data;
  size_t nb = quant_type == G4_TYPE_Q8_0 ? (size_t) n / 32 * 34 : (size_t) n * 2;
  uint8_t *q = malloc (nb);
  if (quant_type == G4_TYPE_Q8_0)
    quantize_q8_0 (x, n, q);
  else
    for (int64_t i = 0; i < n; i++) {
      uint16_t h = g4_fp32_to_fp16 (x[i]);
      memcpy (q + 2 * i, &h, 2);
    }
  g4_gguf_writer_add_tensor (w, name, quant_type, 2, t->ne, q, nb);
  free (q);
  return REPLACE;
}

/* ---- bad files ---- */
enum { BAD_DROP, BAD_TRANSPOSE, BAD_TYPE_I32, BAD_TYPE_F16, BAD_SCALAR_2, BAD_STR, BAD_U32,
  BAD_CONV_K3, BAD_NO_FLAGS, BAD_WIDTH };
static const char *bad_target;
static int bad_kind;
static uint32_t bad_u32;
static const char *bad_str;

static void
add_f32 (g4_gguf_writer * w, const char *name, uint32_t n_dims, const int64_t * ne)
{
  int64_t n = 1;
  for (uint32_t i = 0; i < n_dims; i++)
    n *= ne[i];
  float *z = calloc ((size_t) n, sizeof (float));
  g4_gguf_writer_add_tensor (w, name, G4_TYPE_F32, n_dims, ne, z, sizeof (float) * (size_t) n);
  free (z);
}

static action
make_bad (g4_gguf_writer * w, const g4_gguf * g, const char *name, bool is_tensor)
{
  if (!name) {
    if (bad_kind == BAD_SCALAR_2 && !g4_gguf_find_tensor (g, bad_target)) {
      const int64_t ne[1] = { 2 };
      add_f32 (w, bad_target, 1, ne);
    }
    return KEEP;
  }
  if (bad_kind == BAD_NO_FLAGS && !is_tensor && !strncmp (name, "clip.has_", 9))
    return DROP;
  if (strcmp (name, bad_target))
    return KEEP;
  if (!is_tensor) {
    if (bad_kind == BAD_STR)
      g4_gguf_writer_add_str (w, name, bad_str);
    else if (bad_kind == BAD_U32)
      g4_gguf_writer_add_u32 (w, name, bad_u32);
    else
      return DROP;
    return REPLACE;
  }
  const g4_gguf_tensor *t = g4_gguf_find_tensor (g, name);
  int64_t ne[4] = { t->ne[0], t->ne[1], t->ne[2], t->ne[3] };
  switch (bad_kind) {
    case BAD_TRANSPOSE:         /* the two outer dims of a conv kernel, else ne0 <-> ne1 */
      ne[t->n_dims - 2] = t->ne[t->n_dims - 1];
      ne[t->n_dims - 1] = t->ne[t->n_dims - 2];
      g4_gguf_writer_add_tensor (w, name, t->type, t->n_dims, ne, t->data, t->nbytes);
      return REPLACE;
    case BAD_TYPE_I32:
      g4_gguf_writer_add_tensor (w, name, (g4_type) 26, t->n_dims, ne, t->data, t->nbytes);
      return REPLACE;
    case BAD_TYPE_F16:{
      uint16_t *h = calloc ((size_t) t->nbytes / 2, 1);
      g4_gguf_writer_add_tensor (w, name, G4_TYPE_F16, t->n_dims, ne, h, t->nbytes / 2);
      free (h);
      return REPLACE;
    }
    case BAD_SCALAR_2:
      ne[0] = 2;
      add_f32 (w, name, 1, ne);
      return REPLACE;
    case BAD_CONV_K3:
      ne[0] = 3;
      add_f32 (w, name, 2, ne);
      return REPLACE;
    case BAD_WIDTH:
      ne[1] = t->ne[1] * 2;
      add_f32 (w, name, 2, ne);
      return REPLACE;
    default:
      return DROP;
  }
}

static void
check_bad (int kind, const char *target, g4_status want, const char *frag)
{
  bad_kind = kind;
  bad_target = target;
  char *path = rewrite (make_bad);
  g4_error err = { 0 };
  g4_mmproj *mm = NULL;
  g4_status st = g4_mmproj_load (path, &mm, &err);
  CHECK (st == want && mm == NULL, "%s: status %s, expected %s (%s)", target,
      g4_status_name (st), g4_status_name (want), err.message);
  const char *base = strrchr (path, '/') ? strrchr (path, '/') + 1 : path;
  CHECK (strstr (err.message, frag) && strstr (err.message, base),
      "%s: message '%s' lacks '%s' or the file name", target, err.message, frag);
  printf ("rejected (%s): %s\n", g4_status_name (st), err.message);
  unlink (path);
  free (path);
}

/* What a quantized copy is checked on: the fixture's speech and image, and
 * the reference's rows for each. */
typedef struct {
  const float *pcm;
  int64_t n;
  const uint8_t *rgb;
  int w, h;
  const float *audio_ref, *image_ref;
  size_t n_audio, n_image;
} media;

/* Limits of max and mean |diff| from the reference. */
typedef struct {
  double max, mean;
} limits;

static void
compare (const char *what, g4_type type, const float *out, const float *ref, size_t n,
    limits lim)
{
  const test_diff df = test_compare_f32 (out, ref, n);
  CHECK (df.max_abs <= lim.max && df.mean_abs <= lim.mean,
      "%s copy, %s: max |diff| %g (limit %g), mean %g (limit %g)", g4_type_name (type), what,
      df.max_abs, lim.max, df.mean_abs, lim.mean);
  printf ("%s mmproj, %s: max |diff| %.3g, mean |diff| %.3g from the reference (limits %g, %g)\n",
      g4_type_name (type), what, df.max_abs, df.mean_abs, lim.max, lim.mean);
}

/* Encodes the speech and the image with a quantized copy; max |diff|
 * against the reference. */
static void
check_quantized (g4_type type, const media *m, limits audio, limits image)
{
  quant_type = type;
  char *path = rewrite (quantize);
  g4_error err = { 0 };
  g4_mmproj *mm = NULL;
  CHECK (g4_mmproj_load (path, &mm, &err) == G4_OK, "%s copy: %s", g4_type_name (type), err.message);
  if (mm && type == G4_TYPE_Q8_0 && !getenv ("G4_REPACK")) {
    /* the encoders run their quantized products on the packed layout */
    /* (not the audio output projection: its 24 rows are no whole group) */
    CHECK (mm->vision->layers[0].up.w.packed && mm->vision->mm_proj.w.packed
        && mm->audio->layers[1].q.w.packed && mm->audio->layers[0].k_rel.packed
        && !mm->audio->out_proj.w.packed, "Q8_0 copy: encoder matrices left plain");
  }
  if (mm) {
    float *out = malloc (sizeof (float) * m->n_audio);
    CHECK (g4_audio_encode (mm, m->pcm, m->n, 2, NULL, out, &err) == G4_OK, "encode: %s",
        err.message);
    compare ("speech", type, out, m->audio_ref, m->n_audio, audio);
    free (out);
    const int d = g4_mmproj_n_embd (mm);
    int nt = g4_image_n_tokens (mm, m->w, m->h, G4_IMAGE_NATIVE, 0), got = 0;
    CHECK ((size_t) nt * d == m->n_image, "image: %d tokens of %d, the reference has %zu floats",
        nt, d, m->n_image);
    out = malloc (sizeof (float) * (size_t) nt * d);
    CHECK (g4_image_encode (mm, m->rgb, m->w, m->h, 3 * m->w, G4_IMAGE_NATIVE, 0, 2, NULL, out,
            &got, &err) == G4_OK && got == nt, "image encode: %s", err.message);
    if ((size_t) nt * d == m->n_image)
      compare ("image", type, out, m->image_ref, m->n_image, image);
    free (out);
    g4_mmproj_free (mm);
  }
  unlink (path);
  free (path);
}

static void
check_subsets (void)
{
  g4_error err = { 0 };
  char *path = rewrite (vision_only);
  g4_mmproj *mm = NULL;
  CHECK (g4_mmproj_load (path, &mm, &err) == G4_OK, "vision-only: %s", err.message);
  CHECK (mm && g4_mmproj_has_vision (mm) && !g4_mmproj_has_audio (mm)
      && g4_mmproj_n_embd (mm) == 128, "vision-only flags");
  CHECK (g4_audio_n_tokens (mm, 16000) == 0, "vision-only: audio tokens");
  float pcm[16] = { 0 }, out[128];
  err = (g4_error) { 0 };
  CHECK (g4_audio_encode (mm, pcm, 16, 1, NULL, out, &err) == G4_STATUS_INVALID_ARG,
      "vision-only encode: %s", err.message);
  printf ("vision-only file: has_vision 1, has_audio 0, n_embd %d; encode: %s\n",
      g4_mmproj_n_embd (mm), err.message);
  g4_mmproj_free (mm);
  unlink (path);
  free (path);

  path = rewrite (audio_only);
  mm = NULL;
  CHECK (g4_mmproj_load (path, &mm, &err) == G4_OK, "audio-only: %s", err.message);
  CHECK (mm && !g4_mmproj_has_vision (mm) && g4_mmproj_has_audio (mm)
      && g4_mmproj_n_embd (mm) == 128, "audio-only flags");
  printf ("audio-only file: has_vision 0, has_audio 1\n");
  g4_mmproj_free (mm);
  unlink (path);
  free (path);
}

static void
check_api (const float *pcm, int64_t n)
{
  g4_error err = { 0 };
  g4_mmproj *mm;
  CHECK (g4_mmproj_load ("/nonexistent/mmproj.gguf", &mm, &err) == G4_STATUS_IO && !mm,
      "missing file: %s", err.message);
  if (g4_mmproj_load (src_path, &mm, &err)) {
    CHECK (0, "fixture: %s", err.message);
    return;
  }
  CHECK (g4_mmproj_has_vision (mm) && g4_mmproj_has_audio (mm), "fixture flags");
  /* 25 tokens a second; 1..160 samples still one frame, one token
   * (docs/audio-encoder.md#token-counts) */
  const int64_t lens[] = { 1, 160, 161, 16000, 16537, 480000, 480001, 960000 + 16000 };
  const int want[] = { 1, 1, 1, 25, 26, 750, 751, 1525 };
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
    CHECK (g4_audio_n_tokens (mm, lens[i]) == want[i], "%lld samples: %d tokens, expected %d",
        (long long) lens[i], g4_audio_n_tokens (mm, lens[i]), want[i]);
  CHECK (g4_audio_n_tokens (mm, 0) == 0 && g4_audio_n_tokens (NULL, 10) == 0, "empty counts");

  float *out = malloc (sizeof (float) * 128 * (size_t) g4_audio_n_tokens (mm, n));
  err = (g4_error) { 0 };
  CHECK (g4_audio_encode (mm, pcm, 0, 1, NULL, out, &err) == G4_STATUS_INVALID_ARG,
      "no samples: %s", err.message);
  err = (g4_error) { 0 };
  CHECK (g4_audio_encode (mm, pcm, n, -1, NULL, out, &err) == G4_STATUS_INVALID_ARG,
      "negative threads: %s", err.message);
  volatile int cancel = 1;
  err = (g4_error) { 0 };
  CHECK (g4_audio_encode (mm, pcm, n, 1, &cancel, out, &err) == G4_STATUS_CANCELLED,
      "cancel: %s", err.message);
  /* one sample, silence and a full-scale square wave are encoded without trouble */
  float one = 0.5f, *sq = malloc (sizeof (float) * 16000);
  for (int i = 0; i < 16000; i++)
    sq[i] = (i / 20) % 2 ? 1.0f : -1.0f;
  err = (g4_error) { 0 };
  CHECK (g4_audio_encode (mm, &one, 1, 1, NULL, out, &err) == G4_OK, "one sample: %s", err.message);
  CHECK (g4_audio_encode (mm, sq, 16000, 0, NULL, out, &err) == G4_OK, "square: %s", err.message);
  bool finite = true;
  for (int i = 0; i < 25 * 128; i++)
    finite &= isfinite (out[i]);
  CHECK (finite, "square wave gives non-finite rows");
  printf ("token counts, argument errors, cancellation: checked\n");
  free (sq);
  free (out);
  g4_mmproj_free (mm);
}

int
main (int argc, char **argv)
{
  if (argc == 4 && !strcmp (argv[2], "--write-q8_0")) {
    src_path = argv[1];
    quant_type = G4_TYPE_Q8_0;
    char *path = rewrite (quantize);
    const int ok = rename (path, argv[3]) == 0;
    free (path);
    return ok ? 0 : 1;
  }
  if (argc != 8) {
    fprintf (stderr, "usage: %s MMPROJ WAV EXPECTED.emb.f32 EXPECTED_Q8_0.emb.f32 IMAGE.ppm "
        "IMAGE_EXPECTED.emb.f32 IMAGE_EXPECTED_Q8_0.emb.f32\n", argv[0]);
    return 2;
  }
  src_path = argv[1];
  char why[256];
  g4_error err = { 0 };
  uint8_t *rgb = NULL;
  media m = { 0 }, mq;
  float *pcm = wav_read_16k_mono (argv[2], &m.n, why, sizeof why);
  size_t n_ref_q, n_image_q;
  float *ref = test_read_f32 (argv[3], &m.n_audio), *ref_q = test_read_f32 (argv[4], &n_ref_q);
  float *image_ref = test_read_f32 (argv[6], &m.n_image);
  float *image_ref_q = test_read_f32 (argv[7], &n_image_q);
  if (!pcm || !ref || !ref_q || m.n_audio != n_ref_q || !image_ref || !image_ref_q
      || m.n_image != n_image_q || g4_ppm_read (argv[5], &rgb, &m.w, &m.h, &err)) {
    printf ("FAIL: %s\n", !pcm ? why : rgb ? "expected embeddings" : err.message);
    return 1;
  }
  m.pcm = pcm;
  m.rgb = rgb;
  m.audio_ref = ref;
  m.image_ref = image_ref;
  mq = m;
  mq.audio_ref = ref_q;
  mq.image_ref = image_ref_q;
  check_api (pcm, m.n);
  check_subsets ();
  /* F16 weights against the F32 reference: the reference would round the
   * activations to F16 too, we keep them F32 (measured max 2.1e-3, mean
   * 3.4e-4 on the speech; 4.1e-3, 6.8e-4 on the image) */
  check_quantized (G4_TYPE_F16, &m, (limits) { 1e-2, 2e-3 }, (limits) { 1e-2, 2e-3 });
  /* The Q8_0 copy against the reference run on that very copy: both quantize
   * the activations to Q8_0, where a last-bit difference can move a value by
   * one quantization step. Speech: max 1.5e-2, mean 6.1e-5 (0.15 against the
   * F32 reference). The vision tower's float path already differs by up to
   * 1e-2 (the reference's F16 GELU table), which the activation quantization
   * of the next products turns into whole steps: max 4.8e-2, mean 7.5e-3,
   * where quantizing the weights moves the reference itself by max 0.14,
   * mean 2.1e-2. Only the projection quantized (the image's rows otherwise
   * float): max 1.3e-2, mean 1.0e-3. */
  check_quantized (G4_TYPE_Q8_0, &mq, (limits) { 3e-2, 1e-3 }, (limits) { 0.1, 1.25e-2 });

  check_bad (BAD_DROP, "a.blk.1.attn_k.weight", G4_STATUS_FORMAT, "missing tensor 'a.blk.1.attn_k.weight'");
  check_bad (BAD_DROP, "mm.a.input_projection.weight", G4_STATUS_FORMAT, "missing tensor 'mm.a.input_projection.weight'");
  check_bad (BAD_DROP, "a.conv1d.0.weight", G4_STATUS_FORMAT, "missing tensor 'a.conv1d.0.weight'");
  check_bad (BAD_DROP, "a.blk.0.conv_norm.weight", G4_STATUS_FORMAT, "missing tensor 'a.blk.0.conv_norm.weight'");
  check_bad (BAD_DROP, "mm.input_projection.weight", G4_STATUS_FORMAT, "missing tensor 'mm.input_projection.weight'");
  check_bad (BAD_TRANSPOSE, "a.blk.1.ffn_up.weight", G4_STATUS_FORMAT, "'a.blk.1.ffn_up.weight': shape [128, 32, 1, 1], expected [32, 128]");
  check_bad (BAD_CONV_K3, "a.blk.1.conv_dw.weight", G4_STATUS_FORMAT, "'a.blk.1.conv_dw.weight': shape [3, 32, 1, 1], expected [5, 32]");
  check_bad (BAD_TRANSPOSE, "a.conv1d.1.weight", G4_STATUS_FORMAT, "expected [3, 3, 8, C]");
  check_bad (BAD_WIDTH, "mm.a.input_projection.weight", G4_STATUS_FORMAT, "rows of 128 but the audio encoder rows of 256");
  check_bad (BAD_TYPE_I32, "a.blk.0.attn_q.weight", G4_STATUS_UNSUPPORTED, "'a.blk.0.attn_q.weight' has type I32");
  check_bad (BAD_TYPE_F16, "a.blk.0.ln2.weight", G4_STATUS_UNSUPPORTED, "'a.blk.0.ln2.weight' has type F16, expected F32");
  check_bad (BAD_TYPE_F16, "a.blk.0.conv_pw2.output_max", G4_STATUS_FORMAT, "clamp scalar 'a.blk.0.conv_pw2.output_max' must be one F32 value");
  check_bad (BAD_SCALAR_2, "a.blk.1.ffn_up_1.input_min", G4_STATUS_FORMAT, "clamp scalar 'a.blk.1.ffn_up_1.input_min'");
  check_bad (BAD_SCALAR_2, "a.pre_encode.out.input_max", G4_STATUS_FORMAT, "clamp scalar 'a.pre_encode.out.input_max'");
  bad_str = "gemma4ua";
  check_bad (BAD_STR, "clip.audio.projector_type", G4_STATUS_UNSUPPORTED, "audio projector type 'gemma4ua' is not supported");
  bad_str = "siglip";
  check_bad (BAD_STR, "clip.vision.projector_type", G4_STATUS_UNSUPPORTED, "vision projector type 'siglip'");
  check_bad (BAD_DROP, "clip.audio.projector_type", G4_STATUS_FORMAT, "clip.audio.projector_type");
  check_bad (BAD_DROP, "clip.audio.num_mel_bins", G4_STATUS_FORMAT, "missing key 'clip.audio.num_mel_bins'");
  bad_str = "12";
  check_bad (BAD_STR, "clip.audio.block_count", G4_STATUS_FORMAT, "clip.audio.block_count");
  bad_u32 = 300;
  check_bad (BAD_U32, "clip.audio.num_mel_bins", G4_STATUS_FORMAT, "'clip.audio.num_mel_bins' is 300");
  bad_u32 = 5;
  check_bad (BAD_U32, "clip.audio.attention.head_count", G4_STATUS_FORMAT, "head_count 5");
  bad_u32 = 3;
  check_bad (BAD_U32, "clip.audio.block_count", G4_STATUS_FORMAT, "missing tensor 'a.blk.2.ffn_norm.weight'");
  bad_u32 = 20;
  check_bad (BAD_U32, "clip.audio.num_mel_bins", G4_STATUS_FORMAT, "'a.input_projection.weight': shape [16, 32, 1, 1], expected [20, 32]");
  check_bad (BAD_NO_FLAGS, "-", G4_STATUS_FORMAT, "not an mmproj file");
  free (ref);
  free (ref_q);
  free (image_ref);
  free (image_ref_q);
  free (rgb);
  free (pcm);
  printf ("%s\n", test_failures ? "FAILED" : "all mmproj file checks passed");
  return test_exit_status ();
}
