/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gemma4.h: the public API of libgemma4, a C11 + OpenMP engine for Google's
 * Gemma 4 models stored as GGUF files (the files llama.cpp reads).
 *
 * Thread contract: a g4_model is immutable after g4_model_load() and may be
 * shared by any number of threads. A g4_session (KV cache, scratch buffers)
 * has one user at a time. The library starts no threads of its own: each
 * forward pass or encoder call runs on one OpenMP team of at most the
 * n_threads it is given, drawn from a process-wide thread budget (below),
 * and its threads sleep rather than spin when they wait for each other.
 *
 * Errors: every fallible call returns a g4_status (G4_OK == 0) and fills the
 * caller-owned g4_error, which may be NULL.
 *
 * Example:
 *   g4_error err = {0};
 *   g4_model *m;
 *   if (g4_model_load ("gemma-4-E2B-it-Q4_0.gguf", NULL, &m, &err))
 *     fprintf (stderr, "%s\n", err.message);
 *   g4_session_params sp = g4_session_default_params ();
 *   g4_session *s;
 *   g4_session_new (m, &sp, &s, &err);
 *   ... g4_session_decode (s, &batch, logits, &err) ...
 */
#ifndef GEMMA4_H
#define GEMMA4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ---------------------------------------------------------- */

typedef enum {
  G4_OK = 0,
  G4_STATUS_IO,                 /* open/read/mmap failed */
  G4_STATUS_FORMAT,             /* malformed or inconsistent file */
  G4_STATUS_UNSUPPORTED,        /* valid file we cannot run (arch, tensor type) */
  G4_STATUS_INVALID_ARG,        /* bad parameter from the caller */
  G4_STATUS_NO_MEMORY,
  G4_STATUS_CONTEXT_FULL,       /* the session's context size is exhausted */
  G4_STATUS_CANCELLED,          /* the cancel flag was raised */
} g4_status;

typedef struct {
  g4_status code;
  char message[256];
} g4_error;

const char *g4_status_name (g4_status s);

/* ---- tensor types (values are ggml's, as stored in GGUF files) -------- */

typedef enum {
  G4_TYPE_F32 = 0,
  G4_TYPE_F16 = 1,
  G4_TYPE_Q4_0 = 2,
  G4_TYPE_Q4_1 = 3,
  G4_TYPE_Q5_0 = 6,
  G4_TYPE_Q5_1 = 7,
  G4_TYPE_Q8_0 = 8,
  G4_TYPE_Q8_1 = 9,
  G4_TYPE_Q2_K = 10,
  G4_TYPE_Q3_K = 11,
  G4_TYPE_Q4_K = 12,
  G4_TYPE_Q5_K = 13,
  G4_TYPE_Q6_K = 14,
  G4_TYPE_Q8_K = 15,
  G4_TYPE_IQ4_NL = 20,
  G4_TYPE_IQ4_XS = 23,
  G4_TYPE_BF16 = 30,
  G4_TYPE_COUNT = 40,           /* bound on ggml type ids we know the name of */
} g4_type;

/* Name of a ggml type id ("Q4_K"), or NULL when the id is unknown. */
const char *g4_type_name (uint32_t type);

/* ---- logging ------------------------------------------------------------ */

typedef enum { G4_LOG_ERROR, G4_LOG_WARNING, G4_LOG_INFO, G4_LOG_DEBUG } g4_log_level;
typedef void (*g4_log_fn) (g4_log_level level, const char *msg, void *user);
/* Routes diagnostics (never stdout). Default: warnings and errors to stderr. */
void g4_log_set (g4_log_fn fn, void *user);

/* ---- model --------------------------------------------------------------- */

typedef struct g4_model g4_model;
typedef struct g4_vocab g4_vocab;

typedef struct {
  bool vocab_only;              /* load only the tokenizer (files with no tensors) */
} g4_model_params;

g4_status g4_model_load (const char *path, const g4_model_params * params,
    g4_model ** out, g4_error * err);
void g4_model_free (g4_model * model);

