// Helpers for the PyTorch float64 fixture tests/fixtures/torch/dcnn_float64.safetensors
// (tools/make_torch_fixtures.py): reading a stored tensor's values, and the fixture's integer
// init recipe reproduced in C++ (its initial weights are not stored, only [seed, k, base] per tensor).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>
#include "engine/safetensors.h"

namespace agf {

inline std::string torch_fixture_path() {
  return std::string(AGF_SOURCE_DIR) + "/tests/fixtures/torch/dcnn_float64.safetensors";
}

// A stored tensor's elements copied out (C order). The caller checks the dtype.
template <typename T> std::vector<T> st_values(const StView& v) {
  std::vector<T> out(v.nbytes / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), v.data, out.size() * sizeof(T));
  return out;
}

// value[i] = base + q * 2^-k with h = uint32(i*2654435761 + seed); h ^= h>>15; h = uint32(h*2246822519);
// h ^= h>>13; q = int(h>>24) - 128 (uint32 arithmetic wraps modulo 2^32, as the script's masks do).
inline double torch_fixture_init(uint64_t i, uint32_t seed, int k, int base) {
  uint32_t h = static_cast<uint32_t>(i * 2654435761u) + seed;
  h ^= h >> 15;
  h *= 2246822519u;
  h ^= h >> 13;
  const int q = static_cast<int>(h >> 24) - 128;
  return base + std::ldexp(static_cast<double>(q), -k);
}

}  // namespace agf
