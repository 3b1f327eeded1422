// Tape autograd. Every op appends its output to the tape and, when any input needs a gradient,
// a backward closure that captures only what backward needs (ELU its output, batch norm its mean
// and inverse std). backward() runs the closures in reverse; every closure ACCUMULATES into the
// gradients it writes, and activation gradients come zeroed from the arena, so fan-out just works.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>
#include "engine/arena.h"
#include "engine/params.h"
#include "kernels/cuda_fwd.h"

namespace agf {

struct Var {
  int id = -1;
  bool valid() const { return id >= 0; }
};

// One row of a layer table (filled when Tape::trace is on).
struct LayerRow {
  std::string layer;
  Shape output;
  int64_t params = 0;
};

class Tape {
 public:
  Tape(Arena& arena, DType dtype);
  ~Tape();
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  // Step state, set by the caller before forward.
  bool training = true;     // BN batch statistics and dropout on
  uint64_t seed = 0;        // Philox key for dropout masks
  uint64_t rng_offset = 0;  // advanced by every dropout op by its element count
  CudaCtx* cuda = nullptr;  // required when the arena's device is CUDA
  bool trace = false;       // record a LayerRow per module (agf model)
  std::vector<LayerRow> rows;

  Var input(const Tensor& t, bool requires_grad = false);  // a leaf
  Var param(const ParamStore& ps, int index);              // leaf whose gradient is the ParamStore slice
  Var make(const Tensor& value, bool requires_grad);       // an op's output
  const Tensor& value(Var v) const { return vals_[size_t(v.id)]; }
  bool requires_grad(Var v) const { return needs_[size_t(v.id)] != 0; }
  Tensor& grad(Var v);  // zero-initialised from the arena on first use
  // The gradient of v for a backward closure whose kernel writes all of it. On the CPU the first writer of an
  // activation's gradient gets it uninitialised and overwrites it (accumulate = false): no memset and no read
  // of zeros per activation, ~10 % of a DCNN step. Later writers (fan-out), parameters' gradients (ParamStore
  // slices) and CUDA tensors get the accumulate contract (true). Exact either way: 0 + g == g.
  struct GradWrite {
    Tensor grad;
    bool accumulate;
  };
  GradWrite grad_for_write(Var v);

  void record(std::function<void()> backward) { nodes_.push_back(std::move(backward)); }
  void backward(Var loss);  // seeds d loss = 1 and runs the tape in reverse
  void reset();             // forget everything (capacities kept) and reset the arena

  // Dropout reads its [seed, offset] through a slot at execution time, so a captured step draws new
  // masks at every replay. Each dropout op of a step takes the next slot: on the CPU a host pair the
  // (recorded) kernel reads; on CUDA a device pair, filled by a stream-ordered copy (from a pinned pair
  // inside a capture, whose value the replay rewrites). Returns the slot's address on the tape's device.
  const uint64_t* rng_slot(uint64_t seed, uint64_t offset);
  int rng_slots_used() const { return rng_used_; }
  uint64_t rng_slot_offset(int k) const { return slot_offset_[size_t(k)]; }  // as recorded this step
  // Before a graph replay: slot k's value for the copies (CUDA) or kernels (CPU) the graph recorded.
  void write_rng_slot(int k, uint64_t seed, uint64_t offset);
  static constexpr int kRngSlots = 64;

  Arena& arena() { return arena_; }
  Device device() const { return arena_.device(); }
  DType dtype() const { return dtype_; }
  size_t num_nodes() const { return nodes_.size(); }

 private:
  Arena& arena_;
  DType dtype_;
  std::vector<Tensor> vals_, grads_;
  std::vector<uint8_t> needs_;
  std::vector<std::function<void()>> nodes_;
  uint64_t rng_host_[2 * kRngSlots] = {};  // CPU: the slots; CUDA: the staging source of eager copies
  uint64_t slot_offset_[kRngSlots] = {};
  uint64_t* rng_pinned_ = nullptr;  // CUDA (kRngSlots, 2) page-locked: read by captured copies at execution
  uint64_t* rng_dev_ = nullptr;     // CUDA (kRngSlots, 2) device
  int rng_used_ = 0;
};

}  // namespace agf
