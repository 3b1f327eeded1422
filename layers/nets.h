// The paper's networks (Table 2 and paper-notes.md): the DCNN, the multi-task net sharing block 1
// (MTN), the wide single-task net (wSTN: the DCNN with widths scaled by one factor), and the
// transfer MLP. Every net owns one ParamStore; forward returns the logits and the 256-d transfer feature.
#pragma once
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>
#include "layers/modules.h"
#include "layers/paper.h"

namespace agf {

struct NetOutput {
  Var logits;   // (N, outputs of the task)
  Var feature;  // (N, 256 * width): post-ELU dense activation (the transfer feature); MLP: hidden layer
};

// The architectures, named once: the single-task DCNN (STN), the multi-task net sharing block 1 (MTN), the
// wide single-task net (wSTN: the DCNN with its widths scaled), and the transfer MLP.
enum class Arch { stn, mtn, wstn, mlp };
const char* arch_name(Arch a);  // "stn", "mtn", "wstn", "mlp"
// Inverse of arch_name; also "dcnn", the STN's name in net files (net_config_json). UsageError naming the
// accepted names otherwise.
Arch parse_arch(const std::string& s);
std::ostream& operator<<(std::ostream& os, Arch a);  // arch_name, for messages
// The name of a net's run folder and of its grid case: "stn-g", "mtn-gs", "wstn-5" (a wSTN by the MTN size
// it matches; its tasks are g). `tasks` canonical.
std::string net_name(Arch arch, const std::string& tasks, int match);

struct NetConfig {
  Arch arch = Arch::stn;
  std::string tasks = "g";                               // task letters: g (16 genres), m, d, e, s (topics each)
  int genres = paper::kGenres, topics = paper::kTopics;  // output sizes
  int outputs = 0;                                       // dcnn/wstn/mlp: override the output size (0 = from the task)
  double width = 1.0;                                    // dcnn/wstn channel and unit scale
  int inputs = 1280;                                     // mlp input width
  int hidden = 1024;                                     // mlp hidden width
  float drop_conv = 0.1f, drop_fc = 0.5f, drop_in = 0.5f;
  BnConfig bn;
};

class Net {
 public:
  virtual ~Net() = default;
  ParamStore params;
  virtual NetOutput forward(Tape& t, Var x, int task = 0) const = 0;
  // The same net as a trunk shared by every task and a head per task: forward(t, x, k) computes exactly
  // forward_head(t, forward_trunk(t, x), k), op for op. An MTN's trunk is its shared block 1, so that an inference
  // pass over every task (net_features) runs it once; the other nets' trunk is the identity.
  virtual Var forward_trunk(Tape&, Var x) const { return x; }
  virtual NetOutput forward_head(Tape& t, Var h, int task) const { return forward(t, h, task); }
  virtual int num_tasks() const { return 1; }
  virtual int outputs(int task) const = 0;
  virtual Shape input_shape(int batch) const = 0;  // (N,1,128,43) or (N,inputs)
  int64_t num_trainable() const;                   // trainable parameter count (BN running stats excluded)
  NetConfig config;
};

std::unique_ptr<Net> build_net(const NetConfig& cfg);
int task_outputs(char task, const NetConfig& cfg);  // g -> genres, m/d/e/s -> topics

// Trainable parameter count of a net without building its buffers.
int64_t count_params(const NetConfig& cfg);
// The width factor whose wSTN (genre DCNN) has `target` trainable parameters within 2 %: bisection.
double wstn_width_for(int64_t target, const NetConfig& base);
// The target for wSTN-N: an MTN with the genre task and N-1 factor tasks.
int64_t mtn_params_for_tasks(int n_tasks, const NetConfig& base);

}  // namespace agf
