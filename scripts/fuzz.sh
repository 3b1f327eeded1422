#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang++ with ASan+UBSan) and runs each for SECONDS
# (default 20) from its seed corpus. Exits non-zero on a crash, leak, timeout or out-of-memory; the
# input that caused it is left in <build>/artifacts/<target>/. docs/FUZZING.md has the details.
# Usage: scripts/fuzz.sh [SECONDS]
#   AGF_FUZZ_RUNS=N     run each target for N executions instead of SECONDS
#   AGF_FUZZ_TARGETS="npy fma"   a subset of: fma npy safetensors decode
#   AGF_FUZZ_BUILD=DIR  build folder (default build/fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
targets="${AGF_FUZZ_TARGETS:-fma npy safetensors decode}"
build="${AGF_FUZZ_BUILD:-build/fuzz}"
cxx="${AGF_FUZZ_CXX:-clang++}"
if ! command -v "$cxx" >/dev/null; then
  echo "fuzz: $cxx not found (scripts/setup.sh installs clang and libclang-rt-14-dev)" >&2
  exit 1
fi
cmake -S tests/fuzz -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
cmake --build "$build" -j "${AGF_JOBS:-$(nproc)}"

if [ -n "${AGF_FUZZ_RUNS:-}" ]; then limit=(-runs="$AGF_FUZZ_RUNS"); else limit=(-max_total_time="$seconds"); fi
status=0
for t in $targets; do
  work="$build/corpus/$t" art="$build/artifacts/$t"
  mkdir -p "$work" "$art"
  log="$build/fuzz_$t.log"
  echo "fuzz: $t (${limit[*]})"
  # The first corpus folder collects what the fuzzer finds; the committed seeds stay as they are.
  if "$build/fuzz_$t" "${limit[@]}" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
       -artifact_prefix="$art/" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|Done )' "$log" | tr '\n' ' '; echo
  else
    echo "fuzz: $t FAILED (log $log, inputs in $art/):" >&2
    grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' "$log" | head -20 >&2
    status=1
  fi
done
exit $status
