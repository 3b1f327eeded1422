// Random streams of training: every random choice is Philox(key, 0, j) with a key derived from the
// run's seed, the purpose and a position (epoch, step), so no generator state has to be saved: a
// checkpoint's seed and position reproduce every later draw, on the CPU and the GPU alike.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "util/random.h"
#include "kernels/philox.h"
#include "layers/nets.h"  // Arch

namespace agf {

enum class Stream : uint64_t {
  Init = 1,
  Shuffle = 2,
  Crop = 3,
  Task = 4,
  Dropout = 5,
  Mlp = 6,
  MlpCrop = 7,
  Calibrate = 8
};

// One SplitMix64 step: a bijective mix so that nearby (seed, purpose, position) give unrelated keys.
inline uint64_t mix64(uint64_t z) { return splitmix64_mix(z + kSplitMixGamma); }

inline uint64_t derive_seed(uint64_t seed, Stream purpose, uint64_t position) {
  return mix64(mix64(seed ^ (uint64_t(purpose) << 56)) ^ position);
}

// The seed of one net's streams: the run's seed mixed with its case (arch, canonical tasks, and for a wSTN
// the MTN size it matches), so that stn-g, stn-m, ... trained with one --seed start from different
// weights and draw different shuffles, crops and dropout masks, as independently trained nets do
// (issue 12). Every stream of a net is derive_seed(net_stream_seed(...), purpose, position).
// (The key is "stn-g", "mtn-gs", "wstn-g-5": not net_name's "wstn-5", and it must stay as it is.)
inline uint64_t net_stream_seed(uint64_t seed, Arch arch, const std::string& tasks, int match) {
  uint64_t h = mix64(seed ^ 0x6167662d6e657473ull);  // "agf-nets"
  const std::string name =
      std::string(arch_name(arch)) + "-" + tasks + (arch == Arch::wstn ? "-" + std::to_string(match) : std::string());
  for (unsigned char ch : name) h = mix64(h ^ ch);
  return mix64(h ^ name.size());
}

// Fisher-Yates driven by Philox(key): the same permutation on every machine.
template <typename T> void shuffle_philox(std::vector<T>& v, uint64_t key) {
  fisher_yates(v, [key](size_t i) {
    const uint64_t r = (uint64_t(philox_u32(key, 0, 2 * i)) << 32) | philox_u32(key, 0, 2 * i + 1);
    return size_t(r % i);
  });
}

}  // namespace agf
