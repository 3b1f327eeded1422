#!/usr/bin/env python3
"""Compare `agf descriptors` with Essentia (PyPI `essentia`) on the same audio, descriptor by
descriptor where Essentia has an equivalent; prints a table (used for docs/DESCRIPTORS.md).

    build/venv-audio/bin/pip install essentia librosa soundfile
    build/venv-audio/bin/python tools/compare_essentia.py --agf build/audio/agf [FILES...]

Without files it renders test signals (sine, chord, noise, click train, music-like mixture of the
fixtures) at 44.1 kHz. Both sides: 2048-sample Hann frames, hop 1024, at 44.1 kHz. Essentia frames
are not centred (agf's are, with zero padding), so the first and last frames differ; means over
3-10 s of audio are compared.
"""
import argparse
import os
import subprocess
import tempfile

import numpy as np
import soundfile as sf
import essentia.standard as es

SR = 44100


def test_signals(root):
    t = np.arange(SR * 6) / SR
    rng = np.random.default_rng(0)
    sig = {
        "sine1k": 0.5 * np.sin(2 * np.pi * 1000 * t),
        "cmajor": sum(0.05 * np.sin(2 * np.pi * f * h * t) for f in (261.63, 329.63, 392.0) for h in (1, 2)),
        "noise": 0.2 * rng.standard_normal(t.size),
    }
    clicks = np.zeros(t.size)
    for i in range(0, t.size, SR // 2):
        j = np.arange(min(400, t.size - i))
        clicks[i + j] = 0.8 * np.exp(-j / 80.0) * np.where(j % 2, 1, -1)
    sig["clicks120"] = clicks
    mus, msr = sf.read(os.path.join(root, "tests", "fixtures", "audio", "music.wav"), dtype="float32")
    sig["music"] = np.tile(np.interp(np.arange(int(len(mus) * SR / msr)) * msr / SR, np.arange(len(mus)), mus), 6)
    return sig


def essentia_means(y):
    y = y.astype(np.float32)
    w, spec = es.Windowing(type="hann", normalized=False), es.Spectrum()
    cen, roll, flux = es.Centroid(range=SR / 2), es.RollOff(sampleRate=SR), es.Flux()
    mom, shape = es.CentralMoments(range=SR / 2), es.DistributionShape()
    flat, crest, ent = es.FlatnessDB(), es.Crest(), es.Entropy()
    zcr, rms, loud = es.ZeroCrossingRate(), es.RMS(), es.Loudness()
    bark = es.BarkBands(sampleRate=SR, numberBands=27)
    peaks = es.SpectralPeaks(sampleRate=SR, orderBy="magnitude", magnitudeThreshold=1e-5, maxPeaks=100)
    hpcp = es.HPCP(size=12, referenceFrequency=440.0 * 2 ** (3 / 12) / 2, normalized="unitMax", harmonics=0)
    out = {k: [] for k in ["spectral_centroid", "spectral_spread", "spectral_skewness", "spectral_kurtosis",
                           "spectral_rolloff", "spectral_flux", "spectral_flatness_db", "spectral_crest",
                           "spectral_entropy", "zerocrossingrate", "rms", "loudness", "barkbands_10", "hpcp"]}
    for fr in es.FrameGenerator(y, frameSize=2048, hopSize=1024, startFromZero=True):
        s = spec(w(fr))
        out["spectral_centroid"].append(cen(s))
        sp, sk, ku = shape(mom(s))
        out["spectral_spread"].append(np.sqrt(sp))
        out["spectral_skewness"].append(sk)
        out["spectral_kurtosis"].append(ku + 3.0)  # Essentia reports excess kurtosis
        out["spectral_rolloff"].append(roll(s))
        out["spectral_flux"].append(flux(s))
        out["spectral_flatness_db"].append(flat(s ** 2))
        out["spectral_crest"].append(crest(s))
        out["spectral_entropy"].append(ent(s ** 2 / max(np.sum(s ** 2), 1e-20)))
        out["zerocrossingrate"].append(zcr(fr))
        out["rms"].append(rms(fr))
        out["loudness"].append(loud(fr))
        out["barkbands_10"].append(bark(s)[10])
        f, m = peaks(s)
        out["hpcp"].append(hpcp(f, m))
    means = {k: float(np.mean(v)) for k, v in out.items() if k != "hpcp"}
    key, scale, strength = es.KeyExtractor(sampleRate=SR, profileType="krumhansl")(y)
    means["key"] = f"{key} {scale}"
    means["bpm"] = float(es.RhythmExtractor2013(method="multifeature")(y)[0])
    return means


def agf_values(agf, y, tmp):
    wav, npy = os.path.join(tmp, "x.wav"), os.path.join(tmp, "x.npy")
    sf.write(wav, y.astype(np.float32), SR, subtype="FLOAT")
    subprocess.run([agf, "descriptors", wav, "-o", npy, "--sr", str(SR)], check=True, capture_output=True)
    d = np.load(npy)
    names = open(npy[:-4] + ".names.txt").read().split()
    return dict(zip(names, d.tolist()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agf", default="build/audio/agf")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    sigs = {os.path.basename(f): es.MonoLoader(filename=f, sampleRate=SR)() for f in a.files} or test_signals(root)
    pitch = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
    with tempfile.TemporaryDirectory() as tmp:
        print("| signal | descriptor | agf (mean) | Essentia (mean) | rel. diff |")
        print("|---|---|---|---|---|")
        for name, y in sigs.items():
            e = essentia_means(np.asarray(y))
            g = agf_values(a.agf, np.asarray(y), tmp)
            for k, ev in e.items():
                if k == "key":
                    tonic = max(range(12), key=lambda k: g["key_" + pitch[k].replace("#", "s")])
                    gk = f"{pitch[tonic]} {'minor' if g['scale_minor'] else 'major'}"
                    print(f"| {name} | key | {gk} | {ev} | {'same' if gk == ev else 'differs'} |")
                    continue
                gv = g["bpm"] if k == "bpm" else g[k + ".mean"]
                if k == "spectral_flatness_db":  # Essentia maps dB to [0, 1]: min(1, dB / -60), per frame
                    gv = min(1.0, g["spectral_flatness_db.mean"] / -60.0)
                rel = abs(gv - ev) / max(abs(ev), 1e-12)
                print(f"| {name} | {k} | {gv:.5g} | {ev:.5g} | {rel:.3g} |")


if __name__ == "__main__":
    main()
