/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4-cli transcribe: speech to timed text. The file is decoded to 16 kHz
 * mono (audio_input.c), cut into speech segments by an energy voice activity
 * detector with the defaults of the gemma4asr element (20 ms frames, -40 dBFS,
 * 250 ms of speech to start, 600 ms of silence to end, chunks of at most
 * --chunk seconds cut at the quietest frame of their second half), and each
 * segment is transcribed (or translated) with the chat prompt gemma4asr uses,
 * thinking off. Segments go to stdout as they are done, and to an SRT file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio_input.h"
#include "cli.h"
#include "remote_ask.h"
#include "result_json.h"

static const char usage_text[] =
    "usage: gemma4-cli transcribe FILE (-m MODEL.gguf --mmproj MMPROJ.gguf | --server URL)\n"
    "                             [--srt OUT.srt]\n"
    "                             [--chunk SECONDS] [--vad-threshold DB] [-n MAX_TOKENS]\n"
    "                             [--language L] [--task transcribe|translate]\n"
    "                             [--target-language L] [--progress] [--json] [-t THREADS]\n"
    "                             [-c CTX]\n"
    "Transcribes the speech of FILE with a Gemma 4 model (E2B/E4B) and its mmproj\n"
    "file's audio encoder, printing one line per segment to stdout:\n"
    "  [00:00:01.200 --> 00:00:04.800] text\n"
#ifdef G4_HAVE_FFMPEG
    "FILE: a WAV file, or any audio or video file FFmpeg decodes (its best audio\n"
    "stream); it is mixed to mono and resampled to 16 kHz.\n"
#else
    "FILE: a WAV file (PCM 8/16/24/32 bit, float 32/64 bit; this gemma4-cli was\n"
    "built without FFmpeg); it is mixed to mono and resampled to 16 kHz.\n"
#endif
    "Segments: an energy voice activity detector on 20 ms frames (voiced above\n"
    "--vad-threshold dBFS, default -40) finds utterances (250 ms of speech start\n"
    "one, 600 ms of silence end it); utterances longer than --chunk seconds\n"
    "(default 5, at most 30) are cut at the quietest frame of each chunk's second\n"
    "half. Silence is not transcribed.\n"
    "  --srt OUT.srt      also write the segments as SubRip subtitles\n"
    "  -n MAX_TOKENS      most tokens generated per segment (default 256)\n"
    "  --language L       the language spoken, as a hint in the prompt\n"
    "  --task T           transcribe (default) or translate\n"
    "  --target-language L  translation target (default English)\n"
    "  --json             one JSON object per segment instead, as gemma4asr's JSON\n"
    "                     pad writes it (schemas/asr.schema.json)\n"
    "  --progress         progress bar on stderr even when it is not a terminal\n"
    "                     (otherwise shown on a terminal for files over a minute)\n"
    CLI_SERVER_USAGE
    "Greedy decoding, thinking off. Exit status 1 on an unreadable or non-audio\n"
    "file, a model without a tokenizer or an mmproj file without audio encoder.\n";

#define FRAME (G4_AUDIO_SAMPLE_RATE / 50)       /* 20 ms */
#define MIN_SPEECH_FRAMES 13    /* 250 ms, rounded up */
#define MAX_SILENCE_FRAMES 30   /* 600 ms */

typedef struct {
  const char *file, *mmproj, *srt, *language, *target, *task;
  float chunk_s, threshold_db;
  int max_tokens;
  bool progress, json;
  cli_server_opts server;
} transcribe_opts;

typedef struct {
  int64_t start, end;           /* samples, [start, end) */
} span;

