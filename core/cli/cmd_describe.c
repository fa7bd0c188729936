/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4-cli describe: one image file (image_input.c) and a prompt or a
 * vision task (describe, detect, ocr, classify) to a Gemma 4 model with its
 * mmproj file's vision encoder. The answer streams to stdout, or comes as
 * JSON; detection decodes under the JSON constraint, and --draw writes the
 * image with the boxes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "image_input.h"
#include "remote_ask.h"
#include "result_json.h"

static const char usage_text[] =
    "usage: gemma4-cli describe IMAGE (-m MODEL.gguf --mmproj MMPROJ.gguf | --server URL)\n"
    "                           [-p PROMPT]\n"
    "                           [--task describe|detect|ocr|classify] [--labels A,B,...]\n"
    "                           [--max-objects N] [--json] [--draw OUT.png]\n"
    "                           [--image-size native|budget] [--max-soft-tokens N]\n"
    "                           [--temp T] [--seed S] [-n MAX_TOKENS] [-t THREADS] [-c CTX]\n"
    "Asks a Gemma 4 model about IMAGE (its mmproj file's vision encoder sees it)\n"
    "and prints the answer as it is written.\n"
#ifdef G4_HAVE_FFMPEG
    "IMAGE: any still image FFmpeg decodes (PNG, JPEG, WebP, BMP, PPM, ...).\n"
#else
    "IMAGE: a binary PPM (P6) file (this gemma4-cli was built without FFmpeg).\n"
#endif
    "  -p PROMPT          the instruction (default: the task's); the image goes\n"
    "                     before it, or where it says <|image|>\n"
    "  --task T           describe (default), detect (boxes of objects), ocr (the\n"
    "                     text in the image) or classify (the label that fits best)\n"
    "  --labels A,B       the objects to detect (default: any), the classes to pick\n"
    "                     from (required by classify)\n"
    "  --max-objects N    most objects a detection lists (default 20)\n"
    "  --json             print the result as gemma4vision's JSON pad does (one\n"
    "                     object, schemas/vision.schema.json); detect always does:\n"
    "                     \"objects\": [{\"label\", \"x\", \"y\", \"w\", \"h\" (pixels),\n"
    "                     \"detection\": {\"bounding_box\": {\"x_min\", \"y_min\", \"x_max\",\n"
    "                     \"y_max\"} (0-1)}, \"box_2d\": [y_min, x_min, y_max, x_max] (0-1000)}]\n"
    "  --draw OUT         detect: write IMAGE with the boxes and labels drawn\n"
#ifdef G4_HAVE_FFMPEG
    "                     (.png, .jpg or .ppm)\n"
#else
    "                     (.ppm: built without FFmpeg)\n"
#endif
    "  --image-size S     budget (default: Hugging Face's rule, --max-soft-tokens of\n"
    "                     70, 140, 280 (default), 560, 1120) or native (the\n"
    "                     reference's rule, 70-1120 tokens)\n"
    "  --temp T, --seed S sampling (default greedy); -n most tokens (default 256,\n"
    "                     detect 1024)\n"
    CLI_SERVER_USAGE
    "                     (the image as a JPEG at the --max-soft-tokens budget's\n"
    "                     size; detect sends the box list's JSON schema)\n"
    "Detection decodes under a constraint: the answer is a JSON list of\n"
    "{\"box_2d\", \"label\"} objects whose labels come from --labels; classification\n"
    "can only answer one of the --labels, as written. Exit status 1\n"
    "on a missing or unreadable image, a non-image file, or an mmproj file without\n"
    "vision encoder; 2 on bad options.\n";

#define MAX_LABELS 64

typedef struct {
  cli_vision_opts v;            /* v.file: the image */
  const char *labels, *draw;
  g4_vision_task task;
  bool json;
  int max_objects;
  cli_server_opts server;
} describe_opts;

static const char *const task_names[] = { "describe", "detect", "ocr", "classify" };

static cli_opt_result
opt (const char *a, const char *v, void *user)
{
  describe_opts *d = user;
  cli_opt_result r = cli_vision_opt (a, v, &d->v);
  if (r == CLI_UNKNOWN)
    r = cli_server_opt (a, v, &d->server);
  if (r != CLI_UNKNOWN)
    return r;
  if (!strcmp (a, "--json")) {
    d->json = true;
    return CLI_FLAG;
  }
  if (!strcmp (a, "--labels"))
    d->labels = v;
  else if (!strcmp (a, "--draw"))
    d->draw = v;
  else if (!strcmp (a, "--max-objects"))
    return cli_int (a, v, 1, 1000, &d->max_objects) ? CLI_VALUE : CLI_BAD;
  else if (!strcmp (a, "--task")) {
    for (size_t i = 0; v && i < sizeof task_names / sizeof task_names[0]; i++)
      if (!strcmp (v, task_names[i])) {
        d->task = (g4_vision_task) i;
        return CLI_VALUE;
      }
    fprintf (stderr, "gemma4-cli: --task expects describe, detect, ocr or classify\n");
    return CLI_BAD;
  } else
    return CLI_UNKNOWN;
  return CLI_VALUE;
}

