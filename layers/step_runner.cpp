// One training step, eager or replayed, with the undo of a non-finite step (see step_runner.h).
#include "layers/step_runner.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/ops.h"
#include "kernels/elementwise.h"
#include "layers/step.h"

namespace agf {

namespace {

// Every gradient finite? Scanned in place on the CPU; on CUDA counted on the device (kernels/elementwise.h), so
// one int comes back instead of the whole gradient buffer. count: that device int, allocated on first use.
bool grads_finite(const ParamStore& ps, CudaCtx* cuda, Tensor& count) {
  const Tensor g = ps.grads();
  if (g.device() != Device::CPU) {
#ifdef AGF_HAVE_CUDA
    AGF_CHECK(cuda != nullptr, DeviceError, "train: CUDA gradients without a CUDA context");
    if (count.raw() == nullptr) count = Tensor::zeros(Shape{1}, DType::I32, Device::CUDA);
    count_nonfinite(*cuda, count.data<int32_t>(), g.data<float>(), size_t(g.numel()));
    int32_t n_bad = 0;
    count.copy_to_host(&n_bad);
    return n_bad == 0;
#else
    (void)cuda;
    (void)count;
    throw DeviceError("train: CUDA gradients but built without the CUDA backend");
#endif
  }
  const float* p = g.data<float>();
  uint32_t bad = 0;  // an all-ones exponent is NaN or Inf; an integer OR vectorises
  for (int64_t i = 0; i < g.numel(); ++i) {
    uint32_t b;
    std::memcpy(&b, p + i, 4);
    bad |= uint32_t((b & 0x7f800000u) == 0x7f800000u);
  }
  return bad == 0;
}

}  // namespace

StepRunner::StepRunner(const Net& net, Tape& tape, const std::vector<std::unique_ptr<Adam>>& optimizers,
                       Options options)
    : net_(net), tape_(tape), optimizers_(optimizers), options_(options) {
  const Device dev = net.params.device();
  if (!options_.guard) return;
  const int64_t n_buffers = net.params.n_total() - net.params.n_trainable();
  saved_bn_ = Tensor::empty(Shape{std::max<int64_t>(n_buffers, 1)}, DType::F32, dev);
  if (options_.graph) {
    int64_t n_moments = 1;
    for (const auto& opt : optimizers_) n_moments = std::max(n_moments, opt->m().numel());
    snapshot_params_ = Tensor::empty(Shape{net.params.n_total()}, DType::F32, dev);
    snapshot_m_ = Tensor::empty(Shape{n_moments}, DType::F32, dev);
    snapshot_v_ = Tensor::empty(Shape{n_moments}, DType::F32, dev);
  }
}

StepOutcome StepRunner::step(int task, const Tensor& x, const Tensor& targets, uint64_t step_seed) {
  if (options_.graph && x.shape()[0] == options_.batch) return graph_step(task, x, targets, step_seed);
  return eager_step(task, x, targets, step_seed);
}

bool StepRunner::finite(double loss) {
  return std::isfinite(loss) && grads_finite(net_.params, tape_.cuda, nonfinite_count_);
}

// A replay includes Adam: guarded, it is undone from a snapshot of the parameters and the task's moments.
StepOutcome StepRunner::graph_step(int task, const Tensor& x, const Tensor& targets, uint64_t step_seed) {
  Adam& opt = *optimizers_[size_t(task)];
  Tensor params = net_.params.values();
  Tensor snapshot_m, snapshot_v;
  if (options_.guard) {
    snapshot_m = snapshot_m_.slice0(0, opt.m().numel());
    snapshot_v = snapshot_v_.slice0(0, opt.v().numel());
    snapshot_params_.copy_from(params, tape_.cuda);
    snapshot_m.copy_from(opt.m(), tape_.cuda);
    snapshot_v.copy_from(opt.v(), tape_.cuda);
  }
  auto it = graphs_.find(task);
  if (it == graphs_.end())  // its warm-up is this batch's step
    it = graphs_.emplace(task, std::make_unique<StepGraph>(net_, tape_, opt, x, targets, task, step_seed)).first;
  else
    it->second->replay(step_seed);
  StepOutcome out;
  out.loss = scalar_value(it->second->loss());
  if (!options_.guard) {
    out.finite = std::isfinite(out.loss);
    return out;
  }
  out.finite = finite(out.loss);
  if (!out.finite) {  // undo the whole step, Adam included
    params.copy_from(snapshot_params_, tape_.cuda);
    Tensor m = opt.m(), v = opt.v();
    m.copy_from(snapshot_m, tape_.cuda);
    v.copy_from(snapshot_v, tape_.cuda);
    opt.set_steps(opt.steps() - 1);
  }
  return out;
}

// Eager: guarded, the gradients are checked before Adam runs; only the batch-norm running statistics,
// updated in the forward pass, need restoring.
StepOutcome StepRunner::eager_step(int task, const Tensor& x, const Tensor& targets, uint64_t step_seed) {
  Adam& opt = *optimizers_[size_t(task)];
  StepOutcome out;
  if (!options_.guard) {
    tape_.seed = step_seed;
    tape_.rng_offset = 0;
    out.loss = scalar_value(train_step(net_, tape_, opt, x, targets, task).loss);
    out.finite = std::isfinite(out.loss);
    return out;
  }
  Tensor params = net_.params.values();
  const ParamStore& ps = net_.params;
  const bool has_buffers = ps.n_total() > ps.n_trainable();
  if (has_buffers) saved_bn_.copy_from(params.slice0(ps.n_trainable(), ps.n_total()), tape_.cuda);
  tape_.seed = step_seed;
  tape_.rng_offset = 0;
  StepResult r = forward_backward(net_, tape_, x, targets, task);
  out.loss = scalar_value(r.loss);
  out.finite = finite(out.loss);
  if (!out.finite) {
    if (has_buffers) params.slice0(ps.n_trainable(), ps.n_total()).copy_from(saved_bn_, tape_.cuda);
  } else {
    opt.step();
  }
  return out;
}

}  // namespace agf
