// One training step of a net on one batch, the single place that decides how a step runs: eagerly
// (forward, backward, Adam: step.h) or as a recorded step replayed (step_graph.h: one graph per task, full
// batches only), on the CPU or CUDA; and, when guarded, the single place where a non-finite step is undone.
//
// Guarded (the nets' training): a step whose loss or any gradient is not finite leaves the parameters, the
// batch-norm running statistics and the task's Adam moments and step count as they were before it. An eager
// step checks before Adam runs, so only the batch-norm statistics (updated in the forward pass) need keeping;
// a replayed graph includes Adam, so it is undone from a snapshot of the parameters and the task's moments.
// Unguarded (the transfer MLP): the step is always applied and the caller decides what a non-finite loss means.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "engine/optim.h"
#include "layers/nets.h"
#include "layers/step_graph.h"

namespace agf {

struct StepOutcome {
  double loss = 0;
  bool finite = true;  // loss and every gradient finite; false (guarded only): the step was undone
};

class StepRunner {
 public:
  struct Options {
    bool graph = false;  // record the step once per task and replay it (full batches; a short batch runs eagerly)
    int batch = 0;       // the full batch size: the rows of x given to step() when it may replay
    bool guard = true;   // check loss and gradients, undo a non-finite step
  };
  // optimizers: one per task (index = the task given to step()); they, the net and the tape must outlive the
  // runner, and so must the tape's arena (a recorded step holds a lease on it). On CUDA the tape carries its
  // context (Tape::cuda), on which every copy of the step runs.
  StepRunner(const Net& net, Tape& tape, const std::vector<std::unique_ptr<Adam>>& optimizers, Options options);
  StepRunner(const StepRunner&) = delete;
  StepRunner& operator=(const StepRunner&) = delete;

  // One step of `task` on x (n, ...) and targets (n, classes), dropout keyed by step_seed. With graph on, a
  // full batch must always come in the same x and targets tensors of a task (the graph's fixed addresses).
  StepOutcome step(int task, const Tensor& x, const Tensor& targets, uint64_t step_seed);

 private:
  StepOutcome graph_step(int task, const Tensor& x, const Tensor& targets, uint64_t step_seed);
  StepOutcome eager_step(int task, const Tensor& x, const Tensor& targets, uint64_t step_seed);
  bool finite(double loss);

  const Net& net_;
  Tape& tape_;
  const std::vector<std::unique_ptr<Adam>>& optimizers_;
  Options options_;
  std::map<int, std::unique_ptr<StepGraph>> graphs_;  // per task, made by its first full batch
  Tensor snapshot_params_, snapshot_m_, snapshot_v_;  // graph: the state before a replay
  Tensor saved_bn_;                                   // eager: the batch-norm statistics before a step
  Tensor nonfinite_count_;                            // CUDA: the device int of the finiteness check
};

}  // namespace agf
