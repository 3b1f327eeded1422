#!/usr/bin/env python3
"""scikit-learn peer for bench/factors.cpp: KMeans (Lloyd) and LatentDirichletAllocation (batch VB) on the
same data and the same initialisation, timed on this CPU. Writes the data for bench_factors.

  build/venv-factors/bin/python bench/peers/sklearn_kmeans_lda.py --out build/bench-factors --threads 2
  AGF_FACTORS_BENCH_DIR=build/bench-factors OMP_NUM_THREADS=2 build/<dir>/bench_factors

K-means: MFCC-like float32 points (a Gaussian mixture in 13 dims), k = 2048, init = the first k points
shuffled, fixed iterations (tol = 0). LDA: an artists x 2048 bag matrix (averaged counts), 40 topics,
10 batch iterations, components_ from a stored Gamma(100, 0.01) draw, E-step started from ones in both.
"""
import argparse
import json
import os
import time

import numpy as np
import scipy.special
import sklearn
import sklearn.decomposition._lda as sklearn_lda
from sklearn.cluster import KMeans
from sklearn.decomposition import LatentDirichletAllocation
from threadpoolctl import threadpool_limits


def make_data(out, n, d, k, artists, vocab, topics, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 4, (200, d))
    x = (centers[rng.integers(0, 200, n)] + rng.normal(0, 1, (n, d))).astype(np.float32)
    init = x[rng.choice(n, k, replace=False)].copy()
    beta = rng.dirichlet(np.full(vocab, 0.05), topics)
    bags = np.zeros((artists, vocab))
    for a in range(artists):
        tracks = int(rng.integers(1, 8))
        theta = rng.dirichlet(np.full(topics, 0.1))
        bags[a] = rng.multinomial(600 * tracks, theta @ beta) / tracks
    lda_init = rng.gamma(100.0, 0.01, (topics, vocab))
    os.makedirs(out, exist_ok=True)
    x.tofile(os.path.join(out, "kmeans_x.f32"))
    init.tofile(os.path.join(out, "kmeans_init.f32"))
    bags.tofile(os.path.join(out, "lda_bags.f64"))
    lda_init.tofile(os.path.join(out, "lda_init.f64"))
    with open(os.path.join(out, "shapes.json"), "w") as f:
        json.dump({"n": n, "d": d, "k": k, "artists": artists, "vocab": vocab, "topics": topics}, f)
    return x, init, bags, lda_init


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="build/bench-factors")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n", type=int, default=65536)
    ap.add_argument("--k", type=int, default=2048)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--artists", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    x, init, bags, lda_init = make_data(a.out, a.n, 13, a.k, a.artists, 2048, 40)
    print(f"sklearn {sklearn.__version__}, numpy {np.__version__}, threads {a.threads}")
    with threadpool_limits(a.threads):
        times = []
        for _ in range(a.repeats):
            t = time.perf_counter()
            km = KMeans(n_clusters=a.k, init=init, n_init=1, algorithm="lloyd", tol=0.0, max_iter=a.iters).fit(x)
            times.append(time.perf_counter() - t)
        print(f"kmeans n={a.n} d=13 k={a.k} iters={km.n_iter_}: inertia {km.inertia_:.6e}, "
              f"median {np.median(times):.3f} s ({np.median(times) / km.n_iter_ * 1e3:.1f} ms/iteration)")

        orig = sklearn_lda._update_doc_distribution
        sklearn_lda._update_doc_distribution = (
            lambda X, e, p, m, t, c, rs, *r: orig(X, e, p, m, t, c, None, *r))
        times = []
        for _ in range(a.repeats):
            lda = LatentDirichletAllocation(n_components=40, learning_method="batch", max_iter=10, n_jobs=1)
            init_fn = lda._init_latent_vars

            def patched(*args, **kw):
                init_fn(*args, **kw)
                lda.components_ = lda_init.copy()
                lda.exp_dirichlet_component_ = np.exp(
                    scipy.special.psi(lda_init) - scipy.special.psi(lda_init.sum(1))[:, None])

            lda._init_latent_vars = patched
            t = time.perf_counter()
            lda.fit(bags)
            times.append(time.perf_counter() - t)
        sklearn_lda._update_doc_distribution = orig
        t = time.perf_counter()
        perp = lda.perplexity(bags)
        tp = time.perf_counter() - t
        print(f"lda artists={a.artists} vocab=2048 topics=40 iters=10 (fit includes sklearn's final bound): "
              f"perplexity {perp:.6f}, fit median {np.median(times):.3f} s; perplexity() {tp:.3f} s")


if __name__ == "__main__":
    main()
