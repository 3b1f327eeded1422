// Mel spectrogram and MFCC against librosa 0.11 golden fixtures (tools/make_audio_fixtures.py):
// 0.01 dB on dB mels, 1e-4 relative on linear mels (plus a floor of 1e-6 of the array's maximum,
// the float32 rounding of the reference STFT), MFCC within 1e-3 (float32 dB input, DCT of 40 bins).
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "agf/audio/decode.h"
#include "agf/audio/mel.h"
#include "agf/audio/mfcc.h"
#include "util/error.h"
#include "util/npy.h"
#include "tests/audio/audio_test_util.h"

namespace agf {
namespace {
using test::fixture;

const char* kSignals[] = {"sine440", "sines", "chirp", "white", "pink", "silence", "clicks", "music"};

void expect_close(const std::vector<float>& got, const NpyArray& ref_npy, int rows, int cols, double rtol,
                  double atol_rel_max, double atol, const std::string& what) {
  ASSERT_EQ(ref_npy.dtype, "f4") << what;
  ASSERT_EQ(ref_npy.shape.size(), 2u) << what;
  ASSERT_EQ(ref_npy.shape[0], rows) << what;
  ASSERT_EQ(ref_npy.shape[1], cols) << what;
  const std::vector<float> ref = ref_npy.as_float();
  ASSERT_EQ(got.size(), ref.size()) << what;
  double mx = 0;
  for (float v : ref) mx = std::max(mx, double(std::fabs(v)));
  double worst = 0;
  size_t bad = 0, first_bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double tol = rtol * std::fabs(ref[i]) + atol_rel_max * mx + atol;
    const double err = std::fabs(double(got[i]) - ref[i]);
    worst = std::max(worst, err);
    if (!(err <= tol)) {
      if (!bad) first_bad = i;
      ++bad;
    }
  }
  EXPECT_EQ(bad, 0u) << what << ": " << bad << " of " << got.size() << " outside tolerance; first at ("
                     << first_bad / cols << ", " << first_bad % cols << ") got " << got[first_bad] << " want "
                     << ref[first_bad] << "; worst abs err " << worst;
}

TEST(MelTest, DbMelMatchesLibrosaOnAllSignals) {
  for (const char* name : kSignals) {
    std::vector<float> y = load_audio(fixture(std::string(name) + ".wav"), 22050);
    ASSERT_EQ(y.size(), 22050u) << name;
    MelParams p;  // the paper's settings are the defaults
    int frames = 0;
    std::vector<float> S = mel_spectrogram(y, p, &frames);
    EXPECT_EQ(frames, 1 + 22050 / 512) << name;
    NpyArray ref = read_npy(fixture(std::string(name) + ".mel_db.npy"));
    expect_close(S, ref, 128, frames, 0, 0, 0.01, std::string(name) + " dB mel");
  }
}

TEST(MelTest, LinearMelAndOptionVariantsMatchLibrosa) {
  std::vector<float> y = load_audio(fixture("music.wav"), 22050);
  struct V {
    const char* name;
    MelParams p;
  };
  MelParams lin;
  lin.to_db = false;
  MelParams ph;
  ph.n_fft = 2048;
  ph.hop_length = 300;
  ph.n_mels = 64;
  ph.fmin = 30;
  ph.fmax = 8000;
  ph.power = 2.0;
  ph.htk = true;
  ph.to_db = false;
  MelParams nc;
  nc.n_fft = 512;
  nc.hop_length = 256;
  nc.n_mels = 40;
  nc.center = false;
  nc.to_db = false;
  for (const V& v : {V{"lin", lin}, V{"pow_htk", ph}, V{"nocenter", nc}}) {
    int frames = 0;
    std::vector<float> S = mel_spectrogram(y, v.p, &frames);
    NpyArray ref = read_npy(fixture(std::string("music.") + v.name + ".npy"));
    expect_close(S, ref, v.p.n_mels, frames, 1e-4, 1e-6, 0, std::string("music ") + v.name);
  }
  MelParams phdb = ph;
  phdb.to_db = true;
  phdb.amin = 1e-10;
  phdb.top_db = 60;
  int frames = 0;
  std::vector<float> S = mel_spectrogram(y, phdb, &frames);
  expect_close(S, read_npy(fixture("music.pow_htk_db.npy")), 64, frames, 0, 0, 0.01, "music power_to_db");
}

TEST(MelTest, FilterbankClosedForms) {
  // Slaney scale: linear below 1 kHz (f / (200/3)), log above; HTK: 2595 log10(1 + f/700).
  EXPECT_NEAR(hz_to_mel(500.0, false), 7.5, 1e-12);
  EXPECT_NEAR(hz_to_mel(1000.0, false), 15.0, 1e-12);
  EXPECT_NEAR(hz_to_mel(6400.0, false), 42.0, 1e-9);  // 15 + log(6.4) / (log(6.4)/27)
  EXPECT_NEAR(hz_to_mel(700.0, true), 2595.0 * std::log10(2.0), 1e-9);
  for (double hz : {0.0, 100.0, 999.0, 1000.0, 4321.0, 11025.0})
    for (bool htk : {false, true}) EXPECT_NEAR(mel_to_hz(hz_to_mel(hz, htk), htk), hz, 1e-9 * (1 + hz));
  // Slaney area normalisation: each triangle integrates (sum * bin width) to about 1 when it spans
  // many bins.
  const int n_fft = 8192, sr = 22050;
  std::vector<float> w = mel_filterbank(sr, n_fft, 40, 0, 11025, false);
  const int bins = 1 + n_fft / 2;
  for (int m = 5; m < 40; ++m) {
    double s = 0;
    for (int k = 0; k < bins; ++k) s += w[size_t(m) * bins + k];
    EXPECT_NEAR(s * double(sr) / n_fft, 1.0, 0.02) << "mel band " << m;
  }
}

TEST(MelTest, FrameCountAndShortSignals) {
  MelParams p;
  EXPECT_EQ(mel_num_frames(22050 * 30, p), 1292);  // the paper's "about 1,292 frames" for 30 s
  std::vector<float> tiny(100, 0.1f);              // fewer samples than n_fft: centred still works
  int frames = 0;
  std::vector<float> S = mel_spectrogram(tiny, p, &frames);
  EXPECT_EQ(frames, 1);
  for (float v : S) EXPECT_TRUE(std::isfinite(v));
  MelParams nc = p;
  nc.center = false;
  EXPECT_THROW(mel_spectrogram(tiny, nc, &frames), UsageError);
  EXPECT_THROW(mel_spectrogram(std::vector<float>{}, p, &frames), UsageError);
  MelParams bad = p;
  bad.fmax = -1;
  EXPECT_THROW(mel_spectrogram(tiny, bad, &frames), UsageError);
}

// The STFT path on its own, against a float64 DFT of the same windowed frames and the same filterbank:
// even n_fft (one half-size complex FFT per frame, then the real-FFT post-processing), odd n_fft (FFTW's
// r2c), and a tiny even size; magnitude and power, centred and not.
TEST(MelTest, LinearMelMatchesDirectDft) {
  std::vector<float> y(5000);
  for (size_t i = 0; i < y.size(); ++i)
    y[i] = float(0.3 * std::sin(0.05 * double(i)) + 0.2 * std::sin(1.3 * double(i) + 0.1 * double(i % 97)) +
                 (i % 331 == 0 ? 0.9 : 0.0));
  for (int n_fft : {1024, 1023, 6}) {
    for (double power : {1.0, 2.0}) {
      MelParams p;
      p.n_fft = n_fft;
      p.hop_length = n_fft > 8 ? 300 : 3;
      p.n_mels = n_fft > 8 ? 40 : 2;
      p.power = power;
      p.to_db = false;
      p.center = n_fft != 1023;
      int frames = 0;
      const std::vector<float> S = mel_spectrogram(y, p, &frames);
      const int bins = 1 + n_fft / 2, pad = p.center ? n_fft / 2 : 0;
      ASSERT_EQ(frames, mel_num_frames(int64_t(y.size()), p));
      const std::vector<float> fb = mel_filterbank(p.sr, n_fft, p.n_mels, p.fmin, p.fmax, p.htk);
      double worst = 0, mx = 0;
      std::vector<double> want(size_t(p.n_mels) * size_t(frames), 0.0), mag(static_cast<size_t>(bins));
      std::vector<double> cs(size_t(3 * n_fft));  // periodic Hann, cos and sin of 2 pi i / N
      for (int i = 0; i < n_fft; ++i) {
        cs[size_t(i)] = 0.5 - 0.5 * std::cos(2.0 * M_PI * i / n_fft);
        cs[size_t(n_fft + i)] = std::cos(2.0 * M_PI * i / n_fft);
        cs[size_t(2 * n_fft + i)] = std::sin(2.0 * M_PI * i / n_fft);
      }
      for (int t = 0; t < frames; ++t) {
        for (int k = 0; k < bins; ++k) {
          double re = 0, im = 0;
          for (int i = 0; i < n_fft; ++i) {
            const int64_t j = int64_t(t) * p.hop_length - pad + i;
            const double x = (j >= 0 && j < int64_t(y.size())) ? double(y[size_t(j)]) * cs[size_t(i)] : 0.0;
            const size_t ki = size_t(int64_t(k) * i % n_fft);  // exp(-2 pi i k i / N) from the table
            re += x * cs[size_t(n_fft) + ki];
            im -= x * cs[size_t(2 * n_fft) + ki];
          }
          mag[size_t(k)] = std::pow(std::hypot(re, im), power);
        }
        for (int m = 0; m < p.n_mels; ++m) {
          double acc = 0;
          for (int k = 0; k < bins; ++k) acc += double(fb[size_t(m) * bins + k]) * mag[size_t(k)];
          want[size_t(m) * frames + t] = acc;
          mx = std::max(mx, acc);
        }
      }
      for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::fabs(double(S[i]) - want[i]));
      EXPECT_LE(worst, 2e-5 * mx) << "n_fft " << n_fft << " power " << power << ": worst abs error " << worst
                                  << " of a maximum " << mx;
    }
  }
}

