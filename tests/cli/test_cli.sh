#!/bin/sh
# gemma4-cli end to end: every subcommand on the fixtures, their output
# formats, and clean failures (exit status and message) on bad input.
# usage: test_cli.sh GEMMA4_CLI DATA_DIR
set -u
CLI=$1
D=$2
. "$(dirname "$0")/lib.sh"
VOCAB=$D/vocab/ggml-vocab-gemma-4.gguf

check "tokenize (docs/tokenizer-and-chat.md#encoding example)" "9259,1902,236888,62367,29234,11042,2192,236743,236770,236778,236800,103453" \
  "$("$CLI" tokenize -m "$VOCAB" -p 'Hello world! Café déjà vu — 123 😊' --no-bos)"
check "tokenize chat prompt (docs/tokenizer-and-chat.md#chat-format)" "2,105,2364,107,3689,563,506,5279,529,7001,236881,106,107,105,4368,107,100,45518,107,101" \
  "$("$CLI" tokenize -m "$VOCAB" --no-bos -p '<bos><|turn>user
What is the capital of France?<turn|>
<|turn>model
<|channel>thought
<channel|>')"
check "tokenize adds bos" "2,9259" "$("$CLI" tokenize -m "$VOCAB" -p Hello)"
check "no-parse-special keeps <bos> as text" "false" \
  "$("$CLI" tokenize -m "$VOCAB" -p '<bos>' --no-parse-special --no-bos | grep -qx 2 && echo true || echo false)"

"$CLI" logits -m "$D/text/e2b-f32.gguf" --tokens "$(cat "$D/text/tokens.csv")" -o "$tmp/l.f32" 2>/dev/null
check "logits file is 40 x 512 float32" "81920" "$(wc -c < "$tmp/l.f32" | tr -d ' ')"

check "info names the architecture" "architecture: gemma4" "$("$CLI" info -m "$D/text/moe-f32.gguf" | grep '^architecture')"
check "info lists experts" "experts: 8, 2 used, expert n_ff 48" "$("$CLI" info -m "$D/text/moe-f32.gguf" | grep '^experts')"

json=$("$CLI" bench -m "$D/text/e2b-f32.gguf" -p 8 -n 4 -r 1 --json)
check "bench --json has the three keys" "3" \
  "$(echo "$json" | grep -o '"pp_tokens_per_s":[0-9.]*\|"tg_tokens_per_s":[0-9.]*\|"peak_rss_bytes":[0-9]*' | wc -l | tr -d ' ')"

json=$("$CLI" bench -m "$D/text/e2b-f32.gguf" -p 8 -n 4 -r 1 --parallel 3 --json)
check "bench --parallel 3 reports both speeds and parallel 3" "3" \
  "$(echo "$json" | grep -o '"pp_tokens_per_s":[0-9.]*\|"tg_tokens_per_s":[0-9.]*\|"parallel":3,' | wc -l | tr -d ' ')"

json=$("$CLI" bench -m "$D/text/e2b-f32.gguf" -p 8 -n 4 -d 16 -r 1 --parallel 2 --json)
check "bench -d 16 --parallel 2 reports both speeds after 16 tokens" "3" \
  "$(echo "$json" | grep -o '"pp_tokens_per_s":[0-9]*[1-9][0-9.]*\|"tg_tokens_per_s":[0-9]*[1-9][0-9.]*\|"n_depth":16,' | wc -l | tr -d ' ')"

json=$("$CLI" bench --mmproj "$D/mm/mmproj-f32.gguf" --image "$D/vision/img_160x120.ppm" -r 1 --json)
check "bench --image gives the encoder time and 130 tokens" "2" \
  "$(echo "$json" | grep -o '"image_encode_ms":[0-9.]*\|"image_tokens":130' | wc -l | tr -d ' ')"
json=$("$CLI" bench --mmproj "$D/mm/mmproj-f32.gguf" --audio "$D/mm/speech.wav" -r 1 --json)
check "bench --audio gives the encoder time, 83 tokens and 3.33 s" "3" \
  "$(echo "$json" | grep -o '"audio_encode_ms":[0-9.]*\|"audio_tokens":83\|"audio_seconds":3.330' | wc -l | tr -d ' ')"

out=$("$CLI" generate -m "$D/text-extra/rv-q4_0.gguf" -p "Hi" -n 8 --temp 0.8 --seed 5 2>/dev/null)
check "generate is reproducible for a seed" "$out" "$("$CLI" generate -m "$D/text-extra/rv-q4_0.gguf" -p "Hi" -n 8 --temp 0.8 --seed 5 2>/dev/null)"

"$CLI" generate -m "$D/text-extra/rv-q4_0.gguf" -p "Hi" -n 3 > "$tmp/gen.txt" 2>/dev/null
check "generate ends its answer with a newline" "yes" \
  "$([ -s "$tmp/gen.txt" ] && [ "$(tail -c 1 "$tmp/gen.txt" | od -An -c | tr -d ' ')" = '\n' ] && echo yes || echo no)"
"$CLI" generate -m "$D/text-extra/rv-q4_0.gguf" -p "Hi" -n 3 --temp -1 > "$tmp/out" 2> "$tmp/err"
check "generate --temp -1 is refused (2)" "2 yes" "$? $(grep -q 'temp expects a number in \[0, 100\]' "$tmp/err" && echo yes || echo no)"
"$CLI" logits -m "$D/text/e2b-f32.gguf" --tokens 1,2 -o "$tmp/no/such/dir.f32" > /dev/null 2> "$tmp/err"
check "cannot write says why" "1 yes" \
  "$? $(grep -q "cannot write $tmp/no/such/dir.f32: No such file or directory" "$tmp/err" && echo yes || echo no)"

for args in "info" "info -m /nonexistent.gguf" "logits -m $D/text/e2b-f32.gguf --tokens 1,x -o $tmp/x" \
    "logits -m $D/text/e2b-f32.gguf --tokens 999 -o $tmp/x" "generate -m $D/text/e2b-f32.gguf -p hi" \
    "bench -m $D/gguf-bad/truncated-header.gguf" "tokenize -m $D/text/e2b-f32.gguf -p hi" \
    "bench --mmproj $D/mm/mmproj-f32.gguf" "bench --image $D/vision/img_160x120.ppm" \
    "bench --mmproj $D/mm/mmproj-f32.gguf --audio $D/mm/speech.wav --image $D/vision/img_160x120.ppm" \
    "bench --mmproj $D/text/e2b-f32.gguf --image $D/vision/img_160x120.ppm" \
    "generate -m $D/text-extra/rv-q4_0.gguf -p hi --top-p 2" "bench -m $D/text/e2b-f32.gguf --parallel 0" "bench -m $D/text/e2b-f32.gguf -d -1" \
    "nosuchcommand"; do
  # shellcheck disable=SC2086
  "$CLI" $args > "$tmp/out" 2> "$tmp/err"
  rc=$?
  if [ $rc -ne 0 ] && [ $rc -lt 128 ] && [ -s "$tmp/err" ]; then
    echo "ok: '$args' fails cleanly (exit $rc): $(head -n 1 "$tmp/err")"
  else
    echo "FAIL: '$args' exit $rc"; fails=$((fails + 1))
  fi
done
for c in info tokenize logits generate bench; do
  "$CLI" $c --help | grep -q "usage: gemma4-cli $c" || { echo "FAIL: $c --help"; fails=$((fails + 1)); }
done
finish cli