/* Splits "a, b,c" into trimmed, non-empty labels inside buf; returns the
 * count, or -1 when there are too many or one is too long. */
static int
split_labels (const char *list, char *buf, size_t buf_size, const char **out)
{
  int n = 0;
  if (!list)
    return 0;
  snprintf (buf, buf_size, "%s", list);
  for (char *p = buf; p;) {
    char *comma = strchr (p, ','), *end = comma ? comma : p + strlen (p);
    while (*p == ' ')
      p++;
    while (end > p && end[-1] == ' ')
      end--;
    *end = '\0';
    if (end - p >= (ptrdiff_t) sizeof ((g4_detection *) 0)->label || (*p && n == MAX_LABELS))
      return -1;
    if (*p)
      out[n++] = p;
    p = comma ? comma + 1 : NULL;
  }
  return n;
}

/* The vision record gemma4vision's JSON pad writes (schemas/vision.schema.json):
 * each box in pixels (x, y, w, h), as detection.bounding_box normalised to 0-1
 * (DL Streamer's form) and as box_2d in the model's 0-1000 units. */
static void
print_json (const describe_opts * d, const char *model, const char *text,
    const g4_detection * dets, int n, int w, int h, int64_t inference_ns, int tokens)
{
  JsonBuilder *b = cli_result_begin ("vision", text, 0, -1, model, inference_ns, tokens);
  json_builder_set_member_name (b, "task");
  json_builder_add_string_value (b, task_names[d->task]);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, w);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, h);
  json_builder_set_member_name (b, "objects");
  json_builder_begin_array (b);
  for (int i = 0; i < n; i++) {
    const g4_detection *o = &dets[i];
    const int x0 = (int) lroundf (o->x_min * w / 1000), y0 = (int) lroundf (o->y_min * h / 1000);
    const int x1 = (int) lroundf (o->x_max * w / 1000), y1 = (int) lroundf (o->y_max * h / 1000);
    const struct { const char *name; double v; } bbox[] = {
      {"x_min", (double) x0 / w}, {"y_min", (double) y0 / h},
      {"x_max", (double) x1 / w}, {"y_max", (double) y1 / h},
    };
    const struct { const char *name; int v; } px[] = {
      {"x", x0}, {"y", y0}, {"w", x1 - x0}, {"h", y1 - y0},
    };
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "label");
    json_builder_add_string_value (b, o->label);
    for (int k = 0; k < 4; k++) {
      json_builder_set_member_name (b, px[k].name);
      json_builder_add_int_value (b, px[k].v);
    }
    if (o->confidence >= 0) {
      json_builder_set_member_name (b, "confidence");
      json_builder_add_double_value (b, o->confidence);
    }
    json_builder_set_member_name (b, "detection");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "label");
    json_builder_add_string_value (b, o->label);
    json_builder_set_member_name (b, "bounding_box");
    json_builder_begin_object (b);
    for (int k = 0; k < 4; k++) {
      json_builder_set_member_name (b, bbox[k].name);
      json_builder_add_double_value (b, bbox[k].v);
    }
    json_builder_end_object (b);
    if (o->confidence >= 0) {
      json_builder_set_member_name (b, "confidence");
      json_builder_add_double_value (b, o->confidence);
    }
    json_builder_end_object (b);
    json_builder_set_member_name (b, "box_2d");
    json_builder_begin_array (b);
    const float box_2d[4] = { o->y_min, o->x_min, o->y_max, o->x_max };
    for (int k = 0; k < 4; k++)
      json_builder_add_int_value (b, lroundf (box_2d[k]));
    json_builder_end_array (b);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "repeated");
  json_builder_add_boolean_value (b, false);
  cli_result_print (b);
}

/* The answer of the model in this process: the image encoded, generated
 * under the task's constraint. false after printing why. */
