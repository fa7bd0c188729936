/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4-cli caption: a video file (video_input.c) captioned window by
 * window. Each window of --window ms (windows start every window - overlap
 * ms) gets --frames frames sampled uniformly, each downscaled once, when it
 * is decoded, to the size the vision encoder takes, so memory holds only the
 * small copies of the open windows. The prompt gives each frame its "mm:ss"
 * time as Hugging Face's video processor does, after the last --history
 * captions; captions go to stdout and to an SRT file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "remote_ask.h"
#ifdef G4_HAVE_FFMPEG
#include "image_input.h"
#include "result_json.h"
#include "video_input.h"
#endif

static const char usage_text[] =
    "usage: gemma4-cli caption VIDEO (-m MODEL.gguf --mmproj MMPROJ.gguf | --server URL)\n"
    "                          [--srt OUT.srt]\n"
    "                          [--window DUR] [--overlap DUR] [--frames N] [--history N]\n"
    "                          [-p PROMPT] [--image-size native|budget] [--max-soft-tokens N]\n"
    "                          [--temp T] [--seed S] [-n MAX_TOKENS] [--json] [-v] [-t THREADS]\n"
    "                          [-c CTX]\n"
    "Captions VIDEO (any file FFmpeg decodes; its best video stream) window by\n"
    "window with a Gemma 4 model and its mmproj file's vision encoder, printing\n"
    "  [mm:ss --> mm:ss] caption\n"
    "per window. Each window's frames are the ones closest to --frames instants\n"
    "spread evenly from its start (the same frame is not given twice); the\n"
    "prompt gives each frame's mm:ss, as the gemma4caption element does.\n"
    "Durations: 10s, 1500ms, 1m, or seconds.\n"
    "  --window DUR       length of a window (default 10s)\n"
    "  --overlap DUR      how much a window overlaps the previous one (default 0,\n"
    "                     at most half the window)\n"
    "  --frames N         frames sampled uniformly in each window (default 8)\n"
    "  --history N        previous captions given as context (default 2)\n"
    "  -p PROMPT          the instruction after the frames; {num_frames}, {start},\n"
    "                     {end}, {timestamps} (the frames' mm:ss) and {previous}\n"
    "                     (the previous captions) are replaced\n"
    "  --srt OUT.srt      also write the captions as SubRip subtitles\n"
    "  --json             one JSON object per window instead, as gemma4caption's\n"
    "                     json_src pad writes it (schemas/caption.schema.json)\n"
    "  --image-size S     budget (default; --max-soft-tokens 70, as Google\n"
    "                     recommends for video frames) or native\n"
    "  -n MAX_TOKENS      most tokens per caption (default 128); --temp, --seed:\n"
    "                     sampling (default greedy)\n"
    "  -v                 a progress line per window on stderr (a progress bar is\n"
    "                     shown anyway when stderr is a terminal)\n"
    CLI_SERVER_USAGE
    "                     (each frame as a JPEG at the --max-soft-tokens budget's\n"
    "                     size)\n"
    "Exit status 1 on an unreadable file or one without video, or an mmproj file\n"
    "without vision encoder; 2 on bad options.\n"
#ifndef G4_HAVE_FFMPEG
    "This gemma4-cli was built without FFmpeg: caption is not available.\n"
#endif
    ;

#ifdef G4_HAVE_FFMPEG

typedef struct {
  cli_vision_opts v;            /* v.file: the video */
  const char *srt;
  int64_t window_ms, overlap_ms;
  int frames, history;
  bool verbose, json;
  cli_server_opts server;
} caption_opts;

/* "10s", "1500ms", "1m", "2.5" (seconds) to ms; -1 when malformed. */
static int64_t
parse_duration (const char *s)
{
  char *end;
  const double x = s ? strtod (s, &end) : -1;
  if (!s || end == s || x < 0 || x > 1e9)
    return -1;
  const double unit = !strcmp (end, "ms") ? 1 : !strcmp (end, "s") || !*end ? 1000
      : !strcmp (end, "m") || !strcmp (end, "min") ? 60000 : !strcmp (end, "h") ? 3600000 : -1;
  return unit < 0 ? -1 : (int64_t) (x * unit + 0.5);
}

