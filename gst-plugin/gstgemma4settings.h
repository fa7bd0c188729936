/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The properties every gemma4 element has: model files and sharing, threads,
 * context, prompts, sampling, latency budget and drop policy, statistics.
 * Each element installs them with its own defaults, keeps a
 * GstGemma4Settings under its object lock and adds its own properties after
 * GST_GEMMA4_PROP_LAST. */
#ifndef __GST_GEMMA4_SETTINGS_H__
#define __GST_GEMMA4_SETTINGS_H__

#include <gst/gst.h>

#include "gemma4.h"
#include "gstgemma4enums.h"

G_BEGIN_DECLS

enum
{
  GST_GEMMA4_PROP_0,
  GST_GEMMA4_PROP_MODEL_PATH,
  GST_GEMMA4_PROP_MMPROJ_PATH,
  GST_GEMMA4_PROP_MODEL_INSTANCE_ID,
  GST_GEMMA4_PROP_N_THREADS,
  GST_GEMMA4_PROP_CONTEXT_SIZE,
  GST_GEMMA4_PROP_PROMPT,
  GST_GEMMA4_PROP_PROMPT_PATH,
  GST_GEMMA4_PROP_SYSTEM_PROMPT,
  GST_GEMMA4_PROP_THINKING,
  GST_GEMMA4_PROP_MAX_TOKENS,
  GST_GEMMA4_PROP_TEMPERATURE,
  GST_GEMMA4_PROP_TOP_K,
  GST_GEMMA4_PROP_TOP_P,
  GST_GEMMA4_PROP_MIN_P,
  GST_GEMMA4_PROP_SEED,
  GST_GEMMA4_PROP_LATENCY,
  GST_GEMMA4_PROP_LATENESS,
  GST_GEMMA4_PROP_LEAKY,
  GST_GEMMA4_PROP_STATS,
  GST_GEMMA4_PROP_SCHEDULING_POLICY,
  GST_GEMMA4_PROP_MAX_BATCH,
  GST_GEMMA4_PROP_BACKEND,
  GST_GEMMA4_PROP_SERVER_URL,
  GST_GEMMA4_PROP_SERVER_MODEL,
  GST_GEMMA4_PROP_API_KEY_ENV,
  GST_GEMMA4_PROP_REQUEST_TIMEOUT,
  GST_GEMMA4_PROP_MAX_INFLIGHT,
  GST_GEMMA4_PROP_MAX_RETRIES,
  GST_GEMMA4_PROP_API_DIALECT,
  GST_GEMMA4_PROP_LAST
};

/* Per-element defaults of the common properties. */
typedef struct
{
  guint latency_ms;
  guint max_tokens;
  gfloat temperature;
  const gchar *prompt_doc;      /* what the default prompt is, for the blurb */
} GstGemma4SettingsDefaults;

typedef struct
{
  gchar *model_path;
  gchar *mmproj_path;
  gchar *model_instance_id;
  gint n_threads;
  guint context_size;
  gchar *prompt;
  gchar *prompt_path;
  gchar *prompt_file_text;      /* contents of prompt_path, read when it is set */
  gchar *system_prompt;
  gboolean thinking;
  guint max_tokens;
  gfloat temperature;
  guint top_k;
  gfloat top_p;
  gfloat min_p;
  guint64 seed;
  guint latency_ms;
  guint lateness_ms;
  GstGemma4Leaky leaky;
  GstGemma4SchedulingPolicy scheduling_policy;
  guint max_batch;
  /* backend=openai */
  GstGemma4Backend backend;
  gchar *server_url;
  gchar *server_model;
  gchar *api_key_env;
  guint request_timeout_ms;
  guint max_inflight;
  guint max_retries;
  GstGemma4ApiDialect api_dialect;
} GstGemma4Settings;

void gst_gemma4_settings_install_properties (GObjectClass * klass,
    const GstGemma4SettingsDefaults * defaults);
void gst_gemma4_settings_init (GstGemma4Settings * s,
    const GstGemma4SettingsDefaults * defaults);
void gst_gemma4_settings_clear (GstGemma4Settings * s);

/* image-size and max-soft-tokens (70-1120), the same on every element
 * that encodes frames. */
void gst_gemma4_settings_install_image_properties (GObjectClass * klass,
    guint image_size_id, guint max_soft_tokens_id,
    GstGemma4ImageSize default_size, guint default_tokens);

