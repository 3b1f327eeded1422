// Activation arena: a bump allocator reset at every step (ggml-style). The first step may grow it
// (a new chunk, never moving live tensors); reset() then coalesces all chunks into one block of the
// high-water size, so every later step of the same shape makes no system allocation at all.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>
#include "engine/tensor.h"

namespace agf {

class Arena {
 public:
  explicit Arena(Device dev, size_t reserve_bytes = 0);
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  Tensor alloc(Shape s, DType t);   // uninitialised, 256-byte aligned
  Tensor zeros(Shape s, DType t);
  void reset();                     // every tensor from this arena is invalid afterwards

  Device device() const { return dev_; }
  size_t capacity() const;          // bytes reserved over all chunks
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
  size_t used_total_ = 0, high_water_ = 0;
  int64_t system_allocs_ = 0;
};

}  // namespace agf
