// Bump-pointer activation arena (see arena.h).
#include "engine/arena.h"
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include "engine/graph.h"

namespace agf {

static constexpr size_t kAlign = 256;
static size_t align_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

Arena::Arena(Device dev, size_t reserve_bytes) : dev_(dev) {
  if (reserve_bytes) add_chunk(reserve_bytes);
}

Arena::~Arena() {
  if (leases_ > 0) {  // a destructor cannot throw; a graph outliving its memory is a programming error
    std::fprintf(stderr,
                 "agf: fatal: an arena is destroyed while %d captured graph(s) still use its memory; "
                 "destroy the graphs (StepGraph) before their tape and arena\n",
                 leases_);
    std::abort();
  }
}

void Arena::add_chunk(size_t min_bytes) {
  size_t last = chunks_.empty() ? 0 : chunks_.back().mem->bytes();
  size_t bytes = std::max(align_up(min_bytes), std::max<size_t>(last * 2, size_t(1) << 20));
  // device_alloc refuses inside a capture (CaptureError): a captured step must fit the warmed-up arena.
  chunks_.push_back(Chunk{std::make_unique<Storage>(dev_, bytes), 0});
  ++system_allocs_;
}

size_t Arena::capacity() const {
  size_t c = 0;
  for (auto& ch : chunks_) c += ch.mem->bytes();
  return c;
}

Tensor Arena::alloc(Shape s, DType t) {
  size_t bytes = align_up(std::max<size_t>(1, size_t(s.numel()) * dtype_size(t)));
  while (cur_ < chunks_.size() && chunks_[cur_].used + bytes > chunks_[cur_].mem->bytes()) ++cur_;
  if (cur_ == chunks_.size()) add_chunk(bytes);
  Chunk& ch = chunks_[cur_];
  void* p = static_cast<char*>(ch.mem->data()) + ch.used;
  ch.used += bytes;
  used_total_ += bytes;
  high_water_ = std::max(high_water_, used_total_);
  return Tensor::wrap(p, s, t, dev_);
}

Tensor Arena::zeros(Shape s, DType t, CudaCtx* cuda) {
  Tensor r = alloc(s, t);
  r.zero_(cuda);
  return r;
}

void Arena::reset() {
  if (chunks_.size() > 1 && leases_ == 0) {  // grew during this step: one chunk of the high-water size
    check_not_capturing("an arena coalescing its chunks (freeing and reallocating)");
    chunks_.clear();
    ++generation_;
    add_chunk(high_water_);
  }
  for (auto& ch : chunks_) ch.used = 0;
  cur_ = 0;
  used_total_ = 0;
}

}  // namespace agf
