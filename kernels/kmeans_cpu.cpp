// K-means CPU kernels (see kmeans.h): per tile of TN points x TK centroids, Eigen GEMM for the dot
// products, then d2 = ||c||^2 - 2 x.c scanned for the minimum; ||x||^2 is added once at the end.
// Tiles keep the scratch in cache: (TN x TK) = 256 x 512 values per thread.
#include "kernels/kmeans.h"
#include "kernels/cpu_buffer.h"

#include <Eigen/Core>
#include <algorithm>
#include <limits>
#include <omp.h>

namespace agf::AGF_ISA_NS {  // one copy per instruction-set path: kernels/isa.h

namespace {
constexpr int64_t kTileN = 256;
constexpr int kTileK = 512;
}  // namespace

template <typename T> void row_sqnorm_cpu(T* out, const T* x, int64_t N, int D) {
#pragma omp parallel for schedule(static) if (N * D > 65536)
  for (int64_t n = 0; n < N; ++n) {
    T s = 0;
    for (int d = 0; d < D; ++d) s += x[n * D + d] * x[n * D + d];
    out[n] = s;
  }
}

template <typename T> void kmeans_assign_cpu(int32_t* labels, T* min_d2, const T* x, const T* x_sq, const T* c,
                                             const T* c_sq, int64_t N, int D, int K) {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using CMap = Eigen::Map<const Mat>;
  const int64_t n_tiles = (N + kTileN - 1) / kTileN;
#pragma omp parallel
  {
    Mat dots(kTileN, std::min(kTileK, K));  // (TN, TK) scratch of this thread
    Buffer<T> best(kTileN, T(0));
    Buffer<int32_t> arg(kTileN, 0);
#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < n_tiles; ++t) {
      const int64_t n0 = t * kTileN;
      const int tn = static_cast<int>(std::min(kTileN, N - n0));
      std::fill(best.data(), best.data() + tn, std::numeric_limits<T>::infinity());
      std::fill(arg.data(), arg.data() + tn, 0);
      CMap xt(x + n0 * D, tn, D);
      for (int k0 = 0; k0 < K; k0 += kTileK) {
        const int tk = std::min(kTileK, K - k0);
        CMap ct(c + static_cast<int64_t>(k0) * D, tk, D);
        dots.topLeftCorner(tn, tk).noalias() = xt * ct.transpose();
        for (int i = 0; i < tn; ++i) {
          const T* row = dots.data() + static_cast<int64_t>(i) * dots.cols();
          T b = best[i];
          int32_t a = arg[i];
          for (int j = 0; j < tk; ++j) {
            const T d = c_sq[k0 + j] - T(2) * row[j];
            if (d < b) {
              b = d;
              a = k0 + j;
            }
          }
          best[i] = b;
          arg[i] = a;
        }
      }
      for (int i = 0; i < tn; ++i) {
        labels[n0 + i] = arg[i];
        if (min_d2) min_d2[n0 + i] = std::max(T(0), best[i] + x_sq[n0 + i]);
      }
    }
  }
}

template <typename T>
void kmeans_accumulate_cpu(double* sums, int64_t* counts, const T* x, const int32_t* labels, int64_t N, int D, int K) {
  const int nt = (N * D > 65536) ? omp_get_max_threads() : 1;
  if (nt <= 1) {
    for (int64_t n = 0; n < N; ++n) {
      const int32_t k = labels[n];
      counts[k] += 1;
      for (int d = 0; d < D; ++d) sums[static_cast<int64_t>(k) * D + d] += x[n * D + d];
    }
    return;
  }
  // per-thread partials (K, D) then a reduction: no atomics, deterministic for a thread count
  const size_t KD = static_cast<size_t>(K) * D;
  Buffer<double> part(KD * nt, 0.0);
  Buffer<int64_t> pcount(static_cast<size_t>(K) * nt, 0);
#pragma omp parallel num_threads(nt)
  {
    const int tid = omp_get_thread_num();
    double* s = part.data() + KD * tid;
    int64_t* cnt = pcount.data() + static_cast<size_t>(K) * tid;
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      const int32_t k = labels[n];
      cnt[k] += 1;
      for (int d = 0; d < D; ++d) s[static_cast<int64_t>(k) * D + d] += x[n * D + d];
    }
  }
  for (int t = 0; t < nt; ++t) {
    for (size_t i = 0; i < KD; ++i) sums[i] += part[KD * t + i];
    for (int k = 0; k < K; ++k) counts[k] += pcount[static_cast<size_t>(K) * t + k];
  }
}

template void row_sqnorm_cpu<float>(float*, const float*, int64_t, int);
template void row_sqnorm_cpu<double>(double*, const double*, int64_t, int);
template void kmeans_assign_cpu<float>(int32_t*, float*, const float*, const float*, const float*, const float*,
                                       int64_t, int, int);
template void kmeans_assign_cpu<double>(int32_t*, double*, const double*, const double*, const double*, const double*,
                                        int64_t, int, int);
template void kmeans_accumulate_cpu<float>(double*, int64_t*, const float*, const int32_t*, int64_t, int, int);
template void kmeans_accumulate_cpu<double>(double*, int64_t*, const double*, const int32_t*, int64_t, int, int);

}  // namespace agf::AGF_ISA_NS
