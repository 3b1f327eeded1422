// The random families of agf, and the two pieces they share (SplitMix64's finaliser, Fisher-Yates):
// - Philox4x32-10 (kernels/philox.h, agf/train/rng.h) for training: every draw is keyed by (seed, purpose,
//   position), so a checkpoint holds no generator state and the GPU draws what the CPU draws;
// - SplitMix64 (agf/data/synth_rng.h) for the synthetic corpus and the splits: one sequential stream per key;
// - std::mt19937_64 (agf/factors/kmeans.cpp, lda.cpp) for the factors: its raw output is fixed by the
//   standard, but lda.cpp's initial std::gamma_distribution is the library's own algorithm (libstdc++ here).
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

namespace agf {

constexpr uint64_t kSplitMixGamma = 0x9E3779B97F4A7C15ull;  // SplitMix64's increment: 2^64 / golden ratio

// SplitMix64's output function (Steele, Lea and Flood 2014): a bijective mix of 64 bits.
inline uint64_t splitmix64_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Fisher-Yates from the back; below(i) draws an index in [0, i). Same draws, same permutation everywhere
// (std::shuffle is implementation-defined).
template <typename T, typename Below> void fisher_yates(std::vector<T>& v, Below below) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
}

}  // namespace agf