/* Geometry read from the file; arrays have n_layer entries. */
typedef struct {
  int n_embd, n_layer, n_head, n_vocab, n_ctx_train;
  int head_dim, head_dim_swa;   /* full / sliding layers */
  int sliding_window, n_layer_kv_from_start, n_embd_per_layer;
  int n_expert, n_expert_used, n_ff_expert;
  float rope_theta, rope_theta_swa, rms_eps, final_softcap;
  const bool *is_swa;
  const int *n_head_kv, *n_ff;
  /* The rows of one image attend to each other both ways on sliding layers
   * (Hugging Face's use_bidirectional_attention "vision"): true for the models
   * without per-layer embeddings (26B, 31B), false for E2B and E4B, whatever
   * the width (the rule and its sources: core/model/hparams.c).
   * g4_prompt_build marks image rows in g4_prompt.bidirectional only then. */
  bool media_bidirectional;
} g4_model_info;

const g4_model_info *g4_model_get_info (const g4_model * model);
const g4_vocab *g4_model_get_vocab (const g4_model * model);
/* The tokenizer.chat_template string, or NULL. */
const char *g4_model_chat_template (const g4_model * model);

/* ---- tokenizer ------------------------------------------------------------ */

typedef int32_t g4_token;

int g4_vocab_n_tokens (const g4_vocab * vocab);
g4_token g4_vocab_bos (const g4_vocab * vocab);
g4_token g4_vocab_eos (const g4_vocab * vocab);
/* Id of an exact token string, or -1. */
g4_token g4_vocab_find (const g4_vocab * vocab, const char *text);
bool g4_vocab_is_eog (const g4_vocab * vocab, g4_token t);
bool g4_vocab_is_control (const g4_vocab * vocab, g4_token t);

/* Encodes text. Returns the number of tokens, which may exceed max_tokens (then
 * only the first max_tokens were written), or -1 on a bad argument. */
int g4_tokenize (const g4_vocab * vocab, const char *text, size_t len,
    bool add_bos, bool parse_special, g4_token * tokens, int max_tokens);

/* The bytes of one token (BYTE tokens yield one raw byte; CONTROL tokens yield
 * their text only when render_special). Returns the length, or -1 if out of
 * range; when the piece does not fit in buf_size nothing is written (so
 * buf_size 0 asks for the length). */
int g4_token_to_piece (const g4_vocab * vocab, g4_token t, bool render_special,
    char *buf, int buf_size);

/* Streaming detokenizer: buffers incomplete UTF-8 sequences across tokens so
 * every chunk it emits is valid UTF-8. */
typedef struct {
  char pending[8];
  int n_pending;
} g4_utf8_stream;
/* Appends the piece of token t; writes the complete characters to out (NUL
 * terminated) and returns their length, or -1 (stream unchanged) when out is
 * too small: 3 * (piece length + 3) + 1 bytes always suffice. */
int g4_utf8_stream_push (g4_utf8_stream * s, const g4_vocab * vocab, g4_token t,
    bool render_special, char *out, int out_size);

/* ---- chat template (docs/tokenizer-and-chat.md#chat-format) -------- */

typedef enum { G4_ROLE_SYSTEM, G4_ROLE_USER, G4_ROLE_MODEL } g4_role;

typedef struct {
  g4_role role;
  const char *content;          /* may contain <|image|>, <|audio|> placeholders */
} g4_chat_message;

typedef enum {
  G4_TEMPLATE_SMALL,            /* E2B/E4B: generation prompt is "<|turn>model\n" */
  G4_TEMPLATE_LARGE,            /* 26B/31B: empty thought block prefilled when thinking is off */
} g4_template_flavor;

g4_template_flavor g4_model_template_flavor (const g4_model * model);

/* Renders messages into the prompt text (beginning with <bos>), ending with the
 * generation prompt when add_generation_prompt. Returns the length needed
 * (excluding NUL); writes at most buf_size bytes, NUL terminated. */
size_t g4_chat_render (g4_template_flavor flavor, const g4_chat_message * msgs,
    int n_msgs, bool thinking, bool add_generation_prompt, char *buf, size_t buf_size);

/* Splits a raw model answer into its thought and the answer proper: every
 * <|channel>...<channel|> span (and a dangling <channel|>) is removed from the
 * answer; the text inside goes to thought (without the "thought\n" label).
 * Both outputs are NUL terminated and trimmed. */
void g4_chat_split_thought (const char *raw, char *answer, size_t answer_size,
    char *thought, size_t thought_size);

/* ---- threads ---------------------------------------------------------------- */

