// Transfer: features, the MLP, per-track evaluation (see transfer.h).
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
#include "agf/train/features.h"
#include "agf/train/jsonl.h"
#include "agf/train/rng.h"
#include "agf/util/fs.h"
#include "agf/util/interrupt.h"
#include "agf/util/progress.h"
#include "layers/step.h"

namespace agf {

namespace {

std::string hex64(uint64_t v) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

uint64_t store_fingerprint(const MelStore& s) {
  uint64_t h = fnv1a64(s.params_json());
  h = fnv1a64(s.mean().data(), s.mean().size() * sizeof(float), h);
  h = fnv1a64(s.stdev().data(), s.stdev().size() * sizeof(float), h);
  for (int64_t i = 0; i < s.num_tracks(); ++i) {
    const int64_t v[2] = {s.track_id(i), s.frames(i)};
    h = fnv1a64(v, sizeof v, h);
  }
  return h;
}

uint64_t windows_fingerprint(const std::vector<Window>& w, int frames) {
  uint64_t h = fnv1a64(&frames, sizeof frames);
  for (const Window& x : w) {
    const int64_t v[2] = {x.track, x.start};
    h = fnv1a64(v, sizeof v, h);
  }
  return h;
}

// Features of one source net for windows of the store, cached in the net's run folder.
std::vector<float> cached_features(const SourceNet& sn, const Compute& comp, const MelStore& store,
                                   const std::vector<Window>& win, int frames, const std::string& what, bool quiet,
                                   bool cache) {
  const uint64_t key = fnv1a64(&sn.fingerprint, sizeof sn.fingerprint, store_fingerprint(store)) ^
                       windows_fingerprint(win, frames);
  const std::string dir = sn.run_dir + "/features";
  const std::string path = dir + "/" + hex64(key) + ".safetensors";
  const int64_t dim = sn.feature_dim();
  if (cache && std::filesystem::exists(path)) {
    try {
      SafetensorsFile f = SafetensorsFile::open(path);
      StView v = f.get("features");
      if (v.dtype == StDType::F32 && v.shape.size() == 2 && v.shape[0] == int64_t(win.size()) && v.shape[1] == dim) {
        std::vector<float> out(size_t(v.shape[0] * v.shape[1]));
        std::memcpy(out.data(), v.data, v.nbytes);
        return out;
      }
    } catch (const Error& e) {
      std::fprintf(stderr, "transfer: feature cache %s unusable (%s); recomputing\n", path.c_str(), e.what());
    }
  }
  const int M = store.n_mels();
  Progress prog(str("features ", sn.name, " (", what, ")"), int64_t(win.size()), "windows", quiet);
  std::vector<float> out = net_features(
      sn, comp, int64_t(win.size()), M, frames,
      [&](int64_t i0, int n, float* x) { fill_windows(store, win.data() + i0, n, frames, x); }, &prog);
  prog.finish();
  if (!cache) return out;
  ensure_dir(dir);
  write_safetensors(path, {{"features", StDType::F32, {int64_t(win.size()), dim}, out.data(), out.size() * 4}},
                    {{"net", sn.model_path}, {"windows", std::to_string(win.size())}, {"what", what}});
  return out;
}

// Concatenates per-net feature blocks (each (n, d_k)) into (n, sum d_k).
std::vector<float> concat_features(const std::vector<std::vector<float>>& blocks, const std::vector<int64_t>& dims,
                                   int64_t n) {
  int64_t D = 0;
  for (int64_t d : dims) D += d;
  std::vector<float> out(size_t(n * D));
  int64_t off = 0;
  for (size_t k = 0; k < blocks.size(); ++k) {
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(out.data() + i * D + off, blocks[k].data() + i * dims[k], sizeof(float) * size_t(dims[k]));
    off += dims[k];
  }
  return out;
}

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
  EvalResult raw = evaluate_windows(mlp_probs(mlp, comp, x, nw, D, kMlpInferenceBatch), track_of_window, track_ids, labels, train_labels, K);
  if (T == 1.0) return raw;
  EvalResult r = evaluate_windows(mlp_probs(mlp, comp, x, nw, D, kMlpInferenceBatch, T), track_of_window, track_ids, labels, train_labels, K);
  r.calibrated = true;
  r.temperature = T;
  r.raw = raw.metrics;
  r.ece_raw = raw.ece;
  r.raw_probs = std::move(raw.probs);
  return r;
}

// --calibrate's held-out tracks: per genre, a seeded shuffle of its training tracks, the first
// max(1, round(fraction * n)) of them when the genre has at least two (never all of them).
std::vector<int64_t> calibration_tracks(const std::vector<int64_t>& train, const std::vector<int>& genre, double fraction,
                                        uint64_t seed) {
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

// The MLP's checkpoint (OUT/checkpoint.safetensors), written when a stop is requested (interrupt.h) at a step
// boundary and removed when the transfer finishes: parameters and Adam moments as tensors; in the metadata
// what the run must share with a resumed one and the position (epoch, batch within it, step, the epoch's
// loss sum so far: JSON numbers round-trip doubles exactly).
constexpr const char* kMlpCheckpointFormat = "agf-mlp-checkpoint-1";

struct MlpPosition {
  int epoch = 0, batch = 0;  // epochs done; batches of epoch `epoch` done
  int64_t step = 0;
  double sum = 0;
  int64_t cnt = 0;
};

void write_mlp_checkpoint(const std::string& path, const Net& mlp, const Adam& opt, const MlpPosition& p,
                          const nlohmann::json& identity) {
  std::vector<std::vector<float>> host;
  host.reserve(3);
  std::vector<StView> t;
  auto add = [&](const char* name, const Tensor& x) {
    host.push_back(to_host_f32(x));
    t.push_back({name, StDType::F32, {int64_t(host.back().size())}, host.back().data(), host.back().size() * 4});
  };
  add("params", mlp.params.values());
  add("adam_m", opt.m());
  add("adam_v", opt.v());
  const nlohmann::json state = {{"epoch", p.epoch}, {"batch", p.batch}, {"step", p.step},
                                {"adam_t", opt.steps()}, {"loss_sum", p.sum},  {"loss_n", p.cnt}};
  write_safetensors(path, t, {{"format", kMlpCheckpointFormat}, {"identity", identity.dump()}, {"state", state.dump()}});
}

MlpPosition read_mlp_checkpoint(const std::string& path, Net& mlp, Adam& opt, const nlohmann::json& identity) {
  SafetensorsFile f = SafetensorsFile::open(path);
  const auto& md = f.metadata();
  auto fmt = md.find("format");
  AGF_CHECK(fmt != md.end() && fmt->second == kMlpCheckpointFormat, FormatError, path,
            ": not an agf transfer checkpoint (format ", fmt == md.end() ? std::string("missing") : "'" + fmt->second + "'",
            ", expected ", kMlpCheckpointFormat, ")");
  MlpPosition p;
  try {
    const nlohmann::json id = nlohmann::json::parse(md.at("identity"));
    for (auto it = identity.begin(); it != identity.end(); ++it)
      AGF_CHECK(id.contains(it.key()) && id[it.key()] == it.value(), UsageError, "transfer --resume: ", path,
                " was made with ", it.key(), " = ", id.contains(it.key()) ? id[it.key()].dump() : "(absent)",
                ", this run has ", it.value().dump(), "; rerun without --resume to start again, or use the original settings");
    const nlohmann::json s = nlohmann::json::parse(md.at("state"));
    p.epoch = s.at("epoch").get<int>();
    p.batch = s.at("batch").get<int>();
    p.step = s.at("step").get<int64_t>();
    p.sum = s.at("loss_sum").get<double>();
    p.cnt = s.at("loss_n").get<int64_t>();
    opt.set_steps(s.at("adam_t").get<int64_t>());
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(str(path, ": metadata: ", e.what()));
  } catch (const std::out_of_range&) {
    throw FormatError(str(path, ": no \"identity\" or \"state\" in the metadata"));
  }
  AGF_CHECK(p.epoch >= 0 && p.batch >= 0 && p.step >= 0, FormatError, path, ": bad position (epoch ", p.epoch, ", batch ",
            p.batch, ", step ", p.step, ")");
  auto load = [&](const char* name, const Tensor& dst_t) {
    StView v = f.get(name);
    AGF_CHECK(v.dtype == StDType::F32 && v.shape.size() == 1 && v.shape[0] == dst_t.numel(), FormatError, path, ": \"",
              name, "\" has the wrong size for this MLP");
    Tensor dst = dst_t;
    upload(dst, static_cast<const float*>(v.data));
  };
  load("params", mlp.params.values());
  load("adam_m", opt.m());
  load("adam_v", opt.v());
  return p;
}

// Keeps the records of epochs <= `epoch` (a stop between an epoch's log line and the next checkpoint).
void trim_transfer_log(const std::string& path, int epoch) {
  if (!std::filesystem::exists(path)) return;
  std::string out;
  for (const auto& r : read_jsonl(path).records)
    if (!(r.contains("epoch") && r["epoch"].is_number() && r["epoch"].get<int>() > epoch)) out += r.dump() + "\n";
  write_file_atomic(path, out);
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
    nlohmann::json c = {{"temperature", r.temperature}, {"log_loss_raw", r.raw.log_loss}, {"log_loss", r.metrics.log_loss},
                        {"ece_raw", r.ece_raw}, {"ece", r.ece}, {"macro_f1_raw", r.raw.macro_f1},
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
  curves.push_back({r.calibrated ? str("calibrated (T = ", std::round(r.temperature * 1000) / 1000, ")") : std::string("model"),
                    reliability(r.labels, r.probs.data(), n, k)});
  return reliability_svg(curves, title);
}

TransferResult run_transfer(const TransferOptions& o) {
  AGF_CHECK(!o.nets.empty(), UsageError, "transfer: no source nets (--nets RUN[,RUN...])");
  AGF_CHECK(!o.out_dir.empty(), UsageError, "transfer: --out is required");
  AGF_CHECK(o.epochs >= 1 && o.batch >= 2 && o.train_hop >= 1 && o.eval_hop >= 1, UsageError,
            "transfer: --epochs, --batch (>= 2), --train-hop and --eval-hop must be positive");
  AGF_CHECK(o.mlp_epoch == "crops" || o.mlp_epoch == "windows", UsageError,
            "transfer: --mlp-epoch must be crops or windows, got '", o.mlp_epoch, "'");
  AGF_CHECK(!o.calibrate || (o.calibrate_fraction > 0 && o.calibrate_fraction < 1), UsageError,
            "transfer: --calibrate-fraction must be in (0, 1), got ", o.calibrate_fraction);
  const bool crops = o.mlp_epoch == "crops";
  const auto t0 = std::chrono::steady_clock::now();
  Compute comp = open_compute(o.device, true, "transfer");
  std::vector<SourceNet> nets;
  for (const std::string& n : o.nets) nets.push_back(load_source_net(n, comp));
  WorkData w = load_work(o.work_dir, "g");
  for (const SourceNet& sn : nets)
    AGF_CHECK(sn.mel_params == w.store.params_json(), UsageError, "transfer: ", sn.model_path,
              " was trained on mels with other feature parameters than ", melstore_path(o.work_dir));
  const int K = kNumTopGenres, F = o.frames;

  // Tracks with a genre label.
  auto labelled = [&](const std::vector<int64_t>& v) {
    std::vector<int64_t> r;
    for (int64_t i : v)
      if (w.genre[size_t(i)] >= 0) r.push_back(i);
    return r;
  };
  std::vector<int64_t> train = labelled(w.train);
  const std::vector<int64_t> valid = labelled(w.valid);
  AGF_CHECK(!train.empty() && !valid.empty(), FormatError, "transfer: ", o.work_dir, " has ", train.size(),
            " labelled training and ", valid.size(), " labelled validation tracks; both must be non-empty");
  std::vector<int> train_labels;  // every labelled training track (the baseline's priors), held out or not
  for (int64_t i : train) train_labels.push_back(w.genre[size_t(i)]);
  // --calibrate: the held-out training tracks leave the MLP's training set.
  const std::vector<int64_t> calib = o.calibrate ? calibration_tracks(train, w.genre, o.calibrate_fraction, o.seed)
                                                 : std::vector<int64_t>{};
  AGF_CHECK(!o.calibrate || !calib.empty(), UsageError, "transfer: --calibrate needs a genre with at least two labelled "
            "training tracks in ", o.work_dir, " to hold out");
  if (!calib.empty()) {
    std::vector<int64_t> rest;
    std::set_difference(train.begin(), train.end(), calib.begin(), calib.end(), std::back_inserter(rest));
    train = rest;
  }
  std::vector<int> cw_track, calib_labels;
  for (int64_t i : calib) calib_labels.push_back(w.genre[size_t(i)]);
  const std::vector<Window> cwin = track_windows(w.store, calib, F, o.eval_hop, &cw_track);
  std::vector<int> tw_track, vw_track;
  // windows: the training windows, once; crops: drawn per epoch (train_set below).
  const std::vector<Window> tw = crops ? std::vector<Window>{} : track_windows(w.store, train, F, o.train_hop, &tw_track);
  const std::vector<Window> vw = track_windows(w.store, valid, F, o.eval_hop, &vw_track);

  std::vector<std::vector<float>> tb, vb, cb;
  std::vector<int64_t> dims;
  for (const SourceNet& sn : nets) {
    if (!crops) tb.push_back(cached_features(sn, comp, w.store, tw, F, "train", o.quiet, o.cache_features));
    vb.push_back(cached_features(sn, comp, w.store, vw, F, "valid", o.quiet, o.cache_features));
    if (!calib.empty()) cb.push_back(cached_features(sn, comp, w.store, cwin, F, "calibration", o.quiet, o.cache_features));
    dims.push_back(sn.feature_dim());
  }
  int64_t D = 0;
  for (int64_t d : dims) D += d;
  std::vector<float> xtr = crops ? std::vector<float>{} : concat_features(tb, dims, int64_t(tw.size()));
  const std::vector<float> xva = concat_features(vb, dims, int64_t(vw.size()));
  const std::vector<float> xca = calib.empty() ? std::vector<float>{} : concat_features(cb, dims, int64_t(cwin.size()));
  tb.clear();
  vb.clear();
  cb.clear();

  std::vector<int> ytr(tw.size()), valid_labels;
  for (size_t i = 0; i < tw.size(); ++i) ytr[i] = w.genre[size_t(tw[i].track)];
  // crops: epoch e's training set is one uniform 43-frame crop of every training track, keyed by (seed,
  // epoch, track) alone, so every case of a grid sees the same crops and a net's crop features are cached
  // once per epoch (RUN/features) and shared by the STN combinations, as the window features are.
  auto train_set = [&](int epoch) {
    const uint64_t key = derive_seed(o.seed, Stream::MlpCrop, uint64_t(epoch));
    std::vector<Window> cw(train.size());
    for (size_t i = 0; i < train.size(); ++i) {
      const uint32_t span = uint32_t(std::max(1, w.store.frames(train[i]) - F + 1));
      cw[i] = {train[i], int(philox_u32(key, 0, uint64_t(train[i])) % span)};
    }
    std::vector<std::vector<float>> cb;
    for (const SourceNet& sn : nets)
      cb.push_back(cached_features(sn, comp, w.store, cw, F, str("train crops, epoch ", epoch + 1), true, o.cache_features));
    xtr = concat_features(cb, dims, int64_t(cw.size()));
    ytr.resize(cw.size());
    for (size_t i = 0; i < cw.size(); ++i) ytr[i] = w.genre[size_t(cw[i].track)];
  };
  for (int64_t i : valid) valid_labels.push_back(w.genre[size_t(i)]);
  // The window nearest each validation track's centre, for the per-epoch validation loss.
  std::vector<int64_t> centre(valid.size(), -1);
  for (size_t j = 0; j < vw.size(); ++j) {
    const size_t k = size_t(vw_track[j]);
    const int mid = std::max(0, (w.store.frames(vw[j].track) - F) / 2);
    if (centre[k] < 0 || std::abs(vw[j].start - mid) < std::abs(vw[size_t(centre[k])].start - mid)) centre[k] = int64_t(j);
  }

  NetConfig mc;
  mc.arch = Arch::mlp;
  mc.inputs = int(D);
  mc.outputs = K;
  auto mlp = build_net(mc);
  mlp->params.finalize(comp.device, DType::F32, derive_seed(o.seed, Stream::Init, 1));
  AdamConfig ac;
  ac.lr = o.lr;
  ac.l2 = o.l2;
  Adam opt(mlp->params, ac, comp.cuda);
  Arena arena(comp.device);
  Tape tape(arena, DType::F32);
  tape.cuda = comp.cuda;
  const int B = o.batch;
  Tensor x = Tensor::empty(Shape{B, D}, DType::F32, comp.device), y = Tensor::empty(Shape{B, K}, DType::F32, comp.device);
  std::vector<float> xh(size_t(B * D)), yh(size_t(B * K));
  ensure_dir(o.out_dir);
  const int64_t n = crops ? int64_t(train.size()) : int64_t(tw.size());  // training samples per epoch
  const int64_t steps_per_epoch = n / B + (n % B >= 2 ? 1 : 0);
  // What a resumed MLP must share with the one that stopped (the nets by fingerprint, the data, the schedule
  // but for the number of epochs).
  nlohmann::json identity = {{"store", hex64(store_fingerprint(w.store))}, {"seed", o.seed},         {"batch", B},
                             {"frames", F},       {"lr", o.lr},          {"l2", o.l2},           {"mlp_epoch", o.mlp_epoch},
                             {"train_hop", o.train_hop}, {"calibrate", o.calibrate}, {"features", D}, {"samples", n}};
  if (o.calibrate) identity["calibrate_fraction"] = o.calibrate_fraction;
  identity["nets"] = nlohmann::json::array();
  for (const SourceNet& sn : nets) identity["nets"].push_back(hex64(sn.fingerprint));
  const std::string ckpt_path = o.out_dir + "/checkpoint.safetensors", log_path = o.out_dir + "/transfer.jsonl";
  MlpPosition pos;
  const bool resumed = o.resume && std::filesystem::exists(ckpt_path);
  if (resumed) {
    pos = read_mlp_checkpoint(ckpt_path, *mlp, opt, identity);
    AGF_CHECK(pos.epoch < o.epochs && (pos.batch == 0 || pos.batch < steps_per_epoch), UsageError, "transfer --resume: ",
              ckpt_path, " stopped at epoch ", pos.epoch + 1, " batch ", pos.batch + 1, ", beyond --epochs ", o.epochs,
              " of ", steps_per_epoch, " batches");
    trim_transfer_log(log_path, pos.epoch);
    if (!o.quiet)
      std::fprintf(stderr, "transfer: resuming the MLP at epoch %d, batch %d (step %lld) from %s\n", pos.epoch + 1,
                   pos.batch + 1, static_cast<long long>(pos.step), ckpt_path.c_str());
  } else if (std::filesystem::exists(ckpt_path)) {
    std::filesystem::remove(ckpt_path);  // without --resume the MLP starts again, as before
  }
  JsonlWriter log(log_path, !resumed);
  Progress prog("transfer MLP", steps_per_epoch * o.epochs - (steps_per_epoch * pos.epoch + pos.batch), "steps", o.quiet);
  if (!o.quiet)
    std::fprintf(stderr, "transfer: %zu nets, %lld-d features, %lld training %s per epoch, %zu validation tracks (%zu windows, hop %d), on %s\n",
                 nets.size(), static_cast<long long>(D), static_cast<long long>(n),
                 crops ? "crops (one random 1-s crop per track)" : str("windows (hop ", o.train_hop, ")").c_str(),
                 valid.size(), vw.size(), o.eval_hop, comp.describe().c_str());
  int64_t step = pos.step;
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int epoch = pos.epoch; epoch < o.epochs; ++epoch) {
    if (crops) train_set(epoch);
    for (int64_t i = 0; i < n; ++i) order[size_t(i)] = i;
    shuffle_philox(order, derive_seed(o.seed, Stream::Mlp, uint64_t(epoch)));
    double sum = 0;
    int64_t cnt = 0;
    int64_t b0 = 0;
    if (epoch == pos.epoch && pos.batch > 0) b0 = int64_t(pos.batch) * B, sum = pos.sum, cnt = pos.cnt;
    for (int64_t b = b0; b + 2 <= n; b += B) {
      // A stop request (interrupt.h) between steps: checkpoint this position, then stop (exit 75).
      if (interrupt_requested()) {
        write_mlp_checkpoint(ckpt_path, *mlp, opt, {epoch, int(b / B), step, sum, cnt}, identity);
        const std::string msg = str("transfer: stopped by ", signal_name(interrupt_signal()), " at MLP step ", step,
                                    " (epoch ", epoch + 1, " of ", o.epochs, ", ", b / B, " of its ", steps_per_epoch,
                                    " batches done); checkpoint ", ckpt_path);
        prog.finish(msg);
        throw Interrupted(msg + "; continue with agf transfer --resume (or rerun agf experiment)", interrupt_signal());
      }
      const int nb = int(std::min<int64_t>(B, n - b));
      std::fill(yh.begin(), yh.begin() + nb * K, 0.f);
      for (int i = 0; i < nb; ++i) {
        const int64_t r = order[size_t(b + i)];
        std::memcpy(xh.data() + i * D, xtr.data() + r * D, sizeof(float) * size_t(D));
        yh[size_t(i * K + ytr[size_t(r)])] = 1.f;
      }
      Tensor xb = x.slice0(0, nb), yb = y.slice0(0, nb);
      upload(xb, xh.data());
      upload(yb, yh.data());
      tape.seed = derive_seed(o.seed, Stream::Dropout, uint64_t(step));
      tape.rng_offset = 0;
      const double loss = scalar_value(train_step(*mlp, tape, opt, xb, yb).loss);
      AGF_CHECK(std::isfinite(loss), NumericError, "transfer: non-finite MLP loss at epoch ", epoch + 1, " step ", step);
      sum += loss * nb;
      cnt += nb;
      ++step;
      prog.add(1);
      count_training_step();
    }
    // Validation loss on the centre windows.
    std::vector<float> cx(centre.size() * size_t(D));
    for (size_t k = 0; k < centre.size(); ++k)
      std::memcpy(cx.data() + k * size_t(D), xva.data() + centre[k] * D, sizeof(float) * size_t(D));
    std::vector<float> cp = mlp_probs(*mlp, comp, cx, int64_t(centre.size()), D, kMlpInferenceBatch);
    double vl = log_loss(valid_labels, cp.data(), int(centre.size()), K);
    log.write({{"epoch", epoch + 1}, {"train", {{"g", sum / double(std::max<int64_t>(cnt, 1))}}}, {"val", {{"g", vl}}}});
    prog.set_note(str("epoch ", epoch + 1, "/", o.epochs, " loss ", std::round(sum / double(std::max<int64_t>(cnt, 1)) * 1000) / 1000));
  }
  prog.finish();

  TransferResult res;
  // --calibrate: T from the held-out training tracks' windows (the evaluation's hop and averaging) only.
  TemperatureFit fit;
  if (!calib.empty()) {
    fit = fit_temperature(mlp_logits(*mlp, comp, xca, int64_t(cwin.size()), D, kMlpInferenceBatch), cw_track, calib_labels, K);
    if (!fit.identified)
      std::fprintf(stderr,
                   "transfer: warning: on the %zu held-out training tracks the log loss keeps falling to T = %.3g, the "
                   "edge of the search (every held-out track right?): the temperature is not identifiable from them, "
                   "so T stays 1 (a larger --calibrate-fraction holds out more tracks)\n",
                   calib.size(), fit.edge_temperature);
    else if (!o.quiet)
      std::fprintf(stderr, "transfer: temperature %.4f fitted on %zu held-out training tracks (log loss %.4f -> %.4f)\n",
                   fit.temperature, calib.size(), fit.log_loss_raw, fit.log_loss);
  }
  std::vector<int64_t> valid_ids;
  for (int64_t i : valid) valid_ids.push_back(w.store.track_id(i));
  res.eval = evaluate_model(*mlp, comp, xva, D, vw_track, valid_ids, valid_labels, train_labels, K, fit.temperature);
  if (!calib.empty()) {
    res.eval.calibrated = true;  // also when the fit lands on T = 1 exactly
    if (fit.temperature == 1.0) {
      res.eval.raw = res.eval.metrics;
      res.eval.ece_raw = res.eval.ece;
      res.eval.raw_probs = res.eval.probs;
    }
    res.eval.held_out_tracks = int(calib.size());
    res.eval.held_out_log_loss_raw = fit.log_loss_raw;
    res.eval.held_out_log_loss = fit.log_loss;
  }

  // The self-contained model folder.
  ensure_dir(o.out_dir + "/nets");
  nlohmann::json jn = nlohmann::json::array();
  for (size_t k = 0; k < nets.size(); ++k) {
    const std::string rel = "nets/" + std::to_string(k) + ".safetensors";
    const std::string bytes = read_file_bytes(nets[k].model_path);
    write_file_atomic(o.out_dir + "/" + rel, bytes);
    jn.push_back({{"file", rel}, {"source", nets[k].model_path}, {"name", nets[k].name}, {"dim", dims[k]}});
  }
  std::vector<std::string> names = top_genre_names();
  const auto& mean = w.store.mean();
  const auto& sd = w.store.stdev();
  nlohmann::json tj = {{"nets", jn},           {"frames", F},          {"eval_hop", o.eval_hop},
                       {"train_hop", o.train_hop}, {"mlp_epoch", o.mlp_epoch}, {"epochs", o.epochs}, {"seed", o.seed},
                       {"genres", names},      {"work_dir", o.work_dir}, {"float16", w.store.is_float16()}};
  if (!calib.empty()) {
    tj["temperature"] = fit.temperature;
    tj["calibration"] = {{"fraction", o.calibrate_fraction}, {"held_out_tracks", calib.size()},
                         {"held_out_log_loss_raw", fit.log_loss_raw}, {"held_out_log_loss", fit.log_loss},
                         {"identified", fit.identified}};
  }
  res.model_path = transfer_model_path(o.out_dir);
  // The standardisation goes in the metadata (JSON numbers round-trip float32 exactly), so that the file's
  // tensors are exactly the MLP's state_dict.
  const nlohmann::json stdz = {{"mean", mean}, {"std", sd}};
  save_net(res.model_path, *mlp,
           {{"mel_params", w.store.params_json()}, {"transfer", tj.dump()}, {"mel_standardisation", stdz.dump()}});
  // Per-track predictions, for looking at the errors: track_id, label, predicted, then one column per genre.
  {
    const int Kk = res.eval.metrics.k;
    std::vector<std::string> row = {"track_id", "label", "predicted"};
    row.insert(row.end(), names.begin(), names.begin() + Kk);
    std::string csv = csv_row(row);
    for (size_t i = 0; i < res.eval.track_ids.size(); ++i) {
      const float* p = res.eval.probs.data() + i * size_t(Kk);
      const int pred = int(std::max_element(p, p + Kk) - p);
      row = {str(res.eval.track_ids[i]), names[size_t(valid_labels[i])], names[size_t(pred)]};
      for (int k = 0; k < Kk; ++k) row.push_back(str(p[k]));
      csv += csv_row(row);
    }
    write_file_atomic(o.out_dir + "/predictions.csv", csv);
  }
  nlohmann::json mj = eval_to_json(res.eval, "valid");
  mj["model"] = res.model_path;
  write_file_atomic(o.out_dir + "/metrics.json", mj.dump(1) + "\n");
  if (res.eval.calibrated)
    write_file_atomic(o.out_dir + "/reliability.svg",
                      eval_reliability_svg(res.eval, "reliability, validation tracks") + "\n");
  if (std::filesystem::exists(ckpt_path)) std::filesystem::remove(ckpt_path);  // finished: nothing to resume
  res.epochs = o.epochs;
  res.feature_dim = int(D);
  res.train_windows = n;
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
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
  const std::vector<int64_t>& src = o.split == "valid" ? w.valid : o.split == "train" ? w.train : std::vector<int64_t>{};
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
  std::vector<float> feats = transfer_features(tm, comp, int64_t(win.size()),
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
