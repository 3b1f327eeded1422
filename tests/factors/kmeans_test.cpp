// K-means tests: blobs recovered, inertia against a direct sum, determinism, bad input, the tiled
// CPU assignment against brute force, and scikit-learn's Lloyd from the same initial centroids
// (tests/fixtures/factors/kmeans.json, made by tools/make_factor_fixtures.py).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include "agf/factors/kmeans.h"
#include "util/error.h"
#include "kernels/kmeans.h"
#ifdef AGF_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace agf {
namespace {

nlohmann::json load_fixture(const std::string& name) {
  std::ifstream f(std::string(AGF_SOURCE_DIR) + "/tests/fixtures/factors/" + name);
  EXPECT_TRUE(f.good()) << name;
  return nlohmann::json::parse(f);
}

// k well-separated blobs in D dims: centres on a scaled simplex-ish grid, noise 0.1
std::vector<float> blobs(int k, int per, int D, std::vector<int>* truth, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.f, 0.1f);
  std::vector<float> x;
  for (int c = 0; c < k; ++c)
    for (int i = 0; i < per; ++i) {
      for (int d = 0; d < D; ++d)
        x.push_back(10.f * static_cast<float>((c >> (d % 4)) & 1) + 7.f * (d == c % D) + noise(rng));
      truth->push_back(c);
    }
  return x;
}

TEST(KMeans, AssignMatchesBruteForceOnOddSizes) {
  const int64_t N = 1031;
  const int D = 7, K = 600;  // two K tiles, five N tiles with a ragged end
  std::mt19937_64 rng(3);
  std::normal_distribution<double> g;
  std::vector<double> x(N * D), c(K * D), xs(N), cs(K), d2(N);
  for (auto& v : x) v = g(rng);
  for (auto& v : c) v = g(rng);
  row_sqnorm(Cpu{}, xs.data(), x.data(), N, D);
  row_sqnorm(Cpu{}, cs.data(), c.data(), K, D);
  std::vector<int32_t> lab(N);
  kmeans_assign(Cpu{}, lab.data(), d2.data(), x.data(), xs.data(), c.data(), cs.data(), N, D, K);
  for (int64_t n = 0; n < N; ++n) {
    double best = 1e300;
    int arg = -1;
    for (int k = 0; k < K; ++k) {
      double s = 0;
      for (int d = 0; d < D; ++d) s += (x[n * D + d] - c[k * D + d]) * (x[n * D + d] - c[k * D + d]);
      if (s < best) {
        best = s;
        arg = k;
      }
    }
    ASSERT_EQ(lab[n], arg) << "point " << n;
    ASSERT_NEAR(d2[n], best, 1e-9 * (1 + best));
  }
}

TEST(KMeans, RecoversSeparatedBlobsAndReportsDirectInertia) {
  std::vector<int> truth;
  const int k = 6, per = 200, D = 5;
  auto x = blobs(k, per, D, &truth, 1);
  KMeansParams p;
  p.k = k;
  p.seed = 42;
  auto r = kmeans_fit(x.data(), k * per, D, p);
  EXPECT_TRUE(r.converged);
  // each true blob maps to exactly one cluster and vice versa
  std::set<std::pair<int, int>> pairs;
  for (size_t i = 0; i < truth.size(); ++i) pairs.insert({truth[i], r.labels[i]});
  EXPECT_EQ(pairs.size(), static_cast<size_t>(k));
  // inertia: direct sum in double
  double direct = 0;
  for (size_t i = 0; i < truth.size(); ++i)
    for (int d = 0; d < D; ++d) {
      const double diff = double(x[i * D + d]) - r.centroids[r.labels[i] * D + d];
      direct += diff * diff;
    }
  EXPECT_NEAR(r.inertia, direct, 1e-9 * direct);
  // noise variance 0.01 per dim: inertia ~ N * D * 0.01
  EXPECT_NEAR(r.inertia / (k * per * D), 0.01, 0.002);
}

TEST(KMeans, SameSeedSameResultOtherSeedStillValid) {
  std::vector<int> truth;
  auto x = blobs(8, 100, 4, &truth, 2);
  KMeansParams p;
  p.k = 8;
  p.seed = 7;
  auto a = kmeans_fit(x.data(), 800, 4, p), b = kmeans_fit(x.data(), 800, 4, p);
  EXPECT_EQ(a.centroids, b.centroids);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.inertia, b.inertia);
  p.minibatch = true;
  p.batch_size = 64;
  auto m1 = kmeans_fit(x.data(), 800, 4, p), m2 = kmeans_fit(x.data(), 800, 4, p);
  EXPECT_EQ(m1.centroids, m2.centroids);
}

TEST(KMeans, MiniBatchAndCapApproachLloyd) {
  std::vector<int> truth;
  const int k = 5, per = 400, D = 3;
  auto x = blobs(k, per, D, &truth, 4);
  KMeansParams p;
  p.k = k;
  p.seed = 1;
  auto full = kmeans_fit(x.data(), k * per, D, p);
  p.max_points_per_centroid = 50;  // trains on 250 of 2000 points
  auto capped = kmeans_fit(x.data(), k * per, D, p);
  EXPECT_EQ(capped.n_train, 250);
  EXPECT_EQ(capped.labels.size(), static_cast<size_t>(k * per));
  EXPECT_LT(capped.inertia, 1.1 * full.inertia);
  p.max_points_per_centroid = 0;
  p.minibatch = true;
  p.batch_size = 100;
  auto mb = kmeans_fit(x.data(), k * per, D, p);
  EXPECT_LT(mb.inertia, 1.1 * full.inertia);
}