/* The process-wide thread budget: the most threads that all forward passes and
 * encoder calls running at the same moment use together, so that several
 * sessions in one process (a pipeline with three cameras) share the cores
 * instead of each taking them all. A call takes min(n_threads, what is left),
 * at least one. n <= 0 restores the default: the CPUs this process may run on
 * (its affinity mask). Results do not depend on the threads a call gets. */
void g4_threads_set_budget (int n);
int g4_threads_budget (void);
/* Threads the running calls of the process use now. */
int g4_threads_in_use (void);

/* Profiling (gemma4-cli bench --profile): while enabled, forward passes and
 * encoder calls record the time of each step by kind ("matmul Q4_0 1536x2048
 * T>1", "attention", "norms", ..., "thread wait (all threads)": the time all
 * threads spent waiting at barriers). Enabling clears what was recorded. */
void g4_profile_enable (bool on);
typedef struct {
  const char *kind;
  double seconds;
  int64_t calls;
} g4_profile_entry;
/* Copies at most max entries, longest first; returns how many. */
int g4_profile_get (g4_profile_entry * out, int max);

/* ---- session: KV cache and forward pass ----------------------------------- */

typedef struct g4_session g4_session;

typedef enum { G4_KV_F16, G4_KV_F32 } g4_kv_type;

typedef struct {
  int n_ctx;                    /* max positions (0 = min(n_ctx_train, 4096)) */
  int n_threads;                /* 0 = number of cores */
  int n_batch;                  /* max tokens per forward pass (0 = min(512, n_ctx); 1152 for
                                 * models whose image rows attend to each other, which a
                                 * pass never splits); more
                                 * than n_ctx serves g4_session_decode_many */
  g4_kv_type kv_type;
  const volatile int *cancel;   /* when non-NULL and *cancel != 0, decode stops with G4_STATUS_CANCELLED */
} g4_session_params;

g4_session_params g4_session_default_params (void);
g4_status g4_session_new (const g4_model * model, const g4_session_params * params,
    g4_session ** out, g4_error * err);
void g4_session_free (g4_session * s);
/* Forgets every position (the KV cache is reused). */
void g4_session_reset (g4_session * s);
int g4_session_n_past (const g4_session * s);

/* One forward pass over n consecutive positions starting at g4_session_n_past.
 * Position i holds token[i], or, when embd is non-NULL and embd_mask[i] is true,
 * the injected (unscaled) row embd[i * n_embd ...] (image/audio soft tokens).
 * want_logits[i] (NULL = only the last position) selects the positions whose
 * logits are written, packed in order, n_vocab floats each, into logits. */
typedef struct {
  int n;
  const g4_token *tokens;
  const float *embd;
  const bool *embd_mask;
  const bool *want_logits;
  /* NULL, or true on injected rows (embd_mask) that attend both ways: each
   * contiguous run is one image whose rows attend to each other on sliding
   * layers. g4_prompt_build sets it for the models whose
   * g4_model_info.media_bidirectional is true. */
  const bool *bidirectional;
} g4_batch;

g4_status g4_session_decode (g4_session * s, const g4_batch * batch,
    float *logits, g4_error * err);

/* The batches of n distinct sessions of one model decoded together: each as
 * g4_session_decode would (same results), but the positions of all of them
 * share forward passes, so that every
 * weight is read once per pass for all sequences (several camera streams
 * decoding at once cost little more than one). A pass is computed in the
 * buffers of the session with the largest n_ctx (then n_batch) and holds at
 * most its n_batch rows, and at most each session's own n_batch of that
 * session. logits[i] receives session i's wanted logits. Nothing is decoded when any batch is invalid or does not
 * fit its context (the error names it). A pass stops with
 * G4_STATUS_CANCELLED only when every session's cancel flag is raised. */
g4_status g4_session_decode_many (g4_session * const *s, const g4_batch * batch, int n,
    float *const *logits, g4_error * err);

/* ---- sampling and generation ---------------------------------------------- */

typedef struct {
  float temperature;            /* <= 0: greedy */
  int top_k;                    /* 0: off */
  float top_p;                  /* 1: off */
  float min_p;                  /* 0: off */
  float repeat_penalty;         /* 1: off */
  int repeat_last_n;
  uint64_t seed;
} g4_sampler_params;

