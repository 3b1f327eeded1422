// Tape autograd (see tape.h).
#include "engine/tape.h"
#include "engine/device.h"
#include "engine/graph.h"
#ifdef AGF_HAVE_CUDA
#include "engine/device_cuda.h"
#include "kernels/cuda_ctx.h"
#endif

namespace agf {

Tape::Tape(Arena& arena, DType dtype) : arena_(arena), dtype_(dtype) {}

Tape::~Tape() {
#ifdef AGF_HAVE_CUDA
  cuda_free_pinned(rng_pinned_);
  if (rng_dev_) device_free(Device::CUDA, rng_dev_);
#endif
}

const uint64_t* Tape::rng_slot(uint64_t seed_value, uint64_t offset) {
  AGF_CHECK(rng_used_ < kRngSlots, Error, "tape: more than ", kRngSlots, " dropout ops in one step");
  const int k = rng_used_++;
  slot_offset_[k] = offset;
  rng_host_[2 * k] = seed_value;
  rng_host_[2 * k + 1] = offset;
  if (device() == Device::CPU) return rng_host_ + 2 * k;
#ifdef AGF_HAVE_CUDA
  AGF_CHECK(cuda != nullptr, DeviceError, "tape: CUDA dropout without a CUDA context");
  if (!rng_pinned_) {
    check_not_capturing("the first CUDA dropout slot allocation");
    rng_pinned_ = cuda_pinned_u64(2 * kRngSlots);
    rng_dev_ = static_cast<uint64_t*>(device_alloc(Device::CUDA, 2 * kRngSlots * sizeof(uint64_t)));
  }
  if (capturing() || cuda->capturing()) {
    // The captured copy reads the pinned pair when the graph executes; replays rewrite it first.
    rng_pinned_[2 * k] = seed_value;
    rng_pinned_[2 * k + 1] = offset;
    cuda_upload_async(*cuda, rng_dev_ + 2 * k, rng_pinned_ + 2 * k, 2 * sizeof(uint64_t));
  } else {
    // Eager: a pageable source is staged before the call returns, so the host pair may change at once
    // (a pinned source would be read at execution, racing the next step's write).
    cuda_upload_async(*cuda, rng_dev_ + 2 * k, rng_host_ + 2 * k, 2 * sizeof(uint64_t));
  }
  return rng_dev_ + 2 * k;
#else
  throw DeviceError("tape: built without the CUDA backend");
#endif
}

void Tape::write_rng_slot(int k, uint64_t seed_value, uint64_t offset) {
  AGF_CHECK(k >= 0 && k < kRngSlots, Error, "tape: dropout slot ", k, " out of range");
  rng_host_[2 * k] = seed_value;
  rng_host_[2 * k + 1] = offset;
  if (rng_pinned_) {
    rng_pinned_[2 * k] = seed_value;
    rng_pinned_[2 * k + 1] = offset;
  }
}

Var Tape::input(const Tensor& t, bool requires_grad) { return make(t, requires_grad); }

Var Tape::param(const ParamStore& ps, int index) {
  const ParamInfo& info = ps.info(index);
  Var v = make(ps.value(index), info.trainable);
  if (info.trainable) grads_[size_t(v.id)] = ps.grad(index);
  return v;
}

Var Tape::make(const Tensor& value, bool requires_grad) {
  AGF_CHECK(value.device() == device(), DeviceError, "tape on ", device_name(device()), " got a tensor on ",
            device_name(value.device()), " ", value.shape().str());
  vals_.push_back(value);
  grads_.emplace_back();
  needs_.push_back(requires_grad ? 1 : 0);
  return Var{int(vals_.size()) - 1};
}

Tensor& Tape::grad(Var v) {
  Tensor& g = grads_[size_t(v.id)];
  if (g.raw() == nullptr) g = arena_.zeros(vals_[size_t(v.id)].shape(), vals_[size_t(v.id)].dtype(), cuda);
  return g;
}

Tape::GradWrite Tape::grad_for_write(Var v) {
  Tensor& g = grads_[size_t(v.id)];
  if (g.raw() != nullptr || device() != Device::CPU) return {grad(v), true};
  g = arena_.alloc(vals_[size_t(v.id)].shape(), vals_[size_t(v.id)].dtype());
  return {g, false};
}

void Tape::backward(Var loss) {
  AGF_CHECK(value(loss).numel() == 1, ShapeError, "backward: loss must be a scalar, got ", value(loss).shape().str());
  Tensor& g = grad(loss);
#ifdef AGF_HAVE_CUDA
  if (g.device() == Device::CUDA) {
    AGF_CHECK(cuda != nullptr, DeviceError, "backward: CUDA loss without a CUDA context");
    cuda_fill_one_async(*cuda, g.data<float>());  // stream-ordered: capturable
  } else
#endif
    g.fill_(1.0);
  for (size_t i = nodes_.size(); i-- > 0;) nodes_[i]();
}

void Tape::reset() {
  vals_.clear();
  grads_.clear();
  needs_.clear();
  nodes_.clear();
  rows.clear();
  rng_offset = 0;
  rng_used_ = 0;
  arena_.reset();
}

}  // namespace agf
