#!/usr/bin/env bash
# The README's test command: installs dependencies, builds the release preset (CUDA targets too
# where nvcc exists), and runs the whole CTest suite. GPU tests skip visibly without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
ctest --preset release -j "${AGF_JOBS:-$(nproc)}"
