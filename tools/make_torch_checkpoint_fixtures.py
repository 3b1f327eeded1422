#!/usr/bin/env python3
"""PyTorch loads agf's net files: writes tests/fixtures/torch/agf_checkpoint_torch.safetensors.

1. Runs the C++ test CheckpointFormat.PyTorchLoadsItStrictAndAgrees with AGF_UPDATE_CHECKPOINT_FIXTURES=1,
   which writes tests/fixtures/torch/agf_dcnn_w05.safetensors (DCNN, width 0.5, 16 outputs) and
   agf_mlp.safetensors (MLP 96 -> 48 -> 16) with save_net, every value from an integer recipe.
2. Loads each into bench/peers/torch_models.py with
       model.load_state_dict(safetensors.torch.load_file(path), strict=True)
   (num_batches_tracked, which agf does not write, is filled in by PyTorch), then runs it in eval mode in
   float64 on a seeded float32 input and stores
       dcnn.input F32 (3, 1, 128, 43), dcnn.logits F64 (3, 16), mlp.input F32 (5, 96), mlp.logits F64 (5, 16)
   and, in the metadata, torch's version and the names and shapes of MTN("gs").state_dict() (without
   num_batches_tracked), which the test compares with agf's MTN parameter names.

Usage (from the repository root, after building the cpu preset):
    python3 -m venv build/venv && build/venv/bin/pip install torch safetensors numpy
    build/venv/bin/python tools/make_torch_checkpoint_fixtures.py [build/cpu/test_train]
"""
import json
import os
import subprocess
import sys

import torch
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, os.path.join(ROOT, "bench", "peers"))
from torch_models import DCNN, MLP, MTN  # noqa: E402

FIX = os.path.join(ROOT, "tests", "fixtures", "torch")


def main():
    test_bin = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "cpu", "test_train")
    env = dict(os.environ, AGF_UPDATE_CHECKPOINT_FIXTURES="1")
    subprocess.run([test_bin, "--gtest_filter=CheckpointFormat.PyTorchLoadsItStrictAndAgrees"], check=True, env=env)
    out = {}
    torch.manual_seed(0)
    cases = [("dcnn", DCNN(16, width=0.5), "agf_dcnn_w05.safetensors", (3, 1, 128, 43)),
             ("mlp", MLP(96, 48, 16), "agf_mlp.safetensors", (5, 96))]
    for name, model, file, shape in cases:
        state = load_file(os.path.join(FIX, file))
        model.load_state_dict(state, strict=True)  # raises on any missing or unexpected key, or shape
        model.eval().double()
        x = torch.randn(*shape, dtype=torch.float32)
        with torch.no_grad():
            logits = model(x.double())
        out[f"{name}.input"] = x.contiguous()
        out[f"{name}.logits"] = logits.contiguous()
        print(f"{name}: {len(state)} tensors loaded strictly; logits {tuple(logits.shape)}")
    mtn = {k: list(v.shape) for k, v in MTN("gs").state_dict().items() if not k.endswith("num_batches_tracked")}
    save_file(out, os.path.join(FIX, "agf_checkpoint_torch.safetensors"),
              metadata={"torch": torch.__version__, "mtn_gs_state_dict": json.dumps(mtn, sort_keys=True),
                        "made_by": "tools/make_torch_checkpoint_fixtures.py"})


if __name__ == "__main__":
    main()
