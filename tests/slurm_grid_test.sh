#!/usr/bin/env bash
# Issue 15 §3: the sharded grid under a real Slurm. Starts a one-node Slurm from Debian's packages
# (scripts/slurm/local_cluster.sh: munge, slurmctld, slurmd on localhost, this machine's CPUs, no GPU), makes a
# small agf synth corpus, runs a tiny grid serially as the reference, submits scripts/slurm/agf-grid.sbatch as a
# 2-task array on the CPU and agf-collect.sbatch after it (afterok), waits, and checks that the merged
# results.csv equals the serial run case for case (log loss, F1, accuracy to all 17 digits: every process uses
# one thread, so the sums are the same). The daemons are stopped at the end, whatever happens. If they cannot
# start, the test fails with their logs; it never skips.
# Usage: slurm_grid_test.sh AGF_BINARY
set -euo pipefail
agf="$(realpath "${1:?usage: slurm_grid_test.sh AGF_BINARY}")"
repo="$(cd "$(dirname "$0")/.." && pwd)"
t0=$(date +%s)
dir="$(mktemp -d /tmp/agf_slurm_test.XXXXXX)"
chmod 755 "$dir"
cluster="$dir/cluster"
fail() {
  echo "slurm_grid_test: FAILED: $*" >&2
  for f in "$dir"/jobs/*.out "$cluster"/log/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -40 "$f" >&2; }; done
  exit 1
}
cleanup() {
  bash "$repo/scripts/slurm/local_cluster.sh" stop "$cluster" >/dev/null 2>&1 || true
  if [ "${AGF_KEEP_SLURM_TEST:-0}" = 1 ]; then echo "slurm_grid_test: kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT

bash "$repo/scripts/slurm/local_cluster.sh" install
bash "$repo/scripts/slurm/local_cluster.sh" start "$cluster" || fail "the Slurm daemons did not start"
export SLURM_CONF="$cluster/slurm.conf"

# The corpus: 4 genres x 2 artists x 3 tracks of 3 s, factor s only (the grid below needs g and s).
export OMP_NUM_THREADS=1
"$agf" synth --out "$dir/corpus" --preset easy --seed 7 --genres 4 --artists 2 --tracks-per-artist 3 --seconds 3 \
  --format wav --threads 2 --quiet
"$agf" prepare --metadata "$dir/corpus/fma_metadata" --audio "$dir/corpus/fma_audio" --work "$dir/work" --subset all \
  --threads 2 --device cpu --quiet
"$agf" factors --work "$dir/work" --kinds s --topics 4 --threads 1 >/dev/null
grid=(--case stn-g,stn-s,stn-gs,mtn-gs --stn-epochs 2 --mtn-epochs 2 --mlp-epochs 2 --batch 8)

ts=$(date +%s)
"$agf" experiment --work "$dir/work" --out "$dir/serial" "${grid[@]}" --device cpu --quiet >"$dir/serial.log" 2>&1 ||
  { cat "$dir/serial.log" >&2; fail "the serial reference run failed"; }
serial_s=$(( $(date +%s) - ts ))

mkdir -p "$dir/jobs"
cd "$dir/jobs"
ts=$(date +%s)
export AGF="$agf" AGF_DEVICE=cpu
jid=$(sbatch --parsable --array=0-1 --gres=none --cpus-per-task=1 --time=15 --output="$dir/jobs/grid-%a.out" \
        "$repo/scripts/slurm/agf-grid.sbatch" "$dir/work" "$dir/sharded" "${grid[@]}") || fail "sbatch of the array failed"
cid=$(sbatch --parsable --dependency="afterok:$jid" --gres=none --time=5 --output="$dir/jobs/collect.out" \
        "$repo/scripts/slurm/agf-collect.sbatch" "$dir/work" "$dir/sharded" "${grid[@]}") || fail "sbatch of the collect job failed"
echo "slurm_grid_test: array job $jid (2 tasks), collect job $cid"

state_of() { scontrol show job -o "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -1 | cut -d= -f2; }
for _ in $(seq 1 600); do
  st="$(state_of "$cid")"
  case "$st" in
    COMPLETED) break ;;
    FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE) fail "collect job $cid ended $st" ;;
    PENDING)
      # A failed array task leaves the collect job pending forever (DependencyNeverSatisfied).
      reason="$(scontrol show job -o "$cid" | grep -o 'Reason=[A-Za-z_]*' | cut -d= -f2)"
      [ "$reason" = DependencyNeverSatisfied ] && fail "an array task failed: collect job $cid can never run"
      ;;
  esac
  sleep 1
done
[ "$(state_of "$cid")" = COMPLETED ] || fail "collect job $cid did not complete in 600 s (state $(state_of "$cid"))"
slurm_s=$(( $(date +%s) - ts ))

# The merged results against the serial run, case for case.
cut -d, -f1-7 "$dir/serial/results.csv" | sort >"$dir/serial.rows"
cut -d, -f1-7 "$dir/sharded/results.csv" | sort >"$dir/sharded.rows"
[ "$(wc -l <"$dir/serial.rows")" -eq 5 ] || fail "the serial run has $(($(wc -l <"$dir/serial.rows") - 1)) results, expected 4"
diff "$dir/serial.rows" "$dir/sharded.rows" >&2 || fail "the sharded results.csv differs from the serial run's"
grep -q "agf-grid: shard 0/2" "$dir/jobs/grid-0.out" && grep -q "agf-grid: shard 1/2" "$dir/jobs/grid-1.out" ||
  fail "the array tasks did not run as shards 0/2 and 1/2"
[ -f "$dir/sharded/report.html" ] || fail "no merged report.html"
# Each shared net was trained once: one net folder each, and each shard's log names only its own trainings.
trained=$(cat "$dir"/jobs/grid-*.out | grep -cE '^train: .*, epochs 1\.\.2 of 2, ' || true)
[ "$trained" -eq 3 ] || fail "expected 3 net trainings (stn-g, stn-s, mtn-gs) over both shards, found $trained"
echo "slurm_grid_test: passed: sharded = serial for 4 cases; serial ${serial_s} s, array + collect ${slurm_s} s, test $(( $(date +%s) - t0 )) s"
