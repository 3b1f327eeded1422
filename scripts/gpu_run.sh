#!/usr/bin/env bash
# Runs the GPU suite on a machine with an NVIDIA GPU, from the repository root, using a bundle made by
# scripts/gpu_bundle.sh (no build, no Debian libraries needed): nvidia-smi, every test binary (GoogleTest, directly),
# the *_cuda benchmarks (console + JSON), and bench/peers/race.py when PyTorch imports. Writes REPORT.md and the
# raw logs into the output directory.
#   scripts/gpu_run.sh [bundle-dir] [output-dir]     (defaults: build/gpu-bundle, out/gpu-<date>)
# For a short GPU window use scripts/gpu_check.sh instead (first contact, 8 minutes); this runs everything.
# Env: AGF_GPU_ALL_BENCH=1 also runs the CPU benchmarks; AGF_GPU_NO_RACE=1 skips the race;
#      AGF_GPU_TEST_TIMEOUT / AGF_GPU_BENCH_TIMEOUT (seconds, default 300 / 300).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bundle=$(cd "${1:-build/gpu-bundle}" && pwd) || { echo "gpu_run: no bundle dir ${1:-build/gpu-bundle}" >&2; exit 2; }
outdir="${2:-out/gpu-$(date -u +%Y%m%d-%H%M%S)}"
mkdir -p "$outdir" && outdir=$(cd "$outdir" && pwd)
log() { echo "gpu_run: $*" >&2; }
# The bundle's libraries (Debian's libstdc++ among them) go to agf's binaries only, never to python3/PyTorch.
agf_ld="$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# CUDA's own libraries (cudart, cuBLAS, cuDNN) come from the machine: the toolkit, or PyTorch's pip wheels
# (site-packages/nvidia/*/lib), which are not on the loader's path by default.
if env LD_LIBRARY_PATH="$agf_ld" ldd "$bundle"/bin/* 2>/dev/null | grep -q 'not found'; then
  extra=$(python3 - 2>/dev/null <<'EOF'
import glob, os, site
roots = list(site.getsitepackages()) + [site.getusersitepackages()]
print(":".join(sorted({d for r in roots for d in glob.glob(os.path.join(r, "nvidia", "*", "lib"))})))
EOF
)
  for d in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/lib/x86_64-linux-gnu; do [ -d "$d" ] && extra="$extra:$d"; done
  agf_ld="$agf_ld:${extra#:}"
  still=$(env LD_LIBRARY_PATH="$agf_ld" ldd "$bundle"/bin/* 2>/dev/null | awk '/not found/ {print $1}' | sort -u | tr '\n' ' ')
  [ -n "$still" ] && log "warning: libraries still not found: $still"
fi
test_timeout="${AGF_GPU_TEST_TIMEOUT:-300}"
bench_timeout="${AGF_GPU_BENCH_TIMEOUT:-300}"
report="$outdir/REPORT.md"

# Tests find fixtures through the source path compiled into them; point that path at this checkout.
src_dir=$(sed -n 's/^source_dir: //p' "$bundle/MANIFEST.txt" 2>/dev/null)
if [ -n "$src_dir" ] && [ "$src_dir" != "$root" ] && [ ! -e "$src_dir" ]; then
  if mkdir -p "$(dirname "$src_dir")" 2>/dev/null && ln -s "$root" "$src_dir" 2>/dev/null; then
    log "linked $src_dir -> $root (fixture paths compiled into the tests)"
  else
    log "warning: cannot create $src_dir; tests that read fixtures will fail"
  fi
fi

{
  echo "# agf GPU run, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "Host \`$(uname -n)\`, $(nproc) CPUs. Bundle: \`$bundle\`."
  echo
  echo '```'
  cat "$bundle/MANIFEST.txt" 2>/dev/null
  echo '```'
  echo
  echo "## nvidia-smi"
  echo
  echo '```'
  nvidia-smi 2>&1 | tee "$outdir/nvidia-smi.txt"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv 2>&1
  echo '```'
} > "$report"

# ---- Tests: every test_* binary, directly (GoogleTest), with XML results.
overall=0
no_gpu=0
{
  echo
  echo "## Tests"
  echo
  echo "| binary | result | passed | failed | skipped | seconds |"
  echo "|---|---|---|---|---|---|"
} >> "$report"
for t in "$bundle"/bin/test_cuda $(ls "$bundle"/bin/test_* | grep -v '/test_cuda$'); do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  log "running $name"
  start=$(date +%s)
  timeout "$test_timeout" env LD_LIBRARY_PATH="$agf_ld" "$t" --gtest_output="xml:$outdir/$name.xml" > "$outdir/$name.log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  passed=$(grep -c '^\[       OK \]' "$outdir/$name.log")
  failed=$(grep -c '^\[  FAILED  \] [A-Za-z_0-9]*\.' "$outdir/$name.log")
  failed=$(( failed / 2 ))  # each failure is listed twice: when it ends and in the summary
  skipped=$(grep -c '^\[  SKIPPED \] [A-Za-z_0-9]*\.[A-Za-z_0-9]* (' "$outdir/$name.log")
  result=pass
  [ $rc -eq 124 ] && result="TIMEOUT (${test_timeout}s)"
  [ $rc -ne 0 ] && [ $rc -ne 124 ] && result="FAIL (rc $rc)"
  [ $rc -ne 0 ] && overall=1
  echo "| $name | $result | $passed | $failed | $skipped | $secs |" >> "$report"
  if [ "$name" = test_cuda ] && grep -q 'no CUDA device' "$outdir/$name.log"; then no_gpu=1; fi
done
{
  echo
  echo "Failures and skips (first 60 lines):"
  echo
  echo '```'
  grep -h -E '^\[  (FAILED|SKIPPED) *\] .*\(|Failure$|error:' "$outdir"/test_*.log 2>/dev/null | head -60
  echo '```'
} >> "$report"

# ---- Benchmarks: console for people, JSON for tables.
echo -e "\n## Benchmarks\n" >> "$report"
for b in "$bundle"/bin/bench_*; do
  [ -x "$b" ] || continue
  name=$(basename "$b")
  case "$name" in *_cuda) ;; *) [ "${AGF_GPU_ALL_BENCH:-0}" = 1 ] || continue ;; esac
  log "running $name"
  timeout "$bench_timeout" env LD_LIBRARY_PATH="$agf_ld" "$b" --benchmark_min_time=0.05 --benchmark_repetitions=3 --benchmark_format=console --benchmark_out="$outdir/$name.json" \
    --benchmark_out_format=json > "$outdir/$name.txt" 2>&1
  rc=$?
  [ $rc -ne 0 ] && { overall=1; echo "**$name failed (rc $rc)**; see $name.txt" >> "$report"; }
  {
    echo "### $name"
    echo
    echo '```'
    grep -E '_median|^Benchmark|^---|^gpu|error' "$outdir/$name.txt" | head -200
    echo '```'
  } >> "$report"
done

# Kernels against the copy ceiling (from bench_ops_cuda's JSON).
if [ -f "$outdir/bench_ops_cuda.json" ] && command -v python3 >/dev/null; then
  python3 bench/peers/kernel_table.py "$outdir/bench_ops_cuda.json" >> "$report"
fi

# ---- The race against PyTorch (eager and torch.compile), same GPU, same run.
if [ "${AGF_GPU_NO_RACE:-0}" != 1 ] && python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  if [ -x "$bundle/bin/bench_dcnn_cuda" ]; then
    log "running bench/peers/race.py"
    timeout 900 env AGF_LD_LIBRARY_PATH="$agf_ld" python3 bench/peers/race.py --agf "$bundle/bin/bench_dcnn_cuda" --timeout 120 --markdown "$outdir/race.md" \
      --json "$outdir/race.json" > "$outdir/race.log" 2>&1 || { overall=1; log "race.py failed (see race.log)"; }
    { echo -e "\n## Race against PyTorch\n"; cat "$outdir/race.md" 2>/dev/null || tail -30 "$outdir/race.log"; } >> "$report"
  else
    echo -e "\n## Race against PyTorch\n\nSkipped: bench_dcnn_cuda is not in the bundle." >> "$report"
  fi
else
  echo -e "\n## Race against PyTorch\n\nSkipped: PyTorch with CUDA does not import here (or AGF_GPU_NO_RACE=1)." >> "$report"
fi

if [ $no_gpu -eq 1 ]; then
  echo -e "\n**No CUDA device was visible: the CUDA tests were SKIPPED, nothing here ran on a GPU.**" >> "$report"
  [ $overall -eq 0 ] && overall=3
fi
echo -e "\nOverall: $([ $overall -eq 0 ] && echo 'all steps succeeded' || echo "NOT OK (exit $overall)")" >> "$report"
log "report: $report"
exit $overall
