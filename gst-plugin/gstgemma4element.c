/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The core of the gemma4 inference elements (see gstgemma4element.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstgemma4element.h"

static GQuark info_quark;

static const GstGemma4ElementInfo *
info_of (gpointer instance)
{
  return g_type_get_qdata (G_OBJECT_TYPE (instance), info_quark);
}

static GstGemma4Element *
core_of (gpointer instance)
{
  return G_STRUCT_MEMBER_P (instance, info_of (instance)->core_offset);
}

static const GstGemma4Field *
find_field (const GstGemma4Field * fields, guint prop_id)
{
  for (; fields && fields->prop_id; fields++)
    if (fields->prop_id == prop_id)
      return fields;
  return NULL;
}

/* Sets an own property; TRUE when a field the latency depends on changed. */
static gboolean
field_set (GObject * object, const GstGemma4Field * f, const GValue * value)
{
  gpointer p = G_STRUCT_MEMBER_P (object, f->offset);
  gboolean changed;

  switch (G_TYPE_FUNDAMENTAL (G_VALUE_TYPE (value))) {
    case G_TYPE_UINT:
      changed = *(guint *) p != g_value_get_uint (value);
      *(guint *) p = g_value_get_uint (value);
      break;
    case G_TYPE_ENUM:
      changed = *(gint *) p != g_value_get_enum (value);
      *(gint *) p = g_value_get_enum (value);
      break;
    case G_TYPE_DOUBLE:
      changed = *(gdouble *) p != g_value_get_double (value);
      *(gdouble *) p = g_value_get_double (value);
      break;
    case G_TYPE_BOOLEAN:
      changed = *(gboolean *) p != g_value_get_boolean (value);
      *(gboolean *) p = g_value_get_boolean (value);
      break;
    case G_TYPE_STRING:
      changed = g_strcmp0 (*(gchar **) p, g_value_get_string (value)) != 0;
      g_free (*(gchar **) p);
      *(gchar **) p = g_value_dup_string (value);
      break;
    default:
      g_return_val_if_reached (FALSE);
  }
  return f->latency && changed;
}

static void
field_get (GObject * object, const GstGemma4Field * f, GValue * value)
{
  gpointer p = G_STRUCT_MEMBER_P (object, f->offset);

  switch (G_TYPE_FUNDAMENTAL (G_VALUE_TYPE (value))) {
    case G_TYPE_UINT:
      g_value_set_uint (value, *(guint *) p);
      break;
    case G_TYPE_ENUM:
      g_value_set_enum (value, *(gint *) p);
      break;
    case G_TYPE_DOUBLE:
      g_value_set_double (value, *(gdouble *) p);
      break;
    case G_TYPE_BOOLEAN:
      g_value_set_boolean (value, *(gboolean *) p);
      break;
    case G_TYPE_STRING:
      g_value_set_string (value, *(gchar **) p);
      break;
    default:
      g_return_if_reached ();
  }
}

/* The properties the model, the context or the server client are made
 * with. */
static gboolean
is_load_property (guint prop_id)
{
  return prop_id == GST_GEMMA4_PROP_MODEL_PATH
      || prop_id == GST_GEMMA4_PROP_BACKEND
      || prop_id == GST_GEMMA4_PROP_SERVER_URL
      || prop_id == GST_GEMMA4_PROP_SERVER_MODEL
      || prop_id == GST_GEMMA4_PROP_API_KEY_ENV
      || prop_id == GST_GEMMA4_PROP_MAX_INFLIGHT
      || prop_id == GST_GEMMA4_PROP_MAX_RETRIES
      || prop_id == GST_GEMMA4_PROP_API_DIALECT
      || prop_id == GST_GEMMA4_PROP_MMPROJ_PATH
      || prop_id == GST_GEMMA4_PROP_MODEL_INSTANCE_ID
      || prop_id == GST_GEMMA4_PROP_N_THREADS
      || prop_id == GST_GEMMA4_PROP_CONTEXT_SIZE
      || prop_id == GST_GEMMA4_PROP_SCHEDULING_POLICY
      || prop_id == GST_GEMMA4_PROP_MAX_BATCH;
}

/* The prompts' checks and the element's own. Call with the object lock. */
static gboolean
check_config (GstElement * element, gchar ** why)
{
  GstGemma4Element *core = core_of (element);
  const GstGemma4ElementInfo *info = core->info;

  return gst_gemma4_settings_check_prompts (&core->settings, info->name,
      info->placeholder, why) && (!info->check || info->check (element, why));
}

/* Sets a common or own property; TRUE when the reported latency changed.
 * error: prompt-path could not be read. Call with the object lock. */
static gboolean
apply_property (GstGemma4Element * core, GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec, GError ** error)
{
  const GstGemma4Field *f = find_field (core->info->fields, prop_id);
  gboolean latency_changed = FALSE;

  if (prop_id == GST_GEMMA4_PROP_LATENCY)
    latency_changed = g_value_get_uint (value) != core->settings.latency_ms;
  if (f)
    latency_changed = field_set (object, f, value);
  else if (!gst_gemma4_settings_set_property (&core->settings, prop_id, value,
          error))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  return latency_changed;
}

/* In PAUSED and PLAYING a value is checked as it is set: one the jobs
 * could not run with (prompt-path unreadable, a wrong placeholder, a task
 * without what it needs) is refused with a warning and the old value
 * kept, since the stream would otherwise end at the next job; the model's
 * files, threads and context are refused (the worker was made with them).
 * In NULL and READY every value is taken and checked when the element
 * goes to READY or PAUSED. */
static void
set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstGemma4Element *core = core_of (object);
  const GstGemma4Field *f = find_field (core->info->fields, prop_id);
  GstGemma4Settings old_settings;
  GValue old = G_VALUE_INIT;
  GError *error = NULL;
  gchar *why = NULL;
  gboolean latency_changed = FALSE, running;

  GST_OBJECT_LOCK (object);
  /* the target too: READY->PAUSED checks before the state says PAUSED */
  running = GST_STATE (object) > GST_STATE_READY
      || GST_STATE_TARGET (object) > GST_STATE_READY;
  if (running && is_load_property (prop_id)) {
    why = g_strdup_printf ("%s cannot change in %s: it is applied at the "
        "next NULL->READY; set it in NULL or READY", pspec->name,
        gst_element_state_get_name (MAX (GST_STATE (object),
                GST_STATE_TARGET (object))));
  } else if (running) {
    /* the old value, to go back to */
    g_value_init (&old, pspec->value_type);
    if (f)
      field_get (object, f, &old);
    gst_gemma4_settings_copy (&old_settings, &core->settings);
    latency_changed = apply_property (core, object, prop_id, value, pspec,
        &error);
    if (error)
      why = g_strdup_printf ("Could not read prompt-path: %s",
          error->message);
    else
      check_config (GST_ELEMENT (object), &why);
    if (why) {
      latency_changed = FALSE;
      if (f)
        field_set (object, f, &old);
      gst_gemma4_settings_clear (&core->settings);
      core->settings = old_settings;
    } else {
      gst_gemma4_settings_clear (&old_settings);
    }
    g_value_unset (&old);
  } else {
    latency_changed = apply_property (core, object, prop_id, value, pspec,
        &error);
    if (core->worker && is_load_property (prop_id))
      GST_INFO_OBJECT (object, "%s takes effect at the next NULL->READY",
          pspec->name);
  }
  GST_OBJECT_UNLOCK (object);
  if (why) {
    GST_ELEMENT_WARNING_WITH_DETAILS (object, LIBRARY, SETTINGS,
        ("%s refused (the old value is kept): %s", pspec->name, why), (NULL),
        ("reason", G_TYPE_STRING, "gemma4/property-refused",
            "property", G_TYPE_STRING, pspec->name, NULL));
  } else if (error) {
    GST_ELEMENT_WARNING (object, RESOURCE, OPEN_READ,
        ("Could not read prompt-path: %s", error->message), (NULL));
  }
  g_clear_error (&error);
  g_free (why);
  if (latency_changed)
    gst_gemma4_post_latency_changed (GST_ELEMENT (object));
}

