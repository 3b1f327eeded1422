#!/usr/bin/env python3
"""Golden fixtures for the audio front end (tests/audio/*), made with librosa (the reference).

Writes tests/fixtures/audio/: short 16-bit WAV test signals (sines, chirp, white and pink noise,
silence, clicks, a music-like mixture, a stereo 44.1 kHz file) and librosa's outputs for them as
.npy: dB and linear mel spectrograms (paper settings and option variants), MFCC (AGF settings),
and the resampled signal of librosa.load(sr=22050). Run from the repository root:
    python3 -m venv build/venv-audio && build/venv-audio/bin/pip install librosa numpy soundfile
    build/venv-audio/bin/python tools/make_audio_fixtures.py
"""
import json
import os

import librosa
import numpy as np
import soundfile as sf

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "audio")
SR = 22050
DUR = 1.0


def signals(rng):
    t = np.arange(int(SR * DUR)) / SR
    n = t.size
    sig = {}
    sig["sine440"] = 0.5 * np.sin(2 * np.pi * 440 * t)
    sig["sines"] = 0.3 * np.sin(2 * np.pi * 110 * t) + 0.2 * np.sin(2 * np.pi * 1234.5 * t) + 0.1 * np.sin(2 * np.pi * 7000 * t)
    sig["chirp"] = 0.5 * np.sin(2 * np.pi * (50 * t + 0.5 * (10000 - 50) / DUR * t * t))
    sig["white"] = 0.25 * rng.standard_normal(n)
    # pink: 1/f shaping of white noise in the frequency domain
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0
    pink = np.fft.irfft(spec, n)
    sig["pink"] = 0.5 * pink / np.max(np.abs(pink))
    sig["silence"] = np.zeros(n)
    clicks = np.zeros(n)
    clicks[:: SR // 8] = 0.9
    sig["clicks"] = clicks
    # music-like: three harmonic notes with decaying envelopes, a kick, and a little noise
    mix = np.zeros(n)
    for k, (f0, t0) in enumerate([(220.0, 0.0), (277.18, 0.33), (329.63, 0.66)]):
        env = np.where(t >= t0, np.exp(-(t - t0) * 4.0), 0.0)
        for h in range(1, 6):
            mix += env * 0.15 / h * np.sin(2 * np.pi * f0 * h * t + k)
    for t0 in (0.0, 0.5):
        env = np.where(t >= t0, np.exp(-(t - t0) * 30.0), 0.0)
        mix += 0.4 * env * np.sin(2 * np.pi * 60 * (t - t0))
    mix += 0.01 * rng.standard_normal(n)
    sig["music"] = 0.9 * mix / np.max(np.abs(mix))
    return sig


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20180423)
    manifest = {"librosa": librosa.__version__, "numpy": np.__version__, "signals": [], "variants": {}}
    for name, x in signals(rng).items():
        path = os.path.join(OUT, f"{name}.wav")
        sf.write(path, x.astype(np.float32), SR, subtype="PCM_16")
        y, sr = librosa.load(path, sr=None)
        assert sr == SR
        S = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=1024, hop_length=512, n_mels=128, fmax=11025, power=1.0)
        np.save(os.path.join(OUT, f"{name}.mel_db.npy"), librosa.amplitude_to_db(S, ref=1.0, amin=1e-5, top_db=80).astype(np.float32))
        mf = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=13, n_fft=2048, hop_length=1024, n_mels=40)
        np.save(os.path.join(OUT, f"{name}.mfcc.npy"), mf.astype(np.float32))
        manifest["signals"].append(name)
    # Linear mel (no dB) at the paper's settings, and option variants, on the music-like mixture.
    y, _ = librosa.load(os.path.join(OUT, "music.wav"), sr=None)
    variants = {
        "lin": dict(n_fft=1024, hop_length=512, n_mels=128, fmin=0.0, fmax=11025.0, power=1.0, htk=False, center=True),
        "pow_htk": dict(n_fft=2048, hop_length=300, n_mels=64, fmin=30.0, fmax=8000.0, power=2.0, htk=True, center=True),
        "nocenter": dict(n_fft=512, hop_length=256, n_mels=40, fmin=0.0, fmax=11025.0, power=1.0, htk=False, center=False),
    }
    for vname, v in variants.items():
        S = librosa.feature.melspectrogram(y=y, sr=SR, **v)
        np.save(os.path.join(OUT, f"music.{vname}.npy"), S.astype(np.float32))
        manifest["variants"][vname] = v
    # power_to_db with a non-default ref / top_db on the pow_htk variant
    S = librosa.feature.melspectrogram(y=y, sr=SR, **variants["pow_htk"])
    np.save(os.path.join(OUT, "music.pow_htk_db.npy"), librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=60.0).astype(np.float32))
    # Decode + downmix + soxr_hq resample: a stereo 44.1 kHz file, librosa.load(sr=22050, mono=True)
    t = np.arange(int(44100 * 0.5)) / 44100
    left = 0.4 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(t.size)
    right = 0.4 * np.sin(2 * np.pi * 3000 * t)
    path = os.path.join(OUT, "stereo44k.wav")
    sf.write(path, np.stack([left, right], axis=1).astype(np.float32), 44100, subtype="PCM_16")
    yr, _ = librosa.load(path, sr=SR)
    np.save(os.path.join(OUT, "stereo44k.load22050.npy"), yr.astype(np.float32))
    yr, _ = librosa.load(path, sr=8000)
    np.save(os.path.join(OUT, "stereo44k.load8000.npy"), yr.astype(np.float32))
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, p)) for p in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total / 1024:.0f} KiB, librosa {librosa.__version__}")


if __name__ == "__main__":
    main()
