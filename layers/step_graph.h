// The whole training step (forward, backward, Adam) captured once as a CUDA graph and replayed.
// Inputs live in fixed device buffers (copy each batch into them before replay). Per-step values
// that change (Adam's bias corrections, dropout seeds) are read from pinned memory by copies inside
// the graph, so one capture serves every step. Requires a warm-up eager step first (conv plans chosen,
// arena sized), so the capture allocates nothing. Only with the CUDA backend.
#pragma once
#include "layers/step.h"

namespace agf {

class StepGraph {
 public:
  // x, targets: device tensors at fixed addresses; t.cuda must be set and current (set_current_cuda_ctx).
  StepGraph(const Net& net, Tape& t, Adam& opt, const Tensor& x, const Tensor& targets, int task = 0);
  ~StepGraph();
  StepGraph(const StepGraph&) = delete;
  StepGraph& operator=(const StepGraph&) = delete;
  void replay(uint64_t step_seed);  // one training step; asynchronous on the context's stream
  const Tensor& loss() const { return loss_; }  // device scalar of the last replay

 private:
  struct Impl;
  Impl* impl_ = nullptr;
  Tensor loss_;
};

}  // namespace agf
