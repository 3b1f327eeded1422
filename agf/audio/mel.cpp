// CPU mel spectrogram: a half-size FFTW complex FFT per frame (one plan per parameter set, made once and
// reused from all threads with the new-array execute), the Slaney filterbank over each row's non-zero
// bins, librosa's dB conversion in float32 with a vectorisable log10.
// Reference: librosa.feature.melspectrogram / librosa.filters.mel / librosa.amplitude_to_db.
#include "agf/audio/mel.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace agf {

// The JSON keys are the field names. Strict (no _WITH_DEFAULT): a missing field is an error, not a default.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MelParams, sr, n_fft, hop_length, n_mels, fmin, fmax, center, power, htk, to_db, ref,
                                   amin, top_db)

std::string MelParams::to_json() const {
  nlohmann::json j = *this;
  // Fixed by this implementation, stated for readers of the metadata (not read back).
  j["window"] = "hann";
  j["pad_mode"] = "constant";
  j["norm"] = "slaney";
  return j.dump();
}

MelParams MelParams::from_json(const std::string& text) { return nlohmann::json::parse(text).get<MelParams>(); }

void MelParams::validate() const {
  AGF_CHECK(sr > 0, UsageError, "mel: sr must be > 0, got ", sr);
  AGF_CHECK(n_fft >= 2 && n_fft <= (1 << 20), UsageError, "mel: n_fft must be in [2, 2^20], got ", n_fft);
  AGF_CHECK(hop_length >= 1, UsageError, "mel: hop_length must be >= 1, got ", hop_length);
  AGF_CHECK(n_mels >= 1 && n_mels <= 4096, UsageError, "mel: n_mels must be in [1, 4096], got ", n_mels);
  AGF_CHECK(fmin >= 0 && fmax > fmin, UsageError, "mel: need 0 <= fmin < fmax, got fmin ", fmin, " fmax ", fmax);
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
  for (int i = 0; i < n_mels + 2; ++i) {                     // np.linspace(min_mel, max_mel, n_mels + 2)
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

// Everything a mel spectrogram needs that depends only on the parameters, built once per parameter set
// and shared by every call and thread: the window, the FFT plan, the twiddles of the real-FFT
// post-processing and the filterbank stored row by row over its non-zero bins only.
//
// The STFT of an even n_fft uses one complex FFT of half the size: z[n] = x[2n] + i x[2n+1],
// Z = DFT_{N/2}(z), then X[k] = E[k] + W^k O[k] with E[k] = (Z[k] + conj Z[N/2-k]) / 2,
// O[k] = (Z[k] - conj Z[N/2-k]) / 2i and W = exp(-2 pi i / N). With FFTW_ESTIMATE plans (measured
// plans take seconds to make) FFTW's own size-1024 r2c costs ~3x its size-512 c2c, which this
// post-processing does not give back. Odd n_fft use FFTW's r2c.
struct MelSetup {
  int n_fft = 0, n_bins = 0, n_mels = 0;
  bool half = false;                // even n_fft: half-size complex FFT + post-processing
  fftwf_plan plan = nullptr;        // half: c2c of n_fft / 2 points; else r2c of n_fft
  std::vector<float> window;        // (n_fft) periodic Hann
  std::vector<float> tw_re, tw_im;  // (n_fft / 2 + 1) W^k, half only
  std::vector<int> lo, len;         // per mel: first non-zero bin and the number of bins from it
  std::vector<size_t> off;          // per mel: start of its weights in w
  std::vector<float> w;             // the rows' non-zero ranges, back to back
};

std::shared_ptr<const MelSetup> make_setup(const MelParams& p) {
  auto s = std::make_shared<MelSetup>();
  const int n_fft = p.n_fft, n_bins = 1 + n_fft / 2;
  s->n_fft = n_fft;
  s->n_bins = n_bins;
  s->n_mels = p.n_mels;
  s->half = n_fft % 2 == 0 && n_fft >= 4;
  s->window.resize(size_t(n_fft));  // periodic Hann: scipy.signal.get_window("hann", n_fft)
  for (int i = 0; i < n_fft; ++i)
    s->window[size_t(i)] = float(0.5 - 0.5 * std::cos(2.0 * M_PI * double(i) / double(n_fft)));
  if (s->half) {
    const int h = n_fft / 2;
    s->tw_re.resize(size_t(h) + 1);
    s->tw_im.resize(size_t(h) + 1);
    for (int k = 0; k <= h; ++k) {
      s->tw_re[size_t(k)] = float(std::cos(2.0 * M_PI * double(k) / double(n_fft)));
      s->tw_im[size_t(k)] = float(-std::sin(2.0 * M_PI * double(k) / double(n_fft)));
    }
  }
  {  // FFTW's planner is not thread-safe; execution with the new-array functions is.
    static std::mutex planner;
    std::lock_guard<std::mutex> lock(planner);
    float* in = fftwf_alloc_real(size_t(n_fft));
    fftwf_complex* out = fftwf_alloc_complex(size_t(n_bins));
    s->plan = s->half
                  ? fftwf_plan_dft_1d(n_fft / 2, reinterpret_cast<fftwf_complex*>(in), out, FFTW_FORWARD, FFTW_ESTIMATE)
                  : fftwf_plan_dft_r2c_1d(n_fft, in, out, FFTW_ESTIMATE);
    fftwf_free(in);
    fftwf_free(out);
  }
  AGF_CHECK(s->plan != nullptr, Error, "mel: FFTW could not plan an FFT for n_fft ", n_fft);
  const std::vector<float> dense = mel_filterbank(p.sr, n_fft, p.n_mels, p.fmin, p.fmax, p.htk);
  s->lo.assign(size_t(p.n_mels), 0);
  s->len.assign(size_t(p.n_mels), 0);
  s->off.assign(size_t(p.n_mels), 0);
  for (int m = 0; m < p.n_mels; ++m) {
    const float* row = &dense[size_t(m) * n_bins];
    int lo = 0, hi = n_bins;
    while (lo < n_bins && row[lo] == 0.f) ++lo;
    while (hi > lo && row[hi - 1] == 0.f) --hi;
    s->lo[size_t(m)] = lo;
    s->len[size_t(m)] = hi - lo;
    s->off[size_t(m)] = s->w.size();
    s->w.insert(s->w.end(), row + lo, row + hi);
  }
  return s;
}

// The setups made so far, by the parameters they depend on (plans are kept for the process's life,
// as FFTW's own plan cache would).
std::shared_ptr<const MelSetup> mel_setup(const MelParams& p) {
  char key[160];
  std::snprintf(key, sizeof key, "%d %d %d %.17g %.17g %d", p.sr, p.n_fft, p.n_mels, p.fmin, p.fmax, int(p.htk));
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const MelSetup>> cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  std::shared_ptr<const MelSetup> s = make_setup(p);
  std::lock_guard<std::mutex> lock(mu);
  return cache.emplace(key, s).first->second;  // a racing thread's setup wins; both are the same
}

// |X[k]|^2 for k in [0, n_fft / 2] from the half-size complex FFT Z (n_fft / 2 points, interleaved
// re, im) of one frame. rev (n_fft floats) is scratch: Z[h - k] copied into slot k first, so that the
// main loop reads both operands forwards and vectorises (~2.5x faster than indexing Z[h - k]).
using AliasedPair = double __attribute__((may_alias));  // one complex float as one 8-byte element
void half_spectrum_power(const MelSetup& s, const float* Z, float* rev, float* p2) {
  const int h = s.n_fft / 2;
  const float* tr = s.tw_re.data();
  const float* ti = s.tw_im.data();
  p2[0] = (Z[0] + Z[1]) * (Z[0] + Z[1]);  // X[0] = Re Z[0] + Im Z[0], X[N/2] = Re Z[0] - Im Z[0]
  p2[h] = (Z[0] - Z[1]) * (Z[0] - Z[1]);
  const AliasedPair* zp = reinterpret_cast<const AliasedPair*>(Z);
  AliasedPair* rp = reinterpret_cast<AliasedPair*>(rev);
  for (int k = 1; k < h; ++k) rp[k] = zp[h - k];
  for (int k = 1; k < h; ++k) {
    const float ar = Z[2 * k], ai = Z[2 * k + 1];                // a = Z[k]
    const float br = rev[2 * k], bi = -rev[2 * k + 1];           // b = conj Z[h - k]
    const float er = 0.5f * (ar + br), ei = 0.5f * (ai + bi);    // E = (a + b) / 2
    const float orr = 0.5f * (ai - bi), oi = -0.5f * (ar - br);  // O = (a - b) / 2i
    const float xr = er + (tr[k] * orr - ti[k] * oi), xi = ei + (tr[k] * oi + ti[k] * orr);
    p2[k] = xr * xr + xi * xi;
  }
}

// log10(x) for x >= 0 (Cephes' logf polynomial on the mantissa in [sqrt(1/2), sqrt(2)), about 2 ulp;
// -inf for 0, +inf for +inf). Straight-line code (selects, no branches or calls), so that the dB loop
// vectorises; that needs -fno-trapping-math on this file (CMakeLists.txt), which changes no value.
inline float log10_pos(float x) {
  const bool sub = x < 1.17549435e-38f;  // subnormal: scale into the normal range first
  const float xs = x * (sub ? 16777216.f : 1.f);
  uint32_t u;
  std::memcpy(&u, &xs, 4);
  int e = int(u >> 23) - 126 - (sub ? 24 : 0);  // x = m 2^e with m in [0.5, 1)
  u = (u & 0x007fffffu) | 0x3f000000u;
  float m;
  std::memcpy(&m, &u, 4);
  const bool small = m < 0.70710678f;  // then use 2m in [sqrt(1/2), 1) and e - 1
  e -= small ? 1 : 0;
  const float f = m * (small ? 2.f : 1.f) - 1.f;
  const float z = f * f;
  float y = 7.0376836292e-2f;
  y = y * f - 1.1514610310e-1f;
  y = y * f + 1.1676998740e-1f;
  y = y * f - 1.2420140846e-1f;
  y = y * f + 1.4249322787e-1f;
  y = y * f - 1.6668057665e-1f;
  y = y * f + 2.0000714765e-1f;
  y = y * f - 2.4999993993e-1f;
  y = y * f + 3.3333331174e-1f;
  y = y * f * z;
  const float fe = float(e);
  y += -2.12194440e-4f * fe;  // ln 2 = 0.693359375 - 2.12194440e-4, split for accuracy
  y += -0.5f * z;
  float r = ((f + y) + 0.693359375f * fe) * 0.43429448190325182765f;  // ln(x) * log10(e)
  r = x <= 3.40282347e38f ? r : x;                                    // +inf stays +inf
  r = x > 0.f ? r : -INFINITY;
  return r;
}

}  // namespace

int mel_spectrogram_frames(const float* y, int64_t n, const MelParams& p, std::vector<float>* out) {
  p.validate();
  AGF_CHECK(n > 0, UsageError, "mel: empty signal");
  const int frames = mel_num_frames(n, p);
  AGF_CHECK(frames > 0, UsageError, "mel: signal of ", n, " samples is shorter than n_fft ", p.n_fft,
            " (center=false)");
  const std::shared_ptr<const MelSetup> sp = mel_setup(p);
  const MelSetup& s = *sp;
  const int n_fft = p.n_fft, n_bins = s.n_bins, M = p.n_mels, pad = p.center ? n_fft / 2 : 0;
  // Per-call work buffers (FFTW-aligned, as the plan was made on): the windowed frame, the
  // post-processing's scratch, the frame's spectrum, and |X|^power of the frame.
  float* buf = fftwf_alloc_real(size_t(n_fft));
  float* rev = fftwf_alloc_real(size_t(n_fft) + 2);
  fftwf_complex* spec = fftwf_alloc_complex(size_t(n_bins));
  std::vector<float> mag(static_cast<size_t>(n_bins));
  out->resize(size_t(frames) * size_t(M));
  const float* win = s.window.data();
  const float* fw = s.w.data();
  float* o = out->data();
  for (int t = 0; t < frames; ++t) {
    const int64_t start = int64_t(t) * p.hop_length - pad;
    if (start >= 0 && start + n_fft <= n) {
      const float* x = y + start;
      for (int i = 0; i < n_fft; ++i) buf[i] = x[i] * win[i];
    } else {  // an edge frame: zero padding (pad_mode "constant")
      for (int i = 0; i < n_fft; ++i) {
        const int64_t j = start + i;
        buf[i] = (j >= 0 && j < n) ? y[j] * win[i] : 0.f;
      }
    }
    float* mg = mag.data();
    if (s.half) {
      fftwf_execute_dft(s.plan, reinterpret_cast<fftwf_complex*>(buf), spec);
      half_spectrum_power(s, reinterpret_cast<const float*>(spec), rev, mg);
    } else {
      fftwf_execute_dft_r2c(s.plan, buf, spec);
      const float* sp = reinterpret_cast<const float*>(spec);
      for (int k = 0; k < n_bins; ++k) mg[k] = sp[2 * k] * sp[2 * k] + sp[2 * k + 1] * sp[2 * k + 1];
    }
    if (p.power == 1.0) {
      for (int k = 0; k < n_bins; ++k) mg[k] = std::sqrt(mg[k]);
    } else if (p.power != 2.0) {
      for (int k = 0; k < n_bins; ++k) mg[k] = float(std::pow(double(std::sqrt(mg[k])), p.power));
    }
    float* ot = o + size_t(t) * size_t(M);
    for (int m = 0; m < M; ++m) {
      const float* wr = fw + s.off[size_t(m)];
      const float* xm = mg + s.lo[size_t(m)];
      const int len = s.len[size_t(m)];
      float acc = 0.f;
      for (int k = 0; k < len; ++k) acc += wr[k] * xm[k];
      ot[m] = acc;
    }
  }
  fftwf_free(buf);
  fftwf_free(rev);
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
  // 10 log10(max(amin, S)) - 10 log10(max(amin, ref)); then max(., max - top_db). In float32, as
  // librosa computes it on a float32 array (np.maximum and np.log10 keep the dtype).
  const float off = float(10.0 * std::log10(std::max(amin, ref)));
  const float a = float(amin);
  for (size_t i = 0; i < n; ++i) {
    const float v = a < s[i] ? s[i] : a;  // np.maximum(amin, S); a NaN gives amin, as before
    s[i] = 10.f * log10_pos(v) - off;
  }
  if (top_db > 0) {
    // The maximum in 8 independent lanes (a plain reduction does not vectorise without -ffast-math).
    float lane[8];
    for (float& l : lane) l = -INFINITY;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
      for (int j = 0; j < 8; ++j) lane[j] = lane[j] < s[i + j] ? s[i + j] : lane[j];
    float mx = -INFINITY;
    for (; i < n; ++i) mx = mx < s[i] ? s[i] : mx;
    for (float l : lane) mx = mx < l ? l : mx;
    const float floor = float(double(mx) - top_db);
    for (size_t i = 0; i < n; ++i) s[i] = s[i] < floor ? floor : s[i];
  }
}

void amplitude_to_db(float* s, size_t n, double ref, double amin, double top_db) {
  // librosa: power_to_db(|S|^2, ref=ref^2, amin=amin^2, top_db)
  for (size_t i = 0; i < n; ++i) s[i] = s[i] * s[i];
  power_to_db(s, n, ref * ref, amin * amin, top_db);
}

}  // namespace agf
