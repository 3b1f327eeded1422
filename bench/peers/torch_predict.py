#!/usr/bin/env python3
"""`agf predict` in PyTorch with librosa features: the peer of bench/predict_library.sh.

Loads an agf transfer folder (mlp.safetensors and the nets it names) into bench/peers/torch_models.py's
modules with load_state_dict(strict=True) (agf writes PyTorch names and layouts), then does what
`agf predict --device cpu` does per track: librosa.load at the model's sample rate (mono, soxr_hq if it
has to resample), librosa's mel and dB with the model's mel parameters, float16 rounding when the training
store held float16, standardisation (x - mean) * (1 / std) per mel band, windows of `frames` frames every
`hop` frames, each net's 256-d post-ELU fc1 feature of every task branch (inference mode), concatenated in
the model's net order, the MLP's softmax (logits / T when the model is calibrated) per window, and the mean
over the track's windows. All windows of a track go through the nets as one batch.

    OMP_NUM_THREADS=2 build/venv-torch/bin/python bench/peers/torch_predict.py \
        --model MODEL_DIR --threads 2 [--check agf.csv] [--check-tracks 5] [--csv out.csv] LIBRARY_DIR

Prints tracks/s (wall time from the first decode to the last result, model loading excluded, and also with
it), and with --check the largest absolute difference between its probabilities and those of an
`agf predict --csv` file on the first --check-tracks tracks (all checked tracks when 0). Exits 1 when the
check finds a track missing from the CSV or a difference above --tolerance.
"""
import argparse
import csv
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

AUDIO_EXT = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff", ".au")  # as agf's audio_extensions()


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("library", help="folder searched recursively for audio files (agf's extensions), or files")
    ap.add_argument("--model", required=True, help="agf transfer folder (mlp.safetensors and its nets)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--hop", type=int, default=0, help="hop between windows in frames (0: the model's eval_hop)")
    ap.add_argument("--check", help="an `agf predict --csv` file to compare probabilities with")
    ap.add_argument("--check-tracks", type=int, default=5, help="tracks to compare (0: every track)")
    ap.add_argument("--tolerance", type=float, default=1e-3, help="largest allowed |p_torch - p_agf| (default 1e-3)")
    ap.add_argument("--csv", help="write path and probabilities per track here")
    ap.add_argument("--limit", type=int, default=0, help="only the first N tracks (0: all)")
    return ap.parse_args()


