// Song-level descriptors; see descriptors.h and docs/DESCRIPTORS.md for definitions. Frame analysis:
// periodic Hann window, n_fft 1024 (sr < 32 kHz) or 2048, hop n_fft/2, centred. References: Peeters
// (2004) "A large set of audio features" (spectral shape), Essentia's algorithms (BarkBands, energy
// bands, HFC, Loudness, HPCP, PoolAggregator statistics), librosa (spectral contrast, onset strength).
#include "agf/audio/descriptors.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <numeric>
#include <string_view>
#include <unordered_map>

#include "agf/audio/mel.h"
#include "agf/audio/mfcc.h"
#include "util/error.h"

namespace agf {

namespace {

const char* kPitch[12] = {"C", "Cs", "D", "Ds", "E", "F", "Fs", "G", "Gs", "A", "As", "B"};
const double kBark[28] = {0,    50,   100,  150,  200,  300,  400,  510,  630,  770,  920,  1080,  1270,  1480,
                          1720, 2000, 2320, 2700, 3150, 3700, 4400, 5300, 6400, 7700, 9500, 12000, 15500, 20500};
const double kContrastEdges[8] = {0, 200, 400, 800, 1600, 3200, 6400, 1e9};
constexpr int kMel = 40, kMfcc = 13, kBarkN = 27, kContrast = 7;

std::vector<std::string> make_series() {
  // clang-format off
  std::vector<std::string> s = {"spectral_centroid", "spectral_spread", "spectral_skewness", "spectral_kurtosis",
                                "spectral_rolloff", "spectral_flux", "spectral_flatness_db", "spectral_crest",
                                "spectral_entropy", "spectral_energy", "spectral_hfc", "spectral_slope",
                                "spectral_decrease", "zerocrossingrate", "rms", "loudness", "onset_strength",
                                "energyband_low", "energyband_middle_low", "energyband_middle_high", "energyband_high"};
  // clang-format on
  for (int b = 0; b < kContrast; ++b) s.push_back("spectral_contrast_" + std::to_string(b));
  for (int b = 0; b < kContrast; ++b) s.push_back("spectral_valley_" + std::to_string(b));
  for (int b = 0; b < kBarkN; ++b) s.push_back("barkbands_" + std::to_string(b));
  for (int b = 0; b < kMel; ++b) s.push_back("melbands_" + std::to_string(b));
  for (int b = 0; b < kMfcc; ++b) s.push_back("mfcc_" + std::to_string(b));
  for (int b = 0; b < 12; ++b) s.push_back(std::string("hpcp_") + kPitch[b]);
  return s;
}

std::vector<std::string> make_track_names() {
  // Key and scale one-hot (key_C..key_B, scale_major, scale_minor), as the authors flattened Essentia's
  // tonal.key_key / key_scale: one ordinal key number would put B next to C only after a wrap, and its
  // quantile-normalised value would order the keys.
  std::vector<std::string> s = {"duration_s", "bpm", "bpm_confidence", "onset_rate"};
  for (int k = 0; k < 12; ++k) s.push_back(std::string("key_") + kPitch[k]);
  for (const char* m : {"scale_major", "scale_minor"}) s.push_back(m);
  for (const char* m : {"key_strength", "loudness_integrated_db", "dynamic_complexity_db"}) s.push_back(m);
  for (int k = 0; k < 12; ++k) s.push_back(std::string("key_corr_major_") + kPitch[k]);
  for (int k = 0; k < 12; ++k) s.push_back(std::string("key_corr_minor_") + kPitch[k]);
  return s;
}

// The 9 statistics of a series (Essentia's PoolAggregator set; differences are absolute).
void summarise(const std::vector<double>& x, float* out) {
  const size_t n = x.size();
  std::fill(out, out + 9, 0.f);
  if (n == 0) return;
  auto mv = [](const std::vector<double>& v, float* m, float* var) {
    if (v.empty()) return;
    double s = 0, s2 = 0;
    for (double a : v) s += a;
    const double mean = s / v.size();
    for (double a : v) s2 += (a - mean) * (a - mean);
    *m = float(mean);
    *var = float(s2 / v.size());
  };
  mv(x, &out[0], &out[1]);
  std::vector<double> sorted = x;
  std::sort(sorted.begin(), sorted.end());
  out[2] = float(n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]));
  out[3] = float(sorted.front());
  out[4] = float(sorted.back());
  std::vector<double> d1, d2;
  for (size_t i = 0; i + 1 < n; ++i) d1.push_back(x[i + 1] - x[i]);
  for (size_t i = 0; i + 1 < d1.size(); ++i) d2.push_back(d1[i + 1] - d1[i]);
  for (double& a : d1) a = std::fabs(a);
  for (double& a : d2) a = std::fabs(a);
  mv(d1, &out[5], &out[6]);
  mv(d2, &out[7], &out[8]);
}

