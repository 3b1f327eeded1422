// Library-scale prediction and embedding (see library.h). Decode workers run ahead of the nets by a
// bounded window of tracks; the calling thread gathers whole tracks until a batch of windows is full,
// runs the nets and the MLP once over that batch, and hands results out in input order.
#include "agf/train/library.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include "agf/audio/decode.h"
#include "agf/audio/mel.h"
#include "util/half.h"
#include "util/progress.h"

namespace agf {

namespace fs = std::filesystem;

const std::vector<std::string>& audio_extensions() {
  static const std::vector<std::string> e = {"wav", "flac", "ogg", "oga", "mp3", "aif", "aiff", "au"};
  return e;
}

static bool has_audio_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  if (ext.empty()) return false;
  ext = ext.substr(1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
  const auto& e = audio_extensions();
  return std::find(e.begin(), e.end(), ext) != e.end();
}

std::vector<std::string> collect_audio_files(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
      AGF_CHECK(!ec, IOError, p, ": cannot list the folder: ", ec.message());
      for (; it != end; it.increment(ec)) {
        AGF_CHECK(!ec, IOError, p, ": cannot list the folder: ", ec.message());
        if (it->is_regular_file(ec) && has_audio_extension(it->path())) found.push_back(it->path().string());
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(p);  // a file as given; a missing one is reported as unreadable by decode_track
    }
  }
  return out;
}

const char* track_status_name(TrackStatus s) {
  switch (s) {
    case TrackStatus::Ok: return "ok";
    case TrackStatus::Unreadable: return "unreadable";
    case TrackStatus::Silent: return "silent";
    case TrackStatus::TooShort: return "too_short";
    case TrackStatus::NonFinite: return "non_finite";
  }
  return "?";
}

DecodedTrack decode_track(const TransferModel& m, const std::string& path, int hop) {
  DecodedTrack t;
  t.path = path;
  std::vector<float> y;
  try {
    AGF_CHECK(fs::exists(path), IOError, path, ": no such file");
    y = load_audio(path, m.mel.sr);
  } catch (const Error& e) {
    const std::string msg = e.what();
    t.status = msg.find("non-finite") != std::string::npos ? TrackStatus::NonFinite : TrackStatus::Unreadable;
    t.reason = msg;
    return t;
  }
  t.seconds = double(y.size()) / m.mel.sr;
  const double window_s = double(m.frames) * m.mel.hop_length / m.mel.sr;
  // Shorter than one window: no window to classify (a padded guess would look like a confident genre).
  // Frame count as the STFT gives it: centred, 1 + n / hop; else 1 + (n - n_fft) / hop when n >= n_fft.
  const int64_t ns = int64_t(y.size()), hl = m.mel.hop_length;
  const int64_t frames =
      m.mel.center ? (ns > 0 ? 1 + ns / hl : 0) : (ns >= m.mel.n_fft ? 1 + (ns - m.mel.n_fft) / hl : 0);
  if (frames < m.frames) {
    t.status = TrackStatus::TooShort;
    t.frames = int(frames);
    t.reason = str(frames, " mel frames (", t.seconds, " s); one window needs ", m.frames, " (", window_s, " s)");
    return t;
  }
  float peak = 0;
  for (float v : y) peak = std::max(peak, std::fabs(v));
  if (!(peak >= kSilencePeak)) {
    t.status = std::isfinite(peak) ? TrackStatus::Silent : TrackStatus::NonFinite;
    t.reason = std::isfinite(peak) ? str("peak amplitude ", peak, " is below -80 dBFS (", kSilencePeak, ")")
                                   : std::string("non-finite samples after resampling");
    return t;
  }
  std::vector<float> fm;
  try {
    t.frames = mel_spectrogram_frames(y.data(), int64_t(y.size()), m.mel, &fm);
  } catch (const Error& e) {
    t.status = TrackStatus::Unreadable;
    t.reason = e.what();
    return t;
  }
  if (t.frames < m.frames) {
    t.status = TrackStatus::TooShort;
    t.reason = str(t.frames, " mel frames (", t.seconds, " s); one window needs ", m.frames, " (", window_s, " s)");
    return t;
  }
  const int M = m.mel.n_mels;
  t.z.resize(fm.size());
  bool finite = true;
  for (int f = 0; f < t.frames; ++f)
    for (int b = 0; b < M; ++b) {
      // As standardise_frames and MelStore::segment: float16 rounding first, then (x - mean) * (1 / std).
      float x = fm[size_t(f) * M + b];
      if (m.float16) x = half_to_float(float_to_half(x));
      const float zv = (x - m.mean[size_t(b)]) * (1.f / m.stdev[size_t(b)]);
      finite = finite && std::isfinite(zv);
      t.z[size_t(f) * M + b] = zv;
    }
  if (!finite) {
    t.status = TrackStatus::NonFinite;
    t.reason = "non-finite mel spectrogram";
    t.z.clear();
    return t;
  }
  for (int s = 0; s + m.frames <= t.frames; s += hop) t.starts.push_back(s);
  return t;
}

