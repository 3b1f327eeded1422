// ParamStore: all parameters of a model in ONE contiguous buffer, with gradients and Adam moments
// in buffers of the same layout (llm.c, tiny-cuda-nn). Layout: weights that take L2 decay first,
// then the other trainable parameters (biases, BN gamma/beta), then non-trainable buffers (BN
// running statistics). One launch updates everything; one memset zeroes all gradients.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "engine/tensor.h"

namespace agf {

enum class Init { Zeros, Ones, GlorotUniform };

struct ParamInfo {
  std::string name;
  Shape shape;
  Init init;
  bool trainable = true;
  bool decay = false;  // L2 weight decay applies (conv and dense kernels)
  size_t offset = 0;   // element offset in the buffer, set by finalize()
  int64_t fan_in = 0, fan_out = 0;
};

class ParamStore {
 public:
  int add(const std::string& name, Shape s, Init init, bool decay, int64_t fan_in = 0, int64_t fan_out = 0);
  int add_buffer(const std::string& name, Shape s, Init init);  // non-trainable state (BN running stats)
  // Allocates the buffers on dev in dtype and initialises every parameter from Philox(seed).
  void finalize(Device dev, DType dt, uint64_t seed);
  bool finalized() const { return finalized_; }

  int size() const { return int(infos_.size()); }
  const ParamInfo& info(int i) const { return infos_[size_t(i)]; }
  int find(const std::string& name) const;  // -1 if absent
  Tensor value(int i) const;
  Tensor grad(int i) const;  // trainable parameters only

  int64_t n_trainable() const { return n_trainable_; }  // elements updated by Adam: [0, n_trainable)
  int64_t n_decay() const { return n_decay_; }          // elements with L2 decay: [0, n_decay)
  int64_t n_total() const { return n_total_; }          // including buffers
  Device device() const { return dev_; }
  DType dtype() const { return dtype_; }

  Tensor values() const { return values_; }  // (n_total)
  Tensor grads() const { return grads_; }    // (n_trainable)
  Tensor adam_m() const { return m_; }       // (n_trainable)
  Tensor adam_v() const { return v_; }       // (n_trainable)
  void zero_grad(CudaCtx* cuda = nullptr);   // CUDA: on cuda's stream (capturable)

 private:
  std::vector<ParamInfo> infos_;
  bool finalized_ = false;
  int64_t n_trainable_ = 0, n_decay_ = 0, n_total_ = 0;
  Device dev_ = Device::CPU;
  DType dtype_ = DType::F32;
  Tensor values_, grads_, m_, v_;
};

}  // namespace agf
