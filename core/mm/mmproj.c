/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g4_mmproj_load: open an mmproj GGUF (docs/mmproj.md), find which
 * encoders it holds and their projector types, and bind them. Also the tensor
 * binder both encoders use: every missing tensor, wrong shape or type, and
 * malformed clamp scalar is an error naming the file and the tensor. */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "audio.h"
#include "vision_model.h"
#include "log.h"
#include "ops.h"
#include "profile.h"

static g4_status
shape_error (g4_mm_binder * b, const g4_gguf_tensor * t, int64_t e0, int64_t e1)
{
  return g4_set_error (b->err, G4_STATUS_FORMAT,
      "%s: tensor '%s': shape [%lld, %lld, %lld, %lld], expected [%lld, %lld]",
      g4_gguf_path (b->g), t->name, (long long) t->ne[0], (long long) t->ne[1],
      (long long) t->ne[2], (long long) t->ne[3], (long long) e0, (long long) e1);
}

static g4_status
missing (g4_mm_binder * b, const char *name)
{
  return g4_set_error (b->err, G4_STATUS_FORMAT, "%s: missing tensor '%s'",
      g4_gguf_path (b->g), name);
}

static bool
has_shape (const g4_gguf_tensor * t, int64_t e0, int64_t e1)
{
  return t->ne[0] == e0 && t->ne[1] == e1 && t->ne[2] == 1 && t->ne[3] == 1;
}

g4_status
g4_mm_require (g4_mm_binder * b, const char *name, const g4_gguf_tensor ** out)
{
  *out = g4_gguf_find_tensor (b->g, name);
  return *out ? G4_OK : missing (b, name);
}

g4_status
g4_mm_bind_matrix (g4_mm_binder * b, const char *name, int64_t n_in, int64_t n_out,
    bool required, g4_matrix * out)
{
  memset (out, 0, sizeof *out);
  const g4_gguf_tensor *t = g4_gguf_find_tensor (b->g, name);
  if (!t)
    return required ? missing (b, name) : G4_OK;
  if (!has_shape (t, n_in, n_out))
    return shape_error (b, t, n_in, n_out);
  if (!g4_kernels_supports (t->type))
    return g4_set_error (b->err, G4_STATUS_UNSUPPORTED,
        "%s: tensor '%s' has type %s, which is not supported", g4_gguf_path (b->g), name,
        g4_type_name (t->type) ? g4_type_name (t->type) : "unknown");
  out->type = t->type;
  out->n_in = n_in;
  out->n_out = n_out;
  out->row_bytes = g4_row_size (t->type, n_in);
  out->data = t->data;
  return G4_OK;
}

g4_status
g4_mm_bind_f32 (g4_mm_binder * b, const char *name, int64_t ne0, int64_t ne1,
    bool required, const float **out)
{
  *out = NULL;
  const g4_gguf_tensor *t = g4_gguf_find_tensor (b->g, name);
  if (!t)
    return required ? missing (b, name) : G4_OK;
  if (!has_shape (t, ne0, ne1))
    return shape_error (b, t, ne0, ne1);
  if (t->type != G4_TYPE_F32)
    return g4_set_error (b->err, G4_STATUS_UNSUPPORTED,
        "%s: tensor '%s' has type %s, expected F32", g4_gguf_path (b->g), name,
        g4_type_name (t->type) ? g4_type_name (t->type) : "unknown");
  if ((uintptr_t) t->data % sizeof (float))
    return g4_set_error (b->err, G4_STATUS_FORMAT, "%s: tensor '%s' is not 4-byte aligned",
        g4_gguf_path (b->g), name);
  *out = t->data;
  return G4_OK;
}

/* One clamp bound <base>.<suffix>: absent gives def; present must be one F32. */
static g4_status
clamp_scalar (g4_mm_binder * b, const char *base, const char *suffix, float def,
    float *v, bool *found)
{
  char name[160];
  snprintf (name, sizeof name, "%s.%s", base, suffix);
  *v = def;
  const g4_gguf_tensor *t = g4_gguf_find_tensor (b->g, name);
  if (!t)
    return G4_OK;
  if (t->type != G4_TYPE_F32 || t->nbytes != sizeof (float))
    return g4_set_error (b->err, G4_STATUS_FORMAT,
        "%s: clamp scalar '%s' must be one F32 value, got %s [%lld, %lld, %lld, %lld]",
        g4_gguf_path (b->g), name, g4_type_name (t->type) ? g4_type_name (t->type) : "unknown",
        (long long) t->ne[0], (long long) t->ne[1], (long long) t->ne[2], (long long) t->ne[3]);
  memcpy (v, t->data, sizeof *v);
  if (*v != *v)
    return g4_set_error (b->err, G4_STATUS_FORMAT, "%s: clamp scalar '%s' is NaN",
        g4_gguf_path (b->g), name);
  *found = true;
  return G4_OK;
}