def collect(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            found = []
            for root, _, files in os.walk(p):
                found += [os.path.join(root, f) for f in files if os.path.splitext(f)[1].lower() in AUDIO_EXT]
            out += sorted(found)
        else:
            out.append(p)
    return out


def load_model(model_dir, torch, load_file, safe_open):
    from torch_models import DCNN, MLP, MTN

    def read(path):
        with safe_open(path, framework="pt") as f:
            meta = f.metadata() or {}
        return load_file(path), meta

    mlp_path = os.path.join(model_dir, "mlp.safetensors")
    state, meta = read(mlp_path)
    cfg = json.loads(meta["net"])
    if cfg["arch"] != "mlp":
        sys.exit(f"{mlp_path}: not a transfer MLP (arch {cfg['arch']})")
    tr = json.loads(meta["transfer"])
    mel = json.loads(meta["mel_params"])
    if "mel_mean" in state:  # older folders: tensors; agf-net-2: metadata
        mean, std = state.pop("mel_mean").numpy(), state.pop("mel_std").numpy()
    else:
        ms = json.loads(meta["mel_standardisation"])
        mean, std = np.asarray(ms["mean"], np.float32), np.asarray(ms["std"], np.float32)
    mlp = MLP(cfg["inputs"], cfg["hidden"], cfg["outputs"])
    mlp.load_state_dict(state, strict=True)
    nets = []
    for jn in tr["nets"]:
        path = os.path.join(model_dir, jn["file"])
        st, md = read(path)
        nc = json.loads(md["net"])
        if json.loads(md["mel_params"]) != mel:
            sys.exit(f"{path}: trained on other mel parameters than the model declares")
        if nc["arch"] in ("dcnn", "stn", "wstn"):  # outputs as stored (the config may say 0: genres or topics)
            net, tasks = DCNN(int(st["fc2.weight"].shape[0]), width=nc["width"]), [None]
        elif nc["arch"] == "mtn":
            net, tasks = MTN(nc["tasks"]), list(nc["tasks"])
        else:
            sys.exit(f"{path}: arch {nc['arch']} is not a source net")
        net.load_state_dict(st, strict=True)  # raises on any missing or unexpected name, or shape
        nets.append((jn.get("name", jn["file"]), net.eval(), tasks))
    return dict(mlp=mlp.eval(), nets=nets, mel=mel, mean=mean, std=std, frames=int(tr["frames"]),
                hop=int(tr["eval_hop"]), genres=list(tr["genres"])[: cfg["outputs"]],
                float16=bool(tr.get("float16", True)), temperature=float(tr.get("temperature", 1.0)))


def features(m, path, librosa):
    """(windows, 1, n_mels, frames) standardised float32 windows of one track, or None when too short."""
    p = m["mel"]
    y, _ = librosa.load(path, sr=p["sr"], mono=True, res_type="soxr_hq")
    S = librosa.feature.melspectrogram(y=y, sr=p["sr"], n_fft=p["n_fft"], hop_length=p["hop_length"],
                                       n_mels=p["n_mels"], fmin=p["fmin"], fmax=p["fmax"], power=p["power"],
                                       htk=p["htk"], center=p["center"], pad_mode="constant", norm="slaney")
    if p["to_db"]:
        top = p["top_db"] if p["top_db"] > 0 else None
        S = (librosa.amplitude_to_db if p["power"] == 1.0 else librosa.power_to_db)(
            S, ref=p["ref"], amin=p["amin"], top_db=top)
    S = S.astype(np.float32)
    if m["float16"]:
        S = S.astype(np.float16).astype(np.float32)
    z = (S - m["mean"][:, None]) * (np.float32(1) / m["std"])[:, None]  # (n_mels, frames)
    F, hop = m["frames"], m["hop_eff"]
    starts = range(0, z.shape[1] - F + 1, hop)
    if len(starts) == 0:
        return None
    return np.ascontiguousarray(np.stack([z[:, s:s + F] for s in starts])[:, None])


def predict_track(m, x, torch):
    """Mean over windows of the MLP's softmax, as agf's average_per_track (sums in double)."""
    with torch.inference_mode():
        xt = torch.from_numpy(x)
        feats = []
        for _, net, tasks in m["nets"]:
            for t in tasks:
                if t is None:
                    net(xt)
                    feats.append(net.feature)
                else:
                    branch = getattr(net, t)
                    branch(net.shared(xt))
                    feats.append(branch.feature)
        logits = m["mlp"](torch.cat(feats, dim=1))
        probs = torch.softmax(logits / m["temperature"], dim=1) if m["temperature"] != 1.0 else torch.softmax(logits, 1)
        return probs.double().mean(dim=0).numpy()


def main():
    a = parse_args()
    for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(v, str(a.threads))
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    t_start = time.perf_counter()
    import torch
    import librosa
    from safetensors import safe_open
    from safetensors.torch import load_file

    torch.set_num_threads(a.threads)
    m = load_model(a.model, torch, load_file, safe_open)
    m["hop_eff"] = a.hop if a.hop > 0 else m["hop"]
    files = collect([a.library])
    if a.limit > 0:
        files = files[: a.limit]
    if not files:
        sys.exit(f"{a.library}: no audio files")
    # Warm-up outside the timing: librosa's numba kernels and torch's first-call set-up.
    x0 = features(m, files[0], librosa)
    predict_track(m, x0, torch)
    t_loaded = time.perf_counter()
    results, windows, t_decode = {}, 0, 0.0
    t0 = time.perf_counter()
    for i, f in enumerate(files):
        ta = time.perf_counter()
        x = features(m, f, librosa)
        t_decode += time.perf_counter() - ta
        if x is None:
            print(f"torch_predict: {f}: too short for one window", file=sys.stderr)
            continue
        results[f] = predict_track(m, x, torch)
        windows += x.shape[0]
        if (i + 1) % 10 == 0 or i + 1 == len(files):
            el = time.perf_counter() - t0
            print(f"\rtorch_predict: {i + 1}/{len(files)} tracks, {(i + 1) / el:.2f} tracks/s", end="", file=sys.stderr)
    t1 = time.perf_counter()
    print("", file=sys.stderr)
    n = len(files)
    print(f"torch {torch.__version__}, librosa {librosa.__version__}, numpy {np.__version__}, "
          f"torch threads {torch.get_num_threads()}")
    print(f"model: {len(m['nets'])} nets ({', '.join(name for name, _, _ in m['nets'])}) + MLP, "
          f"windows of {m['frames']} frames, hop {m['hop_eff']}, {windows} windows")
    print(f"tracks: {n}, wall {t1 - t0:.2f} s: {n / (t1 - t0):.3f} tracks/s "
          f"(decode + mel {t_decode:.2f} s, nets {t1 - t0 - t_decode:.2f} s); "
          f"with model load and warm-up {t1 - t_start:.2f} s: {n / (t1 - t_start):.3f} tracks/s")
    if a.csv:
        with open(a.csv, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["path"] + m["genres"])
            for f, pr in results.items():
                w.writerow([f] + [f"{v:.9g}" for v in pr])
    if a.check:
        with open(a.check, newline="") as fh:
            rows = {r["path"]: r for r in csv.DictReader(fh)}
        todo = list(results)[: a.check_tracks] if a.check_tracks > 0 else list(results)
        worst, where = 0.0, ""
        for f in todo:
            r = rows.get(f)
            if r is None or r["status"] != "ok":
                sys.exit(f"check: {f} is not an ok row of {a.check}")
            ref = np.array([float(r[g]) for g in m["genres"]])
            d = float(np.max(np.abs(ref - results[f])))
            if d > worst:
                worst, where = d, f
        print(f"check against {a.check}: {len(todo)} tracks, max |p_torch - p_agf| = {worst:.3g} ({where})")
        if worst > a.tolerance:
            sys.exit(f"check: difference {worst:.3g} above the tolerance {a.tolerance:g}")


if __name__ == "__main__":
    main()
