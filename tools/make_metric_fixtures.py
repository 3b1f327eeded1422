#!/usr/bin/env python3
"""Writes tests/fixtures/metrics/metrics.json: random labels and probabilities (absent classes, exact
zeros and ones, near-0 values) with scikit-learn's log_loss, f1_score(average='macro'), accuracy_score,
confusion_matrix and DummyClassifier(strategy='prior') as the reference for agf/train/metrics.cpp.

Run: python3 -m venv build/venv-report && build/venv-report/bin/pip install scikit-learn numpy
     build/venv-report/bin/python tools/make_metric_fixtures.py
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.dummy import DummyClassifier
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, log_loss


def make_case(rng, name, n, k, present, extreme):
    # y_true only uses the classes in `present`, so some of the k columns never occur as labels.
    y_true = rng.choice(present, size=n)
    probs = rng.dirichlet(np.full(k, 0.3), size=n)
    if extreme:
        # Near-0, exact 0 and exact 1 probabilities on true and other classes (clipping matters).
        for i in range(0, n, 7):
            probs[i, y_true[i]] = [0.0, 1e-30, 1e-20, 3e-17, 1e-9][i % 5]
        for i in range(3, n, 11):
            probs[i, :] = 0.0
            probs[i, y_true[i]] = 1.0
    # The C++ side takes float32 probabilities: round here so both sides see identical values.
    probs = probs.astype(np.float32).astype(np.float64)
    # Predictions: argmax of probs (what evaluate_predictions does) and an independent random set
    # that includes labels absent from y_true.
    y_argmax = probs.argmax(axis=1)
    y_rand = rng.integers(0, k, size=n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rows of float32-rounded values do not sum exactly to one
        ll = log_loss(y_true, probs, labels=np.arange(k))
    out = {
        "name": name, "n": n, "k": k,
        "y_true": y_true.tolist(), "probs": probs.ravel().tolist(),
        "log_loss": float(ll),
        "argmax": y_argmax.tolist(),
        "y_rand": y_rand.tolist(),
    }
    for key, pred in (("argmax", y_argmax), ("rand", y_rand)):
        out["f1_" + key] = float(f1_score(y_true, pred, average="macro", zero_division=0))
        out["accuracy_" + key] = float(accuracy_score(y_true, pred))
        out["confusion_" + key] = confusion_matrix(y_true, pred, labels=np.arange(k)).ravel().tolist()
    # Majority baseline: sklearn's DummyClassifier(strategy='prior') predicts the majority class and
    # gives the training frequencies as probabilities.
    y_train = rng.choice(present, size=3 * n, p=None)
    dummy = DummyClassifier(strategy="prior").fit(np.zeros((len(y_train), 1)), y_train)
    dp = np.zeros((n, k))
    dp[:, dummy.classes_] = dummy.predict_proba(np.zeros((n, 1)))
    dpred = dummy.predict(np.zeros((n, 1)))
    out["y_train"] = y_train.tolist()
    out["baseline_log_loss"] = float(log_loss(y_true, dp, labels=np.arange(k)))
    out["baseline_f1"] = float(f1_score(y_true, dpred, average="macro", zero_division=0))
    out["baseline_accuracy"] = float(accuracy_score(y_true, dpred))
    out["baseline_majority"] = int(dpred[0])
    return out


def main():
    rng = np.random.default_rng(20181)
    cases = [
        make_case(rng, "k16_absent_extreme", 240, 16, np.array([0, 1, 2, 3, 5, 6, 8, 9, 10, 12, 13, 15]), True),
        make_case(rng, "k16_all_smooth", 160, 16, np.arange(16), False),
        make_case(rng, "k4_small_extreme", 37, 4, np.array([0, 2, 3]), True),
    ]
    doc = {"generator": "tools/make_metric_fixtures.py", "sklearn": sklearn.__version__,
           "numpy": np.__version__, "cases": cases}
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    path = os.path.join(root, "tests", "fixtures", "metrics", "metrics.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(path, os.path.getsize(path), "bytes")
    for c in cases:
        print(c["name"], "log_loss", c["log_loss"], "f1", c["f1_argmax"], c["f1_rand"], "baseline", c["baseline_log_loss"])


if __name__ == "__main__":
    main()
