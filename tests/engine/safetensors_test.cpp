// safetensors: byte-exact output against the reference crate's own test vectors, round trips of
// every dtype, a file made by safetensors.numpy (tools/make_safetensors_fixtures.py) read exactly,
// the committed file our writer made (verified by safetensors.numpy), and corrupt files refused.
#include "engine/safetensors.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "util/error.h"
#include "util/fs.h"
#include "util/half.h"
#include "tests/test_util.h"
#include "tests/torch_fixture.h"

namespace agf {
namespace {

// bfloat16 (only these tests write it): Eigen's, round to nearest even.
uint16_t float_to_bf16(float f) { return Eigen::numext::bit_cast<uint16_t>(Eigen::bfloat16(f)); }
float bf16_to_float(uint16_t b) { return static_cast<float>(Eigen::numext::bit_cast<Eigen::bfloat16>(b)); }

const std::string kFixtures = std::string(AGF_SOURCE_DIR) + "/tests/fixtures/safetensors/";

// A file in one temporary folder for the whole run (removed at exit).
std::string temp_path(const std::string& name) {
  static const testing_util::TempDir dir("st");
  return dir.file(name);
}

std::string u64le(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(n >> (8 * i));
  return s;
}

// A file with this header text (padded to 8) and `data_bytes` zero bytes after it.
std::string file_bytes(const std::string& header, size_t data_bytes) {
  std::string h = header;
  h.append((8 - h.size() % 8) % 8, ' ');
  return u64le(h.size()) + h + std::string(data_bytes, '\0');
}

template <typename T> std::vector<T> values(const StView& v) {
  EXPECT_EQ(v.nbytes % sizeof(T), 0u);
  std::vector<T> out(v.nbytes / sizeof(T));
  if (v.nbytes) std::memcpy(out.data(), v.data, v.nbytes);
  return out;
}

// ---- byte-exact against the reference implementation's test vectors (safetensors tensor.rs tests)
TEST(Safetensors, MatchesReferenceBytes) {
  std::vector<float> d = {0, 1, 2, 3, 4, 5};
  std::string out = serialize_safetensors({{"attn.0", StDType::F32, {1, 2, 3}, d.data(), 24}});
  const unsigned char want[] = {64, 0,  0,   0,   0,   0,   0,   0,   123, 34,  97,  116, 116, 110, 46,  48,
                                34, 58, 123, 34,  100, 116, 121, 112, 101, 34,  58,  34,  70,  51,  50,  34,
                                44, 34, 115, 104, 97,  112, 101, 34,  58,  91,  49,  44,  50,  44,  51,  93,
                                44, 34, 100, 97,  116, 97,  95,  111, 102, 102, 115, 101, 116, 115, 34,  58,
                                91, 48, 44,  50,  52,  93,  125, 125, 0,   0,   0,   0,   0,   0,   128, 63,
                                0,  0,  0,   64,  0,   0,   64,  64,  0,   0,   128, 64,  0,   0,   160, 64};
  EXPECT_EQ(out, std::string(reinterpret_cast<const char*>(want), sizeof want));

  // Shorter name: the header is padded with spaces to keep the data 8-byte aligned.
  out = serialize_safetensors({{"attn0", StDType::F32, {1, 1, 2, 3}, d.data(), 24}});
  EXPECT_EQ(out.substr(0, 8), u64le(72));
  EXPECT_EQ(out.substr(8, 72),
            std::string("{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}") +
                std::string(7, ' '));

  EXPECT_EQ(serialize_safetensors({}), u64le(8) + "{}      ");
  EXPECT_EQ(serialize_safetensors({}, {{"framework", "pt"}}),
            u64le(40) + "{\"__metadata__\":{\"framework\":\"pt\"}}     ");
}

// ---- round trip of every dtype, scalars and empty tensors, with metadata
TEST(Safetensors, RoundTripEveryDType) {
  std::vector<double> f64 = {1.5, -2.25, 1e-300, std::numeric_limits<double>::infinity()};
  std::vector<float> f32 = {0.5f, -0.0f, 3.4e38f};
  std::vector<uint16_t> f16 = {float_to_half(1.0f), float_to_half(-65504.0f)};
  std::vector<uint16_t> bf16 = {float_to_bf16(3.0f), float_to_bf16(-1e30f), float_to_bf16(0.1f)};
  std::vector<int64_t> i64 = {std::numeric_limits<int64_t>::min(), 42};
  std::vector<int32_t> i32 = {-1, 2, -3, 4, -5, 6};
  std::vector<int16_t> i16 = {-32768};
  std::vector<int8_t> i8 = {-128, 127};
  std::vector<uint8_t> u8 = {0, 255, 7};
  std::vector<uint8_t> b = {1, 0};
  double scalar = 6.25;
  std::vector<StView> in = {
      {"f64", StDType::F64, {2, 2}, f64.data(), 32},   {"f32", StDType::F32, {3}, f32.data(), 12},
      {"f16", StDType::F16, {2, 1}, f16.data(), 4},    {"bf16", StDType::BF16, {3}, bf16.data(), 6},
      {"i64", StDType::I64, {2}, i64.data(), 16},      {"i32", StDType::I32, {2, 3}, i32.data(), 24},
      {"i16", StDType::I16, {1, 1, 1}, i16.data(), 2}, {"i8", StDType::I8, {2}, i8.data(), 2},
      {"u8", StDType::U8, {3}, u8.data(), 3},          {"bool", StDType::BOOL, {2}, b.data(), 2},
      {"scalar", StDType::F64, {}, &scalar, 8},        {"empty", StDType::F32, {0, 5}, nullptr, 0},
      {"empty_i8", StDType::I8, {3, 0}, nullptr, 0},
  };
  const std::string path = temp_path("roundtrip.safetensors");
  write_safetensors(path, in, {{"step", "17"}, {"config", "{\"a\": [1, 2]}"}});

  SafetensorsFile f = SafetensorsFile::open(path);
  EXPECT_EQ(f.names().size(), in.size());
  EXPECT_EQ(f.metadata().at("step"), "17");
  EXPECT_EQ(f.metadata().at("config"), "{\"a\": [1, 2]}");
  for (const auto& t : in) {
    ASSERT_TRUE(f.has(t.name)) << t.name;
    StView g = f.get(t.name);
    EXPECT_EQ(g.dtype, t.dtype) << t.name;
    EXPECT_EQ(g.shape, t.shape) << t.name;
    ASSERT_EQ(g.nbytes, t.nbytes) << t.name;
    if (t.nbytes) {
      EXPECT_EQ(std::memcmp(g.data, t.data, t.nbytes), 0) << t.name;
    }
    // Sorted by alignment, so every tensor's data is aligned to its element size in the mapping.
    EXPECT_EQ(reinterpret_cast<uintptr_t>(g.data) % st_dtype_size(g.dtype), 0u) << t.name;
  }
  // The layout order of the reference: descending alignment (I64 > F64 > F32 > I32 > BF16 > F16 > I16 > I8 > U8 >
  // BOOL), then by name; the empty tensors sit at their place in that order.
  const std::vector<std::string> want = {"i64", "f64", "scalar",   "empty", "f32", "i32", "bf16",
                                         "f16", "i16", "empty_i8", "i8",    "u8",  "bool"};
  EXPECT_EQ(f.names(), want);

  // Moving keeps the mapping valid.
  SafetensorsFile g = std::move(f);
  EXPECT_EQ(values<double>(g.get("scalar"))[0], 6.25);
  EXPECT_FALSE(g.has("f"));
}

TEST(Safetensors, WriterRefusesBadInput) {
  float x = 1;
  const std::string path = temp_path("bad_input.safetensors");
  EXPECT_THROW(write_safetensors(path, {{"a", StDType::F32, {2}, &x, 4}}), UsageError);  // 8 bytes needed
  EXPECT_THROW(write_safetensors(path, {{"a", StDType::F32, {1}, &x, 4}, {"a", StDType::F32, {1}, &x, 4}}), UsageError);
  EXPECT_THROW(write_safetensors(path, {{"__metadata__", StDType::F32, {1}, &x, 4}}), UsageError);
  EXPECT_THROW(write_safetensors(path, {{"a", StDType::F32, {-1}, &x, 4}}), UsageError);
  EXPECT_THROW(write_safetensors(path, {{"bad\xff", StDType::F32, {1}, &x, 4}}), UsageError);  // not UTF-8
  struct stat st;
  EXPECT_NE(::stat(path.c_str(), &st), 0) << "a refused write must not leave a file";
  EXPECT_THROW(write_safetensors("/nonexistent_dir_agf/x.safetensors", {{"a", StDType::F32, {1}, &x, 4}}), IOError);
}

// ---- a file written by safetensors.numpy (PyPI safetensors), read with exact values
TEST(Safetensors, ReadsNumpyMadeFixture) {
  SafetensorsFile f = SafetensorsFile::open(kFixtures + "numpy_made.safetensors");
  EXPECT_EQ(f.metadata().at("format"), "np");
  EXPECT_EQ(f.metadata().at("note"), "h\xc3\xa9llo \"quoted\"\n");
  EXPECT_EQ(f.names().size(), 12u);

  StView a = f.get("a_f64");
  EXPECT_EQ(a.dtype, StDType::F64);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  auto av = values<double>(a);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(av[i], i * 0.1 - 0.25) << i;  // numpy: arange(6) * 0.1 - 0.25

  auto bv = values<float>(f.get("b_f32"));
  EXPECT_EQ(bv, (std::vector<float>{0.5f, -0.0f, 1e-38f, 3.4e38f, -7.25f}));
  EXPECT_TRUE(std::signbit(bv[1]));
  EXPECT_EQ(values<int64_t>(f.get("c_i64")),
            (std::vector<int64_t>{-(int64_t(1) << 62), (int64_t(1) << 62) + 5, 0, -1}));
  EXPECT_EQ(values<int32_t>(f.get("d_i32")),
            (std::vector<int32_t>{std::numeric_limits<int32_t>::min(), 2147483647, 7}));
  EXPECT_EQ(values<int16_t>(f.get("e_i16")), (std::vector<int16_t>{-32768, 32767}));
  EXPECT_EQ(values<int8_t>(f.get("f_i8")), (std::vector<int8_t>{-128, 0, 127}));
  StView g = f.get("g_u8");
  EXPECT_EQ(g.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values<uint8_t>(g), (std::vector<uint8_t>{0, 1, 2, 253, 254, 255}));
  StView h = f.get("h_bool");
  EXPECT_EQ(h.dtype, StDType::BOOL);
  EXPECT_EQ(values<uint8_t>(h), (std::vector<uint8_t>{1, 0, 1}));
  StView s = f.get("scalar_f64");
  EXPECT_TRUE(s.shape.empty());
  EXPECT_EQ(values<double>(s), (std::vector<double>{2.718281828459045}));
  StView e = f.get("empty_f32");
  EXPECT_EQ(e.shape, (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(e.nbytes, 0u);
}

// float -> half rounding (ties to even, overflow, subnormals, inf, NaN) against numpy's astype(float16).
TEST(Safetensors, HalfConversionMatchesNumpy) {
  SafetensorsFile f = SafetensorsFile::open(kFixtures + "numpy_made.safetensors");
  auto x = values<float>(f.get("half_probe_f32"));
  StView hv = f.get("half_probe_f16");
  ASSERT_EQ(hv.dtype, StDType::F16);
  auto h = values<uint16_t>(hv);
  ASSERT_EQ(x.size(), h.size());
  ASSERT_EQ(x.size(), 23u);
  for (size_t i = 0; i < x.size(); ++i) {
    uint16_t ours = float_to_half(x[i]);
    if (std::isnan(x[i])) {
      EXPECT_TRUE(std::isnan(half_to_float(ours)));
      EXPECT_TRUE(std::isnan(half_to_float(h[i])));
    } else {
      EXPECT_EQ(ours, h[i]) << "x = " << x[i] << " (probe " << i << ")";
    }
  }
  // half -> float exact, including subnormals: 2^-24 and 1023 * 2^-24; and the largest half.
  EXPECT_EQ(half_to_float(1), std::ldexp(1.0f, -24));
  EXPECT_EQ(half_to_float(0x03ff), 1023 * std::ldexp(1.0f, -24));
  EXPECT_EQ(half_to_float(0x7bff), 65504.0f);
  EXPECT_EQ(half_to_float(0xfc00), -std::numeric_limits<float>::infinity());
  // Every finite half survives half -> float -> half.
  for (uint32_t b = 0; b < 0x10000; ++b) {
    if (((b >> 10) & 0x1f) != 0x1f) {
      ASSERT_EQ(float_to_half(half_to_float(uint16_t(b))), b) << b;
    }
  }
  // bfloat16: truncation with round-to-nearest-even of the top 16 bits.
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(float_to_bf16(bits_float(0x3f808000u)), 0x3f80);  // tie, even stays
  EXPECT_EQ(float_to_bf16(bits_float(0x3f818000u)), 0x3f82);  // tie, odd rounds up
  EXPECT_EQ(bf16_to_float(0xc040), -3.0f);
}

// The hand-written conversion half.h had before it used Eigen::half, kept as the oracle: the bits agf writes
// into mel stores and model files must not change.
uint16_t oracle_float_to_half(float f) {
  uint32_t x = float_bits(f);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  uint32_t exp = (x >> 23) & 0xffu;
  uint32_t man = x & 0x7fffffu;
  if (exp == 0xffu) {
    if (man == 0) return sign | 0x7c00u;
    return static_cast<uint16_t>(sign | 0x7e00u | (man >> 13));
  }
  int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00u;
  if (e <= 0) {
    if (e < -10) return sign;
    uint32_t m = man | 0x800000u;
    int shift = 14 - e;
    uint32_t half_man = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half_man & 1u))) ++half_man;
    return static_cast<uint16_t>(sign | half_man);
  }
  uint32_t h = (static_cast<uint32_t>(e) << 10) | (man >> 13);
  uint32_t rem = man & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

float oracle_half_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  if (exp == 0x1fu) return bits_float(sign | 0x7f800000u | (man << 13));
  if (exp == 0) {
    if (man == 0) return bits_float(sign);
    float v = static_cast<float>(man) * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  return bits_float(sign | ((exp - 15 + 127) << 23) | (man << 13));
}

TEST(Safetensors, HalfConversionBitIdenticalToTheOracle) {
  // Every half: half -> float (NaN payloads, infinities and subnormals included) and back.
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const uint16_t h = static_cast<uint16_t>(b);
    ASSERT_EQ(float_bits(half_to_float(h)), float_bits(oracle_half_to_float(h))) << b;
    ASSERT_EQ(float_to_half(half_to_float(h)), oracle_float_to_half(oracle_half_to_float(h))) << b;
  }
  // Floats: random bit patterns (every exponent, NaNs included), dense steps over the half range with its
  // rounding ties and the subnormal boundary, and the neighbours of every half's midpoints.
  uint64_t state = 88172645463325252ull;
  auto next = [&]() {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return static_cast<uint32_t>(state);
  };
  int checked = 0;
  auto check = [&](uint32_t u) {
    ASSERT_EQ(float_to_half(bits_float(u)), oracle_float_to_half(bits_float(u))) << std::hex << u;
    ++checked;
  };
  for (int i = 0; i < 300000; ++i) check(next());
  for (uint32_t u = 0x32800000u; u < 0x47900000u; u += 1237) check(u), check(u | 0x80000000u);
  for (uint32_t b = 0; b < 0x7c00; b += 7) {
    const uint32_t mid = float_bits(half_to_float(uint16_t(b))) + 0x1000u;  // halfway to the next normal half
    for (uint32_t d : {0u, 1u, 0xffffffffu}) check(mid + d);
  }
  EXPECT_GT(checked, 500000);
}

// ---- our writer's output, committed and verified by `tools/make_safetensors_fixtures.py --verify`
// (safetensors.numpy loads it with exact values, and its bytes equal safetensors.numpy.save's).
// AGF_WRITE_FIXTURES=1 rewrites the committed file; otherwise our bytes must equal it.
TEST(Safetensors, WriterOutputMatchesCommittedFile) {
  std::vector<double> w = {-1.0, -0.75, -0.5, -0.25, 0.0, 0.25};  // arange(6) * 0.25 - 1, shape (3, 2)
  std::vector<float> x = {0, 0.5f, 1, 1.5f, 2, 2.5f, 3, 3.5f};    // arange(8) * 0.5, shape (2, 2, 2)
  std::vector<uint16_t> h = {float_to_half(1.0f), float_to_half(-2.5f), float_to_half(65504.0f)};
  int64_t step = 123456789012;
  std::vector<int32_t> i32 = {-7, 7};
  std::vector<int16_t> i16 = {-300, 300};
  std::vector<int8_t> i8 = {-5, 5};
  std::vector<uint8_t> u8 = {0, 1, 254, 255};
  std::vector<uint8_t> flags = {1, 0};
  std::vector<StView> t = {
      {"w.f64", StDType::F64, {3, 2}, w.data(), 48},  {"x", StDType::F32, {2, 2, 2}, x.data(), 32},
      {"h", StDType::F16, {3}, h.data(), 6},          {"step", StDType::I64, {}, &step, 8},
      {"i32", StDType::I32, {2}, i32.data(), 8},      {"i16", StDType::I16, {2}, i16.data(), 4},
      {"i8", StDType::I8, {2}, i8.data(), 2},         {"u8", StDType::U8, {4}, u8.data(), 4},
      {"flags", StDType::BOOL, {2}, flags.data(), 2}, {"empty", StDType::F32, {0}, nullptr, 0},
  };
  std::map<std::string, std::string> meta = {{"config", "{\"arch\":\"dcnn\",\"note\":\"\xc3\xb1\\t\"}"}};
  const std::string path = kFixtures + "agf_written.safetensors";
  const char* env = std::getenv("AGF_WRITE_FIXTURES");
  if (env && std::string(env) == "1") write_safetensors(path, t, meta);
  EXPECT_EQ(serialize_safetensors(t, meta), read_file_bytes(path));
  SafetensorsFile f = SafetensorsFile::open(path);
  EXPECT_EQ(values<int64_t>(f.get("step")), std::vector<int64_t>{step});
}

// ---- corrupt files: each refused with a FormatError that names the file and the problem
struct Corrupt {
  const char* name;
  std::string bytes;
  const char* message;  // a substring the error must contain
};

TEST(Safetensors, RefusesCorruptFiles) {
  const std::string ok_entry = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
  const std::string valid = file_bytes("{" + ok_entry + "}", 8);
  std::vector<Corrupt> cases = {
      {"empty", "", "shorter than the 8-byte"},
      {"truncated_length", std::string(5, '\x10'), "shorter than the 8-byte"},
      {"truncated_data", valid.substr(0, valid.size() - 1), "run past the 7-byte data buffer"},
      {"extra_data", valid + "x", "cover 8 bytes of the 9-byte"},
      {"header_past_end", u64le(1000) + "{}      ", "runs past the end"},
      {"huge_header", u64le(uint64_t(1) << 62) + "{}      ", "exceeds the maximum"},
      {"header_101MB", u64le(100000001) + "{}      ", "exceeds the maximum"},
      {"bad_json", file_bytes("{\"a\":{\"dtype\":", 0), "not valid UTF-8 JSON"},
      {"trailing_garbage", file_bytes("{}x", 0), "not valid UTF-8 JSON"},
      {"not_utf8", file_bytes("{\"a\xff\":{}}", 0), "not valid UTF-8 JSON"},
      {"non_object", file_bytes("[1, 2]", 0), "does not start with '{'"},
      {"entry_not_object", file_bytes("{\"a\":[1]}", 0), "not an object"},
      {"unknown_dtype", file_bytes("{\"a\":{\"dtype\":\"F8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1),
       "unknown dtype 'F8'"},
      {"dtype_not_string", file_bytes("{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
       "non-string 'dtype'"},
      {"missing_shape", file_bytes("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "non-array 'shape'"},
      {"extra_field", file_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4),
       "unexpected field 'x'"},
      {"negative_dim", file_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4),
       "negative dimension -1"},
      {"float_dim", file_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4),
       "not an integer"},
      {"overflow",
       file_bytes(
           "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4611686018427387904],\"data_offsets\":[0,4]}}", 4),
       "overflows"},
      {"short_offsets", file_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4),
       "two non-negative integers"},
      {"negative_offset", file_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4),
       "two non-negative integers"},
      {"reversed_offsets", file_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4),
       "end before they begin"},
      {"offsets_past_end", file_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4),
       "run past the 4-byte data buffer"},
      {"span_vs_dtype", file_bytes("{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
       "needs 16 bytes"},
      {"overlap",
       file_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                  "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                  12),
       "overlaps"},
      {"gap",
       file_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                  "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
                  12),
       "gap in the data buffer"},
      {"not_from_zero", file_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
       "gap in the data buffer"},
      {"duplicate_name", file_bytes("{" + ok_entry + "," + ok_entry + "}", 8), "duplicate key 'a'"},
      {"duplicate_field",
       file_bytes("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
       "duplicate key 'dtype'"},
      {"deep_nesting", file_bytes("{\"a\":{\"dtype\":{\"x\":{\"y\":[1]}}}}", 0), "nests deeper"},
      {"metadata_not_string", file_bytes("{\"__metadata__\":{\"epoch\":3}}", 0), "not a string"},
      {"metadata_not_object", file_bytes("{\"__metadata__\":\"x\"}", 0), "__metadata__ is a JSON string"},
  };
  for (const auto& c : cases) {
    const std::string path = temp_path(std::string("corrupt_") + c.name + ".safetensors");
    testing_util::write_file(path, c.bytes);
    try {
      SafetensorsFile::open(path);
      ADD_FAILURE() << c.name << ": accepted";
    } catch (const FormatError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(path), std::string::npos) << c.name << ": " << msg;
      EXPECT_NE(msg.find(c.message), std::string::npos) << c.name << ": " << msg;
    } catch (const std::exception& e) {
      ADD_FAILURE() << c.name << ": wrong exception type: " << e.what();
    }
  }
  // The valid base file is accepted, so each refusal above is about its one defect.
  const std::string path = temp_path("valid.safetensors");
  testing_util::write_file(path, valid);
  EXPECT_EQ(SafetensorsFile::open(path).get("a").nbytes, 8u);
}

