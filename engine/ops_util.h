// Internal helpers for engine/ops_*.cpp: argument checks and backend dispatch.
#pragma once
#include "engine/device.h"
#include "engine/graph.h"
#include "engine/ops.h"
#ifdef AGF_HAVE_CUDA
#include "kernels/cuda_ctx.h"
#endif

namespace agf::detail {

inline void check_float(const char* op, const Tensor& x) {
  AGF_CHECK(x.dtype() == DType::F32 || x.dtype() == DType::F64, DTypeError, op, ": expected F32 or F64, got ",
            x.str());
  AGF_CHECK(x.device() == Device::CPU || x.dtype() == DType::F32, DTypeError, op,
            ": the CUDA backend computes in F32, got ", x.str());
}
inline void check_same(const char* op, const Tensor& a, const Tensor& b) {
  AGF_CHECK(a.dtype() == b.dtype() && a.device() == b.device(), DTypeError, op, ": operands differ: ", a.str(),
            " vs ", b.str());
}
inline CudaCtx& cuda_of(Tape& t, const char* op) {
  AGF_CHECK(t.cuda != nullptr, DeviceError, op, ": CUDA tensors but the tape has no CUDA context");
  return *t.cuda;
}
template <typename T> T* ptr(const Tensor& x) { return x.raw() ? static_cast<T*>(x.raw()) : nullptr; }

}  // namespace agf::detail

// AGF_DISPATCH(tensor, op, cpu_call, cuda_call): cpu_call is an expression over a type alias `T`, run
// through cpu_exec (graph.h) as a closure that copies what it uses, so a CPU capture records it with its
// pointers (anything the kernel must read at execution time, it reads through a pointer); cuda_call runs
// for CUDA tensors (float32), on the context's stream.
#ifdef AGF_HAVE_CUDA
#define AGF_CUDA_BRANCH(op, ...) { __VA_ARGS__; }
#else
#define AGF_CUDA_BRANCH(op, ...) { throw ::agf::DeviceError(::agf::str(op, ": built without the CUDA backend")); }
#endif
#define AGF_DISPATCH(x, op, CPU_BODY, CUDA_BODY)                         \
  do {                                                                   \
    if ((x).device() == ::agf::Device::CPU) {                            \
      if ((x).dtype() == ::agf::DType::F32) {                            \
        using T = float; ::agf::cpu_exec([=] { CPU_BODY; });             \
      } else {                                                           \
        using T = double; ::agf::cpu_exec([=] { CPU_BODY; });            \
      }                                                                  \
    } else AGF_CUDA_BRANCH(op, CUDA_BODY)                                \
  } while (0)