static cli_opt_result
opt (const char *a, const char *v, void *user)
{
  caption_opts *c = user;
  cli_opt_result r = cli_vision_opt (a, v, &c->v);
  if (r == CLI_UNKNOWN)
    r = cli_server_opt (a, v, &c->server);
  if (r != CLI_UNKNOWN)
    return r;
  if (!strcmp (a, "-v") || !strcmp (a, "--json")) {
    *(a[1] == 'v' ? &c->verbose : &c->json) = true;
    return CLI_FLAG;
  }
  bool ok = true;
  if (!strcmp (a, "--srt"))
    c->srt = v;
  else if (!strcmp (a, "--window"))
    ok = (c->window_ms = parse_duration (v)) >= 100;
  else if (!strcmp (a, "--overlap"))
    ok = (c->overlap_ms = parse_duration (v)) >= 0;
  else if (!strcmp (a, "--frames"))
    ok = cli_int (a, v, 1, 256, &c->frames);
  else if (!strcmp (a, "--history"))
    ok = cli_int (a, v, 0, 64, &c->history);
  else
    return CLI_UNKNOWN;
  return ok ? CLI_VALUE : CLI_BAD;
}

/* "mm:ss" (minutes past 59 keep counting), as Hugging Face's processor. */
static void
format_mmss (int64_t ms, char *out, size_t size)
{
  const long long s = (ms > 0 ? ms : 0) / 1000;
  snprintf (out, size, "%02lld:%02lld", s / 60, s % 60);
}

/* The user turn of a window (g4_caption_prompt, as gemma4caption asks). */
static char *
window_prompt (const caption_opts * c, int64_t start, int64_t end, const int64_t *pts, int n,
    char *const *history, int n_history)
{
  const char *const *prev = (const char *const *) history;
  const size_t len = g4_caption_prompt (c->v.prompt, pts, n, start, end, prev, n_history, NULL, 0);
  char *out = malloc (len + 1);
  if (out)
    g4_caption_prompt (c->v.prompt, pts, n, start, end, prev, n_history, out, len + 1);
  return out;
}

/* A sampled frame, downscaled to the encoder's input size. */
typedef struct {
  uint8_t *rgb;
  int width, height;
  int64_t pts;
} small_frame;

typedef struct {
  int64_t start, end;           /* ms */
  int next;                     /* the instant to sample next, of c->frames */
  int n;                        /* frames kept */
  small_frame *f;
} window;

/* The time of window w's i-th instant: the start of its i-th equal part. */
static int64_t
sample_time (const window * w, int i, int n)
{
  return w->start + (w->end - w->start) * i / n;
}

static void
window_clear (window * w)
{
  for (int i = 0; i < w->n; i++)
    free (w->f[i].rgb);
  free (w->f);
  w->f = NULL;
  w->n = 0;
}

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct {
  const caption_opts *c;
  const char *model_path;
  const g4_model *m;
  const g4_mmproj *mm;
  cli_remote *remote;           /* --server, instead of m and mm */
  g4_session *s;
  int n_threads;
  bool bar;
  int64_t duration;
  char **history;               /* the last captions, oldest first */
  int n_history, n_windows, n_srt;
  FILE *srt;
  cli_text text;
} captioner;

static void
show_bar (const captioner * k, int64_t t)
{
  char a[32], b[32];
  const int width = 30;
  format_mmss (t, a, sizeof a);
  if (k->duration > 0) {
    const int filled = (int) (width * (t < k->duration ? t : k->duration) / k->duration);
    format_mmss (k->duration, b, sizeof b);
    fprintf (stderr, "\r[%.*s%*s] %3d%% %s / %s, window %d", filled,
        "##############################", width - filled, "",
        (int) (100 * (t < k->duration ? t : k->duration) / k->duration), a, b, k->n_windows + 1);
  } else
    fprintf (stderr, "\r%s, window %d", a, k->n_windows + 1);
  fflush (stderr);
}

/* The caption record gemma4caption's JSON pad writes for window w. */
static void
print_json (const captioner * k, const window * w, const char *prompt, const char *text,
    const int64_t *pts_ms, int64_t inference_ns, int tokens)
{
  const int64_t ms = 1000000;
  JsonBuilder *b = cli_result_begin ("caption", text, w->start * ms, (w->end - w->start) * ms,
      k->model_path, inference_ns, tokens);
  json_builder_set_member_name (b, "frames");
  json_builder_begin_array (b);
  for (int i = 0; i < w->n; i++)
    json_builder_add_int_value (b, pts_ms[i] * ms);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "prompt");
  json_builder_add_string_value (b, prompt);
  cli_result_print (b);
}

/* The window's frames encoded and the caption generated into k->text;
 * *total: the image tokens. */
