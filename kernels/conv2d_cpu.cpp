// conv2d CPU reference: 'same' zero padding, stride 1, odd R x S, via im2col + Eigen GEMM per sample.
// y_n (K, HW) = w (K, CRS) * col_n (CRS, HW) + b;  dcol = w^T dy_n -> col2im;  dw += dy_n col_n^T.
// Backward functions ACCUMULATE into dx, dw, db. Parallel over the batch with OpenMP; per-thread scratch is
// thread_local and reused, so a steady-state call allocates nothing. 1x1 kernels use x_n as col_n directly.
#include "kernels/conv2d.h"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <vector>

namespace agf {
namespace {

template <typename T>
using MatR = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using MapR = Eigen::Map<MatR<T>>;
template <typename T>
using CMapR = Eigen::Map<const MatR<T>>;

// Grows (never shrinks) a thread's scratch buffer; no allocation once it is large enough.
template <typename T>
T* scratch(std::vector<T>& buf, size_t n) {
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// col (C*R*S, H*W): col[(c,r,s)][(h,w)] = x[c][h + r - R/2][w + s - S/2], zero outside.  x: (C,H,W)
template <typename T>
void im2col(T* col, const T* x, int C, int H, int W, int R, int S) {
  const int pr = R / 2, ps = S / 2;
  const size_t HW = static_cast<size_t>(H) * W;
  for (int c = 0; c < C; ++c)
    for (int r = 0; r < R; ++r)
      for (int s = 0; s < S; ++s) {
        T* dst = col + (static_cast<size_t>(c * R + r) * S + s) * HW;
        const T* xc = x + c * HW;
        const int w0 = std::max(0, ps - s), w1 = std::min(W, W + ps - s);  // valid w: [w0, w1)
        for (int h = 0; h < H; ++h) {
          T* d = dst + static_cast<size_t>(h) * W;
          const int ih = h + r - pr;
          if (ih < 0 || ih >= H || w1 <= w0) {
            std::fill(d, d + W, T(0));
            continue;
          }
          std::fill(d, d + w0, T(0));
          std::memcpy(d + w0, xc + static_cast<size_t>(ih) * W + (w0 + s - ps), sizeof(T) * (w1 - w0));
          std::fill(d + w1, d + W, T(0));
        }
      }
}

// dx (C,H,W) += col2im(dcol), the adjoint of im2col.
template <typename T>
void col2im_add(T* dx, const T* col, int C, int H, int W, int R, int S) {
  const int pr = R / 2, ps = S / 2;
  const size_t HW = static_cast<size_t>(H) * W;
  for (int c = 0; c < C; ++c)
    for (int r = 0; r < R; ++r)
      for (int s = 0; s < S; ++s) {
        const T* src = col + (static_cast<size_t>(c * R + r) * S + s) * HW;
        T* dxc = dx + c * HW;
        const int w0 = std::max(0, ps - s), w1 = std::min(W, W + ps - s);
        for (int h = 0; h < H; ++h) {
          const int ih = h + r - pr;
          if (ih < 0 || ih >= H) continue;
          const T* sp = src + static_cast<size_t>(h) * W;
          T* dp = dxc + static_cast<size_t>(ih) * W + (s - ps);
          for (int w = w0; w < w1; ++w) dp[w] += sp[w];
        }
      }
}

template <typename T>
std::vector<T>& col_scratch() {
  thread_local std::vector<T> buf;
  return buf;
}

}  // namespace

template <typename T>
void conv2d_forward_cpu(T* y, const T* x, const T* w, const T* b, int N, int C, int H, int W, int K, int R, int S) {
  const int HW = H * W, CRS = C * R * S;
  const bool one = (R == 1 && S == 1);
  CMapR<T> wm(w, K, CRS);
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; ++n) {
    const T* xn = x + static_cast<size_t>(n) * C * HW;
    MapR<T> yn(y + static_cast<size_t>(n) * K * HW, K, HW);
    const T* col = xn;
    if (!one) {
      T* c = scratch(col_scratch<T>(), static_cast<size_t>(CRS) * HW);
      im2col(c, xn, C, H, W, R, S);
      col = c;
    }
    if (b) {
      for (int k = 0; k < K; ++k) yn.row(k).setConstant(b[k]);
      yn.noalias() += wm * CMapR<T>(col, CRS, HW);
    } else {
      yn.noalias() = wm * CMapR<T>(col, CRS, HW);
    }
  }
}

template <typename T>
void conv2d_backward_data_cpu(T* dx, const T* dy, const T* w, int N, int C, int H, int W, int K, int R, int S) {
  const int HW = H * W, CRS = C * R * S;
  const bool one = (R == 1 && S == 1);
  CMapR<T> wm(w, K, CRS);
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; ++n) {
    CMapR<T> dyn(dy + static_cast<size_t>(n) * K * HW, K, HW);
    T* dxn = dx + static_cast<size_t>(n) * C * HW;
    if (one) {
      MapR<T>(dxn, C, HW).noalias() += wm.transpose() * dyn;
    } else {
      T* col = scratch(col_scratch<T>(), static_cast<size_t>(CRS) * HW);
      MapR<T>(col, CRS, HW).noalias() = wm.transpose() * dyn;
      col2im_add(dxn, col, C, H, W, R, S);
    }
  }
}

