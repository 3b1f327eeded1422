// Temperature scaling and the expected calibration error (agf/train/calibrate.h): the ECE of a
// hand-made example against a hand computation, and the fitted temperature at the minimum of the
// held-out per-track log loss.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "agf/train/calibrate.h"
#include "agf/train/metrics.h"

namespace agf {
namespace {

TEST(Calibrate, EceMatchesAHandComputation) {
  // Four tracks, two classes. Top-class probabilities 0.9 (right), 0.75 (wrong), 0.62 (right), 0.64 (wrong).
  // With 15 bins of width 1/15: 0.9 -> bin 13 (0.8667, 0.9333], 0.75 -> bin 11 (0.7333, 0.8], 0.62 and 0.64
  // -> bin 9 (0.6, 0.6667]. ECE = 1/4 |1 - 0.9| + 1/4 |0 - 0.75| + 2/4 |0.5 - 0.63| = 0.025 + 0.1875 + 0.065.
  const std::vector<float> p = {0.9f, 0.1f, 0.25f, 0.75f, 0.62f, 0.38f, 0.36f, 0.64f};
  const std::vector<int> y = {0, 0, 0, 0};
  const Reliability r = reliability(y, p.data(), 4, 2);
  ASSERT_EQ(r.bins, 15);
  EXPECT_EQ(r.count[13], 1);
  EXPECT_EQ(r.count[11], 1);
  EXPECT_EQ(r.count[9], 2);
  EXPECT_NEAR(r.confidence[9], 0.63, 1e-6);
  EXPECT_NEAR(r.accuracy[9], 0.5, 1e-12);
  EXPECT_TRUE(std::isnan(r.accuracy[0]));
  EXPECT_NEAR(r.ece, 0.025 + 0.1875 + 0.065, 1e-6);
  // A confidence on a bin edge belongs to the lower bin, (b/B, (b+1)/B]: 0.75 (exact in float) with 4 bins.
  const std::vector<float> edge = {0.75f, 0.25f};
  EXPECT_EQ(reliability({0}, edge.data(), 1, 2, 4).count[2], 1);
}

TEST(Calibrate, SoftmaxRowsAtATemperature) {
  const std::vector<float> z = {2.f, 0.f, -1.f};
  std::vector<float> p(3);
  softmax_rows(p.data(), z.data(), 1, 3, 2.0);
  const double e[3] = {std::exp(1.0), 1.0, std::exp(-0.5)};
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(p[size_t(k)], e[k] / (e[0] + e[1] + e[2]), 1e-7);
  EXPECT_THROW(softmax_rows(p.data(), z.data(), 1, 3, 0.0), std::exception);
}

// Over-confident logits: the true model is softmax(z / 3), the logits are z, several windows a track.
TEST(Calibrate, FittedTemperatureMinimisesHeldOutLogLoss) {
  const int tracks = 200, wpt = 4, K = 5;
  std::mt19937 gen(7);
  std::normal_distribution<float> nd(0.f, 4.f);
  std::vector<float> logits;
  std::vector<int> track_of, labels;
  for (int t = 0; t < tracks; ++t) {
    std::vector<float> base(K);
    for (float& b : base) b = nd(gen);
    std::vector<float> p(K);
    softmax_rows(p.data(), base.data(), 1, K, 3.0);
    std::discrete_distribution<int> dd(p.begin(), p.end());
    labels.push_back(dd(gen));
    for (int w = 0; w < wpt; ++w) {
      for (int k = 0; k < K; ++k) logits.push_back(base[size_t(k)] + 0.3f * nd(gen) / 4.f);
      track_of.push_back(t);
    }
  }
  const TemperatureFit f = fit_temperature(logits, track_of, labels, K);
  EXPECT_GT(f.temperature, 1.5);
  EXPECT_LT(f.log_loss, f.log_loss_raw);
  EXPECT_NEAR(f.log_loss, track_log_loss(logits, track_of, labels, K, f.temperature), 1e-12);
  EXPECT_NEAR(f.log_loss_raw, track_log_loss(logits, track_of, labels, K, 1.0), 1e-12);
  for (double s : {1.01, 1.0 / 1.01, 1.1, 1.0 / 1.1})
    EXPECT_GT(track_log_loss(logits, track_of, labels, K, f.temperature * s), f.log_loss) << "T x " << s;
  // Deterministic: the same inputs give the same T, bit for bit.
  EXPECT_EQ(fit_temperature(logits, track_of, labels, K).temperature, f.temperature);
}

// Every held-out track right: the held-out loss falls towards T -> 0 with no interior minimum, so T cannot be
// fitted from them; the fit says so and keeps T = 1 instead of running to the edge (T = 0.05 overfitted a
// small corpus's validation log loss from 0.41 to 1.55).
TEST(Calibrate, AllHeldOutRightIsNotIdentifiable) {
  const int K = 4;
  std::vector<float> logits;
  std::vector<int> track_of, labels;
  for (int t = 0; t < 12; ++t) {
    labels.push_back(t % K);
    for (int w = 0; w < 3; ++w) {
      for (int k = 0; k < K; ++k) logits.push_back(k == t % K ? 2.f + 0.1f * float(w) : -0.5f * float(k));
      track_of.push_back(t);
    }
  }
  const TemperatureFit f = fit_temperature(logits, track_of, labels, K);
  EXPECT_FALSE(f.identified);
  EXPECT_EQ(f.temperature, 1.0);
  EXPECT_NEAR(f.edge_temperature, 0.05, 1e-3);
  EXPECT_EQ(f.log_loss, f.log_loss_raw);
}

}  // namespace
}  // namespace agf
