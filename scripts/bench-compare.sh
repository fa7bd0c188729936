#!/bin/sh
# Runs gemma4-cli bench and the reference's tools (llama.cpp: llama-bench,
# llama-mtmd-cli) interleaved on the same files, and prints one table of
# medians and speed ratios (ours / reference: above 1 means we are faster).
# The project never builds the reference: give the directory of its binaries
# with --llama DIR or LLAMA_CPP_BIN (e.g. .../llama.cpp/build/bin).
#
# The reference's encoder time is what llama-mtmd-cli logs as "image slice
# encoded in N ms" or "mtmd batch encoding done in N ms" (the encoder alone,
# the image already resized); ours is
# g4_image_encode, resizing included, so the ratio slightly favours it.
set -eu

usage () {
  cat <<EOF
usage: scripts/bench-compare.sh [--llama DIR] -m MODEL.gguf [-p 512] [-n 128]
           [--mmproj MMPROJ.gguf [--image IMAGE] [--audio WAV]]
           [-t THREADS] [-r REPS] [--busy]
Runs ours and the reference alternately (-r rounds, default 3) and prints the
medians. --busy keeps one busy-loop process running alongside (the machine
shared, as in a media pipeline). Environment: LLAMA_CPP_BIN (reference
binaries), GEMMA4_CLI (default: build/core/cli/gemma4-cli).
EOF
}

die () {
  echo "bench-compare: $*" >&2
  exit 2
}

root=$(cd "$(dirname "$0")/.." && pwd)
llama=${LLAMA_CPP_BIN:-}
ours=${GEMMA4_CLI:-$root/build/core/cli/gemma4-cli}
model= mmproj= image= audio= threads=2 reps=3 pp=512 tg=128 busy=0
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --busy) busy=1; shift; continue ;;
    --llama|-m|--mmproj|--image|--audio|-t|-r|-p|-n) ;;
    *) die "unknown option $1 (--help for usage)" ;;
  esac
  [ $# -ge 2 ] || die "$1 needs a value (--help for usage)"
  case $1 in
    --llama) llama=$2 ;;
    -m) model=$2 ;;
    --mmproj) mmproj=$2 ;;
    --image) image=$2 ;;
    --audio) audio=$2 ;;
    -t) threads=$2 ;;
    -r) reps=$2 ;;
    -p) pp=$2 ;;
    -n) tg=$2 ;;
  esac
  shift 2
done

for v in "$threads" "$reps" "$pp" "$tg"; do
  case $v in ''|*[!0-9]*) die "-t, -r, -p and -n take whole numbers, got '$v'" ;; esac
done
[ "$reps" -ge 1 ] || die "-r must be at least 1"
[ -n "$llama" ] || die "no reference: give --llama DIR or set LLAMA_CPP_BIN to llama.cpp's bin directory"
[ -x "$llama/llama-bench" ] || die "$llama/llama-bench is not an executable (is $llama llama.cpp's bin directory?)"
[ -n "$model" ] || die "-m MODEL.gguf is required (llama-mtmd-cli needs the text model too)"
[ -r "$model" ] || die "cannot read $model"
[ -x "$ours" ] || die "$ours is not an executable (build first, or set GEMMA4_CLI)"
if [ -n "$image$audio" ]; then
  [ -n "$mmproj" ] || die "--image and --audio need --mmproj"
  [ -x "$llama/llama-mtmd-cli" ] || die "$llama/llama-mtmd-cli is not an executable"
fi
for f in "$mmproj" "$image" "$audio"; do
  [ -z "$f" ] || [ -r "$f" ] || die "cannot read $f"
done
[ -z "$mmproj" ] || [ -n "$image$audio" ] || die "--mmproj needs --image or --audio"

