#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Captions a film into SubRip subtitles: filesrc ! decodebin ! videoconvert
# ! gemma4caption ! srtenc. Each subtitle describes one window of the video
# (10 s by default; WINDOW sets it in ms), from frames sampled in it.
# Usage: GEMMA4_MODEL=E2B.gguf GEMMA4_MMPROJ=mmproj.gguf \
#          pipelines/film-to-srt.sh INPUT [OUT.srt]
#   GEMMA4_CAPTION_PROPS adds gemma4caption properties (e.g.
#   frames-per-window=4 history-size=0), GEMMA4_LAUNCH=echo prints the
#   pipeline instead of running it.
set -eu
usage() { sed -n '3,10s/^# \{0,1\}//p' "$0" >&2; }
case "${1:-}" in
  -h|--help) usage; exit 0;;
  "") usage; exit 2;;
esac
. "$(dirname "$0")/common.sh"
gst-inspect-1.0 gemma4caption >/dev/null 2>&1 || {
  echo "gemma4caption not found: rebuild the plugin" >&2
  exit 1
}
in=$(realpath "$1")
out=${2:-${1%.*}.srt}
CAPTION="gemma4caption model-path=\"$GEMMA4_MODEL\" mmproj-path=\"$GEMMA4_MMPROJ\" window=${WINDOW:-10000} ${GEMMA4_CAPTION_PROPS:-}"
eval ${GEMMA4_LAUNCH:-gst-launch-1.0} -q filesrc location="\"$in\"" ! \
  decodebin ! videoconvert ! $CAPTION ! srtenc ! filesink location="\"$out\""
echo "wrote $out" >&2
