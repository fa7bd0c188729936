#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Camera analytics: gemma4vision task=detect finds the objects named in
# LABELS on a camera stream, gemma4overlay draws their boxes and labels, the
# video is shown (or written to OUT, Matroska with VP8) and every result goes
# as one JSON line into the file JSON. SOURCE is an rtsp:// URL, a video file,
# or nothing for a live test pattern (live sources run until Ctrl-C, which
# ends the file properly). Inference runs off the streaming thread
# (attach=next): frames are never held back, and when the model is slower
# than the camera, frames pass without boxes until the next result.
# Usage: GEMMA4_MODEL=E2B.gguf GEMMA4_MMPROJ=mmproj.gguf \
#          pipelines/camera-analytics.sh [SOURCE] [OUT.mkv]
#   LABELS="person,car" (default) names what to look for,
#   JSON=FILE (default gemma4-detections.jsonl) receives the results,
#   GEMMA4_VISION_PROPS adds gemma4vision properties (e.g. min-interval=500),
#   GEMMA4_SOURCE replaces the source with a gst-launch fragment,
#   GEMMA4_LAUNCH=echo prints the pipeline instead of running it.
set -eu
usage() { sed -n '3,18s/^# \{0,1\}//p' "$0" >&2; }
case "${1:-}" in
  -h|--help) usage; exit 0;;
esac
. "$(dirname "$0")/common.sh"
for element in gemma4vision gemma4overlay; do
  gst-inspect-1.0 $element >/dev/null 2>&1 || {
    echo "$element not found: rebuild the plugin" >&2
    exit 1
  }
done
labels=${LABELS:-person,car}
json=${JSON:-gemma4-detections.jsonl}
out=${2:-}
if [ -z "$out" ] && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  out=gemma4-camera.mkv
fi
case "${1:-}" in
  "") src="videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=480,framerate=15/1";;
  rtsp://*|rtsps://*) src="rtspsrc location=\"$1\" latency=200 ! decodebin";;
  *) src="filesrc location=\"\\\"$(realpath "$1")\\\"\" ! decodebin";;
esac
src=${GEMMA4_SOURCE:-$src}
if [ -n "$out" ]; then
  video_out="videoconvert ! vp8enc deadline=1 ! matroskamux ! filesink location=\"\\\"$out\\\"\""
else
  video_out="videoconvert ! autovideosink"
fi
VISION="gemma4vision name=v model-path=\"$GEMMA4_MODEL\" mmproj-path=\"$GEMMA4_MMPROJ\" task=detect labels=\"$labels\" attach=next ${GEMMA4_VISION_PROPS:-}"
eval ${GEMMA4_LAUNCH:-gst-launch-1.0} -q -e $src ! videoconvert ! $VISION ! \
  gemma4overlay ! $video_out \
  v.json_src ! queue ! filesink location="\"$json\"" sync=false async=false
[ -z "$out" ] || echo "wrote $out and $json" >&2
