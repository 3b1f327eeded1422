// conv2d through cuDNN: 'same' zero padding (R/2, S/2), stride 1, cross-correlation, float32.
// Algorithms are chosen once per (shape, flags) and cached in the CudaCtx (make_conv_plan); backward ACCUMULATES
// (beta = 1) into dx, dw and db, as the CPU reference does (dx: unless accumulate = false, then beta = 0).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "kernels/conv2d.h"
#include "kernels/cuda_ctx.h"

namespace agf {
namespace {

const char* fwd_name(cudnnConvolutionFwdAlgo_t a) {
  static const char* n[] = {"IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM", "DIRECT", "FFT", "FFT_TILING",
                            "WINOGRAD",      "WINOGRAD_NONFUSED"};
  return int(a) >= 0 && int(a) < 8 ? n[int(a)] : "?";
}
const char* bwd_data_name(cudnnConvolutionBwdDataAlgo_t a) {
  static const char* n[] = {"ALGO_0", "ALGO_1", "FFT", "FFT_TILING", "WINOGRAD", "WINOGRAD_NONFUSED"};
  return int(a) >= 0 && int(a) < 6 ? n[int(a)] : "?";
}
const char* bwd_filter_name(cudnnConvolutionBwdFilterAlgo_t a) {
  static const char* n[] = {"ALGO_0", "ALGO_1", "FFT", "ALGO_3", "WINOGRAD", "WINOGRAD_NONFUSED", "FFT_TILING"};
  return int(a) >= 0 && int(a) < 7 ? n[int(a)] : "?";
}
const char* math_name(cudnnMathType_t m) {
  switch (m) {
    case CUDNN_DEFAULT_MATH: return "default";
    case CUDNN_TENSOR_OP_MATH: return "tensor-op";
    case CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION: return "tensor-op+conv";
    case CUDNN_FMA_MATH: return "fma";
  }
  return "?";
}

// Does a candidate fit the context's rules? FP32 parity mode refuses tensor-op (TF32) math.
template <typename Perf> bool acceptable(const CudaCtx& ctx, const Perf& p) {
  if (p.status != CUDNN_STATUS_SUCCESS) return false;
  if (p.memory > ctx.workspace_bytes) return false;
  if (ctx.deterministic && p.determinism != CUDNN_DETERMINISTIC) return false;
  if (!ctx.tf32 && (p.mathType == CUDNN_TENSOR_OP_MATH || p.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION))
    return false;
  return true;
}

cudnnMathType_t math_for(const CudaCtx& ctx, cudnnMathType_t candidate) { return conv_math_type(ctx.tf32, candidate); }

std::string shape_text(int N, int C, int H, int W, int K, int R, int S) {
  return str("x (", N, ",", C, ",", H, ",", W, ") w (", K, ",", C, ",", R, ",", S, ")");
}

}  // namespace

// FP32 mode pins FMA math on the descriptor (no TF32 whatever the heuristic says). TF32 mode keeps a
// candidate's tensor-op math but never ALLOW_CONVERSION, which permits down-conversion of FP32 tensors
// (historically to FP16: a 10-bit mantissa, overflow above 65504), not just TF32.
cudnnMathType_t conv_math_type(bool tf32, cudnnMathType_t candidate) {
  if (!tf32) return CUDNN_FMA_MATH;
  if (candidate == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) return CUDNN_TENSOR_OP_MATH;
  return candidate;
}

#define CONV_CHECK(expr)                                                                                              \
  do {                                                                                                                \
    cudnnStatus_t s_ = (expr);                                                                                        \
    if (s_ != CUDNN_STATUS_SUCCESS)                                                                                   \
      throw_cudnn_error(s_, str(#expr, " for conv2d ", shape_text(N, C, H, W, K, R, S)).c_str(), __FILE__, __LINE__); \
  } while (0)

// CONV_CHECK for code without the shape's ints in scope: `shape` is shape_text's string.
#define CONV_CHECK_FOR(expr, shape)                                                         \
  do {                                                                                      \
    cudnnStatus_t s_ = (expr);                                                              \
    if (s_ != CUDNN_STATUS_SUCCESS)                                                         \
      throw_cudnn_error(s_, str(#expr, " for conv2d ", shape).c_str(), __FILE__, __LINE__); \
  } while (0)

namespace {

// cuDNN's three algorithm searches (forward, backward data, backward filter) differ only in their types, their
// calls (each direction passes the descriptors in its own order) and where the plan keeps the choice: one
// specialisation per perf struct names them. The calls are spelled as they always were, so that a failure's
// message quotes the same expression.
template <typename Perf> struct ConvSearch;

template <> struct ConvSearch<cudnnConvolutionFwdAlgoPerf_t> {
  using Perf = cudnnConvolutionFwdAlgoPerf_t;
  static constexpr const char* kWhat = "forward";
  static constexpr bool kSaysMath = true;  // its error says "with FP32 math" in FP32 mode
  static void max_count(CudaCtx& ctx, int& max, const std::string& shape) {
    CONV_CHECK_FOR(cudnnGetConvolutionForwardAlgorithmMaxCount(ctx.cudnn, &max), shape);
  }
  static void find(CudaCtx& ctx, ConvPlan& p, int max, int& got, std::vector<Perf>& perf, const std::string& shape) {
    CONV_CHECK_FOR(cudnnFindConvolutionForwardAlgorithm(ctx.cudnn, p.x, p.w, p.fwd_conv, p.y, max, &got, perf.data()),
                   shape);
  }
  static void heuristic(CudaCtx& ctx, ConvPlan& p, int max, int& got, std::vector<Perf>& perf,
                        const std::string& shape) {
    CONV_CHECK_FOR(cudnnGetConvolutionForwardAlgorithm_v7(ctx.cudnn, p.x, p.w, p.fwd_conv, p.y, max, &got, perf.data()),
                   shape);
  }
  static void set_math(CudaCtx& ctx, ConvPlan& p, const std::vector<Perf>& perf, int i, const std::string& shape) {
    CONV_CHECK_FOR(cudnnSetConvolutionMathType(p.fwd_conv, math_for(ctx, perf[i].mathType)), shape);
  }
  static cudnnStatus_t workspace(CudaCtx& ctx, ConvPlan& p, const Perf& perf, size_t* ws) {
    return cudnnGetConvolutionForwardWorkspaceSize(ctx.cudnn, p.x, p.w, p.fwd_conv, p.y, perf.algo, ws);
  }
  static void keep(ConvPlan& p, const Perf& perf, size_t ws) {
    p.fwd_algo = perf.algo;
    p.fwd_ws = ws;
  }
};

template <> struct ConvSearch<cudnnConvolutionBwdDataAlgoPerf_t> {
  using Perf = cudnnConvolutionBwdDataAlgoPerf_t;
  static constexpr const char* kWhat = "backward-data";
  static constexpr bool kSaysMath = false;
  static void max_count(CudaCtx& ctx, int& max, const std::string& shape) {
    CONV_CHECK_FOR(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(ctx.cudnn, &max), shape);
  }
  static void find(CudaCtx& ctx, ConvPlan& p, int max, int& got, std::vector<Perf>& perf, const std::string& shape) {
    CONV_CHECK_FOR(cudnnFindConvolutionBackwardDataAlgorithm(ctx.cudnn, p.w, p.y, p.bwd_data_conv, p.x, max, &got,
                                                             perf.data()),
                   shape);
  }
  static void heuristic(CudaCtx& ctx, ConvPlan& p, int max, int& got, std::vector<Perf>& perf,
                        const std::string& shape) {
    CONV_CHECK_FOR(cudnnGetConvolutionBackwardDataAlgorithm_v7(ctx.cudnn, p.w, p.y, p.bwd_data_conv, p.x, max, &got,
                                                               perf.data()),
                   shape);
  }
  static void set_math(CudaCtx& ctx, ConvPlan& p, const std::vector<Perf>& perf, int i, const std::string& shape) {
    CONV_CHECK_FOR(cudnnSetConvolutionMathType(p.bwd_data_conv, math_for(ctx, perf[i].mathType)), shape);
  }
  static cudnnStatus_t workspace(CudaCtx& ctx, ConvPlan& p, const Perf& perf, size_t* ws) {
    return cudnnGetConvolutionBackwardDataWorkspaceSize(ctx.cudnn, p.w, p.y, p.bwd_data_conv, p.x, perf.algo, ws);
  }
  static void keep(ConvPlan& p, const Perf& perf, size_t ws) {
    p.bwd_data_algo = perf.algo;
    p.bwd_data_ws = ws;
  }
};

template <> struct ConvSearch<cudnnConvolutionBwdFilterAlgoPerf_t> {
  using Perf = cudnnConvolutionBwdFilterAlgoPerf_t;
  static constexpr const char* kWhat = "backward-filter";
  static constexpr bool kSaysMath = false;
  static void max_count(CudaCtx& ctx, int& max, const std::string& shape) {
    CONV_CHECK_FOR(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(ctx.cudnn, &max), shape);
  }
  static void find(CudaCtx& ctx, ConvPlan& p, int max, int& got, std::vector<Perf>& perf, const std::string& shape) {
    CONV_CHECK_FOR(cudnnFindConvolutionBackwardFilterAlgorithm(ctx.cudnn, p.x, p.y, p.bwd_filter_conv, p.w, max, &got,
                                                               perf.data()),
                   shape);
  }
  static void heuristic(CudaCtx& ctx, ConvPlan& p, int max, int& got, std::vector<Perf>& perf,
                        const std::string& shape) {
    CONV_CHECK_FOR(cudnnGetConvolutionBackwardFilterAlgorithm_v7(ctx.cudnn, p.x, p.y, p.bwd_filter_conv, p.w, max, &got,
                                                                 perf.data()),
                   shape);
  }
  static void set_math(CudaCtx& ctx, ConvPlan& p, const std::vector<Perf>& perf, int i, const std::string& shape) {
    CONV_CHECK_FOR(cudnnSetConvolutionMathType(p.bwd_filter_conv, math_for(ctx, perf[i].mathType)), shape);
  }
  static cudnnStatus_t workspace(CudaCtx& ctx, ConvPlan& p, const Perf& perf, size_t* ws) {
    return cudnnGetConvolutionBackwardFilterWorkspaceSize(ctx.cudnn, p.x, p.y, p.bwd_filter_conv, p.w, perf.algo, ws);
  }
  static void keep(ConvPlan& p, const Perf& perf, size_t ws) {
    p.bwd_filter_algo = perf.algo;
    p.bwd_filter_ws = ws;
  }
};

// One direction's algorithm: the candidates cuDNN times (find) or ranks by its heuristics, in its order; the
// first the context accepts (acceptable()) whose workspace fits is kept in the plan, with its math type set.
template <typename Perf> void choose_algorithm(CudaCtx& ctx, ConvPlan& p, bool find, const std::string& shape) {
  using Search = ConvSearch<Perf>;
  int max = 0, got = 0;
  Search::max_count(ctx, max, shape);
  std::vector<Perf> perf(std::max(max, 1));
  if (find)
    Search::find(ctx, p, max, got, perf, shape);
  else
    Search::heuristic(ctx, p, max, got, perf, shape);
  bool chosen = false;
  for (int i = 0; i < got && !chosen; ++i) {
    if (!acceptable(ctx, perf[i])) continue;
    Search::set_math(ctx, p, perf, i, shape);
    size_t ws = 0;
    if (Search::workspace(ctx, p, perf[i], &ws) != CUDNN_STATUS_SUCCESS || ws > ctx.workspace_bytes) continue;
    Search::keep(p, perf[i], ws);
    chosen = true;
  }
  AGF_CHECK(chosen, DeviceError, "conv2d_cuda: no cuDNN ", Search::kWhat, " algorithm for ", shape, " within a ",
            ctx.workspace_bytes >> 20, " MiB workspace", ctx.deterministic ? " (deterministic)" : "",
            Search::kSaysMath && !ctx.tf32 ? " with FP32 math" : "");
}

}  // namespace

ConvPlan make_conv_plan(CudaCtx& ctx, int N, int C, int H, int W, int K, int R, int S) {
  AGF_CHECK(R % 2 == 1 && S % 2 == 1, ShapeError, "conv2d_cuda: 'same' padding needs odd kernels, got ", R, "x", S);
  ConvPlan p;
  CONV_CHECK(cudnnSetTensor4dDescriptor(p.x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, N, C, H, W));
  CONV_CHECK(cudnnSetTensor4dDescriptor(p.y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, N, K, H, W));
  CONV_CHECK(cudnnSetTensor4dDescriptor(p.bias, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, K, 1, 1));
  CONV_CHECK(cudnnSetFilter4dDescriptor(p.w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, K, C, R, S));
  const cudnnMathType_t initial = ctx.tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;
  for (cudnnConvolutionDescriptor_t d : {p.fwd_conv.get(), p.bwd_data_conv.get(), p.bwd_filter_conv.get()}) {
    CONV_CHECK(cudnnSetConvolution2dDescriptor(d, R / 2, S / 2, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    CONV_CHECK(cudnnSetConvolutionMathType(d, initial));
  }
  int on = 0, ok = 0, oh = 0, ow = 0;
  CONV_CHECK(cudnnGetConvolution2dForwardOutputDim(p.fwd_conv, p.x, p.w, &on, &ok, &oh, &ow));
  AGF_CHECK(on == N && ok == K && oh == H && ow == W, ShapeError, "conv2d_cuda: cuDNN output (", on, ",", ok, ",", oh,
            ",", ow, ") for ", shape_text(N, C, H, W, K, R, S), " is not 'same'");
  // cudnnFind* runs and times every algorithm (allocating its own scratch): not allowed inside a graph capture,
  // so a plan first needed while capturing falls back to the heuristics.
  const bool find = ctx.benchmark && !ctx.capturing();
  const char* how = find ? "timed" : "heuristic";
  const std::string shape = shape_text(N, C, H, W, K, R, S);
  choose_algorithm<cudnnConvolutionFwdAlgoPerf_t>(ctx, p, find, shape);
  choose_algorithm<cudnnConvolutionBwdDataAlgoPerf_t>(ctx, p, find, shape);
  choose_algorithm<cudnnConvolutionBwdFilterAlgoPerf_t>(ctx, p, find, shape);
  cudnnMathType_t mf = CUDNN_DEFAULT_MATH, md = CUDNN_DEFAULT_MATH, mw = CUDNN_DEFAULT_MATH;
  cudnnGetConvolutionMathType(p.fwd_conv, &mf);
  cudnnGetConvolutionMathType(p.bwd_data_conv, &md);
  cudnnGetConvolutionMathType(p.bwd_filter_conv, &mw);
  std::fprintf(stderr, "agf: conv2d %s (%s%s%s): fwd %s/%s %zu KiB, bwd-data %s/%s %zu KiB, bwd-filter %s/%s %zu KiB\n",
               shape.c_str(), how, ctx.tf32 ? ", tf32" : ", fp32", ctx.deterministic ? ", deterministic" : "",
               fwd_name(p.fwd_algo), math_name(mf), p.fwd_ws >> 10, bwd_data_name(p.bwd_data_algo), math_name(md),
               p.bwd_data_ws >> 10, bwd_filter_name(p.bwd_filter_algo), math_name(mw), p.bwd_filter_ws >> 10);
  return p;
}

void conv2d_forward(CudaCtx& ctx, float* y, const float* x, const float* w, const float* b, int N, int C, int H, int W,
                    int K, int R, int S) {
  ConvPlan& p = ctx.conv_plan(N, C, H, W, K, R, S);
  const float one = 1.0f, zero = 0.0f;
  CONV_CHECK(cudnnConvolutionForward(ctx.cudnn, &one, p.x, x, p.w, w, p.fwd_conv, p.fwd_algo, ctx.workspace,
                                     ctx.workspace_bytes, &zero, p.y, y));
  if (b) CONV_CHECK(cudnnAddTensor(ctx.cudnn, &one, p.bias, b, &one, p.y, y));  // y += b (broadcast over N, H, W)
}

void conv2d_backward_data(CudaCtx& ctx, float* dx, const float* dy, const float* w, int N, int C, int H, int W, int K,
                          int R, int S, bool accumulate) {
  ConvPlan& p = ctx.conv_plan(N, C, H, W, K, R, S);
  // beta = 1: dx += conv_transpose(dy, w); beta = 0: dx = conv_transpose(dy, w)
  const float one = 1.0f, beta = accumulate ? 1.0f : 0.0f;
  CONV_CHECK(cudnnConvolutionBackwardData(ctx.cudnn, &one, p.w, w, p.y, dy, p.bwd_data_conv, p.bwd_data_algo,
                                          ctx.workspace, ctx.workspace_bytes, &beta, p.x, dx));
}

void conv2d_backward_filter(CudaCtx& ctx, float* dw, float* db, const float* dy, const float* x, int N, int C, int H,
                            int W, int K, int R, int S) {
  ConvPlan& p = ctx.conv_plan(N, C, H, W, K, R, S);
  const float one = 1.0f;  // beta = 1: dw += ..., db += ...
  CONV_CHECK(cudnnConvolutionBackwardFilter(ctx.cudnn, &one, p.x, x, p.y, dy, p.bwd_filter_conv, p.bwd_filter_algo,
                                            ctx.workspace, ctx.workspace_bytes, &one, p.w, dw));
  if (db) CONV_CHECK(cudnnConvolutionBackwardBias(ctx.cudnn, &one, p.y, dy, &one, p.bias, db));
}

}  // namespace agf
