// .npy: our writer's bytes equal numpy.save's for the same arrays (committed fixtures from
// tools/make_safetensors_fixtures.py), numpy-made files read exactly, round trips, refusals.
#include "util/npy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "util/error.h"
#include "util/fs.h"
#include "tests/test_util.h"

namespace agf {
namespace {

const std::string kFixtures = std::string(AGF_SOURCE_DIR) + "/tests/fixtures/safetensors/";

// A file in one temporary folder for the whole run (removed at exit).
std::string temp_path(const std::string& name) {
  static const testing_util::TempDir dir("npy");
  return dir.file(name);
}

TEST(Npy, ReadsNumpyFixturesExactly) {
  NpyArray a = read_npy(kFixtures + "numpy_f4_2x3.npy");
  EXPECT_EQ(a.dtype, "f4");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.as<float>(), (std::vector<float>{1.5f, -2.25f, 3e-7f, 1e10f, -0.0f, 42.0f}));

  NpyArray b = read_npy(kFixtures + "numpy_f8_5.npy");
  EXPECT_EQ(b.dtype, "f8");
  EXPECT_EQ(b.shape, (std::vector<int64_t>{5}));
  EXPECT_EQ(b.as<double>(), (std::vector<double>{M_PI, -M_E, 1e-300, 1e300, 0.1}));
  std::vector<float> bf = b.as<float>();  // f8 -> f4 conversion, rounded as a cast
  EXPECT_EQ(bf[0], static_cast<float>(M_PI));
  EXPECT_TRUE(std::isinf(bf[3]));

  NpyArray c = read_npy(kFixtures + "numpy_i8_scalar.npy");
  EXPECT_EQ(c.dtype, "i8");
  EXPECT_TRUE(c.shape.empty());
  EXPECT_EQ(c.numel(), 1);
  int64_t v;
  std::memcpy(&v, c.bytes.data(), 8);
  EXPECT_EQ(v, -9007199254740993LL);

  NpyArray d = read_npy(kFixtures + "numpy_i4_2x2.npy");
  EXPECT_EQ(d.as<double>(), (std::vector<double>{1, -2, 2147483647.0, -2147483648.0}));
  NpyArray e = read_npy(kFixtures + "numpy_u1_5.npy");
  EXPECT_EQ(e.dtype, "u1");
  EXPECT_EQ(e.as<float>(), (std::vector<float>{0, 1, 127, 128, 255}));
  NpyArray z = read_npy(kFixtures + "numpy_f4_empty_0x4.npy");
  EXPECT_EQ(z.shape, (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(z.numel(), 0);
  EXPECT_TRUE(z.as<float>().empty());
}

// Our writer produces byte-identical files to numpy.save (format 1.0, header padded to 64).
TEST(Npy, WriterBytesEqualNumpy) {
  std::vector<float> f4 = {1.5f, -2.25f, 3e-7f, 1e10f, -0.0f, 42.0f};
  std::string p = temp_path("f4.npy");
  write_npy(p, f4.data(), {2, 3});
  EXPECT_EQ(read_file_bytes(p), read_file_bytes(kFixtures + "numpy_f4_2x3.npy"));

  std::vector<double> f8 = {M_PI, -M_E, 1e-300, 1e300, 0.1};
  p = temp_path("f8.npy");
  write_npy(p, f8.data(), {5});
  EXPECT_EQ(read_file_bytes(p), read_file_bytes(kFixtures + "numpy_f8_5.npy"));

  int64_t s = -9007199254740993LL;
  p = temp_path("i8.npy");
  write_npy(p, &s, {});
  EXPECT_EQ(read_file_bytes(p), read_file_bytes(kFixtures + "numpy_i8_scalar.npy"));

  std::vector<int32_t> i4 = {1, -2, 2147483647, std::numeric_limits<int32_t>::min()};
  p = temp_path("i4.npy");
  write_npy(p, i4.data(), {2, 2});
  EXPECT_EQ(read_file_bytes(p), read_file_bytes(kFixtures + "numpy_i4_2x2.npy"));

  std::vector<uint8_t> u1 = {0, 1, 127, 128, 255};
  p = temp_path("u1.npy");
  write_npy(p, u1.data(), {5});
  EXPECT_EQ(read_file_bytes(p), read_file_bytes(kFixtures + "numpy_u1_5.npy"));

  p = temp_path("empty.npy");
  write_npy(p, static_cast<const float*>(nullptr), {0, 4});
  EXPECT_EQ(read_file_bytes(p), read_file_bytes(kFixtures + "numpy_f4_empty_0x4.npy"));
}

TEST(Npy, RoundTripLargerArray) {
  std::vector<float> x(3 * 128 * 43);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.01f * i) * 100;
  std::string p = temp_path("mel.npy");
  write_npy(p, x.data(), {3, 128, 43});
  NpyArray a = read_npy(p);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3, 128, 43}));
  EXPECT_EQ(a.as<float>(), x);
  // Header + data: the data starts at a multiple of 64.
  EXPECT_EQ((read_file_bytes(p).size() - x.size() * 4) % 64, 0u);
}

void expect_refused(const std::string& path, const std::string& what) {
  try {
    read_npy(path);
    ADD_FAILURE() << path << " accepted";
  } catch (const FormatError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find(path), std::string::npos) << m;
    EXPECT_NE(m.find(what), std::string::npos) << m;
  }
}

TEST(Npy, RefusesWhatItCannotRead) {
  expect_refused(kFixtures + "numpy_bad_fortran.npy", "Fortran-order");
  expect_refused(kFixtures + "numpy_bad_bigendian.npy", "big-endian");
  expect_refused(kFixtures + "numpy_bad_bool.npy", "unsupported dtype '|b1'");

  const std::string good = read_file_bytes(kFixtures + "numpy_f4_2x3.npy");
  auto write = [](const std::string& p, const std::string& b) {
    testing_util::write_file(p, b);
    return p;
  };
  expect_refused(write(temp_path("magic.npy"), "PK\x03\x04 not numpy"), "magic");
  expect_refused(write(temp_path("short.npy"), good.substr(0, good.size() - 1)),
                 "needs 24 data bytes but the file holds 23");
  expect_refused(write(temp_path("long.npy"), good + "x"), "holds 25");
  expect_refused(write(temp_path("hdr.npy"), good.substr(0, 40)), "runs past the end");
  std::string v9 = good;
  v9[6] = 9;
  expect_refused(write(temp_path("v9.npy"), v9), "unsupported format version 9");
  std::string bad_dict = good;
  bad_dict.replace(bad_dict.find("'shape'"), 7, "'shapf'");
  expect_refused(write(temp_path("dict.npy"), bad_dict), "unknown key 'shapf'");
  EXPECT_THROW(read_npy(temp_path("missing.npy")), IOError);
}

}  // namespace
}  // namespace agf