// The float32 dB conversion against float64 10 log10 over the whole float range: zero, subnormals,
// normals, the largest float and infinity.
TEST(MelTest, PowerToDbMatchesFloat64) {
  std::vector<float> v = {0.f,           1e-45f,  3e-40f,      1.17549435e-38f, 1e-20f,
                          1e-10f,        0.5f,    0.70710677f, 0.70710683f,     1.f,
                          1.5f,          2.f,     10.f,        12345.678f,      1e20f,
                          3.4028235e38f, INFINITY};
  for (int i = 0; i < 2000; ++i) v.push_back(std::ldexp(1.f + float(i) / 2000.f, (i % 200) - 100));
  std::vector<float> d = v;
  power_to_db(d.data(), d.size(), 1.0, 1e-300, 0);  // amin below every float: no floor, log10(0) = -inf
  for (size_t i = 0; i < v.size(); ++i) {
    const double want = 10.0 * std::log10(double(v[i]));
    if (std::isinf(want)) {
      EXPECT_EQ(d[i], float(want)) << "x = " << v[i];
    } else {
      EXPECT_NEAR(d[i], want, 2e-5 * std::max(1.0, std::fabs(want))) << "x = " << v[i];
    }
  }
  std::vector<float> a = {0.f, 1e-12f, 2.f, 100.f};
  amplitude_to_db(a.data(), a.size(), 1.0, 1e-5, 80);  // 20 log10(max(1e-5, |S|)), floored at max - 80
  EXPECT_NEAR(a[3], 40.f, 1e-5);
  EXPECT_NEAR(a[2], 20.0 * std::log10(2.0), 1e-5);
  EXPECT_NEAR(a[0], -40.f, 1e-5);
  EXPECT_NEAR(a[1], -40.f, 1e-5);
}