typedef struct g4_sampler g4_sampler;

g4_sampler_params g4_sampler_default_params (void);
g4_sampler *g4_sampler_new (const g4_sampler_params * p, int n_vocab);
void g4_sampler_free (g4_sampler * s);
/* Picks a token from logits (modified in place) and records it for the
 * repetition penalty (no g4_sampler_accept needed for it). */
g4_token g4_sampler_sample (g4_sampler * s, float *logits);
void g4_sampler_accept (g4_sampler * s, g4_token t);

/* Called with each complete UTF-8 piece of output; in_thought is true inside a
 * <|channel>...<channel|> thought block (the delimiters themselves are not
 * passed). Return false to stop generating. */
typedef bool (*g4_piece_fn) (const char *text, int len, bool in_thought, void *user);

/* A constraint on what generation may produce (see g4_constraint_detection_new). */
typedef struct g4_constraint g4_constraint;

/* Prompt heads shared across sessions: the KV of the positions of a prompt
 * before its first media (system prompt, turn header, instructions), kept
 * for the sessions of one model whose prompts begin the same way (several
 * camera streams asking the same question), as the reference server's
 * prompt cache does across its slots. A head copied from the cache is bit
 * for bit the one the session would compute. Holds at most max_heads heads
 * (the least recently used goes first); any thread may use it. */
typedef struct g4_prefix_cache g4_prefix_cache;
g4_status g4_prefix_cache_new (const g4_model * m, int max_heads, g4_prefix_cache ** out,
    g4_error * err);
void g4_prefix_cache_free (g4_prefix_cache * c);
/* Copies into s the longest cached head that begins b and is longer than
 * what s holds (its n_past, a head kept by reuse_prefix), of s's KV type,
 * which then holds it (n_past); returns its length, 0 when none. */
int g4_prefix_cache_load (g4_prefix_cache * c, g4_session * s, const g4_batch * b);
/* Stores the head of b (positions before its first media, at most b->n -
 * 1) that s holds in its first positions, unless the cache has it; false
 * when s does not hold it whole (a sliding layer's ring has wrapped over
 * it) or out of memory. */
bool g4_prefix_cache_store (g4_prefix_cache * c, const g4_session * s, const g4_batch * b);

typedef struct {
  int max_tokens;               /* <= 0: until end of generation or context */
  const char *const *stop;      /* stop strings (matched on the answer text) */
  int n_stop;
  g4_sampler_params sampling;
  g4_piece_fn on_piece;
  void *user;
  /* NULL, or a constraint: it is reset when generation starts, only tokens
   * that keep the answer valid can be sampled, and generation ends (G4_STOP_EOG)
   * once the answer is complete. Owned by the caller; one generation at a time. */
  g4_constraint *constraint;
  /* true: the prompt starts a new conversation (as after g4_session_reset),
   * but the positions the session holds that equal the prompt's head
   * (tokens before the first media, e.g. system prompt and instructions of
   * the previous job) are kept instead of computed again: same results,
   * less prefill. */
  bool reuse_prefix;
  /* NULL, or with reuse_prefix a cache of prompt heads shared with other
   * sessions of the model: a longer head than the session keeps is copied
   * from it, and the head computed is stored into it (n_prompt_reused
   * counts both). */
  g4_prefix_cache *prefix_cache;
} g4_generate_params;

typedef enum {
  G4_STOP_EOG,                  /* an end-of-generation token (<turn|>, <eos>, ...) */
  G4_STOP_MAX_TOKENS,
  G4_STOP_STRING,
  G4_STOP_CALLBACK,
} g4_stop_reason;

typedef struct {
  int n_prompt, n_generated;
  int n_prompt_reused;          /* prompt positions kept from the session or copied from
                                 * the prefix cache (reuse_prefix) */
  double prompt_seconds, generate_seconds;
  g4_stop_reason stop;
} g4_generate_result;

/* Feeds prompt (after whatever the session already holds; its want_logits is
 * ignored) and samples until a stop condition. The prompt may carry injected
 * media embeddings (see g4_prompt_build). Running out of context is
 * G4_STATUS_CONTEXT_FULL, with the text produced so far already delivered. */
g4_status g4_generate (g4_session * s, const g4_batch * prompt,
    const g4_generate_params * p, g4_generate_result * res, g4_error * err);

