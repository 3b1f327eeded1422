#!/usr/bin/env bash
# The README's main-job command: installs dependencies, builds, and runs `agf demo`
# (synthetic FMA-layout corpus -> mel store -> factors -> quick grid -> report).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
./build/release/agf demo "$@"
