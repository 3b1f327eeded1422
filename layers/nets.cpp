// DCNN / MTN / wSTN / MLP (see nets.h). Block 1 = conv 16@5x5, ELU, max-pool 2x1; the branch is
// every later layer: conv 32@3x3 BN ELU pool 2x2 dropout .1 -> conv 64 ELU pool 2x2 -> conv 64 BN ELU
// pool 2x2 dropout .1 -> conv 128 ELU pool 2x2 -> conv 256 ELU -> conv 256@1x1 BN ELU -> GAP -> BN ->
// dense 256 BN ELU (transfer feature) -> dropout .5 -> dense N.
#include "layers/nets.h"
#include <cmath>
#include <ostream>
#include "layers/tasks.h"
#include "layers/paper.h"

namespace agf {

namespace {

int scaled(int base, double width) { return std::max(1, int(std::lround(base * width))); }

struct Block1 {
  Conv2d conv1;
  std::string prefix;
  Block1(ParamStore& ps, const std::string& pre, double width)
      : conv1(ps, pre + "conv1", 1, scaled(16, width), 5), prefix(pre) {}
  Var operator()(Tape& t, Var x) const {
    return conv_unit(t, x, conv1, nullptr, prefix + "elu1", 2, 1, prefix + "pool1");
  }
};

struct Branch {
  std::string p;
  Conv2d conv2, conv3, conv4, conv5, conv6, conv7;
  BatchNorm bn2, bn4, bn7, bn_gap, bn_fc1;
  Dense fc1, fc2;
  float drop_conv, drop_fc;
  Branch(ParamStore& ps, const std::string& pre, int in, double w, int outputs, const NetConfig& c)
      : p(pre), conv2(ps, pre + "conv2", in, scaled(32, w), 3),
        conv3(ps, pre + "conv3", scaled(32, w), scaled(64, w), 3),
        conv4(ps, pre + "conv4", scaled(64, w), scaled(64, w), 3),
        conv5(ps, pre + "conv5", scaled(64, w), scaled(128, w), 3),
        conv6(ps, pre + "conv6", scaled(128, w), scaled(256, w), 3),
        conv7(ps, pre + "conv7", scaled(256, w), scaled(256, w), 1), bn2(ps, pre + "bn2", scaled(32, w), c.bn),
        bn4(ps, pre + "bn4", scaled(64, w), c.bn), bn7(ps, pre + "bn7", scaled(256, w), c.bn),
        bn_gap(ps, pre + "bn_gap", scaled(256, w), c.bn), bn_fc1(ps, pre + "bn_fc1", scaled(256, w), c.bn),
        fc1(ps, pre + "fc1", scaled(256, w), scaled(256, w)), fc2(ps, pre + "fc2", scaled(256, w), outputs),
        drop_conv(c.drop_conv), drop_fc(c.drop_fc) {}
  NetOutput operator()(Tape& t, Var h) const {
    h = dropout_layer(t, conv_unit(t, h, conv2, &bn2, p + "elu2", 2, 2, p + "pool2"), drop_conv, p + "dropout2");
    h = conv_unit(t, h, conv3, nullptr, p + "elu3", 2, 2, p + "pool3");
    h = dropout_layer(t, conv_unit(t, h, conv4, &bn4, p + "elu4", 2, 2, p + "pool4"), drop_conv, p + "dropout4");
    h = conv_unit(t, h, conv5, nullptr, p + "elu5", 2, 2, p + "pool5");
    h = conv_unit(t, h, conv6, nullptr, p + "elu6");
    h = conv_unit(t, h, conv7, &bn7, p + "elu7");
    h = bn_gap(t, gap_layer(t, h, p + "gap"));
    Var feature = elu_layer(t, bn_fc1(t, fc1(t, h)), p + "elu_fc1");
    Var logits = fc2(t, dropout_layer(t, feature, drop_fc, p + "dropout_fc1"));
    return {logits, feature};
  }
};

class Dcnn : public Net {
 public:
  explicit Dcnn(const NetConfig& c)
      : b1_(params, "", c.width), br_(params, "", scaled(16, c.width), c.width, out_of(c), c) {
    config = c;
    out_ = out_of(c);
  }
  NetOutput forward(Tape& t, Var x, int task) const override {
    AGF_CHECK(task == 0, ShapeError, "dcnn: single-task net asked for task ", task);
    return br_(t, b1_(t, x));
  }
  int outputs(int) const override { return out_; }
  Shape input_shape(int n) const override { return Shape{n, 1, paper::kMels, paper::kFrames}; }

