#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Downloads a published Gemma 4 E2B GGUF and its mmproj (the audio + vision
# projector) into a cache directory with curl: resumable (FILE.part, renamed
# when complete), bounded retries, a progress bar on a terminal, a size check
# against Content-Length and a sha256 check when one is known. Prints the two
# paths on stdout when done, and nothing else there.
# Exit: 0 done, 1 other error, 3 no network, 4 not found (404), 5 checksum mismatch.
set -u

BASE_URL=https://huggingface.co/ggml-org/gemma-4-E2B-it-GGUF/resolve/main
MODEL=gemma-4-E2B-it-Q4_0.gguf
MMPROJ=mmproj-gemma-4-E2B-it-Q8_0.gguf
DEST=${XDG_CACHE_HOME:-$HOME/.cache}/gst-gemma4/models
SHA_MODEL=
SHA_MMPROJ=
ATTEMPTS=4
# an offline machine must fail within seconds, never hang on DNS or SYN
CONNECT_TIMEOUT=3
PROBE_TIMEOUT=8

usage () {
  cat >&2 <<EOF
usage: $0 [--dest DIR] [--base-url URL] [--model FILE --mmproj FILE]
          [--sha256-model HEX] [--sha256-mmproj HEX]
Downloads URL/FILE for the model and the mmproj into DIR (default
\${XDG_CACHE_HOME:-\$HOME/.cache}/gst-gemma4/models) and prints both paths.
Defaults: $BASE_URL
          $MODEL, $MMPROJ
Exit: 0 done, 1 error, 3 no network, 4 not found (404), 5 checksum mismatch.
EOF
}

die () { code=$1; shift; echo "pull-model: $*" >&2; exit "$code"; }

while [ $# -gt 0 ]; do
  case $1 in -h|--help) usage; exit 0;; esac
  [ $# -ge 2 ] || { usage; die 1 "option $1 needs a value"; }
  case $1 in
    --dest) DEST=$2;;
    --base-url) BASE_URL=${2%/};;
    --model) MODEL=$2;;
    --mmproj) MMPROJ=$2;;
    --sha256-model) SHA_MODEL=$2;;
    --sha256-mmproj) SHA_MMPROJ=$2;;
    *) usage; die 1 "unknown option '$1'";;
  esac
  shift 2
done

is_sha256 () { printf '%s' "$1" | grep -Eqx '[0-9a-fA-F]{64}'; }
for h in "$SHA_MODEL" "$SHA_MMPROJ"; do
  [ -z "$h" ] || is_sha256 "$h" || die 1 "bad sha256 '$h': expected 64 hex digits"
done
command -v curl >/dev/null || die 1 "curl is not installed (apt-get install curl)"
mkdir -p "$DEST" || die 1 "cannot create the cache directory '$DEST'"

tmp=$(mktemp -d) || die 1 "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# Asks for the headers only, without following a redirect: Hugging Face
# answers a large file with a redirect to a CDN URL signed for GET only, and
# puts the size and the sha256 in X-Linked-Size and X-Linked-Etag. Sets code,
# length and etag_sha; exits 3 when the host cannot be reached, 4 on a 404.
probe () {
  url=$1
  curl -sS -I --connect-timeout "$CONNECT_TIMEOUT" --max-time "$PROBE_TIMEOUT" \
      "$url" >"$tmp/headers" 2>"$tmp/err"
  rc=$?
  case $rc in
    0) ;;
    5|6|7|28|35|56)
      die 3 "no network: cannot reach $url ($(tr '\n' ' ' <"$tmp/err"))";;
    *) die 1 "cannot query $url: curl exit $rc ($(tr '\n' ' ' <"$tmp/err"))";;
  esac
  tr -d '\r' <"$tmp/headers" >"$tmp/h"
  code=$(awk '/^HTTP\// { c = $2 } END { print c }' "$tmp/h")
  length=$(awk 'tolower($1) == "x-linked-size:" { l = $2 } END { print l }' "$tmp/h")
  if [ -z "$length" ] && [ "$code" = 200 ]; then
    length=$(awk 'tolower($1) == "content-length:" { l = $2 } END { print l }' "$tmp/h")
  fi
  printf '%s' "$length" | grep -Eqx '[0-9]+' || length=
  etag_sha=$(awk 'tolower($1) == "x-linked-etag:" { gsub(/"/, "", $2); e = $2 } END { print e }' "$tmp/h")
  is_sha256 "$etag_sha" || etag_sha=
  case $code in
    200|301|302|303|307|308) ;;
    404) die 4 "not found (404): $url";;
    *) die 1 "unexpected HTTP status '$code' for $url";;
  esac
}

file_size () { wc -c <"$1" | tr -d ' '; }

# Downloads BASE_URL/NAME into DEST/NAME; WANT_SHA is the caller's checksum.
fetch () {
  name=$1 want_sha=$2
  out=$DEST/$name part=$DEST/$name.part url=$BASE_URL/$name
  probe "$url"
  [ -n "$want_sha" ] || want_sha=$etag_sha
  progress=-sS
  [ -t 2 ] && progress=--progress-bar
  if [ -f "$part" ]; then
    echo "pull-model: resuming $name from $(file_size "$part") bytes" >&2
  else
    echo "pull-model: downloading $url (${length:-unknown} bytes)" >&2
  fi
  if [ -n "$length" ] && [ -f "$part" ] && [ "$(file_size "$part")" -gt "$length" ]; then
    echo "pull-model: $part is larger than the published file; starting over" >&2
    rm -f "$part"
  fi
  try=1
  while :; do
    if [ -n "$length" ] && [ -f "$part" ] && [ "$(file_size "$part")" -eq "$length" ]; then
      break
    fi
    curl -fL $progress --connect-timeout "$CONNECT_TIMEOUT" -C - -o "$part" "$url"
    rc=$?
    [ $rc -eq 0 ] && break
    [ $try -lt $ATTEMPTS ] || die 1 "download of $url failed after $ATTEMPTS tries (curl exit $rc); run again to resume $part"
    echo "pull-model: try $try of $ATTEMPTS failed (curl exit $rc), resuming" >&2
    try=$((try + 1))
    sleep 1
  done
  got=$(file_size "$part")
  if [ -n "$length" ] && [ "$got" -ne "$length" ]; then
    rm -f "$part"
    die 1 "size mismatch for $name: got $got bytes, expected $length (Content-Length); removed"
  fi
  if [ -n "$want_sha" ]; then
    sum=$(sha256sum "$part" | cut -d' ' -f1)
    if [ "$sum" != "$(printf '%s' "$want_sha" | tr 'A-F' 'a-f')" ]; then
      rm -f "$part"
      die 5 "checksum mismatch for $name: got sha256 $sum, expected $want_sha; removed the download"
    fi
  else
    echo "pull-model: no sha256 published for $name; checked the size only" >&2
  fi
  mv -f "$part" "$out" || die 1 "cannot rename $part to $out"
}

# A finished file was checked when it was renamed: no network needed again.
for pair in "$MODEL:$SHA_MODEL" "$MMPROJ:$SHA_MMPROJ"; do
  name=${pair%%:*}
  [ -f "$DEST/$name" ] || fetch "$name" "${pair#*:}"
done
echo "$DEST/$MODEL"
echo "$DEST/$MMPROJ"
