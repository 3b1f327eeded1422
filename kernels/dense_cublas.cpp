// Dense layer through cuBLAS: y(N,O) = x(N,I) w(O,I)^T + b, row-major as PyTorch's Linear. cuBLAS is column-major,
// and a row-major (R,C) matrix is the column-major (C,R) matrix, its transpose. So each product is computed on
// the transposes: y^T (O,N) = w^T'(O,I) x^T (I,N), etc. (see each call). Backward ACCUMULATES (beta = 1).
// Compute type FP32 unless ctx.tf32 (CUBLAS_COMPUTE_32F_FAST_TF32).
#include "kernels/cuda_ctx.h"
#include "kernels/dense.h"

namespace agf {

void dense_bias_forward_cuda(CudaCtx& ctx, float* y, const float* b, int N, int O);     // dense_cuda.cu
void dense_bias_backward_cuda(CudaCtx& ctx, float* db, const float* dy, int N, int O);  // dense_cuda.cu

namespace {

// C(m,n) = alpha op(A) op(B) + beta C, all column-major float32.
void gemm(CudaCtx& ctx, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc, const char* what, int N, int I, int O) {
  const float alpha = 1.0f;
  cublasStatus_t s = cublasGemmEx(ctx.cublas, ta, tb, m, n, k, &alpha, A, CUDA_R_32F, lda, B, CUDA_R_32F, ldb, &beta, C,
                                  CUDA_R_32F, ldc, ctx.gemm_compute_type(), CUBLAS_GEMM_DEFAULT);
  if (s != CUBLAS_STATUS_SUCCESS)
    throw_cublas_error(s, str("cublasGemmEx (", what, ") for dense x (", N, ",", I, ") w (", O, ",", I, ")").c_str(),
                       __FILE__, __LINE__);
}

}  // namespace

void dense_forward(CudaCtx& ctx, float* y, const float* x, const float* w, const float* b, int N, int I, int O) {
  if (N == 0 || O == 0) return;
  // Column-major views: w is (I,O) ld I, x is (I,N) ld I, y is (O,N) ld O.  y^T = (w viewed)^T x^T.
  gemm(ctx, CUBLAS_OP_T, CUBLAS_OP_N, O, N, I, w, I, x, I, 0.0f, y, O, "y = x w^T", N, I, O);
  if (b) dense_bias_forward_cuda(ctx, y, b, N, O);
}

void dense_backward(CudaCtx& ctx, float* dx, float* dw, float* db, const float* dy, const float* x, const float* w,
                    int N, int I, int O) {
  if (N == 0) return;
  // dx (N,I) += dy (N,O) w (O,I).  Column-major: dx^T (I,N) += w^T (I,O; the view of w, ld I) dy^T (O,N; ld O).
  if (dx) gemm(ctx, CUBLAS_OP_N, CUBLAS_OP_N, I, N, O, w, I, dy, O, 1.0f, dx, I, "dx += dy w", N, I, O);
  // dw (O,I) += dy^T (O,N) x (N,I).  Column-major: dw^T (I,O) += x^T (I,N; view of x, ld I) dy (N,O; the
  // transpose of dy's view (O,N) ld O).
  if (dw) gemm(ctx, CUBLAS_OP_N, CUBLAS_OP_T, I, O, N, x, I, dy, O, 1.0f, dw, I, "dw += dy^T x", N, I, O);
  if (db) dense_bias_backward_cuda(ctx, db, dy, N, O);
}

}  // namespace agf