TEST(KMeans, BadInputIsAClearError) {
  std::vector<float> x = {0, 1, 2, 3, 4, 5};  // 3 points, 2 dims
  KMeansParams p;
  p.k = 4;
  try {
    kmeans_fit(x.data(), 3, 2, p);
    FAIL() << "k > n accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("4 clusters for 3 points"), std::string::npos) << e.what();
  }
  p.k = 2;
  x[3] = std::nanf("");
  try {
    kmeans_fit(x.data(), 3, 2, p);
    FAIL() << "NaN accepted";
  } catch (const NumericError& e) {
    EXPECT_NE(std::string(e.what()).find("row 1, column 1"), std::string::npos) << e.what();
  }
  // k-means takes a Compute: the device string is checked where every command's is (engine/compute.h).
  x[3] = 3;
  EXPECT_THROW(open_compute("tpu", true, "factors"), UsageError);
}

TEST(KMeans, FewerDistinctPointsThanClustersIsValid) {
  // 10 points, only 2 distinct values, 4 clusters: documented behaviour = coinciding centroids, zero inertia
  std::vector<double> x;
  for (int i = 0; i < 10; ++i) {
    x.push_back(i % 2);
    x.push_back(5.0);
  }  // second column constant
  KMeansParams p;
  p.k = 4;
  auto r = kmeans_fit(x.data(), 10, 2, p);
  EXPECT_NEAR(r.inertia, 0.0, 1e-12);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(r.centroids[r.labels[i] * 2], double(i % 2));
}

TEST(KMeans, MatchesScikitLearnLloydFromTheSameInit) {
  auto j = load_fixture("kmeans.json");
  const int n = j["n"], d = j["d"], k = j["k"];
  auto x = j["x"].get<std::vector<double>>();
  auto init = j["init"].get<std::vector<double>>();
  auto centers = j["centers"].get<std::vector<double>>();
  auto labels = j["labels"].get<std::vector<int>>();
  KMeansParams p;
  p.k = k;
  p.tol = j["tol"];
  auto r = kmeans_fit(x.data(), n, d, p, init.data());
  EXPECT_EQ(r.n_iter, j["n_iter"].get<int>());
  for (int i = 0; i < n; ++i) ASSERT_EQ(r.labels[i], labels[i]) << "point " << i;
  for (int i = 0; i < k * d; ++i) EXPECT_NEAR(r.centroids[i], centers[i], 1e-9) << "centre value " << i;
  EXPECT_NEAR(r.inertia, j["inertia"].get<double>(), 1e-9 * j["inertia"].get<double>());
}

// CPU / CUDA parity of the fused distance + argmin kernel on odd sizes (ragged tiles in N, K and D),
// and of a whole Lloyd run. FP32 on both sides: labels may differ only where two centroids are within
// rounding of each other, so the check is on distances (each label's distance must be the minimum).
TEST(KMeans, CudaMatchesCpu) {
#ifndef AGF_HAVE_CUDA
  GTEST_SKIP() << "built without CUDA (-DAGF_CUDA=ON)";
#else
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) GTEST_SKIP() << "no CUDA device";
  const int64_t N = 3001;
  const int D = 13, K = 200;
  std::mt19937_64 rng(9);
  std::normal_distribution<float> g;
  std::vector<float> x(N * D), c(K * D);
  for (auto& v : x) v = g(rng);
  for (auto& v : c) v = g(rng);
  double cpu_inertia = 0, gpu_inertia = 0;
  const Compute gpu = open_compute("cuda");
  auto lc = kmeans_predict(x.data(), N, D, c.data(), K, &cpu_inertia);
  auto lg = kmeans_predict(x.data(), N, D, c.data(), K, &gpu_inertia, &gpu);
  int differ = 0;
  for (int64_t n = 0; n < N; ++n) {
    if (lc[n] == lg[n]) continue;
    ++differ;
    double a = 0, b = 0;
    for (int d = 0; d < D; ++d) {
      a += (x[n * D + d] - c[lc[n] * D + d]) * (x[n * D + d] - c[lc[n] * D + d]);
      b += (x[n * D + d] - c[lg[n] * D + d]) * (x[n * D + d] - c[lg[n] * D + d]);
    }
    EXPECT_NEAR(a, b, 1e-4 * (1 + a)) << "point " << n;
  }
  EXPECT_LT(differ, 5);
  EXPECT_NEAR(gpu_inertia, cpu_inertia, 1e-6 * cpu_inertia);
  std::vector<int> truth;
  auto xb = blobs(6, 300, 5, &truth, 11);
  KMeansParams p;
  p.k = 6;
  p.seed = 3;
  auto rc = kmeans_fit(xb.data(), 1800, 5, p);
  p.compute = &gpu;
  auto rg = kmeans_fit(xb.data(), 1800, 5, p);
  EXPECT_EQ(rg.device, "cuda");
  EXPECT_EQ(rc.labels, rg.labels);
  EXPECT_NEAR(rg.inertia, rc.inertia, 1e-5 * rc.inertia);
#endif
}

}  // namespace
}  // namespace agf
