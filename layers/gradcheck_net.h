// Whole-net float64 gradient checks (engine/gradcheck.h's rows and error), for the tests and `agf gradcheck`.
#pragma once
#include "engine/gradcheck.h"
#include "layers/nets.h"

namespace agf {

// Subsampled elements (`per_tensor`: the first, the last and hashed ones) of every trainable tensor of
// `net` (finalized in F64 on the CPU) against central differences of L = softmax_xent(logits, soft
// targets) on uniform inputs; BN in training mode, dropout on with a replayed mask (the same Philox seed
// and offset at every forward). One row per tensor.
std::vector<GradCheckRow> gradcheck_net(const Net& net, const std::string& label, int64_t batch, int task,
                                        int per_tensor, double h, double tol, uint64_t seed);
// The standard net checks: "dcnn" (16 outputs), "mtn" (tasks g, m; both tasks), "mlp" (1280 -> 16).
std::vector<std::string> gradcheck_net_names();
std::vector<GradCheckRow> gradcheck_named_net(const std::string& name);

}  // namespace agf
