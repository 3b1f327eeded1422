// Decoding, downmix and resampling against librosa.load (fixtures), plus the bad inputs of the
// issue: empty, truncated, non-audio, zero-channel, NaN samples, very short, 8-192 kHz, multichannel.
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "agf/audio/decode.h"
#include "util/error.h"
#include "util/npy.h"
#include "tests/audio/audio_test_util.h"

namespace agf {
namespace {
using test::fixture;
using test::temp_path;

TEST(DecodeTest, StereoDownmixAndSoxrResampleMatchLibrosaLoad) {
  for (int sr : {22050, 8000}) {
    std::vector<float> y = load_audio(fixture("stereo44k.wav"), sr);
    NpyArray a = read_npy(fixture("stereo44k.load" + std::to_string(sr) + ".npy"));
    ASSERT_EQ(a.dtype, "f4");
    ASSERT_EQ(a.shape.size(), 1u);
    ASSERT_EQ(int64_t(y.size()), a.shape[0]) << "length at " << sr << " Hz";
    const std::vector<float> ref = a.as_float();
    double worst = 0;
    for (size_t i = 0; i < y.size(); ++i) worst = std::max(worst, double(std::fabs(y[i] - ref[i])));
    // Same libsoxr algorithm (HQ); python-soxr's build may differ in float rounding only.
    EXPECT_LT(worst, 1e-5) << "max |agf - librosa| at " << sr << " Hz";
  }
}

TEST(DecodeTest, NativeRateIsExactPcm) {
  DecodedAudio d = decode_file(fixture("stereo44k.wav"));
  EXPECT_EQ(d.channels, 2);
  EXPECT_EQ(d.sample_rate, 44100);
  EXPECT_EQ(d.frames(), 22050);
  std::vector<float> mono = load_audio(fixture("stereo44k.wav"), 0);
  ASSERT_EQ(mono.size(), 22050u);
  EXPECT_FLOAT_EQ(mono[7], (d.samples[14] + d.samples[15]) / 2.f);
}

TEST(DecodeTest, Mp3SupportIsReported) {
  // Debian's libsndfile 1.2 is built with mpg123; say clearly either way.
  std::printf("libsndfile %s, MP3 %s\n", sndfile_version().c_str(), sndfile_supports_mp3() ? "yes" : "no");
  if (!sndfile_supports_mp3()) GTEST_SKIP() << "this libsndfile cannot decode MP3";
  // Round trip through MP3 when the library can also encode it (LAME).
  const std::string path = temp_path("tone.mp3");
  std::vector<float> x(22050);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.5f * std::sin(2 * M_PI * 440.0 * i / 22050.0);
  SF_INFO info{};
  info.channels = 1;
  info.samplerate = 22050;
  info.format = SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) GTEST_SKIP() << "this libsndfile cannot encode MP3 (decoding support reported above)";
  sf_writef_float(f, x.data(), sf_count_t(x.size()));
  sf_close(f);
  std::vector<float> y = load_audio(path, 22050);
  EXPECT_GT(y.size(), 20000u);
  double e = 0;
  for (float v : y) e += double(v) * v;
  EXPECT_NEAR(std::sqrt(e / y.size()), 0.5 / std::sqrt(2.0), 0.05);  // RMS of the sine survives
  std::remove(path.c_str());
}

TEST(DecodeTest, BadInputsGiveClearErrors) {
  // missing
  try {
    load_audio("/nonexistent/dir/x.wav", 22050);
    FAIL() << "no throw";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x.wav"), std::string::npos) << e.what();
  }
  // empty file, non-audio text, truncated header, zero channels
  const std::string empty = temp_path("empty.wav"), text = temp_path("text.wav"), trunc = temp_path("trunc.wav"),
                    zero = temp_path("zero.wav");
  testing_util::write_file(empty, "");
  testing_util::write_file(text, "this is not audio, just some text that is long enough to be read\n");
  testing_util::write_file(trunc, std::string("RIFF\x24\x00\x00\x00WAVEfmt ", 16));
  std::string hdr(
      "RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x00\x00\x22\x56\x00\x00"
      "\x44\xac\x00\x00\x02\x00\x10\x00"
      "data\x00\x00\x00\x00",
      44);
  testing_util::write_file(zero, hdr);
  for (const std::string& p : {empty, text, trunc, zero}) {
    try {
      load_audio(p, 22050);
      ADD_FAILURE() << "no throw for " << p;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
    }
    std::remove(p.c_str());
  }
}

TEST(DecodeTest, TruncatedDataKeepsWhatWasDecoded) {
  // A WAV whose data chunk is cut short: the frames present are returned, no crash.
  const std::string full = temp_path("full.wav");
  std::vector<float> x(4000, 0.25f);
  test::write_sound(full, x, 1, 22050, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  FILE* f = std::fopen(full.c_str(), "rb");
  std::string bytes(44 + 4000 * 2, '\0');
  ASSERT_EQ(std::fread(&bytes[0], 1, bytes.size(), f), bytes.size());
  std::fclose(f);
  const std::string cut = temp_path("cut.wav");
  testing_util::write_file(cut, bytes.substr(0, 44 + 1000 * 2 + 1));
  std::vector<float> y = load_audio(cut, 0);
  EXPECT_GE(y.size(), 1000u);
  EXPECT_LE(y.size(), 4000u);
  EXPECT_FLOAT_EQ(y[0], 0.25f);
  std::remove(full.c_str());
  std::remove(cut.c_str());
}

TEST(DecodeTest, NanSamplesAreRejected) {
  const std::string p = temp_path("nan.wav");
  std::vector<float> x(1000, 0.1f);
  x[500] = std::nanf("");
  test::write_sound(p, x, 1, 22050);
  try {
    load_audio(p, 22050);
    FAIL() << "no throw";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite"), std::string::npos) << e.what();
  }
  std::remove(p.c_str());
}

TEST(DecodeTest, RatesFrom8kTo192kAndMultichannel) {
  for (int sr : {8000, 11025, 16000, 44100, 48000, 96000, 192000}) {
    const int ch = sr == 48000 ? 6 : sr == 96000 ? 2 : 1;
    const int n = sr / 4;  // 0.25 s
    std::vector<float> x(size_t(n) * ch);
    for (int i = 0; i < n; ++i)
      for (int c = 0; c < ch; ++c) x[size_t(i) * ch + c] = c == 0 ? 0.5f * std::sin(2 * M_PI * 1000.0 * i / sr) : 0.f;
    const std::string p = temp_path("rate" + std::to_string(sr) + ".wav");
    test::write_sound(p, x, ch, sr);
    std::vector<float> y = load_audio(p, 22050);
    EXPECT_EQ(y.size(), size_t(std::ceil(n * 22050.0 / sr))) << sr;
    // The 1 kHz tone survives, scaled by 1/channels (channel mean): check its RMS in the middle.
    double e = 0;
    const size_t a = y.size() / 4, b = 3 * y.size() / 4;
    for (size_t i = a; i < b; ++i) e += double(y[i]) * y[i];
    EXPECT_NEAR(std::sqrt(e / (b - a)), 0.5 / std::sqrt(2.0) / ch, 0.01 / ch) << sr << " Hz, " << ch << " ch";
    std::remove(p.c_str());
  }
}

TEST(DecodeTest, VeryShortFile) {
  const std::string p = temp_path("short.wav");
  test::write_sound(p, std::vector<float>(3, 0.2f), 1, 44100);
  std::vector<float> y = load_audio(p, 22050);
  EXPECT_EQ(y.size(), 2u);  // ceil(3 / 2)
  std::remove(p.c_str());
}

}  // namespace
}  // namespace agf
