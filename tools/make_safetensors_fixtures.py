#!/usr/bin/env python3
"""Fixtures for tests/engine/safetensors_test.cpp and tests/util/npy_test.cpp, made by the reference libraries.

  make:   python tools/make_safetensors_fixtures.py            (writes tests/fixtures/safetensors/*)
  verify: python tools/make_safetensors_fixtures.py --verify   (loads agf_written.safetensors, the
          file our writer produces, with safetensors.numpy and checks every value and its bytes)

Needs the PyPI packages numpy and safetensors (venv: build/venv-torch). Files written:
  numpy_made.safetensors   safetensors.numpy.save_file of the tensors in numpy_tensors() + metadata
  numpy_<name>.npy         numpy.save of small arrays (f4, f8, i8 scalar, i4, u1, empty), plus three
                           files our reader must refuse: Fortran order, big-endian, bool dtype.
"""
import argparse
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file, save

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "safetensors")

# Values whose float16 rounding exercises ties to even, overflow, subnormals, inf and NaN.
HALF_PROBES = np.array([1.0, -2.5, 65504.0, 65519.0, 65520.0, 1e9, 1.0 + 2**-11, 1.0 + 3 * 2**-11,
                        2**-14, 6e-5, 2**-24, 2**-25, 3 * 2**-26, 1e-8, -0.0, np.inf, -np.inf, np.nan,
                        0.1, 3.14159265, -1234.5678, 2**-24 * 1.5, 2**-24 * 2.5],
                       dtype=np.float32)


def numpy_tensors():
    t = {}
    t["a_f64"] = (np.arange(6, dtype=np.float64).reshape(2, 3) * 0.1 - 0.25)
    t["b_f32"] = np.array([0.5, -0.0, 1e-38, 3.4e38, -7.25], dtype=np.float32)
    t["half_probe_f32"] = HALF_PROBES
    t["half_probe_f16"] = HALF_PROBES.astype(np.float16)
    t["c_i64"] = np.array([[-(2**62), 2**62 + 5], [0, -1]], dtype=np.int64)
    t["d_i32"] = np.array([-(2**31), 2**31 - 1, 7], dtype=np.int32)
    t["e_i16"] = np.array([-32768, 32767], dtype=np.int16)
    t["f_i8"] = np.array([-128, 0, 127], dtype=np.int8)
    t["g_u8"] = np.array([[0, 1, 2], [253, 254, 255]], dtype=np.uint8)
    t["h_bool"] = np.array([True, False, True], dtype=np.bool_)
    t["scalar_f64"] = np.array(2.718281828459045, dtype=np.float64)
    t["empty_f32"] = np.zeros((0, 3), dtype=np.float32)
    return t


METADATA = {"format": "np", "note": "h\u00e9llo \"quoted\"\n"}


def agf_written_expected():
    """What tests/engine/safetensors_test.cpp (AGF_WRITE_FIXTURES=1) writes: keep both in step."""
    t = {}
    t["w.f64"] = np.arange(6, dtype=np.float64).reshape(3, 2) * 0.25 - 1.0
    t["x"] = np.arange(8, dtype=np.float32).reshape(2, 2, 2) * 0.5
    t["h"] = np.array([1.0, -2.5, 65504.0], dtype=np.float16)
    t["step"] = np.array(123456789012, dtype=np.int64)
    t["i32"] = np.array([-7, 7], dtype=np.int32)
    t["i16"] = np.array([-300, 300], dtype=np.int16)
    t["i8"] = np.array([-5, 5], dtype=np.int8)
    t["u8"] = np.array([0, 1, 254, 255], dtype=np.uint8)
    t["flags"] = np.array([True, False], dtype=np.bool_)
    t["empty"] = np.zeros((0,), dtype=np.float32)
    meta = {"config": "{\"arch\":\"dcnn\",\"note\":\"\u00f1\\t\"}"}
    return t, meta


def make():
    save_file(numpy_tensors(), os.path.join(OUT, "numpy_made.safetensors"), metadata=METADATA)
    npy = {
        "f4_2x3": np.array([[1.5, -2.25, 3e-7], [1e10, -0.0, 42.0]], dtype="<f4"),
        "f8_5": np.array([np.pi, -np.e, 1e-300, 1e300, 0.1], dtype="<f8"),
        "i8_scalar": np.array(-9007199254740993, dtype="<i8"),
        "i4_2x2": np.array([[1, -2], [2**31 - 1, -(2**31)]], dtype="<i4"),
        "u1_5": np.array([0, 1, 127, 128, 255], dtype="u1"),
        "f4_empty_0x4": np.zeros((0, 4), dtype="<f4"),
    }
    for name, a in npy.items():
        np.save(os.path.join(OUT, f"numpy_{name}.npy"), a)
    np.save(os.path.join(OUT, "numpy_bad_fortran.npy"), np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))
    np.save(os.path.join(OUT, "numpy_bad_bigendian.npy"), np.arange(3, dtype=">f8"))
    np.save(os.path.join(OUT, "numpy_bad_bool.npy"), np.array([True, False]))
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {OUT} ({total} bytes in all)")


def verify():
    path = os.path.join(OUT, "agf_written.safetensors")
    got = load_file(path)
    want, meta = agf_written_expected()
    ok = True
    if set(got) != set(want):
        print("names differ:", sorted(got), sorted(want)); ok = False
    for k, w in want.items():
        g = got.get(k)
        if g is None or g.dtype != w.dtype or g.shape != w.shape or not np.array_equal(g, w):
            print(f"MISMATCH {k}: got {None if g is None else (g.dtype, g.shape, g)} want {(w.dtype, w.shape, w)}")
            ok = False
    with safe_open(path, framework="np") as f:
        if f.metadata() != meta:
            print("metadata differs:", f.metadata(), meta); ok = False
    # The reference writer, given the same tensors and metadata, must produce the same bytes.
    with open(path, "rb") as fh:
        ours = fh.read()
    theirs = save(want, metadata=meta)
    if ours != theirs:
        print(f"bytes differ from safetensors.numpy.save ({len(ours)} vs {len(theirs)} bytes)"); ok = False
        print(ours[:200]); print(theirs[:200])
    print(("OK: " if ok else "FAILED: ") + f"{path} loaded by safetensors {__import__('safetensors').__version__}"
          f", numpy {np.__version__}: {len(got)} tensors, metadata, bytes identical to the reference writer")
    return ok


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verify", action="store_true", help="check agf_written.safetensors instead of writing")
    args = ap.parse_args()
    if args.verify:
        sys.exit(0 if verify() else 1)
    make()
