#!/bin/sh
# scripts/bench-compare.sh against a stand-in reference (shell scripts named
# llama-bench and llama-mtmd-cli printing fixed numbers): argument checks with
# clear messages, runs of both sides alternating, and the table of medians and
# speed ratios.
# usage: test_bench_compare.sh GEMMA4_CLI DATA_DIR BENCH_COMPARE
set -u
CLI=$1
D=$2
BC=$3
. "$(dirname "$0")/lib.sh"
MODEL=$D/text/e2b-f32.gguf
IMG=$D/vision/img_160x120.ppm

ref=$tmp/ref
mkdir "$ref"
# llama-bench -o json: 200 t/s prompt, 20 t/s generation; logs its -t
cat > "$ref/llama-bench" <<'EOS'
#!/bin/sh
t=?
while [ $# -gt 0 ]; do [ "$1" = -t ] && t=$2; shift; done
echo "ref-bench t=$t" >> "$CALLS"
echo '[{"n_prompt": 8, "n_gen": 0, "avg_ts": 200.0}, {"n_prompt": 0, "n_gen": 4, "avg_ts": 20.0}]'
EOS
# llama-mtmd-cli: an image in two slices, 30 + 20 ms (newer versions: one
# batch, 40 ms)
cat > "$ref/llama-mtmd-cli" <<'EOS'
#!/bin/sh
echo "ref-mtmd" >> "$CALLS"
if [ -n "${MTMD_BATCH:-}" ]; then
  echo "mtmd batch encoding done in 40 ms" >&2
  exit 0
fi
echo "encoding image slice..." >&2
echo "image slice encoded in 30 ms" >&2
echo "image slice encoded in 20 ms" >&2
EOS
# ours, logging each call
cat > "$tmp/ours" <<EOS
#!/bin/sh
echo "ours \$2" >> "\$CALLS"
exec "$CLI" "\$@"
EOS
chmod +x "$ref/llama-bench" "$ref/llama-mtmd-cli" "$tmp/ours"
export CALLS=$tmp/calls GEMMA4_CLI=$tmp/ours

# bc_fails NAME PATTERN ARGS...: bench-compare exits 2 printing PATTERN
bc_fails () {
  name=$1 pat=$2
  shift 2
  "$BC" "$@" > "$tmp/out" 2> "$tmp/err"
  rc=$?
  if [ "$rc" = 2 ] && grep -q -e "$pat" "$tmp/err"; then
    echo "ok: $name fails: $(head -1 "$tmp/err")"
  else
    echo "FAIL: $name: exit $rc, stderr: $(head -1 "$tmp/err")"
    fails=$((fails + 1))
  fi
}
LLAMA_CPP_BIN= bc_fails "no reference" "LLAMA_CPP_BIN" -m "$MODEL"
bc_fails "reference without llama-bench" "llama-bench is not an executable" --llama "$tmp" -m "$MODEL"
bc_fails "no model" "-m MODEL.gguf is required" --llama "$ref"
bc_fails "unreadable model" "cannot read" --llama "$ref" -m "$tmp/none.gguf"
bc_fails "image without mmproj" "need --mmproj" --llama "$ref" -m "$MODEL" --image "$IMG"
bc_fails "bad thread count" "whole numbers" --llama "$ref" -m "$MODEL" -t two
bc_fails "option without value" "needs a value" --llama "$ref" -m
bc_fails "unknown option" "unknown option" --llama "$ref" -m "$MODEL" --fast

# argument or environment give the reference
out=$(LLAMA_CPP_BIN=$ref "$BC" -m "$MODEL" --mmproj "$MM" --image "$IMG" -p 8 -n 4 -t 1 -r 3 2> "$tmp/err")
echo "$out"
check "a row per test" "3" "$(echo "$out" | grep -c '^| .*\(tokens/s\|ms\)) |')"
check "reference pp median" "200.00" "$(echo "$out" | awk -F' [|] ' '/^[|] pp8/ { print $3 }')"
check "reference tg median" "20.00" "$(echo "$out" | awk -F' [|] ' '/^[|] tg4/ { print $3 }')"
check "reference image time: the slices summed" "50.00" "$(echo "$out" | awk -F' [|] ' '/^[|] image/ { print $3 }')"
check "pp ratio is ours / reference" "ok" "$(echo "$out" | awk -F' [|] ' '/^[|] pp8/ {
  d = $2 / $3 - $4; print (d < 0.01 && d > -0.01) ? "ok" : "bad " $0 }')"
check "image ratio is reference / ours time" "ok" "$(echo "$out" | awk -F' [|] ' '/^[|] image/ {
  d = $3 / $2 - $4; print (d < 0.01 && d > -0.01) ? "ok" : "bad " $0 }')"
check "the sides alternate, ours first in odd rounds" \
  "ours -m;ours --mmproj;ref-bench t=1;ref-mtmd;ref-bench t=1;ref-mtmd;ours -m;ours --mmproj;ours -m;ours --mmproj;ref-bench t=1;ref-mtmd;" \
  "$(tr '\n' ';' < "$tmp/calls")"
check "the machine is named" "1" "$(echo "$out" | grep -c '^machine: ')"
out=$(MTMD_BATCH=1 "$BC" --llama "$ref" -m "$MODEL" --mmproj "$MM" --image "$IMG" -p 8 -n 4 -t 1 -r 1 2> "$tmp/err")
check "reference image time from a batch log" "40.00" "$(echo "$out" | awk -F' [|] ' '/^[|] image/ { print $3 }')"
rm -f "$tmp/calls"
"$BC" --llama "$ref" -m "$MODEL" -p 8 -n 4 -r 1 --busy > /dev/null 2>&1
check "--llama DIR, --busy: one round each" "ours -m;ref-bench t=2;" "$(tr '\n' ';' < "$tmp/calls")"
finish bench-compare
