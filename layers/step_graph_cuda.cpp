// CUDA-graph capture and replay of a training step (see step_graph.h).
#include "layers/step_graph.h"
#include "engine/device_cuda.h"
#include "kernels/cuda_ctx.h"

namespace agf {

struct StepGraph::Impl {
  const Net& net;
  Tape& t;
  Adam& opt;
  CudaCtx& ctx;
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
};

StepGraph::StepGraph(const Net& net, Tape& t, Adam& opt, const Tensor& x, const Tensor& targets, int task) {
  AGF_CHECK(t.cuda != nullptr && x.device() == Device::CUDA && targets.device() == Device::CUDA, DeviceError,
            "StepGraph: needs a CUDA tape and device tensors, got x ", x.str(), ", targets ", targets.str());
  AGF_CHECK(current_cuda_ctx() == t.cuda, DeviceError, "StepGraph: the tape's context must be current");
  impl_ = new Impl{net, t, opt, *t.cuda};
  // Warm-up: chooses conv plans, sizes the arena (coalesced at the next reset), allocates RNG slots.
  opt.begin_step();
  forward_backward(net, t, x, targets, task);
  opt.launch();
  t.cuda->synchronize();
  CUDA_CHECK(cudaStreamBeginCapture(t.cuda->stream, cudaStreamCaptureModeThreadLocal));
  try {
    // begin_step is host-only: it advances the counter for the captured update below.
    opt.begin_step();
    StepResult r = forward_backward(net, t, x, targets, task);
    opt.launch();
    loss_ = r.loss;
  } catch (...) {
    cudaGraph_t g = nullptr;
    cudaStreamEndCapture(t.cuda->stream, &g);
    if (g) cudaGraphDestroy(g);
    delete impl_;
    impl_ = nullptr;
    throw;
  }
  CUDA_CHECK(cudaStreamEndCapture(t.cuda->stream, &impl_->graph));
  CUDA_CHECK(cudaGraphInstantiate(&impl_->exec, impl_->graph, 0));
  // The capture itself executed nothing: the two begin_step calls consumed one real step (the warm-up)
  // and one phantom step. Undo the phantom so that replay k performs Adam step k + 1.
  opt.set_steps(opt.steps() - 1);
}

StepGraph::~StepGraph() {
  if (!impl_) return;
  if (impl_->exec) cudaGraphExecDestroy(impl_->exec);
  if (impl_->graph) cudaGraphDestroy(impl_->graph);
  delete impl_;
}

void StepGraph::replay(uint64_t step_seed) {
  // The previous replay's copies read the pinned values when they execute: wait for it before
  // overwriting them (one stream sync per step; the graph itself has no host gaps).
  impl_->ctx.synchronize();
  impl_->opt.begin_step();
  impl_->t.set_replay_seed(step_seed);
  CUDA_CHECK(cudaGraphLaunch(impl_->exec, impl_->ctx.stream));
}

}  // namespace agf
