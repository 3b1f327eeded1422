// K-means driver (see kmeans.h). Lloyd as scikit-learn's _kmeans_single_lloyd: assign, update,
// re-seed empty clusters with the points farthest from their centre, stop on unchanged labels or on
// the squared centre shift <= tol * mean(var(X)). Mini-batch as MiniBatchKMeans' per-centre running mean.
#include "agf/factors/kmeans.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <memory>
#include <random>
#include <type_traits>
#include "util/error.h"
#include "util/progress.h"
#include "kernels/kmeans.h"

namespace agf {

namespace {

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// m distinct indices of [0, N), sorted (partial Fisher-Yates).
std::vector<int64_t> sample_indices(int64_t N, int64_t m, std::mt19937_64& rng) {
  std::vector<int64_t> idx(N);
  std::iota(idx.begin(), idx.end(), 0);
  for (int64_t i = 0; i < m; ++i) {
    const int64_t j = i + static_cast<int64_t>(rng() % static_cast<uint64_t>(N - i));
    std::swap(idx[i], idx[j]);
  }
  idx.resize(m);
  std::sort(idx.begin(), idx.end());
  return idx;
}

template <typename T> std::vector<T> gather_rows(const T* x, int D, const std::vector<int64_t>& idx) {
  std::vector<T> out(idx.size() * D);
  for (size_t i = 0; i < idx.size(); ++i) std::copy(x + idx[i] * D, x + idx[i] * D + D, out.begin() + i * D);
  return out;
}

template <typename T> void check_finite(const T* x, int64_t N, int D) {
  for (int64_t i = 0; i < N * D; ++i)
    AGF_CHECK(std::isfinite(static_cast<double>(x[i])), NumericError, "k-means: non-finite value ", x[i], " at row ",
              i / D, ", column ", i % D, " of the (", N, ", ", D, ") data");
}

// Assignment step on the chosen device: labels and squared distances of x to c. `cuda` (float data only):
// the context the assignments run on; null: the CPU.
template <typename T> struct Assigner {
  Assigner(const T* x, int64_t N, int D, int K, CudaCtx* cuda) : x_(x), N_(N), D_(D), K_(K) {
    x_sq_.resize(N);
    row_sqnorm(Cpu{}, x_sq_.data(), x, N, D);
    c_sq_.resize(K);
#ifdef AGF_HAVE_CUDA
    if constexpr (std::is_same_v<T, float>)
      if (cuda) dev_ = std::make_unique<KMeansDeviceAssigner>(*cuda, x, N, D, K);
#endif
    (void)cuda;
  }
  void operator()(int32_t* labels, T* d2, const T* c) {
#ifdef AGF_HAVE_CUDA
    if constexpr (std::is_same_v<T, float>)
      if (dev_) return dev_->assign(labels, d2, c);
#endif
    row_sqnorm(Cpu{}, c_sq_.data(), c, K_, D_);
    kmeans_assign(Cpu{}, labels, d2, x_, x_sq_.data(), c, c_sq_.data(), N_, D_, K_);
  }
  const T* x_;
  int64_t N_;
  int D_, K_;
  std::vector<T> x_sq_, c_sq_;
#ifdef AGF_HAVE_CUDA
  std::unique_ptr<KMeansDeviceAssigner> dev_;
#endif
};

// The context assignments of T data run on: a CUDA Compute's, for float data; else null (the CPU).
template <typename T> CudaCtx* assign_context(const Compute* c) {
  if (!std::is_same_v<T, float> || c == nullptr || c->device != Device::CUDA) return nullptr;
  return c->cuda;
}

// sklearn's _relocate_empty_clusters_dense: the i-th empty cluster takes the i-th farthest point
// (distance to its own centre), which leaves its old cluster. Returns the number re-seeded.
template <typename T> int relocate_empty(std::vector<double>& sums, std::vector<int64_t>& counts, const T* x, int D,
                                         int K, const int32_t* labels, const T* d2, int64_t N) {
  std::vector<int> empty;
  for (int k = 0; k < K; ++k)
    if (counts[k] == 0) empty.push_back(k);
  if (empty.empty()) return 0;
  const int64_t m = std::min<int64_t>(static_cast<int64_t>(empty.size()), N);
  std::vector<int64_t> order(N);
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + m, order.end(),
                    [&](int64_t a, int64_t b) { return d2[a] > d2[b] || (d2[a] == d2[b] && a < b); });
  for (int64_t i = 0; i < m; ++i) {
    const int64_t n = order[i];
    const int old = labels[n], nk = empty[i];
    for (int d = 0; d < D; ++d) {
      sums[static_cast<int64_t>(old) * D + d] -= x[n * D + d];
      sums[static_cast<int64_t>(nk) * D + d] = x[n * D + d];
    }
    counts[old] -= 1;
    counts[nk] = 1;
  }
  return static_cast<int>(m);
}

}  // namespace

