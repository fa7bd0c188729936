#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Transcribes any audio or video file GStreamer can decode into SubRip
# subtitles: filesrc ! decodebin ! audioconvert ! audioresample ! gemma4asr
# ! srtenc. OUT defaults to INPUT with the extension .srt.
# Usage: GEMMA4_MODEL=E2B.gguf GEMMA4_MMPROJ=mmproj.gguf \
#          pipelines/file-to-srt.sh INPUT [OUT.srt]
#   GEMMA4_ASR_PROPS adds gemma4asr properties (e.g. language=en),
#   GEMMA4_LAUNCH=echo prints the pipeline instead of running it.
set -eu
usage() { sed -n '3,9s/^# \{0,1\}//p' "$0" >&2; }
case "${1:-}" in
  -h|--help) usage; exit 0;;
  "") usage; exit 2;;
esac
. "$(dirname "$0")/common.sh"
in=$(realpath "$1")
out=${2:-${1%.*}.srt}
eval ${GEMMA4_LAUNCH:-gst-launch-1.0} -q filesrc location="\"$in\"" ! decodebin ! \
  audioconvert ! audioresample ! $ASR ! srtenc ! filesink location="\"$out\""
echo "wrote $out" >&2
