#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Live transcription printed to the console as SubRip blocks while it runs.
# The source is a live audiotestsrc (a tone: the VAD hears it as speech) for
# SECONDS seconds (default 20); SOURCE=autoaudiosrc uses the microphone
# instead (stop it with Ctrl-C). In a live pipeline gemma4asr never blocks
# the source: when inference is slower than real time it drops the oldest
# pending chunk.
# Usage: GEMMA4_MODEL=E2B.gguf GEMMA4_MMPROJ=mmproj.gguf \
#          pipelines/live-console.sh [SECONDS]
#   GEMMA4_ASR_PROPS adds gemma4asr properties (e.g. language=en),
#   GEMMA4_LAUNCH=echo prints the pipeline instead of running it.
set -eu
usage() { sed -n '3,12s/^# \{0,1\}//p' "$0" >&2; }
case "${1:-}" in
  -h|--help) usage; exit 0;;
  *[!0-9]*|0) usage; exit 2;;
esac
. "$(dirname "$0")/common.sh"
seconds=${1:-20}
src=${SOURCE:-"audiotestsrc is-live=true wave=sine freq=220 samplesperbuffer=1600 num-buffers=$((seconds * 10))"}
eval to_stdout ${GEMMA4_LAUNCH:-gst-launch-1.0} -q -e $src ! audioconvert ! audioresample ! \
  $ASR ! srtenc ! fdsink fd=1 sync=false