static bool
answer_local (captioner * k, const window * w, const char *prompt, int *tokens, int *total)
{
  const caption_opts *c = k->c;
  const int d = g4_mmproj_n_embd (k->mm);
  g4_media *media = calloc ((size_t) w->n, sizeof *media);
  float *emb = NULL;
  g4_error err = { 0 };
  bool ok = false;
  for (int i = 0; media && i < w->n; i++) {
    media[i].n_tokens = g4_image_n_tokens (k->mm, w->f[i].width, w->f[i].height,
        c->v.img.sizing, c->v.img.max_soft_tokens);
    *total += media[i].n_tokens > 0 ? media[i].n_tokens : 0;
  }
  if (!media || !(emb = malloc (sizeof (float) * (size_t) * total * (size_t) d))) {
    fprintf (stderr, "gemma4-cli: out of memory\n");
    goto done;
  }
  for (int i = 0, row = 0; i < w->n; row += media[i].n_tokens, i++) {
    const g4_image_view v = g4_image_view_rgb (w->f[i].rgb, w->f[i].width, w->f[i].height,
        3 * w->f[i].width);
    media[i].embd = emb + (size_t) row * (size_t) d;
    if (g4_image_encode_view (k->mm, &v, c->v.img.sizing, c->v.img.max_soft_tokens, k->n_threads,
            NULL, (float *) media[i].embd, &media[i].n_tokens, &err)) {
      fprintf (stderr, "%sgemma4-cli: frame at %lld ms: %s\n", k->bar ? "\n" : "",
          (long long) w->f[i].pts, err.message);
      goto done;
    }
  }
  cli_text_clear (&k->text);
  g4_generate_params gp = {.max_tokens = c->v.gen.max_tokens,.sampling = c->v.gen.sampling,
    .on_piece = cli_text_piece,.user = &k->text
  };
  g4_generate_result res = { 0 };
  if (cli_generate_media (k->s, k->m, prompt, media, w->n, &gp, &res, &err)) {
    fprintf (stderr, "%sgemma4-cli: window at %lld ms: %s\n", k->bar ? "\n" : "",
        (long long) w->start, err.message);
    goto done;
  }
  *tokens = res.n_generated;
  ok = true;
done:
  free (emb);
  free (media);
  return ok;
}

/* The caption from the server (--server): the frames as JPEGs. */
static bool
answer_remote (captioner * k, const window * w, const char *prompt, int *tokens)
{
  G4RemoteMedia *media = calloc ((size_t) w->n, sizeof *media);
  int made = 0;
  bool ok = media != NULL;
  if (!ok)
    fprintf (stderr, "gemma4-cli: out of memory\n");
  for (; ok && made < w->n; made++) {
    const cli_image img = { w->f[made].rgb, w->f[made].width, w->f[made].height };
    uint8_t *jpeg;
    size_t size;
    if (!(ok = cli_image_jpeg (&img, &jpeg, &size)))
      break;
    media[made] = (G4RemoteMedia) { FALSE, g_bytes_new_take (jpeg, size) };
  }
  if (ok)
    ok = cli_remote_ask (k->remote, prompt, media, w->n, NULL, &k->c->v.gen, &k->text, tokens);
  for (int i = 0; i < made; i++)
    g_bytes_unref (media[i].data);
  free (media);
  return ok;
}

