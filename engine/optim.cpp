// Adam + L2 (see optim.h).
#include "engine/optim.h"
#include <cmath>
#include <vector>
#include "engine/device.h"
#include "kernels/adam.h"
#ifdef AGF_HAVE_CUDA
#include "engine/device_cuda.h"
#endif

namespace agf {


Adam::Adam(ParamStore& ps, AdamConfig cfg, CudaCtx* cuda) : ps_(ps), cfg_(cfg), cuda_(cuda) {
  AGF_CHECK(ps.finalized(), Error, "Adam: the ParamStore must be finalized first");
  if (ps.device() == Device::CUDA) {
#ifdef AGF_HAVE_CUDA
    AGF_CHECK(cuda_ != nullptr, DeviceError, "Adam: CUDA parameters need a CUDA context");
    bc_host_ = cuda_pinned_floats(2);
    bc_dev_ = static_cast<float*>(device_alloc(Device::CUDA, 2 * sizeof(float)));
#else
    throw DeviceError("Adam: built without the CUDA backend");
#endif
  }
}

Adam::~Adam() {
#ifdef AGF_HAVE_CUDA
  if (bc_host_) cuda_free_pinned(bc_host_);
  if (bc_dev_) device_free(Device::CUDA, bc_dev_);
#endif
}

void Adam::step() {
  begin_step();
  launch();
}

void Adam::begin_step() {
  ++t_;
  bc1_ = float(1.0 - std::pow(double(cfg_.beta1), double(t_)));
  bc2_ = float(1.0 - std::pow(double(cfg_.beta2), double(t_)));
  if (bc_host_) {  // CUDA: the captured upload reads these at execution time
    bc_host_[0] = bc1_;
    bc_host_[1] = bc2_;
  }
}

void Adam::launch() {
  const float bc1 = bc1_, bc2 = bc2_;
  const size_t n = size_t(ps_.n_trainable()), nd = size_t(ps_.n_decay());
  Tensor p = ps_.values(), g = ps_.grads(), m = ps_.adam_m(), v = ps_.adam_v();
  if (ps_.device() == Device::CPU) {
    if (ps_.dtype() == DType::F32) {
      if (cfg_.l2 > 0) l2_grad_cpu<float>(g.data<float>(), p.data<float>(), nd, cfg_.l2);
      adam_update_cpu<float>(p.data<float>(), g.data<float>(), m.data<float>(), v.data<float>(), n, cfg_.lr,
                             cfg_.beta1, cfg_.beta2, cfg_.eps, bc1, bc2);
    } else {
      if (cfg_.l2 > 0) l2_grad_cpu<double>(g.data<double>(), p.data<double>(), nd, cfg_.l2);
      adam_update_cpu<double>(p.data<double>(), g.data<double>(), m.data<double>(), v.data<double>(), n, cfg_.lr,
                              cfg_.beta1, cfg_.beta2, cfg_.eps, bc1, bc2);
    }
    return;
  }
#ifdef AGF_HAVE_CUDA
  // begin_step() wrote this step's corrections into pinned memory; the stream-ordered copy reads
  // them when it executes, so the same captured graph replays correctly at every step.
  cuda_upload_async(*cuda_, bc_dev_, bc_host_, 2 * sizeof(float));
  if (cfg_.l2 > 0) l2_grad_cuda(*cuda_, g.data<float>(), p.data<float>(), nd, cfg_.l2);
  adam_update_cuda(*cuda_, p.data<float>(), g.data<float>(), m.data<float>(), v.data<float>(), n, cfg_.lr, cfg_.beta1,
                   cfg_.beta2, cfg_.eps, bc_dev_);
#endif
}

double Adam::l2_penalty() const {
  Tensor w = ps_.values().slice0(0, ps_.n_decay());
  if (w.device() != Device::CPU) w = w.to(Device::CPU);
  double s = 0;
  for (int64_t i = 0; i < w.numel(); ++i) {
    double x = w.dtype() == DType::F32 ? double(w.data<float>()[i]) : w.data<double>()[i];
    s += x * x;
  }
  return cfg_.l2 * s;
}

}  // namespace agf
