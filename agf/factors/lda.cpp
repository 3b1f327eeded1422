// LDA variational Bayes (see lda.h). E-step per document d with word ids w and counts n_w:
//   phi_norm_w = sum_k exp(E[log theta_dk]) exp(E[log beta_kw]),
//   gamma_dk   = alpha + exp(E[log theta_dk]) * sum_w n_w exp(E[log beta_kw]) / phi_norm_w,
// sufficient statistics s_kw += exp(E[log theta_dk]) n_w / phi_norm_w, then s *= exp(E[log beta]).
// M-step: batch lambda = eta + s; online lambda = (1 - rho) lambda + rho (eta + D/|B| s).
#include "agf/factors/lda.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <omp.h>
#include "util/error.h"
#include "util/progress.h"

namespace agf {

double digamma(double x) {
  double r = 0;
  while (x < 10) {
    r -= 1 / x;
    x += 1;
  }
  const double f = 1 / (x * x);
  return r + std::log(x) - 0.5 / x -
         f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();  // sklearn's EPS

struct Csr {  // non-zeros of X per document
  std::vector<int64_t> ptr;
  std::vector<int32_t> idx;
  std::vector<double> val;
};

Csr to_csr(const double* X, int64_t docs, int V) {
  Csr c;
  c.ptr.push_back(0);
  for (int64_t d = 0; d < docs; ++d) {
    for (int v = 0; v < V; ++v) {
      const double x = X[d * V + v];
      AGF_CHECK(std::isfinite(x) && x >= 0, NumericError, "LDA: X[", d, ", ", v, "] = ", x,
                " (the document-term matrix must be finite and non-negative)");
      if (x > 0) {
        c.idx.push_back(v);
        c.val.push_back(x);
      }
    }
    c.ptr.push_back(static_cast<int64_t>(c.idx.size()));
  }
  return c;
}

// out (rows, cols) = exp(psi(a) - psi(row sum of a))
void exp_dirichlet_expectation(double* out, const double* a, int64_t rows, int cols) {
#pragma omp parallel for schedule(static) if (rows * cols > 32768)
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (int c = 0; c < cols; ++c) s += a[r * cols + c];
    const double ps = digamma(s);
    for (int c = 0; c < cols; ++c) out[r * cols + c] = std::exp(digamma(a[r * cols + c]) - ps);
  }
}

// E-step over documents [d0, d1): gamma (docs, K) in/out (initial values in), stats (K, V) += if given.
void e_step(const Csr& x, int64_t d0, int64_t d1, int K, int V, double alpha, const double* exp_beta, double* gamma,
            double* stats, double tol, int max_inner) {
  const int nt = omp_get_max_threads();
  std::vector<std::vector<double>> part(stats ? nt : 0);
#pragma omp parallel
  {
    const int tid = omp_get_thread_num();
    double* s = nullptr;
    if (stats) {
      part[tid].assign(static_cast<size_t>(K) * V, 0.0);
      s = part[tid].data();
    }
    std::vector<double> et(K), last(K), acc(K), norm;
    std::vector<double> eb;  // (K, nnz) gathered columns of exp_beta
#pragma omp for schedule(dynamic, 4)
    for (int64_t d = d0; d < d1; ++d) {
      const int64_t b = x.ptr[d], e = x.ptr[d + 1];
      const int nnz = static_cast<int>(e - b);
      double* g = gamma + d * K;
      eb.resize(static_cast<size_t>(K) * nnz);
      norm.resize(nnz);
      for (int k = 0; k < K; ++k)
        for (int j = 0; j < nnz; ++j)
          eb[static_cast<size_t>(k) * nnz + j] = exp_beta[static_cast<int64_t>(k) * V + x.idx[b + j]];
      auto expect = [&]() {
        double sum = 0;
        for (int k = 0; k < K; ++k) sum += g[k];
        const double ps = digamma(sum);
        for (int k = 0; k < K; ++k) et[k] = std::exp(digamma(g[k]) - ps);
      };
      auto normaliser = [&]() {
        for (int j = 0; j < nnz; ++j) {
          double t = 0;
          for (int k = 0; k < K; ++k) t += et[k] * eb[static_cast<size_t>(k) * nnz + j];
          norm[j] = t + kEps;
        }
      };
      expect();
      for (int it = 0; it < max_inner; ++it) {
        std::copy(g, g + K, last.begin());
        normaliser();
        for (int k = 0; k < K; ++k) {
          double t = 0;
          for (int j = 0; j < nnz; ++j) t += x.val[b + j] / norm[j] * eb[static_cast<size_t>(k) * nnz + j];
          g[k] = alpha + et[k] * t;
        }
        expect();
        double change = 0;
        for (int k = 0; k < K; ++k) change += std::fabs(last[k] - g[k]);
        if (change / K < tol) break;
      }
      if (s) {
        normaliser();
        for (int k = 0; k < K; ++k)
          for (int j = 0; j < nnz; ++j) s[static_cast<int64_t>(k) * V + x.idx[b + j]] += et[k] * x.val[b + j] / norm[j];
      }
    }
  }
  if (stats)
    for (int t = 0; t < nt; ++t)
      for (int64_t i = 0; i < static_cast<int64_t>(K) * V; ++i) stats[i] += part[t][i];
}

// sum over entries of (prior - distr) * E[log distr] + lgamma(distr) - lgamma(prior), and per row
// lgamma(prior * size) - lgamma(row sum): sklearn's _loglikelihood.
double loglikelihood(double prior, const double* distr, int64_t rows, int cols) {
  double score = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const double* a = distr + r * cols;
    double sum = 0;
    for (int c = 0; c < cols; ++c) sum += a[c];
    const double ps = digamma(sum);
    for (int c = 0; c < cols; ++c)
      score += (prior - a[c]) * (digamma(a[c]) - ps) + std::lgamma(a[c]) - std::lgamma(prior);
    score += std::lgamma(prior * cols) - std::lgamma(sum);
  }
  return score;
}

