#!/usr/bin/env python3
"""The race, in one run on one GPU: agf's DCNN training step (bench_dcnn_cuda, CUDA graph and eager) against
PyTorch eager and torch.compile (best of its modes), at batch 64 and 256, TF32 off and on for both sides.

  python bench/peers/race.py --agf build/gpu-bundle/bin/bench_dcnn_cuda --markdown race.md --json race.json

agf's benchmark names come from --agf-filter, a format string with {batch}, {graph} (1 graph, 0 eager) and
{tf32} (0/1); the default matches bench_dcnn_cuda's BM_dcnn_cuda_step/batch:B/graph:G/tf32:T.
Ratios are PyTorch time / agf time (> 1: agf is faster). Records GPU model, driver, CUDA, cuDNN and the date.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
UNIT_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


TIMEOUT = None  # seconds per measurement (--timeout); a search that takes longer is reported, not waited for


def run(cmd, env=None):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, 124, "", f"timed out after {TIMEOUT} s (--timeout)")


def run_agf(binary, name, repetitions, min_time):
    # Google Benchmark appends "/manual_time" (and "/min_time:..." when registered with one) to the name.
    cmd = [binary, f"--benchmark_filter=^{name}(/min_time:[0-9.]+)?(/manual_time)?$", "--benchmark_format=json",
           f"--benchmark_repetitions={repetitions}", f"--benchmark_min_time={min_time}"]
    env = dict(os.environ)
    if os.environ.get("AGF_LD_LIBRARY_PATH"):  # agf's bundled libraries for agf only, never for PyTorch
        env["LD_LIBRARY_PATH"] = os.environ["AGF_LD_LIBRARY_PATH"]
    p = run(cmd, env)
    if p.returncode != 0:
        return {"error": f"rc {p.returncode}: {p.stderr[-800:]}"}
    try:
        report = json.loads(p.stdout)
    except json.JSONDecodeError as e:
        return {"error": f"not Google Benchmark JSON ({e})"}
    runs = [b for b in report.get("benchmarks", []) if b.get("run_type", "iteration") == "iteration"]
    if not runs:
        return {"error": f"no benchmark named {name}"}
    ms = [b["real_time"] * UNIT_MS[b.get("time_unit", "ns")] for b in runs]
    return {"ms_per_step": median(ms), "repetitions": len(ms), "context": report.get("context", {})}


def run_torch(python, batch, mode, compile_mode, tf32, steps, warmup, weights):
    cmd = [python, os.path.join(HERE, "torch_dcnn.py"), "--device", "cuda", "--batch", str(batch), "--mode", mode,
           "--tf32", str(tf32), "--steps", str(steps), "--warmup", str(warmup), "--json"]
    if mode == "compile":
        cmd += ["--compile-mode", compile_mode]
    if weights:
        cmd += ["--weights", weights]
    p = run(cmd)
    if p.returncode != 0:
        return {"error": f"rc {p.returncode}: {p.stderr[-800:]}"}
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError) as e:
        return {"error": f"no JSON from torch_dcnn.py ({e}): {p.stdout[-300:]}"}


def gpu_facts():
    facts = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    try:
        q = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                           capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
        facts["gpu"], facts["driver"] = [s.strip() for s in q.split(",", 1)]
    except (OSError, IndexError, ValueError, subprocess.TimeoutExpired):
        facts["gpu"], facts["driver"] = "unknown", "unknown"
    try:
        import torch
        facts["torch"] = torch.__version__
        facts["torch_cuda"] = torch.version.cuda
        facts["torch_cudnn"] = torch.backends.cudnn.version()
    except Exception as e:  # noqa: BLE001 - report, do not fail
        facts["torch"] = f"unavailable ({e})"
    return facts


def fmt(x):
    return f"{x:.2f}" if isinstance(x, (int, float)) else "n/a"


def ratio(a, b):
    return f"{a / b:.2f}x" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b > 0 else "n/a"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agf", required=True, help="path of bench_dcnn_cuda (or another name for it)")
    ap.add_argument("--agf-filter", default="BM_dcnn_cuda_step/batch:{batch}/graph:{graph}/tf32:{tf32}",
                    help="agf benchmark name format ({batch}, {graph}, {tf32})")
    ap.add_argument("--batches", default="64,256")
    ap.add_argument("--tf32", default="0,1")
    ap.add_argument("--compile-modes", default="default,reduce-overhead,max-autotune",
                    help="torch.compile modes to try; the fastest is reported")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--repetitions", type=int, default=5, help="agf benchmark repetitions (median)")
    ap.add_argument("--min-time", type=float, default=0.5, help="agf: --benchmark_min_time per repetition (s)")
    ap.add_argument("--timeout", type=float, default=600,
                    help="seconds per measurement (bounds torch.compile's autotuning search)")
    ap.add_argument("--weights", help="agf safetensors checkpoint for PyTorch's initial weights")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--markdown", help="write the table here")
    ap.add_argument("--json", help="write every measurement here")
    a = ap.parse_args()
    global TIMEOUT
    TIMEOUT = a.timeout

    facts = gpu_facts()
    rows = []
    for tf32 in [int(t) for t in a.tf32.split(",")]:
        for batch in [int(b) for b in a.batches.split(",")]:
            row = {"batch": batch, "tf32": tf32}
            for graph in (1, 0):
                r = run_agf(a.agf, a.agf_filter.format(batch=batch, graph=graph, tf32=tf32), a.repetitions,
                            a.min_time)
                row["agf_graph" if graph else "agf_eager"] = r
                if "context" in r:
                    facts.setdefault("agf_gpu", r["context"].get("gpu", "n/a"))
            row["torch_eager"] = run_torch(a.python, batch, "eager", "", tf32, a.steps, a.warmup, a.weights)
            best = None
            row["torch_compile_all"] = {}
            for mode in a.compile_modes.split(","):
                r = run_torch(a.python, batch, "compile", mode, tf32, a.steps, a.warmup, a.weights)
                row["torch_compile_all"][mode] = r
                if "ms_per_step" in r and (best is None or r["ms_per_step"] < best[1]["ms_per_step"]):
                    best = (mode, r)
            row["torch_compile_best"] = {"mode": best[0], **best[1]} if best else {"error": "every mode failed"}
            rows.append(row)
            print(json.dumps({k: (v.get("ms_per_step", v.get("error")) if isinstance(v, dict) and k != "torch_compile_all"
                                  else v) for k, v in row.items() if k != "torch_compile_all"}), flush=True)

    ms = lambda r: r.get("ms_per_step")  # noqa: E731
    lines = [
        f"DCNN training step (forward, backward, Adam), ms per step (median). GPU: {facts.get('gpu')}, "
        f"driver {facts.get('driver')}; PyTorch {facts.get('torch')} (CUDA {facts.get('torch_cuda')}, "
        f"cuDNN {facts.get('torch_cudnn')}); agf: {facts.get('agf_gpu', 'n/a')}; {facts['date']}.",
        "",
        "| batch | TF32 | agf graph | agf eager | torch eager | torch.compile (best mode) | eager / agf graph "
        "| compile / agf graph |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        g, e, te, tc = ms(r["agf_graph"]), ms(r["agf_eager"]), ms(r["torch_eager"]), ms(r["torch_compile_best"])
        lines.append(f"| {r['batch']} | {'on' if r['tf32'] else 'off'} | {fmt(g)} | {fmt(e)} | {fmt(te)} | "
                     f"{fmt(tc)} ({r['torch_compile_best'].get('mode', '-')}) | {ratio(te, g)} | {ratio(tc, g)} |")
    errors = [(r["batch"], r["tf32"], k, v["error"]) for r in rows for k, v in r.items()
              if isinstance(v, dict) and "error" in v]
    if errors:
        lines += ["", "Errors:", ""] + [f"- batch {b} tf32 {t} {k}: {msg.strip()[:300]}" for b, t, k, msg in errors]
    table = "\n".join(lines) + "\n"
    print(table)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(table)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"facts": facts, "rows": rows}, f, indent=1)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
