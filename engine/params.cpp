// ParamStore layout and initialisation (see params.h). Initialisation follows Keras defaults as the
// authors' code used them: Glorot-uniform kernels, zero biases, BN gamma 1 / beta 0, running var 1.
#include "engine/params.h"
#include <cmath>
#include <vector>
#include "kernels/philox.h"

namespace agf {

int ParamStore::add(const std::string& name, Shape s, Init init, bool decay, int64_t fan_in, int64_t fan_out) {
  AGF_CHECK(!finalized_, Error, "ParamStore: cannot add '", name, "' after finalize()");
  AGF_CHECK(find(name) < 0, Error, "ParamStore: duplicate parameter name '", name, "'");
  infos_.push_back(ParamInfo{name, s, init, true, decay, 0, fan_in, fan_out});
  return int(infos_.size()) - 1;
}

int ParamStore::add_buffer(const std::string& name, Shape s, Init init) {
  AGF_CHECK(!finalized_, Error, "ParamStore: cannot add '", name, "' after finalize()");
  AGF_CHECK(find(name) < 0, Error, "ParamStore: duplicate parameter name '", name, "'");
  infos_.push_back(ParamInfo{name, s, init, false, false, 0, 0, 0});
  return int(infos_.size()) - 1;
}

int ParamStore::find(const std::string& name) const {
  for (size_t i = 0; i < infos_.size(); ++i)
    if (infos_[i].name == name) return int(i);
  return -1;
}

void ParamStore::finalize(Device dev, DType dt, uint64_t seed) {
  AGF_CHECK(!finalized_, Error, "ParamStore: finalize() called twice");
  AGF_CHECK(dt == DType::F32 || dt == DType::F64, DTypeError, "ParamStore: dtype must be F32 or F64");
  AGF_CHECK(dev == Device::CPU || dt == DType::F32, DTypeError, "ParamStore: CUDA parameters must be F32");
  dev_ = dev;
  dtype_ = dt;
  int64_t off = 0;
  // Three passes give the documented layout: decayed weights, other trainables, buffers.
  for (int pass = 0; pass < 3; ++pass) {
    for (auto& p : infos_) {
      bool in = pass == 0 ? (p.trainable && p.decay) : pass == 1 ? (p.trainable && !p.decay) : !p.trainable;
      if (!in) continue;
      p.offset = size_t(off);
      off += p.shape.numel();
    }
    if (pass == 0) n_decay_ = off;
    if (pass == 1) n_trainable_ = off;
  }
  n_total_ = off;
  // Initialise on the host in float64, then convert and copy.
  std::vector<double> host(size_t(n_total_), 0.0);
  for (size_t i = 0; i < infos_.size(); ++i) {
    const ParamInfo& p = infos_[i];
    double* dst = host.data() + p.offset;
    int64_t n = p.shape.numel();
    if (p.init == Init::Ones) {
      for (int64_t j = 0; j < n; ++j) dst[j] = 1.0;
    } else if (p.init == Init::GlorotUniform) {
      double limit = std::sqrt(6.0 / double(p.fan_in + p.fan_out));
      for (int64_t j = 0; j < n; ++j)
        dst[j] = limit * (2.0 * philox_uniform(seed, uint64_t(i) << 32, uint64_t(j)) - 1.0);
    }
  }
  values_ = Tensor::empty(Shape{n_total_}, dt, Device::CPU);
  for (int64_t j = 0; j < n_total_; ++j) {
    if (dt == DType::F32)
      values_.data<float>()[j] = float(host[size_t(j)]);
    else
      values_.data<double>()[j] = host[size_t(j)];
  }
  if (dev != Device::CPU) values_ = values_.to(dev);
  grads_ = Tensor::zeros(Shape{n_trainable_}, dt, dev);
  m_ = Tensor::zeros(Shape{n_trainable_}, dt, dev);
  v_ = Tensor::zeros(Shape{n_trainable_}, dt, dev);
  finalized_ = true;
}

Tensor ParamStore::value(int i) const {
  AGF_CHECK(finalized_, Error, "ParamStore: value() before finalize()");
  const ParamInfo& p = infos_.at(size_t(i));
  return Tensor::wrap(static_cast<char*>(values_.raw()) + p.offset * dtype_size(dtype_), p.shape, dtype_, dev_);
}

Tensor ParamStore::grad(int i) const {
  AGF_CHECK(finalized_, Error, "ParamStore: grad() before finalize()");
  const ParamInfo& p = infos_.at(size_t(i));
  AGF_CHECK(p.trainable, Error, "ParamStore: '", p.name, "' is a buffer and has no gradient");
  return Tensor::wrap(static_cast<char*>(grads_.raw()) + p.offset * dtype_size(dtype_), p.shape, dtype_, dev_);
}

void ParamStore::zero_grad(CudaCtx* cuda) { grads_.zero_(cuda); }

}  // namespace agf