static bool
answer_local (const cli_model_opts * o, const describe_opts * d, const cli_image * img,
    const char *content, const char *const *labels, int n_labels, cli_text * text, int *tokens)
{
  g4_error err = { 0 };
  g4_mmproj *mm = NULL;
  g4_model *m = NULL;
  g4_session *s = NULL;
  g4_constraint *cons = NULL;
  float *emb = NULL;
  int nt = 0;
  bool ok = false;
  if (!cli_load_mm (o->model, d->v.mmproj, false, &m, &mm))
    goto done;
  const int n = g4_image_n_tokens (mm, img->width, img->height, d->v.img.sizing,
      d->v.img.max_soft_tokens);
  if (n < 1) {
    fprintf (stderr, "gemma4-cli: %s: no encoder size fits this %dx%d image (--max-soft-tokens "
        "%d)\n", d->v.file, img->width, img->height, d->v.img.max_soft_tokens);
    goto done;
  }
  const g4_image_view view = g4_image_view_rgb (img->rgb, img->width, img->height,
      3 * img->width);
  emb = malloc (sizeof (float) * (size_t) n * (size_t) g4_mmproj_n_embd (mm));
  if (!emb || g4_image_encode_view (mm, &view, d->v.img.sizing, d->v.img.max_soft_tokens,
          o->n_threads, NULL, emb, &nt, &err)) {
    fprintf (stderr, "gemma4-cli: %s\n", emb ? err.message : "out of memory");
    goto done;
  }
  const g4_vocab *vocab = g4_model_get_vocab (m);
  if (d->task == G4_VISION_DETECT)
    cons = g4_constraint_detection_new (vocab, labels, n_labels, d->max_objects, &err);
  else if (d->task == G4_VISION_CLASSIFY && n_labels > 0)
    cons = g4_constraint_choice_new (vocab, labels, n_labels, &err);
  if (!cons && (d->task == G4_VISION_DETECT || (d->task == G4_VISION_CLASSIFY && n_labels > 0))) {
    fprintf (stderr, "gemma4-cli: %s\n", err.message);
    goto done;
  }
  if (!(s = cli_new_session (m, o, 0)))
    goto done;
  g4_generate_params gp = {.max_tokens = d->v.gen.max_tokens,.sampling = d->v.gen.sampling,
    .on_piece = cli_text_piece,.user = text,.constraint = cons
  };
  g4_generate_result res = { 0 };
  if (cli_generate_media (s, m, content, &(g4_media) {.embd = emb,.n_tokens = nt}, 1, &gp,
          &res, &err)) {
    fprintf (stderr, "%sgemma4-cli: %s\n", text->echo && text->len ? "\n" : "", err.message);
    goto done;
  }
  *tokens = res.n_generated;
  ok = true;
done:
  free (emb);
  g4_constraint_free (cons);
  g4_session_free (s);
  g4_model_free (m);
  g4_mmproj_free (mm);
  return ok;
}

/* The answer of the server (--server): the image as a JPEG at the size the
 * soft-token budget gives, detect with the box list's schema. */
static bool
answer_remote (const describe_opts * d, const cli_image * img, const char *content,
    const char *const *labels, int n_labels, cli_text * text, int *tokens, char **model)
{
  const int budget = d->v.img.max_soft_tokens > 0 ? d->v.img.max_soft_tokens : 280;
  cli_remote *r = cli_remote_connect (&d->server);
  cli_image small = { 0 };
  uint8_t *jpeg = NULL;
  size_t jpeg_size = 0;
  char *schema = NULL;
  g4_error err = { 0 };
  bool ok = false;
  if (!r)
    return false;
  g4remote_image_size (img->width, img->height, (guint) budget, &small.width, &small.height);
  const g4_image_view view = g4_image_view_rgb (img->rgb, img->width, img->height,
      3 * img->width);
  if (!(small.rgb = malloc ((size_t) small.width * (size_t) small.height * 3))
      || g4_image_resize (&view, small.width, small.height, small.rgb, 3 * small.width, &err)) {
    fprintf (stderr, "gemma4-cli: %s\n", small.rgb ? err.message : "out of memory");
    goto done;
  }
  if (!cli_image_jpeg (&small, &jpeg, &jpeg_size))
    goto done;
  if (d->task == G4_VISION_DETECT)
    schema = g4remote_detection_schema (labels, (guint) n_labels, (guint) d->max_objects);
  G4RemoteMedia image = { FALSE, g_bytes_new_take (jpeg, jpeg_size) };
  ok = cli_remote_ask (r, content, &image, 1, schema, &d->v.gen, text, tokens);
  g_bytes_unref (image.data);
  *model = g_strdup (cli_remote_model (r));
done:
  g_free (schema);
  cli_image_free (&small);
  cli_remote_free (r);
  return ok;
}