// Race-free: each thread sums its contiguous block of samples into its own partial (dw, db); the calling
// thread then adds the partials in thread order, so the result is deterministic for a given thread count.
template <typename T>
void conv2d_backward_filter_cpu(T* dw, T* db, const T* dy, const T* x, int N, int C, int H, int W, int K, int R,
                                int S) {
  const int HW = H * W, CRS = C * R * S;
  const size_t per = static_cast<size_t>(K) * CRS + K;  // one thread's partial: dw then db
  const bool one = (R == 1 && S == 1);
  const int want = std::max(1, std::min(omp_get_max_threads(), N));
  thread_local std::vector<T> partials;
  T* part = scratch(partials, per * want);
  int used = 1;
#pragma omp parallel num_threads(want)
  {
    const int tid = omp_get_thread_num(), nth = omp_get_num_threads();
#pragma omp single
    used = nth;
    T* acc = part + per * tid;
    std::fill(acc, acc + per, T(0));
    MapR<T> dwm(acc, K, CRS);
    const int n0 = static_cast<int>(static_cast<long long>(N) * tid / nth);
    const int n1 = static_cast<int>(static_cast<long long>(N) * (tid + 1) / nth);
    for (int n = n0; n < n1; ++n) {
      const T* xn = x + static_cast<size_t>(n) * C * HW;
      CMapR<T> dyn(dy + static_cast<size_t>(n) * K * HW, K, HW);
      const T* col = xn;
      if (!one) {
        T* c = scratch(col_scratch<T>(), static_cast<size_t>(CRS) * HW);
        im2col(c, xn, C, H, W, R, S);
        col = c;
      }
      dwm.noalias() += dyn * CMapR<T>(col, CRS, HW).transpose();
      if (db) {
        T* dbacc = acc + static_cast<size_t>(K) * CRS;
        for (int k = 0; k < K; ++k) dbacc[k] += dyn.row(k).sum();
      }
    }
  }
  const size_t KCRS = static_cast<size_t>(K) * CRS;
  for (int t = 0; t < used; ++t) {
    const T* acc = part + per * t;
    for (size_t i = 0; i < KCRS; ++i) dw[i] += acc[i];
    if (db)
      for (int k = 0; k < K; ++k) db[k] += acc[KCRS + k];
  }
}

#define AGF_INSTANTIATE(T)                                                                                      \
  template void conv2d_forward_cpu<T>(T*, const T*, const T*, const T*, int, int, int, int, int, int, int);     \
  template void conv2d_backward_data_cpu<T>(T*, const T*, const T*, int, int, int, int, int, int, int);         \
  template void conv2d_backward_filter_cpu<T>(T*, T*, const T*, const T*, int, int, int, int, int, int, int);
AGF_INSTANTIATE(float)
AGF_INSTANTIATE(double)
#undef AGF_INSTANTIATE

}  // namespace agf