namespace {

// Runs the nets and the MLP over every window of the ok tracks in `batch`, fills their results.
void infer_batch(const TransferModel& m, const Compute& c, std::vector<TrackResult>& batch, const LibraryOptions& o) {
  struct W {
    const DecodedTrack* t;
    int start;
  };
  std::vector<W> win;
  std::vector<int> track_of;
  for (size_t k = 0; k < batch.size(); ++k)
    if (batch[k].track.status == TrackStatus::Ok)
      for (int s : batch[k].track.starts) {
        win.push_back({&batch[k].track, s});
        track_of.push_back(int(k));
      }
  if (win.empty()) return;
  const int M = m.mel.n_mels, F = m.frames;
  const int64_t n = int64_t(win.size()), D = m.feature_dim;
  const std::vector<float> feats = transfer_features(
      m, c, n,
      [&](int64_t i0, int nb, float* x) {
    for (int i = 0; i < nb; ++i) {  // (frames, n_mels) -> (n_mels, frames)
      const W& w = win[size_t(i0 + i)];
      const float* src = w.t->z.data() + size_t(w.start) * M;
      float* dst = x + size_t(i) * size_t(M) * F;
      for (int f = 0; f < F; ++f)
        for (int b = 0; b < M; ++b) dst[size_t(b) * F + f] = src[size_t(f) * M + b];
    }
      },
      true);
  const std::vector<float> wp = mlp_probs(*m.mlp, c, feats, n, D, kMlpInferenceBatch, m.temperature);
  const int K = m.genres;
  for (TrackResult& r : batch)
    if (r.track.status == TrackStatus::Ok) {
      r.probs.assign(size_t(K), 0.f);
      if (o.mean_features) r.features.assign(size_t(D), 0.f);
    }
  std::vector<int> count(batch.size(), 0);
  // Sums in double per track, then the mean, as average_per_track.
  std::vector<std::vector<double>> psum(batch.size()), fsum(batch.size());
  for (int64_t j = 0; j < n; ++j) {
    const size_t k = size_t(track_of[size_t(j)]);
    TrackResult& r = batch[k];
    if (psum[k].empty()) psum[k].assign(size_t(K), 0.0);
    for (int g = 0; g < K; ++g) psum[k][size_t(g)] += wp[size_t(j) * K + g];
    if (o.mean_features) {
      if (fsum[k].empty()) fsum[k].assign(size_t(D), 0.0);
      for (int64_t d = 0; d < D; ++d) fsum[k][size_t(d)] += feats[size_t(j * D + d)];
    }
    if (o.window_features)
      r.window_features.insert(r.window_features.end(), feats.begin() + j * D, feats.begin() + (j + 1) * D);
    ++count[k];
  }
  for (size_t k = 0; k < batch.size(); ++k) {
    TrackResult& r = batch[k];
    if (r.track.status != TrackStatus::Ok) continue;
    bool finite = true;
    for (int g = 0; g < K; ++g) {
      r.probs[size_t(g)] = float(psum[k][size_t(g)] / count[k]);
      finite = finite && std::isfinite(r.probs[size_t(g)]);
    }
    if (o.mean_features)
      for (int64_t d = 0; d < D; ++d) r.features[size_t(d)] = float(fsum[k][size_t(d)] / count[k]);
    if (!finite) {
      r.track.status = TrackStatus::NonFinite;
      r.track.reason = "the model gave non-finite probabilities";
      r.probs.clear();
      r.features.clear();
      r.window_features.clear();
    }
  }
}

}  // namespace

