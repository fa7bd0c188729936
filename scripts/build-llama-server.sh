#!/bin/sh
# Builds llama.cpp's llama-server, the OpenAI-compatible serving engine the
# integration tests (meson test --suite remote) talk to, and prints the path
# of the binary. Never used for benchmarks or fixtures: only as a server.
#
# The source is the llama.cpp git bundle that the npm package node-llama-cpp
# carries. Only the llama-server target is built, statically, without the web
# UI, HTTPS or downloads. The binary is cached under
# $GEMMA4_CACHE/llama-server/KEY (default $HOME/.cache/gst-gemma4), KEY being
# the package version and the CPU it was tuned for, so that a CI machine
# builds it once. About 15 CPU-minutes (some 8 minutes on 2 idle cores).
set -eu
NLC_VERSION=3.22.1
CACHE=${GEMMA4_CACHE:-$HOME/.cache/gst-gemma4}/llama-server
# GGML_NATIVE tunes the build for this CPU: the key holds a digest of its
# feature flags so that a cache shared by different machines never runs an
# instruction the CPU lacks.
cpu=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | md5sum | cut -c1-8)
dir="$CACHE/$NLC_VERSION-native-$cpu"
bin="$dir/llama-server"
if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi
for tool in npm git cmake g++; do
  command -v "$tool" >/dev/null || { echo "build-llama-server: $tool not found (scripts/setup.sh installs it)" >&2; exit 1; }
done
mkdir -p "$CACHE"
work=$(mktemp -d "$CACHE/work.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
start=$(date +%s)
(
  cd "$work"
  npm pack --silent "node-llama-cpp@$NLC_VERSION" >/dev/null
  tar xzf "node-llama-cpp-$NLC_VERSION.tgz" package/llama/gitRelease.bundle
  git clone -q package/llama/gitRelease.bundle llama.cpp
  cmake -S llama.cpp -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
      -DGGML_NATIVE=ON -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
      -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
      -DLLAMA_BUILD_EXAMPLES=OFF >cmake.log 2>&1 || { cat cmake.log >&2; exit 1; }
  cmake --build build -j"$(nproc)" --target llama-server >build.log 2>&1 ||
    { tail -n 50 build.log >&2; exit 1; }
) >&2
mkdir -p "$dir"
cp "$work/build/bin/llama-server" "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "build-llama-server: built $bin in $(( $(date +%s) - start )) s" >&2
echo "$bin"
