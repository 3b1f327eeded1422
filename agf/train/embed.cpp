// agf embed (see embed.h).
#include "agf/train/embed.h"

#include <cstdio>
#include <filesystem>

#include "agf/data/csv.h"
#include "util/fs.h"
#include "util/npy.h"

namespace agf {

namespace {

std::string format_of(const EmbedOptions& o) {
  if (!o.format.empty()) {
    AGF_CHECK(o.format == "safetensors" || o.format == "npy" || o.format == "csv", UsageError,
              "embed: --format must be safetensors, npy or csv, got '", o.format, "'");
    return o.format;
  }
  const std::string ext = std::filesystem::path(o.out).extension().string();
  if (ext == ".npy") return "npy";
  if (ext == ".csv") return "csv";
  if (ext == ".safetensors" || ext.empty()) return "safetensors";
  throw UsageError(
      str("embed: cannot tell the format from '", o.out, "': use .safetensors, .npy or .csv, or --format"));
}

std::string num(float v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.9g", double(v));
  return b;
}

}  // namespace

EmbedSummary run_embed(const EmbedOptions& o) {
  AGF_CHECK(!o.out.empty(), UsageError, "embed: --out is required");
  EmbedSummary es;
  es.format = format_of(o);
  Compute comp = open_compute(o.device, true, "embed");
  const TransferModel m = load_transfer_model(o.model_dir, comp);
  const std::vector<std::string> files = collect_audio_files(o.paths);
  AGF_CHECK(!files.empty(), UsageError, "embed: no audio files under the given paths");
  const int64_t D = m.feature_dim;
  es.dim = D;
  LibraryOptions lo;
  lo.hop = o.hop;
  lo.threads = o.threads;
  lo.batch = o.batch;
  lo.quiet = o.quiet;
  lo.mean_features = true;
  lo.window_features = o.windows;
  std::vector<std::string> paths;
  std::vector<float> mean, win;
  std::vector<int64_t> win_track, win_start;
  nlohmann::json skipped = nlohmann::json::array();
  const LibrarySummary s = run_library(m, comp, files, lo, [&](const TrackResult& r) {
    if (r.track.status != TrackStatus::Ok) {
      std::fprintf(stderr, "agf embed: %s %s: %s\n", track_status_name(r.track.status), r.track.path.c_str(),
                   r.track.reason.c_str());
      skipped.push_back(
          {{"path", r.track.path}, {"status", track_status_name(r.track.status)}, {"reason", r.track.reason}});
      return;
    }
    mean.insert(mean.end(), r.features.begin(), r.features.end());
    if (o.windows) {
      win.insert(win.end(), r.window_features.begin(), r.window_features.end());
      for (int st : r.track.starts) {
        win_track.push_back(int64_t(paths.size()));
        win_start.push_back(st);
      }
    }
    paths.push_back(r.track.path);
  });
  es.tracks = s.tracks;
  es.embedded = s.ok;
  es.failed = s.failed;
  es.windows = int64_t(win_track.size());
  const int64_t n = int64_t(paths.size());

  nlohmann::json nets = nlohmann::json::array();
  int64_t off = 0;
  for (size_t k = 0; k < m.nets.size(); ++k) {
    const int64_t d = m.nets[k].feature_dim();
    nets.push_back({{"index", k},
                    {"name", m.nets[k].name},
                    {"file", std::filesystem::path(m.nets[k].model_path).filename().string()},
                    {"dim", d},
                    {"offset", off}});
    off += d;
  }
  const int hop = o.hop > 0 ? o.hop : m.eval_hop;
  nlohmann::json meta = {{"format", "agf-embeddings-1"}, {"paths", paths},  {"nets", nets},
                         {"skipped", skipped},           {"model", m.path}, {"hop", hop},
                         {"frames", m.frames},           {"dim", D}};
  if (es.format == "safetensors") {
    std::vector<std::vector<float>> per(m.nets.size());
    std::vector<StView> t = {{"features", StDType::F32, {n, D}, mean.data(), mean.size() * 4}};
    for (size_t k = 0; k < m.nets.size(); ++k) {
      const int64_t d = nets[k]["dim"].get<int64_t>(), o0 = nets[k]["offset"].get<int64_t>();
      per[k].resize(size_t(n * d));
      for (int64_t i = 0; i < n; ++i)
        std::copy(mean.begin() + i * D + o0, mean.begin() + i * D + o0 + d, per[k].begin() + i * d);
      t.push_back({str("features.", k), StDType::F32, {n, d}, per[k].data(), per[k].size() * 4});
    }
    if (o.windows) {
      const int64_t W = es.windows;
      t.push_back({"window_features", StDType::F32, {W, D}, win.data(), win.size() * 4});
      t.push_back({"window_track", StDType::I64, {W}, win_track.data(), win_track.size() * 8});
      t.push_back({"window_start", StDType::I64, {W}, win_start.data(), win_start.size() * 8});
    }
    std::map<std::string, std::string> md;
    for (auto it = meta.begin(); it != meta.end(); ++it)
      md[it.key()] = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
    write_safetensors(o.out, t, md);
  } else if (es.format == "npy") {
    // .npy holds one array (numpy refuses extra header keys): the per-window features with --windows,
    // else the per-track means; paths, nets and window rows go in OUT.json beside it.
    if (o.windows) {
      write_npy(o.out, win.data(), {es.windows, D});
      meta["window_track"] = win_track;
      meta["window_start"] = win_start;
      meta["array"] = "window_features";
    } else {
      write_npy(o.out, mean.data(), {n, D});
      meta["array"] = "features";
    }
    write_file_atomic(o.out + ".json", meta.dump(1) + "\n");
  } else {
    // CSV: path[, window_start], then <net name>.<j> per feature column (net names from the model).
    std::vector<std::string> header = {"path"};
    if (o.windows) header.push_back("window_start");
    for (size_t k = 0; k < m.nets.size(); ++k)
      for (int64_t j = 0; j < nets[k]["dim"].get<int64_t>(); ++j) header.push_back(str(m.nets[k].name, ".", j));
    std::string text = csv_row(header);
    const int64_t rows = o.windows ? es.windows : n;
    const std::vector<float>& x = o.windows ? win : mean;
    for (int64_t i = 0; i < rows; ++i) {
      std::vector<std::string> row = {paths[size_t(o.windows ? win_track[size_t(i)] : i)]};
      if (o.windows) row.push_back(std::to_string(win_start[size_t(i)]));
      for (int64_t d = 0; d < D; ++d) row.push_back(num(x[size_t(i * D + d)]));
      text += csv_row(row);
    }
    write_file_atomic(o.out, text);
  }
  return es;
}

}  // namespace agf
