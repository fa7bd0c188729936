#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# gemma4asr, gemma4vision (describe, detect) and gemma4caption with
# backend=openai against llama-server serving the same files as
# backend=local. usage: test_remote_elements.py CASE, CASE one of
#   agreement    the same jobs with the same timing as backend=local, and the
#                same greedy answers for at least 90 % of the audio jobs
#                (rates printed; see IMAGE_ATTENTION for the image jobs)
#   two-servers  two servers in server-url share the load
#   failover     one of two servers killed mid-stream: nothing lost beyond
#                the jobs in flight, the other takes over
#   live-restart a live 30 s audio and a 10 s 30 fps video keep real time
#                while the server is killed and restarted
#   classify     task=classify: the server constrains the answer to the
#                labels (response_format), every answer is one of them
# (GEMMA4_TEST_MODEL, GEMMA4_TEST_MMPROJ, GEMMA4_TEST_DATA, GST_PLUGIN_PATH
# set by meson; llama-server from llama_server.find_binary)
import math
import os
import sys
import time

from llama_server import LlamaServer, http_json, require_binary
from pipeline_records import run

MODEL = os.environ["GEMMA4_TEST_MODEL"]
MMPROJ = os.environ["GEMMA4_TEST_MMPROJ"]
DATA = os.environ["GEMMA4_TEST_DATA"]
LOCAL = f"model-path={MODEL} mmproj-path={MMPROJ} n-threads=1"
GREEDY = "temperature=0"
MIN_AGREEMENT = 0.9
# The image jobs' answers are printed, not required to agree: backend=openai
# sends each frame as JPEG (4:2:0, lossy) and llama-server decodes it with its
# own JPEG decoder, so its vision encoder sees other pixels than
# backend=local, and the random model's answers follow every pixel (even the
# same JPEG file decoded by FFmpeg and by llama-server gives other answers).
# The tiny model's width (128) adds a second difference: llama.cpp attends
# the image rows bidirectionally as for 26B/31B, our engine causally as for
# E2B (tests/data/vision/README.md). test_image_agreement.py compares the
# decoders on the same pixels, on a model where both attend alike. The audio
# jobs send lossless WAV and compute the same.
IMAGE_ATTENTION = {"describe", "detect", "caption"}


def remote(*servers, timeout=120000):
    # file jobs wait for their answer however loaded the machine is
    urls = ",".join(s.url for s in servers)
    return f"backend=openai server-url={urls} request-timeout={timeout}"


def server():
    # four slots: up to four requests decode together, as with a real engine;
    # an image's rows must fit one micro-batch (non-causal attention)
    return LlamaServer(MODEL, MMPROJ, parallel=4, ctx=8192,
                       extra=("--metrics", "-b", "2048", "-ub", "2048"))


# The file jobs of the agreement test: every element and task in one pipeline.
def file_jobs(backend):
    wav = os.path.join(DATA, "mm", "long.wav")
    frames = "video/x-raw,width=160,height=120,framerate=10/1"
    return (
        f"filesrc location={wav} ! wavparse ! audioconvert ! audioresample ! "
        "audio/x-raw,format=S16LE,rate=16000,channels=1 ! "
        f"gemma4asr name=asr {backend} {GREEDY} max-tokens=4 vad=none "
        "chunk-duration=2000 chunk-overlap=0 ! appsink name=text_asr sync=false "
        f"videotestsrc pattern=ball num-buffers=20 ! {frames} ! "
        f"gemma4vision name=describe {backend} {GREEDY} max-tokens=4 ! fakesink sync=false "
        f"videotestsrc pattern=smpte num-buffers=6 ! {frames} ! "
        f"gemma4vision name=detect {backend} {GREEDY} task=detect labels=person,car "
        "max-tokens=24 ! fakesink sync=false "
        f"videotestsrc pattern=ball num-buffers=60 ! {frames} ! "
        f"gemma4caption name=caption {backend} {GREEDY} max-tokens=4 window=1000 "
        "frames-per-window=2 ! appsink name=text_caption sync=false")


def by_element(records):
    out = {}
    for r in records:
        out.setdefault(r["element"], []).append(r)
    for rs in out.values():
        rs.sort(key=lambda r: (r["start"] if r["start"] is not None else -1))
    return out


def timing(r):
    return (r["start"], r["duration"], r["timestamp"])


def check_run(name, result):
    ok = True
    if result.errors or not result.eos:
        print(f"FAIL: {name}: {'error ' + result.errors[0] if result.errors else 'no EOS'}")
        ok = False
    return ok