fftwf_plan plan_for(int n_fft) {
  static std::mutex mu;
  static fftwf_plan plans[32] = {};
  std::lock_guard<std::mutex> lock(mu);
  const int lg = int(std::log2(double(n_fft)));
  if (!plans[lg]) {
    float* in = fftwf_alloc_real(n_fft);
    fftwf_complex* out = fftwf_alloc_complex(n_fft / 2 + 1);
    plans[lg] = fftwf_plan_dft_r2c_1d(n_fft, in, out, FFTW_ESTIMATE);
    fftwf_free(in);
    fftwf_free(out);
  }
  return plans[lg];
}

}  // namespace

const std::vector<std::string>& descriptor_series_names() {
  static const std::vector<std::string> s = make_series();
  return s;
}

const std::vector<std::string>& descriptor_stat_names() {
  static const std::vector<std::string> s = {"mean", "var", "median", "min", "max", "dmean", "dvar", "dmean2", "dvar2"};
  return s;
}

const std::vector<std::string>& descriptor_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& s : descriptor_series_names())
      for (const auto& st : descriptor_stat_names()) n.push_back(s + "." + st);
    for (const auto& t : make_track_names()) n.push_back(t);
    return n;
  }();
  return names;
}

int estimate_key(const float* c, bool* minor, float* strength, float* corr24) {
  // Krumhansl & Kessler (1982) probe-tone profiles, tonic first.
  static const double maj[12] = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
  static const double mnr[12] = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17};
  auto pearson = [&](const double* prof, int tonic) {
    double mx = 0, mp = 0;
    for (int i = 0; i < 12; ++i) {
      mx += c[i];
      mp += prof[i];
    }
    mx /= 12;
    mp /= 12;
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < 12; ++i) {
      const double a = c[(i + tonic) % 12] - mx, b = prof[i] - mp;
      sxy += a * b;
      sxx += a * a;
      syy += b * b;
    }
    return sxx > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
  };
  int best = 0;
  bool best_minor = false;
  double bv = -2;
  for (int k = 0; k < 12; ++k)
    for (int mode = 0; mode < 2; ++mode) {
      const double r = pearson(mode ? mnr : maj, k);
      if (corr24) corr24[mode * 12 + k] = float(r);
      if (r > bv) {
        bv = r;
        best = k;
        best_minor = mode == 1;
      }
    }
  *minor = best_minor;
  *strength = float(bv);
  return best;
}

float estimate_bpm(const std::vector<float>& env, double frame_rate, float* confidence) {
  *confidence = 0.f;
  const int n = int(env.size());
  double mean = 0;
  for (float v : env) mean += v;
  mean = n ? mean / n : 0;
  const int lag_min = std::max(1, int(std::floor(60.0 * frame_rate / 240.0)));
  const int lag_max = std::min(n - 1, int(std::ceil(60.0 * frame_rate / 40.0)));
  if (lag_max <= lag_min) return 0.f;
  std::vector<double> ac(lag_max + 1, 0.0);
  for (int lag = 0; lag <= lag_max; ++lag)
    for (int i = 0; i + lag < n; ++i) ac[lag] += (env[i] - mean) * (env[i + lag] - mean);
  if (ac[0] <= 0) return 0.f;
  int best = -1;
  double bv = 0;
  for (int lag = lag_min; lag <= lag_max; ++lag) {
    const double bpm = 60.0 * frame_rate / lag;
    const double prior = std::exp(-0.5 * std::pow(std::log2(bpm / 120.0), 2));  // 1 octave std
    const double v = ac[lag] / ac[0] * prior;
    if (v > bv) {
      bv = v;
      best = lag;
    }
  }
  if (best < 0) return 0.f;
  // Parabolic refinement of the peak lag.
  double lag = best;
  if (best > lag_min && best < lag_max) {
    const double a = ac[best - 1], b = ac[best], cc = ac[best + 1], den = a - 2 * b + cc;
    if (den < 0) lag = best + 0.5 * (a - cc) / den;
  }
  *confidence = float(std::clamp(ac[best] / ac[0], 0.0, 1.0));
  return float(60.0 * frame_rate / lag);
}

