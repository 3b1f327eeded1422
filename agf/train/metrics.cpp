// Classification metrics with scikit-learn's semantics (log_loss as of scikit-learn 1.9: clip to
// [eps, 1 - eps], no renormalisation; f1_score macro over present labels, zero_division = 0).
// Checked against fixtures written by tools/make_metric_fixtures.py.
#include "agf/train/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "util/error.h"

namespace agf {
namespace {

void check_labels(const std::vector<int>& y, int k, const char* op, const char* what) {
  for (size_t i = 0; i < y.size(); ++i)
    AGF_CHECK(y[i] >= 0 && y[i] < k, UsageError, op, ": ", what, "[", i, "] = ", y[i], " is outside [0, ", k, ")");
}

template <typename T> double log_loss_impl(const std::vector<int>& y_true, const T* probs, int n, int k) {
  AGF_CHECK(n > 0 && k >= 2, ShapeError, "log_loss: need n > 0 samples and k >= 2 classes, got (", n, ", ", k, ")");
  AGF_CHECK(static_cast<int>(y_true.size()) == n, ShapeError, "log_loss: y_true has ", y_true.size(),
            " labels but probs has ", n, " rows");
  check_labels(y_true, k, "log_loss", "y_true");
  const double eps = std::numeric_limits<double>::epsilon();
  for (int64_t i = 0; i < int64_t(n) * k; ++i) {
    const double p = probs[i];
    // scikit-learn raises on any value outside [0, 1]; a float softmax can overshoot 1 by an ulp, and the
    // clip below removes that, so only a slack of 1e-6 is tolerated here.
    AGF_CHECK(std::isfinite(p) && p >= -1e-6 && p <= 1.0 + 1e-6, NumericError, "log_loss: probs[", i / k, ", ", i % k,
              "] = ", p, " is not a probability in [0, 1]");
  }
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    double p = static_cast<double>(probs[int64_t(i) * k + y_true[i]]);
    p = std::min(std::max(p, eps), 1.0 - eps);
    sum += -std::log(p);
  }
  return sum / n;
}

}  // namespace

double log_loss(const std::vector<int>& y_true, const float* probs, int n, int k) {
  return log_loss_impl(y_true, probs, n, k);
}
double log_loss(const std::vector<int>& y_true, const double* probs, int n, int k) {
  return log_loss_impl(y_true, probs, n, k);
}

double accuracy(const std::vector<int>& y_true, const std::vector<int>& y_pred) {
  AGF_CHECK(!y_true.empty() && y_true.size() == y_pred.size(), ShapeError, "accuracy: y_true has ", y_true.size(),
            " labels and y_pred ", y_pred.size(), " (need equal, non-zero)");
  int64_t hit = 0;
  for (size_t i = 0; i < y_true.size(); ++i) hit += (y_true[i] == y_pred[i]);
  return static_cast<double>(hit) / static_cast<double>(y_true.size());
}

double macro_f1(const std::vector<int>& y_true, const std::vector<int>& y_pred) {
  AGF_CHECK(!y_true.empty() && y_true.size() == y_pred.size(), ShapeError, "macro_f1: y_true has ", y_true.size(),
            " labels and y_pred ", y_pred.size(), " (need equal, non-zero)");
  std::set<int> labels(y_true.begin(), y_true.end());
  labels.insert(y_pred.begin(), y_pred.end());
  double sum = 0.0;
  for (int c : labels) {
    int64_t tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < y_true.size(); ++i) {
      const bool t = y_true[i] == c, p = y_pred[i] == c;
      tp += (t && p);
      fp += (!t && p);
      fn += (t && !p);
    }
    const int64_t denom = 2 * tp + fp + fn;  // > 0: c occurs in y_true or y_pred
    sum += denom > 0 ? 2.0 * static_cast<double>(tp) / static_cast<double>(denom) : 0.0;
  }
  return sum / static_cast<double>(labels.size());
}

std::vector<int64_t> confusion_matrix(const std::vector<int>& y_true, const std::vector<int>& y_pred, int k) {
  AGF_CHECK(y_true.size() == y_pred.size(), ShapeError, "confusion_matrix: y_true has ", y_true.size(),
            " labels and y_pred ", y_pred.size());
  AGF_CHECK(k > 0, ShapeError, "confusion_matrix: k = ", k);
  check_labels(y_true, k, "confusion_matrix", "y_true");
  check_labels(y_pred, k, "confusion_matrix", "y_pred");
  std::vector<int64_t> m(size_t(k) * k, 0);
  for (size_t i = 0; i < y_true.size(); ++i) ++m[size_t(y_true[i]) * k + y_pred[i]];
  return m;
}