def case_agreement():
    local = run(file_jobs(LOCAL), timeout=600)
    if not check_run("backend=local", local):
        return 1
    with server() as srv:
        served = run(file_jobs(remote(srv)), timeout=600)
    if not check_run("backend=openai", served):
        return 1
    failures = 0
    same, total = {True: 0, False: 0}, {True: 0, False: 0}
    want, got = by_element(local.records), by_element(served.records)
    for element in sorted(want):
        a, b = want[element], got.get(element, [])
        if [timing(r) for r in a] != [timing(r) for r in b]:
            print(f"FAIL: {element}: jobs or timing differ: local {[timing(r) for r in a]}, "
                  f"openai {[timing(r) for r in b]}")
            failures += 1
            continue
        bad = [r for r in b if r["status"] not in ("ok", "empty")]
        if bad:
            print(f"FAIL: {element}: {len(bad)} jobs with status {bad[0]['status']}")
            failures += 1
        n_same = sum(1 for x, y in zip(a, b) if x["text"] == y["text"])
        print(f"{element}: {n_same}/{len(a)} answers equal")
        for x, y in zip(a, b):
            if x["text"] != y["text"]:
                print(f"  at {x['start']}: local {x['text']!r}, openai {y['text']!r}")
        same[element in IMAGE_ATTENTION] += n_same
        total[element in IMAGE_ATTENTION] += len(a)
    for sink in sorted(local.buffers):
        ta = [(p, d) for p, d, _ in local.buffers[sink]]
        tb = [(p, d) for p, d, _ in served.buffers.get(sink, [])]
        if ta != tb:
            print(f"FAIL: {sink}: text buffers' PTS/duration differ: local {ta}, openai {tb}")
            failures += 1
        else:
            print(f"{sink}: {len(ta)} text buffers with the same PTS/duration")
    for images in (False, True):
        rate = same[images] / total[images] if total[images] else 0.0
        print(f"agreement, {'image' if images else 'audio'} jobs: {same[images]}/{total[images]} "
              f"= {100 * rate:.1f} %")
    print(f"wall: local {local.wall:.1f} s, openai {served.wall:.1f} s")
    if not total[False] or same[False] < MIN_AGREEMENT * total[False]:
        print(f"FAIL: audio agreement below {100 * MIN_AGREEMENT:.0f} %")
        failures += 1
    return 1 if failures else 0


def metric(srv, name):
    """A counter of llama-server's Prometheus /metrics (0 when absent)."""
    try:
        status, text = http_json(srv.url + "/metrics", timeout=5)
    except OSError:
        return 0.0
    if status != 200 or not isinstance(text, str):
        return 0.0
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def describe_frames(backend, n, name="describe"):
    return (f"videotestsrc pattern=ball num-buffers={n} ! "
            "video/x-raw,width=160,height=120,framerate=10/1 ! "
            f"gemma4vision name={name} {backend} {GREEDY} max-tokens=4 ! fakesink sync=false ")


def case_two_servers():
    with server() as a, server() as b:
        both = remote(a, b)
        result = run(describe_frames(both, 12, "one") + describe_frames(both, 12, "two"),
                     timeout=300)
        done = [metric(s, "llamacpp:tokens_predicted_total") for s in (a, b)]
    if not check_run("two servers", result):
        return 1
    ok = [r for r in result.records if r["status"] in ("ok", "empty")]
    print(f"two elements, two servers: {len(ok)}/{len(result.records)} jobs answered; "
          f"tokens predicted per server: {done[0]:.0f}, {done[1]:.0f}")
    if len(result.records) != 24 or len(ok) != 24:
        print("FAIL: every frame should have been answered")
        return 1
    if min(done) < 0.25 * sum(done):
        print("FAIL: one server did less than a quarter of the work")
        return 1
    return 0


