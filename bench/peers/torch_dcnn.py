#!/usr/bin/env python3
"""Times one DCNN training step in PyTorch, the peer of agf's bench_dcnn (same shapes and hyper-parameters):
forward on (batch, 1, 128, 43) float32, soft-target cross-entropy + 1e-5 * sum of squared conv/dense weights,
backward, Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8). Prints the median time per step.

  python bench/peers/torch_dcnn.py --device cpu --batch 64 --threads 2 --steps 20 --warmup 3 --json
  python bench/peers/torch_dcnn.py --device cuda --mode compile --compile-mode max-autotune --tf32 0
  --weights ckpt.safetensors loads initial weights written by agf (parameter names of docs/CONTRIBUTING.md).
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_models import DCNN, l2_weights, soft_cross_entropy  # noqa: E402


def load_agf_weights(model, path):
    """Copies the tensors of an agf safetensors checkpoint whose names the model has; every parameter and
    batch-norm statistic of the model must be present. Other entries (optimizer state, ...) are ignored."""
    from safetensors.torch import load_file
    ckpt = load_file(path)
    own = model.state_dict()
    wanted = [k for k in own if not k.endswith("num_batches_tracked")]
    missing = [k for k in wanted if k not in ckpt]
    if missing:
        raise SystemExit(f"{path}: missing tensors for the DCNN: {missing}")
    for k in wanted:
        if tuple(ckpt[k].shape) != tuple(own[k].shape):
            raise SystemExit(f"{path}: {k} has shape {tuple(ckpt[k].shape)}, the model wants {tuple(own[k].shape)}")
    model.load_state_dict({k: ckpt[k].to(own[k].dtype) for k in wanted}, strict=False)
    return len(wanted)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--outputs", type=int, default=16)
    ap.add_argument("--mode", choices=["eager", "compile"], default="eager")
    ap.add_argument("--compile-mode", default="default",
                    choices=["default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"])
    ap.add_argument("--compile-opt", type=int, choices=[0, 1], default=1,
                    help="with --mode compile, also compile the Adam step (default 1)")
    ap.add_argument("--tf32", type=int, choices=[0, 1], default=0)
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's default)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--weights", help="initial weights: an agf .safetensors checkpoint")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--inference", action="store_true",
                    help="time inference instead (eval mode: BN running statistics, no dropout; softmax; no grad), "
                         "the peer of bench_dcnn's BM_dcnn_inference")
    a = ap.parse_args()
    if a.batch < 2 or a.steps < 1 or a.warmup < 0:
        ap.error("--batch must be >= 2 (batch norm), --steps >= 1, --warmup >= 0")

    if a.threads > 0:
        torch.set_num_threads(a.threads)
    if a.device == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: no CUDA device visible to PyTorch")
        torch.backends.cuda.matmul.allow_tf32 = bool(a.tf32)
        torch.backends.cudnn.allow_tf32 = bool(a.tf32)  # PyTorch's default is True: set it explicitly
        torch.backends.cudnn.benchmark = True
    torch.set_float32_matmul_precision("high" if a.tf32 else "highest")
    torch.manual_seed(a.seed)
    dev = torch.device(a.device)

    model = DCNN(a.outputs)
    loaded = load_agf_weights(model, a.weights) if a.weights else 0
    model = model.to(dev).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    x = torch.randn(a.batch, 1, 128, 43, device=dev)
    t = torch.softmax(torch.randn(a.batch, a.outputs, device=dev), dim=1)

    def loss_fn(x, t):
        return soft_cross_entropy(model(x), t) + l2_weights(model, 1e-5)

    fwd = torch.compile(loss_fn, mode=a.compile_mode) if a.mode == "compile" else loss_fn
    opt_step = opt.step
    if a.mode == "compile" and a.compile_opt:
        opt_step = torch.compile(opt.step, mode=a.compile_mode)

    if a.inference:
        model.eval()

    def infer():
        with torch.no_grad():
            return torch.softmax(model(x), dim=1).sum()

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = fwd(x, t)
        loss.backward()
        opt_step()
        return loss

    step = infer if a.inference else train_step

    sync = torch.cuda.synchronize if a.device == "cuda" else (lambda: None)
    t0 = time.perf_counter()
    for _ in range(a.warmup):
        step()
    sync()
    warm_s = time.perf_counter() - t0
    times = []
    for _ in range(a.steps):
        sync()
        s = time.perf_counter()
        loss = step()
        sync()
        times.append((time.perf_counter() - s) * 1e3)
    out = {
        "ms_per_step": statistics.median(times),
        "ms_min": min(times),
        "ms_mean": statistics.fmean(times),
        "steps": a.steps,
        "warmup": a.warmup,
        "warmup_s": warm_s,
        "batch": a.batch,
        "device": a.device,
        "device_name": torch.cuda.get_device_name(0) if a.device == "cuda" else cpu_model(),
        "work": "inference" if a.inference else "train_step",
        "mode": a.mode if a.mode == "eager" else f"compile:{a.compile_mode}" + ("+opt" if a.compile_opt else ""),
        "tf32": a.tf32,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "weights": a.weights or "random (seed %d)" % a.seed,
        "tensors_loaded": loaded,
        "final_loss": float(loss.detach()),
    }
    if a.device == "cuda":
        out["cuda"] = torch.version.cuda
        out["cudnn"] = torch.backends.cudnn.version()
    if a.json:
        print(json.dumps(out))
    else:
        print(f"PyTorch {out['torch']} DCNN step, batch {a.batch}, {a.device} ({out['device_name']}), {out['mode']}, "
              f"{out['threads']} threads: {out['ms_per_step']:.2f} ms/step (median of {a.steps}; min {out['ms_min']:.2f})")


if __name__ == "__main__":
    main()