// Random corruption of a valid file's header and length: every variant opens or is refused with a
// FormatError; none crashes (run under ASan/UBSan in the sanitize preset).
TEST(Safetensors, RandomCorruptionNeverCrashes) {
  const std::string good = read_file_bytes(kFixtures + "numpy_made.safetensors");
  uint32_t state = 12345;
  auto next = [&]() {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  int refused = 0, opened = 0;
  const std::string path = temp_path("fuzz.safetensors");
  for (int trial = 0; trial < 300; ++trial) {
    std::string b = good;
    const int edits = 1 + static_cast<int>(next() % 3);
    for (int e = 0; e < edits; ++e) {
      size_t pos = next() % (trial % 4 == 0 ? 8 : 8 + 1000);  // the length field, or the header text
      const char pool[] = "0123456789{}[],:\"- eFI";
      b[pos] = (next() % 2) ? static_cast<char>(next() & 0xff) : pool[next() % (sizeof pool - 1)];
    }
    if (trial % 7 == 0) b.resize(next() % b.size());
    testing_util::write_file(path, b);
    try {
      SafetensorsFile f = SafetensorsFile::open(path);
      for (const auto& n : f.names()) {
        StView v = f.get(n);
        volatile unsigned char sink = 0;
        for (size_t i = 0; i < v.nbytes; ++i) sink ^= static_cast<const unsigned char*>(v.data)[i];
        (void)sink;
      }
      ++opened;
    } catch (const FormatError&) {
      ++refused;
    }
  }
  EXPECT_EQ(opened + refused, 300);
  EXPECT_GT(refused, 220);  // nearly every edit breaks something
}

TEST(Safetensors, MissingTensorAndMissingFile) {
  SafetensorsFile f = SafetensorsFile::open(kFixtures + "numpy_made.safetensors");
  try {
    f.get("conv9.weight");
    ADD_FAILURE() << "missing tensor accepted";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("conv9.weight"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SafetensorsFile::open(temp_path("does_not_exist.safetensors")), IOError);
  EXPECT_THROW(SafetensorsFile::open(::testing::TempDir()), IOError);  // a folder
}

}  // namespace
}  // namespace agf

