// The mel store writer and reader: layout, per-bin standardisation against closed forms, float16
// rounding, index lookups, and bounds errors.
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>

#include "agf/data/melstore.h"
#include "util/error.h"
#include "util/half.h"
#include "tests/test_util.h"

namespace agf {
namespace {
namespace fs = std::filesystem;

// A temporary folder (tests/test_util.h), removed at scope exit.
struct Tmp : testing_util::TempDir {
  explicit Tmp(const std::string& n) : TempDir("melstore_" + n) {}
  const fs::path p = path();
};

// Track k, frame t, bin m: a value distinct per position, exactly representable in float16.
float value(int64_t k, int t, int m) { return float(-80 + (k * 7 + t * 3 + m) % 97) * 0.5f; }

void write_store(const std::string& path, bool f16, const std::vector<int64_t>& ids, const std::vector<int64_t>& nf,
                 int n_mels) {
  MelStoreWriteSpec s;
  s.n_mels = n_mels;
  s.float16 = f16;
  s.track_ids = ids;
  s.n_frames = nf;
  for (int m = 0; m < n_mels; ++m) {
    s.mean.push_back(-10.f + m);
    s.stdev.push_back(2.f + 0.5f * m);
  }
  s.metadata = {{"params", "{\"n_mels\": 3}"}};
  write_melstore(path, s, [&](int64_t k, std::vector<float>* out) {
    for (int t = 0; t < nf[k]; ++t)
      for (int m = 0; m < n_mels; ++m) out->push_back(value(k, t, m));
  });
}

TEST(MelStore, RoundTripAndStandardisedSegments) {
  for (bool f16 : {true, false}) {
    Tmp d(f16 ? "f16" : "f32");
    const std::vector<int64_t> ids = {5, 2, 900001}, nf = {50, 43, 7};
    write_store(melstore_path(d.p.string()), f16, ids, nf, 3);
    MelStore s = MelStore::open(d.p.string());
    EXPECT_EQ(s.num_tracks(), 3);
    EXPECT_EQ(s.n_mels(), 3);
    EXPECT_EQ(s.total_frames(), 100);
    EXPECT_EQ(s.is_float16(), f16);
    EXPECT_EQ(s.index_of(2), 1);
    EXPECT_EQ(s.index_of(900001), 2);
    EXPECT_EQ(s.index_of(3), -1);
    EXPECT_EQ(s.track_id(0), 5);
    EXPECT_EQ(s.frames(1), 43);
    EXPECT_EQ(s.params_json(), "{\"n_mels\": 3}");
    EXPECT_FLOAT_EQ(s.stdev()[2], 3.f);
    std::vector<float> seg(3 * 10);
    s.segment(0, 40, 10, seg.data());
    for (int m = 0; m < 3; ++m)
      for (int t = 0; t < 10; ++t)
        EXPECT_NEAR(seg[m * 10 + t], (value(0, 40 + t, m) - (-10.f + m)) / (2.f + 0.5f * m), 1e-5)
            << "bin " << m << " frame " << t;
    std::vector<float> raw(7 * 3);
    s.raw_frames(2, 0, 7, raw.data());
    for (int t = 0; t < 7; ++t)
      for (int m = 0; m < 3; ++m) EXPECT_EQ(raw[t * 3 + m], value(2, t, m));
    EXPECT_THROW(s.segment(0, 41, 10, seg.data()), ShapeError);
    EXPECT_THROW(s.segment(3, 0, 1, seg.data()), ShapeError);
    EXPECT_THROW(s.segment(1, -1, 1, seg.data()), ShapeError);
  }
}

TEST(MelStore, Float16RoundingIsHalfAnUlp) {
  Tmp d("round");
  MelStoreWriteSpec s;
  s.n_mels = 1;
  s.track_ids = {1};
  s.n_frames = {200};
  s.mean = {0.f};
  s.stdev = {1.f};
  auto v = [](int t) { return -100.f + 0.7071f * t; };
  write_melstore(melstore_path(d.p.string()), s, [&](int64_t, std::vector<float>* out) {
    for (int t = 0; t < 200; ++t) out->push_back(v(t));
  });
  MelStore st = MelStore::open(d.p.string());
  std::vector<float> raw(200);
  st.raw_frames(0, 0, 200, raw.data());
  for (int t = 0; t < 200; ++t) {
    const float x = v(t);
    const float ulp = std::ldexp(1.f, std::ilogb(x) - 10);  // float16 spacing at |x|
    EXPECT_LE(std::fabs(raw[t] - x), 0.5f * ulp + 1e-7f) << x;
  }
}

TEST(MelStore, MissingOrDamagedFilesAreClearErrors) {
  Tmp d("bad");
  EXPECT_THROW(MelStore::open(d.p.string()), Error);
  const std::string path = melstore_path(d.p.string());
  write_store(path, true, {1}, {10}, 2);
  fs::resize_file(path, fs::file_size(path) - 5);  // truncated data
  EXPECT_THROW(MelStore::open(d.p.string()), FormatError);
}

}  // namespace
}  // namespace agf