namespace {

// What stays fixed over a song's frames: the frame size, the bin frequencies, the window and the weights.
struct Analysis {
  int sr = 0, n_fft = 0, hop = 0, nb = 0, pad = 0;
  double nyq = 0;
  std::vector<double> freq;   // (nb) bin centre frequencies, Hz
  std::vector<float> window;  // (n_fft) periodic Hann
  std::vector<float> melfb;   // (kMel, nb)
  // HPCP weights: each bin in 40 Hz .. 5 kHz to the pitch classes within half a semitone (cos^2).
  std::vector<std::vector<std::pair<int, float>>> hpcp_w;  // (nb)
};

Analysis make_analysis(int sr) {
  Analysis a;
  a.sr = sr;
  a.n_fft = sr < 32000 ? 1024 : 2048;
  a.hop = a.n_fft / 2;
  a.nb = a.n_fft / 2 + 1;
  a.pad = a.n_fft / 2;
  const int n_fft = a.n_fft, nb = a.nb;
  a.nyq = sr / 2.0;
  a.freq.resize(nb);
  for (int k = 0; k < nb; ++k) a.freq[k] = double(k) * sr / n_fft;
  a.window.resize(n_fft);
  for (int i = 0; i < n_fft; ++i) a.window[i] = float(0.5 - 0.5 * std::cos(2 * M_PI * i / n_fft));
  a.melfb = mel_filterbank(sr, n_fft, kMel, 0.0, a.nyq, false);
  a.hpcp_w.resize(nb);
  for (int k = 1; k < nb; ++k) {
    if (a.freq[k] < 40 || a.freq[k] > 5000) continue;
    const double semis = 12.0 * std::log2(a.freq[k] / 440.0) + 9.0;  // C = 0
    for (int pc = 0; pc < 12; ++pc) {
      double d = std::fmod(semis - pc, 12.0);
      if (d < -6) d += 12;
      if (d > 6) d -= 12;
      if (std::fabs(d) <= 0.5) a.hpcp_w[k].push_back({pc, float(std::pow(std::cos(M_PI * d), 2))});
    }
  }
  return a;
}

// One analysis frame: its samples (zero beyond the signal's ends) and the spectrum of the windowed frame.
struct Frame {
  std::vector<float> raw;         // (n_fft)
  std::vector<double> mag, pw;    // (nb) magnitude and power
  double sm = 0, sp = 0, mx = 0;  // sum of magnitudes, sum of powers (energy), largest magnitude
};

// The column of a frame series by name (descriptor_series_names); Error for an unknown name.
size_t series_column(std::string_view name) {
  static const std::unordered_map<std::string_view, size_t> index = [] {
    std::unordered_map<std::string_view, size_t> m;
    const std::vector<std::string>& names = descriptor_series_names();
    for (size_t i = 0; i < names.size(); ++i) m[names[i]] = i;
    return m;
  }();
  const auto it = index.find(name);
  AGF_CHECK(it != index.end(), Error, "descriptors: no frame series '", std::string(name), "'");
  return it->second;
}

// Where frame t's values go: the series S[column][t], by name. A value that is not finite is stored as 0.
// Counts what it is given, so that a frame can be checked to fill every series.
class FrameOut {
 public:
  FrameOut(std::vector<std::vector<double>>& S, int t) : S_(S), t_(t) {}
  void put(std::string_view name, double v) { set(series_column(name), v); }
  // A group of n consecutive series from its first name ("melbands_0", "hpcp_C").
  void put(std::string_view first, const double* v, int n) {
    const size_t c = series_column(first);
    for (int i = 0; i < n; ++i) set(c + size_t(i), v[i]);
  }
  size_t count() const { return count_; }