void check_params(const LdaParams& p, int64_t docs, int V) {
  AGF_CHECK(p.topics >= 1, UsageError, "LDA: topics = ", p.topics);
  AGF_CHECK(docs >= 1 && V >= 1, UsageError, "LDA: empty document-term matrix (", docs, ", ", V, ")");
  AGF_CHECK(p.max_iter >= 1 && p.batch_size >= 1, UsageError, "LDA: max_iter ", p.max_iter, ", batch_size ",
            p.batch_size);
}

}  // namespace

double lda_approx_bound(const LdaModel& m, const double* X, int64_t docs, const double* gamma) {
  const int K = m.topics, V = m.vocab;
  const Csr x = to_csr(X, docs, V);
  std::vector<double> elog_beta(static_cast<size_t>(K) * V);
  exp_dirichlet_expectation(elog_beta.data(), m.components.data(), K, V);
  for (double& v : elog_beta) v = std::log(v);
  double score = 0;
#pragma omp parallel for reduction(+ : score) schedule(dynamic, 4)
  for (int64_t d = 0; d < docs; ++d) {
    const double* g = gamma + d * K;
    double sum = 0;
    for (int k = 0; k < K; ++k) sum += g[k];
    const double ps = digamma(sum);
    std::vector<double> elt(K), t(K);
    for (int k = 0; k < K; ++k) elt[k] = digamma(g[k]) - ps;
    for (int64_t j = x.ptr[d]; j < x.ptr[d + 1]; ++j) {
      double mx = -1e300;
      for (int k = 0; k < K; ++k) {
        t[k] = elt[k] + elog_beta[static_cast<int64_t>(k) * V + x.idx[j]];
        mx = std::max(mx, t[k]);
      }
      double s = 0;
      for (int k = 0; k < K; ++k) s += std::exp(t[k] - mx);
      score += x.val[j] * (mx + std::log(s));
    }
  }
  score += loglikelihood(m.doc_topic_prior, gamma, docs, K);
  score += loglikelihood(m.topic_word_prior, m.components.data(), K, V);
  return score;
}

