#!/usr/bin/env bash
# First contact with a GPU, in one call that fits a short window (8 minutes on an H100/H200, unpacking
# included). Runs from a bundle made here by scripts/gpu_bundle.sh (build/gpu-bundle, or a .tar.gz of it),
# in this order, each step under its own timeout so a hang cannot eat the window:
#   1. versions: nvidia-smi, `agf info` (driver, runtime, cuDNN and the CUDA it was built for). nvidia-smi
#      seeing a GPU while the CUDA runtime sees none is a failure, with the runtime's error text;
#   2. test_cuda whole, then the CUDA mel and K-means tests (test_audio MelCuda.*, test_factors KMeans.Cuda*),
#      then `agf gradcheck --device cuda --op all --net none` (the per-op CUDA-vs-CPU parity table);
#   3. `agf train --device cuda`, 2 epochs on a tiny corpus made here by `agf synth`: STN g and MTN gs, graph
#      and --no-graph, with the first epoch's losses compared against the same runs on the CPU;
#   4. the race at batch 64 (bench/peers/race.py: agf graph and eager, PyTorch eager and torch.compile in
#      default and reduce-overhead mode; max-autotune only under a 60 s bound), FP32 and TF32;
#   5. bench_ops_cuda with a short minimum time (custom kernels' GB/s beside the copy bandwidth);
#   6. compute-sanitizer memcheck over a short parity subset, when the tool exists and time is left.
# Writes OUT/REPORT.md plus the raw JSON/logs of every step; exits 1 when a test or a step failed.
#   scripts/gpu_check.sh OUT [BUNDLE]         on the GPU machine (BUNDLE: build/gpu-bundle[.tar.gz])
#   scripts/gpu_check.sh --dry-run OUT        here: assembles the bundle from build/release (no build),
#                                              checks its size (<= 40 MiB), lists every GPU step as skipped,
#                                              writes the report, exits 0. CI runs it so the script cannot rot.
# Env: AGF_CHECK_BUDGET (seconds for the whole script, default 480), AGF_CHECK_NO_RACE=1,
#      AGF_BUILD_DIR (dry run: the build folder to bundle, default build/release).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dry=0
if [ "${1:-}" = "--dry-run" ]; then dry=1; shift; fi
outdir="${1:?usage: scripts/gpu_check.sh [--dry-run] OUT [BUNDLE]}"
bundle_arg="${2:-build/gpu-bundle}"
mkdir -p "$outdir" && outdir=$(cd "$outdir" && pwd)
report="$outdir/REPORT.md"
budget="${AGF_CHECK_BUDGET:-480}"
t_start=$(date +%s)
failed=0
log() { echo "gpu_check: $*" >&2; }
elapsed() { echo $(( $(date +%s) - t_start )); }
left() { echo $(( budget - $(elapsed) )); }
section() { printf '\n## %s\n\n' "$1" >> "$report"; }
line() { printf '%s\n' "$*" >> "$report"; }
fence() { { echo '```'; cat "$1" 2>/dev/null | tail -n "${2:-60}"; echo '```'; } >> "$report"; }
# step NAME TIMEOUT CMD...: runs CMD under `timeout`, logs to OUT/NAME.log, records PASS/FAIL/TIMEOUT.
declare -a summary=()
step() {
  local name=$1 limit=$2; shift 2
  local l; l=$(left)
  if [ "$l" -lt 15 ]; then
    summary+=("| $name | SKIPPED (budget spent) | 0 s |"); line "Skipped: $name (the ${budget} s budget is spent)"; return 0
  fi
  [ "$limit" -gt "$l" ] && limit=$l
  local t0; t0=$(date +%s)
  log "$name (timeout ${limit} s)"
  timeout --kill-after=10 "$limit" "$@" > "$outdir/$name.log" 2>&1
  local rc=$? dt=$(( $(date +%s) - t0 ))
  local verdict=PASS
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then verdict="TIMEOUT (${limit} s)"; failed=1
  elif [ $rc -ne 0 ]; then verdict="FAIL (rc $rc)"; failed=1; fi
  summary+=("| $name | $verdict | ${dt} s |")
  line "### $name: $verdict in ${dt} s"
  line ""
  fence "$outdir/$name.log" "${TAIL_LINES:-40}"
  return $rc
}

