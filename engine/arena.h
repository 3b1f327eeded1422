// Activation arena: a bump allocator reset at every step (ggml-style). The first step may grow it
// (a new chunk, never moving live tensors); reset() then coalesces all chunks into one block of the
// high-water size, so every later step of the same shape makes no system allocation at all.
//
// Captured steps (engine/graph.h) bake the arena's addresses into their graphs, so a graph holds a
// Lease: while any lease is alive the arena never frees or moves a chunk. reset() then only rewinds,
// and allocations walk the existing chunks in order (appending one only when none has room, which
// outside a capture is allowed: an MTN's second task may need more than its first). Several graphs
// may share one pinned arena: each step writes every activation before reading it, and steps run
// one after another. generation() counts the frees, so a graph can check that its memory is intact.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>
#include "engine/tensor.h"

namespace agf {

class Arena {
 public:
  explicit Arena(Device dev, size_t reserve_bytes = 0);
  ~Arena();  // aborts when a lease is still alive (a graph would outlive its memory)
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  Tensor alloc(Shape s, DType t);                           // uninitialised, 256-byte aligned
  Tensor zeros(Shape s, DType t, CudaCtx* cuda = nullptr);  // CUDA: zeroed on cuda's stream (Tensor::zero_)
  void reset();                                             // every tensor from this arena is invalid afterwards

  // Pins the arena for as long as the returned lease lives (move-only).
  class Lease {
   public:
    Lease() = default;
    explicit Lease(Arena* a) : a_(a) {
      if (a_) ++a_->leases_;
    }
    ~Lease() { release(); }
    Lease(Lease&& o) noexcept : a_(o.a_) { o.a_ = nullptr; }
    Lease& operator=(Lease&& o) noexcept {
      if (this != &o) {
        release();
        a_ = o.a_;
        o.a_ = nullptr;
      }
      return *this;
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    void release() noexcept {
      if (a_) --a_->leases_;
      a_ = nullptr;
    }

   private:
    Arena* a_ = nullptr;
  };
  Lease pin() { return Lease(this); }
  int leases() const { return leases_; }
  uint64_t generation() const { return generation_; }  // incremented whenever a chunk is freed

  Device device() const { return dev_; }
  size_t capacity() const;  // bytes reserved over all chunks
  size_t chunks() const { return chunks_.size(); }
  size_t used() const { return used_total_; }
  size_t high_water() const { return high_water_; }
  int64_t system_allocations() const { return system_allocs_; }  // chunks ever allocated

 private:
  struct Chunk {
    std::unique_ptr<Storage> mem;
    size_t used = 0;
  };
  void add_chunk(size_t min_bytes);
  Device dev_;
  std::vector<Chunk> chunks_;
  size_t cur_ = 0;  // the chunk allocations bump in
  size_t used_total_ = 0, high_water_ = 0;
  int64_t system_allocs_ = 0;
  uint64_t generation_ = 0;
  int leases_ = 0;
};

}  // namespace agf
