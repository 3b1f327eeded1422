// CPU mel spectrogram: FFTW single-precision r2c (one plan per n_fft, made once, reused from all
// threads with the new-array execute), sparse Slaney filterbank, librosa's dB conversion.
// Reference: librosa.feature.melspectrogram / librosa.filters.mel / librosa.amplitude_to_db.
#include "agf/audio/mel.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "agf/util/error.h"

namespace agf {

std::string MelParams::to_json() const {
  nlohmann::json j = {{"sr", sr}, {"n_fft", n_fft}, {"hop_length", hop_length}, {"n_mels", n_mels},
                      {"fmin", fmin}, {"fmax", fmax}, {"center", center}, {"power", power},
                      {"htk", htk}, {"to_db", to_db}, {"ref", ref}, {"amin", amin},
                      {"top_db", top_db}, {"window", "hann"}, {"pad_mode", "constant"},
                      {"norm", "slaney"}};
  return j.dump();
}

void MelParams::validate() const {
  AGF_CHECK(sr > 0, UsageError, "mel: sr must be > 0, got ", sr);
  AGF_CHECK(n_fft >= 2 && n_fft <= (1 << 20), UsageError, "mel: n_fft must be in [2, 2^20], got ", n_fft);
  AGF_CHECK(hop_length >= 1, UsageError, "mel: hop_length must be >= 1, got ", hop_length);
  AGF_CHECK(n_mels >= 1 && n_mels <= 4096, UsageError, "mel: n_mels must be in [1, 4096], got ", n_mels);
  AGF_CHECK(fmin >= 0 && fmax > fmin, UsageError, "mel: need 0 <= fmin < fmax, got fmin ", fmin,
            " fmax ", fmax);
  AGF_CHECK(power > 0, UsageError, "mel: power must be > 0, got ", power);
  AGF_CHECK(amin > 0, UsageError, "mel: amin must be > 0, got ", amin);
  AGF_CHECK(ref > 0, UsageError, "mel: ref must be > 0, got ", ref);
}

double hz_to_mel(double hz, bool htk) {
  if (htk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  const double f_sp = 200.0 / 3, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp;
  const double logstep = std::log(6.4) / 27.0;
  if (hz >= min_log_hz) return min_log_mel + std::log(hz / min_log_hz) / logstep;
  return hz / f_sp;
}

double mel_to_hz(double mel, bool htk) {
  if (htk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  const double f_sp = 200.0 / 3, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp;
  const double logstep = std::log(6.4) / 27.0;
  if (mel >= min_log_mel) return min_log_hz * std::exp(logstep * (mel - min_log_mel));
  return f_sp * mel;
}

std::vector<float> mel_filterbank(int sr, int n_fft, int n_mels, double fmin, double fmax, bool htk) {
  const int n_bins = 1 + n_fft / 2;
  std::vector<double> fft_f(n_bins), mel_f(n_mels + 2);
  const double df = 1.0 / (double(n_fft) * (1.0 / double(sr)));  // np.fft.rfftfreq, same rounding
  for (int k = 0; k < n_bins; ++k) fft_f[k] = double(k) * df;
  const double mmin = hz_to_mel(fmin, htk), mmax = hz_to_mel(fmax, htk);
  for (int i = 0; i < n_mels + 2; ++i) {  // np.linspace(min_mel, max_mel, n_mels + 2)
    const double step = (mmax - mmin) / double(n_mels + 1);  // np.linspace: i * step + start, last = stop
    double m = (i == n_mels + 1) ? mmax : double(i) * step + mmin;
    mel_f[i] = mel_to_hz(m, htk);
  }
  std::vector<float> w(size_t(n_mels) * n_bins, 0.f);
  for (int i = 0; i < n_mels; ++i) {
    const double d0 = mel_f[i + 1] - mel_f[i], d1 = mel_f[i + 2] - mel_f[i + 1];
    const double enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
    for (int k = 0; k < n_bins; ++k) {
      double lower = -(mel_f[i] - fft_f[k]) / d0, upper = (mel_f[i + 2] - fft_f[k]) / d1;
      // librosa stores the triangle as float32, then scales by enorm (float32 * float64 -> float32).
      float tri = float(std::max(0.0, std::min(lower, upper)));
      w[size_t(i) * n_bins + k] = float(double(tri) * enorm);
    }
  }
  return w;
}

int mel_num_frames(int64_t n, const MelParams& p) {
  int64_t padded = p.center ? n + 2 * (p.n_fft / 2) : n;
  if (padded < p.n_fft) return 0;
  return int(1 + (padded - p.n_fft) / p.hop_length);
}

namespace {

// FFTW plans are made under a lock (the planner is not thread-safe) and executed with
// fftwf_execute_dft_r2c on per-call aligned buffers, which is thread-safe.
fftwf_plan r2c_plan(int n_fft) {
  static std::mutex mu;
  static std::map<int, fftwf_plan> plans;
  std::lock_guard<std::mutex> lock(mu);
  auto it = plans.find(n_fft);
  if (it != plans.end()) return it->second;
  float* in = fftwf_alloc_real(n_fft);
  fftwf_complex* out = fftwf_alloc_complex(n_fft / 2 + 1);
  fftwf_plan p = fftwf_plan_dft_r2c_1d(n_fft, in, out, FFTW_ESTIMATE);
  fftwf_free(in);
  fftwf_free(out);
  AGF_CHECK(p != nullptr, Error, "mel: FFTW could not plan an r2c FFT of size ", n_fft);
  plans[n_fft] = p;
  return p;
}

// Sparse filterbank rows: the non-zero range of each triangle.
struct SparseMel {
  std::vector<int> lo, hi;      // per mel: [lo, hi) bins
  std::vector<float> w;         // dense (n_mels, n_bins), read only in [lo, hi)
  int n_bins = 0;
};

SparseMel sparse_mel(const MelParams& p) {
  SparseMel s;
  s.n_bins = 1 + p.n_fft / 2;
  s.w = mel_filterbank(p.sr, p.n_fft, p.n_mels, p.fmin, p.fmax, p.htk);
  s.lo.assign(p.n_mels, 0);
  s.hi.assign(p.n_mels, 0);
  for (int m = 0; m < p.n_mels; ++m) {
    const float* row = &s.w[size_t(m) * s.n_bins];
    int lo = 0, hi = s.n_bins;
    while (lo < s.n_bins && row[lo] == 0.f) ++lo;
    while (hi > lo && row[hi - 1] == 0.f) --hi;
    s.lo[m] = lo;
    s.hi[m] = hi;
  }
  return s;
}

}  // namespace

int mel_spectrogram_frames(const float* y, int64_t n, const MelParams& p, std::vector<float>* out) {
  p.validate();
  AGF_CHECK(n > 0, UsageError, "mel: empty signal");
  const int frames = mel_num_frames(n, p);
  AGF_CHECK(frames > 0, UsageError, "mel: signal of ", n, " samples is shorter than n_fft ", p.n_fft,
            " (center=false)");
  const int n_fft = p.n_fft, n_bins = 1 + n_fft / 2, pad = p.center ? n_fft / 2 : 0;
  const SparseMel fb = sparse_mel(p);
  std::vector<float> window(n_fft);  // periodic Hann: scipy.signal.get_window("hann", n_fft)
  for (int i = 0; i < n_fft; ++i)
    window[i] = float(0.5 - 0.5 * std::cos(2.0 * M_PI * double(i) / double(n_fft)));
  fftwf_plan plan = r2c_plan(n_fft);
  float* buf = fftwf_alloc_real(n_fft);
  fftwf_complex* spec = fftwf_alloc_complex(n_bins);
  std::vector<float> mag(n_bins);
  out->assign(size_t(frames) * p.n_mels, 0.f);
  const bool square = p.power == 2.0, identity = p.power == 1.0;
  for (int t = 0; t < frames; ++t) {
    const int64_t start = int64_t(t) * p.hop_length - pad;
    for (int i = 0; i < n_fft; ++i) {
      int64_t j = start + i;
      buf[i] = (j >= 0 && j < n) ? y[j] * window[i] : 0.f;
    }
    fftwf_execute_dft_r2c(plan, buf, spec);
    for (int k = 0; k < n_bins; ++k) {
      float re = spec[k][0], im = spec[k][1];
      float p2 = re * re + im * im;
      mag[k] = square ? p2 : identity ? std::sqrt(p2) : float(std::pow(double(std::sqrt(p2)), p.power));
    }
    float* o = &(*out)[size_t(t) * p.n_mels];
    for (int m = 0; m < p.n_mels; ++m) {
      const float* row = &fb.w[size_t(m) * n_bins];
      float acc = 0.f;
      for (int k = fb.lo[m]; k < fb.hi[m]; ++k) acc += row[k] * mag[k];
      o[m] = acc;
    }
  }
  fftwf_free(buf);
  fftwf_free(spec);
  if (p.to_db) {
    if (p.power == 2.0)
      power_to_db(out->data(), out->size(), p.ref, p.amin, p.top_db);
    else
      amplitude_to_db(out->data(), out->size(), p.ref, p.amin, p.top_db);
  }
  return frames;
}

std::vector<float> mel_spectrogram(const std::vector<float>& y, const MelParams& p, int* n_frames) {
  std::vector<float> fm;
  const int frames = mel_spectrogram_frames(y.data(), int64_t(y.size()), p, &fm);
  std::vector<float> out(fm.size());
  for (int t = 0; t < frames; ++t)
    for (int m = 0; m < p.n_mels; ++m) out[size_t(m) * frames + t] = fm[size_t(t) * p.n_mels + m];
  if (n_frames) *n_frames = frames;
  return out;
}

void power_to_db(float* s, size_t n, double ref, double amin, double top_db) {
  // 10 log10(max(amin, S)) - 10 log10(max(amin, ref)); then max(., max - top_db)
  const double off = 10.0 * std::log10(std::max(amin, ref));
  float mx = -INFINITY;
  for (size_t i = 0; i < n; ++i) {
    s[i] = float(10.0 * std::log10(std::max(amin, double(s[i]))) - off);
    mx = std::max(mx, s[i]);
  }
  if (top_db > 0) {
    const float floor = float(double(mx) - top_db);
    for (size_t i = 0; i < n; ++i) s[i] = std::max(s[i], floor);
  }
}

void amplitude_to_db(float* s, size_t n, double ref, double amin, double top_db) {
  // librosa: power_to_db(|S|^2, ref=ref^2, amin=amin^2, top_db)
  for (size_t i = 0; i < n; ++i) s[i] = s[i] * s[i];
  power_to_db(s, n, ref * ref, amin * amin, top_db);
}

}  // namespace agf
