#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# gemma4-cli caption end to end with the tiny random model (its text is
# meaningless, hence short -n) on videos written by make_test_video: the
# windows (count, start and end, with and without overlap, durations in s and
# ms) printed and written as SRT, -v progress lines, and clean failures.
# usage: test_caption.sh GEMMA4_CLI MAKE_TINY_MODEL DATA_DIR MAKE_TEST_VIDEO
set -u
CLI=$1
D=$3
MAKE_VIDEO=$4
CMD=caption
. "$(dirname "$0")/lib.sh"
tiny_model "$2"
"$MAKE_VIDEO" "$tmp/v25.mkv" 25 5 128 96 && "$MAKE_VIDEO" "$tmp/v3.mkv" 3 10 64 48 || {
  echo "FAIL: make_test_video"
  exit 1
}

# the "[mm:ss --> mm:ss]" of each stdout line, BAD for a malformed line
spans () {
  sed -e 's/^\[\([0-9][0-9]*:[0-5][0-9] --> [0-9][0-9]*:[0-5][0-9]\)\] .*$/\1/' \
    -e 't' -e 's/.*/BAD/' "$1" | tr '\n' ';'
}
# 25 s in 10 s windows: 3 windows, the last one cut at the end of the video
"$CLI" caption "$tmp/v25.mkv" -m "$M" --mmproj "$MM" --window 10s --frames 2 -n 4 -t 2 \
  --srt "$tmp/a.srt" > "$tmp/a.txt" 2> "$tmp/a.err"
check "10s windows: exit status" "0" "$?"
check "10s windows: 3 lines, times" "00:00 --> 00:10;00:10 --> 00:20;00:20 --> 00:25;" "$(spans "$tmp/a.txt")"
echo "first caption: $(head -1 "$tmp/a.txt" | cut -c 1-90)"
# a block for each caption with text (the tiny model may write none)
check "10s windows: SRT parses, a block per caption with text, times in ms" \
  "$(awk 'BEGIN { split ("00:00:00,000 --> 00:00:10,000;00:00:10,000 --> 00:00:20,000;00:00:20,000 --> 00:00:25,000", t, ";") }
    /\] .*[^ ]/ { printf "%s;", t[NR] }' "$tmp/a.txt")" "$(srt_times "$tmp/a.srt")"
check "no progress bar off a terminal without -v" "no" \
  "$(grep -q -e '%' -e "$(printf '\r')" "$tmp/a.err" && echo yes || echo no)"

# overlap: windows every 6 s
"$CLI" caption "$tmp/v25.mkv" -m "$M" --mmproj "$MM" --window 10s --overlap 4s --frames 1 -n 2 \
  -t 2 > "$tmp/b.txt" 2> "$tmp/b.err"
check "--overlap 4s: exit status" "0" "$?"
check "--overlap 4s: 4 windows every 6 s" \
  "00:00 --> 00:10;00:06 --> 00:16;00:12 --> 00:22;00:18 --> 00:25;" "$(spans "$tmp/b.txt")"

# overlapping windows give subtitles that do not overlap: each cue ends where
# the next window starts, the last one at the end of the video
"$CLI" caption "$tmp/v25.mkv" -m "$M" --mmproj "$MM" --window 10s --overlap 4s --frames 1 -n 2 \
  -t 2 --srt "$tmp/b.srt" > /dev/null 2>&1
check "--overlap 4s: SRT cues end where the next window starts" \
  "$(awk 'BEGIN { split ("00:00:00,000 --> 00:00:06,000;00:00:06,000 --> 00:00:12,000;00:00:12,000 --> 00:00:18,000;00:00:18,000 --> 00:00:25,000", t, ";") }
    /\] .*[^ ]/ { printf "%s;", t[NR] }' "$tmp/b.txt")" "$(srt_times "$tmp/b.srt")"

# a file whose sound outlasts its video: windows end with the pictures
"$MAKE_VIDEO" "$tmp/av.mkv" 6 5 64 48 20 || { echo "FAIL: make_test_video with sound"; exit 1; }
"$CLI" caption "$tmp/av.mkv" -m "$M" --mmproj "$MM" --window 2s --frames 1 -n 2 -t 2 \
  > "$tmp/av.txt" 2> "$tmp/av.err"
check "6 s of video, 20 s of sound: 3 windows" "00:00 --> 00:02;00:02 --> 00:04;00:04 --> 00:06;" \
  "$(spans "$tmp/av.txt")"

# ms durations, -v
"$CLI" caption "$tmp/v3.mkv" -m "$M" --mmproj "$MM" --window 1500ms --frames 3 -n 2 -t 2 -v \
  --srt "$tmp/c.srt" > "$tmp/c.txt" 2> "$tmp/c.err"
check "--window 1500ms on 3 s: exit status" "0" "$?"
check "--window 1500ms: 2 windows" "00:00 --> 00:01;00:01 --> 00:03;" "$(spans "$tmp/c.txt")"
check "--window 1500ms: SRT times to the ms" "00:00:00,000 --> 00:00:01,500;00:00:01,500 --> 00:00:03,000;" \
  "$(grep -e '-->' "$tmp/c.srt" | tr '\n' ';')"
check "-v: one progress line a window, with its frames" "2" "$(grep -c '^caption: window [12] .*3 frames' "$tmp/c.err")"
echo "-v: $(head -1 "$tmp/c.err")"

check "--help documents the options" "8" "$("$CLI" caption --help |
  grep -o -e '--window' -e '--overlap' -e '--frames' -e '--srt' -e '--history' -e '--mmproj' -e '{previous}' -e '1500ms' |
  sort -u | wc -l | tr -d ' ')"

# failures
head -c 300 "$tmp/v3.mkv" > "$tmp/cut.mkv"
fails_with "missing video" 1 "none.mkv" "$tmp/none.mkv" -m "$M" --mmproj "$MM"
fails_with "audio file" 1 "no video stream" "$D/mm/speech.wav" -m "$M" --mmproj "$MM"
fails_with "cut video" 1 "cut.mkv" "$tmp/cut.mkv" -m "$M" --mmproj "$MM"
fails_with "--window 10parsecs" 2 "window" "$tmp/v3.mkv" -m "$M" --mmproj "$MM" --window 10parsecs
fails_with "--overlap over half the window" 2 "overlap" "$tmp/v3.mkv" -m "$M" --mmproj "$MM" --window 10s --overlap 6s
fails_with "frames over the context" 1 "does not fit the context" "$tmp/v3.mkv" -m "$M" --mmproj "$MM" --window 3s --frames 10 -c 256
fails_with "no --mmproj" 2 "required" "$tmp/v3.mkv" -m "$M"

finish caption
