// The whole training step (forward, backward, Adam) recorded once and replayed, on either backend
// (engine/graph.h): on CUDA as the driver's graph, on the CPU as the recorded kernel calls with their
// fixed pointers (no per-step closures, strings or allocations).
//
// Construction runs one real eager step on the batch in x/targets (the warm-up: conv plans chosen,
// arena sized, dropout slots made), then records a second one without executing it. The graph then
// holds, for as long as it lives:
//   - a lease on the tape's arena (Arena::Lease): the arena never frees or moves the memory the graph
//     refers to, even while other graphs (one per MTN task) and inference passes share it;
//   - shared ownership of x, targets and its own loss scalar (outside the arena);
//   - what replays must rewrite: the number of dropout slots and each slot's stream offset, as
//     recorded at capture. replay(seed) writes (seed, offset_k) into exactly those slots and this
//     step's Adam bias corrections, never trusting the tape's live state (an inference pass or
//     another task's step in between changes it).
// The net, tape and optimizer must outlive the graph. Copy each batch into x/targets before replay().
#pragma once
#include <cstdint>
#include <vector>
#include "engine/arena.h"
#include "engine/graph.h"
#include "layers/step.h"

namespace agf {

class StepGraph {
 public:
  // x, targets: tensors on the tape's device at fixed addresses; on CUDA the tape carries its context
  // (Tape::cuda), which every memset and copy of the step uses. warmup_seed: the dropout seed of the warm-up step (a real step on the current batch).
  StepGraph(const Net& net, Tape& t, Adam& opt, const Tensor& x, const Tensor& targets, int task, uint64_t warmup_seed);
  StepGraph(const StepGraph&) = delete;
  StepGraph& operator=(const StepGraph&) = delete;

  void replay(uint64_t step_seed);              // one training step; asynchronous on CUDA
  const Tensor& loss() const { return loss_; }  // scalar of the last step (the warm-up's after construction)
  int task() const { return task_; }
  size_t num_nodes() const { return graph_.num_nodes(); }
  const std::vector<uint64_t>& slot_offsets() const { return offsets_; }  // dropout stream offsets, per slot

 private:
  const Net& net_;
  Tape& t_;
  Adam& opt_;
  int task_;
  Tensor x_, targets_, loss_;
  Arena::Lease lease_;
  uint64_t arena_generation_ = 0;
  std::vector<uint64_t> offsets_;
  DeviceGraph graph_;
};

}  // namespace agf
