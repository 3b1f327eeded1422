#!/usr/bin/env python3
"""Where a transfer model's validation errors fall on a synthetic corpus: on tracks whose label is the
style their audio was rendered in, or on mislabelled ones (synth_truth.csv knows which).

Usage: python3 tools/synth_errors.py CORPUS/synth_truth.csv RUN/predictions.csv [...]   (stdlib only)
For each predictions.csv (written by agf transfer / agf experiment in each case folder): errors and the
summed log loss (natural log, as sklearn, eps 2^-52) on clean and on mislabelled tracks, and how many
mislabelled tracks were predicted as their true style.
"""
import csv
import math
import sys


def main():
    truth = {int(r["track_id"]): r for r in csv.DictReader(open(sys.argv[1], newline=""))}
    for path in sys.argv[2:]:
        rows = list(csv.DictReader(open(path, newline="")))
        true_style = lambda r: truth[int(r["track_id"])]["true_genre"]
        clean = [r for r in rows if true_style(r) == r["label"]]
        noisy = [r for r in rows if true_style(r) != r["label"]]
        errors = lambda rs: sum(r["label"] != r["predicted"] for r in rs)
        loss = lambda rs: sum(-math.log(min(max(float(r[r["label"]]), 2**-52), 1 - 2**-52)) for r in rs)
        to_true = sum(r["predicted"] == true_style(r) for r in noisy)
        print(f"{path}: {len(rows)} tracks, {len(noisy)} mislabelled; errors on clean {errors(clean)}/{len(clean)}, "
              f"on mislabelled {errors(noisy)}/{len(noisy)} ({to_true} predicted as their true style); "
              f"log-loss sum clean {loss(clean):.2f} + mislabelled {loss(noisy):.2f} = {loss(rows):.2f}")


if __name__ == "__main__":
    main()
