// Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks") for the per-track
// genre probabilities: p = mean over a track's windows of softmax(logits / T), with one T > 0 fitted on
// held-out training tracks to minimise their mean log loss; and the expected calibration error (ECE)
// with its reliability bins: 15 equal-width bins over the top-class probability of each track.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace agf {

// out (n, k) = softmax(logits / T) per row, computed in double (max subtracted). logits: (n, k).
void softmax_rows(float* out, const float* logits, int64_t n, int k, double temperature);

// The evaluation pipeline at temperature T: per-window softmax(logits / T), the per-track mean
// (average_per_track), then log_loss against labels. logits: (windows, k); track_of_window: (windows).
double track_log_loss(const std::vector<float>& logits, const std::vector<int>& track_of_window,
                      const std::vector<int>& labels, int k, double temperature);

// The T minimising track_log_loss: a scan of log T over 41 points in [ln 0.05, ln 20], then golden-section
// search on log T between the best point's neighbours (60 iterations, ~1e-12 of the bracket). Deterministic.
// When the minimum lies on an edge of the range (the held-out loss keeps falling, as when every held-out track
// is right and sharpening looks free), T is not identifiable from those tracks: `identified` is false and the
// fit keeps T = 1 (the caller says so; a bigger --calibrate-fraction gives more held-out tracks).
struct TemperatureFit {
  double temperature = 1, log_loss_raw = 0, log_loss = 0;  // T, held-out log loss at T = 1 and at T
  bool identified = true;
  double edge_temperature = 0;  // the edge the search ran to, when not identified
};
TemperatureFit fit_temperature(const std::vector<float>& logits, const std::vector<int>& track_of_window,
                               const std::vector<int>& labels, int k);

// Reliability bins over the top-class probability c of each row: bin b holds c in (b/B, (b+1)/B] (bin 0
// also holds c = 0). accuracy: the fraction of the bin's rows whose argmax (first on ties) is the label.
struct Reliability {
  int bins = 15;
  std::vector<int64_t> count;      // (bins)
  std::vector<double> confidence;  // (bins) mean top-class probability; NaN for an empty bin
  std::vector<double> accuracy;    // (bins) NaN for an empty bin
  double ece = 0;                  // sum_b count_b / n * |accuracy_b - confidence_b|
};
Reliability reliability(const std::vector<int>& labels, const float* probs, int n, int k, int bins = 15);

// {"bins", "ece", "count": [...], "confidence": [...], "accuracy": [...]} (null for empty bins).
nlohmann::json reliability_to_json(const Reliability& r);
// The reliability diagram as an inline SVG: accuracy against mean confidence per non-empty bin for each
// named curve, and the diagonal (perfect calibration).
std::string reliability_svg(const std::vector<std::pair<std::string, Reliability>>& curves, const std::string& title);

}  // namespace agf
