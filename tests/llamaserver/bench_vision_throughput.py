#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Throughput of gemma4vision (results/s) with 1, 2 and 4 elements sharing one
# llama-server (4 slots), each element with one request in flight at a time
# (max-inflight=1) and with four (max-inflight=4), next to the same elements
# on the local engine (sharing one loaded model), interleaved (local, server,
# server, local, ...) to share the machine's noise. Rate: results after the first / time from the first to
# the last, so that model loading and server start do not count.
# usage: bench_vision_throughput.py [FRAMES_PER_ELEMENT] [THREADS]
# (meson test -C build --benchmark --suite llama-server)
import os
import sys

from llama_server import LlamaServer, require_binary
from pipeline_records import run

MODEL = os.environ["GEMMA4_TEST_MODEL"]
MMPROJ = os.environ["GEMMA4_TEST_MMPROJ"]


RUNS = [0]


def pipeline(n_elements, frames, backend):
    # a ball of another colour in every branch of every run: llama-server
    # keeps the prompts (images included) it saw, and would answer frames of
    # an earlier run from its cache
    branches = []
    for _ in range(n_elements):
        RUNS[0] += 1
        branches.append(
            f"videotestsrc pattern=ball foreground-color={0xff000000 + RUNS[0] * 0x010203} "
            f"num-buffers={frames} ! video/x-raw,width=160,height=120,framerate=10/1 ! "
            f"gemma4vision {backend} temperature=0 max-tokens=4 ! fakesink sync=false ")
    return "".join(branches)


def rate(result):
    times = sorted(r["arrival"] for r in result.records if r["status"] in ("ok", "empty"))
    if len(times) < 2 or times[-1] <= times[0]:
        return 0.0
    return (len(times) - 1) / (times[-1] - times[0])


def main():
    require_binary()
    frames = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    local = f"model-path={MODEL} mmproj-path={MMPROJ} n-threads={threads}"
    print(f"gemma4vision, tiny model, 160x120 frames, max-tokens=4, greedy; {frames} frames per "
          f"element; local n-threads={threads}; llama-server -t {threads} -np 4")
    print("elements  local results/s  llama-server results/s (max-inflight 1 / 4)  "
          "ratio (4 / local)")
    with LlamaServer(MODEL, MMPROJ, parallel=4, ctx=8192, threads=threads) as srv:
        # file jobs: wait for every answer, as the local engine does
        remote = f"backend=openai server-url={srv.url} request-timeout=120000"
        # warm both up (the first images of a process are slow)
        run(pipeline(1, 4, local), timeout=900)
        run(pipeline(1, 4, remote), timeout=900)
        for n in (1, 2, 4):
            a = run(pipeline(n, frames, local), timeout=900)
            b1 = run(pipeline(n, frames, remote + " max-inflight=1"), timeout=900)
            b4 = run(pipeline(n, frames, remote + " max-inflight=4"), timeout=900)
            errors = a.errors + b1.errors + b4.errors
            if errors:
                print(f"error: {errors[0]}")
                return 1
            ra, r1, r4 = rate(a), rate(b1), rate(b4)
            print(f"{n:8d}  {ra:15.2f}  {r1:18.2f} / {r4:5.2f}  {r4 / ra if ra else 0:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
