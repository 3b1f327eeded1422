#!/usr/bin/env bash
# Packs what the GPU machine runs (it has CUDA 13, cuDNN 9 and PyTorch but none of our Debian libraries):
# builds the release preset with CUDA (into build/release) if needed, then copies the stripped binaries the
# first-contact script needs (agf, test_cuda, test_audio, test_factors, bench_ops_cuda, bench_dcnn_cuda; with
# AGF_BUNDLE_ALL=1 every test_* and bench_*) into build/gpu-bundle/bin and their shared libraries, except
# glibc's and CUDA's (the GPU machine has its own), into build/gpu-bundle/lib. The MANIFEST records the newest
# glibc symbol version the binaries need and the machine type, so a host that cannot run them is named
# before anything starts. Run on the GPU machine: scripts/gpu_check.sh (first contact) or gpu_run.sh (all).
#   scripts/gpu_bundle.sh [build-dir]      (default build/release; AGF_BUNDLE_NO_BUILD=1 skips the build)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
out=build/gpu-bundle
max_mib="${AGF_BUNDLE_MAX_MIB:-40}"

if [ "${AGF_BUNDLE_NO_BUILD:-0}" != 1 ]; then
  if [ "$build" = build/release ]; then
    cmake --preset release >/dev/null
  fi
  grep -q '^AGF_CUDA:STRING=OFF' "$build/CMakeCache.txt" 2>/dev/null &&
    { echo "gpu_bundle: $build is configured with AGF_CUDA=OFF" >&2; exit 1; }
  cmake --build "$build" -j "${AGF_JOBS:-$(nproc)}"
fi
[ -x "$build/test_cuda" ] || { echo "gpu_bundle: $build/test_cuda missing: is nvcc/cuDNN found (AGF_CUDA)?" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/bin" "$out/lib"
if [ "${AGF_BUNDLE_ALL:-0}" = 1 ]; then
  bins=$(find "$build" -maxdepth 1 -type f -executable \( -name 'test_*' -o -name 'bench_*' -o -name agf \) | sort)
else
  bins=""
  for n in agf test_cuda test_audio test_factors bench_ops_cuda bench_dcnn_cuda; do
    [ -x "$build/$n" ] || { echo "gpu_bundle: $build/$n missing" >&2; exit 1; }
    bins="$bins $build/$n"
  done
fi
for b in $bins; do
  cp "$b" "$out/bin/"
  strip --strip-unneeded "$out/bin/$(basename "$b")"
done

# Shared libraries: everything ldd resolves except the C runtime (glibc, the loader) and CUDA's own libraries.
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libmvec\.so|libutil\.so|libnsl\.so|libpthread\.so|libdl\.so|librt\.so|libresolv\.so|libcuda\.so|libcudart|libcublas|libcublasLt|libcufft|libcudnn|libnvrtc|libnvJitLink|libcurand|libcusparse|libcusolver)'
for b in $bins; do
  ldd "$b" | awk '/=> \// {print $1, $3}' | while read -r name path; do
    if [[ "$name" =~ $skip ]]; then continue; fi
    [ -e "$out/lib/$name" ] || { cp -L "$path" "$out/lib/$name"; strip --strip-unneeded "$out/lib/$name" 2>/dev/null || true; }
  done
done

src_dir=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt")
archs=$("$build/agf" info 2>/dev/null | sed -n 's/^cuda architectures compiled: \([^,]*\),.*/\1/p')
{
  echo "agf GPU bundle"
  echo "git: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (dirty tree)')"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"
  echo "source_dir: $src_dir"
  echo "cuda_architectures: $archs"
  echo "nvcc: $(/usr/local/cuda/bin/nvcc --version 2>/dev/null | tail -1)"
  echo "binaries: $(cd "$out/bin" && echo *)"
  echo "machine: $(uname -m)"
  echo "glibc_needed: $(objdump -T "$out"/bin/* "$out"/lib/* 2>/dev/null | grep -o 'GLIBC_2\.[0-9]*' | sort -uV | tail -1)"
  echo "libraries: $(cd "$out/lib" && echo *)"
} > "$out/MANIFEST.txt"

size_mib=$(du -sm "$out" | cut -f1)
echo "gpu_bundle: $out: $(ls "$out/bin" | wc -l) binaries, $(ls "$out/lib" | wc -l) libraries, ${size_mib} MiB"
if [ "$size_mib" -gt "$max_mib" ]; then
  echo "gpu_bundle: bundle is ${size_mib} MiB, over ${max_mib} MiB" >&2
  exit 1
fi