/* The "stats" property: the element's, else the running worker's, else the
 * last run's, else zeros. Call with the object lock. */
static GstStructure *
stats (GstGemma4Element * core)
{
  if (core->info->stats)
    return core->info->stats (core->element);
  return gst_gemma4_worker_stats_property (core->worker, core->last_stats);
}

static void
get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstGemma4Element *core = core_of (object);
  const GstGemma4Field *f = find_field (core->info->fields, prop_id);

  GST_OBJECT_LOCK (object);
  if (prop_id == GST_GEMMA4_PROP_STATS)
    g_value_take_boxed (value, stats (core));
  else if (f)
    field_get (object, f, value);
  else if (!gst_gemma4_settings_get_property (&core->settings, prop_id,
          value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  GST_OBJECT_UNLOCK (object);
}

static GObjectClass *
parent_class_of (gpointer instance)
{
  return g_type_class_peek_parent (G_OBJECT_GET_CLASS (instance));
}

/* The own string properties' values. */
static void
clear_fields (GObject * object, const GstGemma4Field * fields)
{
  guint n;
  GParamSpec **pspecs =
      g_object_class_list_properties (G_OBJECT_GET_CLASS (object), &n);

  for (guint i = 0; i < n; i++) {
    const GstGemma4Field *f = find_field (fields, pspecs[i]->param_id);
    if (f && pspecs[i]->value_type == G_TYPE_STRING
        && pspecs[i]->owner_type == G_OBJECT_TYPE (object))
      g_clear_pointer ((gchar **) G_STRUCT_MEMBER_P (object, f->offset),
          g_free);
  }
  g_free (pspecs);
}

static void
finalize (GObject * object)
{
  GstGemma4Element *core = core_of (object);

  if (core->info->clear)
    core->info->clear (core->element);
  clear_fields (object, core->info->fields);
  gst_gemma4_settings_clear (&core->settings);
  if (core->last_stats)
    gst_structure_free (core->last_stats);
  gst_gemma4_output_clear (&core->output);
  parent_class_of (object)->finalize (object);
}

/* NULL->READY opens the worker (the configuration checks first), READY->NULL
 * closes it keeping its statistics; the element's own part around the
 * parent class's. */
static GstStateChangeReturn
change_state (GstElement * element, GstStateChange transition)
{
  GstGemma4Element *core = core_of (element);
  const GstGemma4ElementInfo *info = core->info;
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    gchar *why = NULL;
    GST_OBJECT_LOCK (element);
    check_config (element, &why);
    GST_OBJECT_UNLOCK (element);
    if (why) {
      GST_ELEMENT_ERROR (element, LIBRARY, SETTINGS, ("%s", why), (NULL));
      g_free (why);
      return GST_STATE_CHANGE_FAILURE;
    }
  }
  if (info->prepare && !info->prepare (element, transition))
    return GST_STATE_CHANGE_FAILURE;
  gst_gemma4_worker_change_state (core->worker, transition);
  /* a worker waiting for an output to take a result goes on (no sink takes
   * while paused) */
  if (transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED)
    gst_gemma4_output_pads_wake (&core->output.pads);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY
      && !gst_gemma4_worker_open (&core->worker, element, &core->settings,
          info->max_jobs, check_config))
    return GST_STATE_CHANGE_FAILURE;

  ret = GST_ELEMENT_CLASS (parent_class_of (element))->change_state (element,
      transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && ret ==
      GST_STATE_CHANGE_SUCCESS)
    ret = gst_gemma4_worker_wait_server (core->worker);

  if (transition == GST_STATE_CHANGE_READY_TO_NULL)
    gst_gemma4_worker_close (&core->worker, element, &core->last_stats,
        info->stats);
  if (info->finish)
    info->finish (element, transition);
  return ret;
}