std::vector<double> lda_transform(const LdaModel& m, const double* X, int64_t docs, bool normalize, double tol,
                                  int max_inner) {
  const int K = m.topics, V = m.vocab;
  const Csr x = to_csr(X, docs, V);
  std::vector<double> exp_beta(static_cast<size_t>(K) * V), gamma(static_cast<size_t>(docs) * K, 1.0);
  exp_dirichlet_expectation(exp_beta.data(), m.components.data(), K, V);
  e_step(x, 0, docs, K, V, m.doc_topic_prior, exp_beta.data(), gamma.data(), nullptr, tol, max_inner);
  if (normalize)
    for (int64_t d = 0; d < docs; ++d) {
      double s = 0;
      for (int k = 0; k < K; ++k) s += gamma[d * K + k];
      for (int k = 0; k < K; ++k) gamma[d * K + k] /= s;
    }
  return gamma;
}

double lda_perplexity(const LdaModel& m, const double* X, int64_t docs, double tol, int max_inner) {
  const auto gamma = lda_transform(m, X, docs, false, tol, max_inner);
  double words = 0;
  for (int64_t i = 0; i < docs * m.vocab; ++i) words += X[i];
  AGF_CHECK(words > 0, NumericError, "LDA perplexity: the matrix has no words");
  return std::exp(-lda_approx_bound(m, X, docs, gamma.data()) / words);
}

LdaModel lda_fit(const double* X, int64_t docs, int V, const LdaParams& p, const double* init) {
  check_params(p, docs, V);
  const int K = p.topics;
  LdaModel m;
  m.topics = K;
  m.vocab = V;
  m.doc_topic_prior = p.doc_topic_prior < 0 ? 1.0 / K : p.doc_topic_prior;
  m.topic_word_prior = p.topic_word_prior < 0 ? 1.0 / K : p.topic_word_prior;
  const Csr x = to_csr(X, docs, V);
  std::mt19937_64 rng(p.seed);
  std::gamma_distribution<double> g100(100.0, 0.01);
  if (init) {
    m.components.assign(init, init + static_cast<int64_t>(K) * V);
  } else {
    m.components.resize(static_cast<size_t>(K) * V);
    for (double& v : m.components) v = g100(rng);
  }
  std::vector<double> exp_beta(static_cast<size_t>(K) * V), stats(static_cast<size_t>(K) * V),
      gamma(static_cast<size_t>(docs) * K);
  Progress prog("LDA", p.max_iter, "iter", !p.verbose);
  int64_t batch_iter = 1;
  for (int it = 0; it < p.max_iter; ++it) {
    const int64_t bs = p.online ? p.batch_size : docs;
    for (int64_t d0 = 0; d0 < docs; d0 += bs) {
      const int64_t d1 = std::min(docs, d0 + bs);
      exp_dirichlet_expectation(exp_beta.data(), m.components.data(), K, V);
      for (int64_t i = d0 * K; i < d1 * K; ++i) gamma[i] = p.estep_random_init ? g100(rng) : 1.0;
      std::fill(stats.begin(), stats.end(), 0.0);
      e_step(x, d0, d1, K, V, m.doc_topic_prior, exp_beta.data(), gamma.data(), stats.data(), p.mean_change_tol,
             p.max_doc_update_iter);
      for (size_t i = 0; i < stats.size(); ++i) stats[i] *= exp_beta[i];
      if (!p.online) {
        for (size_t i = 0; i < stats.size(); ++i) m.components[i] = m.topic_word_prior + stats[i];
      } else {
        const double rho = std::pow(p.learning_offset + static_cast<double>(batch_iter), -p.learning_decay);
        const double ratio = static_cast<double>(docs) / static_cast<double>(d1 - d0);
        for (size_t i = 0; i < stats.size(); ++i)
          m.components[i] = (1 - rho) * m.components[i] + rho * (m.topic_word_prior + ratio * stats[i]);
        ++batch_iter;
      }
    }
    m.n_iter = it + 1;
    prog.set(it + 1);
  }
  m.train_perplexity = lda_perplexity(m, X, docs, p.mean_change_tol, p.max_doc_update_iter);
  prog.finish(str(m.n_iter, " iterations, perplexity ", m.train_perplexity));
  return m;
}

}  // namespace agf
