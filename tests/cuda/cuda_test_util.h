// Shared helpers for the CUDA tests: the skip guard, host<->device copies, random inputs, and close(): the
// tolerance table and element-wise comparison of engine/parity.h, naming the worst element. Every CUDA test
// starts with AGF_REQUIRE_CUDA().
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "engine/parity.h"
#include "kernels/cuda_ctx.h"

namespace agf::cudatest {

#define AGF_REQUIRE_CUDA()                                                 \
  do {                                                                     \
    if (::agf::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"; \
  } while (0)

template <typename T> inline DeviceBuffer<T> to_device(const std::vector<T>& h) {
  DeviceBuffer<T> d(h.size());
  if (!h.empty()) cuda_memcpy_h2d(d.get(), h.data(), h.size() * sizeof(T));
  return d;
}
template <typename T> inline std::vector<T> to_host(const DeviceBuffer<T>& d) {
  std::vector<T> h(d.size());
  if (!h.empty()) cuda_memcpy_d2h(h.data(), d.get(), d.bytes());
  return h;
}

inline std::vector<float> randn(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(g);
  return v;
}
inline std::vector<float> uniform(size_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(g);
  return v;
}
// Tie-free values (a shuffled ramp scaled into [-1, 1)) so max-pool's argmax is unambiguous.
inline std::vector<float> tie_free(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), 0.0f);
  std::mt19937 g(seed);
  std::shuffle(v.begin(), v.end(), g);
  for (float& x : v) x = 2.0f * x / float(n) - 1.0f;
  return v;
}
inline std::vector<double> to_f64(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

// Compares a GPU result with a reference under tolerance `op` (parity_compare, engine/parity.h); names the
// worst element on failure.
template <typename R> inline ::testing::AssertionResult close(const std::vector<float>& gpu, const std::vector<R>& ref,
                                                              const std::string& op, const std::string& what) {
  if (gpu.size() != ref.size())
    return ::testing::AssertionFailure() << what << ": sizes " << gpu.size() << " vs " << ref.size();
  const ParityRow r = parity_compare(what, "", op, std::vector<double>(gpu.begin(), gpu.end()),
                                     std::vector<double>(ref.begin(), ref.end()));
  if (r.pass) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": " << r.outside << " of " << r.elements << " elements outside "
                                       << op << " tolerance (rtol " << r.rtol << ", atol " << r.atol << " x max|ref| "
                                       << r.scale << "); worst [" << r.worst << "] gpu " << r.got << " ref " << r.ref
                                       << " (" << parity_tol(op).why << ")";
}

}  // namespace agf::cudatest
