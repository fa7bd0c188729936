#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Describes the video every INTERVAL frames with gemma4vision task=describe
# and shows each description on the picture with textoverlay, fed by the
# element's text_src pad. A description is pushed when the next one is ready
# (its DURATION runs until then), so the video waits for it in a queue of
# INTERVAL + 30 frames in front of textoverlay (wait-text=true). INPUT is a
# video file; without one a test pattern plays. Shows the result when a
# display is available and OUT is not given, else writes OUT (Matroska, VP8).
# For live cameras prefer gemma4overlay draw-text=true with attach=repeat:
# a live sink cannot wait for the text.
# Usage: GEMMA4_MODEL=E2B.gguf GEMMA4_MMPROJ=mmproj.gguf \
#          pipelines/describe-on-interval.sh [INPUT] [OUT.mkv]
#   INTERVAL=N frames between descriptions (default 50),
#   GEMMA4_VISION_PROPS adds gemma4vision properties (e.g. prompt=...),
#   GEMMA4_LAUNCH=echo prints the pipeline instead of running it.
set -eu
usage() { sed -n '3,18s/^# \{0,1\}//p' "$0" >&2; }
case "${1:-}" in
  -h|--help) usage; exit 0;;
esac
. "$(dirname "$0")/common.sh"
gst-inspect-1.0 gemma4vision >/dev/null 2>&1 || {
  echo "gemma4vision not found: rebuild the plugin" >&2
  exit 1
}
interval=${INTERVAL:-50}
out=${2:-}
if [ -z "$out" ] && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  out=gemma4-described.mkv
fi
if [ $# -ge 1 ] && [ -n "$1" ]; then
  src="filesrc location=\"\\\"$(realpath "$1")\\\"\" ! decodebin"
else
  src="videotestsrc pattern=ball num-buffers=$((interval * 4)) ! video/x-raw,width=640,height=360,framerate=10/1"
fi
if [ -n "$out" ]; then
  video_out="videoconvert ! vp8enc deadline=1 ! matroskamux ! filesink location=\"\\\"$out\\\"\""
else
  video_out="videoconvert ! autovideosink"
fi
VISION="gemma4vision name=v model-path=\"$GEMMA4_MODEL\" mmproj-path=\"$GEMMA4_MMPROJ\" task=describe inference-interval=$interval ${GEMMA4_VISION_PROPS:-}"
hold="queue max-size-buffers=$((interval + 30)) max-size-bytes=0 max-size-time=0"
eval ${GEMMA4_LAUNCH:-gst-launch-1.0} -q -e $src ! videoconvert ! $VISION ! \
  $hold ! ov.video_sink \
  v.text_src ! queue ! ov.text_sink \
  textoverlay name=ov valignment=bottom wrap-mode=word \
    font-desc=\"Sans 16\" wait-text=true ! $video_out
[ -z "$out" ] || echo "wrote $out" >&2