 private:
  void set(size_t c, double v) {
    S_[c][t_] = std::isfinite(v) ? v : 0.0;
    ++count_;
  }
  std::vector<std::vector<double>>& S_;
  int t_;
  size_t count_ = 0;
};

// Spectral shape (Peeters 2004): centroid, spread, skewness, kurtosis of the magnitude spectrum; roll-off
// (85 % of the energy); flux against the previous frame's magnitudes (0 for the first); flatness (dB),
// crest, entropy, energy, high-frequency content, slope and decrease.
void spectral_shape(const Analysis& a, const Frame& f, const std::vector<double>& prev_mag, int t, FrameOut& out) {
  const int nb = a.nb;
  const std::vector<double>& freq = a.freq;
  const std::vector<double>& mag = f.mag;
  const std::vector<double>& pw = f.pw;
  const double sm = f.sm, sp = f.sp, mx = f.mx;
  double cen = 0, spr = 0, skw = 0, kur = 0;
  if (sm > 0) {
    for (int k = 0; k < nb; ++k) cen += freq[k] * mag[k];
    cen /= sm;
    double m2 = 0, m3 = 0, m4 = 0;
    for (int k = 0; k < nb; ++k) {
      const double d = freq[k] - cen;
      m2 += d * d * mag[k];
      m3 += d * d * d * mag[k];
      m4 += d * d * d * d * mag[k];
    }
    m2 /= sm;
    m3 /= sm;
    m4 /= sm;
    spr = std::sqrt(m2);
    if (m2 > 0) {
      skw = m3 / std::pow(m2, 1.5);
      kur = m4 / (m2 * m2);
    }
  }
  out.put("spectral_centroid", cen);
  out.put("spectral_spread", spr);
  out.put("spectral_skewness", skw);
  out.put("spectral_kurtosis", kur);
  double roll = 0;
  if (sp > 0) {
    double acc = 0;
    for (int k = 0; k < nb; ++k) {
      acc += pw[k];
      if (acc >= 0.85 * sp) {
        roll = freq[k];
        break;
      }
    }
  }
  out.put("spectral_rolloff", roll);
  double flux = 0;
  for (int k = 0; k < nb; ++k) flux += (mag[k] - prev_mag[k]) * (mag[k] - prev_mag[k]);
  out.put("spectral_flux", t ? std::sqrt(flux) : 0.0);
  double lg = 0;
  for (int k = 0; k < nb; ++k) lg += std::log(pw[k] + 1e-20);
  out.put("spectral_flatness_db", sp > 0 ? 10.0 * (lg / nb - std::log(sp / nb + 1e-20)) / std::log(10.0) : 0.0);
  out.put("spectral_crest", sm > 0 ? mx / (sm / nb) : 0.0);
  double ent = 0;
  if (sp > 0)
    for (int k = 0; k < nb; ++k) {
      const double p = pw[k] / sp;
      if (p > 0) ent -= p * std::log2(p);
    }
  out.put("spectral_entropy", ent);
  out.put("spectral_energy", sp);
  double hfc = 0;
  for (int k = 0; k < nb; ++k) hfc += k * pw[k];
  out.put("spectral_hfc", hfc);
  double fm = 0, mm = sm / nb, sxy = 0, sxx = 0;
  for (int k = 0; k < nb; ++k) fm += freq[k];
  fm /= nb;
  for (int k = 0; k < nb; ++k) {
    sxy += (freq[k] - fm) * (mag[k] - mm);
    sxx += (freq[k] - fm) * (freq[k] - fm);
  }
  out.put("spectral_slope", sxy / sxx);
  double dec = 0, den = 0;
  for (int k = 1; k < nb; ++k) {
    dec += (mag[k] - mag[0]) / k;
    den += mag[k];
  }
  out.put("spectral_decrease", den > 0 ? dec / den : 0.0);
}

// Time domain: zero-crossing rate, RMS and Essentia's loudness (energy^0.67) of the unwindowed frame.
void time_domain(const Analysis& a, const Frame& f, FrameOut& out) {
  const int n_fft = a.n_fft;
  const std::vector<float>& raw = f.raw;
  int zc = 0;
  double e = 0;
  for (int i = 0; i < n_fft; ++i) {
    e += double(raw[i]) * raw[i];
    if (i && ((raw[i] >= 0) != (raw[i - 1] >= 0))) ++zc;
  }
  out.put("zerocrossingrate", double(zc) / n_fft);
  out.put("rms", std::sqrt(e / n_fft));
  out.put("loudness", std::pow(e, 0.67));
}

// The mel bands in dB (kMel), which the onset strength and the MFCC are computed from.
void mel_db_of(const Analysis& a, const Frame& f, std::vector<double>* mel_db) {
  for (int m = 0; m < kMel; ++m) {
    double acc = 0;
    const float* row = &a.melfb[size_t(m) * a.nb];
    for (int k = 0; k < a.nb; ++k) acc += row[k] * f.pw[k];
    (*mel_db)[m] = 10.0 * std::log10(std::max(1e-10, acc));
  }
}

// Mel bands (dB), their MFCC, and the onset strength: the mean rise of the mel bands since the previous
// frame (librosa's onset_strength; 0 for the first frame).
void mel_family(const std::vector<double>& mel_db, const std::vector<double>& prev_mel, int t, FrameOut& out) {
  double onset = 0;
  if (t)
    for (int m = 0; m < kMel; ++m) onset += std::max(0.0, mel_db[m] - prev_mel[m]);
  out.put("onset_strength", onset / kMel);
  out.put("melbands_0", mel_db.data(), kMel);
  std::vector<float> mel_tmp(kMel);
  for (int m = 0; m < kMel; ++m) mel_tmp[m] = float(mel_db[m]);
  const std::vector<float> mf = mfcc_from_db_mel(mel_tmp, kMel, 1, kMfcc);
  double mfcc[kMfcc];
  for (int m = 0; m < kMfcc; ++m) mfcc[m] = mf[m];
  out.put("mfcc_0", mfcc, kMfcc);
}

// Band energies: Essentia's four energy bands (20-150-800-4000-20000 Hz) and the 27 Bark bands.
void band_energies(const Analysis& a, const Frame& f, FrameOut& out) {
  const double eb[5] = {20, 150, 800, 4000, 20000};
  double energy[4];
  for (int b = 0; b < 4; ++b) {
    double acc = 0;
    for (int k = 0; k < a.nb; ++k)
      if (a.freq[k] >= eb[b] && a.freq[k] < eb[b + 1]) acc += f.pw[k];
    energy[b] = acc;
  }
  out.put("energyband_low", energy, 4);
  double bark[kBarkN];
  for (int b = 0; b < kBarkN; ++b) {
    double acc = 0;
    for (int k = 0; k < a.nb; ++k)
      if (a.freq[k] >= kBark[b] && a.freq[k] < kBark[b + 1]) acc += f.pw[k];
    bark[b] = acc;
  }
  out.put("barkbands_0", bark, kBarkN);
}

// Spectral contrast and valley per octave band (librosa): log10 of the mean of the top and bottom 2 % of
// the band's magnitudes; contrast is peak minus valley.
void spectral_contrast(const Analysis& a, const Frame& f, FrameOut& out) {
  double contrast[kContrast], valley[kContrast];
  for (int b = 0; b < kContrast; ++b) {
    std::vector<double> band;
    for (int k = 0; k < a.nb; ++k)
      if (a.freq[k] >= kContrastEdges[b] && a.freq[k] < std::min(kContrastEdges[b + 1], a.nyq + 1))
        band.push_back(f.mag[k]);
    contrast[b] = valley[b] = 0;
    if (band.empty()) continue;
    std::sort(band.begin(), band.end());
    const size_t q = std::max<size_t>(1, size_t(std::lround(0.02 * band.size())));
    double lo = 0, hi = 0;
    for (size_t i = 0; i < q; ++i) {
      lo += band[i];
      hi += band[band.size() - 1 - i];
    }
    lo /= q;
    hi /= q;
    valley[b] = std::log10(lo + 1e-10);
    contrast[b] = std::log10(hi + 1e-10) - valley[b];
  }
  out.put("spectral_contrast_0", contrast, kContrast);
  out.put("spectral_valley_0", valley, kContrast);
}

// HPCP: the pitch-class profile normalised to its largest class; the unnormalised profile is added to
// *chroma_sum (the song's key is estimated from its mean).
void hpcp(const Analysis& a, const Frame& f, std::vector<double>* chroma_sum, FrameOut& out) {
  double chroma[12] = {0};
  for (int k = 0; k < a.nb; ++k)
    for (auto& [pc, w] : a.hpcp_w[k]) chroma[pc] += w * f.pw[k];
  double cmax = *std::max_element(chroma, chroma + 12);
  double norm[12];
  for (int p = 0; p < 12; ++p) {
    (*chroma_sum)[p] += chroma[p];
    norm[p] = cmax > 0 ? chroma[p] / cmax : 0.0;
  }
  out.put("hpcp_C", norm, 12);
}

// Frame t's samples and spectrum (centred frames: the first starts pad samples before the signal).
void analyse_frame(const Analysis& a, const std::vector<float>& y, int t, fftwf_plan plan, float* buf,
                   fftwf_complex* spec, Frame* f) {
  const int64_t n = int64_t(y.size());
  const int64_t start = int64_t(t) * a.hop - a.pad;
  for (int i = 0; i < a.n_fft; ++i) {
    const int64_t j = start + i;
    f->raw[i] = (j >= 0 && j < n) ? y[j] : 0.f;
    buf[i] = f->raw[i] * a.window[i];
  }
  fftwf_execute_dft_r2c(plan, buf, spec);
  double sm = 0, sp = 0, mx = 0;
  for (int k = 0; k < a.nb; ++k) {
    f->pw[k] = double(spec[k][0]) * spec[k][0] + double(spec[k][1]) * spec[k][1];
    f->mag[k] = std::sqrt(f->pw[k]);
    sm += f->mag[k];
    sp += f->pw[k];
    mx = std::max(mx, f->mag[k]);
  }
  f->sm = sm, f->sp = sp, f->mx = mx;
}

// Every frame series of the song, S[series][frame]; the sum of the unnormalised HPCP in *chroma_sum.
std::vector<std::vector<double>> frame_series(const Analysis& a, const std::vector<float>& y, int frames,
                                              std::vector<double>* chroma_sum) {
  const size_t n_series = descriptor_series_names().size();
  std::vector<std::vector<double>> S(n_series, std::vector<double>(frames, 0.0));
  fftwf_plan plan = plan_for(a.n_fft);
  float* buf = fftwf_alloc_real(a.n_fft);
  fftwf_complex* spec = fftwf_alloc_complex(a.nb);
  Frame f;
  f.raw.resize(a.n_fft);
  f.mag.resize(a.nb);
  f.pw.resize(a.nb);
  std::vector<double> prev_mag(a.nb, 0.0), prev_mel(kMel, 0.0), mel_db(kMel);
  chroma_sum->assign(12, 0.0);
  for (int t = 0; t < frames; ++t) {
    analyse_frame(a, y, t, plan, buf, spec, &f);
    FrameOut out(S, t);
    spectral_shape(a, f, prev_mag, t, out);
    time_domain(a, f, out);
    mel_db_of(a, f, &mel_db);
    mel_family(mel_db, prev_mel, t, out);
    band_energies(a, f, out);
    spectral_contrast(a, f, out);
    hpcp(a, f, chroma_sum, out);
    AGF_CHECK(out.count() == n_series, Error, "descriptors: internal column count ", out.count(), " != ", n_series);
    prev_mag = f.mag;
    prev_mel = mel_db;
  }
  fftwf_free(buf);
  fftwf_free(spec);
  return S;
}

// Where the track-level values go: out[column], by name (the track-level names after the series' statistics).
class TrackOut {
 public:
  explicit TrackOut(float* tr) : tr_(tr) {}
  void put(std::string_view name, double v) { tr_[column(name)] = float(v); }
  void put(std::string_view first, const float* v, int n) {
    const size_t c = column(first);
    for (int i = 0; i < n; ++i) tr_[c + size_t(i)] = v[i];
  }