/* Generation in steps, several at once: a g4_generation is what g4_generate
 * runs, advanced one forward pass at a time by g4_generation_step, which runs
 * one pass for every unfinished generation it is given (on distinct sessions
 * of one model), so that generations join and leave a running batch between
 * steps. Greedy results equal g4_generate's. The prompt's arrays and the
 * parameters' stop strings and constraint must stay valid until it is done
 * (the batch and parameters themselves are copied). */
typedef struct g4_generation g4_generation;
g4_status g4_generation_new (g4_session * s, const g4_batch * prompt,
    const g4_generate_params * p, g4_generation ** out, g4_error * err);
/* One pass: each generation still in its prompt feeds at most max_prefill
 * more positions (<= 0: the whole rest; an image is never split), the others
 * their last token; then each that finished its prompt samples. A generation
 * that stops, runs out of context or whose session's cancel flag is raised
 * ends (g4_generation_done); the step fails only when no pass could run (out
 * of memory), ending them all. */
g4_status g4_generation_step (g4_generation * const *g, int n, int max_prefill,
    g4_error * err);
bool g4_generation_done (const g4_generation * g);
/* How it went so far; once done, G4_OK or why it ended (with err), as
 * g4_generate returns it. */
g4_status g4_generation_result (const g4_generation * g, g4_generate_result * res,
    g4_error * err);
void g4_generation_free (g4_generation * g);

/* ---- multimodal projector: vision and audio encoders (mmproj GGUF) -------- */

typedef struct g4_mmproj g4_mmproj;

g4_status g4_mmproj_load (const char *path, g4_mmproj ** out, g4_error * err);
void g4_mmproj_free (g4_mmproj * mm);
bool g4_mmproj_has_audio (const g4_mmproj * mm);
bool g4_mmproj_has_vision (const g4_mmproj * mm);
/* Width of the rows the encoders produce: the text model's n_embd. */
int g4_mmproj_n_embd (const g4_mmproj * mm);

/* The encoders' geometry as read from the file; a part is all zero when the
 * file has no such encoder. */
typedef struct {
  int n_embd;                   /* width of the soft tokens (the text model's) */
  struct {
    const char *projector;      /* "gemma4v", or NULL without a vision encoder */
    int patch_size;             /* p: pixels per patch side */
    int merge;                  /* k: one soft token pools k x k patches */
    int n_layer, n_embd, n_head, head_dim, n_ff;
    bool standardized;          /* 26B/31B flavour (v.std_bias, v.std_scale); else
                                 * E2B/E4B's, whose linears may carry clamp bounds */
  } vision;
  struct {
    const char *projector;      /* "gemma4a", or NULL without an audio encoder */
    int n_mel;                  /* mel bins of the 16 kHz front end */
    int n_layer, n_embd, n_head, n_ff; /* the conformer */
    int n_out;                  /* width before the projection to n_embd */
  } audio;
} g4_mmproj_info;

const g4_mmproj_info *g4_mmproj_get_info (const g4_mmproj * mm);

#define G4_AUDIO_SAMPLE_RATE 16000

/* Soft tokens produced for n_samples of 16 kHz audio (all 30 s pieces). */
int g4_audio_n_tokens (const g4_mmproj * mm, int64_t n_samples);
/* Encodes 16 kHz mono PCM in [-1, 1] into g4_audio_n_tokens() rows of
 * g4_mmproj_n_embd() floats. Audio longer than 30 s is encoded as independent
 * 30 s pieces, as the reference does. cancel as in g4_session_params. */
g4_status g4_audio_encode (const g4_mmproj * mm, const float *pcm, int64_t n_samples,
    int n_threads, const volatile int *cancel, float *out, g4_error * err);

/* Image sizing (docs/vision-encoder.md#sizing), selectable per call:
 * G4_IMAGE_NATIVE: the reference's (llama.cpp) rule: the native size rounded
 *   to the p k = 48 px grid, scaled only to stay within 70 .. max_soft_tokens
 *   soft tokens (0 = 1120), aspect ratio kept with a black letterbox. The
 *   parity tests use it.
 * G4_IMAGE_BUDGET: Hugging Face's rule: the image is stretched to fill a budget
 *   of max_soft_tokens soft tokens (Google recommends 70, 140, 280, 560 or
 *   1120; 0 = 280, 70 suits video frames), no letterbox.
 * One departure from both rules, so that a canvas (g4_image_resize_canvas)
 * encodes like its source: an image already on the grid whose size the rule
 * could have produced keeps it (the rules alone would resize some such
 * images again; with the default limits native sizing never changes). */
