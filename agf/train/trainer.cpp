// `agf train` (see trainer.h).
#include "agf/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include "agf/train/checkpoint.h"
#include "agf/train/epoch_plan.h"
#include "agf/train/jsonl.h"
#include "agf/train/rng.h"
#include "agf/train/session.h"
#include "layers/tasks.h"
#include "agf/util/fs.h"
#include "agf/util/interrupt.h"
#include "agf/util/progress.h"
#include "engine/safetensors.h"
#include "layers/step.h"
#include "layers/step_graph.h"
#include "layers/paper.h"
#include "agf/data/workdir.h"

namespace agf {

namespace {

// The fields of a run that a resumed invocation must share with the original.
nlohmann::json identity_json(const TrainOptions& o, const NetConfig& net, const WorkData& w) {
  // How each factor target was made (factors_from, n_mfcc, seed, ...): a resume on recomputed factors is refused.
  nlohmann::json factors = nlohmann::json::object();
  for (const auto& [k, f] : w.factors) factors[std::string(1, k)] = f.settings;
  return {{"arch", arch_name(o.arch)}, {"tasks", o.tasks}, {"match", o.match},         {"batch", o.batch},
          {"frames", o.frames},   {"lr", o.lr},       {"l2", o.l2},               {"seed", o.seed},
          {"task_draw", o.task_draw}, {"streams", o.shared_streams ? "seed" : "case"}, {"net", net_config_json(net)},
          {"mel_params", nlohmann::json::parse(w.store.params_json())},
          {"store_tracks", w.store.num_tracks()}, {"train_tracks", w.train.size()}, {"factors", factors}};
}

// Every gradient finite? Scanned in place on the CPU; on CUDA copied into a reused host buffer.
bool grads_finite(const ParamStore& ps, std::vector<float>& scratch) {
  const Tensor g = ps.grads();
  const float* p;
  if (g.device() == Device::CPU) {
    p = g.data<float>();
  } else {
    scratch.resize(size_t(g.numel()));
    Tensor h = Tensor::wrap(scratch.data(), g.shape(), DType::F32, Device::CPU);
    h.copy_from(g);
    p = scratch.data();
  }
  uint32_t bad = 0;  // an all-ones exponent is NaN or Inf; an integer OR vectorises
  for (int64_t i = 0; i < g.numel(); ++i) {
    uint32_t b;
    std::memcpy(&b, p + i, 4);
    bad |= uint32_t((b & 0x7f800000u) == 0x7f800000u);
  }
  return bad == 0;
}

// Mean cross-entropy of `task` on the centre window of each validation track that has its target.
double validation_loss(const Net& net, Tape& t, const WorkData& w, int task_index, int batch, int frames,
                       Tensor& x_dev, std::vector<float>& xh) {
  const char task = net.config.tasks.size() > 1 ? net.config.tasks[size_t(task_index)] : net.config.tasks[0];
  std::vector<int64_t> tracks;
  for (int64_t i : w.valid)
    if (w.has_target(task, i)) tracks.push_back(i);
  if (tracks.empty()) return std::nan("");
  std::vector<Window> win = centre_windows(w.store, tracks, frames);
  const int k = net.outputs(task_index);
  std::vector<float> y(static_cast<size_t>(k));
  double total = 0;
  for (size_t b = 0; b < win.size(); b += size_t(batch)) {
    const int n = int(std::min(win.size() - b, size_t(batch)));
    fill_windows(w.store, win.data() + b, n, frames, xh.data());
    Tensor xb = x_dev.slice0(0, n);
    upload(xb, xh.data());
    std::vector<float> p = to_host_f32(infer(net, t, xb, task_index).probs);
    for (int i = 0; i < n; ++i) {
      w.target(task, win[b + size_t(i)].track, y.data(), k);
      for (int c = 0; c < k; ++c)
        if (y[size_t(c)] > 0) total -= double(y[size_t(c)]) * std::log(std::max(double(p[size_t(i * k + c)]), 1e-15));
    }
  }
  return total / double(win.size());
}

}  // namespace

std::string default_run_dir(const std::string& work_dir, Arch arch, const std::string& tasks, int match) {
  return WorkDir(work_dir).run(net_name(arch, arch == Arch::wstn ? "g" : canonical_tasks(tasks), match ? match : 5));
}

TrainSummary run_train(const TrainOptions& in) {
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
    AGF_CHECK(o.tasks == "g", UsageError, "train: a wSTN is trained on g; --match N sets its size, got --tasks ", o.tasks);
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
  // The seed of every random stream of this net: keyed by the case as well as --seed (issue 12), unless
  // --shared-streams asks for the old behaviour (all nets of one seed share init, shuffles, crops, masks).
  const uint64_t rs = o.shared_streams ? o.seed : net_stream_seed(o.seed, o.arch, o.tasks, o.match);

  WorkData w = load_work(o.work_dir, o.tasks);
  AGF_CHECK(w.store.n_mels() == 128, FormatError, melstore_path(o.work_dir), ": ", w.store.n_mels(),
            " mel bands; the paper's nets take 128");
  NetConfig cfg;
  cfg.arch = o.arch;
  cfg.tasks = o.tasks;
  cfg.bn.momentum = o.bn_momentum;
  if (o.arch == Arch::wstn) cfg.width = wstn_width_for(mtn_params_for_tasks(o.match, cfg), cfg);
  for (char k : o.tasks)
    if (is_factor_task(k)) cfg.topics = w.factors.at(k).topics;

  ensure_dir(o.run_dir);
  const std::string ckpt_path = o.run_dir + "/checkpoint.safetensors";
  const std::string model_path = o.run_dir + "/model.safetensors";
  const std::string log_path = o.run_dir + "/train.jsonl";
  const nlohmann::json identity = identity_json(o, cfg, w);
  const nlohmann::json options = {{"epochs", o.epochs}, {"checkpoint_every", o.checkpoint_every},
                                  {"val_every", o.val_every}, {"max_bad_steps", o.max_bad_steps},
                                  {"work_dir", o.work_dir}, {"device", o.device}};
  const bool have_ckpt = std::filesystem::exists(ckpt_path);
  AGF_CHECK(o.resume || (!have_ckpt && !std::filesystem::exists(model_path)), UsageError, "train: ", o.run_dir,
            " already holds a run; pass --resume to continue it, or choose another --out");

  TrainSummary sum;
  sum.run_dir = o.run_dir;
  sum.model_path = model_path;
  sum.epochs = o.epochs;

  Compute comp = open_compute(o.device, true, "train");
  auto net = build_net(cfg);
  net->params.finalize(comp.device, DType::F32, derive_seed(rs, Stream::Init, 0));
  AdamConfig acfg;
  acfg.lr = o.lr;
  acfg.l2 = o.l2;
  // One optimizer per task (MTN: the shared block and that task's branch, with their own moments and
  // step counter, as the authors had); a single-task net has one over everything.
  const int T = int(o.tasks.size());
  Optimizers opts;
  for (int k = 0; k < T; ++k) {
    if (T == 1)
      opts.push_back(std::make_unique<Adam>(net->params, acfg, comp.cuda));
    else
      opts.push_back(std::make_unique<Adam>(net->params, acfg, comp.cuda,
                                            task_param_ranges(net->params, o.tasks[size_t(k)], true)));
  }
  Checkpoint ck;
  if (o.resume && have_ckpt) {
    ck = read_checkpoint(ckpt_path, *net, opts, identity);
    trim_jsonl(log_path, ck.epoch);
    if (ck.epoch >= o.epochs && std::filesystem::exists(model_path)) {
      sum.epochs_done = ck.epoch;
      sum.steps = ck.step;
      sum.finished = sum.already_finished = true;
      if (!o.quiet) std::fprintf(stderr, "train: %s is finished (%d epochs); nothing to do\n", o.run_dir.c_str(), ck.epoch);
      return sum;
    }
  } else {
    write_file_atomic(o.run_dir + "/config.json", nlohmann::json{{"identity", identity}, {"options", options}}.dump(1) + "\n");
    if (std::filesystem::exists(log_path)) std::filesystem::remove(log_path);
  }

  // Tracks per task.
  std::vector<std::vector<int64_t>> eligible(static_cast<size_t>(T));
  for (int k = 0; k < T; ++k) {
    for (int64_t i : w.train)
      if (w.has_target(o.tasks[size_t(k)], i)) eligible[size_t(k)].push_back(i);
    AGF_CHECK(eligible[size_t(k)].size() >= 2, FormatError, "train: task ", o.tasks[size_t(k)], " has ",
              eligible[size_t(k)].size(), " training tracks with a target in ", o.work_dir);
  }

  const int B = o.batch, F = o.frames, M = w.store.n_mels();
  const size_t per = size_t(M) * size_t(F);
  Arena arena(comp.device);
  Tape tape(arena, DType::F32);
  tape.cuda = comp.cuda;
  int kmax = 0;
  for (int k = 0; k < T; ++k) kmax = std::max(kmax, net->outputs(k));
  Tensor x = Tensor::empty(Shape{B, 1, M, F}, DType::F32, comp.device);
  Tensor y = Tensor::empty(Shape{B, kmax}, DType::F32, comp.device);
  std::vector<float> xh(size_t(B) * per), yh(size_t(B) * size_t(kmax));
  const int64_t n_buf = net->params.n_total() - net->params.n_trainable();
  Tensor bn_saved = Tensor::empty(Shape{std::max<int64_t>(n_buf, 1)}, DType::F32, comp.device);

  // One recorded step per task (fixed shapes and addresses: full batches only; a short last batch runs
  // eagerly), replayed on either device (--no-graph: every step eager). A graph step includes Adam, so a
  // non-finite step is undone from a snapshot of the parameters and that task's moments.
  const bool use_graph = o.graph;
  std::map<int, std::unique_ptr<StepGraph>> graphs;
  Tensor snap_v, snap_m, snap_s;
  if (use_graph) {
    int64_t nmax = 1;
    for (const auto& op : opts) nmax = std::max(nmax, op->m().numel());
    snap_v = Tensor::empty(Shape{net->params.n_total()}, DType::F32, comp.device);
    snap_m = Tensor::empty(Shape{nmax}, DType::F32, comp.device);
    snap_s = Tensor::empty(Shape{nmax}, DType::F32, comp.device);
  }
  JsonlWriter log(log_path);
  const int64_t steps_per_epoch_est = int64_t((eligible[0].size() + size_t(B) - 1) / size_t(B));
  const int end_epoch = o.stop_after > 0 ? std::min(o.epochs, ck.epoch + o.stop_after) : o.epochs;
  const int resume_epoch = ck.epoch, resume_batch = ck.batch;  // a mid-epoch checkpoint continues at that batch
  AGF_CHECK(resume_batch == 0 || ck.epoch < o.epochs, UsageError, "train --resume: ", ckpt_path, " stopped inside epoch ",
            ck.epoch + 1, "; --epochs ", o.epochs, " would end the run there (give --epochs ", ck.epoch + 1, " or more)");
  Progress prog(str("train ", net_name(o.arch, o.tasks, o.match)),
                std::max<int64_t>(0, int64_t(end_epoch - ck.epoch) * steps_per_epoch_est - resume_batch), "steps", o.quiet);
  if (!o.quiet)
    std::fprintf(stderr, "train: %s '%s', %lld parameters, %zu training tracks, epochs %d..%d of %d%s, batch %d, on %s -> %s\n",
                 arch_name(o.arch), o.tasks.c_str(), static_cast<long long>(net->num_trainable()), w.train.size(), ck.epoch + 1,
                 end_epoch, o.epochs, resume_batch > 0 ? str(" (from batch ", resume_batch + 1, ")").c_str() : "", B,
                 comp.describe().c_str(), o.run_dir.c_str());
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  int bad_in_row = ck.bad_in_row;
  std::vector<float> grad_scratch;  // CUDA: host copy of the gradients for the finiteness check
  nlohmann::json last;

  for (int epoch = ck.epoch; epoch < end_epoch; ++epoch) {
    // This epoch's plan: per batch, the task and the tracks, each with its crop (epoch_plan.h).
    EpochPlanInputs pin;
    pin.stream_seed = rs;
    pin.epoch = epoch;
    pin.batch = B;
    pin.frames = F;
    pin.task_draw = o.task_draw;
    pin.eligible = eligible;
    pin.train_tracks = w.train.size();
    const std::vector<PlannedBatch> plan = plan_epoch(pin, [&](int64_t tr) { return w.store.frames(tr); });

    std::vector<double> loss_sum(size_t(T), 0.0);
    std::vector<int64_t> loss_n(size_t(T), 0);
    size_t first = 0;
    if (epoch == resume_epoch && resume_batch > 0) {
      AGF_CHECK(size_t(resume_batch) < plan.size(), FormatError, ckpt_path, ": stopped after batch ", resume_batch,
                " of epoch ", epoch + 1, ", which has ", plan.size(), " batches here: not this run's data");
      first = size_t(resume_batch);
      loss_sum = ck.loss_sum;
      loss_n = ck.loss_n;
    }
    for (size_t bi = first; bi < plan.size(); ++bi) {
      // A stop request (SIGTERM/SIGINT, interrupt.h) is honoured here, between steps: the checkpoint records
      // this position inside the epoch, so that --resume takes exactly the batches, crops, dropout masks and
      // Adam steps an uninterrupted run would have.
      if (interrupt_requested()) {
        Checkpoint c = ck;
        c.batch = int(bi);
        c.seconds = ck.seconds + elapsed();
        c.bad_in_row = bad_in_row;
        c.loss_sum = loss_sum;
        c.loss_n = loss_n;
        write_checkpoint(ckpt_path, *net, opts, c, identity, options);
        const std::string msg = str("train: stopped by ", signal_name(interrupt_signal()), " at step ", ck.step,
                                    " (epoch ", epoch + 1, " of ", o.epochs, ", ", bi, " of its ", plan.size(),
                                    " batches done); checkpoint ", ckpt_path);
        prog.finish(msg);
        throw Interrupted(msg + "; continue with agf train --resume (or rerun agf experiment)", interrupt_signal());
      }
      if (ck.step == o.drill_wait_at_step) {  // drill: a test signals this step in flight (see trainer.h)
        write_file_atomic(o.run_dir + "/drill-waiting", std::to_string(ck.step) + "\n");
        for (int i = 0; i < 12000 && !interrupt_requested(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      const PlannedBatch& bt = plan[bi];
      const int n = int(bt.tracks.size());
      const char task = o.tasks[size_t(bt.task)];
      const int k = net->outputs(bt.task);
      std::vector<Window> win(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) {
        win[size_t(i)] = {bt.tracks[size_t(i)], bt.crops[size_t(i)]};
        w.target(task, bt.tracks[size_t(i)], yh.data() + size_t(i) * size_t(k), k);
      }
      fill_windows(w.store, win.data(), n, F, xh.data());
      if (o.nan_steps.count(ck.step)) xh[0] = std::nanf("");
      Tensor xb = x.slice0(0, n), yb = y.view(Shape{B * kmax}).slice0(0, int64_t(n) * k).view(Shape{n, k});
      upload(xb, xh.data());
      upload(yb, yh.data());
      Adam& opt = *opts[size_t(bt.task)];
      Tensor vals = net->params.values();
      const uint64_t step_seed = derive_seed(rs, Stream::Dropout, uint64_t(ck.step));
      double loss = 0;
      bool ok = true;
      if (use_graph && n == B) {
        Tensor sm = snap_m.slice0(0, opt.m().numel()), ss = snap_s.slice0(0, opt.v().numel());
        snap_v.copy_from(vals, comp.cuda);
        sm.copy_from(opt.m(), comp.cuda);
        ss.copy_from(opt.v(), comp.cuda);
        auto it = graphs.find(bt.task);
        if (it == graphs.end())  // its warm-up is this batch's step
          it = graphs.emplace(bt.task, std::make_unique<StepGraph>(*net, tape, opt, xb, yb, bt.task, step_seed)).first;
        else
          it->second->replay(step_seed);
        loss = scalar_value(it->second->loss());
        ok = std::isfinite(loss) && grads_finite(net->params, grad_scratch);
        if (!ok) {  // undo the whole step, Adam included
          vals.copy_from(snap_v, comp.cuda);
          Tensor m = opt.m(), v = opt.v();
          m.copy_from(sm, comp.cuda);
          v.copy_from(ss, comp.cuda);
          opt.set_steps(opt.steps() - 1);
        }
      } else {
        // Batch-norm running statistics are updated in the forward pass: keep them to undo a bad step.
        if (n_buf > 0) bn_saved.copy_from(vals.slice0(net->params.n_trainable(), net->params.n_total()), comp.cuda);
        tape.seed = step_seed;
        tape.rng_offset = 0;
        StepResult r = forward_backward(*net, tape, xb, yb, bt.task);
        loss = scalar_value(r.loss);
        ok = std::isfinite(loss) && grads_finite(net->params, grad_scratch);
        if (!ok) {
          if (n_buf > 0) vals.slice0(net->params.n_trainable(), net->params.n_total()).copy_from(bn_saved, comp.cuda);
        } else {
          opt.step();
        }
      }
      if (!ok) {
        ++ck.skipped;
        ++bad_in_row;
        std::fprintf(stderr, "\ntrain: step %lld (epoch %d): non-finite %s; step skipped (%d in a row)\n",
                     static_cast<long long>(ck.step), epoch + 1, std::isfinite(loss) ? "gradient" : "loss", bad_in_row);
        AGF_CHECK(bad_in_row < o.max_bad_steps, NumericError, "train: ", bad_in_row,
                  " non-finite steps in a row; stopping. The last good checkpoint (", ckpt_path,
                  ", epoch ", ck.epoch, ") is kept; lower --lr or check the inputs");
      } else {
        bad_in_row = 0;
        loss_sum[size_t(bt.task)] += loss * n;
        loss_n[size_t(bt.task)] += n;
      }
      ++ck.step;
      prog.add(1);
      count_training_step();
    }

    // End of epoch: log, then checkpoint.
    ck.epoch = epoch + 1;
    nlohmann::json rec = {{"epoch", ck.epoch}, {"step", ck.step}, {"skipped", ck.skipped},
                          {"seconds", ck.seconds + elapsed()}};
    nlohmann::json tr = nlohmann::json::object(), va = nlohmann::json::object();
    for (int k = 0; k < T; ++k)
      if (loss_n[size_t(k)]) tr[std::string(1, o.tasks[size_t(k)])] = loss_sum[size_t(k)] / double(loss_n[size_t(k)]);
    rec["train"] = tr;
    if (o.val_every > 0 && (ck.epoch % o.val_every == 0 || ck.epoch == o.epochs) && !w.valid.empty()) {
      for (int k = 0; k < T; ++k) {
        const double v = validation_loss(*net, tape, w, k, B, F, x, xh);
        if (std::isfinite(v)) va[std::string(1, o.tasks[size_t(k)])] = v;
      }
      rec["val"] = va;
    }
    log.write(rec);
    last = rec;
    std::string note = str("epoch ", ck.epoch, "/", o.epochs);
    for (auto it = tr.begin(); it != tr.end(); ++it) note += str(" ", it.key(), " ", std::round(it.value().get<double>() * 1000) / 1000);
    prog.set_note(note);
    if (ck.epoch % o.checkpoint_every == 0 || ck.epoch == o.epochs || ck.epoch == end_epoch) {
      Checkpoint c = ck;
      c.batch = 0;
      c.loss_sum.clear();
      c.loss_n.clear();
      c.bad_in_row = bad_in_row;
      c.seconds = ck.seconds + elapsed();
      write_checkpoint(ckpt_path, *net, opts, c, identity, options);
    }
  }
  sum.seconds = ck.seconds + elapsed();
  sum.epochs_done = ck.epoch;
  sum.steps = ck.step;
  sum.skipped_steps = ck.skipped;
  sum.last_record = last;
  if (ck.epoch >= o.epochs) {
    save_net(model_path, *net,
             {{"mel_params", w.store.params_json()},
              {"train", nlohmann::json{{"identity", identity}, {"epochs", ck.epoch}, {"steps", ck.step}}.dump()}});
    sum.finished = true;
  }
  prog.finish(str(sum.finished ? "done" : "stopped", ": ", ck.epoch, "/", o.epochs, " epochs, ", ck.step, " steps",
                  ck.skipped ? str(", ", ck.skipped, " skipped") : std::string(), " -> ",
                  sum.finished ? model_path : ckpt_path));
  return sum;
}

}  // namespace agf
