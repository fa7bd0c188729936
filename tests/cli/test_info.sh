#!/bin/sh
# gemma4-cli info on an mmproj file (its encoders) and on text models (the
# image attention rule), --version / -V, and clean failures on bad input.
# usage: test_info.sh GEMMA4_CLI DATA_DIR PROJECT_VERSION
set -u
CLI=$1
D=$2
VERSION=$3
. "$(dirname "$0")/lib.sh"
CMD=info

out=$("$CLI" info "$MM")
check "info FILE names the clip architecture" "architecture: clip" "$(echo "$out" | grep '^architecture')"
check "info gives the soft token width" \
  "multimodal projector: soft tokens of width 128 (the text model's n_embd)" "$(echo "$out" | grep '^multimodal')"
check "info describes the vision encoder" \
  "vision encoder: gemma4v, patch 4 px, 3x3 patches per soft token, E2B/E4B flavour|  layers 2, width 64, heads 4 x 16, n_ff 96" \
  "$(echo "$out" | grep -A1 '^vision encoder' | paste -sd'|')"
check "info describes the audio encoder" \
  "audio encoder: gemma4a, 16 mel bins at 16000 Hz|  conformer layers 2, width 32, heads 4, n_ff 128, output width 24" \
  "$(echo "$out" | grep -A1 '^audio encoder' | paste -sd'|')"
check "info counts the mmproj tensors" "tensors: 223, 0.6 MiB" "$(echo "$out" | grep '^tensors')"
check "info -m FILE says the same" "$out" "$("$CLI" info -m "$MM")"

mmproj_without clip.has_audio_encoder "$tmp/vision-only.gguf"
check "an mmproj without audio has no audio encoder" "audio encoder: none" \
  "$("$CLI" info "$tmp/vision-only.gguf" | grep '^audio encoder')"
mmproj_without clip.has_vision_encoder "$tmp/audio-only.gguf"
check "an mmproj without vision has no vision encoder" "vision encoder: none" \
  "$("$CLI" info "$tmp/audio-only.gguf" | grep '^vision encoder')"

check "E2B-like model: causal image attention (width 128, per-layer embeddings)" \
  "image attention: causal (per-layer embeddings: the E2B/E4B family)" \
  "$("$CLI" info "$D/text/e2b-f32.gguf" | grep '^image attention')"
check "dense model: bidirectional image attention (width 96)" \
  "image attention: bidirectional within each image on sliding layers (no per-layer embeddings)" \
  "$("$CLI" info "$D/text/dense-f32.gguf" | grep '^image attention')"

size=$(wc -c < "$MM" | tr -d ' ')
head -c $((size / 2)) "$MM" > "$tmp/half.gguf"
fails_with "an mmproj cut in half" 1 "runs past the end of the file" "$tmp/half.gguf"
head -c 100 "$MM" > "$tmp/head.gguf"
fails_with "an mmproj cut inside its keys" 1 "n_kv 24 is too large" "$tmp/head.gguf"
fails_with "no file" 2 "a GGUF file is required"
fails_with "two files" 2 "give the file once" "$MM" -m "$MM"
fails_with "a file that is not GGUF" 1 "." "$D/mm/speech.wav"

for flag in --version -V; do
  v=$("$CLI" $flag)
  check "$flag gives the project version" "gemma4-cli (gst-gemma4) $VERSION" "$(echo "$v" | head -1)"
  isas=$(echo "$v" | sed -n 's/^kernels: \(.*\) (running: \(.*\))$/\1/p')
  running=$(echo "$v" | sed -n 's/^kernels: .* (running: \(.*\))$/\1/p')
  check "$flag lists the kernel families, scalar first" "scalar" "${isas%% *}"
  case " $isas " in
    *" $running "*) echo "ok: $flag: running $running, one of $isas" ;;
    *) echo "FAIL: $flag: running '$running' is not among '$isas'"; fails=$((fails + 1)) ;;
  esac
done
check "G4_CPU=scalar shows in --version" "scalar" \
  "$(G4_CPU=scalar "$CLI" --version | sed -n 's/^kernels: .* (running: \(.*\))$/\1/p')"
finish info
