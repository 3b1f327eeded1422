// Recorded training steps (see step_graph.h).
#include "layers/step_graph.h"
#ifdef AGF_HAVE_CUDA
#include "kernels/cuda_ctx.h"
#endif

namespace agf {

StepGraph::StepGraph(const Net& net, Tape& t, Adam& opt, const Tensor& x, const Tensor& targets, int task,
                     uint64_t warmup_seed)
    : net_(net), t_(t), opt_(opt), task_(task), x_(x), targets_(targets), graph_(t.device(), t.cuda) {
  AGF_CHECK(x.device() == t.device() && targets.device() == t.device() && net.params.device() == t.device(),
            DeviceError, "StepGraph: the tape is on ", device_name(t.device()), ", x is ", x.str(), ", targets ",
            targets.str());
  AGF_CHECK(t.device() == Device::CPU || t.cuda != nullptr, DeviceError,
            "StepGraph: a CUDA tape needs its CUDA context (Tape::cuda)");
  loss_ = Tensor::empty(Shape{1}, t.dtype(), t.device());
  // Warm-up: a real step. It chooses the conv plans, grows the arena to this step's size and makes the
  // dropout slots, so that the recorded step below allocates nothing.
  t.seed = warmup_seed;
  t.rng_offset = 0;
  opt.begin_step();
  StepResult w = forward_backward(net, t, x, targets, task);
  loss_.copy_from(w.loss, t.cuda);
  opt.launch();
#ifdef AGF_HAVE_CUDA
  if (t.cuda) t.cuda->synchronize();
#endif
  // Coalesce (when nothing pins the arena yet) here, outside the capture, where freeing is legal; then
  // pin it: from now on reset() only rewinds, so the addresses recorded below stay valid.
  t.reset();
  lease_ = t.arena().pin();
  arena_generation_ = t.arena().generation();

  graph_.begin();
  try {
    opt.begin_step();  // host only: the recorded update reads the corrections at execution
    t.seed = warmup_seed;
    t.rng_offset = 0;
    StepResult r = forward_backward(net, t, x, targets, task);
    loss_.copy_from(r.loss, t.cuda);  // a device-side copy: recorded
    opt.launch();
    offsets_.resize(size_t(t.rng_slots_used()));
    for (int k = 0; k < t.rng_slots_used(); ++k) offsets_[size_t(k)] = t.rng_slot_offset(k);
  } catch (...) {
    graph_.abort();
    opt.set_steps(opt.steps() - 1);
    throw;
  }
  graph_.end();
  // The capture executed nothing: undo its begin_step so that replay k performs Adam step (warm-up + k).
  opt.set_steps(opt.steps() - 1);
}

void StepGraph::replay(uint64_t step_seed) {
  AGF_CHECK(t_.arena().generation() == arena_generation_, CaptureError,
            "StepGraph::replay: the arena freed memory this graph refers to (generation ", t_.arena().generation(),
            ", captured at ", arena_generation_, ")");
#ifdef AGF_HAVE_CUDA
  // The previous replay's copies read the pinned values when they execute: let it finish before they
  // are overwritten (one stream sync per step; the graph itself has no host gaps).
  if (t_.cuda) t_.cuda->synchronize();
#endif
  opt_.begin_step();
  for (size_t k = 0; k < offsets_.size(); ++k) t_.write_rng_slot(int(k), step_seed, offsets_[k]);
  t_.seed = step_seed;
  graph_.launch();
}

}  // namespace agf
