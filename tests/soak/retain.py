#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# retain.c as a Python (GI) application would write it: gemma4vision or
# gemma4caption on N frames with the tiny model, every gemma4-result message
# kept in a list; the anonymous memory after warm-up (a quarter of the
# results) may grow only by twice what the kept messages hold plus 8 MiB.
# usage: retain.py vision|caption N (GEMMA4_TEST_MODEL, GEMMA4_TEST_MMPROJ,
# GST_PLUGIN_PATH set by meson)
import os
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def anon_rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


def main():
    kind, n = sys.argv[1], int(sys.argv[2])
    model, mmproj = os.environ["GEMMA4_TEST_MODEL"], os.environ["GEMMA4_TEST_MMPROJ"]
    Gst.init(None)
    element = (f"gemma4vision model-path={model} mmproj-path={mmproj} max-tokens=2 n-threads=1"
               if kind == "vision" else
               f"gemma4caption model-path={model} mmproj-path={mmproj} window=1000 "
               "frames-per-window=2 max-tokens=2 n-threads=1")
    pipe = Gst.parse_launch(f"videotestsrc pattern=ball num-buffers={n} ! "
                            "video/x-raw,width=320,height=240,framerate=10/1 ! "
                            f"{element} ! fakesink")
    expected = n if kind == "vision" else n // 10
    warm_after = max(expected // 4, 5)
    bus = pipe.get_bus()
    pipe.set_state(Gst.State.PLAYING)
    kept, kept_bytes, warm_rss, warm_kept, peak = [], 0, 0, 0, 0
    print(f"{kind} (Python), {n} frames: results, anonymous RSS (MiB), kept messages (KiB)")
    while True:
        m = bus.timed_pop_filtered(600 * Gst.SECOND, Gst.MessageType.ELEMENT
                                   | Gst.MessageType.EOS | Gst.MessageType.ERROR)
        if m is None or m.type == Gst.MessageType.ERROR:
            print("no EOS" if m is None else f"error: {m.parse_error()[0].message}")
            return 1
        if m.type == Gst.MessageType.EOS:
            break
        s = m.get_structure()
        if s.get_name() != "gemma4-result":
            continue
        kept.append(m)
        kept_bytes += len(s.to_string()) + 64
        rss = anon_rss()
        peak = max(peak, rss)
        if len(kept) == warm_after:
            warm_rss, warm_kept = rss, kept_bytes
        if len(kept) % max(expected // 10, 1) == 0:
            print(f"{len(kept):6d} {rss / 1048576:8.1f} {kept_bytes / 1024:8.1f}")
    pipe.set_state(Gst.State.NULL)
    growth = peak - warm_rss
    allowed = 2 * (kept_bytes - warm_kept) + (8 << 20)
    print(f"{len(kept)} results; anonymous RSS after warm-up {warm_rss / 1048576:.1f} MiB, "
          f"peak {peak / 1048576:.1f} MiB: growth {growth / 1048576:.1f} MiB, "
          f"allowed {allowed / 1048576:.1f} MiB")
    if len(kept) <= warm_after or growth > allowed:
        print("FAIL: memory grew by more than the kept results account for")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
