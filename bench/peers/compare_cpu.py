#!/usr/bin/env python3
"""Side by side on this CPU, same thread count: agf's DCNN training step (Google Benchmark binary
bench_dcnn, benchmark BM_dcnn_train_step/<batch>) against PyTorch's (torch_dcnn.py --device cpu).

  python bench/peers/compare_cpu.py build/release/bench_dcnn --threads 2 --batch 64
Prints both median times per step, the ratio (PyTorch time / agf time: > 1 means agf is faster), the CPU
model and the date; --json prints one JSON object instead, --markdown one table row.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
UNIT_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def run_agf(binary, batch, threads, repetitions, name_filter):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), AGF_THREADS=str(threads))
    filt = name_filter or f"BM_dcnn_train_step/{batch}$"
    cmd = [binary, f"--benchmark_filter={filt}", "--benchmark_format=json",
           f"--benchmark_repetitions={repetitions}", "--benchmark_report_aggregates_only=false"]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{binary} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    try:
        report = json.loads(p.stdout)
    except json.JSONDecodeError as e:
        raise SystemExit(f"{binary}: output is not Google Benchmark JSON ({e}):\n{p.stdout[:500]}")
    runs = [b for b in report.get("benchmarks", []) if b.get("run_type", "iteration") == "iteration"]
    if not runs:
        raise SystemExit(f"{binary}: no benchmark matched --benchmark_filter={filt}; names: "
                         f"{[b.get('name') for b in report.get('benchmarks', [])]}")
    ms = sorted(b["real_time"] * UNIT_MS[b.get("time_unit", "ns")] for b in runs)
    median = ms[len(ms) // 2] if len(ms) % 2 else 0.5 * (ms[len(ms) // 2 - 1] + ms[len(ms) // 2])
    return {"ms_per_step": median, "repetitions": len(ms), "name": runs[0]["name"],
            "context": report.get("context", {})}


def run_torch(python, batch, threads, steps, warmup, weights, inference=False):
    cmd = [python, os.path.join(HERE, "torch_dcnn.py"), "--device", "cpu", "--batch", str(batch),
           "--threads", str(threads), "--steps", str(steps), "--warmup", str(warmup), "--json"]
    if inference:
        cmd += ["--inference"]
    if weights:
        cmd += ["--weights", weights]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"torch_dcnn.py failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary", help="path of agf's bench_dcnn (e.g. build/release/bench_dcnn)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repetitions", type=int, default=5, help="Google Benchmark repetitions for agf")
    ap.add_argument("--steps", type=int, default=20, help="timed PyTorch steps")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--filter", help="Google Benchmark filter (default BM_dcnn_train_step/<batch>$)")
    ap.add_argument("--python", default=sys.executable, help="the Python with torch (build/venv-torch)")
    ap.add_argument("--weights", help="initial weights for PyTorch (agf .safetensors)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--inference", action="store_true",
                    help="compare the inference step (BM_dcnn_inference/<batch> against torch_dcnn.py --inference)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table row")
    a = ap.parse_args()
    if not os.access(a.binary, os.X_OK):
        raise SystemExit(f"{a.binary}: not an executable (build it: cmake --build <dir> --target bench_dcnn)")

    filt = a.filter or (f"BM_dcnn_inference/{a.batch}$" if a.inference else None)
    ours = run_agf(a.binary, a.batch, a.threads, a.repetitions, filt)
    peer = run_torch(a.python, a.batch, a.threads, a.steps, a.warmup, a.weights, a.inference)
    ratio = peer["ms_per_step"] / ours["ms_per_step"]
    out = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": peer["device_name"], "threads": a.threads, "batch": a.batch,
        "agf_ms_per_step": ours["ms_per_step"], "agf_benchmark": ours["name"],
        "agf_repetitions": ours["repetitions"],
        "torch_ms_per_step": peer["ms_per_step"], "torch": peer["torch"], "torch_threads": peer["threads"],
        "torch_over_agf": ratio, "work": "inference" if a.inference else "train_step",
        "agf_cpu_isa": os.environ.get("AGF_CPU_ISA", "auto"),
    }
    if a.json:
        print(json.dumps(out))
    elif a.markdown:
        print(f"| {out['date']} | {out['cpu']} | {out['work']} | {out['agf_cpu_isa']} | {a.threads} | {a.batch} | "
              f"{ours['ms_per_step']:.1f} | "
              f"{peer['ms_per_step']:.1f} (torch {peer['torch']}) | {ratio:.2f} |")
    else:
        print(f"DCNN training step, batch {a.batch}, {a.threads} threads, {out['cpu']}, {out['date']}")
        print(f"  agf      {ours['ms_per_step']:9.2f} ms/step  ({ours['name']}, median of {ours['repetitions']})")
        print(f"  PyTorch  {peer['ms_per_step']:9.2f} ms/step  (torch {peer['torch']} eager, median of {a.steps})")
        print(f"  ratio PyTorch/agf = {ratio:.2f}  ({'agf faster' if ratio > 1 else 'PyTorch faster'})")


if __name__ == "__main__":
    main()
