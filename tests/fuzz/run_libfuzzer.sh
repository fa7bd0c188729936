#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds tests/fuzz/fuzz_gguf.c with clang's libFuzzer plus ASan/UBSan and runs
# it for a bounded time (G4_FUZZ_SECONDS, default 30) on a copy of the seed and
# hostile corpora. Fails on any crash, leak or sanitizer report; exits 77 (skip)
# when clang or libFuzzer (Debian: clang, libclang-rt-14-dev) is missing.
# usage: run_libfuzzer.sh SOURCE_ROOT WORK_DIR
set -u
src=$1
work=$2
seconds=${G4_FUZZ_SECONDS:-30}
cc=${CLANG:-clang}

if ! command -v "$cc" >/dev/null 2>&1; then
  echo "SKIP: $cc not found"
  exit 77
fi
mkdir -p "$work" || exit 1
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' \
  >"$work/probe.c"
if ! "$cc" -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" >/dev/null 2>&1; then
  echo "SKIP: $cc cannot link -fsanitize=fuzzer (install libclang-rt-dev)"
  exit 77
fi

core=$src/core
"$cc" -g -O1 -std=gnu11 -D_GNU_SOURCE \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$core/include" -I"$core/base" -I"$core/gguf" \
  "$src/tests/fuzz/fuzz_gguf.c" "$core/gguf/gguf.c" "$core/gguf/gguf_writer.c" \
  "$core/base/error.c" "$core/base/mapped_file.c" "$core/gguf/type_traits.c" \
  -o "$work/fuzz_gguf" || exit 1

rm -rf "$work/corpus" "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*
mkdir -p "$work/corpus"
cp "$src"/tests/data/gguf-seeds/*.gguf "$src"/tests/data/gguf-bad/*.gguf "$work/corpus/"

"$work/fuzz_gguf" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
  -rss_limit_mb=2048 -dict="$src/tests/fuzz/gguf.dict" -artifact_prefix="$work/" \
  -print_final_stats=1 "$work/corpus" >"$work/fuzz.log" 2>&1
rc=$?
grep -E '^stat::(number_of_executed_units|new_units_added)|^#[0-9]+ *DONE' "$work/fuzz.log"
if [ $rc -ne 0 ]; then
  tail -n 60 "$work/fuzz.log"
  ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null
  echo "FAIL: libFuzzer exited with $rc; reproducer(s) above"
  exit 1
fi
echo "PASS: ${seconds}s of libFuzzer without a crash"
