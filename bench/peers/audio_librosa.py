#!/usr/bin/env python3
"""librosa on the same work as bench/audio.cpp, one core: decode (soundfile), soxr_hq resampling
44.1 -> 22.05 kHz, the paper's mel (n_fft 1024, hop 512, 128 mels, magnitude, amplitude_to_db) and
the AGF MFCC, on the same 30 s music-like signal. Prints the median time of repeats: wall time, or with
--cpu-time this process's CPU time (time.process_time), the figure to set beside Google Benchmark's CPU
column when the machine is shared (one thread each: CPU time is then the time the work took on a core).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
      build/venv-audio/bin/python bench/peers/audio_librosa.py [--cpu-time]
"""
import os
import sys
import tempfile
import time
import timeit

for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(v, "1")

import numpy as np  # noqa: E402
import librosa  # noqa: E402
import soundfile as sf  # noqa: E402

SECONDS = 30.0


def music(sr):
    rng = np.random.default_rng(1)
    t = np.arange(int(SECONDS * sr)) / sr
    v = sum(0.1 / h * np.sin(2 * np.pi * 220.0 * h * t) * np.exp(-np.fmod(t, 0.5) * 3) for h in range(1, 6))
    return (v + rng.normal(0, 0.02, t.size)).astype(np.float32)


TIMER = time.perf_counter  # --cpu-time: time.process_time (this process's CPU seconds)


def median_time(fn, repeat=7):
    fn()  # warm-up (numba compilation, FFT plans)
    return float(np.median(timeit.repeat(fn, number=1, repeat=repeat, timer=TIMER)))


def main():
    global TIMER
    if "--cpu-time" in sys.argv[1:]:
        TIMER = time.process_time
    y44, y22 = music(44100), music(22050)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for ext, kw in (("wav", dict(subtype="PCM_16")), ("flac", dict(subtype="PCM_16")), ("mp3", dict(format="MP3"))):
            path = os.path.join(d, "x." + ext)
            sf.write(path, y44, 44100, **kw)
            t = median_time(lambda: librosa.load(path, sr=None))
            rows.append((f"decode_{ext}", t, SECONDS / t, "x_realtime"))
    t = median_time(lambda: librosa.resample(y44, orig_sr=44100, target_sr=22050, res_type="soxr_hq"))
    rows.append(("resample_44k_22k", t, SECONDS / t, "x_realtime"))

    def mel():
        S = librosa.feature.melspectrogram(y=y22, sr=22050, n_fft=1024, hop_length=512, n_mels=128, fmax=11025, power=1.0)
        return librosa.amplitude_to_db(S, ref=1.0, amin=1e-5, top_db=80)

    frames = mel().shape[1]
    t = median_time(mel)
    rows.append(("mel_paper", t, frames / t, "frames_per_s"))
    t = median_time(lambda: librosa.feature.mfcc(y=y22, sr=22050, n_mfcc=13, n_fft=2048, hop_length=1024, n_mels=40))
    rows.append(("mfcc_agf", t, SECONDS / t, "x_realtime"))
    clock = "CPU time" if TIMER is time.process_time else "wall time"
    print(f"librosa {librosa.__version__}, numpy {np.__version__}, one thread, median {clock}")
    for name, t, rate, unit in rows:
        print(f"{name:20s} {t * 1e3:9.2f} ms  {rate:12.1f} {unit}")


if __name__ == "__main__":
    main()
