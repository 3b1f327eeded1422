// Conv2d, BatchNorm, Dense modules and traced parameter-free layers (see modules.h).
#include "layers/modules.h"

namespace agf {

static void trace(Tape& t, const std::string& name, Var y, int64_t params) {
  if (t.trace) t.rows.push_back(LayerRow{name, t.value(y).shape(), params});
}

Conv2d::Conv2d(ParamStore& ps, const std::string& name, int in, int out, int k)
    : ps_(&ps), name_(name), in_(in), out_(out), k_(k) {
  w_ = ps.add(name + ".weight", Shape{out, in, k, k}, Init::GlorotUniform, true, int64_t(in) * k * k,
              int64_t(out) * k * k);
  b_ = ps.add(name + ".bias", Shape{out}, Init::Zeros, false);
}

Var Conv2d::operator()(Tape& t, Var x) const {
  Var y = conv2d(t, x, t.param(*ps_, w_), t.param(*ps_, b_));
  if (t.trace) trace(t, name_ + " " + std::to_string(k_) + "x" + std::to_string(k_), y, num_params());
  return y;
}

BatchNorm::BatchNorm(ParamStore& ps, const std::string& name, int channels, BnConfig cfg)
    : ps_(&ps), name_(name), c_(channels), cfg_(cfg) {
  g_ = ps.add(name + ".weight", Shape{channels}, Init::Ones, false);
  b_ = ps.add(name + ".bias", Shape{channels}, Init::Zeros, false);
  rm_ = ps.add_buffer(name + ".running_mean", Shape{channels}, Init::Zeros);
  rv_ = ps.add_buffer(name + ".running_var", Shape{channels}, Init::Ones);
}

Var BatchNorm::operator()(Tape& t, Var x) const {
  Var y =
      batchnorm(t, x, t.param(*ps_, g_), t.param(*ps_, b_), ps_->value(rm_), ps_->value(rv_), cfg_.momentum, cfg_.eps);
  if (t.trace) trace(t, name_, y, num_params());
  return y;
}

Dense::Dense(ParamStore& ps, const std::string& name, int in, int out) : ps_(&ps), name_(name), in_(in), out_(out) {
  w_ = ps.add(name + ".weight", Shape{out, in}, Init::GlorotUniform, true, in, out);
  b_ = ps.add(name + ".bias", Shape{out}, Init::Zeros, false);
}

Var Dense::operator()(Tape& t, Var x) const {
  Var y = dense(t, x, t.param(*ps_, w_), t.param(*ps_, b_));
  if (t.trace) trace(t, name_, y, num_params());
  return y;
}

Var conv_unit(Tape& t, Var x, const Conv2d& conv, const BatchNorm* bn, const std::string& elu_name, int kh, int kw,
              const std::string& pool_name) {
  if (!t.training && !t.trace && t.device() == Device::CPU) {
    BnInference bi;
    if (bn) {
      bi.gamma = t.param(*bn->ps_, bn->g_);
      bi.beta = t.param(*bn->ps_, bn->b_);
      bi.running_mean = bn->ps_->value(bn->rm_);
      bi.running_var = bn->ps_->value(bn->rv_);
      bi.eps = bn->cfg_.eps;
    }
    return conv2d_bn_elu_pool_infer(t, x, t.param(*conv.ps_, conv.w_), t.param(*conv.ps_, conv.b_), bn ? &bi : nullptr,
                                    1.0, kh, kw);
  }
  Var h = conv(t, x);
  if (bn) h = (*bn)(t, h);
  h = elu_layer(t, h, elu_name);
  return kh == 1 && kw == 1 ? h : maxpool_layer(t, h, kh, kw, pool_name);
}

Var elu_layer(Tape& t, Var x, const std::string& name) {
  Var y = elu(t, x, 1.0);
  if (t.trace) trace(t, name, y, 0);
  return y;
}
Var maxpool_layer(Tape& t, Var x, int kh, int kw, const std::string& name) {
  Var y = maxpool(t, x, kh, kw);
  if (t.trace) trace(t, name + " " + std::to_string(kh) + "x" + std::to_string(kw), y, 0);
  return y;
}
Var dropout_layer(Tape& t, Var x, float p, const std::string& name) {
  Var y = dropout(t, x, p);
  if (t.trace) t.rows.push_back(LayerRow{name + " " + str(p), t.value(y).shape(), 0});
  return y;
}
Var gap_layer(Tape& t, Var x, const std::string& name) {
  Var y = gap(t, x);
  if (t.trace) trace(t, name, y, 0);
  return y;
}

}  // namespace agf