g4_status
g4_mm_bind_linear (g4_mm_binder * b, const char *name, int64_t n_in, int64_t n_out,
    bool required, g4_mm_linear * out)
{
  memset (out, 0, sizeof *out);
  g4_status st = g4_mm_bind_matrix (b, name, n_in, n_out, required, &out->w);
  if (st || !out->w.data)
    return st;
  /* the scalars sit next to the weight: a.blk.0.ffn_up.weight -> a.blk.0.ffn_up.input_min */
  char base[160];
  size_t len = strlen (name);
  if (len < 7 || len - 7 >= sizeof base || strcmp (name + len - 7, ".weight"))
    return G4_OK;
  memcpy (base, name, len - 7);
  base[len - 7] = '\0';
  if ((st = clamp_scalar (b, base, "input_min", -FLT_MAX, &out->in_min, &out->clamp_in))
      || (st = clamp_scalar (b, base, "input_max", FLT_MAX, &out->in_max, &out->clamp_in))
      || (st = clamp_scalar (b, base, "output_min", -FLT_MAX, &out->out_min, &out->clamp_out))
      || (st = clamp_scalar (b, base, "output_max", FLT_MAX, &out->out_max, &out->clamp_out)))
    return st;
  return G4_OK;
}

/* The projector type of one modality: clip.projector_type when present (it
 * then applies to every modality), else clip.<modality>.projector_type. */
static g4_status
projector_type (const g4_gguf * g, const char *modality, char *buf, size_t size,
    g4_error * err)
{
  char key[64];
  snprintf (key, sizeof key, "clip.%s.projector_type", modality);
  const char *k = g4_gguf_find_key (g, "clip.projector_type") >= 0 ? "clip.projector_type" : key;
  g4_gguf_str s;
  g4_status st = g4_gguf_get_str (g, k, &s, err);
  if (st)
    return st;
  snprintf (buf, size, "%.*s", (int) (s.len < size ? s.len : size - 1), s.ptr);
  return G4_OK;
}

static g4_status
optional_flag (const g4_gguf * g, const char *key, bool *out, g4_error * err)
{
  *out = false;
  if (g4_gguf_find_key (g, key) < 0)
    return G4_OK;
  return g4_gguf_get_bool (g, key, out, err);
}

static g4_status
vision_load (g4_mmproj * mm, g4_error * err)
{
  char type[64];
  g4_status st = projector_type (mm->gguf, "vision", type, sizeof type, err);
  if (st)
    return st;
  if (strcmp (type, "gemma4v"))
    return g4_set_error (err, G4_STATUS_UNSUPPORTED,
        "%s: vision projector type '%s' is not supported (expected gemma4v)",
        g4_gguf_path (mm->gguf), type);
  if ((st = g4_vision_model_load (mm->gguf, &mm->vision, err)))
    return st;
  mm->n_embd = mm->vision->n_embd_text;
  return G4_OK;
}

static g4_status
audio_load (g4_mmproj * mm, g4_error * err)
{
  char type[64];
  g4_status st = projector_type (mm->gguf, "audio", type, sizeof type, err);
  if (st)
    return st;
  if (strcmp (type, "gemma4a"))
    return g4_set_error (err, G4_STATUS_UNSUPPORTED,
        "%s: audio projector type '%s' is not supported (expected gemma4a)",
        g4_gguf_path (mm->gguf), type);
  if ((st = g4_audio_model_load (mm->gguf, &mm->audio, err)))
    return st;
  if (mm->n_embd && mm->n_embd != mm->audio->n_embd_text)
    return g4_set_error (err, G4_STATUS_FORMAT,
        "%s: the vision encoder produces rows of %d but the audio encoder rows of %d",
        g4_gguf_path (mm->gguf), mm->n_embd, mm->audio->n_embd_text);
  mm->n_embd = mm->audio->n_embd_text;
  return G4_OK;
}

