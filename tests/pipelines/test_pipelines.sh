#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs the example pipeline scripts with GEMMA4_LAUNCH set to
# parse_launch, which builds each pipeline as gst-launch-1.0 would (elements,
# property names and values, pad links) without starting it, for every way
# the script can be called; also checks the usage text and exit codes.
# Usage: test_pipelines.sh PARSE_LAUNCH SCRIPT (GEMMA4_MODEL, GEMMA4_MMPROJ
# and GEMMA4_BUILD_DIR set by meson).
set -eu
launch=$(realpath "$1")
script=$(realpath "$2")
name=$(basename "$script")
input=$(realpath "$GEMMA4_MMPROJ")      # any existing file will do
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
unset DISPLAY WAYLAND_DISPLAY || true

"$script" --help 2>"$tmp/help" || { echo "$name --help failed" >&2; exit 1; }
grep -q "^Usage:" "$tmp/help" || { echo "$name --help prints no usage" >&2; exit 1; }

# one call per form of the arguments
case "$name" in
  camera-analytics.sh) set -- "" "rtsp://camera.example/stream" "$input" ;;
  describe-on-interval.sh) set -- "" "$input" ;;
  film-to-srt.sh)
    if "$script" >/dev/null 2>&1; then
      echo "$name without INPUT did not fail" >&2
      exit 1
    fi
    set -- "$input" ;;
  file-to-srt.sh)
    if "$script" >/dev/null 2>&1; then
      echo "$name without INPUT did not fail" >&2
      exit 1
    fi
    set -- "$input" ;;
  live-console.sh)
    if "$script" 2s >/dev/null 2>&1; then
      echo "$name 2s (not a number of seconds) did not fail" >&2
      exit 1
    fi
    set -- "" 3 ;;
  overlay.sh) set -- "" "$input" ;;
  *) echo "unknown script $name" >&2; exit 1 ;;
esac
n=0
for arg in "$@"; do
  if [ -n "$arg" ]; then
    out=$(GEMMA4_LAUNCH="$launch" "$script" "$arg" 2>&1) || {
      echo "$name $arg: $out" >&2; exit 1; }
  else
    out=$(GEMMA4_LAUNCH="$launch" "$script" 2>&1) || {
      echo "$name: $out" >&2; exit 1; }
  fi
  echo "$out" | grep -q "^built: " || { echo "$name $arg: $out" >&2; exit 1; }
  echo "$name ${arg:-(no argument)}: $(echo "$out" | grep "^built: ")"
  n=$((n + 1))
done
echo "$name: $n pipelines built, usage text present"
