#!/usr/bin/env python3
"""Fixtures for tests/factors/{kmeans,lda}_test.cpp from scikit-learn (issue 6, sections 4-6).

K-means: KMeans(algorithm="lloyd", n_init=1) started from given centroids; LDA: LatentDirichletAllocation
started from given components_ (sklearn draws them from a Gamma; we overwrite them after its init);
quantile normalisation: QuantileTransformer(output_distribution="normal").
Run: python3 -m venv build/venv-factors && build/venv-factors/bin/pip install scikit-learn numpy
     build/venv-factors/bin/python tools/make_factor_fixtures.py   (writes tests/fixtures/factors/*.json)
"""
import json
import os

import numpy as np
import scipy.special
import sklearn
from sklearn.cluster import KMeans
import sklearn.decomposition._lda as sklearn_lda
from sklearn.decomposition import LatentDirichletAllocation
from sklearn.preprocessing import QuantileTransformer

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "factors")


def tolist(a):
    return np.asarray(a).ravel().tolist()


def kmeans_fixture(rng):
    # overlapping blobs so that Lloyd needs several iterations, plus a constant column
    n, d, k = 400, 6, 7
    centers = rng.normal(0, 3, (k, d))
    x = centers[rng.integers(0, k, n)] + rng.normal(0, 1.5, (n, d))
    x[:, 3] = 2.5
    init = x[rng.choice(n, k, replace=False)].copy()
    km = KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd", tol=1e-4, max_iter=300).fit(x)
    return {"n": n, "d": d, "k": k, "x": tolist(x), "init": tolist(init), "tol": 1e-4,
            "centers": tolist(km.cluster_centers_), "labels": tolist(km.labels_),
            "inertia": float(km.inertia_), "n_iter": int(km.n_iter_)}


# sklearn's fit starts every E-step from Gamma(100, 1/100) draws; with alpha < 1 the per-document
# problem has several optima, so that draw changes the result. The fixture replaces it with ones
# (sklearn's own start in transform) and the C++ test sets LdaParams::estep_random_init = false.
_orig_update = sklearn_lda._update_doc_distribution


def _update_from_ones(X, exp_topic_word, prior, max_iter, tol, cal_sstats, random_state, *rest):
    return _orig_update(X, exp_topic_word, prior, max_iter, tol, cal_sstats, None, *rest)


def lda_with_init(init, **kw):
    lda = LatentDirichletAllocation(**kw)
    orig = lda._init_latent_vars

    def patched(*args, **kwargs):
        orig(*args, **kwargs)
        lda.components_ = init.copy()
        lda.exp_dirichlet_component_ = np.exp(
            scipy.special.psi(init) - scipy.special.psi(init.sum(1))[:, None])

    lda._init_latent_vars = patched
    return lda


def lda_fixture(rng):
    # planted topics: each document mixes two of 5 word blocks; non-integer values as averaged counts
    docs, vocab, k = 40, 60, 5
    beta = np.full((k, vocab), 0.02)
    for t in range(k):
        beta[t, t * 12:(t + 1) * 12] = 1.0
    beta /= beta.sum(1, keepdims=True)
    x = np.zeros((docs, vocab))
    for i in range(docs):
        theta = rng.dirichlet(np.full(k, 0.2))
        x[i] = rng.multinomial(int(rng.integers(40, 120)), theta @ beta)
    x[::3] /= 3.0  # "divided by the number of tracks"
    init = rng.gamma(100.0, 0.01, (k, vocab))
    out = {"docs": docs, "vocab": vocab, "topics": k, "x": tolist(x), "init": tolist(init)}
    sklearn_lda._update_doc_distribution = _update_from_ones
    batch = lda_with_init(init, n_components=k, learning_method="batch", max_iter=10, random_state=0).fit(x)
    out["batch_components"] = tolist(batch.components_)
    out["batch_transform"] = tolist(batch.transform(x))
    out["batch_perplexity"] = float(batch.perplexity(x))
    online = lda_with_init(init, n_components=k, learning_method="online", batch_size=16, max_iter=5,
                           learning_offset=10.0, learning_decay=0.7, random_state=0).fit(x)
    sklearn_lda._update_doc_distribution = _orig_update
    out["online_components"] = tolist(online.components_)
    # default E-step settings (tol 1e-3, 100 inner iterations, gamma starts at ones): deterministic
    dflt = LatentDirichletAllocation(n_components=k, learning_method="batch")
    dflt.components_ = batch.components_.copy()
    dflt.exp_dirichlet_component_ = np.exp(scipy.special.psi(dflt.components_)
                                           - scipy.special.psi(dflt.components_.sum(1))[:, None])
    dflt.doc_topic_prior_ = dflt.topic_word_prior_ = 1.0 / k
    dflt.n_features_in_ = vocab
    dflt.n_batch_iter_ = 1
    out["default_transform"] = tolist(dflt.transform(x))
    out["default_perplexity"] = float(dflt.perplexity(x))
    return out


def quantile_fixture(rng):
    n = 50
    x = np.stack([rng.normal(3, 2, n), rng.exponential(1.0, n), rng.integers(0, 5, n).astype(float)], 1)
    qt = QuantileTransformer(output_distribution="normal", n_quantiles=n).fit(x)
    # With ties sklearn's result depends on rounding in np.percentile (a quantile 2 - 4e-15 next to 2
    # moves the tie's rank), so the tied column is checked against the mean-rank definition instead:
    # p = (average rank - 1) / (n - 1), min/max -> 0/1, norm.ppf clipped at sklearn's 1e-7 bounds.
    from scipy.stats import norm, rankdata
    p = (rankdata(x, method="average", axis=0) - 1) / (n - 1)
    p[x == x.min(0)] = 0
    p[x == x.max(0)] = 1
    b = 1e-7 - np.spacing(1)
    y_rank = norm.ppf(np.clip(p, b, 1 - b))
    return {"n": n, "d": 3, "x": tolist(x), "y": tolist(qt.transform(x)), "y_rank": tolist(y_rank),
            "tied_columns": [2]}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20180423)
    meta = {"generator": "tools/make_factor_fixtures.py", "sklearn": sklearn.__version__, "numpy": np.__version__}
    for name, fn in [("kmeans", kmeans_fixture), ("lda", lda_fixture), ("quantile", quantile_fixture)]:
        data = fn(rng)
        data["meta"] = meta
        path = os.path.join(OUT, name + ".json")
        with open(path, "w") as f:
            json.dump(data, f)
        print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
