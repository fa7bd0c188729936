#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs each pipeline script for real on a few small frames or seconds of
# sound with the tiny test model (GEMMA4_MODEL, GEMMA4_MMPROJ,
# GEMMA4_BUILD_DIR set by meson) and checks what it wrote: the video file and
# JSON lines of camera-analytics.sh, the video of describe-on-interval.sh,
# the subtitles of film-to-srt.sh and file-to-srt.sh (a path with spaces),
# live-console.sh's stdout (not written over), overlay.sh reaching the end
# of a file whose sound outlasts its video. The tiny model's text is gibberish: only the structure
# is checked.
# Usage: test_pipelines_run.sh SCRIPT
set -eu
script=$(realpath "$1")
name=$(basename "$script")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
unset DISPLAY WAYLAND_DISPLAY || true
fast="n-threads=2 max-tokens=6 max-soft-tokens=70"
asr="n-threads=2 max-tokens=4"

# Runs the script (arguments after the environment assignments) with its
# log kept: a GLib CRITICAL or WARNING there fails the test.
run() {
  env "$@" 2>log.txt || { cat log.txt >&2; echo "$name failed" >&2; exit 1; }
  if grep -q -E "(CRITICAL|WARNING) \*\*" log.txt; then
    cat log.txt >&2
    echo "$name: GLib CRITICAL or WARNING in the log" >&2
    exit 1
  fi
}

nonempty() {
  [ -s "$1" ] || { echo "$name wrote no $1" >&2; exit 1; }
}

case "$name" in
  camera-analytics.sh)
    run GEMMA4_SOURCE="videotestsrc num-buffers=3 ! video/x-raw,width=128,height=96,framerate=5/1" \
      GEMMA4_VISION_PROPS="$fast" JSON=d.jsonl "$script" "" out.mkv
    nonempty out.mkv
    nonempty d.jsonl
    lines=$(grep -c '^{.*}$' d.jsonl)
    [ "$lines" -eq "$(wc -l < d.jsonl)" ] || {
      echo "d.jsonl has lines that are not JSON objects:" >&2
      cat d.jsonl >&2
      exit 1
    }
    grep -q '"objects"' d.jsonl || { echo "no objects list in d.jsonl" >&2; exit 1; }
    echo "$name: 3 frames, $(wc -c < out.mkv) bytes of video, $lines JSON lines"
    ;;
  describe-on-interval.sh)
    run INTERVAL=2 GEMMA4_VISION_PROPS="$fast" "$script" "" out.mkv
    nonempty out.mkv
    echo "$name: 8 frames, a description every 2, $(wc -c < out.mkv) bytes of video"
    ;;
  film-to-srt.sh)
    gst-launch-1.0 -q videotestsrc num-buffers=20 ! \
      video/x-raw,width=128,height=96,framerate=10/1 ! vp8enc deadline=1 ! \
      matroskamux ! filesink location=film.mkv
    run WINDOW=1000 GEMMA4_CAPTION_PROPS="$fast frames-per-window=2" \
      "$script" film.mkv film.srt
    nonempty film.srt
    cues=$(grep -c -- '-->' film.srt)
    [ "$cues" -ge 2 ] || { echo "film.srt: $cues cues for 2 windows" >&2; cat film.srt >&2; exit 1; }
    echo "$name: 2 s of video in 1 s windows, $cues SubRip cues"
    ;;
  file-to-srt.sh)
    # a path with a space (and the default OUT next to it)
    mkdir "my talks"
    cp "$(dirname "$script")/../tests/data/mm/speech.wav" "my talks/a talk.wav"
    run GEMMA4_ASR_PROPS="$asr" "$script" "my talks/a talk.wav"
    [ -f "my talks/a talk.srt" ] || { echo "$name wrote no 'my talks/a talk.srt'" >&2; exit 1; }
    echo "$name: a path with spaces, $(grep -c -- '-->' "my talks/a talk.srt") SubRip cues"
    ;;
  live-console.sh)
    # SubRip on stdout after what was printed before, even into a file
    (echo "before"; GEMMA4_ASR_PROPS="$asr" "$script" 3) > out.txt 2>log.txt || {
      cat log.txt >&2; echo "$name failed" >&2; exit 1; }
    [ "$(head -n 1 out.txt)" = before ] || {
      echo "$name wrote over what stdout had before:" >&2; head -c 200 out.txt | od -c | head >&2; exit 1; }
    cues=$(grep -c -- '-->' out.txt)
    [ "$cues" -ge 1 ] || { echo "$name: no SubRip cue on stdout" >&2; cat out.txt >&2; exit 1; }
    echo "$name: 3 s live, $cues SubRip cues after the line printed before"
    ;;
  overlay.sh)
    # the sound outlasts the video by 58 s: textoverlay takes no text after
    # the video's end, and the pipeline must still run to the end
    gst-launch-1.0 -q videotestsrc num-buffers=20 ! \
      video/x-raw,width=128,height=96,framerate=10/1 ! vp8enc deadline=1 ! queue ! mux. \
      audiotestsrc wave=sine freq=220 samplesperbuffer=1600 num-buffers=600 ! audioconvert ! \
      vorbisenc ! queue ! mux. matroskamux name=mux ! filesink location=av.mkv
    GEMMA4_ASR_PROPS="$asr" timeout 60 "$script" av.mkv out.mkv 2>log.txt || {
      cat log.txt >&2; echo "$name failed or hung (status $?)" >&2; exit 1; }
    nonempty out.mkv
    echo "$name: 2 s of video with 60 s of sound, $(wc -c < out.mkv) bytes written"
    ;;
  *) echo "unknown script $name" >&2; exit 1 ;;
esac
