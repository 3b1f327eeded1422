// conv2d CPU reference: 'same' zero padding, stride 1, odd R x S, via im2col + Eigen GEMM per sample.
// y_n (K, HW) = w (K, CRS) * col_n (CRS, HW) + b;  dcol = w^T dy_n -> col2im;  dw += dy_n col_n^T.
// Backward functions ACCUMULATE into dx, dw, db (dx is overwritten instead with accumulate = false). Parallel over the batch with OpenMP; per-thread scratch is
// thread_local and reused, so a steady-state call allocates nothing (Eigen's GEMM may still allocate its own
// packing blocks for large products). 1x1 kernels use x_n as col_n directly; samples with small planes are
// grouped so one GEMM covers several of them.
#include "kernels/conv2d.h"
#include "kernels/cpu_buffer.h"
#include "kernels/elu_row.h"
#include "kernels/simd.h"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

namespace agf::AGF_ISA_NS {  // one copy per instruction-set path: kernels/isa.h
namespace {

template <typename T> using MatR = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T> using MapR = Eigen::Map<MatR<T>>;
template <typename T> using CMapR = Eigen::Map<const MatR<T>>;

// A row segment of a few dozen elements (the planes are 43 wide and less): inline vector moves, where memcpy was
// a library call per row, 5 % of a DCNN training step (perf, AVX2 path).
template <typename T> inline void copy_row(T* dst, const T* src, int n) {
  int i = 0;
  if constexpr (std::is_same_v<T, float>) {
    for (; i + simd::kLanes <= n; i += simd::kLanes) simd::store(dst + i, simd::load(src + i));
  }
  for (; i < n; ++i) dst[i] = src[i];
}

template <typename T> inline void zero_row(T* dst, int n) {
  int i = 0;
  if constexpr (std::is_same_v<T, float>) {
    for (; i + simd::kLanes <= n; i += simd::kLanes) simd::store(dst + i, simd::splat(0.f));
  }
  for (; i < n; ++i) dst[i] = T(0);
}

// col rows of length HW at stride ld: col[(c,r,s)][(h,w)] = x[c][h + r - R/2][w + s - S/2], zero outside.
// x: (C,H,W). ld = G*HW when G samples share one GEMM (their columns side by side).
template <typename T> void im2col(T* col, size_t ld, const T* x, int C, int H, int W, int R, int S) {
  const int pr = R / 2, ps = S / 2;
  const size_t HW = static_cast<size_t>(H) * W;
  for (int c = 0; c < C; ++c)
    for (int r = 0; r < R; ++r)
      for (int s = 0; s < S; ++s) {
        T* dst = col + (static_cast<size_t>(c * R + r) * S + s) * ld;
        const T* xc = x + c * HW;
        const int w0 = std::max(0, ps - s), w1 = std::min(W, W + ps - s);  // valid w: [w0, w1)
        for (int h = 0; h < H; ++h) {
          T* d = dst + static_cast<size_t>(h) * W;
          const int ih = h + r - pr;
          if (ih < 0 || ih >= H || w1 <= w0) {
            zero_row(d, W);
            continue;
          }
          for (int w = 0; w < w0; ++w) d[w] = T(0);
          copy_row(d + w0, xc + static_cast<size_t>(ih) * W + (w0 + s - ps), w1 - w0);
          for (int w = w1; w < W; ++w) d[w] = T(0);
        }
      }
}

// dx (C,H,W) += col2im(col), the adjoint of im2col (same ld).
template <typename T> void col2im_add(T* dx, const T* col, size_t ld, int C, int H, int W, int R, int S) {
  const int pr = R / 2, ps = S / 2;
  const size_t HW = static_cast<size_t>(H) * W;
  for (int c = 0; c < C; ++c)
    for (int r = 0; r < R; ++r)
      for (int s = 0; s < S; ++s) {
        const T* src = col + (static_cast<size_t>(c * R + r) * S + s) * ld;
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

// G samples of (rows, HW) -> one (rows, G*HW) matrix, sample g in columns [g*HW, (g+1)*HW).
template <typename T> void gather(T* dst, const T* src, int G, int rows, int HW) {
  const size_t ld = static_cast<size_t>(G) * HW;
  for (int g = 0; g < G; ++g)
    for (int k = 0; k < rows; ++k)
      std::memcpy(dst + k * ld + static_cast<size_t>(g) * HW, src + (static_cast<size_t>(g) * rows + k) * HW,
                  sizeof(T) * HW);
}

// Two scratch buffers per thread (Tag 0: im2col columns, Tag 1: gathered outputs / gradients).
template <typename T, int Tag> T* thread_scratch(size_t n) {
  thread_local Buffer<T> buf;  // grows, never shrinks: no allocation once it is large enough
  return buf.reserve(n);
}

// Samples per GEMM. Deep layers have tiny planes (8x5, 4x2): batching G samples gives GEMMs of >= 256 columns
// instead of 8, while keeping at least as many groups as threads.
int group_size(int N, int HW) {
  const int threads = std::max(1, omp_get_max_threads());
  const int want = (256 + HW - 1) / HW;
  const int per_thread = std::max(1, (N + threads - 1) / threads);
  return std::max(1, std::min(want, per_thread));
}

// col (CRS, G*HW) for samples x[n0 .. n0+G); returns x itself for a single 1x1 sample.
template <typename T> const T* build_col(const T* x, int n0, int G, int C, int H, int W, int R, int S) {
  const int HW = H * W;
  const T* xn = x + static_cast<size_t>(n0) * C * HW;
  const bool one = (R == 1 && S == 1);
  if (one && G == 1) return xn;
  const size_t ld = static_cast<size_t>(G) * HW;
  T* col = thread_scratch<T, 0>(static_cast<size_t>(C) * R * S * ld);
  if (one) {
    gather(col, xn, G, C, HW);
  } else {
    for (int g = 0; g < G; ++g)
      im2col(col + static_cast<size_t>(g) * HW, ld, xn + static_cast<size_t>(g) * C * HW, C, H, W, R, S);
  }
  return col;
}

// Max-pool values of one (H, W) plane into (H/kh, W/kw), without the argmax that only training needs: the comparisons
// of maxpool_forward_cpu in its order (a later element wins only when strictly greater), hence the same values.
template <typename T> void pool_values(T* y, const T* x, int H, int W, int kh, int kw) {
  const int Ho = H / kh, Wo = W / kw;
  if constexpr (std::is_same_v<T, float>) {
    if (kh == 2 && kw == 1) {
      constexpr int L = simd::kLanes;
      for (int oh = 0; oh < Ho; ++oh) {
        const float* r0 = x + static_cast<size_t>(2 * oh) * W;
        const float* r1 = r0 + W;
        float* yo = y + static_cast<size_t>(oh) * W;
        int w = 0;
        for (; w + L <= W; w += L) {
          const simd::vf v0 = simd::load(r0 + w), v1 = simd::load(r1 + w);
          simd::store(yo + w, simd::select(v1 > v0, v1, v0));
        }
        for (; w < W; ++w) yo[w] = r1[w] > r0[w] ? r1[w] : r0[w];
      }
      return;
    }
  }
  for (int oh = 0; oh < Ho; ++oh)
    for (int ow = 0; ow < Wo; ++ow) {
      T bv = x[static_cast<size_t>(oh * kh) * W + ow * kw];
      for (int i = 0; i < kh; ++i)
        for (int j = 0; j < kw; ++j) {
          const T v = x[static_cast<size_t>(oh * kh + i) * W + ow * kw + j];
          if (v > bv) bv = v;
        }
      y[static_cast<size_t>(oh) * Wo + ow] = bv;
    }
}

}  // namespace

template <typename T>
void conv2d_forward_cpu(T* y, const T* x, const T* w, const T* b, int N, int C, int H, int W, int K, int R, int S) {
  const int HW = H * W, CRS = C * R * S, G = group_size(N, HW), groups = (N + G - 1) / G;
  CMapR<T> wm(w, K, CRS);
#pragma omp parallel for schedule(static)
  for (int gi = 0; gi < groups; ++gi) {
    const int n0 = gi * G, g = std::min(G, N - n0), L = g * HW;
    CMapR<T> col(build_col(x, n0, g, C, H, W, R, S), CRS, L);
    if (g == 1) {  // write the product straight into y_n
      MapR<T> yn(y + static_cast<size_t>(n0) * K * HW, K, HW);
      if (b) {
        for (int k = 0; k < K; ++k) yn.row(k).setConstant(b[k]);
        yn.noalias() += wm * col;
      } else {
        yn.noalias() = wm * col;
      }
      continue;
    }
    MapR<T> out(thread_scratch<T, 1>(static_cast<size_t>(K) * L), K, L);
    out.noalias() = wm * col;
    for (int j = 0; j < g; ++j)
      for (int k = 0; k < K; ++k) {
        T* yp = y + (static_cast<size_t>(n0 + j) * K + k) * HW;
        const T* op = out.data() + static_cast<size_t>(k) * L + static_cast<size_t>(j) * HW;
        const T bk = b ? b[k] : T(0);
        for (int i = 0; i < HW; ++i) yp[i] = op[i] + bk;
      }
  }
}

template <typename T> void conv2d_bn_elu_pool_infer_cpu(T* y, const T* x, const T* w, const T* b, int N, int C, int H,
                                                        int W, int K, int R, int S, const T* gamma, const T* beta,
                                                        const T* running_mean, const T* running_var, double eps,
                                                        T alpha, int kh, int kw) {
  const int HW = H * W, CRS = C * R * S, G = group_size(N, HW), groups = (N + G - 1) / G;
  const int HWo = (H / kh) * (W / kw);
  const bool pool = kh != 1 || kw != 1;
  CMapR<T> wm(w, K, CRS);
#pragma omp parallel for schedule(static)
  for (int gi = 0; gi < groups; ++gi) {
    const int n0 = gi * G, g = std::min(G, N - n0), L = g * HW;
    CMapR<T> col(build_col(x, n0, g, C, H, W, R, S), CRS, L);
    // The GEMM exactly as conv2d_forward_cpu calls it (the bias first, then += for one sample; the product, then
    // + bias, for a group), into y_n itself when one sample is neither grouped nor pooled, else into scratch.
    T* out;
    if (g == 1) {
      out = pool ? thread_scratch<T, 1>(static_cast<size_t>(K) * HW) : y + static_cast<size_t>(n0) * K * HW;
      MapR<T> yn(out, K, HW);
      if (b) {
        for (int k = 0; k < K; ++k) yn.row(k).setConstant(b[k]);
        yn.noalias() += wm * col;
      } else {
        yn.noalias() = wm * col;
      }
    } else {
      out = thread_scratch<T, 1>(static_cast<size_t>(K) * L);
      MapR<T> o(out, K, L);
      o.noalias() = wm * col;
    }
    for (int j = 0; j < g; ++j)
      for (int k = 0; k < K; ++k) {
        T* row =
            out + (g == 1 ? static_cast<size_t>(k) * HW : static_cast<size_t>(k) * L + static_cast<size_t>(j) * HW);
        if (g > 1) {
          const T bk = b ? b[k] : T(0);
          for (int i = 0; i < HW; ++i) row[i] = row[i] + bk;
        }
        if (gamma) {  // batchnorm_forward_infer_cpu's arithmetic
          const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[k]) + eps);
          const double scale = gamma[k] * invstd, shift = beta[k] - running_mean[k] * scale;
          for (int i = 0; i < HW; ++i) row[i] = static_cast<T>(row[i] * scale + shift);
        }
        elu_row(row, row, static_cast<size_t>(HW), alpha);
        T* yk = y + (static_cast<size_t>(n0 + j) * K + k) * (pool ? HWo : HW);
        if (pool)
          pool_values(yk, row, H, W, kh, kw);
        else if (g > 1)
          std::memcpy(yk, row, sizeof(T) * static_cast<size_t>(HW));
      }
  }
}

template <typename T> void conv2d_backward_data_cpu(T* dx, const T* dy, const T* w, int N, int C, int H, int W, int K,
                                                    int R, int S, bool accumulate) {
  const int HW = H * W, CRS = C * R * S, G = group_size(N, HW), groups = (N + G - 1) / G;
  const bool one = (R == 1 && S == 1);
  CMapR<T> wm(w, K, CRS);
#pragma omp parallel for schedule(static)
  for (int gi = 0; gi < groups; ++gi) {
    const int n0 = gi * G, g = std::min(G, N - n0), L = g * HW;
    const T* dyg = dy + static_cast<size_t>(n0) * K * HW;
    if (g > 1) {
      T* t = thread_scratch<T, 1>(static_cast<size_t>(K) * L);
      gather(t, dyg, g, K, HW);
      dyg = t;
    }
    T* dxn = dx + static_cast<size_t>(n0) * C * HW;
    if (one && g == 1) {
      if (accumulate)
        MapR<T>(dxn, C, HW).noalias() += wm.transpose() * CMapR<T>(dyg, K, HW);
      else
        MapR<T>(dxn, C, HW).noalias() = wm.transpose() * CMapR<T>(dyg, K, HW);
      continue;
    }
    T* col = thread_scratch<T, 0>(static_cast<size_t>(CRS) * L);
    MapR<T>(col, CRS, L).noalias() = wm.transpose() * CMapR<T>(dyg, K, L);
    for (int j = 0; j < g; ++j) {
      T* dxj = dxn + static_cast<size_t>(j) * C * HW;
      const T* cj = col + static_cast<size_t>(j) * HW;
      if (one) {
        for (int c = 0; c < C; ++c)
          for (int i = 0; i < HW; ++i) {
            T& d = dxj[static_cast<size_t>(c) * HW + i];
            d = accumulate ? d + cj[static_cast<size_t>(c) * L + i] : cj[static_cast<size_t>(c) * L + i];
          }
      } else {
        if (!accumulate) std::fill(dxj, dxj + static_cast<size_t>(C) * HW, T(0));  // this sample, in cache
        col2im_add(dxj, cj, L, C, H, W, R, S);
      }
    }
  }
}

// Race-free: each thread sums its contiguous block of samples into its own partial (dw, db); the calling
// thread then adds the partials in thread order, so the result is deterministic for a given thread count.
template <typename T> void conv2d_backward_filter_cpu(T* dw, T* db, const T* dy, const T* x, int N, int C, int H, int W,
                                                      int K, int R, int S) {
  const int HW = H * W, CRS = C * R * S, G = group_size(N, HW);
  const size_t KCRS = static_cast<size_t>(K) * CRS, per = KCRS + K;  // one thread's partial: dw then db
  const int want = std::max(1, std::min(omp_get_max_threads(), N));
  thread_local Buffer<T> partials;
  T* part = partials.reserve(per * want);
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
    for (int n = n0; n < n1; n += G) {
      const int g = std::min(G, n1 - n), L = g * HW;
      const T* dyg = dy + static_cast<size_t>(n) * K * HW;
      if (g > 1) {
        T* t = thread_scratch<T, 1>(static_cast<size_t>(K) * L);
        gather(t, dyg, g, K, HW);
        dyg = t;
      }
      CMapR<T> dym(dyg, K, L);
      dwm.noalias() += dym * CMapR<T>(build_col(x, n, g, C, H, W, R, S), CRS, L).transpose();
      if (db) {
        T* dbacc = acc + KCRS;
        for (int k = 0; k < K; ++k) dbacc[k] += dym.row(k).sum();
      }
    }
  }
  for (int t = 0; t < used; ++t) {
    const T* acc = part + per * t;
    for (size_t i = 0; i < KCRS; ++i) dw[i] += acc[i];
    if (db)
      for (int k = 0; k < K; ++k) db[k] += acc[KCRS + k];
  }
}

#define AGF_INSTANTIATE(T)                                                                                           \
  template void conv2d_forward_cpu<T>(T*, const T*, const T*, const T*, int, int, int, int, int, int, int);          \
  template void conv2d_bn_elu_pool_infer_cpu<T>(T*, const T*, const T*, const T*, int, int, int, int, int, int, int, \
                                                const T*, const T*, const T*, const T*, double, T, int, int);        \
  template void conv2d_backward_data_cpu<T>(T*, const T*, const T*, int, int, int, int, int, int, int, bool);        \
  template void conv2d_backward_filter_cpu<T>(T*, T*, const T*, const T*, int, int, int, int, int, int, int);
AGF_INSTANTIATE(float)
AGF_INSTANTIATE(double)
#undef AGF_INSTANTIATE

}  // namespace agf::AGF_ISA_NS
