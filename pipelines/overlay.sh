#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Burns the transcription into the video with textoverlay: each text buffer
# shows for its speech segment, GAP events keep the video moving over
# silence. INPUT is a video file with sound; without one, a test pattern is
# paired with the bundled long.wav. Shows the result when a display is
# available and OUT is not given, else writes OUT (Matroska, Theora + Vorbis).
# Usage: GEMMA4_MODEL=E2B.gguf GEMMA4_MMPROJ=mmproj.gguf \
#          pipelines/overlay.sh [INPUT] [OUT.mkv]
set -eu
. "$(dirname "$0")/common.sh"
out=${2:-}
if [ -z "$out" ] && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  out=gemma4-overlay.mkv
fi
overlay="textoverlay name=ov valignment=bottom font-desc=\"Sans 20\" wait-text=true"
# Text for a stretch of speech exists only once gemma4asr has heard it (up to
# chunk-duration, 5 s by default, plus inference): every branch that runs
# beside the text must be able to hold that much, or the pipeline stalls.
hold="queue max-size-time=15000000000 max-size-bytes=0 max-size-buffers=0"
if [ -n "$out" ]; then
  video_out="videoconvert ! theoraenc ! queue ! mux. matroskamux name=mux ! filesink location=\"\\\"$out\\\"\""
  audio_out="audioconvert ! vorbisenc ! queue ! mux."
else
  video_out="videoconvert ! autovideosink"
  audio_out="autoaudiosink"
fi
if [ $# -ge 1 ] && [ -n "$1" ]; then
  in=$(realpath "$1")
  eval gst-launch-1.0 -q -e uridecodebin uri="file://$in" name=dec \
    dec. ! $hold ! videoconvert ! ov.video_sink \
    dec. ! queue ! audioconvert ! tee name=t \
      t. ! queue ! audioresample ! $ASR ! ov.text_sink \
      t. ! $hold ! $audio_out \
    $overlay ! $video_out
else
  wav="$repo/tests/data/mm/long.wav"
  frames=$((72 * 10))
  eval gst-launch-1.0 -q -e \
    videotestsrc pattern=ball num-buffers=$frames ! \
      video/x-raw,width=640,height=360,framerate=10/1 ! ov.video_sink \
    filesrc location="\"$wav\"" ! wavparse ! audioconvert ! tee name=t \
      t. ! queue ! audioresample ! $ASR ! ov.text_sink \
      t. ! $hold ! $audio_out \
    $overlay ! $video_out
fi
[ -z "$out" ] || echo "wrote $out" >&2