typedef enum { G4_IMAGE_NATIVE, G4_IMAGE_BUDGET } g4_image_sizing;

/* Soft tokens an image of width x height gives, or -1 when the mmproj file has
 * no vision encoder or an argument is out of range. */
int g4_image_n_tokens (const g4_mmproj * mm, int width, int height, g4_image_sizing sizing,
    int max_soft_tokens);
/* Encodes packed RGB8 pixels (row y at rgb + y * stride, stride >= 3 width)
 * into g4_image_n_tokens() rows of g4_mmproj_n_embd() floats at out, for
 * "<|image>" rows "<image|>" in a prompt (g4_media). *n_tokens (may be NULL)
 * receives the row count. The image is resampled with Pillow's bicubic, as
 * the reference does. cancel as in g4_session_params (checked per layer). */
g4_status g4_image_encode (const g4_mmproj * mm, const uint8_t * rgb, int width, int height,
    int stride, g4_image_sizing sizing, int max_soft_tokens, int n_threads,
    const volatile int *cancel, float *out, int *n_tokens, g4_error * err);

/* Pixel formats the image functions read directly (and g4_draw_* write):
 * packed 8-bit RGB orders, 8-bit grey, and 8-bit 4:2:0 YUV (planar I420,
 * semi-planar NV12) whose matrix and range the view names. */
typedef enum {
  G4_PIXEL_RGB, G4_PIXEL_BGR,
  G4_PIXEL_RGBA, G4_PIXEL_BGRA, G4_PIXEL_ARGB, G4_PIXEL_ABGR,
  G4_PIXEL_RGBX, G4_PIXEL_BGRX, G4_PIXEL_XRGB, G4_PIXEL_XBGR,
  G4_PIXEL_GRAY8,
  G4_PIXEL_I420, G4_PIXEL_NV12,
} g4_pixel_format;

/* A frame in memory the caller owns: planes[i] row y at planes[i] + y *
 * strides[i] (packed formats use plane 0; I420 Y, U, V; NV12 Y, UV). */
typedef struct {
  g4_pixel_format format;
  int width, height;
  uint8_t *planes[3];
  int strides[3];
  bool yuv_bt709;               /* YUV matrix: BT.709, else BT.601 */
  bool yuv_full_range;          /* YUV range: 0-255, else 16-235/240 */
} g4_image_view;

/* The view of packed RGB8 pixels. */
g4_image_view g4_image_view_rgb (uint8_t * rgb, int width, int height, int stride);
/* The view of the rectangle (x, y, w, h) of img (clipped to it; for 4:2:0
 * formats x and y are rounded down to even). false when the rectangle is
 * empty after clipping. */
bool g4_image_view_crop (const g4_image_view * img, int x, int y, int w, int h,
    g4_image_view * out);

/* g4_image_encode on any view: pixels are converted to RGB row by row while
 * resampling, with no full-frame copy. */
g4_status g4_image_encode_view (const g4_mmproj * mm, const g4_image_view * img,
    g4_image_sizing sizing, int max_soft_tokens, int n_threads,
    const volatile int *cancel, float *out, int *n_tokens, g4_error * err);
/* One image of g4_image_encode_many. */
typedef struct {
  const g4_image_view *img;
  g4_image_sizing sizing;
  int max_soft_tokens;
  float *out;                   /* room for g4_image_n_tokens rows of g4_mmproj_n_embd floats */
  const volatile int *cancel;   /* as in g4_session_params, may be NULL */
  int n_tokens;                 /* out: the rows written */
} g4_image_item;

/* Encodes n images in one call, each as g4_image_encode_view would (the
 * same rows, bit for bit), but with the patches of all of them going
 * through the encoder's products together, so that its weights are read
 * once for all (frames of several camera streams that are ready at the
 * same time). Attention, positions and pooling stay within each image;
 * sizes and sizing may differ. The call stops with G4_STATUS_CANCELLED
 * only when every item's cancel flag is raised. */
