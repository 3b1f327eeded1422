// Song-level descriptors against closed forms: a sine's centroid, ZCR, RMS and pitch class; white
// noise's flatness and centroid; a C major chord's key; a 120 BPM click train's tempo and onset
// rate; the fixed named column list; finite output on silence and very short input.
#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "agf/audio/descriptors.h"
#include "util/error.h"

namespace agf {
namespace {

float col(const std::vector<float>& d, const std::string& name) {
  const auto& names = descriptor_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return d[i];
  ADD_FAILURE() << "no column " << name;
  return NAN;
}

std::vector<float> tone(const std::vector<double>& freqs, double seconds, int sr, double amp = 0.5) {
  std::vector<float> y(size_t(seconds * sr));
  for (size_t i = 0; i < y.size(); ++i) {
    double v = 0;
    for (double f : freqs) v += amp * std::sin(2 * M_PI * f * i / sr);
    y[i] = float(v);
  }
  return y;
}

TEST(Descriptors, FixedUniqueNamedColumns) {
  const auto& names = descriptor_names();
  EXPECT_GE(names.size(), 1000u);
  EXPECT_EQ(names.size(), descriptor_series_names().size() * 9 + 45);  // 45 track-level, key and scale one-hot
  EXPECT_EQ(std::count(names.begin(), names.end(), "key_tonic"), 0);   // no ordinal key number
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  EXPECT_EQ(names[0], "spectral_centroid.mean");
}

TEST(Descriptors, SineClosedForms) {
  for (int sr : {22050, 44100}) {
    std::vector<float> d = song_descriptors(tone({1000.0}, 3.0, sr), sr);
    ASSERT_EQ(d.size(), descriptor_names().size());
    EXPECT_NEAR(col(d, "spectral_centroid.median"), 1000.0, 15.0) << sr;
    EXPECT_NEAR(col(d, "zerocrossingrate.median"), 2 * 1000.0 / sr, 2e-3) << sr;
    EXPECT_NEAR(col(d, "rms.median"), 0.5 / std::sqrt(2.0), 5e-3) << sr;
    EXPECT_NEAR(col(d, "spectral_rolloff.median"), 1000.0, double(sr) / (sr < 32000 ? 1024 : 2048) + 1) << sr;
    // 1000 Hz is 11.2 semitones above C: pitch class B dominates.
    EXPECT_NEAR(col(d, "hpcp_B.median"), 1.0, 1e-6) << sr;
    EXPECT_LT(col(d, "hpcp_F.median"), 0.01) << sr;
    EXPECT_NEAR(col(d, "duration_s"), 3.0, 1e-4);
    EXPECT_LT(col(d, "spectral_centroid.dmean"), 20.0);  // steady: only the padded edge frames move
  }
}

TEST(Descriptors, WhiteNoiseIsFlat) {
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0.f, 0.2f);
  std::vector<float> y(22050 * 3);
  for (float& v : y) v = g(rng);
  std::vector<float> d = song_descriptors(y, 22050);
  EXPECT_NEAR(col(d, "spectral_centroid.mean"), 22050 / 4.0, 300.0);
  EXPECT_GT(col(d, "spectral_flatness_db.mean"), -4.0);  // -2.5 dB for chi-square(2) power bins
  std::vector<float> s = song_descriptors(tone({440.0}, 3.0, 22050), 22050);
  EXPECT_LT(col(s, "spectral_flatness_db.mean"), -30.0);
}

TEST(Descriptors, CMajorChordKey) {
  // C4 E4 G4 and their octaves (odd harmonics would add G, B, D: HPCP here does not fold harmonics).
  std::vector<double> f;
  for (double f0 : {261.63, 329.63, 392.00})
    for (int h = 1; h <= 2; ++h) f.push_back(f0 * h);  // fundamental and octave
  std::vector<float> d = song_descriptors(tone(f, 4.0, 22050, 0.05), 22050);
  // key and scale one-hot: exactly key_C and scale_major set
  const char* keys[] = {"key_C",  "key_Cs", "key_D",  "key_Ds", "key_E",  "key_F",
                        "key_Fs", "key_G",  "key_Gs", "key_A",  "key_As", "key_B"};
  for (int k = 0; k < 12; ++k) EXPECT_EQ(col(d, keys[k]), k == 0 ? 1.f : 0.f) << keys[k];
  EXPECT_EQ(col(d, "scale_major"), 1.f);
  EXPECT_EQ(col(d, "scale_minor"), 0.f);
  EXPECT_GT(col(d, "key_strength"), 0.6f);
}

TEST(Descriptors, ClickTrainTempo) {
  const int sr = 22050;
  std::vector<float> y(sr * 12, 0.f);
  for (size_t i = 0; i < y.size(); i += sr / 2)  // 120 BPM
    for (int j = 0; j < 200 && i + j < y.size(); ++j) y[i + j] = 0.8f * std::exp(-j / 40.f) * ((j % 2) ? 1 : -1);
  std::vector<float> d = song_descriptors(y, sr);
  EXPECT_NEAR(col(d, "bpm"), 120.0, 3.0);
  EXPECT_NEAR(col(d, "onset_rate"), 2.0, 0.3);
  float conf = 0;
  EXPECT_EQ(estimate_bpm(std::vector<float>(10, 1.f), 43.0, &conf), 0.f);  // too short: no tempo
}

TEST(Descriptors, SilenceAndShortInputAreFinite) {
  for (size_t n : {size_t(1), size_t(100), size_t(22050)}) {
    std::vector<float> d = song_descriptors(std::vector<float>(n, 0.f), 22050);
    ASSERT_EQ(d.size(), descriptor_names().size());
    for (size_t i = 0; i < d.size(); ++i) ASSERT_TRUE(std::isfinite(d[i])) << descriptor_names()[i] << " n=" << n;
  }
  EXPECT_THROW(song_descriptors({}, 22050), UsageError);
  EXPECT_THROW(song_descriptors({0.f}, 100), UsageError);
}

}  // namespace
}  // namespace agf
