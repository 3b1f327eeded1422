// The plan's calibration (plan.h plan_calibrate): per net shape, a few training steps as the trainer runs a
// full batch (layers/step_runner.h: the guarded replay of the recorded step) and a few
// batches of net_features; per MLP width, a few train_step calls and mlp_probs batches. Random inputs, one
// untimed warm-up each; the number of timed units adapts to a time budget (at least 2 steps or 1 batch of
// forwards, at most 20), and the median unit is kept.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "agf/train/features.h"
#include "agf/train/plan.h"
#include "agf/train/session.h"
#include "util/error.h"
#include "engine/ops.h"
#include "kernels/isa.h"
#include "kernels/philox.h"
#include "layers/step.h"
#include "layers/step_graph.h"
#include "layers/step_runner.h"
#include "layers/tasks.h"
#include "layers/paper.h"

namespace agf {

namespace {

constexpr int kMels = paper::kMels, kFrames = paper::kFrames;
constexpr int64_t kMaxTimed = 20;

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Runs `unit` once untimed, then times it until `budget_s` has passed, min_timed..kMaxTimed times; the
// median unit (robust to a neighbour's burst on a shared machine) and the count.
template <typename F> PlanTiming time_units(double budget_s, int64_t min_timed, F unit) {
  unit();
  std::vector<double> t;
  const double t0 = now_s();
  while (int64_t(t.size()) < min_timed || (int64_t(t.size()) < kMaxTimed && now_s() - t0 < budget_s)) {
    const double a = now_s();
    unit();
    t.push_back(now_s() - a);
  }
  std::sort(t.begin(), t.end());
  const size_t m = t.size() / 2;
  return {t.size() % 2 ? t[m] : 0.5 * (t[m - 1] + t[m]), int64_t(t.size())};
}

std::vector<float> random_floats(size_t n, uint64_t seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = 2.f * philox_uniform(seed, 0, uint64_t(i)) - 1.f;
  return v;
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) {
      const size_t c = line.find(':');
      return c == std::string::npos ? std::string() : line.substr(c + 2);
    }
  return "";
}

NetConfig config_of(const std::string& shape, int topics) {
  NetConfig c;
  c.topics = topics;
  if (shape == "stn") return c;  // the genre DCNN (a factor STN differs only in its last layer's 40 outputs)
  const int n = std::atoi(shape.c_str() + shape.find('-') + 1);
  if (shape.rfind("mtn-", 0) == 0) {
    c.arch = Arch::mtn;
    c.tasks = first_tasks(n);  // a step trains the shared block and one branch
    return c;
  }
  if (shape.rfind("wstn-", 0) == 0) return plan_wstn_config(n);
  throw UsageError(str("plan: unknown net shape '", shape, "'"));
}

// One training step of `cfg` at batch B as trainer.cpp runs a full batch: upload the batch, then the guarded
// replay of layers/step_runner.h (snapshot of the parameters and the task's Adam moments, the recorded step, the
// loss and the finiteness check of the gradients).
PlanTiming time_net_step(const NetConfig& cfg, const Compute& comp, int B, double budget_s) {
  auto net = build_net(cfg);
  net->params.finalize(comp.device, DType::F32, 11);
  AdamConfig ac;
  std::vector<std::unique_ptr<Adam>> optimizers;
  optimizers.push_back(
      net->num_tasks() == 1
          ? std::make_unique<Adam>(net->params, ac, comp.cuda)
          : std::make_unique<Adam>(net->params, ac, comp.cuda, task_param_ranges(net->params, cfg.tasks[0], true)));
  Arena arena(comp.device);
  Tape tape(arena, DType::F32);
  tape.cuda = comp.cuda;
  const int K = net->outputs(0);
  Tensor x = Tensor::empty(Shape{B, 1, kMels, kFrames}, DType::F32, comp.device);
  Tensor y = Tensor::empty(Shape{B, K}, DType::F32, comp.device);
  const std::vector<float> xh = random_floats(size_t(B) * kMels * kFrames, 3);
  std::vector<float> yh(size_t(B) * size_t(K), 0.f);
  for (int i = 0; i < B; ++i) yh[size_t(i * K + i % K)] = 1.f;
  upload(x, xh.data());
  upload(y, yh.data());
  StepRunner runner(*net, tape, optimizers, StepRunner::Options{true, B, true});
  runner.step(0, x, y, 1);  // records the task's step (its warm-up is one eager step)
  uint64_t step = 1;
  double sink = 0;
  PlanTiming r = time_units(budget_s, 2, [&] {
    upload(x, xh.data());
    upload(y, yh.data());
    sink += runner.step(0, x, y, ++step).loss;
  });
  AGF_CHECK(sink == sink, NumericError, "plan calibration: non-finite loss for ", cfg.arch, " '", cfg.tasks, "'");
  return r;
}

// One window through one task branch, from net_features over batches of random windows (all branches of an
// MTN, divided by its task count).
PlanTiming time_net_forward(const NetConfig& cfg, const Compute& comp, double budget_s) {
  SourceNet sn;
  sn.name = arch_name(cfg.arch);
  sn.net = build_net(cfg);
  sn.net->params.finalize(comp.device, DType::F32, 12);
  {
    Arena arena(comp.device);
    Tape t(arena, DType::F32);
    t.cuda = comp.cuda;
    Tensor z = Tensor::zeros(sn.net->input_shape(1), DType::F32, comp.device);
    for (int k = 0; k < sn.net->num_tasks(); ++k) sn.task_dims.push_back(infer(*sn.net, t, z, k).feature.dim(1));
  }
  // net_features' batch is kNetInferenceBatch. On the CPU it keeps its arena from call to call, so a
  // call of one batch is timed; on CUDA each call makes its arena anew, which a real call (every window of a
  // split) pays once: 8 batches a call there.
  const int n = kNetInferenceBatch * (comp.device == Device::CPU ? 1 : 8);
  const std::vector<float> xh = random_floats(size_t(n) * kMels * kFrames, 4);
  const WindowFill fill = [&](int64_t i0, int nb, float* x) {
    std::memcpy(x, xh.data() + size_t(i0) * kMels * kFrames, sizeof(float) * size_t(nb) * kMels * kFrames);
  };
  PlanTiming r = time_units(budget_s, 1, [&] { net_features(sn, comp, n, kMels, kFrames, fill, nullptr); });
  r.seconds /= double(n) * double(sn.net->num_tasks());
  r.timed *= n;  // windows
  return r;
}

PlanTiming time_mlp_step(int64_t D, const Compute& comp, int B, double budget_s) {
  NetConfig mc;
  mc.arch = Arch::mlp;
  mc.inputs = int(D);
  mc.outputs = 16;
  auto mlp = build_net(mc);
  mlp->params.finalize(comp.device, DType::F32, 13);
  Adam opt(mlp->params, AdamConfig{}, comp.cuda);
  Arena arena(comp.device);
  Tape tape(arena, DType::F32);
  tape.cuda = comp.cuda;
  Tensor x = Tensor::empty(Shape{B, D}, DType::F32, comp.device),
         y = Tensor::empty(Shape{B, 16}, DType::F32, comp.device);
  const std::vector<float> xh = random_floats(size_t(B * D), 5);
  std::vector<float> yh(size_t(B) * 16, 0.f);
  for (int i = 0; i < B; ++i) yh[size_t(i * 16 + i % 16)] = 1.f;
  uint64_t step = 0;
  double sink = 0;
  PlanTiming r = time_units(budget_s, 2, [&] {  // as transfer.cpp's MLP loop
    upload(x, xh.data());
    upload(y, yh.data());
    tape.seed = ++step;
    tape.rng_offset = 0;
    sink += scalar_value(train_step(*mlp, tape, opt, x, y).loss);
  });
  AGF_CHECK(sink == sink, NumericError, "plan calibration: non-finite MLP loss at width ", D);
  return r;
}

PlanTiming time_mlp_forward(int64_t D, const Compute& comp, double budget_s) {
  NetConfig mc;
  mc.arch = Arch::mlp;
  mc.inputs = int(D);
  mc.outputs = 16;
  auto mlp = build_net(mc);
  mlp->params.finalize(comp.device, DType::F32, 14);
  // mlp_probs' batch in transfer.cpp is kMlpInferenceBatch; a call of 8 batches, since a call's own set-up (a fresh arena) is
  // paid once per evaluation there, not per batch (measured: up to 56 ms per call here, 35x a batch's work).
  constexpr int B = kMlpInferenceBatch, n = 8 * B;
  const std::vector<float> xh = random_floats(size_t(n * D), 6);
  PlanTiming r = time_units(budget_s, 2, [&] { mlp_probs(*mlp, comp, xh, n, D, B); });
  r.seconds /= n;
  r.timed *= n;
  return r;
}

}  // namespace

