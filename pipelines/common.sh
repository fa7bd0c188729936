# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the pipeline scripts: finds the gemma4 plugin (an installed one,
# or the build tree's) and the model files named by GEMMA4_MODEL and
# GEMMA4_MMPROJ, and fails with a clear message when something is missing.
repo=$(cd "$(dirname "$0")/.." && pwd)
for dir in "${GEMMA4_BUILD_DIR:-}" "$repo/build" "$repo/build-gst"; do
  if [ -n "$dir" ] && [ -f "$dir/gst-plugin/libgstgemma4.so" ]; then
    GST_PLUGIN_PATH="$dir/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
    export GST_PLUGIN_PATH
    break
  fi
done
if ! gst-inspect-1.0 gemma4asr >/dev/null 2>&1; then
  echo "gemma4asr not found: build the project (scripts/setup.sh) or set GST_PLUGIN_PATH" >&2
  exit 1
fi
if [ -z "${GEMMA4_MODEL:-}" ] || [ -z "${GEMMA4_MMPROJ:-}" ]; then
  echo "set GEMMA4_MODEL to a Gemma 4 E2B/E4B GGUF file and GEMMA4_MMPROJ to its mmproj GGUF" >&2
  exit 1
fi
for f in "$GEMMA4_MODEL" "$GEMMA4_MMPROJ"; do
  [ -f "$f" ] || { echo "no such file: $f" >&2; exit 1; }
done
# Extra gemma4asr properties, e.g. GEMMA4_ASR_PROPS="language=en latency=3000".
ASR="gemma4asr model-path=\"$GEMMA4_MODEL\" mmproj-path=\"$GEMMA4_MMPROJ\" ${GEMMA4_ASR_PROPS:-}"

# Runs a command whose pipeline ends in "fdsink fd=1" with its standard
# output through a pipe: fdsink rewinds a seekable stdout (a file) to its
# start and would write over what was printed before. Returns the command's
# exit status.
to_stdout () {
  { _rc=$( { { "$@" 4>&-; echo $? >&4; } | cat >&3; } 4>&1 ); } 3>&1
  return "$_rc"
}