static cli_opt_result
opt (const char *a, const char *v, void *user)
{
  transcribe_opts *t = user;
  bool ok = true;
  const cli_opt_result r = cli_server_opt (a, v, &t->server);
  if (r != CLI_UNKNOWN)
    return r;
  if (!strcmp (a, "--progress") || !strcmp (a, "--json")) {
    *(a[2] == 'p' ? &t->progress : &t->json) = true;
    return CLI_FLAG;
  }
  if (a[0] != '-' && !t->file) {
    t->file = a;
    return CLI_FLAG;
  }
  if (!strcmp (a, "--mmproj"))
    t->mmproj = v;
  else if (!strcmp (a, "--srt"))
    t->srt = v;
  else if (!strcmp (a, "--language"))
    t->language = v;
  else if (!strcmp (a, "--target-language"))
    t->target = v;
  else if (!strcmp (a, "--task")) {
    t->task = v;
    ok = v && (!strcmp (v, "transcribe") || !strcmp (v, "translate"));
  } else if (!strcmp (a, "--chunk"))
    ok = cli_float (a, v, 0.2f, 30.0f, &t->chunk_s);
  else if (!strcmp (a, "--vad-threshold"))
    ok = cli_float (a, v, -120.0f, 0.0f, &t->threshold_db);
  else if (!strcmp (a, "-n"))
    ok = cli_int (a, v, 1, 1 << 20, &t->max_tokens);
  else
    return CLI_UNKNOWN;
  return ok ? CLI_VALUE : CLI_BAD;
}

/* RMS level of a frame in dBFS. */
static double
frame_db (const float *x, int64_t n)
{
  double e = 0;
  for (int64_t i = 0; i < n; i++)
    e += (double) x[i] * x[i];
  return 10.0 * log10 (e / (double) (n > 0 ? n : 1) + 1e-12);
}

/* Speech segments of x: voiced runs joined across short silences, dropped
 * when they hold too little voice, then cut to at most chunk samples. */
static span *
find_segments (const float *x, int64_t n, double threshold_db, int64_t chunk, int *n_out)
{
  const int64_t nf = (n + FRAME - 1) / FRAME;
  double *db = malloc (sizeof (double) * (size_t) (nf > 0 ? nf : 1));
  span *seg = NULL;
  int ns = 0, cap = 0;
  if (!db)
    return NULL;
  for (int64_t f = 0; f < nf; f++)
    db[f] = frame_db (x + f * FRAME, f * FRAME + FRAME <= n ? FRAME : n - f * FRAME);
  for (int64_t f = 0; f < nf;) {
    if (db[f] <= threshold_db) {
      f++;
      continue;
    }
    int64_t last = f, voiced = 0, g = f;
    for (; g < nf && g - last <= MAX_SILENCE_FRAMES; g++)
      if (db[g] > threshold_db) {
        last = g;
        voiced++;
      }
    if (voiced >= MIN_SPEECH_FRAMES) {
      int64_t s = f * FRAME;
      const int64_t e = (last + 1) * FRAME < n ? (last + 1) * FRAME : n;
      while (s < e) {
        int64_t cut = e;
        if (e - s > chunk) {
          int64_t best = s + chunk;
          double quiet = INFINITY;
          for (int64_t c = s + chunk / 2; c + FRAME <= s + chunk; c += FRAME)
            if (db[c / FRAME] < quiet) {
              quiet = db[c / FRAME];
              best = c + FRAME;
            }
          cut = best;
        }
        if (ns == cap) {
          cap = cap ? 2 * cap : 16;
          span *ng = realloc (seg, sizeof (span) * (size_t) cap);
          if (!ng) {
            free (seg);
            free (db);
            return NULL;
          }
          seg = ng;
        }
        seg[ns++] = (span) {s, cut};
        s = cut;
      }
    }
    f = last + 1;
  }
  free (db);
  *n_out = ns;
  return seg ? seg : malloc (sizeof (span));
}

/* The user turn gemma4asr sends with each piece of audio. */
static void
user_turn (const transcribe_opts * t, char *instr, size_t size)
{
  const bool translate = t->task && !strcmp (t->task, "translate");
  snprintf (instr, size, "<|audio|>");
  g4_asr_prompt (translate, t->language, t->target, instr + strlen (instr),
      size - strlen (instr));
}

/* That turn through the model's chat template. */
static char *
render_prompt (const g4_model * m, const transcribe_opts * t)
{
  char instr[512];
  user_turn (t, instr, sizeof instr);
  const g4_chat_message msg = { G4_ROLE_USER, instr };
  const g4_template_flavor fl = g4_model_template_flavor (m);
  const size_t need = g4_chat_render (fl, &msg, 1, false, true, NULL, 0);
  char *out = malloc (need + 1);
  if (out)
    g4_chat_render (fl, &msg, 1, false, true, out, need + 1);
  return out;
}

