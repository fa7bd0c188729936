#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Tests scripts/pull-model.sh against serve.py on 127.0.0.1 (never the
# internet): a normal download, a Hugging Face style redirect, a resume after
# the server cuts the connection, a resume of a .part left by an earlier run,
# 404, a bad checksum (from the server's header and from --sha256-model), an
# unreachable port (exit 3 fast) and a cache hit that needs no network.
# Usage: test_pull.sh PULL_MODEL_SH SERVE_PY PYTHON3
set -u
PULL=$1 SERVE=$2 PY=$3
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1

work=$(mktemp -d)
srv_pid=
cleanup () {
  [ -z "$srv_pid" ] || kill "$srv_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fails=0
ok () { echo "ok: $*"; }
bad () { echo "FAIL: $*"; fails=$((fails + 1)); }

mkdir "$work/files"
head -c 300000 /dev/urandom >"$work/files/model.gguf"
head -c 70000 /dev/urandom >"$work/files/mmproj.gguf"
CUT=100000
"$PY" "$SERVE" "$work/files" "$work/port" "$work/log" $CUT 50 &
srv_pid=$!
i=0
while [ ! -s "$work/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$work/port" ] || { echo "FAIL: the test server did not start"; exit 1; }
base=http://127.0.0.1:$(cat "$work/port")

# pull MODE DEST [ARGS...]: runs pull-model.sh, leaves rc, out and err files
pull () {
  mode=$1 dest=$2; shift 2
  "$PULL" --dest "$dest" --base-url "$base/$mode" --model model.gguf --mmproj mmproj.gguf "$@" \
      >"$work/out" 2>"$work/err"
  rc=$?
}
same () { cmp -s "$work/files/$1" "$2/$1"; }

pull ok "$work/d1"
printf '%s\n%s\n' "$work/d1/model.gguf" "$work/d1/mmproj.gguf" >"$work/want"
if [ $rc -eq 0 ] && cmp -s "$work/out" "$work/want" && same model.gguf "$work/d1" && same mmproj.gguf "$work/d1"; then
  ok "normal download: exit 0, both files byte-identical, stdout is the two paths"
else bad "normal download: exit $rc; $(cat "$work/err")"; fi

pull hf "$work/d9"
if [ $rc -eq 0 ] && same model.gguf "$work/d9" && same mmproj.gguf "$work/d9" &&
   grep -q "HEAD /hf/model.gguf" "$work/log" && ! grep -q "pull-model: no sha256" "$work/err"; then
  ok "redirect as on Hugging Face: size and sha256 taken from X-Linked-*, byte-identical"
else bad "redirect: exit $rc; $(cat "$work/err")"; fi

pull cut "$work/d2"
if [ $rc -eq 0 ] && same model.gguf "$work/d2" && [ ! -e "$work/d2/model.gguf.part" ] &&
   grep -q "GET /cut/model.gguf Range=bytes=$CUT-" "$work/log"; then
  ok "cut after $CUT bytes: resumed with Range bytes=$CUT-, byte-identical"
else bad "cut: exit $rc; $(cat "$work/err")"; fi

mkdir "$work/d3"
head -c 12345 "$work/files/model.gguf" >"$work/d3/model.gguf.part"
pull ok "$work/d3"
if [ $rc -eq 0 ] && same model.gguf "$work/d3" && grep -q "GET /ok/model.gguf Range=bytes=12345-" "$work/log"; then
  ok "left-over .part of 12345 bytes resumed, byte-identical"
else bad "resume of .part: exit $rc; $(cat "$work/err")"; fi

pull missing "$work/d4"
if [ $rc -eq 4 ] && grep -q "not found (404)" "$work/err" && [ ! -s "$work/out" ]; then
  ok "404: exit 4, '$(head -n 1 "$work/err")'"
else bad "404: exit $rc (expected 4); $(cat "$work/err")"; fi

pull bad "$work/d5"
if [ $rc -eq 5 ] && grep -q "checksum mismatch" "$work/err" &&
   [ ! -e "$work/d5/model.gguf" ] && [ ! -e "$work/d5/model.gguf.part" ]; then
  ok "bad content: exit 5, no file left"
else bad "bad checksum: exit $rc (expected 5); $(ls "$work/d5" 2>&1); $(cat "$work/err")"; fi

pull ok "$work/d6" --sha256-model 0000000000000000000000000000000000000000000000000000000000000000
if [ $rc -eq 5 ] && [ ! -e "$work/d6/model.gguf" ] && [ ! -e "$work/d6/model.gguf.part" ]; then
  ok "--sha256-model wrong: exit 5, no file left"
else bad "--sha256-model: exit $rc (expected 5); $(cat "$work/err")"; fi

pull ok "$work/d7" --sha256-model "$(sha256sum "$work/files/model.gguf" | cut -d' ' -f1)"
if [ $rc -eq 0 ] && same model.gguf "$work/d7"; then ok "--sha256-model right: exit 0"
else bad "--sha256-model right: exit $rc; $(cat "$work/err")"; fi

dead=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
t0=$(date +%s%N)
"$PULL" --dest "$work/d8" --base-url "http://127.0.0.1:$dead" >"$work/out" 2>"$work/err"
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ $rc -eq 3 ] && [ $ms -lt 10000 ] && grep -q "no network" "$work/err"; then
  ok "unreachable port: exit 3 in $ms ms"
else bad "unreachable: exit $rc (expected 3) in $ms ms; $(cat "$work/err")"; fi

"$PULL" --dest "$work/d1" --base-url "http://127.0.0.1:$dead" --model model.gguf --mmproj mmproj.gguf \
    >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -eq 0 ] && cmp -s "$work/out" "$work/want"; then ok "cached files: exit 0 with no network"
else bad "cache hit: exit $rc; $(cat "$work/err")"; fi

echo "pull: $fails failure(s), $(grep -c . "$work/log") requests served on 127.0.0.1"
[ $fails -eq 0 ]