/* Captions the window, writes the caption and keeps it as history. */
static bool
caption_window (captioner * k, const window * w)
{
  const caption_opts *c = k->c;
  const double t_start = now_s ();
  int64_t *pts = calloc ((size_t) w->n, sizeof *pts);
  char *prompt = NULL;
  int total = 0, tokens = 0;
  bool ok = false;
  for (int i = 0; pts && i < w->n; i++)
    pts[i] = w->f[i].pts;
  if (!pts || !(prompt = window_prompt (c, w->start, w->end, pts, w->n, k->history,
              k->n_history))) {
    fprintf (stderr, "gemma4-cli: out of memory\n");
    goto done;
  }
  const int64_t t0_ns = cli_now_ns ();
  if (!(k->remote ? answer_remote (k, w, prompt, &tokens) : answer_local (k, w, prompt, &tokens,
              &total)))
    goto done;
  if (k->text.s)
    cli_squeeze_spaces (k->text.s);
  const char *line = k->text.s ? k->text.s : "";
  char t0[32], t1[32];
  if (k->bar)
    fprintf (stderr, "\r%*s\r", 72, "");
  format_mmss (w->start, t0, sizeof t0);
  format_mmss (w->end, t1, sizeof t1);
  if (c->json)
    print_json (k, w, prompt, line, pts, cli_now_ns () - t0_ns, tokens);
  else
    printf ("[%s --> %s] %s\n", t0, t1, line);
  fflush (stdout);
  if (c->verbose && !k->bar)
    fprintf (stderr, "caption: window %d (%s-%s): %d frames, %d image tokens, %.2f s\n",
        k->n_windows + 1, t0, t1, w->n, total, now_s () - t_start);
  /* a cue lasts until the next window starts, as gemma4caption's text
   * buffers do: subtitles of overlapping windows never overlap; the last
   * window's lasts to the end of the video */
  const int64_t next_start = w->start + c->window_ms - c->overlap_ms;
  const bool last = k->duration > 0 && w->end >= k->duration;
  if (k->srt && *line)
    cli_srt_block (k->srt, ++k->n_srt, w->start, last || w->end < next_start ? w->end : next_start,
        line);
  k->n_windows++;
  if (c->history > 0) {
    char *keep = strdup (line);
    if (!keep) {
      fprintf (stderr, "gemma4-cli: out of memory\n");
      goto done;
    }
    if (k->n_history == c->history) {
      free (k->history[0]);
      memmove (k->history, k->history + 1, sizeof *k->history * (size_t) (k->n_history - 1));
      k->n_history--;
    }
    k->history[k->n_history] = keep;
    k->n_history++;
  }
  ok = true;
done:
  free (prompt);
  free (pts);
  return ok;
}

/* Samples window w's next instant: the frame closest to it, downscaled
 * once, unless it is the frame the window got last. false on an error,
 * *ended when the video ended before the instant. */
static bool
sample_frame (captioner * k, cli_video * video, window * w, bool *ended)
{
  const caption_opts *c = k->c;
  g4_image_view view;
  g4_error err = { 0 };
  int64_t pts;
  const int r = cli_video_frame_at (video, sample_time (w, w->next, c->frames), &view, &pts);
  *ended = r == 0;
  if (r <= 0)
    return r == 0;
  w->next++;
  if (w->n > 0 && w->f[w->n - 1].pts == pts)
    return true;
  small_frame *f = &w->f[w->n];
  /* --server: the size the JPEG goes at, else the encoder's canvas */
  if (k->remote)
    g4remote_image_size (view.width, view.height, (guint) c->v.img.max_soft_tokens, &f->width,
        &f->height);
  else if (!g4_image_resample_size (k->mm, view.width, view.height, c->v.img.sizing,
          c->v.img.max_soft_tokens, &f->width, &f->height)) {
    fprintf (stderr, "gemma4-cli: no encoder size fits the %dx%d frames (--max-soft-tokens %d)\n",
        view.width, view.height, c->v.img.max_soft_tokens);
    return false;
  }
  f->pts = pts;
  if (!(f->rgb = malloc (3 * (size_t) f->width * (size_t) f->height))
      || (k->remote ? g4_image_resize (&view, f->width, f->height, f->rgb, 3 * f->width, &err)
          : g4_image_resize_canvas (k->mm, &view, c->v.img.sizing, c->v.img.max_soft_tokens,
              f->rgb, 3 * f->width, &err))) {
    fprintf (stderr, "gemma4-cli: %s\n", f->rgb ? err.message : "out of memory");
    free (f->rgb);
    f->rgb = NULL;
    return false;
  }
  w->n++;
  return true;
}

/* The time of the next instant window w samples. */
static int64_t
pending (const window * w, int n)
{
  return sample_time (w, w->next, n);
}

/* Opens windows while they start before the earliest instant still to
 * sample (so frames are asked for in time order), samples that instant, and
 * captions each window once all its instants are sampled (they finish in
 * order) or the video ends. */
