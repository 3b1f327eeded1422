// Tape autograd (see tape.h).
#include "engine/tape.h"

namespace agf {

Tape::Tape(Arena& arena, DType dtype) : arena_(arena), dtype_(dtype) {}

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
  if (g.raw() == nullptr) g = arena_.zeros(vals_[size_t(v.id)].shape(), vals_[size_t(v.id)].dtype());
  return g;
}

void Tape::backward(Var loss) {
  AGF_CHECK(value(loss).numel() == 1, ShapeError, "backward: loss must be a scalar, got ", value(loss).shape().str());
  Tensor& g = grad(loss);
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
  arena_.reset();
}

}  // namespace agf
