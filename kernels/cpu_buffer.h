// Host scratch for the CPU kernels (kernels/*_cpu.cpp only, inside their instruction-set path's namespace).
// Not std::vector: its out-of-line members (_M_default_append, ...) would be emitted by every path's objects
// under one shared name, and the linker may keep an AVX-512 copy for all callers (kernels/isa.h). The memory
// comes from one function compiled for the base instruction set.
#pragma once
#include <algorithm>
#include <cstddef>

#ifndef AGF_ISA_NS
#error "kernels/cpu_buffer.h is for kernels/*_cpu.cpp, which are compiled once per instruction-set path"
#endif

namespace agf {
void* cpu_buffer_alloc(size_t bytes);  // 64-byte aligned; throws DeviceError when out of memory
void cpu_buffer_free(void* p) noexcept;
}  // namespace agf

namespace agf::AGF_ISA_NS {

template <typename T> class Buffer {
 public:
  Buffer() = default;
  Buffer(size_t n, T value) { assign(n, value); }
  ~Buffer() { cpu_buffer_free(p_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  // At least n elements, contents not kept when it grows; never shrinks (a thread's scratch stays allocated).
  T* reserve(size_t n) {
    if (n > cap_) {
      cpu_buffer_free(p_);
      p_ = nullptr;
      p_ = static_cast<T*>(cpu_buffer_alloc(n * sizeof(T)));
      cap_ = n;
    }
    return p_;
  }
  void assign(size_t n, T value) {
    T* p = reserve(n);  // before p_ is read: the order of evaluation of call arguments is unspecified
    std::fill(p, p + n, value);
  }
  T* data() { return p_; }
  T& operator[](size_t i) { return p_[i]; }

 private:
  T* p_ = nullptr;
  size_t cap_ = 0;
};

}  // namespace agf::AGF_ISA_NS