template <typename T> double kmeans_inertia(const T* x, int64_t N, int D, const T* c, const int32_t* labels) {
  double total = 0;
#pragma omp parallel for reduction(+ : total) schedule(static) if (N * D > 65536)
  for (int64_t n = 0; n < N; ++n) {
    double s = 0;
    for (int d = 0; d < D; ++d) {
      const double diff = static_cast<double>(x[n * D + d]) - static_cast<double>(c[labels[n] * int64_t(D) + d]);
      s += diff * diff;
    }
    total += s;
  }
  return total;
}

template <typename T> std::vector<T> kmeans_plusplus(const T* x, int64_t N, int D, int k, uint64_t seed) {
  AGF_CHECK(k >= 1 && k <= N, UsageError, "k-means++: ", k, " clusters for ", N, " points (need 1 <= k <= N)");
  std::mt19937_64 rng(seed);
  const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k)));
  std::vector<T> c(static_cast<size_t>(k) * D);
  auto dist2 = [&](int64_t a, const T* b) {
    double s = 0;
    for (int d = 0; d < D; ++d) {
      const double diff = static_cast<double>(x[a * D + d]) - static_cast<double>(b[d]);
      s += diff * diff;
    }
    return s;
  };
  int64_t first = static_cast<int64_t>(rng() % static_cast<uint64_t>(N));
  std::copy(x + first * D, x + first * D + D, c.begin());
  std::vector<double> closest(N), cand(static_cast<size_t>(trials) * N), cum(N);
#pragma omp parallel for schedule(static) if (N * D > 65536)
  for (int64_t n = 0; n < N; ++n) closest[n] = dist2(n, c.data());
  for (int j = 1; j < k; ++j) {
    std::partial_sum(closest.begin(), closest.end(), cum.begin());
    const double pot = cum.back();
    std::vector<int64_t> ids(trials);
    for (int t = 0; t < trials; ++t) {
      const double r = uniform01(rng) * pot;
      ids[t] = std::min<int64_t>(std::upper_bound(cum.begin(), cum.end(), r) - cum.begin(), N - 1);
    }
    std::vector<double> pots(trials, 0.0);
    for (int t = 0; t < trials; ++t) {
      double s = 0;
      double* ct = cand.data() + static_cast<int64_t>(t) * N;
#pragma omp parallel for reduction(+ : s) schedule(static) if (N * D > 65536)
      for (int64_t n = 0; n < N; ++n) {
        ct[n] = std::min(closest[n], dist2(n, x + ids[t] * D));
        s += ct[n];
      }
      pots[t] = s;
    }
    const int best = static_cast<int>(std::min_element(pots.begin(), pots.end()) - pots.begin());
    std::copy(x + ids[best] * D, x + ids[best] * D + D, c.begin() + static_cast<int64_t>(j) * D);
    std::copy(cand.begin() + static_cast<int64_t>(best) * N, cand.begin() + static_cast<int64_t>(best + 1) * N,
              closest.begin());
  }
  return c;
}

template <typename T> std::vector<int32_t> kmeans_predict(const T* x, int64_t N, int D, const T* c, int k,
                                                          double* inertia, const Compute* compute) {
  std::vector<int32_t> labels(N);
  if (N == 0) {
    if (inertia) *inertia = 0;
    return labels;
  }
  Assigner<T> assign(x, N, D, k, assign_context<T>(compute));
  std::vector<T> d2(N);
  assign(labels.data(), d2.data(), c);
  if (inertia) *inertia = kmeans_inertia(x, N, D, c, labels.data());
  return labels;
}

