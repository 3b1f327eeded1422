// agf predict (see predict.h).
#include "agf/train/predict.h"

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "agf/train/library.h"

namespace agf {

Prediction predict_file(const TransferModel& m, const Compute& c, const std::string& path, int hop) {
  AGF_CHECK(hop >= 1, UsageError, "predict: --hop must be >= 1");
  LibraryOptions o;
  o.hop = hop;
  o.threads = 1;
  o.quiet = true;
  Prediction p;
  p.path = path;
  run_library(m, c, {path}, o, [&](const TrackResult& r) {
    const DecodedTrack& t = r.track;
    switch (t.status) {
      case TrackStatus::Ok: break;
      case TrackStatus::Unreadable: throw IOError(t.reason);
      case TrackStatus::TooShort: throw UsageError(str(path, ": ", t.reason));
      default: throw FormatError(str(path, ": ", track_status_name(t.status), ": ", t.reason));
    }
    p.probs = r.probs;
    p.windows = int(t.starts.size());
    p.seconds = t.seconds;
  });
  return p;
}

const std::vector<std::string>& www2018_genres() {
  static const std::vector<std::string> g = {"Blues",        "Classical",     "Country",  "Easy Listening",
                                             "Electronic",   "Experimental",  "Folk",     "Hip-Hop",
                                             "Instrumental", "International", "Jazz",     "Old-Time / Historic",
                                             "Pop",          "Rock",          "Soul-RnB", "Spoken"};
  return g;
}

std::vector<int> submission_columns(const std::vector<std::string>& names, int outputs) {
  std::vector<int> cols;
  for (const std::string& g : www2018_genres()) {
    const auto it = std::find(names.begin(), names.begin() + std::min<size_t>(names.size(), size_t(outputs)), g);
    AGF_CHECK(it != names.begin() + std::min<size_t>(names.size(), size_t(outputs)), UsageError,
              "--submission: the model has no output for the challenge genre '", g, "' (its genres: ", outputs,
              " outputs)");
    cols.push_back(int(it - names.begin()));
  }
  return cols;
}

std::string submission_file_id(const std::string& path) { return std::filesystem::path(path).stem().string(); }

std::vector<std::pair<int, float>> top_k(const std::vector<float>& probs, int k) {
  std::vector<int> idx(probs.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return probs[size_t(a)] > probs[size_t(b)]; });
  std::vector<std::pair<int, float>> out;
  for (int i = 0; i < std::min<int>(k, int(idx.size())); ++i)
    out.push_back({idx[size_t(i)], probs[size_t(idx[size_t(i)])]});
  return out;
}

}  // namespace agf
