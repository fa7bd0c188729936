#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Transcribes any audio or video file GStreamer can decode into SubRip
# subtitles: uridecodebin ! audioconvert ! audioresample ! gemma4asr ! srtenc.
# Usage: GEMMA4_MODEL=E2B.gguf GEMMA4_MMPROJ=mmproj.gguf \
#          pipelines/file-to-srt.sh INPUT [OUT.srt]
set -eu
[ $# -ge 1 ] || { echo "usage: $0 INPUT [OUT.srt]" >&2; exit 2; }
. "$(dirname "$0")/common.sh"
in=$(realpath "$1")
out=${2:-${1%.*}.srt}
eval gst-launch-1.0 -q uridecodebin uri="file://$in" ! audioconvert ! \
  audioresample ! $ASR ! srtenc ! filesink location="\"$out\""
echo "wrote $out" >&2