PlanCalibration plan_calibrate(const std::vector<std::string>& shapes, const PlanCalibrateOptions& o) {
  AGF_CHECK(o.batch >= 2, UsageError, "plan calibration: --batch must be >= 2");
  const double t0 = now_s();
  Compute comp = open_compute(o.device, true, "plan calibration");
  PlanCalibration c;
  c.batch = o.batch;
  c.device = comp.describe();
  if (comp.device == Device::CPU) {
    const std::string model = cpu_model();
    c.device += str(model.empty() ? "" : ", " + model, ", ", cpu_isa_name(cpu_isa()), " kernels");
  }
  for (const std::string& s : shapes) {
    if (!o.quiet) std::fprintf(stderr, "plan: calibrating %s on %s\n", s.c_str(), c.device.c_str());
    if (s.rfind("mlp-", 0) == 0) {
      const int64_t D = std::atoll(s.c_str() + 4);
      AGF_CHECK(D >= 1, UsageError, "plan: bad MLP shape '", s, "'");
      c.step[s] = time_mlp_step(D, comp, o.batch, o.step_budget_s / 4);
      c.forward[s] = time_mlp_forward(D, comp, o.forward_budget_s / 4);
    } else {
      const NetConfig cfg = config_of(s, o.topics);
      c.step[s] = time_net_step(cfg, comp, o.batch, o.step_budget_s);
      c.forward[s] = time_net_forward(cfg, comp, o.forward_budget_s);
    }
  }
  c.seconds = now_s() - t0;
  return c;
}

}  // namespace agf
