// Differentiable ops on the tape. Each wrapper checks shapes, dtypes and devices (throwing with the
// op name and the shapes), allocates its output from the arena, calls the kernel for the tensor's
// device (CPU: float32/float64 templates; CUDA: float32), and records a backward closure.
#pragma once
#include "engine/tape.h"

namespace agf {

Var conv2d(Tape& t, Var x, Var w, Var b);  // x (N,C,H,W), w (K,C,R,S), b (K): 'same', stride 1
Var batchnorm(Tape& t, Var x, Var gamma, Var beta, const Tensor& running_mean, const Tensor& running_var,
              double momentum, double eps);  // x (N,C,H,W) or (N,C); training: batch statistics
Var elu(Tape& t, Var x, double alpha = 1.0);
Var maxpool(Tape& t, Var x, int kh, int kw);  // 'valid' (floor)
Var dropout(Tape& t, Var x, float p);         // identity when !t.training or p == 0
Var gap(Tape& t, Var x);                      // (N,C,H,W) -> (N,C)
Var dense(Tape& t, Var x, Var w, Var b);      // x (N,I) or (N,I,1,1), w (O,I), b (O)
// Inference only (t.training off; no gradient flows through it), CPU only: maxpool(elu(batchnorm(conv2d(x, w, b))))
// in one kernel (conv2d_bn_elu_pool_infer), equal bit for bit to the four ops in inference mode. `bn` null: no
// batch norm; kh = kw = 1: no pool.
struct BnInference {
  Var gamma, beta;
  Tensor running_mean, running_var;
  double eps = 1e-3;
};
Var conv2d_bn_elu_pool_infer(Tape& t, Var x, Var w, Var b, const BnInference* bn, double alpha, int kh, int kw);
Var softmax_xent(Tape& t, Var logits, const Tensor& targets);  // scalar mean loss; targets (N,K), rows sum to 1
Tensor softmax(Tape& t, Var logits);                           // (N,K) probabilities (no gradient)

// Host copy of a scalar loss (synchronises on CUDA).
double scalar_value(const Tensor& s);

}  // namespace agf
