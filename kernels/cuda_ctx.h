// The CUDA device context: one device, one stream, cuDNN and cuBLAS handles bound to it, a workspace
// allocated once, and a per-shape cache of cuDNN convolution plans. Errors are in cuda_check.h, memory in
// cuda_buffer.h, graphs in cuda_graph.h (all included here, so that including this header is enough).
// Only includable with the CUDA backend (AGF_HAVE_CUDA); op headers forward-declare CudaCtx (cuda_fwd.h).
#pragma once
#ifndef AGF_HAVE_CUDA
#error "kernels/cuda_ctx.h needs the CUDA backend (configure with -DAGF_CUDA=ON)"
#endif

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <cufft.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "util/error.h"
#include "kernels/cuda_buffer.h"
#include "kernels/cuda_check.h"
#include "kernels/cuda_graph.h"

namespace agf {

// ---- RAII cuDNN descriptors (move-only; destructors only log on failure).
template <typename H, cudnnStatus_t (*Create)(H*), cudnnStatus_t (*Destroy)(H)> class CudnnDesc {
 public:
  CudnnDesc() { CUDNN_CHECK(Create(&h_)); }
  ~CudnnDesc() { reset(); }
  CudnnDesc(CudnnDesc&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  CudnnDesc& operator=(CudnnDesc&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = o.h_;
      o.h_ = nullptr;
    }
    return *this;
  }
  CudnnDesc(const CudnnDesc&) = delete;
  CudnnDesc& operator=(const CudnnDesc&) = delete;
  H get() const { return h_; }
  operator H() const { return h_; }

 private:
  void reset() noexcept;
  H h_ = nullptr;
};

using TensorDesc = CudnnDesc<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDesc = CudnnDesc<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvDesc =
    CudnnDesc<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor, cudnnDestroyConvolutionDescriptor>;
using ActivationDesc =
    CudnnDesc<cudnnActivationDescriptor_t, cudnnCreateActivationDescriptor, cudnnDestroyActivationDescriptor>;

template <typename H, cudnnStatus_t (*Create)(H*), cudnnStatus_t (*Destroy)(H)>
void CudnnDesc<H, Create, Destroy>::reset() noexcept {
  if (h_) {
    cudnnStatus_t s = Destroy(h_);
    if (s != CUDNN_STATUS_SUCCESS) log_destroy_failure("cudnnDestroy*Descriptor", static_cast<int>(s));
    h_ = nullptr;
  }
}

// A float32 NCHW tensor descriptor (packed).
TensorDesc make_tensor_desc(int n, int c, int h, int w);

// ---- The per-shape convolution plan: descriptors and the three chosen algorithms.
struct ConvPlan {
  TensorDesc x, y, bias;                              // (N,C,H,W), (N,K,H,W), (1,K,1,1)
  FilterDesc w;                                       // (K,C,R,S)
  ConvDesc fwd_conv, bwd_data_conv, bwd_filter_conv;  // one per direction: each carries its algo's math type
  cudnnConvolutionFwdAlgo_t fwd_algo{};
  cudnnConvolutionBwdDataAlgo_t bwd_data_algo{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter_algo{};
  size_t fwd_ws = 0, bwd_data_ws = 0, bwd_filter_ws = 0;  // workspace bytes each needs (<= ctx workspace)
};
struct CudaCtx;
// The math type set on a convolution descriptor for a candidate algorithm (conv2d_cudnn.cpp): FMA in FP32
// mode; in TF32 mode the candidate's, with ALLOW_CONVERSION (FP16 down-conversion) mapped to TENSOR_OP.
cudnnMathType_t conv_math_type(bool tf32, cudnnMathType_t candidate);
// Chooses the three algorithms for one shape under ctx's flags and logs the choice (conv2d_cudnn.cpp).
ConvPlan make_conv_plan(CudaCtx& ctx, int N, int C, int H, int W, int K, int R, int S);

struct CudaCtxOptions {
  int device = 0;
  size_t workspace_bytes = size_t(256) << 20;  // cuDNN workspace cap, allocated once
  bool deterministic = false;                  // only algorithms cuDNN marks CUDNN_DETERMINISTIC
  bool tf32 = false;       // false: FP32 FMA math (parity); true: TF32 tensor cores (cuDNN and cuBLAS)
  bool benchmark = false;  // true: time candidate algorithms (cudnnFind*) once per shape; false: heuristics
};

// Move-only. Not thread-safe: one host thread drives one context.
struct CudaCtx {
  explicit CudaCtx(const CudaCtxOptions& opt = CudaCtxOptions{});
  ~CudaCtx();
  CudaCtx(CudaCtx&& o) noexcept;
  CudaCtx& operator=(CudaCtx&& o) noexcept;
  CudaCtx(const CudaCtx&) = delete;
  CudaCtx& operator=(const CudaCtx&) = delete;

  int device = -1;
  cudaStream_t stream = nullptr;
  cudnnHandle_t cudnn = nullptr;
  cublasHandle_t cublas = nullptr;
  void* workspace = nullptr;  // cuDNN workspace
  size_t workspace_bytes = 0;
  void* cublas_workspace = nullptr;  // given to cuBLAS so that it never allocates (graph capture)
  size_t cublas_workspace_bytes = 0;
  // Flags: read at each call. Changing them later selects (and logs) new plans for new calls.
  bool deterministic = false;
  bool tf32 = false;
  bool benchmark = false;

  void synchronize() const;
  bool capturing() const;  // is the stream being captured into a CUDA graph?
  // The plan for conv2d (N,C,H,W) x (K,C,R,S), 'same' padding: chosen on first use, logged once to stderr.
  ConvPlan& conv_plan(int N, int C, int H, int W, int K, int R, int S);
  // A cached packed float32 NCHW descriptor (stable address for the context's lifetime).
  cudnnTensorDescriptor_t tensor_desc(int n, int c, int h, int w);
  cudnnActivationDescriptor_t elu_desc(float alpha);
  cublasComputeType_t gemm_compute_type() const { return tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F; }

 private:
  struct Caches;
  std::unique_ptr<Caches> caches_;
  void release() noexcept;
};

}  // namespace agf
