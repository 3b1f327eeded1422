// The CUDA device context: one device, one stream, cuDNN and cuBLAS handles bound to it, a workspace
// allocated once, and a per-shape cache of cuDNN convolution plans. Plus the error macros and memory helpers.
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

#include "agf/util/error.h"

namespace agf {

// ---- Errors: each throws DeviceError("<expr> failed at file:line: <library message>").
[[noreturn]] void throw_cuda_error(cudaError_t e, const char* expr, const char* file, int line);
[[noreturn]] void throw_cudnn_error(cudnnStatus_t s, const char* expr, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t s, const char* expr, const char* file, int line);
[[noreturn]] void throw_cufft_error(cufftResult s, const char* expr, const char* file, int line);
const char* cufft_error_string(cufftResult s);
// cudaGetErrorString plus advice for the errors users can act on (no kernel image, OOM, no device).
std::string cuda_error_text(cudaError_t e);
// Checks the last launch error; with env AGF_CUDA_SYNC_DEBUG=1 also synchronises the stream (unless it is
// being captured into a graph) so an illegal access is reported at the launch that caused it.
void cuda_kernel_check(cudaStream_t s, const char* file, int line);
bool cuda_sync_debug();  // AGF_CUDA_SYNC_DEBUG=1, read once

}  // namespace agf

#define CUDA_CHECK(expr)                                                                      \
  do {                                                                                        \
    cudaError_t agf_e_ = (expr);                                                              \
    if (agf_e_ != cudaSuccess) ::agf::throw_cuda_error(agf_e_, #expr, __FILE__, __LINE__);    \
  } while (0)
#define CUDNN_CHECK(expr)                                                                     \
  do {                                                                                        \
    cudnnStatus_t agf_s_ = (expr);                                                            \
    if (agf_s_ != CUDNN_STATUS_SUCCESS) ::agf::throw_cudnn_error(agf_s_, #expr, __FILE__, __LINE__); \
  } while (0)
#define CUBLAS_CHECK(expr)                                                                    \
  do {                                                                                        \
    cublasStatus_t agf_s_ = (expr);                                                           \
    if (agf_s_ != CUBLAS_STATUS_SUCCESS) ::agf::throw_cublas_error(agf_s_, #expr, __FILE__, __LINE__); \
  } while (0)
#define CUFFT_CHECK(expr)                                                                     \
  do {                                                                                        \
    cufftResult agf_s_ = (expr);                                                              \
    if (agf_s_ != CUFFT_SUCCESS) ::agf::throw_cufft_error(agf_s_, #expr, __FILE__, __LINE__); \
  } while (0)
// After every kernel launch: AGF_KERNEL_CHECK(stream). (Takes the stream so the debug switch can sync it.)
#define AGF_KERNEL_CHECK(stream) ::agf::cuda_kernel_check((stream), __FILE__, __LINE__)

namespace agf {

// ---- RAII cuDNN descriptors (move-only; destructors only log on failure).
template <typename H, cudnnStatus_t (*Create)(H*), cudnnStatus_t (*Destroy)(H)>
class CudnnDesc {
 public:
  CudnnDesc() { CUDNN_CHECK(Create(&h_)); }
  ~CudnnDesc() { reset(); }
  CudnnDesc(CudnnDesc&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  CudnnDesc& operator=(CudnnDesc&& o) noexcept {
    if (this != &o) { reset(); h_ = o.h_; o.h_ = nullptr; }
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

void log_destroy_failure(const char* what, int status);  // destructors log, never throw

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
  TensorDesc x, y, bias;                  // (N,C,H,W), (N,K,H,W), (1,K,1,1)
  FilterDesc w;                           // (K,C,R,S)
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
  bool deterministic = false;  // only algorithms cuDNN marks CUDNN_DETERMINISTIC
  bool tf32 = false;           // false: FP32 FMA math (parity); true: TF32 tensor cores (cuDNN and cuBLAS)
  bool benchmark = false;      // true: time candidate algorithms (cudnnFind*) once per shape; false: heuristics
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
  cublasComputeType_t gemm_compute_type() const {
    return tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  }

 private:
  struct Caches;
  std::unique_ptr<Caches> caches_;
  void release() noexcept;
};

// ---- Device queries and memory.
int cuda_device_count();                  // 0 without a driver or a device; never throws (logs the reason once)
// The error cudaGetDeviceCount gave (cudaSuccess when it worked), e.g. cudaErrorInsufficientDriver.
cudaError_t cuda_device_count_error();
std::string cuda_device_summary(int dev);  // name, CC, memory, driver/runtime/cuDNN/cuBLAS versions
// Throws DeviceError naming the bytes requested, free/total memory, and suggesting a smaller --batch.
void* cuda_malloc(size_t bytes);
void cuda_free(void* p) noexcept;  // logs on failure
void cuda_memcpy_h2d(void* dst, const void* src, size_t bytes);  // synchronous
void cuda_memcpy_d2h(void* dst, const void* src, size_t bytes);
void cuda_memcpy_d2d(void* dst, const void* src, size_t bytes);
void cuda_memcpy_h2d_async(CudaCtx& ctx, void* dst, const void* src, size_t bytes);
void cuda_memcpy_d2h_async(CudaCtx& ctx, void* dst, const void* src, size_t bytes);
void cuda_memcpy_d2d_async(CudaCtx& ctx, void* dst, const void* src, size_t bytes);
void cuda_memset_async(CudaCtx& ctx, void* dst, int value, size_t bytes);

// Move-only owning device buffer (tests, benches, small scratch).
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t n) : n_(n) { p_ = static_cast<T*>(n ? cuda_malloc(n * sizeof(T)) : nullptr); }
  ~DeviceBuffer() { cuda_free(p_); }
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr; o.n_ = 0; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) { cuda_free(p_); p_ = o.p_; n_ = o.n_; o.p_ = nullptr; o.n_ = 0; }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return p_; }
  size_t size() const { return n_; }
  size_t bytes() const { return n_ * sizeof(T); }

 private:
  T* p_ = nullptr;
  size_t n_ = 0;
};

// Launch geometry for 1-D grid-stride kernels: enough blocks to fill the GPU, at most 65535*32.
inline unsigned grid_for(size_t n, unsigned block = 256) {
  size_t g = (n + block - 1) / block;
  if (g < 1) g = 1;
  if (g > 65535u * 32u) g = 65535u * 32u;
  return static_cast<unsigned>(g);
}

// ---- CUDA graphs: capture the work issued to ctx.stream between begin() and end(), replay it with launch().
// Capture mode is thread-local: an allocation or a synchronisation inside the captured step is an error, not a
// silently broken graph. Values the step reads from host memory are baked in: pass per-step scalars through
// device memory (Adam's [bc1, bc2], dropout's [seed, offset]) and update them before each launch.
class CudaGraph {
 public:
  CudaGraph() = default;
  ~CudaGraph();
  CudaGraph(CudaGraph&& o) noexcept;
  CudaGraph& operator=(CudaGraph&& o) noexcept;
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;
  void begin(CudaCtx& ctx);
  void end(CudaCtx& ctx);  // ends the capture and instantiates the executable graph
  void launch(CudaCtx& ctx) const;
  bool ready() const { return exec_ != nullptr; }
  size_t num_nodes() const { return nodes_; }

 private:
  void reset() noexcept;
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
  size_t nodes_ = 0;
};

}  // namespace agf