tmp=$(mktemp -d)
busy_pid=
cleanup () {
  [ -z "$busy_pid" ] || kill "$busy_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
if [ "$busy" = 1 ]; then
  sh -c 'while :; do :; done' &
  busy_pid=$!
fi

# field NAME JSON: the number after "NAME": in one line of JSON
field () {
  echo "$2" | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"
}

# llama-bench's JSON array: avg_ts of its pp (n_gen 0) or tg (n_prompt 0) test
llama_ts () {
  python3 -c '
import json, sys
tests = json.load(open(sys.argv[1]))
want_pp = sys.argv[2] == "pp"
for t in tests:
    if (t["n_gen"] == 0) == want_pp:
        print(t["avg_ts"])
        break
' "$1" "$2"
}

# the sum of the encoder times llama-mtmd-cli logs for one file: per slice
# ("image slice encoded in N ms", older versions) or per batch of media
# chunks ("mtmd batch encoding done in N ms")
llama_encode_ms () {
  sed -n -e "s/.*$2 slice encoded in \([0-9]*\) ms.*/\1/p" \
    -e "s/.*mtmd batch encoding done in \([0-9]*\) ms.*/\1/p" "$1" \
    | awk '{ s += $1 } END { if (NR) print s }'
}

# record NAME VALUE: one sample of a measurement (empty VALUE: the tool failed)
record () {
  [ -n "$2" ] || die "no $1 in the output of round $round (log: $3)"
  echo "$2" >> "$tmp/$1"
}

ours_round () {
  out=$("$ours" bench -m "$model" -p "$pp" -n "$tg" -t "$threads" -r 1 --json 2> "$tmp/err") \
    || die "gemma4-cli bench failed: $(tail -n 1 "$tmp/err")"
  record ours_pp "$(field pp_tokens_per_s "$out")" "$out"
  record ours_tg "$(field tg_tokens_per_s "$out")" "$out"
  if [ -n "$image" ]; then
    out=$("$ours" bench --mmproj "$mmproj" --image "$image" -t "$threads" -r 1 --json 2> "$tmp/err") \
      || die "gemma4-cli bench --image failed: $(tail -n 1 "$tmp/err")"
    record ours_image "$(field image_encode_ms "$out")" "$out"
  fi
  if [ -n "$audio" ]; then
    out=$("$ours" bench --mmproj "$mmproj" --audio "$audio" -t "$threads" -r 1 --json 2> "$tmp/err") \
      || die "gemma4-cli bench --audio failed: $(tail -n 1 "$tmp/err")"
    record ours_audio "$(field audio_encode_ms "$out")" "$out"
  fi
}

ref_round () {
  "$llama/llama-bench" -m "$model" -p "$pp" -n "$tg" -t "$threads" -r 1 -o json \
    > "$tmp/lb.json" 2> "$tmp/err" || die "llama-bench failed: $(tail -n 1 "$tmp/err")"
  record ref_pp "$(llama_ts "$tmp/lb.json" pp)" "$tmp/lb.json"
  record ref_tg "$(llama_ts "$tmp/lb.json" tg)" "$tmp/lb.json"
  for kind in image audio; do
    eval "file=\$$kind"
    [ -n "$file" ] || continue
    # --jinja: the legacy template parser refuses some Gemma 4 templates
    "$llama/llama-mtmd-cli" -m "$model" --mmproj "$mmproj" --"$kind" "$file" -p "Describe." \
      -n 1 -t "$threads" --jinja > "$tmp/mtmd.log" 2>&1 || die "llama-mtmd-cli failed: $(tail -n 1 "$tmp/mtmd.log")"
    record "ref_$kind" "$(llama_encode_ms "$tmp/mtmd.log" "$kind")" "$tmp/mtmd.log"
  done
}

# alternate which side goes first, so that a drifting load favours neither
round=1
while [ "$round" -le "$reps" ]; do
  if [ $((round % 2)) = 1 ]; then ours_round; ref_round; else ref_round; ours_round; fi
  round=$((round + 1))
done

median () {
  sort -g "$tmp/$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# row LABEL NAME HIGHER_IS_BETTER
row () {
  o=$(median "ours_$2") r=$(median "ref_$2")
  awk -v l="$1" -v o="$o" -v r="$r" -v up="$3" 'BEGIN {
    ratio = up ? (r > 0 ? o / r : 0) : (o > 0 ? r / o : 0)
    printf "| %s | %.2f | %.2f | %.2f |\n", l, o, r, ratio }'
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "machine: ${cpu:-unknown CPU}, $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "threads $threads, $reps rounds (medians), busy loop alongside: $([ "$busy" = 1 ] && echo yes || echo no)"
echo "model $(basename "$model")${mmproj:+, mmproj $(basename "$mmproj")}"
echo
echo "| test | ours | llama.cpp | speed ours / llama.cpp |"
echo "|---|---|---|---|"
row "pp$pp (tokens/s)" pp 1
row "tg$tg (tokens/s)" tg 1
[ -z "$image" ] || row "image $(basename "$image") encode (ms)" image 0
[ -z "$audio" ] || row "audio $(basename "$audio") encode (ms)" audio 0
