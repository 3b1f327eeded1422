// `agf train` (see trainer.h). A Trainer runs the paper's loop: for each epoch, plan it (epoch_plan.h); for
// each batch, one step (layers/step_runner.h: eager or replayed, a non-finite step undone); at the end of the
// epoch, log the losses, the validation loss, and write the checkpoint (checkpoint.h).
#include "agf/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "agf/train/checkpoint.h"
#include "agf/train/epoch_plan.h"
#include "agf/train/jsonl.h"
#include "agf/train/rng.h"
#include "agf/train/session.h"
#include "layers/tasks.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/progress.h"
#include "engine/safetensors.h"
#include "layers/step.h"
#include "layers/step_runner.h"
#include "layers/paper.h"
#include "agf/data/workdir.h"

namespace agf {

namespace {

// The fields of a run that a resumed invocation must share with the original.
nlohmann::json identity_json(const TrainOptions& options, const NetConfig& net, const WorkData& work) {
  // How each factor target was made (factors_from, n_mfcc, seed, ...): a resume on recomputed factors is refused.
  nlohmann::json factors = nlohmann::json::object();
  for (const auto& [kind, factor] : work.factors) factors[std::string(1, kind)] = factor.settings;
  const TrainOptions& o = options;
  return {{"arch", arch_name(o.arch)},
          {"tasks", o.tasks},
          {"match", o.match},
          {"batch", o.batch},
          {"frames", o.frames},
          {"lr", o.lr},
          {"l2", o.l2},
          {"seed", o.seed},
          {"task_draw", o.task_draw},
          {"streams", o.shared_streams ? "seed" : "case"},
          {"net", net_config_json(net)},
          {"mel_params", nlohmann::json::parse(work.store.params_json())},
          {"store_tracks", work.store.num_tracks()},
          {"train_tracks", work.train.size()},
          {"factors", factors}};
}

// Mean cross-entropy of `task` on the centre window of each validation track that has its target.
double validation_loss(const Net& net, Tape& tape, const WorkData& work, int task_index, int batch, int frames,
                       Tensor& x_dev, std::vector<float>& x_host) {
  const char task = net.config.tasks.size() > 1 ? net.config.tasks[size_t(task_index)] : net.config.tasks[0];
  std::vector<int64_t> tracks;
  for (int64_t i : work.valid)
    if (work.has_target(task, i)) tracks.push_back(i);
  if (tracks.empty()) return std::nan("");
  std::vector<Window> windows = centre_windows(work.store, tracks, frames);
  const int classes = net.outputs(task_index);
  std::vector<float> target(static_cast<size_t>(classes));
  double total = 0;
  for (size_t b = 0; b < windows.size(); b += size_t(batch)) {
    const int n = int(std::min(windows.size() - b, size_t(batch)));
    fill_windows(work.store, windows.data() + b, n, frames, x_host.data());
    Tensor xb = x_dev.slice0(0, n);
    upload(xb, x_host.data());
    std::vector<float> probs = to_host_f32(infer(net, tape, xb, task_index).probs);
    for (int i = 0; i < n; ++i) {
      work.target(task, windows[b + size_t(i)].track, target.data(), classes);
      for (int c = 0; c < classes; ++c)
        if (target[size_t(c)] > 0)
          total -= double(target[size_t(c)]) * std::log(std::max(double(probs[size_t(i * classes + c)]), 1e-15));
    }
  }
  return total / double(windows.size());
}

// The options with their defaults filled in (epochs, --match, the run folder), each checked.
TrainOptions checked_options(const TrainOptions& in) {
  TrainOptions o = in;
  AGF_CHECK(o.arch == Arch::stn || o.arch == Arch::mtn || o.arch == Arch::wstn, UsageError,
            "train: --arch must be stn, mtn or wstn, got '", o.arch, "'");
  o.tasks = canonical_tasks(o.tasks);
  if (o.arch == Arch::stn)
    AGF_CHECK(o.tasks.size() == 1, UsageError, "train: an STN has one task, got --tasks ", o.tasks,
              " (use --arch mtn, or train one STN per task)");
  if (o.arch == Arch::mtn)
    AGF_CHECK(o.tasks.size() >= 2, UsageError, "train: an MTN needs two or more tasks, got --tasks ", o.tasks);
  if (o.arch == Arch::wstn) {
    AGF_CHECK(o.tasks == "g", UsageError, "train: a wSTN is trained on g; --match N sets its size, got --tasks ",
              o.tasks);
    if (o.match == 0) o.match = 5;
    AGF_CHECK(o.match >= 2 && o.match <= 5, UsageError, "train: --match must be in 2..5, got ", o.match);
  }
  if (o.epochs == 0) o.epochs = o.arch == Arch::mtn ? paper::kMtnEpochs : paper::kStnEpochs;
  AGF_CHECK(o.epochs >= 1 && o.batch >= 2 && o.frames >= 8, UsageError, "train: --epochs ", o.epochs, ", --batch ",
            o.batch, ", --frames ", o.frames, " (need >= 1, >= 2, >= 8)");
  AGF_CHECK(o.task_draw == "epoch" || o.task_draw == "batch", UsageError, "train: --task-draw must be epoch or batch");
  AGF_CHECK(o.checkpoint_every >= 1 && o.max_bad_steps >= 1 && o.val_every >= 0, UsageError,
            "train: --checkpoint-every and --max-bad-steps must be >= 1, --val-every >= 0");
  AGF_CHECK(o.lr > 0 && o.l2 >= 0, UsageError, "train: --lr must be > 0 and --l2 >= 0");
  AGF_CHECK(o.bn_momentum > 0 && o.bn_momentum <= 1, UsageError, "train: --bn-momentum must be in (0, 1]");
  if (o.run_dir.empty()) o.run_dir = default_run_dir(o.work_dir, o.arch, o.tasks, o.match);
  return o;
}

// The net the options describe, sized for the work folder's factor targets.
NetConfig net_config_for(const TrainOptions& options, const WorkData& work) {
  NetConfig config;
  config.arch = options.arch;
  config.tasks = options.tasks;
  config.bn.momentum = options.bn_momentum;
  if (options.arch == Arch::wstn) config.width = wstn_width_for(mtn_params_for_tasks(options.match, config), config);
  for (char task : options.tasks)
    if (is_factor_task(task)) config.topics = work.factors.at(task).topics;
  return config;
}

// One optimizer per task (MTN: the shared block and that task's branch, with their own moments and step
// counter, as the authors had); a single-task net has one over everything.
Optimizers make_optimizers(ParamStore& params, const TrainOptions& options, CudaCtx* cuda) {
  AdamConfig config;
  config.lr = options.lr;
  config.l2 = options.l2;
  const int n_tasks = int(options.tasks.size());
  Optimizers optimizers;
  for (int k = 0; k < n_tasks; ++k) {
    if (n_tasks == 1)
      optimizers.push_back(std::make_unique<Adam>(params, config, cuda));
    else
      optimizers.push_back(
          std::make_unique<Adam>(params, config, cuda, task_param_ranges(params, options.tasks[size_t(k)], true)));
  }
  return optimizers;
}

// An epoch's training loss so far, per task: the sum over samples and their count.
struct EpochLoss {
  std::vector<double> sum;
  std::vector<int64_t> count;
};

class Trainer {
 public:
  explicit Trainer(const TrainOptions& options);
  TrainSummary run();

