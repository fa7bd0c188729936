/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the gemma4 element tests share: the model files from the
 * environment, elements made with them, buses and error messages, the
 * "stats" property, LATENCY queries, live-overload QOS messages, flushes,
 * and the sparse text output collected into time spans. */
#ifndef __ELEMENT_TEST_UTIL_H__
#define __ELEMENT_TEST_UTIL_H__

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

/* GEMMA4_TEST_MODEL and GEMMA4_TEST_MMPROJ, read by element_test_setup
 * (which stops the run without them). */
extern const gchar *model_path;
extern const gchar *mmproj_path;
/* Reads the environment; the tests' output unbuffered, since each test
 * runs in a child process and its report must survive it. */
void element_test_setup (void);

/* A factory element with the test model, 2 threads and max_tokens, then
 * the properties given (NULL-terminated). */
GstElement *element_test_new (const gchar * factory, guint max_tokens,
    const gchar * first_property, ...);

GstBus *attach_bus (GstElement * e);
void detach_bus (GstElement * e, GstBus * bus);

/* Fails unless msg is an error whose message mentions what; frees msg. */
void check_error_mentions (GstMessage * msg, const gchar * what);
/* e (owned) fails NULL->READY with an error mentioning what. */
void expect_ready_failure (GstElement * e, const gchar * what);

/* Setting property to value (its text form) on e in PAUSED or PLAYING is
 * refused: it reads back the old value and bus gets a warning naming the
 * property and mentioning what. */
void expect_refused (GstElement * e, GstBus * bus, const gchar * property,
    const gchar * value, const gchar * what);
/* Setting it is taken without a warning (reads back value). */
void expect_taken (GstElement * e, GstBus * bus, const gchar * property,
    const gchar * value);
/* model-path, mmproj-path, model-instance-id, n-threads and context-size
 * are refused (e in PAUSED or PLAYING). */
void expect_load_properties_refused (GstElement * e, GstBus * bus);

/* A field of the "stats" property (guint64 or guint). */
guint64 stat_u64 (GstElement * e, const gchar * field);

/* The "stats" property is a gemma4-stats structure with these fields
 * (NULL-terminated). */
void check_stats_fields (GstElement * e, const gchar * const *fields);

/* Setting the properties given (NULL-terminated) posts a LATENCY message
 * on bus. */
void expect_latency_message (GstElement * e, GstBus * bus,
    const gchar * first_property, ...);
void query_latency (GstHarness * h, gboolean * live, GstClockTime * min,
    GstClockTime * max);

/* The QOS messages of dropped jobs on bus (live, in buffers, the dropped
 * count rising); returns how many, with the last count in last_dropped and
 * the processed count of the first in first_processed. */
guint count_drop_qos (GstBus * bus, guint64 * last_dropped,
    guint64 * first_processed);

/* Pops the WARNING messages on bus: returns how many have details with
 * this reason (NULL: all), the details of the last of them in *last (a
 * copy, if last is not NULL; *last NULL or a structure to replace). */
guint count_warnings (GstBus * bus, const gchar * reason,
    GstStructure ** last);

/* Pops the gemma4-result messages on bus: returns how many, with how many
 * have status in with_status (those neither ok nor late have no text). */
guint count_results (GstBus * bus, const gchar * status, guint * with_status);

/* FLUSH_START and FLUSH_STOP cancel what e was generating within a second:
 * no text comes out, no job is counted. Returns how long it took (us). */
gint64 check_flush_cancels (GstHarness * h, GstElement * e);

/* ---- the text output as time spans ------------------------------------- */

typedef struct
{
  GstClockTime start, duration;
  gchar *text;                  /* NULL: a gap */
  GstStructure *result;         /* the result meta; NULL for a gap */
} Span;

typedef struct
{
  GArray *spans;
  guint finals;                 /* rstranscribe/final-transcript events */
  guint preroll_gaps;           /* empty GAP events before any span */
  gboolean sparse;
  GstCaps *caps;
  const gchar *kind;            /* each result's "kind" */
  /* more checks of each result, if not NULL */
  void (*check_result) (const Span * s);
} Output;

void output_init (Output * out, const gchar * kind);
void output_clear (Output * out);
/* An event of the text pad; TRUE at EOS. */
gboolean add_event (Output * out, GstEvent * ev);
/* A text buffer and the result meta it carries. */
void add_buffer (Output * out, GstBuffer * buf);
void output_sort (Output * out);
/* Everything the text pad produced up to EOS, sorted by time. */
void collect_until_eos (GstHarness * h, Output * out);
const Span *span (const Output * out, guint i);
guint count_text (const Output * out);
/* Results and gaps must cover [start, end) without holes or overlaps. */
void check_tiling (const Output * out, GstClockTime start, GstClockTime end);

#endif /* __ELEMENT_TEST_UTIL_H__ */