namespace {

// The initial centroids: `init` when given, else k-means++ on a sample of init_size points (or on all n).
template <typename T> std::vector<T> initial_centroids(const T* x, int64_t n, int D, const KMeansParams& p,
                                                       const T* init, std::mt19937_64& rng) {
  const int K = p.k;
  if (init) {
    return std::vector<T>(init, init + static_cast<int64_t>(K) * D);
  } else if (p.init_size > 0 && p.init_size < n) {
    const int64_t m = std::max<int64_t>(p.init_size, K);
    auto pts = gather_rows(x, D, sample_indices(n, m, rng));
    return kmeans_plusplus(pts.data(), m, D, K, rng());
  } else {
    return kmeans_plusplus(x, n, D, K, rng());
  }
}

// Lloyd from r.centroids on the n training points: assign, update, re-seed empty clusters, until the labels
// are unchanged, the squared centre shift is <= tol scaled by the mean column variance (sklearn's _tolerance),
// or max_iter.
template <typename T>
void lloyd(const T* x, int64_t n, int D, const KMeansParams& p, CudaCtx* cuda, KMeansResult<T>& r) {
  const int K = p.k;
  std::vector<double> sums(static_cast<size_t>(K) * D);
  std::vector<int64_t> counts(K);
  // tolerance scaled by the mean column variance (sklearn's _tolerance)
  double mean_var = 0;
  for (int d = 0; d < D; ++d) {
    double m = 0, v = 0;
    for (int64_t i = 0; i < n; ++i) m += x[i * D + d];
    m /= static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i) v += (x[i * D + d] - m) * (x[i * D + d] - m);
    mean_var += v / static_cast<double>(n);
  }
  const double tol = p.tol * mean_var / D;
  Assigner<T> assign(x, n, D, K, cuda);
  std::vector<int32_t> labels(n), old(n, -1);
  std::vector<T> d2(n);
  Progress prog("k-means", p.max_iter, "iter", !p.verbose);
  for (int it = 0; it < p.max_iter; ++it) {
    assign(labels.data(), d2.data(), r.centroids.data());
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), 0);
    kmeans_accumulate(Cpu{}, sums.data(), counts.data(), x, labels.data(), n, D, K);
    r.n_reseeded += relocate_empty(sums, counts, x, D, K, labels.data(), d2.data(), n);
    double shift = 0;
    for (int k = 0; k < K; ++k) {
      if (counts[k] == 0) continue;  // only when k > distinct points: keep the old centre
      for (int d = 0; d < D; ++d) {
        const int64_t i = static_cast<int64_t>(k) * D + d;
        const T v = static_cast<T>(sums[i] / static_cast<double>(counts[k]));
        shift += (static_cast<double>(v) - r.centroids[i]) * (static_cast<double>(v) - r.centroids[i]);
        r.centroids[i] = v;
      }
    }
    r.n_iter = it + 1;
    prog.set(it + 1);
    prog.set_note(str("shift ", shift));
    if (labels == old) {
      r.converged = true;
      break;
    }
    if (shift <= tol) {
      r.converged = true;
      break;
    }
    old.swap(labels);
  }
  prog.finish(str(r.n_iter, " iterations", r.converged ? ", converged" : ", not converged"));
}

// After mini-batches: centres that never received a point are re-seeded at the points farthest from their centre.
template <typename T>
void reseed_unused_centres(const T* x, int64_t n, int D, int K, CudaCtx* cuda, KMeansResult<T>& r) {
  std::vector<int64_t> counts(K);
  Assigner<T> assign(x, n, D, K, cuda);
  std::vector<int32_t> labels(n);
  std::vector<T> dd(n);
  assign(labels.data(), dd.data(), r.centroids.data());
  std::fill(counts.begin(), counts.end(), 0);
  for (int64_t i = 0; i < n; ++i) counts[labels[i]] += 1;
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return dd[a] > dd[b] || (dd[a] == dd[b] && a < b); });
  size_t next = 0;
  for (int k = 0; k < K; ++k)
    if (counts[k] == 0 && next < order.size()) {
      const int64_t src = order[next++];
      std::copy(x + src * D, x + src * D + D, r.centroids.begin() + static_cast<int64_t>(k) * D);
      ++r.n_reseeded;
    }
}

