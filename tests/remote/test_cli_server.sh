#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# gemma4-cli transcribe, describe and caption --server against
# fake_server.py: the answer comes from the server, the request carries the
# media as the elements send it, JSON records name the server's model; a
# failing server is a clear error (exit 1).
# usage: test_cli_server.sh GEMMA4_CLI PYTHON FAKE_SERVER DATA [MAKE_TEST_VIDEO]
CLI=$1 PY=$2 SERVER=$3 D=$4 MKVIDEO=$5
. "$(dirname "$0")/../cli/lib.sh"

# start_server NAME MODE: $URL; the server runs until $tmp/stop-NAME closes
start_server () {
  mkfifo "$tmp/stop-$1"
  "$PY" "$SERVER" "$1" "$2" < "$tmp/stop-$1" > "$tmp/port-$1" &
  exec 9> "$tmp/stop-$1"
  for _ in $(seq 50); do
    grep -q PORT "$tmp/port-$1" 2>/dev/null && break
    sleep 0.1
  done
  URL=http://127.0.0.1:$(awk '{print $2}' "$tmp/port-$1")
}
stop_server () {
  exec 9>&-
  wait
}
stats () {
  "$PY" -c "import json,sys,urllib.request; d=json.load(urllib.request.urlopen('$URL/control/stats')); print(eval(sys.argv[1]))" "$1"
}

start_server alpha ok
out=$("$CLI" transcribe "$D/mm/speech.wav" --server "$URL")
check "transcribe --server" "[00:00:00.020 --> 00:00:03.020] hello from alpha" "$out"
check "transcribe sends WAV" "wav" "$(stats "d['last']['messages'][0]['content'][0]['input_audio']['format']")"
out=$("$CLI" transcribe "$D/mm/speech.wav" --server "$URL" --json | "$PY" -c "import json,sys; r=json.load(sys.stdin); print(r['model'], r['text'])")
check "transcribe --json names the server's model" "fake-gemma4 hello from alpha" "$out"
if [ -n "$MKVIDEO" ]; then
  out=$("$CLI" describe "$D/mm/img_160x120.png" --server "$URL")
  check "describe --server" "hello from alpha" "$out"
  check "describe sends a JPEG" "data:image/jpeg;base64,/9j/" "$(stats "d['last']['messages'][0]['content'][0]['image_url']['url'][:27]")"
  out=$("$CLI" describe "$D/mm/img_160x120.png" --server "$URL" --task detect --labels cat | "$PY" -c "import json,sys; r=json.load(sys.stdin); o=r['objects'][0]; print(o['label'], o['box_2d'])")
  check "describe --task detect parses the server's boxes" "cat [100, 200, 500, 600]" "$out"
  check "detect sends the box list's schema" "['cat']" "$(stats "d['last']['response_format']['json_schema']['schema']['items']['properties']['label']['enum']")"
  "$MKVIDEO" "$tmp/v.mp4" 4 10 320 240 || fails=$((fails + 1))
  out=$("$CLI" caption "$tmp/v.mp4" --server "$URL" --window 2s --frames 3)
  check "caption --server" "[00:00 --> 00:02] hello from alpha
[00:02 --> 00:04] hello from alpha" "$out"
  check "caption sends the window's frames" "3" "$(stats "sum(1 for p in d['last']['messages'][0]['content'] if p['type'] == 'image_url')")"
fi
"$PY" -c "import urllib.request; urllib.request.urlopen('$URL/control?mode=e500')"
CMD=transcribe
fails_with "a server answering 500" 1 "answered 500" "$D/mm/speech.wav" --server "$URL"
fails_with "--server not http" 1 "not an http" "$D/mm/speech.wav" --server ftp://x
fails_with "no file and no model" 2 "or --server URL" --server-model x
stop_server
finish cli-server