 private:
  bool resume_or_start();
  void prepare_batches();
  void start();
  EpochLoss run_epoch(int epoch);
  void run_step(const PlannedBatch& batch, int epoch, EpochLoss& loss);
  [[noreturn]] void stop_at(int epoch, size_t batch, size_t batches, const EpochLoss& loss);
  void wait_for_drill_signal();
  void end_epoch(const EpochLoss& loss);
  nlohmann::json epoch_record(const EpochLoss& loss);
  void save_checkpoint(int batch, const EpochLoss& loss);
  double seconds() const;
  TrainSummary finish();

  const TrainOptions options_;
  const uint64_t stream_seed_;
  WorkData work_;
  NetConfig net_config_;
  std::string checkpoint_path_, model_path_, log_path_;
  nlohmann::json identity_, run_options_;
  TrainSummary summary_;
  Compute compute_;
  std::unique_ptr<Net> net_;
  Optimizers optimizers_;
  Checkpoint position_;  // where the run stands: epochs and steps done (a resumed run: its checkpoint's)
  int bad_in_row_ = 0;   // non-finite steps in a row
  int end_epoch_ = 0;    // this invocation stops after this many epochs (--stop-after, else --epochs)
  std::vector<std::vector<int64_t>> eligible_;  // per task: the training tracks with its target
  std::unique_ptr<Arena> arena_;
  std::unique_ptr<Tape> tape_;
  int max_classes_ = 0;
  Tensor x_, targets_;  // (batch, 1, mels, frames), (batch, max classes) on the device
  std::vector<float> x_host_, targets_host_;
  std::unique_ptr<StepRunner> runner_;
  std::unique_ptr<JsonlWriter> log_;
  std::unique_ptr<Progress> progress_;
  std::chrono::steady_clock::time_point start_time_;
  nlohmann::json last_record_;
};

// Checks the options, loads the work folder, builds the net and its optimizers: nothing is trained yet.
Trainer::Trainer(const TrainOptions& options)
    : options_(checked_options(options)),
      // The seed of every random stream of this net: keyed by the case as well as --seed (issue 12), unless
      // --shared-streams asks for the old behaviour (all nets of one seed share init, shuffles, crops, masks).
      stream_seed_(options_.shared_streams
                       ? options_.seed
                       : net_stream_seed(options_.seed, options_.arch, options_.tasks, options_.match)),
      work_(load_work(options_.work_dir, options_.tasks)) {
  const TrainOptions& o = options_;
  AGF_CHECK(work_.store.n_mels() == 128, FormatError, melstore_path(o.work_dir), ": ", work_.store.n_mels(),
            " mel bands; the paper's nets take 128");
  net_config_ = net_config_for(o, work_);
  ensure_dir(o.run_dir);
  checkpoint_path_ = o.run_dir + "/checkpoint.safetensors";
  model_path_ = o.run_dir + "/model.safetensors";
  log_path_ = o.run_dir + "/train.jsonl";
  identity_ = identity_json(o, net_config_, work_);
  run_options_ = {{"epochs", o.epochs},       {"checkpoint_every", o.checkpoint_every},
                  {"val_every", o.val_every}, {"max_bad_steps", o.max_bad_steps},
                  {"work_dir", o.work_dir},   {"device", o.device}};
  AGF_CHECK(o.resume || (!std::filesystem::exists(checkpoint_path_) && !std::filesystem::exists(model_path_)),
            UsageError, "train: ", o.run_dir,
            " already holds a run; pass --resume to continue it, or choose another --out");
  summary_.run_dir = o.run_dir;
  summary_.model_path = model_path_;
  summary_.epochs = o.epochs;
  compute_ = open_compute(o.device, true, "train");
  net_ = build_net(net_config_);
  net_->params.finalize(compute_.device, DType::F32, derive_seed(stream_seed_, Stream::Init, 0));
  optimizers_ = make_optimizers(net_->params, o, compute_.cuda);
}

TrainSummary Trainer::run() {
  if (!resume_or_start()) return summary_;
  prepare_batches();
  start();
  for (int epoch = position_.epoch; epoch < end_epoch_; ++epoch) end_epoch(run_epoch(epoch));
  return finish();
}

// --resume with a checkpoint: load it (false when the run is already finished); otherwise a fresh run
// folder: config.json written, an old train.jsonl removed.
bool Trainer::resume_or_start() {
  if (options_.resume && std::filesystem::exists(checkpoint_path_)) {
    position_ = read_checkpoint(checkpoint_path_, *net_, optimizers_, identity_);
    trim_jsonl(log_path_, position_.epoch);
    if (position_.epoch >= options_.epochs && std::filesystem::exists(model_path_)) {
      summary_.epochs_done = position_.epoch;
      summary_.steps = position_.step;
      summary_.finished = summary_.already_finished = true;
      if (!options_.quiet)
        std::fprintf(stderr, "train: %s is finished (%d epochs); nothing to do\n", options_.run_dir.c_str(),
                     position_.epoch);
      return false;
    }
  } else {
    write_file_atomic(options_.run_dir + "/config.json",
                      nlohmann::json{{"identity", identity_}, {"options", run_options_}}.dump(1) + "\n");
    if (std::filesystem::exists(log_path_)) std::filesystem::remove(log_path_);
  }
  bad_in_row_ = position_.bad_in_row;
  return true;
}

// The tracks of each task, the activation arena and tape, the batch buffers and the step runner.
void Trainer::prepare_batches() {
  const int n_tasks = int(options_.tasks.size());
  eligible_.assign(size_t(n_tasks), {});
  for (int k = 0; k < n_tasks; ++k) {
    const char task = options_.tasks[size_t(k)];
    for (int64_t i : work_.train)
      if (work_.has_target(task, i)) eligible_[size_t(k)].push_back(i);
    AGF_CHECK(eligible_[size_t(k)].size() >= 2, FormatError, "train: task ", task, " has ", eligible_[size_t(k)].size(),
              " training tracks with a target in ", options_.work_dir);
  }
  const int batch = options_.batch, frames = options_.frames, mels = work_.store.n_mels();
  arena_ = std::make_unique<Arena>(compute_.device);
  tape_ = std::make_unique<Tape>(*arena_, DType::F32);
  tape_->cuda = compute_.cuda;
  for (int k = 0; k < n_tasks; ++k) max_classes_ = std::max(max_classes_, net_->outputs(k));
  x_ = Tensor::empty(Shape{batch, 1, mels, frames}, DType::F32, compute_.device);
  targets_ = Tensor::empty(Shape{batch, max_classes_}, DType::F32, compute_.device);
  x_host_.resize(size_t(batch) * size_t(mels) * size_t(frames));
  targets_host_.resize(size_t(batch) * size_t(max_classes_));
  // One recorded step per task, replayed on either device (--no-graph: every step eager).
  runner_ = std::make_unique<StepRunner>(*net_, *tape_, optimizers_, StepRunner::Options{options_.graph, batch, true});
}

// Opens the log, the progress line and the clock, and says what is trained where.
void Trainer::start() {
  const TrainOptions& o = options_;
  log_ = std::make_unique<JsonlWriter>(log_path_);
  const int64_t steps_per_epoch_estimate = int64_t((eligible_[0].size() + size_t(o.batch) - 1) / size_t(o.batch));
  end_epoch_ = o.stop_after > 0 ? std::min(o.epochs, position_.epoch + o.stop_after) : o.epochs;
  const int resume_batch = position_.batch;  // a mid-epoch checkpoint continues at that batch
  AGF_CHECK(resume_batch == 0 || position_.epoch < o.epochs, UsageError, "train --resume: ", checkpoint_path_,
            " stopped inside epoch ", position_.epoch + 1, "; --epochs ", o.epochs,
            " would end the run there (give --epochs ", position_.epoch + 1, " or more)");
  progress_ =
      std::make_unique<Progress>(str("train ", net_name(o.arch, o.tasks, o.match)),
                                 std::max<int64_t>(0, int64_t(end_epoch_ - position_.epoch) * steps_per_epoch_estimate -
                                                          resume_batch),
                                 "steps", o.quiet);
  if (!o.quiet)
    std::fprintf(stderr,
                 "train: %s '%s', %lld parameters, %zu training tracks, epochs %d..%d of %d%s, batch %d, on %s -> %s\n",
                 arch_name(o.arch), o.tasks.c_str(), static_cast<long long>(net_->num_trainable()), work_.train.size(),
                 position_.epoch + 1, end_epoch_, o.epochs,
                 resume_batch > 0 ? str(" (from batch ", resume_batch + 1, ")").c_str() : "", o.batch,
                 compute_.describe().c_str(), o.run_dir.c_str());
  start_time_ = std::chrono::steady_clock::now();
}

// Seconds of training, over every invocation of this run.
double Trainer::seconds() const {
  return position_.seconds + std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time_).count();
}

// One epoch: its plan (per batch, the task and the tracks, each with its crop: epoch_plan.h), then its steps
// from the first one not yet done (a run resumed mid-epoch continues at its checkpoint's batch).
EpochLoss Trainer::run_epoch(int epoch) {
  EpochPlanInputs inputs;
  inputs.stream_seed = stream_seed_;
  inputs.epoch = epoch;
  inputs.batch = options_.batch;
  inputs.frames = options_.frames;
  inputs.task_draw = options_.task_draw;
  inputs.eligible = eligible_;
  inputs.train_tracks = work_.train.size();
  const std::vector<PlannedBatch> plan = plan_epoch(inputs, [&](int64_t track) { return work_.store.frames(track); });

  const size_t n_tasks = options_.tasks.size();
  EpochLoss loss{std::vector<double>(n_tasks, 0.0), std::vector<int64_t>(n_tasks, 0)};
  size_t first = 0;
  if (position_.batch > 0) {  // the first epoch of a run resumed mid-epoch: its checkpoint's batch and loss sums
    AGF_CHECK(size_t(position_.batch) < plan.size(), FormatError, checkpoint_path_, ": stopped after batch ",
              position_.batch, " of epoch ", epoch + 1, ", which has ", plan.size(),
              " batches here: not this run's data");
    first = size_t(position_.batch);
    loss = {position_.loss_sum, position_.loss_n};
    position_.batch = 0;  // taken: from here on the position is kept per epoch
    position_.loss_sum.clear();
    position_.loss_n.clear();
  }
  for (size_t b = first; b < plan.size(); ++b) {
    // A stop request (SIGTERM/SIGINT, interrupt.h) is honoured here, between steps: the checkpoint records
    // this position inside the epoch, so that --resume takes exactly the batches, crops, dropout masks and
    // Adam steps an uninterrupted run would have.
    if (interrupt_requested()) stop_at(epoch, b, plan.size(), loss);
    if (position_.step == options_.drill_wait_at_step) wait_for_drill_signal();
    run_step(plan[b], epoch, loss);
  }
  return loss;
}

// Writes the checkpoint at this step boundary and throws Interrupted.
void Trainer::stop_at(int epoch, size_t batch, size_t batches, const EpochLoss& loss) {
  save_checkpoint(int(batch), loss);
  const std::string msg =
      str("train: stopped by ", signal_name(interrupt_signal()), " at step ", position_.step, " (epoch ", epoch + 1,
          " of ", options_.epochs, ", ", batch, " of its ", batches, " batches done); checkpoint ", checkpoint_path_);
  progress_->finish(msg);
  throw Interrupted(msg + "; continue with agf train --resume (or rerun agf experiment)", interrupt_signal());
}

// Drill: a test signals this step in flight (see trainer.h).
void Trainer::wait_for_drill_signal() {
  write_file_atomic(options_.run_dir + "/drill-waiting", std::to_string(position_.step) + "\n");
  for (int i = 0; i < 12000 && !interrupt_requested(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

// One step on one planned batch: its windows and targets uploaded, the step run (a non-finite one undone
// and counted; max_bad_steps of them in a row stop the run), its loss added to the epoch's.
void Trainer::run_step(const PlannedBatch& batch, int epoch, EpochLoss& loss) {
  const int n = int(batch.tracks.size());
  const char task = options_.tasks[size_t(batch.task)];
  const int classes = net_->outputs(batch.task);
  std::vector<Window> windows(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    windows[size_t(i)] = {batch.tracks[size_t(i)], batch.crops[size_t(i)]};
    work_.target(task, batch.tracks[size_t(i)], targets_host_.data() + size_t(i) * size_t(classes), classes);
  }
  fill_windows(work_.store, windows.data(), n, options_.frames, x_host_.data());
  if (options_.nan_steps.count(position_.step)) x_host_[0] = std::nanf("");
  Tensor xb = x_.slice0(0, n);
  Tensor yb = targets_.view(Shape{int64_t(options_.batch) * max_classes_})
                  .slice0(0, int64_t(n) * classes)
                  .view(Shape{n, classes});
  upload(xb, x_host_.data());
  upload(yb, targets_host_.data());
  const StepOutcome step =
      runner_->step(batch.task, xb, yb, derive_seed(stream_seed_, Stream::Dropout, uint64_t(position_.step)));
  if (!step.finite) {
    ++position_.skipped;
    ++bad_in_row_;
    std::fprintf(stderr, "\ntrain: step %lld (epoch %d): non-finite %s; step skipped (%d in a row)\n",
                 static_cast<long long>(position_.step), epoch + 1, std::isfinite(step.loss) ? "gradient" : "loss",
                 bad_in_row_);
    AGF_CHECK(bad_in_row_ < options_.max_bad_steps, NumericError, "train: ", bad_in_row_,
              " non-finite steps in a row; stopping. The last good checkpoint (", checkpoint_path_, ", epoch ",
              position_.epoch, ") is kept; lower --lr or check the inputs");
  } else {
    bad_in_row_ = 0;
    loss.sum[size_t(batch.task)] += step.loss * n;
    loss.count[size_t(batch.task)] += n;
  }
  ++position_.step;
  progress_->add(1);
  count_training_step();
}

// The epoch's train.jsonl record: position, time, training loss per task and, on validation epochs, the
// validation loss per task.
nlohmann::json Trainer::epoch_record(const EpochLoss& loss) {
  const TrainOptions& o = options_;
  const int n_tasks = int(o.tasks.size());
  nlohmann::json record = {{"epoch", position_.epoch},
                           {"step", position_.step},
                           {"skipped", position_.skipped},
                           {"seconds", seconds()}};
  nlohmann::json train = nlohmann::json::object(), valid = nlohmann::json::object();
  for (int k = 0; k < n_tasks; ++k)
    if (loss.count[size_t(k)])
      train[std::string(1, o.tasks[size_t(k)])] = loss.sum[size_t(k)] / double(loss.count[size_t(k)]);
  record["train"] = train;
  if (o.val_every > 0 && (position_.epoch % o.val_every == 0 || position_.epoch == o.epochs) && !work_.valid.empty()) {
    for (int k = 0; k < n_tasks; ++k) {
      const double v = validation_loss(*net_, *tape_, work_, k, o.batch, o.frames, x_, x_host_);
      if (std::isfinite(v)) valid[std::string(1, o.tasks[size_t(k)])] = v;
    }
    record["val"] = valid;
  }
  return record;
}

// End of an epoch: its record logged, the progress note, then the checkpoint when one is due.
void Trainer::end_epoch(const EpochLoss& loss) {
  ++position_.epoch;
  const int epochs_done = position_.epoch;
  nlohmann::json record = epoch_record(loss);
  log_->write(record);
  last_record_ = record;
  std::string note = str("epoch ", epochs_done, "/", options_.epochs);
  for (auto it = record["train"].begin(); it != record["train"].end(); ++it)
    note += str(" ", it.key(), " ", std::round(it.value().get<double>() * 1000) / 1000);
  progress_->set_note(note);
  if (epochs_done % options_.checkpoint_every == 0 || epochs_done == options_.epochs || epochs_done == end_epoch_)
    save_checkpoint(0, EpochLoss{});
}

// The checkpoint at `batch` of the current epoch (0: at its start) with the epoch's loss so far.
void Trainer::save_checkpoint(int batch, const EpochLoss& loss) {
  Checkpoint c = position_;
  c.batch = batch;
  c.seconds = seconds();
  c.bad_in_row = bad_in_row_;
  c.loss_sum = loss.sum;
  c.loss_n = loss.count;
  write_checkpoint(checkpoint_path_, *net_, optimizers_, c, identity_, run_options_);
}

// The summary, and model.safetensors when every epoch is done.
TrainSummary Trainer::finish() {
  summary_.seconds = seconds();
  summary_.epochs_done = position_.epoch;
  summary_.steps = position_.step;
  summary_.skipped_steps = position_.skipped;
  summary_.last_record = last_record_;
  if (position_.epoch >= options_.epochs) {
    save_net(model_path_, *net_,
             {{"mel_params", work_.store.params_json()},
              {"train", nlohmann::json{{"identity", identity_}, {"epochs", position_.epoch}, {"steps", position_.step}}
                            .dump()}});
    summary_.finished = true;
  }
  const Checkpoint& p = position_;
  progress_->finish(str(summary_.finished ? "done" : "stopped", ": ", p.epoch, "/", options_.epochs, " epochs, ",
                        p.step, " steps", p.skipped ? str(", ", p.skipped, " skipped") : std::string(), " -> ",
                        summary_.finished ? model_path_ : checkpoint_path_));
  return summary_;
}

}  // namespace

std::string default_run_dir(const std::string& work_dir, Arch arch, const std::string& tasks, int match) {
  return WorkDir(work_dir).run(net_name(arch, arch == Arch::wstn ? "g" : canonical_tasks(tasks), match ? match : 5));
}

TrainSummary run_train(const TrainOptions& options) { return Trainer(options).run(); }

}  // namespace agf
