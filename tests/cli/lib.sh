# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the gemma4-cli test scripts, sourced after they set CLI (the
# gemma4-cli binary) and D (tests/data): a temporary directory removed on
# exit, check and fails_with counting failures in $fails, the tiny random
# model, an mmproj copy with one encoder switched off, an SRT parser and the
# final verdict.
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
MM=$D/mm/mmproj-f32.gguf

check () {  # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: expected '$2', got '$3'"; fails=$((fails + 1)); fi
}

# tiny_model MAKE_TINY_MODEL: sets M, the tiny random model (2 layers, the
# Gemma 4 vocabulary, the width of $MM) made in $tmp; exits if it cannot
tiny_model () {
  M=$tmp/tiny.gguf
  if ! "$1" "$M" "$D/vocab/ggml-vocab-gemma-4.gguf" 2; then
    echo "FAIL: make_tiny_model"
    exit 1
  fi
}

# fails_with NAME STATUS MESSAGE_PATTERN ARGS...: gemma4-cli $CMD ARGS exits
# with STATUS, prints nothing to stdout and MESSAGE_PATTERN to stderr
fails_with () {
  name=$1 want=$2 pat=$3
  shift 3
  "$CLI" "$CMD" "$@" > "$tmp/out" 2> "$tmp/err"
  rc=$?
  if [ "$rc" = "$want" ] && grep -q -e "$pat" "$tmp/err" && [ ! -s "$tmp/out" ]; then
    echo "ok: $name fails ($rc): $(head -1 "$tmp/err")"
  else
    echo "FAIL: $name: exit $rc (want $want), stderr: $(head -1 "$tmp/err")"
    fails=$((fails + 1))
  fi
}

# mmproj_without KEY OUT: writes a copy of $MM with the bool KEY
# (clip.has_vision_encoder, clip.has_audio_encoder) false; its value byte
# follows the key and the key's 4-byte type
mmproj_without () {
  cp "$MM" "$2"
  off=$(grep -obUa "$1" "$MM" | head -1 | cut -d: -f1)
  printf '\000' | dd of="$2" bs=1 seek=$((off + ${#1} + 4)) conv=notrunc 2>/dev/null
}

# srt_times FILE: SRT blocks "N" (1, 2, ...), "HH:MM:SS,mmm --> HH:MM:SS,mmm",
# text lines, a blank line; prints the time lines joined by ';', or what is
# wrong
srt_times () {
  awk 'BEGIN { state = 0; n = 0; bad = ""; times = "" }
    state == 0 { if ($0 != n + 1) { bad = "block number at line " NR; exit } n++; state = 1; next }
    state == 1 { if ($0 !~ /^[0-9][0-9]:[0-5][0-9]:[0-5][0-9],[0-9][0-9][0-9] --> [0-9][0-9]:[0-5][0-9]:[0-5][0-9],[0-9][0-9][0-9]$/) { bad = "time line " NR; exit }
      times = times $0 ";"; state = 2; next }
    state == 2 { if ($0 == "") { bad = "no text at line " NR; exit } state = 3; next }
    state == 3 { if ($0 == "") state = 0; next }
    END { if (bad != "") print bad; else if (state != 0 || n == 0) print "unfinished, " n " blocks"; else print times }' "$1"
}

# finish NAME: the verdict line; the script's exit status when it comes last
finish () {
  if [ "$fails" -eq 0 ]; then echo "$1: all checks passed"; else echo "$1: $fails checks failed"; fi
  [ "$fails" -eq 0 ]
}
