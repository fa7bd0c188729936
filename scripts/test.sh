#!/bin/sh
# Sets up, builds and runs every test suite; ends with "N passed, N failed".
# Extra arguments go to meson test (e.g. --suite parity).
set -u
cd "$(dirname "$0")/.."
scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
# the serving engine of the remote suite (cached after the first build); a
# failed build counts as a failure, and the suite's tests then skip
server_failed=0
if server=$(scripts/build-llama-server.sh); then
  export GEMMA4_LLAMA_SERVER="$server"
else
  echo "scripts/build-llama-server.sh failed: the remote suite cannot run"
  server_failed=1
fi
log=$(mktemp)
meson test -C build --print-errorlogs --num-processes 2 "$@" 2>&1 | tee "$log"
count () { awk -v k="$1" '$1 == k":" { print $2 }' "$log" | tail -n 1; }
ok=$(count Ok); xfail=$(count "Expected Fail"); fail=$(count Fail)
upass=$(count "Unexpected Pass"); tout=$(count Timeout); skip=$(count Skipped)
rm -f "$log"
passed=$(( ${ok:-0} + ${xfail:-0} ))
failed=$(( ${fail:-0} + ${upass:-0} + ${tout:-0} + server_failed ))
[ "$passed" -gt 0 ] || failed=$(( failed + 1 ))
echo "${passed} passed, ${failed} failed, ${skip:-0} skipped"
[ "$failed" -eq 0 ]