 private:
  static int out_of(const NetConfig& c) { return c.outputs > 0 ? c.outputs : task_outputs(c.tasks.at(0), c); }
  Block1 b1_;
  Branch br_;
  int out_ = 0;
};

class Mtn : public Net {
 public:
  explicit Mtn(const NetConfig& c) : b1_(params, "shared.", 1.0) {
    config = c;
    AGF_CHECK(!c.tasks.empty(), UsageError, "mtn: no tasks given");
    for (char task : c.tasks)
      branches_.push_back(
          std::make_unique<Branch>(params, std::string(1, task) + ".", 16, 1.0, task_outputs(task, c), c));
  }
  NetOutput forward(Tape& t, Var x, int task) const override { return forward_head(t, forward_trunk(t, x), task); }
  Var forward_trunk(Tape& t, Var x) const override { return b1_(t, x); }
  NetOutput forward_head(Tape& t, Var h, int task) const override {
    AGF_CHECK(task >= 0 && task < num_tasks(), ShapeError, "mtn: task ", task, " of ", num_tasks());
    return (*branches_[size_t(task)])(t, h);
  }
  int num_tasks() const override { return int(branches_.size()); }
  int outputs(int task) const override { return task_outputs(config.tasks.at(size_t(task)), config); }
  Shape input_shape(int n) const override { return Shape{n, 1, paper::kMels, paper::kFrames}; }

 private:
  Block1 b1_;
  std::vector<std::unique_ptr<Branch>> branches_;
};

class Mlp : public Net {
 public:
  explicit Mlp(const NetConfig& c)
      : fc1_(params, "fc1", c.inputs, c.hidden), fc2_(params, "fc2", c.hidden, c.outputs > 0 ? c.outputs : c.genres) {
    config = c;
  }
  NetOutput forward(Tape& t, Var x, int) const override {
    Var h = dropout_layer(t, x, config.drop_in, "dropout_in");
    Var hidden = elu_layer(t, fc1_(t, h), "elu_fc1");
    Var logits = fc2_(t, dropout_layer(t, hidden, config.drop_fc, "dropout_fc1"));
    return {logits, hidden};
  }
  int outputs(int) const override { return config.outputs > 0 ? config.outputs : config.genres; }
  Shape input_shape(int n) const override { return Shape{n, config.inputs}; }

 private:
  Dense fc1_, fc2_;
};

}  // namespace

int task_outputs(char task, const NetConfig& cfg) {
  if (task == kGenreTask) return cfg.genres;
  if (is_factor_task(task)) return cfg.topics;
  throw_unknown_task(task);
}

int64_t Net::num_trainable() const {
  int64_t n = 0;
  for (int i = 0; i < params.size(); ++i)
    if (params.info(i).trainable) n += params.info(i).shape.numel();
  return n;
}

const char* arch_name(Arch a) {
  switch (a) {
    case Arch::stn: return "stn";
    case Arch::mtn: return "mtn";
    case Arch::wstn: return "wstn";
    case Arch::mlp: return "mlp";
  }
  return "?";
}

Arch parse_arch(const std::string& s) {
  if (s == "stn" || s == "dcnn") return Arch::stn;
  if (s == "mtn") return Arch::mtn;
  if (s == "wstn") return Arch::wstn;
  if (s == "mlp") return Arch::mlp;
  throw UsageError(str("unknown architecture '", s, "': use stn (or dcnn), mtn, wstn or mlp"));
}

std::ostream& operator<<(std::ostream& os, Arch a) { return os << arch_name(a); }

std::string net_name(Arch arch, const std::string& tasks, int match) {
  return arch == Arch::wstn ? str("wstn-", match) : str(arch_name(arch), "-", tasks);
}

std::unique_ptr<Net> build_net(const NetConfig& cfg) {
  switch (cfg.arch) {
    case Arch::stn:
    case Arch::wstn:
      AGF_CHECK(cfg.width > 0 && cfg.width <= 16, UsageError, arch_name(cfg.arch), ": width ", cfg.width,
                " out of range (0, 16]");
      return std::make_unique<Dcnn>(cfg);
    case Arch::mtn: return std::make_unique<Mtn>(cfg);
    case Arch::mlp:
      AGF_CHECK(cfg.inputs > 0 && cfg.hidden > 0, UsageError, "mlp: inputs and hidden must be positive");
      return std::make_unique<Mlp>(cfg);
  }
  throw UsageError("build_net: unknown architecture");
}

int64_t count_params(const NetConfig& cfg) { return build_net(cfg)->num_trainable(); }

int64_t mtn_params_for_tasks(int n_tasks, const NetConfig& base) {
  AGF_CHECK(n_tasks >= 1 && n_tasks <= 5, UsageError, "wstn: N must be in 1..5, got ", n_tasks);
  NetConfig c = base;
  c.arch = Arch::mtn;
  c.tasks = first_tasks(n_tasks);
  return count_params(c);
}

double wstn_width_for(int64_t target, const NetConfig& base) {
  NetConfig c = base;
  c.arch = Arch::wstn;
  c.tasks = "g";
  double lo = 0.1, hi = 8.0;
  for (int it = 0; it < 60; ++it) {
    double mid = 0.5 * (lo + hi);
    c.width = mid;
    (count_params(c) < target ? lo : hi) = mid;
  }
  // Channel counts are integers: pick the closer of the two bracketing widths.
  c.width = lo;
  int64_t plo = count_params(c);
  c.width = hi;
  int64_t phi = count_params(c);
  double w = std::llabs(plo - target) <= std::llabs(phi - target) ? lo : hi;
  c.width = w;
  double rel = std::fabs(double(count_params(c) - target)) / double(target);
  AGF_CHECK(rel <= 0.02, Error, "wstn: no width within 2 % of ", target, " parameters (best ", rel * 100, " %)");
  return w;
}

}  // namespace agf
