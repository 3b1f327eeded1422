// The transfer's MLP training loop and its checkpoint (see mlp_train.h).
#include "agf/train/mlp_train.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "agf/data/fma.h"
#include "agf/train/checkpoint.h"
#include "agf/train/feature_cache.h"
#include "agf/train/jsonl.h"
#include "agf/train/metrics.h"
#include "agf/train/rng.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/progress.h"
#include "layers/step_runner.h"

namespace agf {

namespace {

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
  const nlohmann::json state = {{"epoch", p.epoch},      {"batch", p.batch},  {"step", p.step},
                                {"adam_t", opt.steps()}, {"loss_sum", p.sum}, {"loss_n", p.cnt}};
  write_safetensors(path, t,
                    {{"format", kMlpCheckpointFormat}, {"identity", identity.dump()}, {"state", state.dump()}});
}

MlpPosition read_mlp_checkpoint(const std::string& path, Net& mlp, Adam& opt, const nlohmann::json& identity) {
  SafetensorsFile f = SafetensorsFile::open(path);
  const auto& md = f.metadata();
  auto fmt = md.find("format");
  AGF_CHECK(fmt != md.end() && fmt->second == kMlpCheckpointFormat, FormatError, path,
            ": not an agf transfer checkpoint (format ",
            fmt == md.end() ? std::string("missing") : "'" + fmt->second + "'", ", expected ", kMlpCheckpointFormat,
            ")");
  MlpPosition p;
  try {
    const nlohmann::json id = nlohmann::json::parse(md.at("identity"));
    for (auto it = identity.begin(); it != identity.end(); ++it)
      AGF_CHECK(id.contains(it.key()) && id[it.key()] == it.value(), UsageError, "transfer --resume: ", path,
                " was made with ", it.key(), " = ", id.contains(it.key()) ? id[it.key()].dump() : "(absent)",
                ", this run has ", it.value().dump(),
                "; rerun without --resume to start again, or use the original settings");
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
  AGF_CHECK(p.epoch >= 0 && p.batch >= 0 && p.step >= 0, FormatError, path, ": bad position (epoch ", p.epoch,
            ", batch ", p.batch, ", step ", p.step, ")");
  auto load = [&](const char* name, const Tensor& dst) { load_f32_vector(f, path, name, dst, "MLP"); };
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

// The MLP, its optimizer and the loop over epochs and batches.
class MlpTrainer {
 public:
  MlpTrainer(const TransferOptions& options, const Compute& compute, const WorkData& work,
             const std::vector<SourceNet>& nets, MlpTrainingSet& set);
  TrainedMlp run();

 private:
  nlohmann::json identity() const;
  bool resume_or_start();
  void load_crops(int epoch);
  void run_epoch(int epoch);
  [[noreturn]] void stop_at(const MlpPosition& position);
  double validation_loss();

  const TransferOptions& options_;
  const Compute& compute_;
  const WorkData& work_;
  const std::vector<SourceNet>& nets_;
  MlpTrainingSet& set_;
  const bool crops_;
  const int batch_, classes_;
  std::unique_ptr<Net> mlp_;
  std::vector<std::unique_ptr<Adam>> optimizers_;  // one, over every parameter
  Arena arena_;
  Tape tape_;
  Tensor x_, targets_;  // (batch, dim), (batch, classes)
  std::vector<float> x_host_, targets_host_;
  std::unique_ptr<StepRunner> runner_;
  int64_t samples_ = 0, steps_per_epoch_ = 0;  // training samples and steps per epoch
  std::string checkpoint_path_, log_path_;
  MlpPosition position_;
  int64_t step_ = 0;
  std::unique_ptr<JsonlWriter> log_;
  std::unique_ptr<Progress> progress_;
};

MlpTrainer::MlpTrainer(const TransferOptions& options, const Compute& compute, const WorkData& work,
                       const std::vector<SourceNet>& nets, MlpTrainingSet& set)
    : options_(options), compute_(compute), work_(work), nets_(nets), set_(set), crops_(options.mlp_epoch == "crops"),
      batch_(options.batch), classes_(kNumTopGenres), arena_(compute.device), tape_(arena_, DType::F32) {
  NetConfig config;
  config.arch = Arch::mlp;
  config.inputs = int(set.dim);
  config.outputs = classes_;
  mlp_ = build_net(config);
  mlp_->params.finalize(compute.device, DType::F32, derive_seed(options.seed, Stream::Init, 1));
  AdamConfig adam;
  adam.lr = options.lr;
  adam.l2 = options.l2;
  optimizers_.push_back(std::make_unique<Adam>(mlp_->params, adam, compute.cuda));
  tape_.cuda = compute.cuda;
  x_ = Tensor::empty(Shape{batch_, set.dim}, DType::F32, compute.device);
  targets_ = Tensor::empty(Shape{batch_, classes_}, DType::F32, compute.device);
  x_host_.resize(size_t(batch_ * set.dim));
  targets_host_.resize(size_t(batch_ * classes_));
  // Every step eager and applied; a non-finite loss stops the transfer (below).
  runner_ = std::make_unique<StepRunner>(*mlp_, tape_, optimizers_, StepRunner::Options{false, batch_, false});
  ensure_dir(options.out_dir);
  samples_ = crops_ ? int64_t(set.train_tracks.size()) : int64_t(set.train_labels.size());
  steps_per_epoch_ = samples_ / batch_ + (samples_ % batch_ >= 2 ? 1 : 0);
  checkpoint_path_ = options.out_dir + "/checkpoint.safetensors";
  log_path_ = options.out_dir + "/transfer.jsonl";
}

// What a resumed MLP must share with the one that stopped (the nets by fingerprint, the data, the schedule
// but for the number of epochs).
nlohmann::json MlpTrainer::identity() const {
  const TransferOptions& o = options_;
  nlohmann::json id = {{"store", hex64(store_fingerprint(work_.store))},
                       {"seed", o.seed},
                       {"batch", batch_},
                       {"frames", o.frames},
                       {"lr", o.lr},
                       {"l2", o.l2},
                       {"mlp_epoch", o.mlp_epoch},
                       {"train_hop", o.train_hop},
                       {"calibrate", o.calibrate},
                       {"features", set_.dim},
                       {"samples", samples_}};
  if (o.calibrate) id["calibrate_fraction"] = o.calibrate_fraction;
  id["nets"] = nlohmann::json::array();
  for (const SourceNet& net : nets_) id["nets"].push_back(hex64(net.fingerprint));
  return id;
}

// --resume with a checkpoint: continue at its position (true). Otherwise a checkpoint left in OUT is removed
// and the MLP starts again, as before.
bool MlpTrainer::resume_or_start() {
  const bool resumed = options_.resume && std::filesystem::exists(checkpoint_path_);
  if (resumed) {
    position_ = read_mlp_checkpoint(checkpoint_path_, *mlp_, *optimizers_[0], identity());
    AGF_CHECK(position_.epoch < options_.epochs && (position_.batch == 0 || position_.batch < steps_per_epoch_),
              UsageError, "transfer --resume: ", checkpoint_path_, " stopped at epoch ", position_.epoch + 1, " batch ",
              position_.batch + 1, ", beyond --epochs ", options_.epochs, " of ", steps_per_epoch_, " batches");
    trim_transfer_log(log_path_, position_.epoch);
    if (!options_.quiet)
      std::fprintf(stderr, "transfer: resuming the MLP at epoch %d, batch %d (step %lld) from %s\n",
                   position_.epoch + 1, position_.batch + 1, static_cast<long long>(position_.step),
                   checkpoint_path_.c_str());
  } else if (std::filesystem::exists(checkpoint_path_)) {
    std::filesystem::remove(checkpoint_path_);
  }
  return resumed;
}

TrainedMlp MlpTrainer::run() {
  const bool resumed = resume_or_start();
  log_ = std::make_unique<JsonlWriter>(log_path_, !resumed);
  progress_ = std::make_unique<Progress>("transfer MLP",
                                         steps_per_epoch_ * options_.epochs -
                                             (steps_per_epoch_ * position_.epoch + position_.batch),
                                         "steps", options_.quiet);
  if (!options_.quiet)
    std::fprintf(stderr,
                 "transfer: %zu nets, %lld-d features, %lld training %s per epoch, %zu validation tracks (%zu windows, "
                 "hop %d), on %s\n",
                 nets_.size(), static_cast<long long>(set_.dim), static_cast<long long>(samples_),
                 crops_ ? "crops (one random 1-s crop per track)"
                        : str("windows (hop ", options_.train_hop, ")").c_str(),
                 set_.valid_labels.size(), set_.valid_windows, options_.eval_hop, compute_.describe().c_str());
  step_ = position_.step;
  for (int epoch = position_.epoch; epoch < options_.epochs; ++epoch) run_epoch(epoch);
  progress_->finish();
  return {std::move(mlp_), samples_};
}

// crops: epoch e's training set is one uniform 43-frame crop of every training track, keyed by (seed, epoch,
// track) alone, so every case of a grid sees the same crops and a net's crop features are cached once per
// epoch (RUN/features) and shared by the STN combinations, as the window features are.
void MlpTrainer::load_crops(int epoch) {
  const int frames = options_.frames;
  const std::vector<int64_t>& tracks = set_.train_tracks;
  const uint64_t key = derive_seed(options_.seed, Stream::MlpCrop, uint64_t(epoch));
  std::vector<Window> windows(tracks.size());
  for (size_t i = 0; i < tracks.size(); ++i) {
    const uint32_t span = uint32_t(std::max(1, work_.store.frames(tracks[i]) - frames + 1));
    windows[i] = {tracks[i], int(philox_u32(key, 0, uint64_t(tracks[i])) % span)};
  }
  set_.train_features =
      std::move(nets_features(nets_, compute_, work_.store, {{&windows, str("train crops, epoch ", epoch + 1)}}, frames,
                              true, options_.cache_features)[0]);
  set_.train_labels.resize(windows.size());
  for (size_t i = 0; i < windows.size(); ++i) set_.train_labels[i] = work_.genre[size_t(windows[i].track)];
}

// One epoch: the samples shuffled, batches of `batch` (a last one of fewer than two is dropped), one step
// each; then the epoch's line in transfer.jsonl.
void MlpTrainer::run_epoch(int epoch) {
  const int64_t dim = set_.dim, n = samples_;
  if (crops_) load_crops(epoch);
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[size_t(i)] = i;
  shuffle_philox(order, derive_seed(options_.seed, Stream::Mlp, uint64_t(epoch)));
  double sum = 0;
  int64_t count = 0, first = 0;
  if (epoch == position_.epoch && position_.batch > 0)
    first = int64_t(position_.batch) * batch_, sum = position_.sum, count = position_.cnt;
  for (int64_t b = first; b + 2 <= n; b += batch_) {
    // A stop request (interrupt.h) between steps: checkpoint this position, then stop (exit 75).
    if (interrupt_requested()) stop_at({epoch, int(b / batch_), step_, sum, count});
    const int rows = int(std::min<int64_t>(batch_, n - b));
    std::fill(targets_host_.begin(), targets_host_.begin() + rows * classes_, 0.f);
    for (int i = 0; i < rows; ++i) {
      const int64_t r = order[size_t(b + i)];
      std::memcpy(x_host_.data() + i * dim, set_.train_features.data() + r * dim, sizeof(float) * size_t(dim));
      targets_host_[size_t(i * classes_ + set_.train_labels[size_t(r)])] = 1.f;
    }
    Tensor xb = x_.slice0(0, rows), yb = targets_.slice0(0, rows);
    upload(xb, x_host_.data());
    upload(yb, targets_host_.data());
    const StepOutcome step = runner_->step(0, xb, yb, derive_seed(options_.seed, Stream::Dropout, uint64_t(step_)));
    AGF_CHECK(step.finite, NumericError, "transfer: non-finite MLP loss at epoch ", epoch + 1, " step ", step_);
    sum += step.loss * rows;
    count += rows;
    ++step_;
    progress_->add(1);
    count_training_step();
  }
  const double train_loss = sum / double(std::max<int64_t>(count, 1));
  log_->write({{"epoch", epoch + 1}, {"train", {{"g", train_loss}}}, {"val", {{"g", validation_loss()}}}});
  progress_->set_note(str("epoch ", epoch + 1, "/", options_.epochs, " loss ", std::round(train_loss * 1000) / 1000));
}

[[noreturn]] void MlpTrainer::stop_at(const MlpPosition& position) {
  write_mlp_checkpoint(checkpoint_path_, *mlp_, *optimizers_[0], position, identity());
  const std::string msg = str("transfer: stopped by ", signal_name(interrupt_signal()), " at MLP step ", position.step,
                              " (epoch ", position.epoch + 1, " of ", options_.epochs, ", ", position.batch, " of its ",
                              steps_per_epoch_, " batches done); checkpoint ", checkpoint_path_);
  progress_->finish(msg);
  throw Interrupted(msg + "; continue with agf transfer --resume (or rerun agf experiment)", interrupt_signal());
}

// The log loss on each validation track's centre window.
double MlpTrainer::validation_loss() {
  const int tracks = int(set_.valid_labels.size());
  std::vector<float> probs =
      mlp_probs(*mlp_, compute_, set_.valid_centre_features, tracks, set_.dim, kMlpInferenceBatch);
  return log_loss(set_.valid_labels, probs.data(), tracks, classes_);
}

}  // namespace

TrainedMlp train_mlp(const TransferOptions& options, const Compute& compute, const WorkData& work,
                     const std::vector<SourceNet>& nets, MlpTrainingSet& set) {
  return MlpTrainer(options, compute, work, nets, set).run();
}

}  // namespace agf
