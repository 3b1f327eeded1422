// Modules: own parameter indices in a ParamStore and call tape ops. Construct them before
// ParamStore::finalize(); call them after. Each records a LayerRow when the tape traces.
#pragma once
#include <string>
#include "engine/ops.h"

namespace agf {

struct BnConfig {
  double momentum = 0.01;  // r = (1 - m) r + m batch  (Keras momentum 0.99)
  double eps = 1e-3;       // Keras default, as the authors' final code
};

class BatchNorm;

class Conv2d {
 public:
  Conv2d() = default;
  Conv2d(ParamStore& ps, const std::string& name, int in, int out, int k);
  Var operator()(Tape& t, Var x) const;
  int64_t num_params() const { return int64_t(out_) * in_ * k_ * k_ + out_; }
  int out_channels() const { return out_; }

 private:
  friend Var conv_unit(Tape&, Var, const Conv2d&, const BatchNorm*, const std::string&, int, int, const std::string&);
  const ParamStore* ps_ = nullptr;
  std::string name_;
  int w_ = -1, b_ = -1, in_ = 0, out_ = 0, k_ = 0;
};

class BatchNorm {
 public:
  BatchNorm() = default;
  BatchNorm(ParamStore& ps, const std::string& name, int channels, BnConfig cfg = {});
  Var operator()(Tape& t, Var x) const;
  int64_t num_params() const { return 2 * int64_t(c_); }  // trainable; running stats are buffers

 private:
  friend Var conv_unit(Tape&, Var, const Conv2d&, const BatchNorm*, const std::string&, int, int, const std::string&);
  const ParamStore* ps_ = nullptr;
  std::string name_;
  int g_ = -1, b_ = -1, rm_ = -1, rv_ = -1, c_ = 0;
  BnConfig cfg_;
};

class Dense {
 public:
  Dense() = default;
  Dense(ParamStore& ps, const std::string& name, int in, int out);
  Var operator()(Tape& t, Var x) const;
  int64_t num_params() const { return int64_t(out_) * in_ + out_; }

 private:
  const ParamStore* ps_ = nullptr;
  std::string name_;
  int w_ = -1, b_ = -1, in_ = 0, out_ = 0;
};

// conv -> [batch norm] -> ELU -> [max-pool kh x kw], the DCNN's repeated unit (bn null: none; kh = kw = 1: no pool).
// In inference on the CPU without a trace, one fused kernel (conv2d_bn_elu_pool_infer: the activation before the
// pool never leaves the cache); otherwise the separate ops, each traced. The same numbers either way (tests/layers).
Var conv_unit(Tape& t, Var x, const Conv2d& conv, const BatchNorm* bn, const std::string& elu_name, int kh = 1,
              int kw = 1, const std::string& pool_name = "");

// Parameter-free layers as functions that also trace.
Var elu_layer(Tape& t, Var x, const std::string& name);
Var maxpool_layer(Tape& t, Var x, int kh, int kw, const std::string& name);
Var dropout_layer(Tape& t, Var x, float p, const std::string& name);
Var gap_layer(Tape& t, Var x, const std::string& name);

}  // namespace agf