# ---------------------------------------------------------------- the bundle
{
  echo "# agf GPU first-contact check, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "Host \`$(uname -n)\` ($(uname -m)), $(nproc) CPUs$([ $dry = 1 ] && echo '; DRY RUN (no GPU steps run)')."
} > "$report"

if [ $dry = 1 ]; then
  section "Bundle (assembled here)"
  bdir="${AGF_BUILD_DIR:-build/release}"
  if [ -x "$bdir/test_cuda" ] && [ -x "$bdir/agf" ] && [ -x "$bdir/bench_dcnn_cuda" ]; then
    if AGF_BUNDLE_NO_BUILD=1 bash scripts/gpu_bundle.sh "$bdir" > "$outdir/bundle.log" 2>&1; then
      line "$(tail -1 "$outdir/bundle.log")"
    else
      line "FAIL: bundle assembly or size check (limit 40 MiB):"; fence "$outdir/bundle.log"; failed=1
    fi
    bundle=$root/build/gpu-bundle
  else
    line "Skipped: $bdir has no CUDA targets (no nvcc here?), so there is no bundle to assemble."
    bundle=""
  fi
else
  if [[ "$bundle_arg" == *.tar.gz ]]; then
    mkdir -p "$outdir/bundle" && tar -xzf "$bundle_arg" -C "$outdir/bundle" || { log "cannot unpack $bundle_arg"; exit 2; }
    bundle=$(find "$outdir/bundle" -maxdepth 2 -name MANIFEST.txt -printf '%h\n' | head -1)
  else
    bundle=$(cd "$bundle_arg" 2>/dev/null && pwd) || { log "no bundle at $bundle_arg (make it with scripts/gpu_bundle.sh)"; exit 2; }
  fi
fi
if [ -n "${bundle:-}" ] && [ -f "$bundle/MANIFEST.txt" ]; then
  section "Manifest"; fence "$bundle/MANIFEST.txt"
  line "Bundle size: $(du -sm "$bundle" | cut -f1) MiB (limit 40)."
  # K3: a host whose glibc is older than what the binaries need cannot start them; say so first.
  need=$(sed -n 's/^glibc_needed: GLIBC_//p' "$bundle/MANIFEST.txt")
  have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
  if [ -n "$need" ] && [ -n "$have" ] && [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
    line "FAIL: the binaries need glibc $need, this host has $have."; failed=1
  fi
fi

# The CUDA libraries come from the machine: the toolkit, or PyTorch's pip wheels. Only agf's binaries get the
# bundle's libraries (K2): PyTorch keeps the machine's own libstdc++.
agf_ld="${bundle:-}/lib"
for d in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/lib/x86_64-linux-gnu; do [ -d "$d" ] && agf_ld="$agf_ld:$d"; done
extra=$(python3 - 2>/dev/null <<'EOF'
import glob, os, site
roots = list(site.getsitepackages()) + [site.getusersitepackages()]
print(":".join(sorted({d for r in roots for d in glob.glob(os.path.join(r, "nvidia", "*", "lib"))})))
EOF
)
[ -n "$extra" ] && agf_ld="$agf_ld:$extra"
agf_ld="$agf_ld${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
run_agf() { env LD_LIBRARY_PATH="$agf_ld" "$@"; }
# Tests find fixtures through the source path compiled into them; point that path at this checkout.
src_dir=$(sed -n 's/^source_dir: //p' "${bundle:-/nonexistent}/MANIFEST.txt" 2>/dev/null)
if [ $dry = 0 ] && [ -n "$src_dir" ] && [ "$src_dir" != "$root" ] && [ ! -e "$src_dir" ]; then
  mkdir -p "$(dirname "$src_dir")" 2>/dev/null && ln -s "$root" "$src_dir" 2>/dev/null ||
    log "warning: cannot link $src_dir to $root; tests that read fixtures will fail"
fi
B="${bundle:-/nonexistent}/bin"

gpu_steps=("versions" "test_cuda" "mel_kmeans_cuda" "gradcheck_cuda" "train_smoke" "race" "bench_ops_cuda" "memcheck")
if [ $dry = 1 ]; then
  section "GPU steps"
  line "| step | result |"; line "|---|---|"
  for s in "${gpu_steps[@]}"; do line "| $s | skipped (dry run: no GPU) |"; done
  if [ -n "${bundle:-}" ]; then
    # What a machine without a GPU can still check: the binaries start and list what they would run.
    if run_agf "$B/bench_dcnn_cuda" --benchmark_list_tests > "$outdir/bench_dcnn_cuda.list" 2>&1; then
      line ""; line "bench_dcnn_cuda lists $(wc -l < "$outdir/bench_dcnn_cuda.list") benchmarks:"; fence "$outdir/bench_dcnn_cuda.list" 40
    else
      line "FAIL: bench_dcnn_cuda --benchmark_list_tests"; fence "$outdir/bench_dcnn_cuda.list"; failed=1
    fi
    # The benchmark flags the GPU steps pass must parse with the bundled Google Benchmark (Debian's 1.7
    # takes --benchmark_min_time as a plain number, not "0.2s"): same flags, a filter that matches nothing.
    for bb in bench_dcnn_cuda bench_ops_cuda; do
      if run_agf "$B/$bb" --benchmark_filter='^none$' --benchmark_min_time=0.2 --benchmark_repetitions=3 \
           --benchmark_report_aggregates_only=true --benchmark_out="$outdir/$bb.flags.json" \
           --benchmark_out_format=json > "$outdir/$bb.flags.log" 2>&1 && ! grep -q 'unrecognized\|expected to be' "$outdir/$bb.flags.log"; then
        line "$bb accepts the GPU steps' benchmark flags."
      else
        line "FAIL: $bb rejects the GPU steps' benchmark flags:"; fence "$outdir/$bb.flags.log" 10; failed=1
      fi
    done
    if run_agf "$B/test_cuda" --gtest_list_tests > "$outdir/test_cuda.list" 2>&1; then
      line ""; line "test_cuda lists $(grep -c '^  ' "$outdir/test_cuda.list") tests."
    else
      line "FAIL: test_cuda --gtest_list_tests"; fence "$outdir/test_cuda.list"; failed=1
    fi
  fi
  line ""; line "Dry run finished in $(elapsed) s: $([ $failed = 0 ] && echo OK || echo FAILED)."
  cat "$report"
  exit $failed
fi

# ---------------------------------------------------------------- 1. versions
section "1. Versions"
step versions 60 bash -c '
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv || echo "nvidia-smi: none"
  echo; env LD_LIBRARY_PATH="$1" "$0" info' "$B/agf" "$agf_ld"
smi_gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
rt_gpus=$(sed -n 's/^cuda devices: \([0-9]*\).*/\1/p' "$outdir/versions.log" | head -1)
if [ "${smi_gpus:-0}" -gt 0 ] && [ "${rt_gpus:-0}" = 0 ]; then
  line "FAIL: nvidia-smi sees ${smi_gpus} GPU(s) but the CUDA runtime sees none: $(grep '^cuda devices' "$outdir/versions.log")"
  failed=1
fi
if [ "${rt_gpus:-0}" = 0 ]; then
  line "FAIL: the CUDA runtime sees no GPU here: every CUDA step below fails or skips, nothing runs on a GPU."
  failed=1
fi
gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)

# ---------------------------------------------------------------- 2. tests
section "2. CUDA tests"
TAIL_LINES=25 step test_cuda 200 env LD_LIBRARY_PATH="$agf_ld" "$B/test_cuda" --gtest_output="json:$outdir/test_cuda.json"
grep -E '^\[  (PASSED|FAILED|SKIPPED) |^\[  FAILED  \]' "$outdir/test_cuda.log" | head -40 > "$outdir/test_cuda.summary"
fence "$outdir/test_cuda.summary" 40
if grep -q '^\[  SKIPPED \]' "$outdir/test_cuda.log" && [ "${rt_gpus:-0}" != 0 ]; then
  line "FAIL: CUDA tests skipped on a machine whose runtime sees a GPU"; failed=1
fi
TAIL_LINES=15 step mel_kmeans_cuda 90 env LD_LIBRARY_PATH="$agf_ld" bash -c '"$0/test_audio" --gtest_filter="MelCuda.*" --gtest_output="json:$1/mel_cuda.json" &&
  "$0/test_factors" --gtest_filter="KMeans.Cuda*" --gtest_output="json:$1/kmeans_cuda.json"' "$B" "$outdir" \
  || true
# The command users run: one row per op and tensor, exit 1 on any row outside its tolerance.
TAIL_LINES=60 step gradcheck_cuda 90 env LD_LIBRARY_PATH="$agf_ld" "$B/agf" gradcheck --device cuda --op all --net none

# ---------------------------------------------------------------- 3. training smoke
section "3. agf train --device cuda (2 epochs, tiny corpus) against the CPU"
smoke=$outdir/smoke
TAIL_LINES=30 step train_smoke 150 env LD_LIBRARY_PATH="$agf_ld" bash -c '
  set -e; a="$0"; s="$1"; rm -rf "$s"; mkdir -p "$s"
  "$a" synth --out "$s/corpus" --preset easy --genres 4 --artists 2 --tracks-per-artist 6 --seconds 4 --quiet
  "$a" prepare --metadata "$s/corpus/fma_metadata" --audio "$s/corpus/fma_audio" --work "$s/work" --subset all --device cpu --quiet
  "$a" factors --work "$s/work" --kinds s --topics 4
  set +e; bad=0
  for run in "stn g cuda graph" "stn g cuda eager" "stn g cpu graph" "mtn gs cuda graph" "mtn gs cuda eager" "mtn gs cpu graph"; do
    set -- $run
    extra=""; [ "$4" = eager ] && extra="--no-graph"
    "$a" train --work "$s/work" --out "$s/runs/$1-$2-$3-$4" --arch "$1" --tasks "$2" --epochs 2 --batch 8 --device "$3" $extra --quiet
    rc=$?; [ $rc -ne 0 ] && bad=1
    echo "$1-$2-$3-$4 (rc $rc): $(head -1 "$s/runs/$1-$2-$3-$4/train.jsonl" 2>/dev/null)"
  done
  exit $bad' "$B/agf" "$smoke"
python3 - "$smoke" >> "$report" 2>&1 <<'EOF' || failed=1
import json, sys, os
s = sys.argv[1]
def first(run):
    p = os.path.join(s, "runs", run, "train.jsonl")
    with open(p) as f:
        return json.loads(f.readline())["train"]
print("| net | task | CUDA graph | CUDA eager | CPU | graph vs eager | graph vs CPU (rel.) |")
print("|---|---|---|---|---|---|---|")
bad = 0
for net, tasks in (("stn", "g"), ("mtn", "gs")):
    try:
        g, e, c = (first(f"{net}-{tasks}-{d}") for d in ("cuda-graph", "cuda-eager", "cpu-graph"))
    except (OSError, ValueError, KeyError) as x:
        print(f"| {net} | - | missing: {x} | | | | |"); bad = 1; continue
    for t in sorted(c):
        rel = abs(g[t] - c[t]) / max(1.0, abs(c[t]))
        same = "same" if g.get(t) == e.get(t) else "DIFFER"
        ok = same == "same" and rel < 1e-3
        bad |= not ok
        print(f"| {net} | {t} | {g[t]:.6f} | {e[t]:.6f} | {c[t]:.6f} | {same} | {rel:.1e}{'' if ok else ' FAIL'} |")
print()
print("First-epoch training loss per task. Pass: graph == eager exactly, graph vs CPU within 1e-3 relative.")
sys.exit(bad)
EOF

# ---------------------------------------------------------------- 4. race
section "4. The race at batch 64 (agf graph/eager, PyTorch eager/torch.compile; FP32 and TF32)"
if [ "${AGF_CHECK_NO_RACE:-0}" = 1 ]; then line "Skipped (AGF_CHECK_NO_RACE=1)."
elif python3 -c 'import torch; assert torch.cuda.is_available()' > "$outdir/torch_import.log" 2>&1; then
  TAIL_LINES=30 step race 170 env AGF_LD_LIBRARY_PATH="$agf_ld" python3 bench/peers/race.py --agf "$B/bench_dcnn_cuda" \
    --batches 64 --tf32 0,1 --compile-modes default,reduce-overhead --repetitions 3 --min-time 0.2 --steps 30 \
    --warmup 5 --timeout 60 --markdown "$outdir/race.md" --json "$outdir/race.json"
  [ -f "$outdir/race.md" ] && cat "$outdir/race.md" >> "$report"
  # More agf rows (batch 256, MTN, MLP, inference) when there is time.
  TAIL_LINES=30 step bench_dcnn_cuda 60 env LD_LIBRARY_PATH="$agf_ld" "$B/bench_dcnn_cuda" \
    --benchmark_filter='batch:256|mtn2|mlp|infer' --benchmark_min_time=0.2 --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true --benchmark_out="$outdir/bench_dcnn_cuda.json" --benchmark_out_format=json || true
else
  line "PyTorch does not import with CUDA here:"; fence "$outdir/torch_import.log" 10
  TAIL_LINES=40 step bench_dcnn_cuda 90 env LD_LIBRARY_PATH="$agf_ld" "$B/bench_dcnn_cuda" --benchmark_min_time=0.2 \
    --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
    --benchmark_out="$outdir/bench_dcnn_cuda.json" --benchmark_out_format=json || true
fi

# ---------------------------------------------------------------- 5. kernels
section "5. bench_ops_cuda (custom kernels' GB/s beside the copy bandwidth; convolutions)"
TAIL_LINES=80 step bench_ops_cuda 90 env LD_LIBRARY_PATH="$agf_ld" "$B/bench_ops_cuda" --benchmark_min_time=0.05 \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_out="$outdir/bench_ops_cuda.json" --benchmark_out_format=json || true
[ -f "$outdir/bench_ops_cuda.json" ] && python3 bench/peers/kernel_table.py "$outdir/bench_ops_cuda.json" >> "$report" 2>&1

# ---------------------------------------------------------------- 6. memcheck
section "6. compute-sanitizer memcheck (short parity subset)"
san=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)
if [ -z "$san" ]; then line "Skipped: compute-sanitizer not found."
else
  TAIL_LINES=20 step memcheck 60 env LD_LIBRARY_PATH="$agf_ld" "$san" --tool memcheck --error-exitcode 3 "$B/test_cuda" \
    --gtest_filter='CudaGraphLifecycle.ReplayEqualsEager*:CudaParity.GlobalAveragePooling:CudaParity.Dropout*:CudaParity.AdamSteps*' || true
fi

# ---------------------------------------------------------------- summary
{
  echo
  echo "## Summary"
  echo
  echo "GPU: ${gpu_name:-unknown}. Total $(elapsed) s of a ${budget} s budget. Result: $([ $failed = 0 ] && echo PASS || echo FAIL)."
  echo
  echo "| step | result | time |"
  echo "|---|---|---|"
  printf '%s\n' "${summary[@]}"
} >> "$report"
cat "$report"
exit $failed
