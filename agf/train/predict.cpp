// agf predict (see predict.h).
#include "agf/train/predict.h"

#include <algorithm>
#include <numeric>

#include "agf/audio/decode.h"
#include "agf/audio/mel.h"
#include "agf/train/metrics.h"

namespace agf {

Prediction predict_file(const TransferModel& m, const Compute& c, const std::string& path, int hop) {
  AGF_CHECK(hop >= 1, UsageError, "predict: --hop must be >= 1");
  Prediction p;
  p.path = path;
  const std::vector<float> y = load_audio(path, m.mel.sr);
  p.seconds = double(y.size()) / m.mel.sr;
  std::vector<float> fm;
  const int frames = mel_spectrogram_frames(y.data(), int64_t(y.size()), m.mel, &fm);
  AGF_CHECK(frames >= m.frames, UsageError, path, ": ", frames, " frames (", p.seconds, " s); one window needs ",
            m.frames, " frames (", double(m.frames) * m.mel.hop_length / m.mel.sr, " s)");
  std::vector<int> starts;
  for (int s = 0; s + m.frames <= frames; s += hop) starts.push_back(s);
  p.windows = int(starts.size());
  const int M = m.mel.n_mels;
  const size_t per = size_t(M) * size_t(m.frames);
  std::vector<float> feats = transfer_features(
      m, c, int64_t(starts.size()),
      [&](int64_t i0, int n, float* x) {
        for (int i = 0; i < n; ++i)
          standardise_frames(m, fm.data() + size_t(starts[size_t(i0 + i)]) * size_t(M), m.frames, x + size_t(i) * per);
      },
      true);
  std::vector<float> wp = mlp_probs(*m.mlp, c, feats, int64_t(starts.size()), m.feature_dim, 256);
  p.probs.assign(size_t(m.genres), 0.f);
  std::vector<int> one(starts.size(), 0);
  average_per_track(p.probs.data(), wp.data(), one, 1, m.genres);
  return p;
}

std::vector<std::pair<int, float>> top_k(const std::vector<float>& probs, int k) {
  std::vector<int> idx(probs.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return probs[size_t(a)] > probs[size_t(b)]; });
  std::vector<std::pair<int, float>> out;
  for (int i = 0; i < std::min<int>(k, int(idx.size())); ++i) out.push_back({idx[size_t(i)], probs[size_t(idx[size_t(i)])]});
  return out;
}

}  // namespace agf
