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

#include "agf/audio/mel.h"
#include "agf/audio/mfcc.h"
#include "agf/util/error.h"

namespace agf {

namespace {

const char* kPitch[12] = {"C", "Cs", "D", "Ds", "E", "F", "Fs", "G", "Gs", "A", "As", "B"};
const double kBark[28] = {0,    50,   100,  150,  200,  300,  400,   510,   630,   770,
                          920,  1080, 1270, 1480, 1720, 2000, 2320,  2700,  3150,  3700,
                          4400, 5300, 6400, 7700, 9500, 12000, 15500, 20500};
const double kContrastEdges[8] = {0, 200, 400, 800, 1600, 3200, 6400, 1e9};
constexpr int kMel = 40, kMfcc = 13, kBarkN = 27, kContrast = 7;

std::vector<std::string> make_series() {
  std::vector<std::string> s = {"spectral_centroid", "spectral_spread", "spectral_skewness", "spectral_kurtosis",
                                "spectral_rolloff", "spectral_flux", "spectral_flatness_db", "spectral_crest",
                                "spectral_entropy", "spectral_energy", "spectral_hfc", "spectral_slope",
                                "spectral_decrease", "zerocrossingrate", "rms", "loudness", "onset_strength",
                                "energyband_low", "energyband_middle_low", "energyband_middle_high", "energyband_high"};
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
    for (int i = 0; i < 12; ++i) { mx += c[i]; mp += prof[i]; }
    mx /= 12; mp /= 12;
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < 12; ++i) {
      const double a = c[(i + tonic) % 12] - mx, b = prof[i] - mp;
      sxy += a * b; sxx += a * a; syy += b * b;
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
      if (r > bv) { bv = r; best = k; best_minor = mode == 1; }
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
    if (v > bv) { bv = v; best = lag; }
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

std::vector<float> song_descriptors(const std::vector<float>& y, int sr) {
  AGF_CHECK(!y.empty(), UsageError, "descriptors: empty signal");
  AGF_CHECK(sr >= 4000, UsageError, "descriptors: sample rate ", sr, " is below 4 kHz");
  const int n_fft = sr < 32000 ? 1024 : 2048, hop = n_fft / 2, nb = n_fft / 2 + 1, pad = n_fft / 2;
  const int64_t n = int64_t(y.size());
  const int frames = int(1 + n / hop);
  const double nyq = sr / 2.0;
  std::vector<double> freq(nb);
  for (int k = 0; k < nb; ++k) freq[k] = double(k) * sr / n_fft;
  std::vector<float> window(n_fft);
  for (int i = 0; i < n_fft; ++i) window[i] = float(0.5 - 0.5 * std::cos(2 * M_PI * i / n_fft));
  const std::vector<float> melfb = mel_filterbank(sr, n_fft, kMel, 0.0, nyq, false);
  // HPCP weights: each bin in 40 Hz .. 5 kHz to the pitch classes within half a semitone (cos^2).
  std::vector<std::vector<std::pair<int, float>>> hpcp_w(nb);
  for (int k = 1; k < nb; ++k) {
    if (freq[k] < 40 || freq[k] > 5000) continue;
    const double semis = 12.0 * std::log2(freq[k] / 440.0) + 9.0;  // C = 0
    for (int pc = 0; pc < 12; ++pc) {
      double d = std::fmod(semis - pc, 12.0);
      if (d < -6) d += 12;
      if (d > 6) d -= 12;
      if (std::fabs(d) <= 0.5) hpcp_w[k].push_back({pc, float(std::pow(std::cos(M_PI * d), 2))});
    }
  }
  const std::vector<std::string>& series_names = descriptor_series_names();
  const size_t n_series = series_names.size();
  std::vector<std::vector<double>> S(n_series, std::vector<double>(frames, 0.0));
  fftwf_plan plan = plan_for(n_fft);
  float* buf = fftwf_alloc_real(n_fft);
  fftwf_complex* spec = fftwf_alloc_complex(nb);
  std::vector<double> mag(nb), pw(nb), prev_mag(nb, 0.0), prev_mel(kMel, 0.0), mel_db(kMel), chroma_sum(12, 0.0);
  std::vector<float> raw(n_fft), mel_tmp(kMel);
  for (int t = 0; t < frames; ++t) {
    const int64_t start = int64_t(t) * hop - pad;
    for (int i = 0; i < n_fft; ++i) {
      const int64_t j = start + i;
      raw[i] = (j >= 0 && j < n) ? y[j] : 0.f;
      buf[i] = raw[i] * window[i];
    }
    fftwf_execute_dft_r2c(plan, buf, spec);
    double sm = 0, sp = 0, mx = 0;
    for (int k = 0; k < nb; ++k) {
      pw[k] = double(spec[k][0]) * spec[k][0] + double(spec[k][1]) * spec[k][1];
      mag[k] = std::sqrt(pw[k]);
      sm += mag[k];
      sp += pw[k];
      mx = std::max(mx, mag[k]);
    }
    int c = 0;
    auto put = [&](double v) { S[c++][t] = std::isfinite(v) ? v : 0.0; };
    double cen = 0, spr = 0, skw = 0, kur = 0;
    if (sm > 0) {
      for (int k = 0; k < nb; ++k) cen += freq[k] * mag[k];
      cen /= sm;
      double m2 = 0, m3 = 0, m4 = 0;
      for (int k = 0; k < nb; ++k) {
        const double d = freq[k] - cen;
        m2 += d * d * mag[k]; m3 += d * d * d * mag[k]; m4 += d * d * d * d * mag[k];
      }
      m2 /= sm; m3 /= sm; m4 /= sm;
      spr = std::sqrt(m2);
      if (m2 > 0) { skw = m3 / std::pow(m2, 1.5); kur = m4 / (m2 * m2); }
    }
    put(cen); put(spr); put(skw); put(kur);
    double roll = 0;
    if (sp > 0) {
      double acc = 0;
      for (int k = 0; k < nb; ++k) {
        acc += pw[k];
        if (acc >= 0.85 * sp) { roll = freq[k]; break; }
      }
    }
    put(roll);
    double flux = 0;
    for (int k = 0; k < nb; ++k) flux += (mag[k] - prev_mag[k]) * (mag[k] - prev_mag[k]);
    put(t ? std::sqrt(flux) : 0.0);
    double lg = 0;
    for (int k = 0; k < nb; ++k) lg += std::log(pw[k] + 1e-20);
    put(sp > 0 ? 10.0 * (lg / nb - std::log(sp / nb + 1e-20)) / std::log(10.0) : 0.0);  // flatness dB
    put(sm > 0 ? mx / (sm / nb) : 0.0);                                                 // crest
    double ent = 0;
    if (sp > 0)
      for (int k = 0; k < nb; ++k) {
        const double p = pw[k] / sp;
        if (p > 0) ent -= p * std::log2(p);
      }
    put(ent);
    put(sp);
    double hfc = 0;
    for (int k = 0; k < nb; ++k) hfc += k * pw[k];
    put(hfc);
    double fm = 0, mm = sm / nb, sxy = 0, sxx = 0;
    for (int k = 0; k < nb; ++k) fm += freq[k];
    fm /= nb;
    for (int k = 0; k < nb; ++k) { sxy += (freq[k] - fm) * (mag[k] - mm); sxx += (freq[k] - fm) * (freq[k] - fm); }
    put(sxy / sxx);
    double dec = 0, den = 0;
    for (int k = 1; k < nb; ++k) { dec += (mag[k] - mag[0]) / k; den += mag[k]; }
    put(den > 0 ? dec / den : 0.0);
    int zc = 0;
    double e = 0;
    for (int i = 0; i < n_fft; ++i) {
      e += double(raw[i]) * raw[i];
      if (i && ((raw[i] >= 0) != (raw[i - 1] >= 0))) ++zc;
    }
    put(double(zc) / n_fft);
    put(std::sqrt(e / n_fft));
    put(std::pow(e, 0.67));
    for (int m = 0; m < kMel; ++m) {
      double acc = 0;
      const float* row = &melfb[size_t(m) * nb];
      for (int k = 0; k < nb; ++k) acc += row[k] * pw[k];
      mel_db[m] = 10.0 * std::log10(std::max(1e-10, acc));
    }
    double onset = 0;
    if (t)
      for (int m = 0; m < kMel; ++m) onset += std::max(0.0, mel_db[m] - prev_mel[m]);
    put(onset / kMel);
    const double eb[5] = {20, 150, 800, 4000, 20000};
    for (int b = 0; b < 4; ++b) {
      double acc = 0;
      for (int k = 0; k < nb; ++k) if (freq[k] >= eb[b] && freq[k] < eb[b + 1]) acc += pw[k];
      put(acc);
    }
    double contrast[kContrast], valley[kContrast];
    for (int b = 0; b < kContrast; ++b) {
      std::vector<double> band;
      for (int k = 0; k < nb; ++k) if (freq[k] >= kContrastEdges[b] && freq[k] < std::min(kContrastEdges[b + 1], nyq + 1)) band.push_back(mag[k]);
      contrast[b] = valley[b] = 0;
      if (band.empty()) continue;
      std::sort(band.begin(), band.end());
      const size_t q = std::max<size_t>(1, size_t(std::lround(0.02 * band.size())));
      double lo = 0, hi = 0;
      for (size_t i = 0; i < q; ++i) { lo += band[i]; hi += band[band.size() - 1 - i]; }
      lo /= q; hi /= q;
      valley[b] = std::log10(lo + 1e-10);
      contrast[b] = std::log10(hi + 1e-10) - valley[b];
    }
    for (int b = 0; b < kContrast; ++b) put(contrast[b]);
    for (int b = 0; b < kContrast; ++b) put(valley[b]);
    for (int b = 0; b < kBarkN; ++b) {
      double acc = 0;
      for (int k = 0; k < nb; ++k) if (freq[k] >= kBark[b] && freq[k] < kBark[b + 1]) acc += pw[k];
      put(acc);
    }
    for (int m = 0; m < kMel; ++m) put(mel_db[m]);
    for (int m = 0; m < kMel; ++m) mel_tmp[m] = float(mel_db[m]);
    std::vector<float> mf = mfcc_from_db_mel(mel_tmp, kMel, 1, kMfcc);
    for (int m = 0; m < kMfcc; ++m) put(mf[m]);
    double chroma[12] = {0};
    for (int k = 0; k < nb; ++k) for (auto& [pc, w] : hpcp_w[k]) chroma[pc] += w * pw[k];
    double cmax = *std::max_element(chroma, chroma + 12);
    for (int p = 0; p < 12; ++p) {
      chroma_sum[p] += chroma[p];
      put(cmax > 0 ? chroma[p] / cmax : 0.0);
    }
    AGF_CHECK(size_t(c) == n_series, Error, "descriptors: internal column count ", c, " != ", n_series);
    prev_mag = mag;
    prev_mel = mel_db;
  }
  fftwf_free(buf);
  fftwf_free(spec);

  std::vector<float> out(descriptor_names().size(), 0.f);
  for (size_t s = 0; s < n_series; ++s) summarise(S[s], &out[s * 9]);
  float* tr = &out[n_series * 9];
  const double duration = double(n) / sr;
  const size_t onset_idx = std::find(series_names.begin(), series_names.end(), "onset_strength") - series_names.begin();
  const size_t rms_idx = std::find(series_names.begin(), series_names.end(), "rms") - series_names.begin();
  std::vector<float> env(S[onset_idx].begin(), S[onset_idx].end());
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
  float chroma_mean[12];
  for (int p = 0; p < 12; ++p) chroma_mean[p] = float(chroma_sum[p] / frames);
  bool minor = false;
  float kstrength = 0, corr[24] = {0};
  const int tonic = estimate_key(chroma_mean, &minor, &kstrength, corr);
  double ey = 0;
  for (float v : y) ey += double(v) * v;
  double ld_m = 0, ld_s = 0;
  for (int t = 0; t < frames; ++t) ld_m += 10.0 * std::log10(S[rms_idx][t] * S[rms_idx][t] + 1e-12);
  ld_m /= frames;
  for (int t = 0; t < frames; ++t) {
    const double d = 10.0 * std::log10(S[rms_idx][t] * S[rms_idx][t] + 1e-12) - ld_m;
    ld_s += d * d;
  }
  int c = 0;
  tr[c++] = float(duration);
  tr[c++] = bpm;
  tr[c++] = conf;
  tr[c++] = float(onsets / duration);
  for (int k = 0; k < 12; ++k) tr[c++] = k == tonic ? 1.f : 0.f;
  tr[c++] = minor ? 0.f : 1.f;
  tr[c++] = minor ? 1.f : 0.f;
  tr[c++] = kstrength;
  tr[c++] = float(10.0 * std::log10(ey / n + 1e-12));
  tr[c++] = float(std::sqrt(ld_s / frames));
  for (int k = 0; k < 24; ++k) tr[c++] = corr[k];
  for (float& v : out) if (!std::isfinite(v)) v = 0.f;
  return out;
}

}  // namespace agf
