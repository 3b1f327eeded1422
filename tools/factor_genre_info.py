#!/usr/bin/env python3
"""How much genre information each artist-group factor carries, on a prepared work folder.

For each factor kind (WORK/factors/<k>.safetensors: track_ids, targets [T, topics]) and each track of
the validation split: predict its top genre as the most common genre among TRAINING tracks whose
factor target has the same argmax topic (ties: lowest genre index; unseen topic: the majority genre).
Prints that accuracy beside the majority-class baseline, the number of topics used as an argmax, and
the mean largest topic weight (how peaked the artist distributions are). Also, with synth_truth.csv,
the fraction of tracks whose rendered genre differs from their label (the corpus's label noise).

Usage: python3 tools/factor_genre_info.py WORK [CORPUS]      (numpy only; not used by CI)
"""
import collections, csv, json, struct, sys
import numpy as np


def read_st(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        head = json.loads(f.read(n))
        buf = f.read()
    out = {}
    for k, v in head.items():
        if k == "__metadata__":
            continue
        dt = {"F32": np.float32, "I64": np.int64, "F64": np.float64}[v["dtype"]]
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(buf[a:b], dtype=dt).reshape(v["shape"])
    return out


def main():
    work = sys.argv[1]
    meta = json.load(open(f"{work}/dataset.json"))
    split = json.load(open(f"{work}/split.json"))
    genre = {}
    with open(f"{meta['metadata_dir']}/tracks.csv", newline="") as f:
        r = csv.reader(f)
        h0, h1 = next(r), next(r)
        next(r)
        col = [i for i, (a, b) in enumerate(zip(h0, h1)) if a == "track" and b == "genre_top"][0]
        for row in r:
            if row[col]:
                genre[int(row[0])] = row[col]
    train = [t for t in split["train"] if t in genre]
    valid = [t for t in split["valid"] if t in genre]
    maj = collections.Counter(genre[t] for t in train).most_common(1)[0][0]
    base = np.mean([genre[t] == maj for t in valid])
    print(f"{len(train)} train / {len(valid)} valid tracks with a genre; majority-class accuracy {base:.3f}")
    for k in "sedm":
        try:
            st = read_st(f"{work}/factors/{k}.safetensors")
        except FileNotFoundError:
            continue
        ids, tg = st["track_ids"], st["targets"]
        top = {int(i): int(np.argmax(row)) for i, row in zip(ids, tg)}
        by_topic = collections.defaultdict(collections.Counter)
        for t in train:
            if t in top:
                by_topic[top[t]][genre[t]] += 1
        pred = lambda t: by_topic[top[t]].most_common(1)[0][0] if t in top and by_topic[top[t]] else maj
        acc = np.mean([pred(t) == genre[t] for t in valid])
        print(f"factor {k}: argmax-topic genre accuracy {acc:.3f}; {len(set(top.values()))} topics used as argmax; "
              f"mean max topic weight {tg.max(axis=1).mean():.3f}")
    if len(sys.argv) > 2:
        with open(f"{sys.argv[2]}/synth_truth.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        lab = [r for r in rows if r["label_genre"] not in ("", "-1")]
        noise = np.mean([r["true_genre"] != r["label_genre"] for r in lab])
        print(f"synthetic corpus: {noise:.3f} of labelled tracks rendered in another genre than their label")


if __name__ == "__main__":
    main()