std::vector<int> argmax_rows(const float* probs, int n, int k) {
  AGF_CHECK(n >= 0 && k > 0, ShapeError, "argmax_rows: shape (", n, ", ", k, ")");
  std::vector<int> out(n);
  for (int i = 0; i < n; ++i) {
    const float* row = probs + int64_t(i) * k;
    out[i] = static_cast<int>(std::max_element(row, row + k) - row);  // first maximum, as numpy
  }
  return out;
}

void average_per_track(float* out, const float* window_probs, const std::vector<int>& track_of_window, int n_tracks,
                       int k) {
  AGF_CHECK(n_tracks > 0 && k > 0, ShapeError, "average_per_track: n_tracks = ", n_tracks, ", k = ", k);
  std::vector<double> acc(size_t(n_tracks) * k, 0.0);
  std::vector<int64_t> count(n_tracks, 0);
  for (size_t w = 0; w < track_of_window.size(); ++w) {
    const int t = track_of_window[w];
    AGF_CHECK(t >= 0 && t < n_tracks, UsageError, "average_per_track: window ", w, " names track ", t, " outside [0, ",
              n_tracks, ")");
    for (int c = 0; c < k; ++c) acc[size_t(t) * k + c] += window_probs[w * k + c];
    ++count[t];
  }
  for (int t = 0; t < n_tracks; ++t) {
    AGF_CHECK(count[t] > 0, UsageError, "average_per_track: track ", t, " has no windows");
    for (int c = 0; c < k; ++c)
      out[size_t(t) * k + c] = static_cast<float>(acc[size_t(t) * k + c] / static_cast<double>(count[t]));
  }
}

Metrics evaluate_predictions(const std::vector<int>& y_true, const float* probs, int n, int k) {
  Metrics m;
  m.n = n;
  m.k = k;
  m.log_loss = log_loss(y_true, probs, n, k);
  const std::vector<int> pred = argmax_rows(probs, n, k);
  m.macro_f1 = macro_f1(y_true, pred);
  m.accuracy = accuracy(y_true, pred);
  m.confusion = confusion_matrix(y_true, pred, k);
  return m;
}

nlohmann::json metrics_to_json(const Metrics& m, const std::vector<std::string>& class_names) {
  AGF_CHECK(class_names.empty() || static_cast<int>(class_names.size()) == m.k, ShapeError,
            "metrics_to_json: ", class_names.size(), " class names for k = ", m.k);
  nlohmann::json j = {
      {"n", m.n}, {"k", m.k}, {"log_loss", m.log_loss}, {"macro_f1", m.macro_f1}, {"accuracy", m.accuracy}};
  nlohmann::json rows = nlohmann::json::array();
  for (int t = 0; t < m.k && !m.confusion.empty(); ++t)
    rows.push_back(
        std::vector<int64_t>(m.confusion.begin() + size_t(t) * m.k, m.confusion.begin() + size_t(t + 1) * m.k));
  j["confusion"] = rows;
  if (!class_names.empty()) j["classes"] = class_names;
  return j;
}

MajorityBaseline fit_majority_baseline(const std::vector<int>& y_train, int k) {
  AGF_CHECK(!y_train.empty() && k >= 2, ShapeError, "majority baseline: ", y_train.size(), " training labels, k = ", k);
  check_labels(y_train, k, "majority baseline", "y_train");
  MajorityBaseline b;
  b.priors.assign(k, 0.0);
  for (int y : y_train) b.priors[y] += 1.0;
  b.majority = static_cast<int>(std::max_element(b.priors.begin(), b.priors.end()) - b.priors.begin());
  for (double& p : b.priors) p /= static_cast<double>(y_train.size());
  return b;
}

Metrics evaluate_majority_baseline(const MajorityBaseline& b, const std::vector<int>& y_true) {
  const int k = static_cast<int>(b.priors.size());
  const int n = static_cast<int>(y_true.size());
  AGF_CHECK(n > 0, ShapeError, "majority baseline: no validation labels");
  std::vector<double> probs(size_t(n) * k);
  for (int i = 0; i < n; ++i) std::copy(b.priors.begin(), b.priors.end(), probs.begin() + size_t(i) * k);
  const std::vector<int> pred(n, b.majority);
  Metrics m;
  m.n = n;
  m.k = k;
  m.log_loss = log_loss(y_true, probs.data(), n, k);
  m.macro_f1 = macro_f1(y_true, pred);
  m.accuracy = accuracy(y_true, pred);
  m.confusion = confusion_matrix(y_true, pred, k);
  return m;
}

}  // namespace agf