g4_status g4_image_encode_many (const g4_mmproj * mm, g4_image_item * items, int n,
    int n_threads, g4_error * err);
/* The size of the encoder's canvas for a width x height image: the image
 * resampled, plus its black letterbox in native mode (g4_image_n_tokens
 * patches of p k). false as g4_image_n_tokens -1. */
bool g4_image_resample_size (const g4_mmproj * mm, int width, int height,
    g4_image_sizing sizing, int max_soft_tokens, int *out_width, int *out_height);
/* Resamples img (any format) to out_width x out_height packed RGB8 with the
 * encoder's (Pillow's) bicubic filter. */
g4_status g4_image_resize (const g4_image_view * img, int out_width, int out_height,
    uint8_t * rgb, int stride, g4_error * err);
/* Writes the encoder's canvas for img (g4_image_resample_size of its size) as
 * packed RGB8 rows stride apart. Encoding the canvas with the same sizing and
 * max_soft_tokens gives the same rows as encoding img, in both modes: video
 * elements keep only these small copies. */
g4_status g4_image_resize_canvas (const g4_mmproj * mm, const g4_image_view * img,
    g4_image_sizing sizing, int max_soft_tokens, uint8_t * rgb, int stride, g4_error * err);

/* ---- image understanding: tasks, detections, drawing ----------------------- */

typedef enum {
  G4_VISION_DESCRIBE,           /* a short description of the image */
  G4_VISION_DETECT,             /* boxes of the labelled objects, as JSON */
  G4_VISION_OCR,                /* the text in the image, verbatim */
  G4_VISION_CLASSIFY,           /* the one label that fits the image best */
} g4_vision_task;

/* The user instruction for a task; labels is a comma-separated list (NULL or
 * "" for any object: detect; required by classify). Returns the length needed
 * (excluding NUL); writes at most buf_size bytes, NUL terminated. */
size_t g4_vision_task_prompt (g4_vision_task task, const char *labels, char *buf,
    size_t buf_size);

/* The user instruction gemma4asr and `gemma4-cli transcribe` give with each
 * piece of audio: transcribe it (language, if not NULL or "", as a hint) or,
 * with translate, translate it into target (NULL or "": English). Returns
 * the length needed (excluding NUL); writes at most buf_size bytes, NUL
 * terminated. */
size_t g4_asr_prompt (bool translate, const char *language, const char *target, char *buf,
    size_t buf_size);

/* The instruction gemma4caption and `gemma4-cli caption` give by default,
 * with the placeholders of g4_caption_prompt. */
const char *g4_caption_default_instruction (void);

/* The user turn that asks about one window of video: each frame's time
 * ("mm:ss", minutes counting on past 59) and its "<|image|>" placeholder,
 * joined by spaces as Hugging Face's Gemma 4 processor lays out a video, a
 * blank line, then instruction (NULL: the default) with {num_frames},
 * {start}, {end} (the window's times), {timestamps} (the frames' times,
 * comma-separated) and {previous} (the previous captions joined by spaces,
 * or "(none)") replaced; other braces stay. Times are stream times in ms.
 * Returns the length needed (excluding NUL); writes at most buf_size bytes,
 * NUL terminated. */
size_t g4_caption_prompt (const char *instruction, const int64_t * frame_ms, int n_frames,
    int64_t start_ms, int64_t end_ms, const char *const *previous, int n_previous, char *buf,
    size_t buf_size);

/* One detected object. Coordinates are normalized to 0-1000 of the image
 * (the Gemini/Gemma convention), clamped, with min <= max. */
typedef struct {
  float y_min, x_min, y_max, x_max;
  char label[64];
  float confidence;             /* 0-1, or -1 when the model gave none */
} g4_detection;

/* Parses a detection answer: a JSON list of {"box_2d": [y_min, x_min, y_max,
 * x_max], "label": ...} objects, also inside a code fence, with text around it,
 * a single object instead of a list, or "box"/"bbox"/"bounding_box" keys;
 * xy_order reads the four numbers as [x_min, y_min, x_max, y_max] (when the
 * prompt asked for that order). Objects without a usable box are skipped:
 * no four numbers, or a box with no width or no height once clamped to the
 * image (x_min == x_max, a line, or a box wholly outside it).
 * Returns the number of objects found (at most max_out are written), or -1
 * with err set when the text holds no JSON list or object at all. */
