#!/bin/sh
# Installs what gst-gemma4 needs to build and test on Debian 12 (apt-get, as
# root or through sudo), then configures and builds into ./build. With
# --check it only prints what is missing and fails if anything is.
set -eu
cd "$(dirname "$0")/.."
PKGS="gcc libc6-dev meson ninja-build pkg-config clang libclang-rt-14-dev libavformat-dev libavcodec-dev libswresample-dev libswscale-dev libavutil-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-x gstreamer1.0-tools libpango1.0-dev libcairo2-dev fonts-dejavu-core fonts-wqy-microhei valgrind curl python3 libjson-glib-dev libsoup-3.0-dev python3-jsonschema python3-gi gir1.2-gstreamer-1.0 cmake g++ git"
# npm fetches llama-server's source (scripts/build-llama-server.sh): Debian's,
# unless the machine has one of its own
command -v npm >/dev/null || PKGS="$PKGS npm"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# --check: only say what is missing (packages, the build), exit 1 if anything
if [ "${1:-}" = --check ]; then
  [ -f build/build.ninja ] || missing="$missing (build/ not configured)"
  [ -z "$missing" ] || { echo "${missing# }"; exit 1; }
  exit 0
fi
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
[ -f build/build.ninja ] || meson setup build
ninja -C build
