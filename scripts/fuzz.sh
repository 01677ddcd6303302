#!/usr/bin/env bash
# Builds native/fuzz/fuzz_native.cc with AddressSanitizer + UBSan (plain g++, no libFuzzer needed) and
# runs it for a bounded time: `scripts/fuzz.sh [seconds]` (default 30, at most 60 in CI). It fuzzes MLX's
# safetensors reader and array construction through the binding's own checks (native/checked.cc).
# Exit 0 with the execution count on stdout when nothing was found; non-zero with the input written to
# build/fuzz/crash-<target>.bin otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
mlx="${MLX_DIR:-$PWD/vendor/mlx/mlx}"
out=build/fuzz
mkdir -p "$out"
bin="$out/fuzz_native"
if [[ ! -x "$bin" || native/fuzz/fuzz_native.cc -nt "$bin" || native/checked.cc -nt "$bin" || native/checked.h -nt "$bin" ]]; then
  g++ -std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -I"$mlx/include" native/fuzz/fuzz_native.cc native/checked.cc \
    -L"$mlx/lib" -Wl,-rpath,"$mlx/lib" -lmlx -o "$bin"
fi
seeds=()
for f in test/fixtures/io-python.safetensors test/fixtures/models-modernbert-tiny/model.safetensors; do
  [[ -f "$f" ]] && seeds+=("$PWD/$f")
done
# MLX's worker threads outlive main; leak checking would report MLX's own caches, not our inputs.
cd "$out"
ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:${ASAN_OPTIONS:-}" UBSAN_OPTIONS="print_stacktrace=1:${UBSAN_OPTIONS:-}" \
  ./fuzz_native "$seconds" "${seeds[@]}"
