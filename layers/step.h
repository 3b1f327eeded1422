// One training step of a net on one batch: forward, softmax cross-entropy against (soft) targets,
// backward, Adam with L2. The tape's arena is reset at the start, so a steady-state step makes no
// allocation. Returns the loss tensor (a device scalar: read it with scalar_value when needed).
#pragma once
#include "engine/optim.h"
#include "layers/nets.h"

namespace agf {

struct StepResult {
  Tensor loss;    // (1) on the net's device, valid until the next tape reset
  Tensor logits;  // (N, K)
};

StepResult train_step(const Net& net, Tape& t, Adam& opt, const Tensor& x, const Tensor& targets, int task = 0);
// Forward and backward only (no optimizer); gradients are zeroed first. Used by gradient checks.
StepResult forward_backward(const Net& net, Tape& t, const Tensor& x, const Tensor& targets, int task = 0);
// Inference forward: BN with running statistics, dropout off. Returns probabilities, the feature and the logits.
struct InferResult {
  Tensor probs, feature, logits;
};
InferResult infer(const Net& net, Tape& t, const Tensor& x, int task = 0);
// The trunk alone (Net::forward_trunk, inference mode) and one task's head on its output: infer_head(net, t2,
// infer_trunk(net, t1, x), k) equals infer(net, t, x, k) bit for bit. The trunk's tensor lives on t1's arena, so
// t1 must not be reset while the heads run on another tape.
Tensor infer_trunk(const Net& net, Tape& t, const Tensor& x);
InferResult infer_head(const Net& net, Tape& t, const Tensor& h, int task);

}  // namespace agf