def case_failover():
    with server() as a, server() as b:
        killed = {}

        def kill_a(pipe, result):
            deadline = time.monotonic() + 120
            while len(result.records) < 6 and time.monotonic() < deadline:
                time.sleep(0.05)
            killed["at"] = len(result.records)
            killed["b_before"] = metric(b, "llamacpp:tokens_predicted_total")
            a.kill()
        result = run(describe_frames(remote(a, b), 40), timeout=400, during=kill_a)
        b_after = metric(b, "llamacpp:tokens_predicted_total")
    if not check_run("failover", result):
        return 1
    lost = [r for r in result.records if r["status"] not in ("ok", "empty")]
    print(f"server A killed after {killed.get('at')} results; {len(result.records)} records, "
          f"{len(lost)} not answered; server B predicted {killed.get('b_before', 0):.0f} "
          f"tokens before, {b_after:.0f} after; warnings: {len(result.warnings)}")
    failures = 0
    if len(result.records) != 40:
        print("FAIL: every frame should have a record")
        failures += 1
    if len(lost) > 1:  # an element has one request out at a time
        print(f"FAIL: {len(lost)} jobs lost, more than were in flight")
        failures += 1
    if b_after <= killed.get("b_before", 0):
        print("FAIL: server B did not take over")
        failures += 1
    return 1 if failures else 0


def case_live_restart():
    # a latency budget that a loaded 2-core machine meets; request-timeout
    # follows it
    live = f"{GREEDY} latency=4000 max-tokens=2"
    with server() as srv:
        # 30 s of audio, longer when the server takes long to start (a busy
        # machine) so that answers can resume after the restart: the kill at
        # 3 s, the restart 1 s later, then 10 s of answers
        seconds = max(30, 2 * math.ceil((4 + 1.5 * srv.ready_after + 10) / 2))
        audio = ("audiotestsrc is-live=true wave=pink-noise volume=0.3 samplesperbuffer=1600 "
                 f"num-buffers={10 * seconds} ! audio/x-raw,format=S16LE,rate=16000,channels=1 ! ")
        video = ("videotestsrc is-live=true pattern=ball num-buffers=300 ! "
                 "video/x-raw,width=160,height=120,framerate=30/1 ! ")
        urls = f"backend=openai server-url={srv.url}"
        desc = (f"{audio} gemma4asr name=asr {urls} {live} vad=none chunk-duration=2000 "
                "chunk-overlap=0 ! appsink name=text_asr sync=true "
                f"{video} gemma4vision name=describe {urls} {live} ! fakesink sync=true")
        marks = {}

        def kill_and_restart(pipe, result):
            time.sleep(3)
            marks["killed"] = time.monotonic()
            srv.kill()
            time.sleep(1)
            srv.restart()
            marks["back"] = time.monotonic()
        start = time.monotonic()
        result = run(desc, timeout=seconds + 60, during=kill_and_restart)
    failures = 0 if check_run("live", result) else 1
    killed = marks.get("killed", start) - start
    back = marks.get("back", start) - start
    after = [r for r in result.records if r["status"] == "ok" and r["arrival"] > back]
    print(f"live: {result.wall:.1f} s for {seconds} s of audio and 10 s of 30 fps video; server "
          f"killed at {killed:.1f} s, back at {back:.1f} s; {len(after)} answers after; "
          f"{len(result.warnings)} warnings")
    for element, rs in sorted(by_element(result.records).items()):
        statuses = {}
        for r in rs:
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1
        print(f"  {element}: {len(rs)} records {statuses}")
    for w in sorted(set(result.warnings)):
        print(f"  warning: {w}")
    # real time: the live sources end after `seconds`; the pipeline may add
    # the latency budget of the last chunk, not the outage
    if result.wall > seconds + 4 + 5:
        print("FAIL: the live pipeline fell behind real time")
        failures += 1
    if len(by_element(result.records).get("asr", [])) != seconds // 2:
        print("FAIL: every 2 s audio chunk needs a record")
        failures += 1
    if not after:
        print("FAIL: no answer after the server came back")
        failures += 1
    return 1 if failures else 0


def case_classify():
    labels = ["cat", "dog", "traffic light"]
    with server() as srv:
        result = run(f"videotestsrc pattern=ball num-buffers=8 ! "
                     "video/x-raw,width=160,height=120,framerate=10/1 ! "
                     f"gemma4vision {remote(srv)} {GREEDY} task=classify "
                     f"labels=\"{','.join(labels)}\" max-tokens=48 ! fakesink sync=false",
                     timeout=300)
    if not check_run("classify", result):
        return 1
    answers = [r["text"] for r in result.records]
    print(f"classify, 8 frames: {answers}")
    if len(answers) != 8 or any(a not in labels for a in answers):
        print(f"FAIL: every answer should be one of {labels}")
        return 1
    return 0


CASES = {
    "agreement": case_agreement,
    "two-servers": case_two_servers,
    "failover": case_failover,
    "live-restart": case_live_restart,
    "classify": case_classify,
}

if __name__ == "__main__":
    require_binary()
    sys.exit(CASES[sys.argv[1]]())
