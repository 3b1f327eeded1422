// Engine-internal CUDA helpers (engine/device_cuda.cpp); only used under AGF_HAVE_CUDA.
#pragma once
#include <cstddef>
#include <cstdint>
#include "kernels/cuda_fwd.h"

namespace agf {

float* cuda_pinned_floats(size_t n);  // page-locked host memory (device copies read it at execution)
uint64_t* cuda_pinned_u64(size_t n);
void cuda_free_pinned(void* p) noexcept;
void cuda_upload_async(CudaCtx& ctx, void* dst_dev, const void* src_pinned, size_t bytes);
void cuda_fill_one_async(CudaCtx& ctx, float* dst);  // *dst = 1.0f, stream-ordered, capturable

}  // namespace agf
