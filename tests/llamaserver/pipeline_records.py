# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs a gst-launch description to EOS (or for a while) and keeps what the
# gemma4 elements said: every gemma4-result record of the bus, the buffers of
# appsinks named text* (PTS, duration, text), warnings and errors. What the
# remote tests compare between backend=local and backend=openai.
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

Gst.init(None)

RECORD_FIELDS = ("kind", "status", "text", "start", "duration", "timestamp", "element")


class Run:
    def __init__(self):
        self.records = []
        self.buffers = {}
        self.warnings = []
        self.errors = []
        self.eos = False
        self.wall = 0.0


def _field(s, name):
    return s.get_value(name) if s.has_field(name) else None


def _keep_buffers(sink, store, lock):
    def on_sample(appsink):
        sample = appsink.emit("pull-sample")
        buf = sample.get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        text = bytes(info.data).decode(errors="replace") if ok else ""
        if ok:
            buf.unmap(info)
        with lock:
            store.append((buf.pts, buf.duration, text))
        return Gst.FlowReturn.OK
    sink.set_property("emit-signals", True)
    sink.connect("new-sample", on_sample)


def run(description, timeout, during=None):
    """Plays description until EOS, an ERROR or timeout seconds; during(pipeline,
    run) is called on a thread once PLAYING (to kill servers mid-stream)."""
    result = Run()
    pipe = Gst.parse_launch(description)
    lock = threading.Lock()
    it = pipe.iterate_sinks()
    while True:
        ok, sink = it.next()
        if ok != Gst.IteratorResult.OK:
            break
        if sink.get_name().startswith("text") and sink.get_factory().get_name() == "appsink":
            result.buffers[sink.get_name()] = []
            _keep_buffers(sink, result.buffers[sink.get_name()], lock)
    bus = pipe.get_bus()
    start = time.monotonic()
    pipe.set_state(Gst.State.PLAYING)
    helper = None
    if during:
        helper = threading.Thread(target=during, args=(pipe, result), daemon=True)
        helper.start()
    deadline = start + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        m = bus.timed_pop_filtered(int(min(left, 1.0) * Gst.SECOND),
                                   Gst.MessageType.ELEMENT | Gst.MessageType.EOS
                                   | Gst.MessageType.ERROR | Gst.MessageType.WARNING)
        if m is None:
            continue
        if m.type == Gst.MessageType.EOS:
            result.eos = True
            break
        if m.type == Gst.MessageType.ERROR:
            result.errors.append(m.parse_error()[0].message)
            break
        if m.type == Gst.MessageType.WARNING:
            result.warnings.append(m.parse_warning()[0].message)
            continue
        s = m.get_structure()
        if s is None or s.get_name() != "gemma4-result":
            continue
        record = {f: _field(s, f) for f in RECORD_FIELDS}
        record["arrival"] = time.monotonic() - start
        with lock:
            result.records.append(record)
    result.wall = time.monotonic() - start
    if helper:
        helper.join(timeout=30)
    pipe.set_state(Gst.State.NULL)
    return result