// MiniBatchKMeans from r.centroids: per-centre counts; each batch moves a centre to the running mean of its
// points; stops after max_no_improvement batches without a better smoothed batch inertia.
template <typename T> void minibatch(const T* x, int64_t n, int D, const KMeansParams& p, std::mt19937_64& rng,
                                     CudaCtx* cuda, KMeansResult<T>& r) {
  const int K = p.k;
  std::vector<double> sums(static_cast<size_t>(K) * D);
  std::vector<int64_t> counts(K);
  const int64_t bs = std::min<int64_t>(std::max(1, p.batch_size), n);
  const int64_t steps = std::max<int64_t>(1, p.max_iter * n / bs);
  std::vector<double> weight(K, 0.0);
  std::vector<int32_t> lab(bs);
  std::vector<T> d2(bs), batch;
  double ewa = -1, best = 1e300;
  int no_improve = 0;
  Progress prog("mini-batch k-means", steps, "batch", !p.verbose);
  for (int64_t s = 0; s < steps; ++s) {
    batch = gather_rows(x, D, sample_indices(n, bs, rng));
    Assigner<T> assign(batch.data(), bs, D, K, nullptr);
    assign(lab.data(), d2.data(), r.centroids.data());
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), 0);
    kmeans_accumulate(Cpu{}, sums.data(), counts.data(), batch.data(), lab.data(), bs, D, K);
    for (int k = 0; k < K; ++k) {
      if (counts[k] == 0) continue;
      const double w = weight[k] + static_cast<double>(counts[k]);
      for (int d = 0; d < D; ++d) {
        const int64_t i = static_cast<int64_t>(k) * D + d;
        r.centroids[i] = static_cast<T>((r.centroids[i] * weight[k] + sums[i]) / w);
      }
      weight[k] = w;
    }
    double bi = 0;
    for (int64_t i = 0; i < bs; ++i) bi += d2[i];
    bi /= static_cast<double>(bs);
    const double alpha = std::min(1.0, 2.0 * bs / (n + 1.0));
    ewa = ewa < 0 ? bi : ewa * (1 - alpha) + bi * alpha;
    r.n_iter = static_cast<int>(s + 1);
    prog.set(s + 1);
    if (ewa < best) {
      best = ewa;
      no_improve = 0;
    } else if (p.max_no_improvement > 0 && ++no_improve >= p.max_no_improvement) {
      r.converged = true;
      break;
    }
  }
  prog.finish(str(r.n_iter, " batches"));
  reseed_unused_centres(x, n, D, K, cuda, r);
}

}  // namespace

template <typename T>
KMeansResult<T> kmeans_fit(const T* x_all, int64_t N, int D, const KMeansParams& p, const T* init) {
  const int K = p.k;
  AGF_CHECK(D >= 1, UsageError, "k-means: data has ", D, " columns");
  AGF_CHECK(K >= 1 && K <= N, UsageError, "k-means: ", K, " clusters for ", N,
            " points; k must be between 1 and the number of points");
  check_finite(x_all, N, D);
  KMeansResult<T> r;
  CudaCtx* const cuda = assign_context<T>(p.compute);
  r.device = cuda ? "cuda" : "cpu";
  std::mt19937_64 rng(p.seed);

  // training subset (faiss-style cap)
  const T* x = x_all;
  int64_t n = N;
  std::vector<T> sub;
  if (p.max_points_per_centroid > 0 && N > static_cast<int64_t>(K) * p.max_points_per_centroid) {
    n = static_cast<int64_t>(K) * p.max_points_per_centroid;
    sub = gather_rows(x_all, D, sample_indices(N, n, rng));
    x = sub.data();
  }
  r.n_train = n;

  r.centroids = initial_centroids(x, n, D, p, init, rng);
  if (!p.minibatch)
    lloyd(x, n, D, p, cuda, r);
  else
    minibatch(x, n, D, p, rng, cuda, r);
  // final labels of every input point (sklearn reruns the E-step unless labels were unchanged)
  Assigner<T> assign(x_all, N, D, K, cuda);
  r.labels.resize(N);
  std::vector<T> d2(N);
  assign(r.labels.data(), d2.data(), r.centroids.data());
  r.inertia = kmeans_inertia(x_all, N, D, r.centroids.data(), r.labels.data());
  return r;
}

template KMeansResult<float> kmeans_fit<float>(const float*, int64_t, int, const KMeansParams&, const float*);
template KMeansResult<double> kmeans_fit<double>(const double*, int64_t, int, const KMeansParams&, const double*);
template std::vector<float> kmeans_plusplus<float>(const float*, int64_t, int, int, uint64_t);
template std::vector<double> kmeans_plusplus<double>(const double*, int64_t, int, int, uint64_t);
template std::vector<int32_t> kmeans_predict<float>(const float*, int64_t, int, const float*, int, double*,
                                                    const Compute*);
template std::vector<int32_t> kmeans_predict<double>(const double*, int64_t, int, const double*, int, double*,
                                                     const Compute*);
template double kmeans_inertia<float>(const float*, int64_t, int, const float*, const int32_t*);
template double kmeans_inertia<double>(const double*, int64_t, int, const double*, const int32_t*);

}  // namespace agf
