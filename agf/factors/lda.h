// Latent Dirichlet Allocation by variational Bayes (Hoffman, Blei & Bach 2010), following
// scikit-learn's LatentDirichletAllocation: batch (default) or online M-step, priors 1/K by default,
// per-document E-step until the mean change of gamma < tol, perplexity = exp(-bound / word count).
#pragma once
#include <cstdint>
#include <vector>

namespace agf {

struct LdaParams {
  int topics = 40;
  double doc_topic_prior = -1;   // alpha; < 0 means 1 / topics
  double topic_word_prior = -1;  // eta; < 0 means 1 / topics
  int max_iter = 10;             // passes over the corpus (the authors' setting, sklearn's default)
  bool online = false;           // online VB: mini-batches of batch_size, rho = (offset + t)^-decay
  int batch_size = 128;
  double learning_offset = 10.0;
  double learning_decay = 0.7;
  double mean_change_tol = 1e-3;  // E-step stopping rule per document
  int max_doc_update_iter = 100;
  uint64_t seed = 0;              // components ~ Gamma(100, 1/100)
  bool estep_random_init = true;  // fit's E-step starts gamma from Gamma(100, 1/100) draws (sklearn); false: ones
  bool verbose = false;
};

struct LdaModel {
  int topics = 0, vocab = 0;
  double doc_topic_prior = 0, topic_word_prior = 0;
  std::vector<double> components;  // (topics, vocab): variational parameters lambda (sklearn's components_)
  int n_iter = 0;
  double train_perplexity = 0;  // perplexity of the training matrix after fitting (sklearn's bound_ -> perplexity)
};

// X (docs, vocab) non-negative (counts or averaged counts). init_components (topics, vocab) replaces the
// Gamma draw (to match another implementation's start). Throws UsageError / NumericError on bad input.
LdaModel lda_fit(const double* X, int64_t docs, int vocab, const LdaParams& p, const double* init_components = nullptr);

// Unnormalised gamma (docs, topics) from an E-step started at ones (sklearn's _unnormalized_transform),
// or, with normalize, each row divided by its sum (sklearn's transform).
std::vector<double> lda_transform(const LdaModel& m, const double* X, int64_t docs, bool normalize = true,
                                  double mean_change_tol = 1e-3, int max_doc_update_iter = 100);

// sklearn's perplexity(X): gamma from lda_transform (unnormalised), then exp(-approx_bound / sum X).
double lda_perplexity(const LdaModel& m, const double* X, int64_t docs, double mean_change_tol = 1e-3,
                      int max_doc_update_iter = 100);
// The bound itself for a given unnormalised gamma (docs, topics).
double lda_approx_bound(const LdaModel& m, const double* X, int64_t docs, const double* gamma);

double digamma(double x);  // psi(x), x > 0, absolute error < 1e-12

}  // namespace agf