/* ---- source pads ------------------------------------------------------ */

static gboolean
src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  return gst_gemma4_output_src_event (core_of (parent)->sinkpad, event);
}

static gboolean
src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstGemma4Element *core = core_of (parent);
  GstClockTime own;

  if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return gst_pad_query_default (pad, parent, query);
  GST_OBJECT_LOCK (parent);
  own = core->info->own_latency (core->element);
  GST_OBJECT_UNLOCK (parent);
  return gst_gemma4_upstream_answer_latency (&core->upstream, core->element,
      core->sinkpad, query, own);
}

static void
setup_src_pad (GstPad * pad)
{
  gst_pad_set_event_function (pad, GST_DEBUG_FUNCPTR (src_event));
  gst_pad_set_query_function (pad, GST_DEBUG_FUNCPTR (src_query));
  gst_pad_use_fixed_caps (pad);
}

void
gst_gemma4_element_add_src_pad (GstGemma4Element * core, GstPad * pad,
    gboolean json)
{
  setup_src_pad (pad);
  gst_element_add_pad (core->element, pad);
  gst_gemma4_output_add_pad (&core->output, pad, json);
}

/* text_src or a JSON pad (json_src, or gemma4asr's unsynced_src, its other
 * name), once each, started at its first output. */
static GstPad *
request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstGemma4Element *core = core_of (element);
  const gchar *pad_name = GST_PAD_TEMPLATE_NAME_TEMPLATE (templ);
  GstPad *pad = gst_pad_new_from_template (templ, pad_name);

  setup_src_pad (pad);
  /* an output first (activating starts its task), then active */
  if (!gst_gemma4_output_request_pad (&core->output, pad,
          strcmp (pad_name, "text_src") != 0)) {
    gst_object_unref (pad);
    GST_WARNING_OBJECT (element, "%s was already requested", pad_name);
    return NULL;
  }
  if (GST_STATE (element) > GST_STATE_READY
      || GST_STATE_TARGET (element) > GST_STATE_READY)
    gst_pad_set_active (pad, TRUE);
  gst_element_add_pad (element, pad);
  return pad;
}

