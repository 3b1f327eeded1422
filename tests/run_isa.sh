#!/usr/bin/env bash
# Runs a test command with the CPU kernels forced onto one instruction-set path (AGF_CPU_ISA, kernels/isa.h),
# or exits 77 (CTest: skipped, visibly) when this CPU cannot run that path. Usage: run_isa.sh PATH COMMAND...
set -euo pipefail
isa="$1"; shift
case "$isa" in
  baseline|native) need="" ;;
  avx2) need="avx2 fma bmi1 bmi2 f16c movbe" ;;
  avx512) need="avx2 fma bmi1 bmi2 f16c movbe avx512f avx512bw avx512cd avx512dq avx512vl" ;;
  *) echo "run_isa: unknown path $isa" >&2; exit 2 ;;
esac
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
for f in $need; do
  if [[ "$flags" != *" $f "* ]]; then
    echo "run_isa: SKIP: this CPU lacks $f, so it cannot run the $isa path"
    exit 77
  fi
done
AGF_CPU_ISA="$isa" exec "$@"
