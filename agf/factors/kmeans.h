// K-means dictionaries (issue 6 §4): k-means++ initialisation, Lloyd iterations to a tolerance as
// scikit-learn's KMeans(algorithm="lloyd"), an optional cap on training points per centroid (faiss's
// max_points_per_centroid), a mini-batch variant (MiniBatchKMeans' centre update), empty clusters re-seeded.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/compute.h"
#ifdef AGF_HAVE_CUDA
#include "kernels/cuda_buffer.h"
#endif

namespace agf {

struct KMeansParams {
  int k = 2048;
  int max_iter = 300;  // Lloyd iterations (mini-batch: epochs over the data), sklearn's default
  double tol = 1e-4;   // Lloyd stops when sum_k ||c_k' - c_k||^2 <= tol * mean column variance
                       // (sklearn's rule), or at once when no label changed
  uint64_t seed = 0;
  int64_t max_points_per_centroid = 0;  // > 0: train on a random k * cap subsample (faiss uses 256)
  int64_t init_size = 0;                // > 0: k-means++ runs on this many random points (0: all training points)
  bool minibatch = false;
  int batch_size = 1024;             // mini-batch only
  int max_no_improvement = 10;       // mini-batch: stop after this many batches without a better smoothed inertia
  const Compute* compute = nullptr;  // where the assignments run: null or a CPU Compute, the CPU; a CUDA Compute,
                                     // its context (float data only: double data stays on the CPU)
  bool verbose = false;              // progress lines on stderr
};

template <typename T> struct KMeansResult {
  std::vector<T> centroids;     // (k, D)
  std::vector<int32_t> labels;  // (N) nearest centroid of every input point (not only the subsample)
  double inertia = 0;           // sum of squared distances of all N points to their centroid
  int n_iter = 0;
  bool converged = false;
  int n_reseeded = 0;   // empty clusters re-seeded with far points, over all iterations
  int64_t n_train = 0;  // points used for training (after the cap)
  std::string device;   // where the assignments ran
};

// x (N, D) row-major. Throws UsageError when k < 1, k > N or D < 1; NumericError on a non-finite value.
// Documented behaviour: constant columns are harmless (they add the same amount to every distance);
// if fewer than k distinct points exist, some centroids coincide: ties go to the lowest index and the
// empty duplicates are re-seeded at distance-0 points, so the result is valid but has repeated centroids.
template <typename T>
KMeansResult<T> kmeans_fit(const T* x, int64_t N, int D, const KMeansParams& p, const T* init_centroids = nullptr);

// k-means++ (Arthur & Vassilvitskii 2007) with sklearn's greedy local trials (2 + ln k). Returns (k, D).
template <typename T> std::vector<T> kmeans_plusplus(const T* x, int64_t N, int D, int k, uint64_t seed);

// labels (N) of the nearest centroid; *inertia (if given) = sum of squared distances (computed directly).
template <typename T> std::vector<int32_t> kmeans_predict(const T* x, int64_t N, int D, const T* centroids, int k,
                                                          double* inertia = nullptr, const Compute* compute = nullptr);

// sum_n ||x_n - c_{labels_n}||^2 computed directly in double (no expansion).
template <typename T> double kmeans_inertia(const T* x, int64_t N, int D, const T* centroids, const int32_t* labels);

#ifdef AGF_HAVE_CUDA
// agf/factors/kmeans_cuda.cpp: x stays on the device across Lloyd iterations; the work runs on ctx's stream.
class KMeansDeviceAssigner {
 public:
  KMeansDeviceAssigner(CudaCtx& ctx, const float* x, int64_t N, int D, int K);  // x (N, D) host
  // labels, min_d2 (N) host outputs; centroids (K, D) host
  void assign(int32_t* labels, float* min_d2, const float* centroids);

 private:
  CudaCtx& ctx_;
  int64_t N_;
  int D_, K_;
  DeviceBuffer<float> x_, x_sq_, c_, c_sq_, d2_;  // (N, D), (N), (K, D), (K), (N)
  DeviceBuffer<int32_t> labels_;                  // (N)
};
#endif

}  // namespace agf
