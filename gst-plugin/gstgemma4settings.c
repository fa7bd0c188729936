/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The common properties of the gemma4 elements (see gstgemma4settings.h):
 * their GParamSpecs with units, defaults and mutability, storage, and the
 * checks done when an element goes from NULL to READY. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstgemma4settings.h"

#define DEFAULT_N_THREADS 0
#define DEFAULT_CONTEXT_SIZE 0
#define DEFAULT_TOP_K 64
#define DEFAULT_TOP_P 0.95f
#define DEFAULT_MIN_P 0.0f
#define DEFAULT_SEED 0
#define DEFAULT_LATENESS 0
#define DEFAULT_LEAKY GST_GEMMA4_LEAKY_AUTO
#define DEFAULT_SCHEDULING_POLICY GST_GEMMA4_SCHEDULING_AUTO
/* bench --parallel on E2B Q4_0, 2 cores (-n 32): 4, 8 and 16 sequences
 * decode 78, 111-119 and 133 tokens/s: 8 give 1.5x the tokens/s of 4 for a
 * pass 1.35x longer, 16 only 1.12x more than 8 for a pass 1.8x longer,
 * while a job beyond the batch waits for a whole generation: up to 8
 * streams share the passes. */
#define DEFAULT_MAX_BATCH 8
#define DEFAULT_BACKEND GST_GEMMA4_BACKEND_LOCAL
#define DEFAULT_REQUEST_TIMEOUT 0
#define DEFAULT_MAX_INFLIGHT 2
#define DEFAULT_MAX_RETRIES 2
#define DEFAULT_API_DIALECT GST_GEMMA4_API_DIALECT_AUTO
/* request-timeout 0 follows latency, but never below this (ms) */
#define MIN_AUTO_TIMEOUT 1000
/* request-timeout 0 when upstream is not live: a file job waits for its
 * answer as it waits for the local engine, bounded only so that a server
 * that never answers ends in a drop rather than a hang (ms) */
#define FILE_REQUEST_TIMEOUT (10 * 60 * 1000)

#define READY_FLAGS (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | \
    GST_PARAM_MUTABLE_READY)
/* What the blurb of a property the model or context is made with says. */
#define LOAD_DOC "Changeable in NULL and READY only (applied at the next " \
    "NULL->READY); refused with a warning in PAUSED and PLAYING"
#define PLAYING_FLAGS (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | \
    GST_PARAM_MUTABLE_PLAYING)

