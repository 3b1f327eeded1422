// Internal helpers for engine/ops_*.cpp: argument checks and backend dispatch.
#pragma once
#include <utility>

#include "engine/device.h"
#include "engine/graph.h"
#include "engine/ops.h"
#include "kernels/backend.h"
#ifdef AGF_HAVE_CUDA
#include "kernels/cuda_ctx.h"
#endif

namespace agf::detail {

inline void check_float(const char* op, const Tensor& x) {
  AGF_CHECK(x.dtype() == DType::F32 || x.dtype() == DType::F64, DTypeError, op, ": expected F32 or F64, got ", x.str());
  AGF_CHECK(x.device() == Device::CPU || x.dtype() == DType::F32, DTypeError, op,
            ": the CUDA backend computes in F32, got ", x.str());
}
inline void check_same(const char* op, const Tensor& a, const Tensor& b) {
  AGF_CHECK(a.dtype() == b.dtype() && a.device() == b.device(), DTypeError, op, ": operands differ: ", a.str(), " vs ",
            b.str());
}
inline CudaCtx& cuda_of(Tape& t, const char* op) {
  AGF_CHECK(t.cuda != nullptr, DeviceError, op, ": CUDA tensors but the tape has no CUDA context");
  return *t.cuda;
}
template <typename T> T* ptr(const Tensor& x) { return x.raw() ? static_cast<T*>(x.raw()) : nullptr; }

// f(Cpu{}, T{}) for x's dtype (F32 or F64), through cpu_exec.
template <typename F> void run_cpu(const Tensor& x, F f) {
  if (x.dtype() == DType::F32)
    cpu_exec([f = std::move(f)] {
      Cpu be;
      f(be, float{});
    });
  else
    cpu_exec([f = std::move(f)] {
      Cpu be;
      f(be, double{});
    });
}

// Runs one kernel call, written once for both backends, on x's backend:
//   dispatch(t, x, "gap", [=](auto& be, auto tag) {
//     using T = decltype(tag);
//     gap_forward(be, ptr<T>(y), ptr<T>(x), N, C, HW);
//   });
// CPU (F32 or F64): be is Cpu{} (kernels/backend.h) and T the dtype; the call runs through cpu_exec (graph.h) as a
// closure holding copies of what f captured, so a CPU capture records it with its pointers (anything the kernel
// must read at execution time, it reads through a pointer). CUDA (F32): be is the tape's CudaCtx and T = float;
// the call is issued on the context's stream. Without the CUDA backend, CUDA tensors throw DeviceError.
template <typename F> void dispatch(Tape& t, const Tensor& x, const char* op, F f) {
  if (x.device() == Device::CPU) return run_cpu(x, std::move(f));
#ifdef AGF_HAVE_CUDA
  f(cuda_of(t, op), float{});
#else
  (void)t;
  throw DeviceError(str(op, ": built without the CUDA backend"));
#endif
}

// The same for an op with a CPU kernel only: CUDA tensors throw DeviceError.
template <typename F> void dispatch_cpu(const Tensor& x, const char* op, F f) {
  AGF_CHECK(x.device() == Device::CPU, DeviceError, op, ": a CPU kernel, got ", x.str());
  run_cpu(x, std::move(f));
}

}  // namespace agf::detail
