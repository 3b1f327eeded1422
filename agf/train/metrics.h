// Classification metrics for the transfer evaluation (paper §4: mean log loss and macro F1), with the
// semantics of scikit-learn's log_loss, f1_score(average='macro'), accuracy_score and confusion_matrix,
// a majority-class baseline and the per-track averaging of window softmax rows.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace agf {

// Mean multiclass log loss, natural log, as sklearn.metrics.log_loss(y_true, P, labels=range(k)) with P
// given in float64 (values outside [0, 1] by more than 1e-6 throw NumericError): each probability is clipped to [eps, 1 - eps] with eps = 2^-52 (float64 machine
// epsilon, which current scikit-learn takes from the float64 dtype) and the loss of a row is -log of
// its clipped true-class entry. Rows are NOT renormalised after clipping (scikit-learn >= 1.5 stopped
// doing so; it only warns when rows do not sum to one). y_true: (n) in [0, k); probs: (n, k) row-major.
double log_loss(const std::vector<int>& y_true, const float* probs, int n, int k);
double log_loss(const std::vector<int>& y_true, const double* probs, int n, int k);

// Fraction of y_pred equal to y_true.
double accuracy(const std::vector<int>& y_true, const std::vector<int>& y_pred);

// sklearn f1_score(average='macro', zero_division=0): the unweighted mean over the labels present in
// y_true or y_pred of F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c).
double macro_f1(const std::vector<int>& y_true, const std::vector<int>& y_pred);

// Row-major (k, k) counts: element [t * k + p] counts samples of true class t predicted as p.
std::vector<int64_t> confusion_matrix(const std::vector<int>& y_true, const std::vector<int>& y_pred, int k);

// Index of the largest entry of each row (the first one on ties, as numpy.argmax). probs: (n, k).
std::vector<int> argmax_rows(const float* probs, int n, int k);

// The per-track prediction: out (n_tracks, k) = mean of the rows of window_probs (n_windows, k) whose
// track_of_window entry names that track. Every track needs at least one window.
void average_per_track(float* out, const float* window_probs, const std::vector<int>& track_of_window, int n_tracks,
                       int k);

struct Metrics {
  double log_loss = 0, macro_f1 = 0, accuracy = 0;
  int n = 0, k = 0;
  std::vector<int64_t> confusion;  // (k, k), rows = true class
};

// All metrics of one set of predictions. probs: (n, k) per-track probabilities.
Metrics evaluate_predictions(const std::vector<int>& y_true, const float* probs, int n, int k);

// {"n", "k", "log_loss", "macro_f1", "accuracy", "confusion": [[...] per true class], "classes": [...]}
// (classes only when names are given; their count must be k).
nlohmann::json metrics_to_json(const Metrics& m, const std::vector<std::string>& class_names = {});

// Majority-class baseline. It predicts the most frequent training class (smallest index on ties) for
// every sample, and for log loss it uses the training class frequencies as the probabilities of every
// sample: that is the best constant probability vector under log loss (its expected loss is the
// class entropy), whereas a one-hot prediction of the majority class would score about 34 (-log eps)
// on every other sample and say nothing useful. F1 and accuracy come from the majority predictions.
struct MajorityBaseline {
  int majority = 0;
  std::vector<double> priors;  // (k) training frequencies
};
MajorityBaseline fit_majority_baseline(const std::vector<int>& y_train, int k);
Metrics evaluate_majority_baseline(const MajorityBaseline& b, const std::vector<int>& y_true);

}  // namespace agf
