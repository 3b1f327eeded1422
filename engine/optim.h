// Adam with L2 weight decay over a ParamStore, or over a subset of its trainable elements (an MTN
// task's shared block and branch: one Adam per task, each with its own moments and step counter, as
// the authors' code had, so a branch that is not drawn keeps its state untouched).
// Per range: one L2 launch over its decayed part, one Adam launch. Bias corrections are computed on
// the host per step and read by the kernels when they execute (CPU: from the optimizer's host pair;
// CUDA: from a device pair filled by a stream-ordered copy), so a captured step replays correctly.
#pragma once
#include <cstdint>
#include <vector>
#include "engine/params.h"
#include "kernels/cuda_fwd.h"

namespace agf {

struct AdamConfig {
  float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  float l2 = 1e-5f;  // loss += l2 * sum(w^2) over conv and dense kernels (Keras/Lasagne convention)
};

// A run of trainable elements [offset, offset + n) of a ParamStore's buffers.
struct ParamRange {
  int64_t offset = 0, n = 0;
};

class Adam {
 public:
  // Every trainable parameter; the moments are the store's adam_m()/adam_v().
  Adam(ParamStore& ps, AdamConfig cfg, CudaCtx* cuda = nullptr);
  // Only `ranges` (ascending, disjoint, within [0, n_trainable)); the moments are this optimizer's own,
  // packed in range order.
  Adam(ParamStore& ps, AdamConfig cfg, CudaCtx* cuda, std::vector<ParamRange> ranges);
  ~Adam();
  Adam(const Adam&) = delete;
  Adam& operator=(const Adam&) = delete;
  void step();        // begin_step() then launch()
  void begin_step();  // host: t += 1 and this step's bias corrections (before a graph replay too)
  void launch();      // the device work: L2 and Adam over each range (capturable)
  int64_t steps() const { return t_; }
  void set_steps(int64_t t) { t_ = t; }  // for resuming from a checkpoint
  const AdamConfig& config() const { return cfg_; }
  const std::vector<ParamRange>& ranges() const { return ranges_; }
  Tensor m() const { return m_; }  // (sum of range sizes)
  Tensor v() const { return v_; }
  double l2_penalty() const;  // l2 * sum(w^2) of the decayed weights it updates (host computation)

 private:
  ParamStore& ps_;
  AdamConfig cfg_;
  CudaCtx* cuda_;
  std::vector<ParamRange> ranges_;
  Tensor m_, v_;
  int64_t t_ = 0;
  float bc_[2] = {1.f, 1.f};    // this step's [bc1, bc2]: CPU kernels read it at execution
  float* bc_pinned_ = nullptr;  // CUDA: pinned copy read by a captured upload at execution
  float* bc_dev_ = nullptr;     // CUDA: device [bc1, bc2] the kernel reads
};

// The ranges of an MTN task's step: the shared block ("shared.*") and the task's branch ("<task>.*"),
// merged where adjacent. For a net with one task: every trainable parameter.
std::vector<ParamRange> task_param_ranges(const ParamStore& ps, char task, bool multi_task);

}  // namespace agf