LibrarySummary run_library(const TransferModel& m, const Compute& c, const std::vector<std::string>& files,
                           const LibraryOptions& o, const std::function<void(const TrackResult&)>& on_result) {
  const int hop = o.hop > 0 ? o.hop : m.eval_hop;
  AGF_CHECK(hop >= 1 && o.batch >= 1, UsageError, "predict: --hop and --batch must be >= 1");
  const auto t0 = std::chrono::steady_clock::now();
  LibrarySummary sum;
  const int64_t n = int64_t(files.size());
  sum.tracks = n;
  int threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  threads = int(std::max<int64_t>(1, std::min<int64_t>(threads, n)));
  // Decoded tracks wait in slot i % ahead; workers run at most `ahead` tracks in front of the consumer,
  // which bounds memory (a 30-s track's standardised mels are 0.66 MB).
  const int64_t ahead = std::max<int64_t>(2 * threads, 8);
  std::vector<DecodedTrack> slot(static_cast<size_t>(ahead));
  std::vector<char> ready(static_cast<size_t>(ahead), 0);
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<int64_t> next{0};
  int64_t consumed = 0;  // guarded by mu
  bool stop = false;     // guarded by mu
  auto worker = [&] {
    for (;;) {
      const int64_t i = next.fetch_add(1);
      if (i >= n) return;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stop || i < consumed + ahead; });
        if (stop) return;
      }
      DecodedTrack t = decode_track(m, files[size_t(i)], hop);
      std::lock_guard<std::mutex> lock(mu);
      slot[size_t(i % ahead)] = std::move(t);
      ready[size_t(i % ahead)] = 1;
      cv.notify_all();
    }
  };
  std::vector<std::thread> pool;
  for (int w = 0; w < threads; ++w) pool.emplace_back(worker);
  auto stop_pool = [&] {
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    cv.notify_all();
    for (auto& th : pool)
      if (th.joinable()) th.join();
  };
  Progress prog("predict", n, "tracks", o.quiet);
  try {
    std::vector<TrackResult> batch;
    int64_t batch_windows = 0;
    auto flush = [&] {
      infer_batch(m, c, batch, o);
      for (TrackResult& r : batch) {
        r.track.z.clear();
        r.track.z.shrink_to_fit();
        sum.by_status[int(r.track.status)]++;
        if (r.track.status == TrackStatus::Ok) {
          ++sum.ok;
          sum.windows += int64_t(r.track.starts.size());
        } else {
          ++sum.failed;
        }
        on_result(r);
        prog.add(1);
      }
      prog.set_note(str(sum.failed, " not predicted"));
      batch.clear();
      batch_windows = 0;
    };
    for (int64_t i = 0; i < n; ++i) {
      TrackResult r;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return ready[size_t(i % ahead)] != 0; });
        r.track = std::move(slot[size_t(i % ahead)]);
        ready[size_t(i % ahead)] = 0;
        ++consumed;
      }
      cv.notify_all();
      batch_windows += int64_t(r.track.starts.size());
      batch.push_back(std::move(r));
      // Flush when the batch is full, or when the pipeline would otherwise stall waiting for slots.
      if (batch_windows >= o.batch || int64_t(batch.size()) >= ahead / 2 || i + 1 == n) flush();
    }
  } catch (...) {
    stop_pool();
    throw;
  }
  stop_pool();
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  prog.finish(str(sum.ok, " of ", n, " tracks predicted, ", sum.failed, " not, ",
                  sum.seconds > 0 ? double(n) / sum.seconds : 0.0, " tracks/s"));
  return sum;
}

}  // namespace agf