/* g4_mmproj_info from the loaded encoders. */
static void
describe (g4_mmproj * mm)
{
  g4_mmproj_info *in = &mm->info;
  in->n_embd = mm->n_embd;
  if (mm->has_vision) {
    const g4_vision_model *vm = mm->vision;
    in->vision.projector = "gemma4v";
    in->vision.patch_size = vm->patch;
    in->vision.merge = vm->merge;
    in->vision.n_layer = vm->n_layer;
    in->vision.n_embd = vm->n_embd;
    in->vision.n_head = vm->n_head;
    in->vision.head_dim = vm->head_dim;
    in->vision.n_ff = vm->n_ff;
    in->vision.standardized = vm->std_bias != NULL;
  }
  if (mm->audio) {
    const g4_audio_model *am = mm->audio;
    in->audio.projector = "gemma4a";
    in->audio.n_mel = am->n_mel;
    in->audio.n_layer = am->n_layer;
    in->audio.n_embd = am->n_embd;
    in->audio.n_head = am->n_head;
    in->audio.n_ff = am->n_ff;
    in->audio.n_out = am->n_out;
  }
}

g4_status
g4_mmproj_load (const char *path, g4_mmproj ** out, g4_error * err)
{
  if (!out)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "g4_mmproj_load: no output pointer");
  *out = NULL;
  if (!path)
    return g4_set_error (err, G4_STATUS_INVALID_ARG, "no mmproj path given");
  g4_mmproj *mm = calloc (1, sizeof *mm);
  if (!mm)
    return g4_set_error (err, G4_STATUS_NO_MEMORY, "out of memory");
  bool vision, audio;
  g4_status st = g4_gguf_open (path, &mm->gguf, err);
  if (!st)
    st = optional_flag (mm->gguf, "clip.has_vision_encoder", &vision, err);
  if (!st)
    st = optional_flag (mm->gguf, "clip.has_audio_encoder", &audio, err);
  if (!st && !vision && !audio)
    st = g4_set_error (err, G4_STATUS_FORMAT,
        "%s: not an mmproj file (neither clip.has_vision_encoder nor clip.has_audio_encoder is set)",
        path);
  if (!st && vision)
    st = vision_load (mm, err);
  mm->has_vision = !st && vision;
  if (!st && audio)
    st = audio_load (mm, err);
  if (st) {
    g4_mmproj_free (mm);
    return st;
  }
  describe (mm);
  *out = mm;
  return G4_OK;
}

void
g4_mmproj_free (g4_mmproj * mm)
{
  if (!mm)
    return;
  g4_audio_model_free (mm->audio);
  g4_vision_model_free (mm->vision);
  g4_gguf_close (mm->gguf);
  free (mm);
}

bool
g4_mmproj_has_audio (const g4_mmproj * mm)
{
  return mm && mm->audio;
}

bool
g4_mmproj_has_vision (const g4_mmproj * mm)
{
  return mm && mm->has_vision;
}

const g4_mmproj_info *
g4_mmproj_get_info (const g4_mmproj * mm)
{
  return mm ? &mm->info : NULL;
}

int
g4_mmproj_n_embd (const g4_mmproj * mm)
{
  return mm ? mm->n_embd : 0;
}

void
g4_mm_linear_team (const g4_thread * th, const g4_mm_linear * L, const float *x, int64_t T,
    float *y, float *x_clamped, void *scratch)
{
  const int64_t n_in = L->w.n_in, n_out = L->w.n_out;
  int64_t i0, i1;
  /* one core clamping a whole image's activations was 5-10 % of the vision
   * encoder's time on two */
  double p0 = g4_prof_start (th);
  if (L->clamp_in) {
    while (g4_take (th, T * n_in, 0, &i0, &i1))
      g4_clamp (x_clamped + i0, x + i0, i1 - i0, L->in_min, L->in_max);
    g4_barrier (th);
    g4_prof_stop (th, p0, "clamp");
    x = x_clamped;
  }
  g4_matmul_clamp_team (th, "matmul", &L->w, x, T, y, n_out, scratch,
      L->clamp_out ? L->out_min : -INFINITY, L->clamp_out ? L->out_max : INFINITY);
}

typedef struct {
  const g4_mm_linear *L;
  const float *x;
  int64_t T;
  float *y, *x_clamped;
  void *scratch;
} linear_call;

static void
linear_member (const g4_thread * th, void *arg)
{
  const linear_call *c = arg;
  g4_mm_linear_team (th, c->L, c->x, c->T, c->y, c->x_clamped, c->scratch);
}

void
g4_mm_linear_apply (const g4_mm_linear * L, const float *x, int64_t T, float *y,
    float *x_clamped, void *scratch, int n_threads)
{
  linear_call c = {.L = L,.x = x,.T = T,.y = y,.x_clamped = x_clamped,.scratch = scratch };
  g4_team_run (n_threads, linear_member, &c);
}