/* The asr record gemma4asr's JSON pad writes for one segment. */
static void
print_json (const transcribe_opts * t, const char *model, const span * seg, const char *text,
    int64_t inference_ns, int tokens)
{
  const int64_t start = seg->start * 1000000000 / G4_AUDIO_SAMPLE_RATE;
  const int64_t end = seg->end * 1000000000 / G4_AUDIO_SAMPLE_RATE;
  JsonBuilder *b = cli_result_begin ("asr", text, start, end - start, model, inference_ns,
      tokens);
  json_builder_set_member_name (b, "task");
  json_builder_add_string_value (b, t->task ? t->task : "transcribe");
  if (t->language) {
    json_builder_set_member_name (b, "language");
    json_builder_add_string_value (b, t->language);
  }
  cli_result_print (b);
}

static int64_t
to_ms (int64_t samples)
{
  return samples * 1000 / G4_AUDIO_SAMPLE_RATE;
}

static void
show_progress (int64_t done, int64_t total)
{
  char a[32], b[32];
  const int width = 30, filled = (int) (width * done / (total > 0 ? total : 1));
  cli_format_hms (to_ms (done), '.', a, sizeof a);
  cli_format_hms (to_ms (total), '.', b, sizeof b);
  fprintf (stderr, "\r[%.*s%*s] %3d%% %s / %s", filled, "##############################",
      width - filled, "", (int) (100 * done / (total > 0 ? total : 1)), a, b);
  fflush (stderr);
}

/* Transcribes one segment into text (squeezed to one line). */
static g4_status
transcribe_segment (const g4_model * m, const g4_mmproj * mm, g4_session * s, const char *prompt,
    const float *x, int64_t n, int n_threads, int max_tokens, cli_text * text, int *tokens,
    g4_error * err)
{
  const int nt = g4_audio_n_tokens (mm, n), d = g4_mmproj_n_embd (mm);
  float *emb = nt > 0 ? malloc (sizeof (float) * (size_t) nt * (size_t) d) : NULL;
  g4_prompt pr = { 0 };
  g4_status st;
  if (!emb) {
    err->code = G4_STATUS_NO_MEMORY;
    snprintf (err->message, sizeof err->message, "no memory for %d audio rows", nt);
    return err->code;
  }
  st = g4_audio_encode (mm, x, n, n_threads, NULL, emb, err);
  if (!st)
    st = g4_prompt_build (m, prompt, &(g4_media) {.embd = emb,.n_tokens = nt,.is_audio = true},
        1, &pr, err);
  free (emb);
  cli_text_clear (text);
  if (!st) {
    g4_generate_params gp = {.max_tokens = max_tokens,.sampling = g4_sampler_default_params (),
      .on_piece = cli_text_piece,.user = text
    };
    gp.sampling.temperature = 0.0f;
    g4_generate_result res = { 0 };
    g4_session_reset (s);
    st = g4_generate (s, &(g4_batch) {.n = pr.n,.tokens = pr.tokens,.embd = pr.embd,
        .embd_mask = pr.embd_mask}, &gp, &res, err);
    *tokens = res.n_generated;
    if (st == G4_STATUS_CONTEXT_FULL) {
      fprintf (stderr, "\ngemma4-cli: %s (the text of this segment is cut: raise -c or "
          "lower --chunk)\n", err->message);
      st = G4_OK;
    }
  }
  g4_prompt_free (&pr);
  if (text->s)
    cli_squeeze_spaces (text->s);
  return st;
}

/* One segment on the server: the same user turn, the audio as WAV. */
static bool
ask_segment (cli_remote * r, const transcribe_opts * t, const float *x, int64_t n,
    cli_text * text, int *tokens)
{
  char instr[512];
  cli_gen_opts gen = {.sampling = g4_sampler_default_params (),.max_tokens = t->max_tokens };
  G4RemoteMedia audio = { TRUE, g4remote_wav_new (x, (gsize) n, G4_AUDIO_SAMPLE_RATE) };
  gen.sampling.temperature = 0.0f;
  user_turn (t, instr, sizeof instr);
  const bool ok = cli_remote_ask (r, instr, &audio, 1, NULL, &gen, text, tokens);
  g_bytes_unref (audio.data);
  if (ok && text->s)
    cli_squeeze_spaces (text->s);
  return ok;
}

