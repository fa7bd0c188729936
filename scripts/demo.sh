#!/bin/sh
# Sets up and builds, then runs gemma4-cli on a model: MODEL (default: the
# bundled tiny model, which has the real Gemma 4 tokenizer and chat template but
# random weights, so its text is gibberish; pass a real gemma-4-*.gguf for real
# answers). PROMPT defaults to a question.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
MODEL=${1:-tests/data/text-extra/rv-q4_0.gguf}
PROMPT=${2:-What is the capital of France?}
build/core/cli/gemma4-cli info -m "$MODEL"
echo
echo "> $PROMPT"
build/core/cli/gemma4-cli generate -m "$MODEL" -p "$PROMPT" -n 32