/* Handle a common property; FALSE when prop_id is not one (or is "stats",
 * which the element answers). Call with the object lock held. Setting
 * prompt-path reads the file; a read failure is returned in error (the old
 * prompt text is kept). */
gboolean gst_gemma4_settings_set_property (GstGemma4Settings * s,
    guint prop_id, const GValue * value, GError ** error);
gboolean gst_gemma4_settings_get_property (const GstGemma4Settings * s,
    guint prop_id, GValue * value);

/* The configuration checks of NULL->READY: with backend=openai a
 * server-url is set; else a model file is named (or a
 * model-instance-id, which another element may already have loaded), prompt
 * and prompt-path are not both set, prompt-path is readable, the files exist.
 * On failure posts GST_ELEMENT_ERROR on element and returns FALSE. Call
 * without the object lock. */
gboolean gst_gemma4_settings_check (GstGemma4Settings * s,
    GstElement * element, gboolean need_mmproj);

/* The configuration checks of the prompts, at NULL->READY and READY->PAUSED
 * and whenever one is set in PAUSED or PLAYING (under the object lock):
 * prompt and the text of prompt-path hold at most one placeholder, takes
 * ("<|image|>", "<|audio|>"; NULL: none, the element places the media
 * itself); system-prompt holds none. FALSE with why set (naming element,
 * the property and the placeholder kinds) when one does not. */
gboolean gst_gemma4_settings_check_prompts (const GstGemma4Settings * s,
    const gchar * element, const gchar * takes, gchar ** why);
/* The same check of one text going into element's prompt (property: what
 * it is, for why); text may be NULL. */
gboolean gst_gemma4_check_placeholders (const gchar * element,
    const gchar * property, const gchar * text, const gchar * takes,
    gchar ** why);

/* A deep copy of src into dest (free with gst_gemma4_settings_clear). */
void gst_gemma4_settings_copy (GstGemma4Settings * dest,
    const GstGemma4Settings * src);

/* The user instruction: prompt, or the text of prompt-path, or NULL. */
const gchar *gst_gemma4_settings_instruction (const GstGemma4Settings * s);

g4_sampler_params gst_gemma4_settings_sampling (const GstGemma4Settings * s);

/* The chat of a request: *system (system-prompt, or NULL), *user (the user
 * turn: instruction with placeholder in front unless it places it itself,
 * placeholder NULL: it is complete) and *thinking; free the strings. Takes
 * the object lock of element. The local engine renders it with the chat
 * template, backend=openai sends it as messages. */
void gst_gemma4_settings_chat (const GstGemma4Settings * s,
    GstElement * element, const gchar * instruction,
    const gchar * placeholder, gchar ** system, gchar ** user,
    gboolean * thinking);

/* The request timeout in ms: request-timeout, or the latency budget when
 * 0. Call with the object lock. */
guint gst_gemma4_settings_request_timeout (const GstGemma4Settings * s);
/* The ms a job may wait for its answer: request-timeout; when 0, the
 * latency budget for a live upstream, else 10 minutes (a file job waits as
 * it would for the local engine). Call with the object lock. */
guint gst_gemma4_settings_job_timeout (const GstGemma4Settings * s,
    gboolean live);

/* The whole prompt through model's chat template: system-prompt when set,
 * then the user turn instruction, which gets placeholder (the media,
 * "<|audio|>" or "<|image|>") in front unless it places it itself
 * (placeholder NULL: it is complete); thinking as set. Takes the object
 * lock of element. */
gchar *gst_gemma4_settings_render_chat (const GstGemma4Settings * s,
    GstElement * element, const g4_model * model, const gchar * instruction,
    const gchar * placeholder);

/* ---- for the elements ------------------------------------------------------ */

typedef struct _GstGemma4Worker GstGemma4Worker;

/* An element's statistics (the "stats" property), with its object lock. */
typedef GstStructure *(*GstGemma4StatsFunc) (GstElement * element);

/* Tells the pipeline to ask the element's latency again. */
void gst_gemma4_post_latency_changed (GstElement * element);

/* lateness as a time, read under the element's object lock. */
GstClockTime gst_gemma4_settings_lateness (const GstGemma4Settings * s,
    GstElement * element);

G_END_DECLS

#endif /* __GST_GEMMA4_SETTINGS_H__ */
