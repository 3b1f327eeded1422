// Transfer (see transfer.h): the tracks and windows, the nets' features (feature_cache.h), the MLP
// (mlp_train.h), per-track evaluation, and the self-contained model folder.
#include "agf/train/transfer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>

#include "agf/data/csv.h"
#include "agf/data/fma.h"
#include "agf/train/feature_cache.h"
#include "agf/train/features.h"
#include "agf/train/mlp_train.h"
#include "agf/train/rng.h"
#include "util/fs.h"

namespace agf {

namespace {

// Per-track metrics of MLP window probabilities.
EvalResult evaluate_windows(const std::vector<float>& window_probs, const std::vector<int>& track_of_window,
                            const std::vector<int64_t>& track_ids, const std::vector<int>& labels,
                            const std::vector<int>& train_labels, int K) {
  EvalResult r;
  const int n = int(track_ids.size());
  r.track_ids = track_ids;
  r.labels = labels;
  r.windows = int(track_of_window.size());
  r.probs.assign(size_t(n) * size_t(K), 0.f);
  average_per_track(r.probs.data(), window_probs.data(), track_of_window, n, K);
  r.metrics = evaluate_predictions(labels, r.probs.data(), n, K);
  r.ece = reliability(labels, r.probs.data(), n, K).ece;
  r.baseline = evaluate_majority_baseline(fit_majority_baseline(train_labels, K), labels);
  return r;
}

// The evaluation of a model at temperature T: raw (T = 1, the device softmax as uncalibrated models) and,
// when T != 1, calibrated (softmax(logits / T)) as the result with the raw one beside it.
EvalResult evaluate_model(const Net& mlp, const Compute& comp, const std::vector<float>& x, int64_t D,
                          const std::vector<int>& track_of_window, const std::vector<int64_t>& track_ids,
                          const std::vector<int>& labels, const std::vector<int>& train_labels, int K, double T) {
  const int64_t nw = int64_t(track_of_window.size());
  EvalResult raw = evaluate_windows(mlp_probs(mlp, comp, x, nw, D, kMlpInferenceBatch), track_of_window, track_ids,
                                    labels, train_labels, K);
  if (T == 1.0) return raw;
  EvalResult r = evaluate_windows(mlp_probs(mlp, comp, x, nw, D, kMlpInferenceBatch, T), track_of_window, track_ids,
                                  labels, train_labels, K);
  r.calibrated = true;
  r.temperature = T;
  r.raw = raw.metrics;
  r.ece_raw = raw.ece;
  r.raw_probs = std::move(raw.probs);
  return r;
}

// --calibrate's held-out tracks: per genre, a seeded shuffle of its training tracks, the first
// max(1, round(fraction * n)) of them when the genre has at least two (never all of them).
std::vector<int64_t> calibration_tracks(const std::vector<int64_t>& train, const std::vector<int>& genre,
                                        double fraction, uint64_t seed) {
  std::vector<int64_t> out;
  for (int g = 0; g < kNumTopGenres; ++g) {
    std::vector<int64_t> t;
    for (int64_t i : train)
      if (genre[size_t(i)] == g) t.push_back(i);
    if (t.size() < 2) continue;
    shuffle_philox(t, derive_seed(seed, Stream::Calibrate, uint64_t(g)));
    const size_t m = std::min(t.size() - 1, std::max<size_t>(1, size_t(std::lround(fraction * double(t.size())))));
    out.insert(out.end(), t.begin(), t.begin() + long(m));
  }
  std::sort(out.begin(), out.end());
  return out;
}

void check_options(const TransferOptions& o) {
  AGF_CHECK(!o.nets.empty(), UsageError, "transfer: no source nets (--nets RUN[,RUN...])");
  AGF_CHECK(!o.out_dir.empty(), UsageError, "transfer: --out is required");
  AGF_CHECK(o.epochs >= 1 && o.batch >= 2 && o.train_hop >= 1 && o.eval_hop >= 1, UsageError,
            "transfer: --epochs, --batch (>= 2), --train-hop and --eval-hop must be positive");
  AGF_CHECK(o.mlp_epoch == "crops" || o.mlp_epoch == "windows", UsageError,
            "transfer: --mlp-epoch must be crops or windows, got '", o.mlp_epoch, "'");
  AGF_CHECK(!o.calibrate || (o.calibrate_fraction > 0 && o.calibrate_fraction < 1), UsageError,
            "transfer: --calibrate-fraction must be in (0, 1), got ", o.calibrate_fraction);
}

// The tracks (store indices with a genre label) and windows of a transfer.
struct TransferData {
  std::vector<int64_t> train, valid, held_out;  // held_out: --calibrate's, taken out of train
  std::vector<int> train_labels;  // every labelled training track (the baseline's priors), held out or not
  std::vector<int> valid_labels, held_out_labels;
  std::vector<Window> train_windows;  // --mlp-epoch windows: the training windows (crops: drawn per epoch)
  std::vector<Window> valid_windows, held_out_windows;  // at the evaluation's hop
  std::vector<int> train_track_of_window, valid_track_of_window, held_out_track_of_window;
  std::vector<int64_t> valid_centre;  // per validation track: its window nearest the track's centre
};

TransferData transfer_data(const WorkData& work, const TransferOptions& o) {
  const int frames = o.frames;
  auto labelled = [&](const std::vector<int64_t>& tracks) {
    std::vector<int64_t> out;
    for (int64_t i : tracks)
      if (work.genre[size_t(i)] >= 0) out.push_back(i);
    return out;
  };
  TransferData d;
  d.train = labelled(work.train);
  d.valid = labelled(work.valid);
  AGF_CHECK(!d.train.empty() && !d.valid.empty(), FormatError, "transfer: ", o.work_dir, " has ", d.train.size(),
            " labelled training and ", d.valid.size(), " labelled validation tracks; both must be non-empty");
  for (int64_t i : d.train) d.train_labels.push_back(work.genre[size_t(i)]);
  // --calibrate: the held-out training tracks leave the MLP's training set.
  if (o.calibrate) d.held_out = calibration_tracks(d.train, work.genre, o.calibrate_fraction, o.seed);
  AGF_CHECK(!o.calibrate || !d.held_out.empty(), UsageError,
            "transfer: --calibrate needs a genre with at least two "
            "labelled training tracks in ",
            o.work_dir, " to hold out");
  if (!d.held_out.empty()) {
    std::vector<int64_t> rest;
    std::set_difference(d.train.begin(), d.train.end(), d.held_out.begin(), d.held_out.end(), std::back_inserter(rest));
    d.train = rest;
  }
  for (int64_t i : d.held_out) d.held_out_labels.push_back(work.genre[size_t(i)]);
  d.held_out_windows = track_windows(work.store, d.held_out, frames, o.eval_hop, &d.held_out_track_of_window);
  if (o.mlp_epoch == "windows")
    d.train_windows = track_windows(work.store, d.train, frames, o.train_hop, &d.train_track_of_window);
  d.valid_windows = track_windows(work.store, d.valid, frames, o.eval_hop, &d.valid_track_of_window);
  for (int64_t i : d.valid) d.valid_labels.push_back(work.genre[size_t(i)]);
  d.valid_centre.assign(d.valid.size(), -1);
  for (size_t j = 0; j < d.valid_windows.size(); ++j) {
    const Window& w = d.valid_windows[j];
    int64_t& centre = d.valid_centre[size_t(d.valid_track_of_window[j])];
    const int mid = std::max(0, (work.store.frames(w.track) - frames) / 2);
    if (centre < 0 || std::abs(w.start - mid) < std::abs(d.valid_windows[size_t(centre)].start - mid))
      centre = int64_t(j);
  }
  return d;
}

// The nets' features of the transfer's windows (rows concatenated over the nets): the MLP's training set
// (--mlp-epoch windows; crops are drawn per epoch by the MLP's loop), the validation and the held-out windows.
struct TransferFeatures {
  std::vector<float> valid, held_out;
};

TransferFeatures extract_features(const std::vector<SourceNet>& nets, const Compute& compute, const WorkData& work,
                                  const TransferData& data, const TransferOptions& o, MlpTrainingSet& set) {
  const bool windows = o.mlp_epoch == "windows", held_out = !data.held_out.empty();
  std::vector<WindowSet> sets;  // per net in this order, as the caches were always filled
  if (windows) sets.push_back({&data.train_windows, "train"});
  sets.push_back({&data.valid_windows, "valid"});
  if (held_out) sets.push_back({&data.held_out_windows, "calibration"});
  std::vector<std::vector<float>> rows =
      nets_features(nets, compute, work.store, sets, o.frames, o.quiet, o.cache_features);
  for (const SourceNet& net : nets) set.dims.push_back(net.feature_dim());
  for (int64_t d : set.dims) set.dim += d;
  size_t next = 0;
  if (windows) {
    set.train_features = std::move(rows[next++]);
    for (const Window& w : data.train_windows) set.train_labels.push_back(work.genre[size_t(w.track)]);
  } else {
    set.train_tracks = data.train;
  }
  TransferFeatures features;
  features.valid = std::move(rows[next++]);
  if (held_out) features.held_out = std::move(rows[next++]);
  const size_t dim = size_t(set.dim);
  set.valid_centre_features.resize(data.valid_centre.size() * dim);
  for (size_t k = 0; k < data.valid_centre.size(); ++k)
    std::memcpy(set.valid_centre_features.data() + k * dim, features.valid.data() + size_t(data.valid_centre[k]) * dim,
                sizeof(float) * dim);
  set.valid_labels = data.valid_labels;
  set.valid_windows = data.valid_windows.size();
  return features;
}

// --calibrate: T from the held-out training tracks' windows (the evaluation's hop and averaging) only.
TemperatureFit fit_held_out_temperature(const Net& mlp, const Compute& compute, const TransferData& data,
                                        const std::vector<float>& held_out_features, int64_t dim, bool quiet) {
  const std::vector<float> logits =
      mlp_logits(mlp, compute, held_out_features, int64_t(data.held_out_windows.size()), dim, kMlpInferenceBatch);
  const TemperatureFit fit =
      fit_temperature(logits, data.held_out_track_of_window, data.held_out_labels, kNumTopGenres);
  const size_t tracks = data.held_out.size();
  if (!fit.identified)
    std::fprintf(stderr,
                 "transfer: warning: on the %zu held-out training tracks the log loss keeps falling to T = %.3g, the "
                 "edge of the search (every held-out track right?): the temperature is not identifiable from them, "
                 "so T stays 1 (a larger --calibrate-fraction holds out more tracks)\n",
                 tracks, fit.edge_temperature);
  else if (!quiet)
    std::fprintf(stderr, "transfer: temperature %.4f fitted on %zu held-out training tracks (log loss %.4f -> %.4f)\n",
                 fit.temperature, tracks, fit.log_loss_raw, fit.log_loss);
  return fit;
}

// The validation tracks' evaluation at the fitted temperature, with how it was fitted (--calibrate).
EvalResult evaluate_validation(const Net& mlp, const Compute& compute, const WorkData& work, const TransferData& data,
                               const std::vector<float>& valid_features, int64_t dim, const TemperatureFit* fit) {
  std::vector<int64_t> valid_ids;
  for (int64_t i : data.valid) valid_ids.push_back(work.store.track_id(i));
  EvalResult eval = evaluate_model(mlp, compute, valid_features, dim, data.valid_track_of_window, valid_ids,
                                   data.valid_labels, data.train_labels, kNumTopGenres, fit ? fit->temperature : 1.0);
  if (fit) {
    eval.calibrated = true;  // also when the fit lands on T = 1 exactly
    if (fit->temperature == 1.0) {
      eval.raw = eval.metrics;
      eval.ece_raw = eval.ece;
      eval.raw_probs = eval.probs;
    }
    eval.held_out_tracks = int(data.held_out.size());
    eval.held_out_log_loss_raw = fit->log_loss_raw;
    eval.held_out_log_loss = fit->log_loss;
  }
  return eval;
}

// The self-contained model: OUT/nets/<i>.safetensors (copies of the source nets) and OUT/mlp.safetensors with
// everything `agf predict` needs in its metadata. Returns the MLP's path.
std::string write_model(const TransferOptions& o, const WorkData& work, const std::vector<SourceNet>& nets,
                        const std::vector<int64_t>& dims, const Net& mlp, const TemperatureFit* fit,
                        size_t held_out_tracks) {
  ensure_dir(o.out_dir + "/nets");
  nlohmann::json net_files = nlohmann::json::array();
  for (size_t k = 0; k < nets.size(); ++k) {
    const std::string rel = "nets/" + std::to_string(k) + ".safetensors";
    const std::string bytes = read_file_bytes(nets[k].model_path);
    write_file_atomic(o.out_dir + "/" + rel, bytes);
    net_files.push_back({{"file", rel}, {"source", nets[k].model_path}, {"name", nets[k].name}, {"dim", dims[k]}});
  }
  nlohmann::json transfer = {{"nets", net_files},        {"frames", o.frames},
                             {"eval_hop", o.eval_hop},   {"train_hop", o.train_hop},
                             {"mlp_epoch", o.mlp_epoch}, {"epochs", o.epochs},
                             {"seed", o.seed},           {"genres", top_genre_names()},
                             {"work_dir", o.work_dir},   {"float16", work.store.is_float16()}};
  if (fit) {
    transfer["temperature"] = fit->temperature;
    transfer["calibration"] = {{"fraction", o.calibrate_fraction},
                               {"held_out_tracks", held_out_tracks},
                               {"held_out_log_loss_raw", fit->log_loss_raw},
                               {"held_out_log_loss", fit->log_loss},
                               {"identified", fit->identified}};
  }
  const std::string path = transfer_model_path(o.out_dir);
  // The standardisation goes in the metadata (JSON numbers round-trip float32 exactly), so that the file's
  // tensors are exactly the MLP's state_dict.
  const nlohmann::json standardisation = {{"mean", work.store.mean()}, {"std", work.store.stdev()}};
  save_net(path, mlp,
           {{"mel_params", work.store.params_json()},
            {"transfer", transfer.dump()},
            {"mel_standardisation", standardisation.dump()}});
  return path;
}

// OUT/predictions.csv, for looking at the errors: per track, track_id, label, predicted, then one column per genre.
void write_predictions(const std::string& out_dir, const EvalResult& eval, const std::vector<int>& labels) {
  const std::vector<std::string> names = top_genre_names();
  const int genres = eval.metrics.k;
  std::vector<std::string> row = {"track_id", "label", "predicted"};
  row.insert(row.end(), names.begin(), names.begin() + genres);
  std::string csv = csv_row(row);
  for (size_t i = 0; i < eval.track_ids.size(); ++i) {
    const float* p = eval.probs.data() + i * size_t(genres);
    const int predicted = int(std::max_element(p, p + genres) - p);
    row = {str(eval.track_ids[i]), names[size_t(labels[i])], names[size_t(predicted)]};
    for (int k = 0; k < genres; ++k) row.push_back(str(p[k]));
    csv += csv_row(row);
  }
  write_file_atomic(out_dir + "/predictions.csv", csv);
}

// OUT/metrics.json and, for a calibrated model, OUT/reliability.svg.
void write_metrics(const std::string& out_dir, const EvalResult& eval, const std::string& model_path) {
  nlohmann::json metrics = eval_to_json(eval, "valid");
  metrics["model"] = model_path;
  write_file_atomic(out_dir + "/metrics.json", metrics.dump(1) + "\n");
  if (eval.calibrated)
    write_file_atomic(out_dir + "/reliability.svg",
                      eval_reliability_svg(eval, "reliability, validation tracks") + "\n");
}

}  // namespace

std::string transfer_model_path(const std::string& dir) { return dir + "/mlp.safetensors"; }

nlohmann::json eval_to_json(const EvalResult& r, const std::string& split) {
  std::vector<std::string> names = top_genre_names();
  names.resize(size_t(r.metrics.k));
  nlohmann::json j = {{"split", split},
                      {"tracks", r.track_ids.size()},
                      {"windows", r.windows},
                      {"metrics", metrics_to_json(r.metrics, names)},
                      {"baseline", metrics_to_json(r.baseline, names)}};
  j["ece"] = r.ece;
  j["reliability"] = reliability_to_json(reliability(r.labels, r.probs.data(), int(r.labels.size()), r.metrics.k));
  if (r.calibrated) {
    nlohmann::json c = {{"temperature", r.temperature},
                        {"log_loss_raw", r.raw.log_loss},
                        {"log_loss", r.metrics.log_loss},
                        {"ece_raw", r.ece_raw},
                        {"ece", r.ece},
                        {"macro_f1_raw", r.raw.macro_f1},
                        {"accuracy_raw", r.raw.accuracy},
                        {"reliability_raw", reliability_to_json(reliability(r.labels, r.raw_probs.data(),
                                                                            int(r.labels.size()), r.metrics.k))}};
    if (r.held_out_tracks) {
      c["held_out_tracks"] = r.held_out_tracks;
      c["held_out_log_loss_raw"] = r.held_out_log_loss_raw;
      c["held_out_log_loss"] = r.held_out_log_loss;
    }
    j["calibration"] = c;
  }
  return j;
}

std::string eval_reliability_svg(const EvalResult& r, const std::string& title) {
  const int n = int(r.labels.size()), k = r.metrics.k;
  std::vector<std::pair<std::string, Reliability>> curves;
  if (r.calibrated) curves.push_back({"raw (T = 1)", reliability(r.labels, r.raw_probs.data(), n, k)});
  curves.push_back(
      {r.calibrated ? str("calibrated (T = ", std::round(r.temperature * 1000) / 1000, ")") : std::string("model"),
       reliability(r.labels, r.probs.data(), n, k)});
  return reliability_svg(curves, title);
}

TransferResult run_transfer(const TransferOptions& o) {
  check_options(o);
  const auto t0 = std::chrono::steady_clock::now();
  Compute compute = open_compute(o.device, true, "transfer");
  std::vector<SourceNet> nets;
  for (const std::string& path : o.nets) nets.push_back(load_source_net(path, compute));
  WorkData work = load_work(o.work_dir, "g");
  for (const SourceNet& net : nets)
    AGF_CHECK(net.mel_params == work.store.params_json(), UsageError, "transfer: ", net.model_path,
              " was trained on mels with other feature parameters than ", melstore_path(o.work_dir));
  const TransferData data = transfer_data(work, o);
  MlpTrainingSet set;
  const TransferFeatures features = extract_features(nets, compute, work, data, o, set);
  const TrainedMlp trained = train_mlp(o, compute, work, nets, set);

  TransferResult result;
  TemperatureFit fit;
  const bool calibrated = !data.held_out.empty();
  if (calibrated) fit = fit_held_out_temperature(*trained.mlp, compute, data, features.held_out, set.dim, o.quiet);
  result.eval =
      evaluate_validation(*trained.mlp, compute, work, data, features.valid, set.dim, calibrated ? &fit : nullptr);
  result.model_path =
      write_model(o, work, nets, set.dims, *trained.mlp, calibrated ? &fit : nullptr, data.held_out.size());
  write_predictions(o.out_dir, result.eval, data.valid_labels);
  write_metrics(o.out_dir, result.eval, result.model_path);
  const std::string checkpoint_path = o.out_dir + "/checkpoint.safetensors";
  if (std::filesystem::exists(checkpoint_path))
    std::filesystem::remove(checkpoint_path);  // finished: nothing to resume
  result.epochs = o.epochs;
  result.feature_dim = int(set.dim);
  result.train_windows = trained.samples_per_epoch;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

EvalResult run_evaluate(const EvaluateOptions& o) {
  AGF_CHECK(o.split == "valid" || o.split == "train" || o.split == "test", UsageError,
            "evaluate: --split must be valid, train or test");
  Compute comp = open_compute(o.device, true, "evaluate");
  TransferModel tm = load_transfer_model(o.model_dir, comp);
  WorkData w = load_work(o.work_dir, "g");
  AGF_CHECK(tm.mel_params == w.store.params_json(), UsageError, "evaluate: ", tm.path,
            " expects mels with other feature parameters than ", melstore_path(o.work_dir));
  const int hop = o.hop > 0 ? o.hop : tm.eval_hop;
  std::vector<int64_t> tracks;
  const std::vector<int64_t>& src = o.split == "valid"   ? w.valid
                                    : o.split == "train" ? w.train
                                                         : std::vector<int64_t>{};
  std::vector<int64_t> test_idx;
  if (o.split == "test")
    for (int64_t id : w.split.test) {
      const int64_t i = w.store.index_of(id);
      if (i >= 0) test_idx.push_back(i);
    }
  for (int64_t i : o.split == "test" ? test_idx : src)
    if (w.genre[size_t(i)] >= 0) tracks.push_back(i);
  AGF_CHECK(!tracks.empty(), UsageError, "evaluate: the ", o.split, " split of ", o.work_dir, " has no labelled track");
  std::vector<int> wt;
  const std::vector<Window> win = track_windows(w.store, tracks, tm.frames, hop, &wt);
  // Standardise with the model's statistics, not the store's (they agree when it is the same store).
  std::vector<float> feats = transfer_features(
      tm, comp, int64_t(win.size()),
      [&](int64_t i0, int n, float* x) {
    const size_t per = size_t(w.store.n_mels()) * size_t(tm.frames);
    std::vector<float> fm(per);
    for (int i = 0; i < n; ++i) {
      const Window& q = win[size_t(i0 + i)];
      w.store.raw_frames(q.track, q.start, tm.frames, fm.data());
      standardise_frames(tm, fm.data(), tm.frames, x + size_t(i) * per);
    }
      },
      o.quiet);
  std::vector<int> labels, train_labels;
  std::vector<int64_t> ids;
  for (int64_t i : tracks) {
    labels.push_back(w.genre[size_t(i)]);
    ids.push_back(w.store.track_id(i));
  }
  for (int64_t i : w.train)
    if (w.genre[size_t(i)] >= 0) train_labels.push_back(w.genre[size_t(i)]);
  return evaluate_model(*tm.mlp, comp, feats, tm.feature_dim, wt, ids, labels, train_labels, tm.genres, tm.temperature);
}

}  // namespace agf
