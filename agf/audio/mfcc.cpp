// MFCC and delta-MFCC; see mfcc.h. DCT-II orthonormal: X_k = s_k sum_n x_n cos(pi k (2n+1) / 2N),
// s_0 = sqrt(1/N), s_k = sqrt(2/N) (scipy.fft.dct norm="ortho").
#include "agf/audio/mfcc.h"

#include <cmath>

#include "agf/audio/mel.h"
#include "util/error.h"

namespace agf {

std::vector<float> mfcc_from_db_mel(const std::vector<float>& s, int n_mels, int n_frames, int n_mfcc) {
  AGF_CHECK(size_t(n_mels) * n_frames == s.size(), ShapeError, "mfcc: mel of ", s.size(), " values is not (", n_mels,
            ", ", n_frames, ")");
  AGF_CHECK(n_mfcc >= 1 && n_mfcc <= n_mels, UsageError, "mfcc: n_mfcc ", n_mfcc, " must be in [1, n_mels=", n_mels,
            "]");
  std::vector<double> basis(size_t(n_mfcc) * n_mels);
  for (int k = 0; k < n_mfcc; ++k) {
    const double sk = std::sqrt((k == 0 ? 1.0 : 2.0) / n_mels);
    for (int n = 0; n < n_mels; ++n)
      basis[size_t(k) * n_mels + n] = sk * std::cos(M_PI * k * (2 * n + 1) / (2.0 * n_mels));
  }
  std::vector<float> out(size_t(n_mfcc) * n_frames);
  for (int t = 0; t < n_frames; ++t)
    for (int k = 0; k < n_mfcc; ++k) {
      double acc = 0;
      for (int n = 0; n < n_mels; ++n) acc += basis[size_t(k) * n_mels + n] * s[size_t(n) * n_frames + t];
      out[size_t(k) * n_frames + t] = float(acc);
    }
  return out;
}

std::vector<float> mfcc(const std::vector<float>& y, const MfccParams& p, int* n_frames) {
  MelParams mp;
  mp.sr = p.sr;
  mp.n_fft = p.n_fft;
  mp.hop_length = p.hop_length;
  mp.n_mels = p.n_mels;
  mp.fmin = 0;
  mp.fmax = p.sr / 2.0;
  mp.power = 2.0;
  mp.to_db = true;  // power_to_db(ref=1, amin=1e-10, top_db=80), librosa.feature.mfcc's defaults
  mp.ref = 1.0;
  mp.amin = 1e-10;
  mp.top_db = 80;
  int frames = 0;
  std::vector<float> db = mel_spectrogram(y, mp, &frames);
  if (n_frames) *n_frames = frames;
  return mfcc_from_db_mel(db, p.n_mels, frames, p.n_mfcc);
}

std::vector<float> delta_mfcc(const std::vector<float>& m, int n_mfcc, int n_frames) {
  AGF_CHECK(size_t(n_mfcc) * n_frames == m.size(), ShapeError, "delta_mfcc: ", m.size(), " values is not (", n_mfcc,
            ", ", n_frames, ")");
  if (n_frames < 2) return {};
  std::vector<float> d(size_t(n_mfcc) * (n_frames - 1));
  for (int c = 0; c < n_mfcc; ++c)
    for (int t = 0; t + 1 < n_frames; ++t)
      d[size_t(c) * (n_frames - 1) + t] = m[size_t(c) * n_frames + t + 1] - m[size_t(c) * n_frames + t];
  return d;
}

}  // namespace agf