void
gst_gemma4_settings_install_properties (GObjectClass * klass,
    const GstGemma4SettingsDefaults * d)
{
  g_object_class_install_property (klass, GST_GEMMA4_PROP_MODEL_PATH,
      g_param_spec_string ("model-path", "Model path",
          "Gemma 4 language model GGUF file (for example "
          "gemma-4-E2B-it-Q4_0.gguf). Loaded on a worker thread when the "
          "element goes to READY; elements naming the same files share one "
          "copy. " LOAD_DOC, NULL, READY_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_MMPROJ_PATH,
      g_param_spec_string ("mmproj-path", "Multimodal projector path",
          "mmproj GGUF file holding the audio and vision encoders that match "
          "model-path. " LOAD_DOC, NULL, READY_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_MODEL_INSTANCE_ID,
      g_param_spec_string ("model-instance-id", "Model instance id",
          "Elements of one process with the same id share one loaded model "
          "(each keeps its own context); an element that sets only this id "
          "uses the model another element loaded under it. NULL: share by "
          "file names. " LOAD_DOC, NULL, READY_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_N_THREADS,
      g_param_spec_int ("n-threads", "Threads",
          "CPU threads per inference (0 = one per core). " LOAD_DOC, 0, 1024,
          DEFAULT_N_THREADS, READY_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_CONTEXT_SIZE,
      g_param_spec_uint ("context-size", "Context size",
          "Positions of the element's context, prompt and media included "
          "(0 = the smaller of the model's trained context and 4096). "
          LOAD_DOC,
          0, 1 << 20, DEFAULT_CONTEXT_SIZE, READY_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_PROMPT,
      g_param_spec_string ("prompt", "Prompt",
          d->prompt_doc, NULL, PLAYING_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_PROMPT_PATH,
      g_param_spec_string ("prompt-path", "Prompt file",
          "UTF-8 file holding the prompt (NULL or \"\" = none; exclusive "
          "with prompt: setting both is an error when the element goes to "
          "READY). Read when the property is set and applied to the next "
          "job; in PAUSED or PLAYING a file that cannot be read or holds a "
          "wrong placeholder is refused with a warning", NULL,
          PLAYING_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_SYSTEM_PROMPT,
      g_param_spec_string ("system-prompt", "System prompt",
          "System turn put before every request (NULL = none); applied to "
          "the next job", NULL, PLAYING_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_THINKING,
      g_param_spec_boolean ("thinking", "Thinking",
          "Let the model think before answering; the thought never reaches "
          "the output, it only costs time", FALSE, PLAYING_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_MAX_TOKENS,
      g_param_spec_uint ("max-tokens", "Maximum tokens",
          "Most tokens generated per job (the answer is cut there)",
          1, 32768, d->max_tokens, PLAYING_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_TEMPERATURE,
      g_param_spec_float ("temperature", "Temperature",
          "Sampling temperature (0 = greedy: always the most likely token)",
          0.0f, 10.0f, d->temperature, PLAYING_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_TOP_K,
      g_param_spec_uint ("top-k", "Top k",
          "Sample among the k most likely tokens (0 = all); only with "
          "temperature > 0", 0, 1 << 20, DEFAULT_TOP_K, PLAYING_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_TOP_P,
      g_param_spec_float ("top-p", "Top p",
          "Nucleus sampling: smallest set of tokens whose probabilities add "
          "up to p (1 = off); only with temperature > 0", 0.0f, 1.0f,
          DEFAULT_TOP_P, PLAYING_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_MIN_P,
      g_param_spec_float ("min-p", "Min p",
          "Drop tokens less likely than min-p times the best one (0 = off); "
          "only with temperature > 0", 0.0f, 1.0f, DEFAULT_MIN_P,
          PLAYING_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_SEED,
      g_param_spec_uint64 ("seed", "Seed",
          "Sampling seed: the same input, settings and seed give the same "
          "text", 0, G_MAXUINT64, DEFAULT_SEED, PLAYING_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_LATENCY,
      g_param_spec_uint ("latency", "Latency",
          "Processing budget per job in ms. In live pipelines it is added to "
          "the latency the element reports, results that take longer are "
          "flagged late, and repeated overruns post a warning", 0, 600000,
          d->latency_ms, PLAYING_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_LATENESS,
      g_param_spec_uint ("lateness", "Lateness",
          "Delay in ms added to the timestamps of the text output (captions "
          "deliberately late); not part of the reported latency",
          0, 600000, DEFAULT_LATENESS, PLAYING_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_LEAKY,
      g_param_spec_enum ("leaky", "Leaky",
          "What happens when a job arrives while the worker is busy and the "
          "queue is full: wait (none), drop the oldest pending job (newest), "
          "or none for files and newest for live sources (auto)",
          GST_TYPE_GEMMA4_LEAKY, DEFAULT_LEAKY, PLAYING_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_SCHEDULING_POLICY,
      g_param_spec_enum ("scheduling-policy", "Scheduling policy",
          "How this element's jobs join the batch that every element sharing "
          "the model decodes together: latency (earliest deadline first, "
          "prompts in short pieces), throughput (arrival order, whole "
          "prompts), or latency for live sources and throughput otherwise "
          "(auto). " LOAD_DOC, GST_TYPE_GEMMA4_SCHEDULING_POLICY,
          DEFAULT_SCHEDULING_POLICY, READY_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_MAX_BATCH,
      g_param_spec_uint ("max-batch", "Maximum batch",
          "Most sequences decoded together while a job of this element is "
          "in the model's batch (1 = one job at a time). " LOAD_DOC,
          1, 64, DEFAULT_MAX_BATCH, READY_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Read-only gemma4-stats structure: jobs (done), drops (jobs dropped "
          "under load; their QOS messages come at most once a second), late "
          "(results past the latency budget), overruns (jobs whose inference "
          "took longer than the budget; warned about at most every 10 s), "
          "mean-inference-time and max-inference-time (ns), "
          "tokens-per-second (generation speed), model-serial (which load "
          "of the model this element uses: equal for elements sharing it), "
          "model-users (elements sharing it now), batch-max (the most "
          "generations of elements sharing the model decoded together with "
          "one of this element's), image-batch-max (the most images of "
          "elements sharing the model encoded in one call with one of this "
          "element's), prompt-reused (prompt positions taken from the "
          "session or from the model's prefix cache instead of computed), "
          "server-failures "
          "(backend=openai: jobs whose request failed or timed out, "
          "dropped and counted in drops too)", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_BACKEND,
      g_param_spec_enum ("backend", "Backend",
          "Where inference runs: local (this process, model-path and "
          "mmproj-path) or openai (an OpenAI-compatible server at "
          "server-url: llama-server, vLLM, SGLang; model-path and "
          "mmproj-path are then not needed). " LOAD_DOC,
          GST_TYPE_GEMMA4_BACKEND, DEFAULT_BACKEND, READY_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_SERVER_URL,
      g_param_spec_string ("server-url", "Server URL",
          "backend=openai: base URL of the server (http://host:8080; /v1 "
          "is appended when absent), or a comma-separated list: each "
          "request goes to the server with the fewest requests in flight, "
          "one that fails is skipped for a back-off period and probed "
          "again. " LOAD_DOC, NULL, READY_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_SERVER_MODEL,
      g_param_spec_string ("server-model", "Server model",
          "backend=openai: the model field of the requests (NULL = the "
          "first model of GET /v1/models). " LOAD_DOC, NULL, READY_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_API_KEY_ENV,
      g_param_spec_string ("api-key-env", "API key variable",
          "backend=openai: name of the environment variable holding the "
          "bearer token (NULL = no Authorization header); the key itself "
          "never appears in a property, a log or a message. " LOAD_DOC,
          NULL, READY_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_REQUEST_TIMEOUT,
      g_param_spec_uint ("request-timeout", "Request timeout",
          "backend=openai: ms a job may wait for its answer, retries "
          "included (then it is dropped), and ms the element waits for "
          "a server when it starts (0 = the latency property, at least "
          "1000; a job of a non-live upstream then waits up to 10 "
          "minutes, as for the local engine)", 0, 3600000,
          DEFAULT_REQUEST_TIMEOUT, PLAYING_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_MAX_INFLIGHT,
      g_param_spec_uint ("max-inflight", "Maximum requests in flight",
          "backend=openai: requests of this element at its servers at "
          "once (results still go out in stream order); as many more jobs "
          "wait to be sent, then the leaky policy applies. "
          LOAD_DOC, 1, 64, DEFAULT_MAX_INFLIGHT, READY_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_MAX_RETRIES,
      g_param_spec_uint ("max-retries", "Maximum retries",
          "backend=openai: retries of a request after a connection "
          "error, 429 (after its Retry-After), 502, 503 or 504, with "
          "exponential back-off and jitter, never past request-timeout. "
          LOAD_DOC, 0, 16, DEFAULT_MAX_RETRIES, READY_FLAGS));
  g_object_class_install_property (klass, GST_GEMMA4_PROP_API_DIALECT,
      g_param_spec_enum ("api-dialect", "API dialect",
          "backend=openai: how requests carry audio: openai (input_audio: "
          "llama-server, vLLM), sglang (audio_url), auto (sglang when the "
          "server's model list says so). " LOAD_DOC,
          GST_TYPE_GEMMA4_API_DIALECT, DEFAULT_API_DIALECT, READY_FLAGS));
}

void
gst_gemma4_settings_install_image_properties (GObjectClass * klass,
    guint image_size_id, guint max_soft_tokens_id,
    GstGemma4ImageSize default_size, guint default_tokens)
{
  g_object_class_install_property (klass, image_size_id,
      g_param_spec_enum ("image-size", "Image size",
          "How a frame is sized for the vision encoder: budget fills "
          "max-soft-tokens (Hugging Face's rule), native keeps the frame's "
          "size on the 48 px grid (llama.cpp's rule)",
          GST_TYPE_GEMMA4_IMAGE_SIZE, default_size, PLAYING_FLAGS));
  g_object_class_install_property (klass, max_soft_tokens_id,
      g_param_spec_uint ("max-soft-tokens", "Maximum soft tokens",
          "Image tokens per frame: the budget of image-size=budget, the "
          "upper bound of image-size=native (Google recommends 70, 140, "
          "280, 560 or 1120: 70 for video frames, 280 for images)", 70, 1120,
          default_tokens, PLAYING_FLAGS));
}

void
gst_gemma4_settings_init (GstGemma4Settings * s,
    const GstGemma4SettingsDefaults * d)
{
  memset (s, 0, sizeof *s);
  s->n_threads = DEFAULT_N_THREADS;
  s->context_size = DEFAULT_CONTEXT_SIZE;
  s->max_tokens = d->max_tokens;
  s->temperature = d->temperature;
  s->top_k = DEFAULT_TOP_K;
  s->top_p = DEFAULT_TOP_P;
  s->min_p = DEFAULT_MIN_P;
  s->seed = DEFAULT_SEED;
  s->latency_ms = d->latency_ms;
  s->lateness_ms = DEFAULT_LATENESS;
  s->leaky = DEFAULT_LEAKY;
  s->scheduling_policy = DEFAULT_SCHEDULING_POLICY;
  s->max_batch = DEFAULT_MAX_BATCH;
  s->backend = DEFAULT_BACKEND;
  s->request_timeout_ms = DEFAULT_REQUEST_TIMEOUT;
  s->max_inflight = DEFAULT_MAX_INFLIGHT;
  s->max_retries = DEFAULT_MAX_RETRIES;
  s->api_dialect = DEFAULT_API_DIALECT;
}

void
gst_gemma4_settings_clear (GstGemma4Settings * s)
{
  g_free (s->model_path);
  g_free (s->mmproj_path);
  g_free (s->model_instance_id);
  g_free (s->prompt);
  g_free (s->prompt_path);
  g_free (s->prompt_file_text);
  g_free (s->system_prompt);
  g_free (s->server_url);
  g_free (s->server_model);
  g_free (s->api_key_env);
  memset (s, 0, sizeof *s);
}

void
gst_gemma4_settings_copy (GstGemma4Settings * dest,
    const GstGemma4Settings * src)
{
  *dest = *src;
  dest->model_path = g_strdup (src->model_path);
  dest->mmproj_path = g_strdup (src->mmproj_path);
  dest->model_instance_id = g_strdup (src->model_instance_id);
  dest->prompt = g_strdup (src->prompt);
  dest->prompt_path = g_strdup (src->prompt_path);
  dest->prompt_file_text = g_strdup (src->prompt_file_text);
  dest->system_prompt = g_strdup (src->system_prompt);
  dest->server_url = g_strdup (src->server_url);
  dest->server_model = g_strdup (src->server_model);
  dest->api_key_env = g_strdup (src->api_key_env);
}

static gboolean
read_prompt_file (const gchar * path, gchar ** text, GError ** error)
{
  gchar *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, error))
    return FALSE;
  if (!g_utf8_validate (contents, len, NULL) || strlen (contents) != len) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "prompt file '%s' is not UTF-8 text", path);
    g_free (contents);
    return FALSE;
  }
  g_free (*text);
  *text = g_strstrip (contents);
  return TRUE;
}

gboolean
gst_gemma4_settings_set_property (GstGemma4Settings * s, guint prop_id,
    const GValue * value, GError ** error)
{
  switch (prop_id) {
    case GST_GEMMA4_PROP_MODEL_PATH:
      g_free (s->model_path);
      s->model_path = g_value_dup_string (value);
      break;
    case GST_GEMMA4_PROP_MMPROJ_PATH:
      g_free (s->mmproj_path);
      s->mmproj_path = g_value_dup_string (value);
      break;
    case GST_GEMMA4_PROP_MODEL_INSTANCE_ID:
      g_free (s->model_instance_id);
      s->model_instance_id = g_value_dup_string (value);
      break;
    case GST_GEMMA4_PROP_N_THREADS:
      s->n_threads = g_value_get_int (value);
      break;
    case GST_GEMMA4_PROP_CONTEXT_SIZE:
      s->context_size = g_value_get_uint (value);
      break;
    case GST_GEMMA4_PROP_PROMPT:
      g_free (s->prompt);
      s->prompt = g_value_dup_string (value);
      break;
    case GST_GEMMA4_PROP_PROMPT_PATH:
      g_free (s->prompt_path);
      s->prompt_path = g_value_dup_string (value);
      /* "" is unset, as gst-launch-1.0 lets one write it */
      if (s->prompt_path && !*s->prompt_path)
        g_clear_pointer (&s->prompt_path, g_free);
      g_clear_pointer (&s->prompt_file_text, g_free);
      if (s->prompt_path)
        read_prompt_file (s->prompt_path, &s->prompt_file_text, error);
      break;
    case GST_GEMMA4_PROP_SYSTEM_PROMPT:
      g_free (s->system_prompt);
      s->system_prompt = g_value_dup_string (value);
      break;
    case GST_GEMMA4_PROP_THINKING:
      s->thinking = g_value_get_boolean (value);
      break;
    case GST_GEMMA4_PROP_MAX_TOKENS:
      s->max_tokens = g_value_get_uint (value);
      break;
    case GST_GEMMA4_PROP_TEMPERATURE:
      s->temperature = g_value_get_float (value);
      break;
    case GST_GEMMA4_PROP_TOP_K:
      s->top_k = g_value_get_uint (value);
      break;
    case GST_GEMMA4_PROP_TOP_P:
      s->top_p = g_value_get_float (value);
      break;
    case GST_GEMMA4_PROP_MIN_P:
      s->min_p = g_value_get_float (value);
      break;
    case GST_GEMMA4_PROP_SEED:
      s->seed = g_value_get_uint64 (value);
      break;
    case GST_GEMMA4_PROP_LATENCY:
      s->latency_ms = g_value_get_uint (value);
      break;
    case GST_GEMMA4_PROP_LATENESS:
      s->lateness_ms = g_value_get_uint (value);
      break;
    case GST_GEMMA4_PROP_LEAKY:
      s->leaky = g_value_get_enum (value);
      break;
    case GST_GEMMA4_PROP_SCHEDULING_POLICY:
      s->scheduling_policy = g_value_get_enum (value);
      break;
    case GST_GEMMA4_PROP_MAX_BATCH:
      s->max_batch = g_value_get_uint (value);
      break;
    case GST_GEMMA4_PROP_BACKEND:
      s->backend = g_value_get_enum (value);
      break;
    case GST_GEMMA4_PROP_SERVER_URL:
      g_free (s->server_url);
      s->server_url = g_value_dup_string (value);
      break;
    case GST_GEMMA4_PROP_SERVER_MODEL:
      g_free (s->server_model);
      s->server_model = g_value_dup_string (value);
      break;
    case GST_GEMMA4_PROP_API_KEY_ENV:
      g_free (s->api_key_env);
      s->api_key_env = g_value_dup_string (value);
      break;
    case GST_GEMMA4_PROP_REQUEST_TIMEOUT:
      s->request_timeout_ms = g_value_get_uint (value);
      break;
    case GST_GEMMA4_PROP_MAX_INFLIGHT:
      s->max_inflight = g_value_get_uint (value);
      break;
    case GST_GEMMA4_PROP_MAX_RETRIES:
      s->max_retries = g_value_get_uint (value);
      break;
    case GST_GEMMA4_PROP_API_DIALECT:
      s->api_dialect = g_value_get_enum (value);
      break;
    default:
      return FALSE;
  }
  return TRUE;
}

gboolean
gst_gemma4_settings_get_property (const GstGemma4Settings * s, guint prop_id,
    GValue * value)
{
  switch (prop_id) {
    case GST_GEMMA4_PROP_MODEL_PATH:
      g_value_set_string (value, s->model_path);
      break;
    case GST_GEMMA4_PROP_MMPROJ_PATH:
      g_value_set_string (value, s->mmproj_path);
      break;
    case GST_GEMMA4_PROP_MODEL_INSTANCE_ID:
      g_value_set_string (value, s->model_instance_id);
      break;
    case GST_GEMMA4_PROP_N_THREADS:
      g_value_set_int (value, s->n_threads);
      break;
    case GST_GEMMA4_PROP_CONTEXT_SIZE:
      g_value_set_uint (value, s->context_size);
      break;
    case GST_GEMMA4_PROP_PROMPT:
      g_value_set_string (value, s->prompt);
      break;
    case GST_GEMMA4_PROP_PROMPT_PATH:
      g_value_set_string (value, s->prompt_path);
      break;
    case GST_GEMMA4_PROP_SYSTEM_PROMPT:
      g_value_set_string (value, s->system_prompt);
      break;
    case GST_GEMMA4_PROP_THINKING:
      g_value_set_boolean (value, s->thinking);
      break;
    case GST_GEMMA4_PROP_MAX_TOKENS:
      g_value_set_uint (value, s->max_tokens);
      break;
    case GST_GEMMA4_PROP_TEMPERATURE:
      g_value_set_float (value, s->temperature);
      break;
    case GST_GEMMA4_PROP_TOP_K:
      g_value_set_uint (value, s->top_k);
      break;
    case GST_GEMMA4_PROP_TOP_P:
      g_value_set_float (value, s->top_p);
      break;
    case GST_GEMMA4_PROP_MIN_P:
      g_value_set_float (value, s->min_p);
      break;
    case GST_GEMMA4_PROP_SEED:
      g_value_set_uint64 (value, s->seed);
      break;
    case GST_GEMMA4_PROP_LATENCY:
      g_value_set_uint (value, s->latency_ms);
      break;
    case GST_GEMMA4_PROP_LATENESS:
      g_value_set_uint (value, s->lateness_ms);
      break;
    case GST_GEMMA4_PROP_LEAKY:
      g_value_set_enum (value, s->leaky);
      break;
    case GST_GEMMA4_PROP_SCHEDULING_POLICY:
      g_value_set_enum (value, s->scheduling_policy);
      break;
    case GST_GEMMA4_PROP_MAX_BATCH:
      g_value_set_uint (value, s->max_batch);
      break;
    case GST_GEMMA4_PROP_BACKEND:
      g_value_set_enum (value, s->backend);
      break;
    case GST_GEMMA4_PROP_SERVER_URL:
      g_value_set_string (value, s->server_url);
      break;
    case GST_GEMMA4_PROP_SERVER_MODEL:
      g_value_set_string (value, s->server_model);
      break;
    case GST_GEMMA4_PROP_API_KEY_ENV:
      g_value_set_string (value, s->api_key_env);
      break;
    case GST_GEMMA4_PROP_REQUEST_TIMEOUT:
      g_value_set_uint (value, s->request_timeout_ms);
      break;
    case GST_GEMMA4_PROP_MAX_INFLIGHT:
      g_value_set_uint (value, s->max_inflight);
      break;
    case GST_GEMMA4_PROP_MAX_RETRIES:
      g_value_set_uint (value, s->max_retries);
      break;
    case GST_GEMMA4_PROP_API_DIALECT:
      g_value_set_enum (value, s->api_dialect);
      break;
    default:
      return FALSE;
  }
  return TRUE;
}

static gboolean
check_file (GstElement * element, const gchar * property, const gchar * path)
{
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return TRUE;
  GST_ELEMENT_ERROR (element, RESOURCE, NOT_FOUND,
      ("%s '%s' does not exist or is not a regular file", property, path),
      (NULL));
  return FALSE;
}

gboolean
gst_gemma4_settings_check (GstGemma4Settings * s, GstElement * element,
    gboolean need_mmproj)
{
  gchar *model = NULL, *mmproj = NULL, *id = NULL, *prompt_path = NULL;
  gboolean has_prompt, remote, ok = FALSE;
  GError *error = NULL;

  GST_OBJECT_LOCK (element);
  remote = s->backend == GST_GEMMA4_BACKEND_OPENAI;
  if (remote && !s->server_url) {
    GST_OBJECT_UNLOCK (element);
    GST_ELEMENT_ERROR (element, LIBRARY, SETTINGS,
        ("backend=openai and server-url is not set: name the server, for "
            "example http://127.0.0.1:8080"), (NULL));
    return FALSE;
  }
  model = g_strdup (s->model_path);
  mmproj = g_strdup (s->mmproj_path);
  id = g_strdup (s->model_instance_id);
  prompt_path = g_strdup (s->prompt_path);
  has_prompt = s->prompt != NULL;
  GST_OBJECT_UNLOCK (element);

  if (has_prompt && prompt_path) {
    GST_ELEMENT_ERROR (element, LIBRARY, SETTINGS,
        ("prompt and prompt-path are both set (prompt-path '%s'): set only "
            "one of them", prompt_path), (NULL));
    goto done;
  }
  if (remote) {
    /* the server holds the model */
  } else if (!model && !id) {
    GST_ELEMENT_ERROR (element, LIBRARY, SETTINGS,
        ("model-path is not set: name a Gemma 4 GGUF file"), (NULL));
    goto done;
  }
  if (!remote && need_mmproj && !mmproj && !id) {
    GST_ELEMENT_ERROR (element, LIBRARY, SETTINGS,
        ("mmproj-path is not set: this element needs the multimodal "
            "projector GGUF that matches %s", model), (NULL));
    goto done;
  }
  if (!remote && model && !check_file (element, "model-path", model))
    goto done;
  if (!remote && mmproj && !check_file (element, "mmproj-path", mmproj))
    goto done;
  if (prompt_path) {
    gchar *text = NULL;
    if (!read_prompt_file (prompt_path, &text, &error)) {
      GST_ELEMENT_ERROR (element, RESOURCE, OPEN_READ,
          ("Could not read prompt-path: %s", error->message), (NULL));
      g_clear_error (&error);
      goto done;
    }
    GST_OBJECT_LOCK (element);
    g_free (s->prompt_file_text);
    s->prompt_file_text = text;
    GST_OBJECT_UNLOCK (element);
  }
  ok = TRUE;
done:
  g_free (model);
  g_free (mmproj);
  g_free (id);
  g_free (prompt_path);
  return ok;
}

/* g4_prompt_build puts media where the tokenizer finds these special
 * tokens, which it carves out of the text wherever they occur. */
static const gchar *const placeholders[] = { "<|image|>", "<|audio|>" };

static guint
count_substring (const gchar * text, const gchar * what)
{
  guint n = 0;

  for (const gchar * p = text; p && (p = strstr (p, what)); p += strlen (what))
    n++;
  return n;
}

gboolean
gst_gemma4_check_placeholders (const gchar * element, const gchar * property,
    const gchar * text, const gchar * takes, gchar ** why)
{
  for (guint i = 0; i < G_N_ELEMENTS (placeholders); i++) {
    const gchar *kind = placeholders[i];
    guint n = count_substring (text, kind);

    if (n == 0 || (!g_strcmp0 (kind, takes) && n == 1))
      continue;
    if (!g_strcmp0 (kind, takes))
      *why = g_strdup_printf ("%s holds %s %u times: %s takes one %s", property,
          kind, n, element, kind);
    else if (takes)
      *why = g_strdup_printf ("%s: %s takes %s, the %s has %s", property,
          element, takes, property, kind);
    else
      *why = g_strdup_printf ("%s: %s places the media itself, the %s may "
          "hold no placeholder but has %s", property, element, property, kind);
    return FALSE;
  }
  return TRUE;
}

gboolean
gst_gemma4_settings_check_prompts (const GstGemma4Settings * s,
    const gchar * element, const gchar * takes, gchar ** why)
{
  return gst_gemma4_check_placeholders (element, "prompt", s->prompt, takes,
      why) && gst_gemma4_check_placeholders (element, "prompt-path",
      s->prompt_path ? s->prompt_file_text : NULL, takes, why)
      && gst_gemma4_check_placeholders (element, "system-prompt",
      s->system_prompt, NULL, why);
}

const gchar *
gst_gemma4_settings_instruction (const GstGemma4Settings * s)
{
  if (s->prompt && *s->prompt)
    return s->prompt;
  if (s->prompt_path && s->prompt_file_text && *s->prompt_file_text)
    return s->prompt_file_text;
  return NULL;
}

g4_sampler_params
gst_gemma4_settings_sampling (const GstGemma4Settings * s)
{
  g4_sampler_params p = g4_sampler_default_params ();

  p.temperature = s->temperature;
  p.top_k = (int) MIN (s->top_k, (guint) G_MAXINT);
  p.top_p = s->top_p;
  p.min_p = s->min_p;
  p.seed = s->seed;
  return p;
}

void
gst_gemma4_settings_chat (const GstGemma4Settings * s, GstElement * element,
    const gchar * instruction, const gchar * placeholder, gchar ** system,
    gchar ** user, gboolean * thinking)
{
  GST_OBJECT_LOCK (element);
  *system = g_strdup (s->system_prompt);
  *thinking = s->thinking;
  GST_OBJECT_UNLOCK (element);
  *user = placeholder && !strstr (instruction, placeholder) ?
      g_strconcat (placeholder, instruction, NULL) : g_strdup (instruction);
}

guint
gst_gemma4_settings_request_timeout (const GstGemma4Settings * s)
{
  return s->request_timeout_ms ? s->request_timeout_ms :
      MAX (s->latency_ms, MIN_AUTO_TIMEOUT);
}

guint
gst_gemma4_settings_job_timeout (const GstGemma4Settings * s, gboolean live)
{
  return s->request_timeout_ms || live ?
      gst_gemma4_settings_request_timeout (s) : FILE_REQUEST_TIMEOUT;
}

gchar *
gst_gemma4_settings_render_chat (const GstGemma4Settings * s,
    GstElement * element, const g4_model * model, const gchar * instruction,
    const gchar * placeholder)
{
  const g4_template_flavor flavor = g4_model_template_flavor (model);
  g4_chat_message msgs[2];
  gchar *system, *user;
  gint n = 0;
  gboolean thinking;
  gchar *out;
  gsize len;

  gst_gemma4_settings_chat (s, element, instruction, placeholder, &system,
      &user, &thinking);
  if (system)
    msgs[n++] = (g4_chat_message) {
    G4_ROLE_SYSTEM, system};
  msgs[n++] = (g4_chat_message) {
  G4_ROLE_USER, user};
  len = g4_chat_render (flavor, msgs, n, thinking, true, NULL, 0);
  out = g_malloc (len + 1);
  g4_chat_render (flavor, msgs, n, thinking, true, out, len + 1);
  g_free (system);
  g_free (user);
  return out;
}

void
gst_gemma4_post_latency_changed (GstElement * element)
{
  gst_element_post_message (element,
      gst_message_new_latency (GST_OBJECT (element)));
}

GstClockTime
gst_gemma4_settings_lateness (const GstGemma4Settings * s,
    GstElement * element)
{
  GstClockTime l;

  GST_OBJECT_LOCK (element);
  l = s->lateness_ms * GST_MSECOND;
  GST_OBJECT_UNLOCK (element);
  return l;
}
