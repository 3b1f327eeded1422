// K-means (Lloyd, one assignment pass) and LDA (batch VB) on the data and initialisation written by
// bench/peers/sklearn_kmeans_lda.py, so the figures compare with scikit-learn's on the same CPU.
//   AGF_FACTORS_BENCH_DIR=build/bench-factors OMP_NUM_THREADS=2 build/<dir>/bench_factors
// Results beside scikit-learn's: bench/results/cpu_factors.md.
// Counters: inertia / perplexity (must match the peer's), GFLOP/s of the distance GEMM (2 N K D per pass).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <omp.h>
#include <string>
#include <vector>
#include "agf/factors/kmeans.h"
#include "agf/factors/lda.h"
#include "kernels/kmeans.h"

namespace {

struct BenchData {
  bool ok = false;
  int64_t n = 0;
  int d = 0, k = 0, artists = 0, vocab = 0, topics = 0;
  std::vector<float> x, init;
  std::vector<double> bags, lda_init;
};

template <typename T> bool read_raw(const std::string& path, size_t count, std::vector<T>* out) {
  std::ifstream f(path, std::ios::binary);
  out->resize(count);
  return f.read(reinterpret_cast<char*>(out->data()), static_cast<std::streamsize>(count * sizeof(T))).good();
}

const BenchData& data() {
  static BenchData b = [] {
    BenchData r;
    const char* dir = std::getenv("AGF_FACTORS_BENCH_DIR");
    if (!dir) return r;
    std::ifstream s(std::string(dir) + "/shapes.json");
    if (!s) return r;
    auto j = nlohmann::json::parse(s);
    r.n = j["n"];
    r.d = j["d"];
    r.k = j["k"];
    r.artists = j["artists"];
    r.vocab = j["vocab"];
    r.topics = j["topics"];
    r.ok = read_raw(std::string(dir) + "/kmeans_x.f32", r.n * r.d, &r.x) &&
           read_raw(std::string(dir) + "/kmeans_init.f32", static_cast<size_t>(r.k) * r.d, &r.init) &&
           read_raw(std::string(dir) + "/lda_bags.f64", static_cast<size_t>(r.artists) * r.vocab, &r.bags) &&
           read_raw(std::string(dir) + "/lda_init.f64", static_cast<size_t>(r.topics) * r.vocab, &r.lda_init);
    return r;
  }();
  return b;
}

void BM_KMeansAssign(benchmark::State& st) {
  const BenchData& b = data();
  if (!b.ok) {
    st.SkipWithError("set AGF_FACTORS_BENCH_DIR (bench/peers/sklearn_kmeans_lda.py writes it)");
    return;
  }
  std::vector<float> xs(b.n), cs(b.k), d2(b.n);
  std::vector<int32_t> lab(b.n);
  agf::row_sqnorm(agf::Cpu{}, xs.data(), b.x.data(), b.n, b.d);
  agf::row_sqnorm(agf::Cpu{}, cs.data(), b.init.data(), b.k, b.d);
  for (auto _ : st) {
    agf::kmeans_assign(agf::Cpu{}, lab.data(), d2.data(), b.x.data(), xs.data(), b.init.data(), cs.data(), b.n, b.d,
                       b.k);
    benchmark::DoNotOptimize(lab.data());
  }
  st.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * b.n * b.k * b.d * st.iterations() * 1e-9, benchmark::Counter::kIsRate);
  st.counters["threads"] = omp_get_max_threads();
}

void BM_KMeansLloyd(benchmark::State& st) {
  const BenchData& b = data();
  if (!b.ok) {
    st.SkipWithError("set AGF_FACTORS_BENCH_DIR");
    return;
  }
  agf::KMeansParams p;
  p.k = b.k;
  p.tol = 0;  // fixed iterations, as the peer (sklearn tol=0)
  p.max_iter = static_cast<int>(st.range(0));
  p.compute = nullptr;  // the CPU
  double inertia = 0;
  int iters = 0;
  for (auto _ : st) {
    auto r = agf::kmeans_fit(b.x.data(), b.n, b.d, p, b.init.data());
    inertia = r.inertia;
    iters = r.n_iter;
  }
  st.counters["inertia"] = inertia;
  st.counters["iters"] = iters;
  st.counters["threads"] = omp_get_max_threads();
}

void BM_LdaBatch(benchmark::State& st) {
  const BenchData& b = data();
  if (!b.ok) {
    st.SkipWithError("set AGF_FACTORS_BENCH_DIR");
    return;
  }
  const int threads = static_cast<int>(st.range(0));
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  agf::LdaParams p;
  p.topics = b.topics;
  p.max_iter = 10;
  p.estep_random_init = false;  // as the peer (E-step from ones)
  double perplexity = 0;
  for (auto _ : st) {
    auto m = agf::lda_fit(b.bags.data(), b.artists, b.vocab, p, b.lda_init.data());
    perplexity = m.train_perplexity;
  }
  omp_set_num_threads(saved);
  st.counters["perplexity"] = perplexity;
  st.counters["threads"] = threads;
}

BENCHMARK(BM_KMeansAssign)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_KMeansLloyd)->Arg(10)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_LdaBatch)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