static bool
caption_video (captioner * k, cli_video * video)
{
  const caption_opts *c = k->c;
  const int nf = c->frames;
  const int64_t step = c->window_ms - c->overlap_ms;
  const int max_open = (int) (c->window_ms / step) + 2;
  window *open = calloc ((size_t) max_open, sizeof *open);
  int n_open = 0;
  int64_t next_start = 0;
  bool ok = open != NULL, more = true, ended = false;
  if (!ok)
    fprintf (stderr, "gemma4-cli: out of memory\n");
  while (ok && (n_open > 0 || (more && !ended))) {
    int pick = -1;
    for (int i = 0; i < n_open; i++)
      if (open[i].next < nf && (pick < 0 || pending (&open[i], nf) < pending (&open[pick], nf)))
        pick = i;
    window nw = {.start = next_start,.end = next_start + c->window_ms };
    if (k->duration > 0 && nw.end > k->duration)
      nw.end = k->duration;
    if (more && !ended && n_open < max_open
        && (pick < 0 || pending (&nw, nf) <= pending (&open[pick], nf))) {
      if (!(nw.f = calloc ((size_t) nf, sizeof *nw.f))) {
        fprintf (stderr, "gemma4-cli: out of memory\n");
        ok = false;
        break;
      }
      open[n_open++] = nw;
      next_start += step;
      more = k->duration < 0 || nw.end < k->duration;
      continue;
    }
    if (!ended && pick >= 0) {
      if (k->bar)
        show_bar (k, pending (&open[pick], nf));
      ok = sample_frame (k, video, &open[pick], &ended);
    }
    /* at the end each open window keeps the frames it has */
    if (ok && n_open > 0 && (open[0].next == nf || ended)) {
      if (open[0].n > 0) {
        if (k->bar)
          show_bar (k, open[0].end);
        ok = caption_window (k, &open[0]);
      }
      window_clear (&open[0]);
      memmove (open, open + 1, sizeof *open * (size_t) --n_open);
    }
  }
  for (int i = 0; open && i < n_open; i++)
    window_clear (&open[i]);
  free (open);
  return ok;
}

static int
run (int argc, char **argv)
{
  cli_model_opts o = { 0 };
  caption_opts c = {.window_ms = 10000,.frames = 8,.history = 2,
    .v = {.img = {.sizing = G4_IMAGE_BUDGET,.max_soft_tokens = 70},
      .gen = {.sampling = g4_sampler_default_params (),.max_tokens = 128}}
  };
  c.v.gen.sampling.temperature = 0.0f;
  if (cli_parse (&cmd_caption, argc, argv, &o, opt, &c))
    return 2;
  if (!c.v.file || (!c.server.url && (!o.model || !c.v.mmproj)))
    return cli_usage_error (&cmd_caption, "VIDEO, -m MODEL and --mmproj MMPROJ (or --server URL) "
        "are required");
  if (2 * c.overlap_ms > c.window_ms)
    return cli_usage_error (&cmd_caption, "--overlap must be at most half of --window");
  captioner k = {.c = &c,.model_path = o.model,.n_threads = o.n_threads,.bar = isatty (2) };
  g4_mmproj *mm = NULL;
  g4_model *m = NULL;
  int rc = 1;
  cli_video *video = cli_video_open (c.v.file);
  if (!video)
    goto done;
  if (c.server.url) {
    if (!(k.remote = cli_remote_connect (&c.server)))
      goto done;
    k.model_path = cli_remote_model (k.remote);
  } else if (!cli_load_mm (o.model, c.v.mmproj, false, &m, &mm))
    goto done;
  k.m = m;
  k.mm = mm;
  k.duration = cli_video_duration_ms (video);
  if (c.history > 0 && !(k.history = calloc ((size_t) c.history, sizeof *k.history))) {
    fprintf (stderr, "gemma4-cli: out of memory\n");
    goto done;
  }
  if (c.srt && !(k.srt = cli_open_output (c.srt)))
    goto done;
  if ((!k.remote && !(k.s = cli_new_session (m, &o, 0))) || !caption_video (&k, video))
    goto done;
  if (k.bar)
    fprintf (stderr, "\r%*s\r", 72, "");
  if (k.n_windows == 0)
    fprintf (stderr, "gemma4-cli: %s: no frames to caption\n", c.v.file);
  else
    rc = 0;
done:
  if (k.srt && !cli_close_output (k.srt, c.srt) && rc == 0)
    rc = 1;
  for (int i = 0; i < k.n_history; i++)
    free (k.history[i]);
  free (k.history);
  free (k.text.s);
  g4_session_free (k.s);
  g4_model_free (m);
  g4_mmproj_free (mm);
  cli_remote_free (k.remote);
  cli_video_close (video);
  return rc;
}

#else

static int
run (int argc, char **argv)
{
  (void) argc;
  (void) argv;
  fprintf (stderr, "gemma4-cli caption: this gemma4-cli was built without FFmpeg, which "
      "caption needs to decode video\n");
  return 1;
}

#endif

const cli_command cmd_caption = { "caption", "caption a video over time windows, and SRT",
  usage_text, run
};