 private:
  static size_t column(std::string_view name) {
    static const std::vector<std::string> names = make_track_names();
    const auto it = std::find(names.begin(), names.end(), name);
    AGF_CHECK(it != names.end(), Error, "descriptors: no track-level descriptor '", std::string(name), "'");
    return size_t(it - names.begin());
  }
  float* tr_;
};

// Rhythm: tempo and its confidence from the onset-strength envelope, and the onset rate (peaks of the
// envelope above its mean + std, at least 50 ms apart).
void rhythm(const Analysis& a, const std::vector<double>& onset_strength, int frames, double duration, TrackOut& out) {
  const int sr = a.sr, hop = a.hop;
  std::vector<float> env(onset_strength.begin(), onset_strength.end());
  float conf = 0;
  const float bpm = estimate_bpm(env, double(sr) / hop, &conf);
  double em = 0, es = 0;
  for (float v : env) em += v;
  em /= frames;
  for (float v : env) es += (v - em) * (v - em);
  es = std::sqrt(es / frames);
  int onsets = 0, last = -1000;
  const int min_gap = std::max(1, int(0.05 * sr / hop));
  for (int t = 1; t + 1 < frames; ++t)
    if (env[t] > env[t - 1] && env[t] >= env[t + 1] && env[t] > em + es && env[t] > 0 && t - last >= min_gap) {
      ++onsets;
      last = t;
    }
  out.put("bpm", bpm);
  out.put("bpm_confidence", conf);
  out.put("onset_rate", onsets / duration);
}

// Tonal: key and scale (one-hot), key strength and the 24 key correlations, from the mean HPCP.
void tonal(const std::vector<double>& chroma_sum, int frames, TrackOut& out) {
  float chroma_mean[12];
  for (int p = 0; p < 12; ++p) chroma_mean[p] = float(chroma_sum[p] / frames);
  bool minor = false;
  float kstrength = 0, corr[24] = {0};
  const int tonic = estimate_key(chroma_mean, &minor, &kstrength, corr);
  float key[12];
  for (int k = 0; k < 12; ++k) key[k] = k == tonic ? 1.f : 0.f;
  out.put("key_C", key, 12);
  out.put("scale_major", minor ? 0.f : 1.f);
  out.put("scale_minor", minor ? 1.f : 0.f);
  out.put("key_strength", kstrength);
  out.put("key_corr_major_C", corr, 12);
  out.put("key_corr_minor_C", corr + 12, 12);
}

// Loudness: the integrated level of the whole signal (dB) and the dynamic complexity (the std of the frames'
// RMS level in dB).
void loudness(const std::vector<float>& y, const std::vector<double>& rms, int frames, TrackOut& out) {
  const int64_t n = int64_t(y.size());
  double ey = 0;
  for (float v : y) ey += double(v) * v;
  double ld_m = 0, ld_s = 0;
  for (int t = 0; t < frames; ++t) ld_m += 10.0 * std::log10(rms[t] * rms[t] + 1e-12);
  ld_m /= frames;
  for (int t = 0; t < frames; ++t) {
    const double d = 10.0 * std::log10(rms[t] * rms[t] + 1e-12) - ld_m;
    ld_s += d * d;
  }
  out.put("loudness_integrated_db", 10.0 * std::log10(ey / n + 1e-12));
  out.put("dynamic_complexity_db", std::sqrt(ld_s / frames));
}

}  // namespace

std::vector<float> song_descriptors(const std::vector<float>& y, int sr) {
  AGF_CHECK(!y.empty(), UsageError, "descriptors: empty signal");
  AGF_CHECK(sr >= 4000, UsageError, "descriptors: sample rate ", sr, " is below 4 kHz");
  const Analysis a = make_analysis(sr);
  const int64_t n = int64_t(y.size());
  const int frames = int(1 + n / a.hop);
  std::vector<double> chroma_sum;
  const std::vector<std::vector<double>> S = frame_series(a, y, frames, &chroma_sum);

  const size_t n_series = S.size();
  std::vector<float> out(descriptor_names().size(), 0.f);
  for (size_t s = 0; s < n_series; ++s) summarise(S[s], &out[s * 9]);
  TrackOut tr(&out[n_series * 9]);
  const double duration = double(n) / sr;
  tr.put("duration_s", duration);
  rhythm(a, S[series_column("onset_strength")], frames, duration, tr);
  tonal(chroma_sum, frames, tr);
  loudness(y, S[series_column("rms")], frames, tr);
  for (float& v : out)
    if (!std::isfinite(v)) v = 0.f;
  return out;
}

}  // namespace agf
