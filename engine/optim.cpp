// Adam + L2 (see optim.h).
#include "engine/optim.h"
#include <algorithm>
#include <cmath>
#include <vector>
#include "engine/device.h"
#include "engine/graph.h"
#include "kernels/adam.h"
#ifdef AGF_HAVE_CUDA
#include "engine/device_cuda.h"
#include "kernels/cuda_ctx.h"
#endif

namespace agf {

Adam::Adam(ParamStore& ps, AdamConfig cfg, CudaCtx* cuda) : Adam(ps, cfg, cuda, {}) {}

Adam::Adam(ParamStore& ps, AdamConfig cfg, CudaCtx* cuda, std::vector<ParamRange> ranges)
    : ps_(ps), cfg_(cfg), cuda_(cuda), ranges_(std::move(ranges)) {
  AGF_CHECK(ps.finalized(), Error, "Adam: the ParamStore must be finalized first");
  const bool whole = ranges_.empty();
  if (whole) ranges_.push_back({0, ps.n_trainable()});
  int64_t end = 0, total = 0;
  for (const ParamRange& r : ranges_) {
    AGF_CHECK(r.offset >= end && r.n > 0 && r.offset + r.n <= ps.n_trainable(), Error, "Adam: range [", r.offset, ", ",
              r.offset + r.n, ") is not ascending, disjoint and within the ", ps.n_trainable(), " trainable elements");
    end = r.offset + r.n;
    total += r.n;
  }
  if (whole) {
    m_ = ps.adam_m();
    v_ = ps.adam_v();
  } else {
    m_ = Tensor::zeros(Shape{total}, ps.dtype(), ps.device());
    v_ = Tensor::zeros(Shape{total}, ps.dtype(), ps.device());
  }
  if (ps.device() == Device::CUDA) {
#ifdef AGF_HAVE_CUDA
    AGF_CHECK(cuda_ != nullptr, DeviceError, "Adam: CUDA parameters need a CUDA context");
    bc_pinned_ = cuda_pinned_floats(2);
    bc_dev_ = static_cast<float*>(device_alloc(Device::CUDA, 2 * sizeof(float)));
#else
    throw DeviceError("Adam: built without the CUDA backend");
#endif
  }
}

Adam::~Adam() {
#ifdef AGF_HAVE_CUDA
  if (bc_pinned_) cuda_free_pinned(bc_pinned_);
  if (bc_dev_) device_free(Device::CUDA, bc_dev_);
#endif
}

void Adam::step() {
  begin_step();
  launch();
}

void Adam::begin_step() {
  ++t_;
  bc_[0] = float(1.0 - std::pow(double(cfg_.beta1), double(t_)));
  bc_[1] = float(1.0 - std::pow(double(cfg_.beta2), double(t_)));
  // CUDA: a captured upload reads the pinned pair at execution. Replays call this only after the
  // previous replay finished (StepGraph::replay synchronises first), so the write never races it.
  if (bc_pinned_) {
    bc_pinned_[0] = bc_[0];
    bc_pinned_[1] = bc_[1];
  }
}

// L2 then Adam over each range, on backend be (Cpu, or a CudaCtx with T = float). bc: [bc1, bc2] in be's memory,
// read when the kernels run.
template <typename Backend, typename T> static void launch_ranges(Backend& be, T* p, T* g, T* m, T* v,
                                                                  const std::vector<ParamRange>& ranges, int64_t nd,
                                                                  const AdamConfig& c, const float* bc) {
  int64_t so = 0;
  for (const ParamRange& r : ranges) {
    const int64_t dec = std::min(r.offset + r.n, nd) - r.offset;  // the decayed prefix of this range
    if (c.l2 > 0 && dec > 0) l2_grad(be, g + r.offset, p + r.offset, size_t(dec), c.l2);
    adam_update(be, p + r.offset, g + r.offset, m + so, v + so, size_t(r.n), c.lr, c.beta1, c.beta2, c.eps, bc);
    so += r.n;
  }
}

void Adam::launch() {
  const int64_t nd = ps_.n_decay();
  Tensor p = ps_.values(), g = ps_.grads(), m = m_, v = v_;
  if (ps_.device() == Device::CPU) {
    // Recorded by a CPU capture: the closure reads this step's corrections from bc_ when it runs.
    const float* bc = bc_;
    const AdamConfig c = cfg_;
    const std::vector<ParamRange>* ranges = &ranges_;
    if (ps_.dtype() == DType::F32)
      cpu_exec([=] {
        Cpu be;
        launch_ranges(be, p.data<float>(), g.data<float>(), m.data<float>(), v.data<float>(), *ranges, nd, c, bc);
      });
    else
      cpu_exec([=] {
        Cpu be;
        launch_ranges(be, p.data<double>(), g.data<double>(), m.data<double>(), v.data<double>(), *ranges, nd, c, bc);
      });
    return;
  }
#ifdef AGF_HAVE_CUDA
  // Inside a capture the copy reads the pinned pair when the graph executes; eagerly, the pageable
  // host pair is staged before the call returns, so the next begin_step cannot race it.
  const bool captured = capturing() || cuda_->capturing();  // DeviceGraph, or a raw CudaGraph capture
  cuda_upload_async(*cuda_, bc_dev_, captured ? static_cast<const void*>(bc_pinned_) : bc_, 2 * sizeof(float));
  launch_ranges(*cuda_, p.data<float>(), g.data<float>(), m.data<float>(), v.data<float>(), ranges_, nd, cfg_, bc_dev_);
#endif
}

double Adam::l2_penalty() const {
  const int64_t nd = ps_.n_decay();
  double s = 0;
  for (const ParamRange& r : ranges_) {
    const int64_t dec = std::min(r.offset + r.n, nd) - r.offset;
    if (dec <= 0) continue;
    Tensor w = ps_.values().slice0(r.offset, r.offset + dec);
    std::vector<double> h(size_t(w.numel()));
    if (w.dtype() == DType::F64) {
      w.copy_to_host(h.data());
    } else {
      std::vector<float> f(h.size());
      w.copy_to_host(f.data());
      std::copy(f.begin(), f.end(), h.begin());
    }
    for (double x : h) s += x * x;
  }
  return cfg_.l2 * s;
}

std::vector<ParamRange> task_param_ranges(const ParamStore& ps, char task, bool multi_task) {
  // Parameters are visited in declaration order, not offset order (decayed weights come first in the
  // buffer): collect, sort by offset, then merge neighbours once.
  std::vector<ParamRange> r;
  const std::string keep = std::string(1, task) + ".";
  for (int i = 0; i < ps.size(); ++i) {
    const ParamInfo& p = ps.info(i);
    if (!p.trainable || p.shape.numel() == 0) continue;
    if (multi_task && p.name.rfind("shared.", 0) != 0 && p.name.rfind(keep, 0) != 0) continue;
    r.push_back({int64_t(p.offset), p.shape.numel()});
  }
  std::sort(r.begin(), r.end(), [](const ParamRange& a, const ParamRange& b) { return a.offset < b.offset; });
  std::vector<ParamRange> out;
  for (const ParamRange& x : r) {
    if (!out.empty() && out.back().offset + out.back().n == x.offset)
      out.back().n += x.n;
    else
      out.push_back(x);
  }
  return out;
}

}  // namespace agf