static int
run (int argc, char **argv)
{
  cli_model_opts o = { 0 };
  describe_opts d = {.max_objects = 20,.v = {.img = {.sizing = G4_IMAGE_BUDGET},
      .gen = {.sampling = g4_sampler_default_params ()}}
  };
  d.v.gen.sampling.temperature = 0.0f;
  if (cli_parse (&cmd_describe, argc, argv, &o, opt, &d))
    return 2;
  if (!d.v.file || (!d.server.url && (!o.model || !d.v.mmproj)))
    return cli_usage_error (&cmd_describe, "IMAGE, -m MODEL and --mmproj MMPROJ (or --server "
        "URL) are required");
  char label_buf[4096];
  const char *labels[MAX_LABELS];
  const int n_labels = split_labels (d.labels, label_buf, sizeof label_buf, labels);
  if (n_labels < 0)
    return cli_usage_error (&cmd_describe, "--labels: at most %d labels of at most %d bytes",
        MAX_LABELS, (int) sizeof ((g4_detection *) 0)->label - 1);
  if (d.task == G4_VISION_CLASSIFY && n_labels == 0 && !d.v.prompt)
    return cli_usage_error (&cmd_describe, "--task classify needs --labels");
  if (d.draw && d.task != G4_VISION_DETECT)
    return cli_usage_error (&cmd_describe, "--draw needs --task detect");
  if (d.draw && !cli_image_output_check (d.draw))
    return 1;
  if (!d.v.gen.max_tokens)
    d.v.gen.max_tokens = d.task == G4_VISION_DETECT ? 1024 : 256;

  g4_error err = { 0 };
  g4_detection *dets = NULL;
  char *content = NULL, *server_model = NULL;
  cli_text text = {.echo = !d.json && d.task != G4_VISION_DETECT };
  cli_image img = { 0 };
  int rc = 1, tokens = 0;
  if (!cli_image_read (d.v.file, &img))
    goto done;
  const char *joined = n_labels ? d.labels : NULL;
  const size_t need = d.v.prompt ? strlen (d.v.prompt) : g4_vision_task_prompt (d.task, joined,
      NULL, 0);
  if (!(content = malloc (need + sizeof "<|image|>"))) {
    fprintf (stderr, "gemma4-cli: out of memory\n");
    goto done;
  }
  /* the image goes before the text unless the prompt places it (as gemma4vision) */
  strcpy (content, d.v.prompt && strstr (d.v.prompt, "<|image|>") ? "" : "<|image|>");
  if (d.v.prompt)
    strcat (content, d.v.prompt);
  else
    g4_vision_task_prompt (d.task, joined, content + strlen (content), need + 1);
  const int64_t t0 = cli_now_ns ();
  if (!(d.server.url ? answer_remote (&d, &img, content, labels, n_labels, &text, &tokens,
              &server_model) : answer_local (&o, &d, &img, content, labels, n_labels, &text,
              &tokens)))
    goto done;
  int n_dets = 0;
  if (d.task == G4_VISION_DETECT) {
    if (!(dets = malloc (sizeof *dets * (size_t) d.max_objects))) {
      fprintf (stderr, "gemma4-cli: out of memory\n");
      goto done;
    }
    n_dets = g4_detections_parse (text.s ? text.s : "", false, dets, d.max_objects, &err);
    if (n_dets < 0) {
      fprintf (stderr, "gemma4-cli: warning: the answer holds no detection list (%s); "
          "\"objects\" is empty\n", err.message);
      n_dets = 0;
    }
    if (n_dets > d.max_objects)
      n_dets = d.max_objects;
  }
  if (text.echo)
    putchar ('\n');
  else
    print_json (&d, server_model ? server_model : o.model, text.s ? text.s : "", dets, n_dets,
        img.width, img.height, cli_now_ns () - t0, tokens);
  fflush (stdout);
  rc = 0;
  if (d.draw) {
    g4_image_view canvas = g4_image_view_rgb (img.rgb, img.width, img.height, 3 * img.width);
    g4_draw_detections (&canvas, dets, n_dets);
    if (!cli_image_write (d.draw, &img))
      rc = 1;
  }
done:
  free (text.s);
  free (content);
  free (dets);
  g_free (server_model);
  cli_image_free (&img);
  return rc;
}

const cli_command cmd_describe = { "describe", "describe an image, detect objects, read text",
  usage_text, run
};
