#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Results per second of several gemma4vision elements sharing one model,
each on its own live source (many cameras on one machine).

usage: GST_PLUGIN_PATH=build/gst-plugin scripts/bench-shared-model.py \\
           MODEL.gguf MMPROJ.gguf [--streams 4] [--fps 10] [--seconds 60] \\
           [--max-batch N] [--max-tokens 32] [--threads T] [--warmup S]
           [--policy auto|latency|throughput]

Runs STREAMS branches videotestsrc is-live=true (each its own pattern, FPS
frames/s) ! gemma4vision task=describe ! fakesink for SECONDS after WARMUP
seconds, and prints one JSON object: results_per_s (all elements), each
element's results_per_s, its share of the results, drops, batch_max (the
most jobs decoded together), image_batch_max (the most frames encoded in
one call) and prompt_reused (prompt positions not computed again), and
the settings."""
import argparse
import json
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def jobs_of(element):
    stats = element.get_property("stats")
    return (stats.get_value("jobs"), stats.get_value("drops"),
            stats.get_value("batch-max"), stats.get_value("image-batch-max"),
            stats.get_value("prompt-reused"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("mmproj")
    ap.add_argument("--streams", type=int, default=4)
    ap.add_argument("--fps", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=10)
    ap.add_argument("--max-batch", type=int, default=4)
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--policy", default="auto",
                    choices=["auto", "latency", "throughput"])
    a = ap.parse_args()
    Gst.init(None)
    patterns = [0, 1, 13, 18, 24, 11, 12, 14]
    branches = []
    for i in range(a.streams):
        branches.append(
            f"videotestsrc is-live=true pattern={patterns[i % len(patterns)]} ! "
            f"video/x-raw,format=RGB,width=320,height=240,framerate={a.fps}/1 ! "
            f"gemma4vision name=v{i} model-path=\"{a.model}\" "
            f"mmproj-path=\"{a.mmproj}\" task=describe max-tokens={a.max_tokens} "
            f"max-batch={a.max_batch} scheduling-policy={a.policy} "
            f"n-threads={a.threads} ! fakesink sync=false")
    pipe = Gst.parse_launch(" ".join(branches))
    elements = [pipe.get_by_name(f"v{i}") for i in range(a.streams)]
    bus = pipe.get_bus()
    pipe.set_state(Gst.State.PLAYING)

    def run_for(seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            msg = bus.timed_pop_filtered(100 * Gst.MSECOND, Gst.MessageType.ERROR)
            if msg:
                err, dbg = msg.parse_error()
                sys.exit(f"error: {err.message} ({dbg})")

    run_for(a.warmup)
    before = [jobs_of(e) for e in elements]
    t0 = time.monotonic()
    run_for(a.seconds)
    after = [jobs_of(e) for e in elements]
    wall = time.monotonic() - t0
    pipe.set_state(Gst.State.NULL)
    per = [{"results_per_s": (b[0] - f[0]) / wall, "drops": b[1] - f[1],
            "batch_max": b[2], "image_batch_max": b[3],
            "prompt_reused": b[4] - f[4]} for f, b in zip(before, after)]
    total = sum(p["results_per_s"] for p in per)
    for p in per:
        p["share"] = p["results_per_s"] / total if total > 0 else 0.0
    print(json.dumps({
        "results_per_s": total,
        "elements": per, "streams": a.streams, "fps": a.fps,
        "max_batch": a.max_batch, "policy": a.policy,
        "max_tokens": a.max_tokens,
        "seconds": wall, "threads": a.threads}))


if __name__ == "__main__":
    main()
