/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Process-wide registry of loaded Gemma 4 models: elements naming the same
 * files (or the same model-instance-id) share one refcounted g4_model and
 * g4_mmproj. The first user loads them on its own thread; the others wait.
 * Each shared model also has a fair (first come, first served) turn for the
 * encoders, so elements run them one at a time instead of fighting over the
 * CPU cores, and a continuous batcher for text generation: the generations
 * of all elements sharing the model join one running batch as they arrive,
 * every forward pass decoding all of them (the weights are read once for
 * all), and leave it as they finish; images ready at the same time share
 * one call of the vision encoder the same way. The turn and the batch's
 * passes never run at once: both would draw from the same cores (each
 * half of them, or more threads than cores), and one after the other they
 * finish sooner (measured: 4 elements sharing E2B, 0.48 -> 0.53-0.60
 * results/s on 2 cores). A caller waiting for the turn goes before the next
 * pass. */
#ifndef __GST_GEMMA4_MODEL_REGISTRY_H__
#define __GST_GEMMA4_MODEL_REGISTRY_H__

#include <glib.h>

#include "gemma4.h"

G_BEGIN_DECLS

typedef struct _GstGemma4Model GstGemma4Model;

/* Finds or creates the entry for these files / this id and takes a
 * reference; loads nothing. With an id, paths may be NULL to use whatever the
 * id already holds; paths that differ from the id's are an error. */
GstGemma4Model *gst_gemma4_model_get (const gchar * model_path,
    const gchar * mmproj_path, const gchar * instance_id, GError ** error);

/* Loads the files on the calling thread if nobody has yet, or waits for the
 * load in progress. *loaded_here (may be NULL) tells whether this call did
 * the loading. FALSE with error when the load failed (for every user). */
gboolean gst_gemma4_model_wait_ready (GstGemma4Model * m,
    gboolean * loaded_here, GError ** error);

void gst_gemma4_model_unref (GstGemma4Model * m);

/* Valid after gst_gemma4_model_wait_ready() returned TRUE. */
const g4_model *gst_gemma4_model_get_model (GstGemma4Model * m);
const g4_mmproj *gst_gemma4_model_get_mmproj (GstGemma4Model * m);
/* The prompt heads of the elements sharing the model (system prompt, turn
 * header, instructions before the media), computed once for all; NULL when
 * there was no memory for it. */
g4_prefix_cache *gst_gemma4_model_get_prefix_cache (GstGemma4Model * m);
/* Base name of the language model file. */
const gchar *gst_gemma4_model_get_name (GstGemma4Model * m);
const gchar *gst_gemma4_model_get_path (GstGemma4Model * m);
/* Numbers successful loads in this process: elements sharing one loaded
 * model see the same serial. */
guint gst_gemma4_model_get_serial (GstGemma4Model * m);
guint gst_gemma4_model_get_users (GstGemma4Model * m);

/* The encoders' turn: waits for this caller's, in arrival order, and for
 * the running batch pass to end (no pass starts while it is held). Returns
 * FALSE without the turn when *cancel becomes non-zero (callers raise it and
 * then call gst_gemma4_model_wake()). */
gboolean gst_gemma4_model_acquire (GstGemma4Model * m,
    const volatile gint * cancel);
void gst_gemma4_model_release (GstGemma4Model * m);
/* Wakes the callers waiting for a turn or in the batch to check their cancel
 * flag. */
void gst_gemma4_model_wake (GstGemma4Model * m);

/* How a generation takes part in the batch. */
typedef struct
{
  /* latency: among the generations waiting for a place, the earliest
   * deadline joins first, and while it is in the batch prompts enter in
   * short pieces; otherwise arrival order and whole prompts */
  gboolean latency;
  gint64 deadline;              /* monotonic us */
  guint max_batch;              /* most generations in the batch while it is */
  const volatile gint *cancel;  /* its session's cancel flag */
  guint batch_seen;             /* out: the most generations a step of it ran */
} GstGemma4BatchOptions;

/* Runs g (made on the caller's own session) in the model's batch until it is
 * done. The thread of one waiting caller runs each step for all of them.
 * FALSE when *cancel was raised before g joined the batch (g did not run);
 * once in the batch a raised cancel ends g at the next step (its result is
 * G4_STATUS_CANCELLED), the others going on. */
gboolean gst_gemma4_model_generate (GstGemma4Model * m, g4_generation * g,
    GstGemma4BatchOptions * o);

/* Encodes item's image with the model's mmproj in a call shared with the
 * images that other elements sharing the model submit meanwhile: while one
 * call runs (or waits for the encoders' turn, which it takes), the images
 * that arrive wait and the next call encodes them all together, at most
 * max_batch of them (the rows of each are those of a call of its own);
 * *batch_seen (may be NULL) receives how many the call encoded. Call
 * without the turn. G4_STATUS_CANCELLED when *item->cancel was raised
 * before the image was encoded. */
g4_status gst_gemma4_model_encode_image (GstGemma4Model * m,
    g4_image_item * item, guint max_batch, gint n_threads, guint * batch_seen,
    g4_error * err);

#define GST_GEMMA4_MODEL_ERROR (gst_gemma4_model_error_quark ())
GQuark gst_gemma4_model_error_quark (void);

typedef enum
{
  GST_GEMMA4_MODEL_ERROR_SETTINGS,      /* paths and id disagree */
  GST_GEMMA4_MODEL_ERROR_LOAD,  /* the engine refused a file */
} GstGemma4ModelError;

G_END_DECLS

#endif /* __GST_GEMMA4_MODEL_REGISTRY_H__ */
