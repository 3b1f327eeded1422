// A small portable RNG (SplitMix64, Steele et al. 2014) with its own uniform, normal and
// shuffle, so seeded results are the same bytes with every standard library (std::shuffle and
// std::*_distribution are implementation-defined). Used by the synthetic corpus and the splits.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "util/random.h"

namespace agf {

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  // Derives an independent stream from a seed and a key (a track id, an artist index...).
  static Rng stream(uint64_t seed, uint64_t key) {
    return Rng(splitmix64_mix(seed ^ splitmix64_mix(key + kSplitMixGamma)));
  }

  uint64_t next() { return splitmix64_mix(s_ += kSplitMixGamma); }
  double uniform() { return (next() >> 11) * 0x1.0p-53; }                          // [0, 1)
  double uniform(double a, double b) { return a + (b - a) * uniform(); }           // [a, b)
  int64_t below(int64_t n) { return n <= 0 ? 0 : int64_t(next() % uint64_t(n)); }  // [0, n)
  int64_t range(int64_t a, int64_t b) { return a + below(b - a + 1); }             // [a, b]
  bool chance(double p) { return uniform() < p; }
  double normal() {  // Box-Muller, one value per call
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  template <typename T> void shuffle(std::vector<T>& v) {
    fisher_yates(v, [this](size_t i) { return size_t(below(int64_t(i))); });
  }
  template <typename T> const T& pick(const std::vector<T>& v) { return v[size_t(below(int64_t(v.size())))]; }

 private:
  uint64_t s_;
};

}  // namespace agf