/* Inactive first: its task stops before the output forgets the pad. */
static void
release_pad (GstElement * element, GstPad * pad)
{
  GstGemma4Output *out = &core_of (element)->output;
  gboolean ours;

  GST_OBJECT_LOCK (element);
  ours = pad == out->text.pad || pad == out->json.pad;
  GST_OBJECT_UNLOCK (element);
  if (!ours)
    return;
  gst_pad_set_active (pad, FALSE);
  gst_gemma4_output_release_pad (out, pad);
  gst_element_remove_pad (element, pad);
}

gboolean
gst_gemma4_element_is_leaky (GstGemma4Element * core, gboolean * live)
{
  const GstGemma4Settings *s = &core->settings;
  gboolean leaky;

  GST_OBJECT_LOCK (core->element);
  if (live)
    *live = core->upstream.live;
  leaky = s->leaky == GST_GEMMA4_LEAKY_NEWEST
      || (s->leaky == GST_GEMMA4_LEAKY_AUTO && core->upstream.live);
  GST_OBJECT_UNLOCK (core->element);
  return leaky;
}

/* ---- input events ----------------------------------------------------- */

gboolean
gst_gemma4_element_sink_event (GstGemma4Element * core,
    const GstGemma4InputFuncs * funcs, GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstElement *element = core->element;
  GstGemma4Output *out = &core->output;
  GstGemma4Worker *w = core->worker;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gboolean ret;
      gst_event_parse_caps (event, &caps);
      ret = funcs->set_caps (element, caps);
      gst_event_unref (event);
      return ret;
    }
    case GST_EVENT_SEGMENT:{
      const GstSegment *segment;
      gst_event_parse_segment (event, &segment);
      if (segment->format != GST_FORMAT_TIME) {
        GST_ELEMENT_ERROR (element, STREAM, FORMAT,
            ("%s needs a TIME segment, got %s", out->name,
                gst_format_get_name (segment->format)), (NULL));
        gst_event_unref (event);
        return FALSE;
      }
      funcs->finish (element);
      funcs->set_segment (element, segment);
      gst_gemma4_output_queue_event (out, w, event);
      return TRUE;
    }
    case GST_EVENT_GAP:{
      GstClockTime ts, duration;
      gst_event_parse_gap (event, &ts, &duration);
      funcs->finish (element);
      if (GST_CLOCK_TIME_IS_VALID (duration))
        gst_gemma4_output_queue_gap (out, w, ts, duration);
      gst_event_unref (event);
      return TRUE;
    }
    case GST_EVENT_EOS:
      funcs->finish (element);
      gst_gemma4_output_queue_event (out, w, event);
      return TRUE;
    case GST_EVENT_FLUSH_START:
      gst_gemma4_worker_set_flushing (w, TRUE);
      gst_gemma4_output_push_event_now (out, event);
      return TRUE;
    case GST_EVENT_FLUSH_STOP:
      gst_gemma4_worker_set_flushing (w, FALSE);
      funcs->flushed (element);
      gst_gemma4_output_push_event_now (out, event);
      return TRUE;
    case GST_EVENT_TAG:
      gst_event_unref (event);
      return TRUE;
    default:
      if (!GST_EVENT_IS_SERIALIZED (event))
        return gst_pad_event_default (pad, parent, event);
      gst_gemma4_output_queue_event (out, w, event);
      return TRUE;
  }
}