TEST(MfccTest, MatchesLibrosaOnAllSignals) {
  for (const char* name : kSignals) {
    std::vector<float> y = load_audio(fixture(std::string(name) + ".wav"), 22050);
    int frames = 0;
    std::vector<float> m = mfcc(y, MfccParams{}, &frames);
    NpyArray ref = read_npy(fixture(std::string(name) + ".mfcc.npy"));
    expect_close(m, ref, 13, frames, 1e-4, 0, 2e-3, std::string(name) + " mfcc");
    // delta: first difference along time, against the reference's own difference
    std::vector<float> d = delta_mfcc(m, 13, frames);
    const std::vector<float> r = ref.as_float();
    ASSERT_EQ(d.size(), size_t(13) * (frames - 1));
    for (int c = 0; c < 13; ++c)
      for (int t = 0; t + 1 < frames; ++t)
        EXPECT_NEAR(d[size_t(c) * (frames - 1) + t], r[size_t(c) * frames + t + 1] - r[size_t(c) * frames + t], 4e-3)
            << name << " delta (" << c << ", " << t << ")";
  }
}

TEST(MfccTest, DctIsOrthonormal) {
  // A constant dB spectrum of value a has only a DC coefficient, a * sqrt(N).
  const int n_mels = 40, frames = 3;
  std::vector<float> s(size_t(n_mels) * frames, -20.f);
  std::vector<float> m = mfcc_from_db_mel(s, n_mels, frames, 13);
  EXPECT_NEAR(m[0], -20.0 * std::sqrt(40.0), 1e-4);
  for (int k = 1; k < 13; ++k) EXPECT_NEAR(m[size_t(k) * frames], 0.0, 1e-4);
  EXPECT_TRUE(delta_mfcc(std::vector<float>(13, 1.f), 13, 1).empty());
  EXPECT_THROW(delta_mfcc(std::vector<float>(12, 1.f), 13, 1), ShapeError);
}

}  // namespace
}  // namespace agf
