#!/usr/bin/env python3
"""What a synthetic corpus offers the paper's question, measured from its audio (docs/SYNTH.md).

Per labelled track (synth_truth.csv: label_genre not empty): MFCC (20) means and deviations, spectral
centroid, rolloff and flatness, onset-strength mean and deviation (librosa, 22,050 Hz). Standardised.
- Artist identity from audio: (a) how often a track's nearest other track (Euclidean) is by the same
  artist, against the rate a random other track would give (mean of (n_artist - 1) / (N - 1));
  (b) logistic regression over the artists with >= 3 tracks, 3-fold stratified by artist, accuracy
  against the largest artist's share (majority guess) and 1 / artists.
- Genre from audio: logistic regression, 5 folds (i) stratified by label, artists shared between
  folds as in the paper's random split, (ii) grouped by artist (test artists unseen): accuracy,
  macro F1, log loss against the labels, and accuracy against the rendered (true) styles.
- The corpus's own numbers: tracks per label, artist sizes, the mislabelled fraction.

Usage: build/venv/bin/python tools/synth_measure.py CORPUS        (numpy, scikit-learn, librosa; not CI)
Factor genre information: tools/factor_genre_info.py WORK CORPUS.
"""
import collections
import csv
import os
import sys

import numpy as np


def features(path):
    import librosa
    y, sr = librosa.load(path, sr=22050, mono=True)
    m = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20)
    c = librosa.feature.spectral_centroid(y=y, sr=sr)
    r = librosa.feature.spectral_rolloff(y=y, sr=sr)
    f = librosa.feature.spectral_flatness(y=y)
    o = librosa.onset.onset_strength(y=y, sr=sr)
    return np.concatenate([m.mean(1), m.std(1), [c.mean(), c.std(), r.mean(), r.std(), f.mean(), o.mean(), o.std()]])


def audio_path(corpus, tid):
    d = os.path.join(corpus, "fma_audio", f"{tid:06d}"[:3])
    for ext in ("wav", "flac", "mp3", "ogg"):
        p = os.path.join(d, f"{tid:06d}.{ext}")
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"{corpus}: no audio for track {tid}")


def main():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score, log_loss
    from sklearn.model_selection import GroupKFold, StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    corpus = sys.argv[1]
    rows = [r for r in csv.DictReader(open(os.path.join(corpus, "synth_truth.csv"), newline="")) if r["label_genre"]]
    n = len(rows)
    label = np.array([r["label_genre"] for r in rows])
    true = np.array([r["true_genre"] for r in rows])
    artist = np.array([int(r["artist_id"]) for r in rows])
    sizes = collections.Counter(artist.tolist())
    s = sorted(sizes.values())
    print(f"{n} labelled tracks, {len(sizes)} artists (sizes: min {s[0]}, median {s[len(s) // 2]}, max {s[-1]}, "
          f"{s.count(1)} with one track), mislabelled {np.mean(label != true):.3f}")
    print("tracks per label:", dict(collections.Counter(label.tolist()).most_common()))

    X = []
    for i, r in enumerate(rows):
        X.append(features(audio_path(corpus, int(r["track_id"]))))
        if (i + 1) % 100 == 0:
            print(f"  features {i + 1}/{n}", file=sys.stderr)
    X = StandardScaler().fit_transform(np.array(X))

    # Artist identity.
    d = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    nn = d.argmin(1)
    multi = np.array([sizes[a] >= 2 for a in artist])
    same = (artist[nn] == artist)[multi].mean()
    chance = np.mean([(sizes[a] - 1) / (n - 1) for a in artist[multi]])
    same_genre = (true[nn] == true).mean()
    print(f"artist, nearest other track: same artist {same:.3f} (random other track: {chance:.3f}) over "
          f"{multi.sum()} tracks of artists with >= 2; same true genre {same_genre:.3f}")
    keep = np.array([sizes[a] >= 3 for a in artist])
    Xa, ya = X[keep], artist[keep]
    pred = np.empty_like(ya)
    for tr, te in StratifiedKFold(3, shuffle=True, random_state=0).split(Xa, ya):
        pred[te] = LogisticRegression(max_iter=3000, C=1.0).fit(Xa[tr], ya[tr]).predict(Xa[te])
    cnt = collections.Counter(ya.tolist())
    print(f"artist, logistic regression over {len(cnt)} artists with >= 3 tracks ({keep.sum()} tracks), 3-fold: "
          f"accuracy {accuracy_score(ya, pred):.3f} (majority {max(cnt.values()) / len(ya):.3f}, "
          f"1/artists {1 / len(cnt):.3f})")

    # Genre.
    classes = np.array(sorted(set(label.tolist())))
    for name, folds in (("stratified, artists shared", StratifiedKFold(5, shuffle=True, random_state=0).split(X, label)),
                        ("grouped by artist", GroupKFold(5).split(X, label, artist))):
        prob = np.zeros((n, len(classes)))
        for tr, te in folds:
            m = LogisticRegression(max_iter=3000, C=0.5).fit(X[tr], label[tr])
            prob[np.ix_(te, np.searchsorted(classes, m.classes_))] = m.predict_proba(X[te])
        prob = np.clip(prob, 1e-7, 1)
        prob /= prob.sum(1, keepdims=True)
        p = classes[prob.argmax(1)]
        print(f"genre from audio ({name}): accuracy {accuracy_score(label, p):.3f}, macro F1 "
              f"{f1_score(label, p, average='macro'):.3f}, log loss {log_loss(label, prob, labels=classes):.3f}; "
              f"accuracy against the true styles {accuracy_score(true, p):.3f}")
    maj = collections.Counter(label.tolist()).most_common(1)[0][1] / n
    print(f"majority-class accuracy {maj:.3f}")


if __name__ == "__main__":
    main()