/* ---- setup ------------------------------------------------------------ */

void
gst_gemma4_element_class_init (GstElementClass * klass,
    const GstGemma4ElementInfo * info)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  if (!info_quark)
    info_quark = g_quark_from_static_string ("gst-gemma4-element-info");
  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), info_quark, (gpointer) info);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  klass->change_state = GST_DEBUG_FUNCPTR (change_state);
  klass->request_new_pad = GST_DEBUG_FUNCPTR (request_new_pad);
  klass->release_pad = GST_DEBUG_FUNCPTR (release_pad);
  gst_gemma4_settings_install_properties (gobject_class, info->defaults);
}

void
gst_gemma4_element_init (GstGemma4Element * core, GstElement * element,
    GstPad * sinkpad)
{
  core->element = element;
  core->info = info_of (element);
  core->sinkpad = sinkpad;
  core->stats_pspec = g_object_class_find_property (G_OBJECT_GET_CLASS
      (element), "stats");
  gst_gemma4_settings_init (&core->settings, core->info->defaults);
  gst_gemma4_output_init (&core->output, element, &core->settings,
      &core->upstream, core->info->name);
}

void
gst_gemma4_element_check_live (GstGemma4Element * core,
    const GstSegment * segment, GstClockTime pts)
{
  gboolean live;

  gst_gemma4_upstream_query (&core->upstream, core->element, core->sinkpad);
  GST_OBJECT_LOCK (core->element);
  live = core->upstream.live;
  GST_OBJECT_UNLOCK (core->element);
  if (live)
    gst_gemma4_output_queue_gap (&core->output, core->worker,
        GST_CLOCK_TIME_IS_VALID (pts) ? pts : segment->start, 0);
}

void
gst_gemma4_element_notify_stats (GstGemma4Element * core)
{
  g_object_notify_by_pspec (G_OBJECT (core->element), core->stats_pspec);
}
