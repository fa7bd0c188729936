#!/bin/sh
# The main job: sets up and builds, then transcribes an audio file (default:
# the bundled speech sample) through a real GStreamer pipeline,
#   filesrc ! decodebin ! audioconvert ! audioresample ! gemma4asr ! srtenc
# and prints the timed transcript. Models: GEMMA4_MODEL and GEMMA4_MMPROJ
# when set (a Gemma 4 E2B/E4B GGUF and its mmproj); otherwise the published
# Gemma 4 E2B files scripts/pull-model.sh downloads into the cache (skipped
# with GEMMA4_PULL=0); when that fails (no network), a tiny random model the
# project generates, whose text is meaningless.
set -eu
cd "$(dirname "$0")/.."
# the installer runs only when something is missing; otherwise the build is
# brought up to date
if missing=$(scripts/setup.sh --check); then
  ninja -C build >/dev/null
else
  echo "demo: setting up first: installing and building ($missing)" >&2
  scripts/setup.sh >&2
fi
INPUT=${1:-tests/data/mm/speech.wav}
pull_why="download skipped: GEMMA4_PULL=0"
if { [ -z "${GEMMA4_MODEL:-}" ] || [ -z "${GEMMA4_MMPROJ:-}" ]; } && [ "${GEMMA4_PULL:-1}" != 0 ]; then
  # pull-model.sh fails within seconds offline; the bound only stops a stalled
  # download. Its progress and messages go to stderr, the two paths to stdout.
  if paths=$(timeout "${GEMMA4_PULL_TIMEOUT:-7200}" scripts/pull-model.sh </dev/null); then
    GEMMA4_MODEL=$(echo "$paths" | sed -n 1p)
    GEMMA4_MMPROJ=$(echo "$paths" | sed -n 2p)
  else
    case $? in
      3) pull_why="download failed: no network";;
      4) pull_why="download failed: file not found (404)";;
      5) pull_why="download failed: checksum mismatch";;
      124) pull_why="download timed out after ${GEMMA4_PULL_TIMEOUT:-7200} s; run again to resume";;
      *) pull_why="download failed, see the message above";;
    esac
  fi
fi
if [ -z "${GEMMA4_MODEL:-}" ] || [ -z "${GEMMA4_MMPROJ:-}" ]; then
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/gst-gemma4
  mkdir -p "$cache"
  GEMMA4_MODEL=$cache/tiny-e2b-random.gguf
  GEMMA4_MMPROJ=tests/data/mm/mmproj-f32.gguf
  [ -f "$GEMMA4_MODEL" ] || build/tests/audio/make_tiny_model "$GEMMA4_MODEL" \
      tests/data/vocab/ggml-vocab-gemma-4.gguf 2
  echo "NOTE: no GEMMA4_MODEL/GEMMA4_MMPROJ given, and no published Gemma 4 E2B"
  echo "      model ($pull_why):"
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
eval to_stdout gst-launch-1.0 -q filesrc location="\"$in\"" ! decodebin ! audioconvert ! \
  audioresample ! $ASR ! srtenc ! fdsink fd=1
