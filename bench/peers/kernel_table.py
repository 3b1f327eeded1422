#!/usr/bin/env python3
"""Markdown tables from bench_ops_cuda's JSON (--benchmark_out, with repetitions): each custom kernel's GB/s
as a share of the measured device-to-device copy bandwidth, and the convolutions' TFLOP/s.
  python bench/peers/kernel_table.py bench_ops_cuda.json
"""
import json, sys
d = json.load(open(sys.argv[1]))
med = [b for b in d.get("benchmarks", []) if b.get("aggregate_name") == "median"]
copy = max((b["GB/s"] for b in med if b["name"].startswith("BM_copy_d2d") and "GB/s" in b), default=0.0)
print("\n### Custom kernels vs the measured copy bandwidth\n")
print(f"Ceiling: device-to-device copy {copy:.0f} GB/s (read + write).\n")
print("| kernel | median us | GB/s | % of copy |")
print("|---|---|---|---|")
for b in med:
    if "GB/s" in b and not b["name"].startswith(("BM_copy_d2d", "BM_conv")):
        pct = 100.0 * b["GB/s"] / copy if copy else 0.0
        print(f"| {b['run_name']} | {b['real_time']:.1f} | {b['GB/s']:.0f} | {pct:.0f}% |")
print("\n### Convolutions (median, TFLOP/s)\n")
print("| layer/batch/dir/tf32 | median us | TFLOP/s |")
print("|---|---|---|")
for b in med:
    if b["name"].startswith("BM_conv"):
        print(f"| {b['run_name'].replace('BM_conv/', '')} | {b['real_time']:.1f} | {b.get('TFLOP/s', 0):.2f} |")
