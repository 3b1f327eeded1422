// Adam with L2 weight decay over a ParamStore: one L2 launch over the decayed prefix of the
// gradient buffer, one Adam launch over all trainable parameters. Bias corrections are computed on
// the host per step and passed in (on CUDA through a small device array, so a captured graph replays).
#pragma once
#include <cstdint>
#include "engine/params.h"
#include "kernels/cuda_fwd.h"

namespace agf {

struct AdamConfig {
  float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  float l2 = 1e-5f;  // loss += l2 * sum(w^2) over conv and dense kernels (Keras/Lasagne convention)
};

class Adam {
 public:
  Adam(ParamStore& ps, AdamConfig cfg, CudaCtx* cuda = nullptr);
  ~Adam();
  Adam(const Adam&) = delete;
  Adam& operator=(const Adam&) = delete;
  void step();                 // begin_step() then launch()
  void begin_step();           // host: t += 1 and this step's bias corrections (before a graph replay too)
  void launch();               // the device work: L2 on the decayed prefix, one Adam update (capturable)
  int64_t steps() const { return t_; }
  void set_steps(int64_t t) { t_ = t; }  // for resuming from a checkpoint
  const AdamConfig& config() const { return cfg_; }
  double l2_penalty() const;   // l2 * sum(w^2) of the decayed weights (host computation; syncs on CUDA)

 private:
  ParamStore& ps_;
  AdamConfig cfg_;
  CudaCtx* cuda_;
  int64_t t_ = 0;
  float bc1_ = 1.f, bc2_ = 1.f;
  float* bc_host_ = nullptr;   // CUDA: pinned [bc1, bc2]
  float* bc_dev_ = nullptr;    // CUDA: device [bc1, bc2]
};

}  // namespace agf
