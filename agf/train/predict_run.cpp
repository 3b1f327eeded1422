// agf predict at library scale: output files with resume, stdout lines (see predict.h).
#include <cstdio>
#include <memory>

#include "agf/train/library.h"
#include "agf/train/predict.h"
#include "agf/train/rowfile.h"

namespace agf {

namespace {
std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.9g", v);
  return b;
}
}  // namespace

LibrarySummary run_predict(const PredictOptions& o, std::FILE* out) {
  Compute comp = open_compute(o.device, true, "predict");
  const TransferModel m = load_transfer_model(o.model_dir, comp);
  const std::vector<std::string> all = collect_audio_files(o.paths);
  AGF_CHECK(!all.empty(), UsageError, "predict: no audio files under the given paths");
  const int K = m.genres;

  // Output files, opened (and their resume keys read) before any work.
  std::vector<std::string> header = {"path", "status", "top_genre", "windows", "seconds"};
  for (int k = 0; k < K; ++k) header.push_back(m.genre_names[size_t(k)]);
  header.push_back("reason");
  std::unique_ptr<RowFile> csv_out, json_out, sub_out;
  if (!o.csv.empty()) csv_out = std::make_unique<RowFile>(o.csv, RowFile::Kind::Csv, header, "path", o.resume);
  if (!o.jsonl.empty())
    json_out = std::make_unique<RowFile>(o.jsonl, RowFile::Kind::Jsonl, std::vector<std::string>{}, "path", o.resume);
  std::vector<int> sub_cols;
  if (!o.submission.empty()) {
    sub_cols = submission_columns(m.genre_names, K);
    std::vector<std::string> sh = {"file_id"};
    for (const std::string& g : www2018_genres()) sh.push_back(g);
    sub_out = std::make_unique<RowFile>(o.submission, RowFile::Kind::Csv, sh, "file_id", o.resume);
  }
  const bool to_files = csv_out || json_out || sub_out;
  std::vector<std::string> todo;
  for (const std::string& f : all) {
    const bool done = (!csv_out || csv_out->has(f)) && (!json_out || json_out->has(f)) &&
                      (!sub_out || sub_out->has(submission_file_id(f)));
    if (!(to_files && o.resume && done)) todo.push_back(f);
  }
  const size_t skipped = all.size() - todo.size();
  if (skipped)
    std::fprintf(stderr, "agf predict: %zu of %zu tracks already written; %zu to do\n", skipped, all.size(),
                 todo.size());

  LibraryOptions lo;
  lo.hop = o.hop;
  lo.threads = o.threads;
  lo.batch = o.batch;
  lo.quiet = o.quiet || !to_files;
  LibrarySummary s = run_library(m, comp, todo, lo, [&](const TrackResult& r) {
    const DecodedTrack& t = r.track;
    const bool ok = t.status == TrackStatus::Ok;
    if (!ok)
      std::fprintf(stderr, "agf predict: %s %s: %s\n", track_status_name(t.status), t.path.c_str(), t.reason.c_str());
    const int best = ok ? top_k(r.probs, 1)[0].first : -1;
    const std::string top_name = ok ? m.genre_names[size_t(best)] : std::string();
    if (csv_out && !csv_out->has(t.path)) {
      std::vector<std::string> row = {t.path, track_status_name(t.status), top_name,
                                      std::to_string(t.starts.size() * (ok ? 1 : 0)), num(t.seconds)};
      for (int k = 0; k < K; ++k) row.push_back(ok ? num(r.probs[size_t(k)]) : std::string());
      row.push_back(t.reason);
      csv_out->write_csv(row);
    }
    if (json_out && !json_out->has(t.path)) {
      nlohmann::json j = {{"path", t.path}, {"status", track_status_name(t.status)}, {"seconds", t.seconds}};
      if (ok) {
        j["top_genre"] = top_name;
        j["windows"] = t.starts.size();
        nlohmann::json p = nlohmann::json::object();
        for (int k = 0; k < K; ++k) p[m.genre_names[size_t(k)]] = r.probs[size_t(k)];
        j["probabilities"] = p;
      } else {
        j["reason"] = t.reason;
      }
      json_out->write_json(j);
    }
    const std::string id = submission_file_id(t.path);
    if (sub_out && ok && !sub_out->has(id)) {
      std::vector<std::string> row = {id};
      for (int col : sub_cols) row.push_back(num(r.probs[size_t(col)]));
      sub_out->write_csv(row);
    }
    if (to_files || !ok) return;
    const auto best_k = top_k(r.probs, o.top);
    if (o.json) {
      nlohmann::json j = {{"file", t.path}, {"seconds", t.seconds}, {"windows", t.starts.size()}};
      nlohmann::json tj = nlohmann::json::array();
      for (const auto& [g, pr] : best_k) tj.push_back({{"genre", m.genre_names[size_t(g)]}, {"probability", pr}});
      j["top"] = tj;
      std::fprintf(out, "%s\n", j.dump().c_str());
    } else {
      std::fprintf(out, "%s", t.path.c_str());
      for (const auto& [g, pr] : best_k) std::fprintf(out, "  %s %.3f", m.genre_names[size_t(g)].c_str(), pr);
      std::fprintf(out, "\n");
    }
    std::fflush(out);
  });
  s.resumed = int64_t(skipped);
  if (s.failed || to_files) {
    std::string by;
    for (int k = 1; k < 5; ++k)
      if (s.by_status[k]) by += str(", ", s.by_status[k], " ", track_status_name(TrackStatus(k)));
    std::fprintf(stderr, "agf predict: %lld of %lld tracks predicted%s%s (%.2f tracks/s)\n", (long long)s.ok,
                 (long long)s.tracks, by.c_str(),
                 sub_out && s.failed ? "; those not predicted are not in the submission" : "",
                 s.seconds > 0 ? double(s.tracks) / s.seconds : 0.0);
  }
  return s;
}

}  // namespace agf
