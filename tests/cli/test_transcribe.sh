#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# gemma4-cli transcribe end to end with the tiny random model (made here by
# make_tiny_model; its text is meaningless and never ends, hence -n 8): the
# timed segments are monotonic and cover the file, the SRT file parses, and
# bad input fails with a message and a non-zero exit status.
# usage: test_transcribe.sh GEMMA4_CLI MAKE_TINY_MODEL DATA_DIR
set -u
CLI=$1
D=$3
CMD=transcribe
. "$(dirname "$0")/lib.sh"
tiny_model "$2"

# duration of a canonical 16 kHz mono 16-bit WAV (44-byte header), in ms
wav_ms () { echo $(( ($(wc -c < "$1") - 44) / 32 )); }

# segments: "start_ms end_ms" per stdout line, or BAD for a malformed line
segments () {
  awk '{
    if (match ($0, /^\[[0-9][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9][0-9][0-9] --> [0-9][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9][0-9][0-9]\]/) == 0) { print "BAD"; next }
    split (substr ($0, 2, 12), a, /[:.]/); split (substr ($0, 19, 12), b, /[:.]/)
    print ((a[1] * 60 + a[2]) * 60 + a[3]) * 1000 + a[4], ((b[1] * 60 + b[2]) * 60 + b[3]) * 1000 + b[4]
  }' "$1"
}

# verdict on segments: monotonic, inside [0, dur], first start and last end
# within 500 ms of the file's ends, no segment longer than max_ms
judge () {  # judge SEGFILE DUR_MS MAX_MS
  awk -v dur="$2" -v max="$3" 'BEGIN { prev = 0; n = 0; bad = "" }
    $1 == "BAD" { bad = "malformed line " NR; exit }
    { if ($1 < prev) { bad = "start " $1 " before previous end " prev; exit }
      if ($2 <= $1) { bad = "empty segment at " $1; exit }
      if ($2 - $1 > max) { bad = "segment " $1 "-" $2 " longer than " max " ms"; exit }
      if ($2 > dur + 1) { bad = "end " $2 " past the duration " dur; exit }
      if (n == 0) first = $1
      prev = $2; n++ }
    END { if (bad != "") print bad
      else if (n == 0) print "no segments"
      else if (first > 500 || prev < dur - 500) print "covers " first "-" prev " of 0-" dur
      else print "ok" }' "$1"
}

for f in speech long; do
  dur=$(wav_ms "$D/mm/$f.wav")
  "$CLI" transcribe "$D/mm/$f.wav" -m "$M" --mmproj "$MM" -n 8 -t 2 --srt "$tmp/$f.srt" \
    --progress > "$tmp/$f.txt" 2> "$tmp/$f.err"
  check "$f: exit status" "0" "$?"
  segments "$tmp/$f.txt" > "$tmp/$f.seg"
  check "$f: timestamps monotonic, <= 5 s each, cover the file" "ok" "$(judge "$tmp/$f.seg" "$dur" 5000)"
  n_seg=$(wc -l < "$tmp/$f.seg" | tr -d ' ')
  echo "$f.wav: $dur ms in $n_seg segments, the last ending at $(tail -1 "$tmp/$f.seg" | cut -d' ' -f2) ms"
  check "$f: --progress reaches 100%" "yes" "$(grep -q '100%' "$tmp/$f.err" && echo yes || echo no)"
  srt=$(srt_times "$tmp/$f.srt")
  check "$f: SRT parses, one block per segment with text" "$(grep -c '\] .' "$tmp/$f.txt")" \
    "$(echo "$srt" | awk -F';' '/;$/ { print NF - 1; next } { print }')"
  check "$f: SRT times equal the printed ones" \
    "$(sed -n 's/^\[\([^]]*\)\] ..*/\1/p' "$tmp/$f.txt" | tr . , | tr '\n' ';')" "$srt"
done

dur=$(wav_ms "$D/mm/long.wav")
"$CLI" transcribe "$D/mm/long.wav" -m "$M" --mmproj "$MM" -n 4 -t 2 --chunk 12 \
  --task translate --language German --target-language French > "$tmp/l12.txt" 2> "$tmp/l12.err"
check "long --chunk 12 --task translate: exit status" "0" "$?"
segments "$tmp/l12.txt" > "$tmp/l12.seg"
check "long --chunk 12: segments <= 12 s, cover the file" "ok" "$(judge "$tmp/l12.seg" "$dur" 12000)"
check "long --chunk 12: fewer segments than --chunk 5" "yes" \
  "$([ "$(wc -l < "$tmp/l12.seg")" -lt "$(wc -l < "$tmp/long.seg")" ] && echo yes || echo no)"
check "no progress bar off a terminal without --progress" "no" \
  "$(grep -q '%' "$tmp/l12.err" && echo yes || echo no)"

check "--help documents the options" "7" "$("$CLI" transcribe --help |
  grep -o -e '--srt' -e '--chunk' -e '--task' -e '--target-language' -e '--language' -e '--progress' -e '--mmproj' |
  sort -u | wc -l | tr -d ' ')"

# failures: FILE, model, mmproj, usage
printf 'RIFF\004\000\000\000WAVE' > "$tmp/broken.wav"
printf 'just some text, no sound\n' > "$tmp/notes.txt"
mmproj_without clip.has_audio_encoder "$tmp/no-audio.gguf"
fails_with "missing file" 1 "$tmp/none.wav" "$tmp/none.wav" -m "$M" --mmproj "$MM"
fails_with "broken WAV" 1 "broken.wav" "$tmp/broken.wav" -m "$M" --mmproj "$MM"
fails_with "text file" 1 "notes.txt" "$tmp/notes.txt" -m "$M" --mmproj "$MM"
fails_with "image file" 1 "img_160x120.png" "$D/mm/img_160x120.png" -m "$M" --mmproj "$MM"
fails_with "model without tokenizer" 1 "no tokenizer" "$D/mm/speech.wav" -m "$D/text/e2b-f32.gguf" --mmproj "$MM"
fails_with "mmproj without audio" 1 "no audio encoder" "$D/mm/speech.wav" -m "$M" --mmproj "$tmp/no-audio.gguf"
fails_with "missing mmproj" 1 "mmproj" "$D/mm/speech.wav" -m "$M" --mmproj "$tmp/none.gguf"
fails_with "no --mmproj" 2 "required" "$D/mm/speech.wav" -m "$M"
fails_with "--chunk 31" 2 "chunk" "$D/mm/speech.wav" -m "$M" --mmproj "$MM" --chunk 31
fails_with "--task summarize" 2 "task" "$D/mm/speech.wav" -m "$M" --mmproj "$MM" --task summarize
fails_with "--target-language without translate" 2 "translate" "$D/mm/speech.wav" -m "$M" --mmproj "$MM" --target-language French

finish transcribe