namespace agf {
namespace {

// The PyTorch fixture (tools/make_torch_fixtures.py) stores its initial weights as an integer recipe;
// tests/torch_fixture.h holds its C++ form, checked here against the stored first values of every parameter tensor.
TEST(TorchFixture, StructureAndInitRecipe) {
  SafetensorsFile f = SafetensorsFile::open(torch_fixture_path());
  EXPECT_EQ(f.get("input").shape, (std::vector<int64_t>{4, 1, 128, 43}));
  EXPECT_EQ(f.get("logits").shape, (std::vector<int64_t>{4, 16}));
  EXPECT_EQ(f.get("feature").shape, (std::vector<int64_t>{4, 256}));
  EXPECT_TRUE(f.get("loss").shape.empty());
  EXPECT_EQ(f.get("mlp.input").shape, (std::vector<int64_t>{4, 1280}));
  int checked = 0;
  for (const std::string& name : f.names()) {
    const size_t dot = name.find("init.");
    if (dot != 0 && name.rfind("mlp.init.", 0) != 0) continue;
    const std::string param = name.substr(name.find("init.") + 5);
    const std::string prefix = name.substr(0, name.find("init."));
    StView r = f.get(name);
    ASSERT_EQ(r.dtype, StDType::I64);
    auto rec = values<int64_t>(r);
    ASSERT_EQ(rec.size(), 3u);
    auto check = values<double>(f.get(prefix + "init_check." + param));
    for (size_t i = 0; i < check.size(); ++i)
      EXPECT_EQ(torch_fixture_init(i, static_cast<uint32_t>(rec[0]), static_cast<int>(rec[1]),
                                   static_cast<int>(rec[2])),
                check[i])
          << name << "[" << i << "]";
    // Every parameter has its sampled gradient, indices in range and sorted.
    auto idx = values<int64_t>(f.get(prefix + "grad_idx." + param));
    EXPECT_EQ(f.get(prefix + "grad." + param).nbytes, idx.size() * 8) << param;
    EXPECT_TRUE(std::is_sorted(idx.begin(), idx.end())) << param;
    ++checked;
  }
  EXPECT_EQ(checked, 28 + 4);  // DCNN: (7 conv + 5 BN + 2 dense) x {weight, bias}; MLP: 2 dense x 2
}

}  // namespace
}  // namespace agf