int g4_detections_parse (const char *text, bool xy_order, g4_detection * out,
    int max_out, g4_error * err);

/* Constrained decoding for detection: the answer can only be a JSON list
 * (at most max_objects objects, 0 = no limit) of {"box_2d": [4 integers
 * 0-1000, y_max != y_min, x_max != x_min], "label": "..."} objects whose
 * label is one of labels (any string when n_labels == 0), so
 * g4_detections_parse always reads it whole. */
g4_constraint *g4_constraint_detection_new (const g4_vocab * vocab,
    const char *const *labels, int n_labels, int max_objects, g4_error * err);
/* Constrained decoding for classification: the answer can only be one of
 * labels, exactly as it is written (n_labels >= 1). */
g4_constraint *g4_constraint_choice_new (const g4_vocab * vocab,
    const char *const *labels, int n_labels, g4_error * err);
void g4_constraint_free (g4_constraint * c);

/* Drawing on any view (YUV included): box outlines and labels in a built-in
 * bitmap font, for --draw and the overlay element. Colors are 0xRRGGBB;
 * everything is clipped to the image. */
void g4_draw_rect (g4_image_view * img, int x0, int y0, int x1, int y1, int thickness,
    uint32_t rgb);
/* Text with its top-left corner at (x, y), on a filled background box;
 * scale >= 1 multiplies the font's cell size. Returns the text's width in pixels. */
int g4_draw_text (g4_image_view * img, int x, int y, const char *text, int scale,
    uint32_t rgb, uint32_t background);
/* The size in pixels g4_draw_text gives text at scale: every UTF-8
 * character is one cell of the font; height is one line. */
void g4_draw_text_size (const char *text, int scale, int *width, int *height);
/* The line thickness and text scale g4_draw_detections picks for an image
 * of this size (they grow with its shorter side). */
void g4_draw_auto_sizes (int width, int height, int *thickness, int *scale);
/* The color g4_draw_detections gives a label: the same label always gets the
 * same color from a palette of clearly distinct ones. */
uint32_t g4_label_color (const char *label);
/* A label for the box whose top-left corner is (x, y): above it (inside it at
 * the frame's top edge), moved left to stay in the frame, on a box of color
 * with text in black or white, whichever reads better. */
void g4_draw_label (g4_image_view * img, int x, int y, const char *text, int scale,
    uint32_t color);
/* Each detection's box and label (g4_draw_auto_sizes, g4_label_color), the
 * confidence appended as a percentage when the model gave one. */
void g4_draw_detections (g4_image_view * img, const g4_detection * dets, int n);

/* ---- prompts with media (docs/tokenizer-and-chat.md#prompts-with-media) -- */

/* One media item's soft tokens: n_tokens rows of the text model's n_embd. */
typedef struct {
  const float *embd;
  int n_tokens;
  bool is_audio;                /* <|audio> ... <audio|> instead of <|image> ... <image|> */
} g4_media;

/* A tokenized prompt whose media placeholders were expanded. */
typedef struct {
  int n;
  g4_token *tokens;             /* [n] */
  float *embd;                  /* [n][n_embd] or NULL when no media */
  bool *embd_mask;              /* [n] or NULL */
  bool *bidirectional;          /* [n] image rows when the model's media_bidirectional, else NULL: pass as g4_batch.bidirectional */
  /* the memory behind the arrays, kept from one g4_prompt_build to the next */
  void *store[4];
  size_t reserved[4];
} g4_prompt;

/* Tokenizes text (special tokens parsed, no BOS added: a rendered chat prompt
 * begins with <bos>) and replaces the i-th "<|image|>" or "<|audio|>"
 * placeholder, in order, by its begin token, media[i]'s rows and its end token.
 * The number of placeholders must equal n_media. out must be zeroed or a
 * prompt built before: its memory is reused (a worker building a prompt per
 * job allocates only while prompts grow); g4_prompt_free releases it. On an
 * error out holds no prompt (n == 0) but keeps its memory. */
g4_status g4_prompt_build (const g4_model * m, const char *text, const g4_media * media,
    int n_media, g4_prompt * out, g4_error * err);
void g4_prompt_free (g4_prompt * p);

#ifdef __cplusplus
}
#endif
#endif
