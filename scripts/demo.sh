#!/bin/sh
# The main job: sets up and builds, then transcribes an audio file (default:
# the bundled speech sample) through a real GStreamer pipeline,
#   filesrc ! decodebin ! audioconvert ! audioresample ! gemma4asr ! srtenc
# and prints the timed transcript. Models: GEMMA4_MODEL and GEMMA4_MMPROJ
# when set (a Gemma 4 E2B/E4B GGUF and its mmproj); otherwise a tiny random
# model the project generates, whose text is meaningless.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
INPUT=${1:-tests/data/mm/speech.wav}
if [ -z "${GEMMA4_MODEL:-}" ] || [ -z "${GEMMA4_MMPROJ:-}" ]; then
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/gst-gemma4
  mkdir -p "$cache"
  GEMMA4_MODEL=$cache/tiny-e2b-random.gguf
  GEMMA4_MMPROJ=tests/data/mm/mmproj-f32.gguf
  [ -f "$GEMMA4_MODEL" ] || build/tests/audio/make_tiny_model "$GEMMA4_MODEL" \
      tests/data/vocab/ggml-vocab-gemma-4.gguf 2
  echo "NOTE: no GEMMA4_MODEL/GEMMA4_MMPROJ given, and no model is downloaded here:"
  echo "      using a tiny RANDOM model, so the text below is meaningless; the timing,"
  echo "      segmentation and pipeline are real. Set GEMMA4_MODEL=gemma-4-E2B-it-*.gguf"
  echo "      and GEMMA4_MMPROJ=mmproj-*.gguf for real transcripts."
  echo
  # a random model never says <turn|>: keep its gibberish short
  GEMMA4_ASR_PROPS="max-tokens=24 ${GEMMA4_ASR_PROPS:-}"
  export GEMMA4_ASR_PROPS
fi
export GEMMA4_MODEL GEMMA4_MMPROJ
in=$(realpath "$INPUT")
. pipelines/common.sh
eval gst-launch-1.0 -q filesrc location="\"$in\"" ! decodebin ! audioconvert ! audioresample ! \
  $ASR ! srtenc ! fdsink fd=1