static int
run (int argc, char **argv)
{
  cli_model_opts o = { 0 };
  transcribe_opts to = {.chunk_s = 5.0f,.threshold_db = -40.0f,.max_tokens = 256 };
  if (cli_parse (&cmd_transcribe, argc, argv, &o, opt, &to))
    return 2;
  const char *server = to.server.url;
  cli_remote *remote = NULL;
  if (!to.file || (!server && (!o.model || !to.mmproj)))
    return cli_usage_error (&cmd_transcribe, "FILE, -m MODEL and --mmproj MMPROJ (or --server "
        "URL) are required");
  if (to.target && !(to.task && !strcmp (to.task, "translate")))
    return cli_usage_error (&cmd_transcribe, "--target-language needs --task translate");
  g4_error err = { 0 };
  g4_mmproj *mm = NULL;
  g4_model *m = NULL;
  g4_session *s = NULL;
  span *seg = NULL;
  char *prompt = NULL;
  cli_text text = { 0 };
  FILE *srt = NULL;
  int64_t n = 0;
  int ns = 0, rc = 1, n_srt = 0;
  float *x = cli_audio_read (to.file, &n);
  if (!x)
    goto done;
  if (server && !(remote = cli_remote_connect (&to.server)))
    goto done;
  if (!server && !cli_load_mm (o.model, to.mmproj, true, &m, &mm))
    goto done;
  if ((!server && !(prompt = render_prompt (m, &to)))
      || !(seg = find_segments (x, n, to.threshold_db,
              (int64_t) lroundf (to.chunk_s * G4_AUDIO_SAMPLE_RATE), &ns))) {
    fprintf (stderr, "gemma4-cli: out of memory\n");
    goto done;
  }
  if (to.srt && !(srt = cli_open_output (to.srt)))
    goto done;
  if (!server && !(s = cli_new_session (m, &o, 0)))
    goto done;
  const char *model_name = remote ? cli_remote_model (remote) : o.model;
  const bool progress = to.progress || (n > 60 * G4_AUDIO_SAMPLE_RATE && isatty (2));
  for (int i = 0; i < ns; i++) {
    char t0[32], t1[32];
    if (progress)
      show_progress (seg[i].start, n);
    const int64_t t_ns = cli_now_ns ();
    int tokens = 0;
    if (remote) {
      if (!ask_segment (remote, &to, x + seg[i].start, seg[i].end - seg[i].start, &text,
              &tokens))
        goto done;
    } else if (transcribe_segment (m, mm, s, prompt, x + seg[i].start, seg[i].end - seg[i].start,
            o.n_threads, to.max_tokens, &text, &tokens, &err)) {
      fprintf (stderr, "%sgemma4-cli: segment %d: %s\n", progress ? "\n" : "", i + 1, err.message);
      goto done;
    }
    if (progress)
      fprintf (stderr, "\r%*s\r", 72, "");
    const char *line = text.s ? text.s : "";
    cli_format_hms (to_ms (seg[i].start), '.', t0, sizeof t0);
    cli_format_hms (to_ms (seg[i].end), '.', t1, sizeof t1);
    if (to.json)
      print_json (&to, model_name, &seg[i], line, cli_now_ns () - t_ns, tokens);
    else
      printf ("[%s --> %s] %s\n", t0, t1, line);
    fflush (stdout);
    if (srt && *line) {
      cli_srt_block (srt, ++n_srt, to_ms (seg[i].start), to_ms (seg[i].end), line);
    }
  }
  if (progress) {
    show_progress (n, n);
    fputc ('\n', stderr);
  }
  rc = 0;
  if (ns == 0)
    fprintf (stderr, "gemma4-cli: %s: no speech found (%.2f s of audio)\n", to.file,
        (double) n / G4_AUDIO_SAMPLE_RATE);
done:
  if (srt && !cli_close_output (srt, to.srt) && rc == 0)
    rc = 1;
  free (text.s);
  free (prompt);
  free (seg);
  free (x);
  g4_session_free (s);
  g4_model_free (m);
  g4_mmproj_free (mm);
  cli_remote_free (remote);
  return rc;
}

const cli_command cmd_transcribe = { "transcribe", "transcribe speech to timed text and SRT",
  usage_text, run
};
