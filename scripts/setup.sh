#!/usr/bin/env bash
# Installs the Debian packages agf builds against, idempotently: apt-get update runs once,
# and only when something is missing. Safe to run again. Needs root (or sudo).
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config
      libeigen3-dev libfftw3-dev libsndfile1-dev libsoxr-dev libmpg123-dev
      libcli11-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
      clang libclang-rt-14-dev   # clang + its libFuzzer/ASan runtime: scripts/fuzz.sh
      munge slurmctld slurmd slurm-client)  # a one-node Slurm for the sharded-grid test (scripts/slurm/local_cluster.sh)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages present"
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
