// Philox 4x32-10 known-answer vectors (Random123's kat_vectors), and dropout: the mask rule against
// philox_uniform directly, keep rate on a large n, determinism for (seed, offset), the offset shift, scaling,
// and a float64 gradient check with the replayed mask.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "kernels/dropout.h"
#include "kernels/philox.h"
#include "tests/kernels/gradcheck.h"

namespace agf::test {
namespace {

TEST(Philox, Random123KnownAnswers) {
  struct Kat {
    uint32_t c[4], k[2], out[4];
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
      {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
       {0xffffffffu, 0xffffffffu},
       {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
      {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
       {0xa4093822u, 0x299f31d0u},
       {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
  };
  for (const Kat& t : kats) {
    const Philox4 r = philox4x32_10(t.c[0], t.c[1], t.c[2], t.c[3], t.k[0], t.k[1]);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(r.v[i], t.out[i]) << "lane " << i << " of ctr " << std::hex << t.c[0];
  }
}

TEST(Philox, StreamLayout) {
  // Element j of (seed, offset) is lane (offset + j) & 3 of the block at counter (offset + j) >> 2, key = seed.
  const uint64_t seed = 0x0123456789abcdefull;
  for (uint64_t e : {0ull, 1ull, 5ull, 0x1'0000'0003ull}) {
    const Philox4 r =
        philox4x32_10(static_cast<uint32_t>(e >> 2), static_cast<uint32_t>(e >> 34), 0, 0, 0x89abcdefu, 0x01234567u);
    EXPECT_EQ(philox_u32(seed, 0, e), r.v[e & 3]);
    EXPECT_EQ(philox_u32(seed, e, 0), r.v[e & 3]);
  }
}

TEST(Dropout, MaskFollowsPhiloxAndScales) {
  const size_t n = 70001;  // above the OpenMP threshold, not a multiple of 4 or of the 1024-element chunks
  const float p = 0.3f;
  const uint64_t seed = 77, offset = 4097;
  Rng rng(51);
  const auto x = rng.uniform_vec(n, -1, 1);
  std::vector<double> y(n);
  std::vector<uint8_t> mask(n);
  dropout_forward<double>(Cpu{}, y.data(), mask.data(), x.data(), n, p, std::array<uint64_t, 2>{seed, offset}.data());
  for (size_t i = 0; i < n; ++i) {
    const bool keep = philox_uniform(seed, offset, i) >= p;
    ASSERT_EQ(mask[i], keep ? 1 : 0) << i;
    ASSERT_EQ(y[i], keep ? x[i] / (1.0 - double(p)) : 0.0) << i;
  }
}

// float32 (the AVX2 path draws eight Philox blocks per vector) at offsets of every residue mod 4, a seed with
// both key words set, and a counter whose low word wraps inside one vector of blocks (block 2^32 - 3 .. 2^32 + 4).
TEST(Dropout, VectorisedDrawsFollowPhilox) {
  const size_t n = 3000;
  const float p = 0.45f;
  const uint64_t seed = 0x123456789abcdefull;
  Rng rng(52);
  std::vector<float> x(n), y(n);
  for (auto& v : x) v = float(rng.uniform(-1, 1));
  std::vector<uint8_t> mask(n);
  for (uint64_t offset : {0ull, 1ull, 2ull, 3ull, 4097ull, (1ull << 34) - 12 + 1}) {
    dropout_forward<float>(Cpu{}, y.data(), mask.data(), x.data(), n, p, std::array<uint64_t, 2>{seed, offset}.data());
    for (size_t i = 0; i < n; ++i) {
      const bool keep = philox_uniform(seed, offset, i) >= p;
      ASSERT_EQ(mask[i], keep ? 1 : 0) << "offset " << offset << " element " << i;
      ASSERT_EQ(y[i], keep ? x[i] / (1.0f - p) : 0.0f) << "offset " << offset << " element " << i;
    }
  }
}

TEST(Dropout, KeepRateDeterminismAndOffsetShift) {
  const size_t n = 1 << 20;
  const float p = 0.1f;
  std::vector<float> x(n, 1.0f), y(n), y2(n), ys(n);
  std::vector<uint8_t> m(n), m2(n), ms(n);
  dropout_forward<float>(Cpu{}, y.data(), m.data(), x.data(), n, p, std::array<uint64_t, 2>{1234, 1000}.data());
  size_t kept = 0;
  for (auto v : m) kept += v;
  // Keep rate 1 - p within 6 standard deviations sqrt(p(1-p)/n) = 2.9e-4.
  EXPECT_NEAR(static_cast<double>(kept) / n, 1.0 - p, 6 * std::sqrt(0.1 * 0.9 / n));
  dropout_forward<float>(Cpu{}, y2.data(), m2.data(), x.data(), n, p, std::array<uint64_t, 2>{1234, 1000}.data());
  EXPECT_EQ(m, m2);
  EXPECT_EQ(y, y2);
  // Offset o, element j == offset o-1, element j+1.
  dropout_forward<float>(Cpu{}, ys.data(), ms.data(), x.data(), n, p, std::array<uint64_t, 2>{1234, 999}.data());
  for (size_t j = 0; j + 1 < n; ++j) ASSERT_EQ(m[j], ms[j + 1]) << j;
  // Another seed gives another mask.
  dropout_forward<float>(Cpu{}, ys.data(), ms.data(), x.data(), n, p, std::array<uint64_t, 2>{1235, 1000}.data());
  size_t same = 0;
  for (size_t j = 0; j < n; ++j) same += (m[j] == ms[j]);
  EXPECT_LT(same, n - n / 10);
}

// The mask is replayed (same seed and offset every evaluation), so L = sum r*y is linear in x: h = 1e-5, tol 1e-6.
TEST(DropoutGradcheck, ReplayedMask) {
  const size_t n = 300;
  const float p = 0.5f;
  Rng rng(52);
  auto x = rng.uniform_vec(n, -1, 1);
  const auto r = rng.uniform_vec(n, -1, 1);
  std::vector<double> y(n);
  std::vector<uint8_t> mask(n);
  auto loss = [&] {
    dropout_forward<double>(Cpu{}, y.data(), mask.data(), x.data(), n, p, std::array<uint64_t, 2>{9, 3}.data());
    return dot(r, y);
  };
  loss();
  std::vector<double> dx(n, 0.2);
  const auto dx0 = dx;
  dropout_backward<double>(Cpu{}, dx.data(), r.data(), mask.data(), n, p);
  expect_grad("dropout/dx", x, delta(dx, dx0), loss, 1e-5, 1e-6);
}

TEST(Dropout, PZeroKeepsAllPOneDropsAll) {
  const size_t n = 1000;
  std::vector<float> x(n, 2.0f), y(n), dx(n, 0.f), dy(n, 1.0f);
  std::vector<uint8_t> m(n);
  dropout_forward<float>(Cpu{}, y.data(), m.data(), x.data(), n, 0.0f, std::array<uint64_t, 2>{1, 0}.data());
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(y[i], 2.0f);
  dropout_forward<float>(Cpu{}, y.data(), m.data(), x.data(), n, 1.0f, std::array<uint64_t, 2>{1, 0}.data());
  dropout_backward<float>(Cpu{}, dx.data(), dy.data(), m.data(), n, 1.0f);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(y[i], 0.0f);
    EXPECT_EQ(dx[i], 0.0f);
  }
}

}  // namespace
}  // namespace agf::test
