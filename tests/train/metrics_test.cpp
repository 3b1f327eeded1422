// Metrics against scikit-learn (fixture from tools/make_metric_fixtures.py: log_loss, macro f1_score,
// accuracy_score, confusion_matrix, DummyClassifier(strategy='prior')) and hand-computed values.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "agf/train/metrics.h"
#include "util/error.h"

namespace {

nlohmann::json load_fixture() {
  const std::string path = std::string(AGF_SOURCE_DIR) + "/tests/fixtures/metrics/metrics.json";
  std::ifstream f(path);
  if (!f) throw agf::IOError("cannot open " + path);
  return nlohmann::json::parse(f);
}

TEST(Metrics, MatchScikitLearnFixture) {
  const nlohmann::json doc = load_fixture();
  ASSERT_EQ(doc["cases"].size(), 3u);
  for (const auto& c : doc["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const int n = c["n"], k = c["k"];
    const auto y = c["y_true"].get<std::vector<int>>();
    const auto pd = c["probs"].get<std::vector<double>>();
    std::vector<float> pf(pd.begin(), pd.end());  // exact: the fixture holds float32 values
    for (size_t i = 0; i < pd.size(); ++i) ASSERT_EQ(static_cast<double>(pf[i]), pd[i]);
    EXPECT_NEAR(agf::log_loss(y, pf.data(), n, k), c["log_loss"].get<double>(), 1e-12);
    EXPECT_NEAR(agf::log_loss(y, pd.data(), n, k), c["log_loss"].get<double>(), 1e-12);

    const auto am = agf::argmax_rows(pf.data(), n, k);
    EXPECT_EQ(am, c["argmax"].get<std::vector<int>>());
    for (const char* key : {"argmax", "rand"}) {
      SCOPED_TRACE(key);
      const auto pred = key == std::string("argmax") ? am : c["y_rand"].get<std::vector<int>>();
      EXPECT_NEAR(agf::macro_f1(y, pred), c[std::string("f1_") + key].get<double>(), 1e-12);
      EXPECT_NEAR(agf::accuracy(y, pred), c[std::string("accuracy_") + key].get<double>(), 1e-12);
      EXPECT_EQ(agf::confusion_matrix(y, pred, k), c[std::string("confusion_") + key].get<std::vector<int64_t>>());
    }
    const agf::Metrics m = agf::evaluate_predictions(y, pf.data(), n, k);
    EXPECT_NEAR(m.log_loss, c["log_loss"].get<double>(), 1e-12);
    EXPECT_NEAR(m.macro_f1, c["f1_argmax"].get<double>(), 1e-12);
    EXPECT_EQ(m.confusion, c["confusion_argmax"].get<std::vector<int64_t>>());

    const auto b = agf::fit_majority_baseline(c["y_train"].get<std::vector<int>>(), k);
    EXPECT_EQ(b.majority, c["baseline_majority"].get<int>());
    const agf::Metrics bm = agf::evaluate_majority_baseline(b, y);
    EXPECT_NEAR(bm.log_loss, c["baseline_log_loss"].get<double>(), 1e-12);
    EXPECT_NEAR(bm.macro_f1, c["baseline_f1"].get<double>(), 1e-12);
    EXPECT_NEAR(bm.accuracy, c["baseline_accuracy"].get<double>(), 1e-12);
  }
}

TEST(Metrics, LogLossByHand) {
  // Rows: true-class probabilities 0.5, 0 (clipped to eps = 2^-52), 1 (clipped to 1 - eps).
  const std::vector<int> y = {0, 1, 2};
  const float p[] = {0.5f, 0.25f, 0.25f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f};
  const double eps = std::numeric_limits<double>::epsilon();
  const double want = (std::log(2.0) - std::log(eps) - std::log1p(-eps)) / 3.0;
  EXPECT_NEAR(agf::log_loss(y, p, 3, 3), want, 1e-12);
  EXPECT_NEAR(want, (0.6931471805599453 + 36.04365338911715) / 3.0, 1e-12);  // -ln(2^-52) = 52 ln 2
}

TEST(Metrics, F1ByHand) {
  // Labels present: 0, 1, 2 (2 only predicted). Class 0: TP 2, FP 1, FN 0 -> 4/5; class 1: TP 0, FP 0,
  // FN 2 -> 0; class 2: TP 0, FP 1, FN 0 -> 0. Macro = (0.8 + 0 + 0) / 3.
  const std::vector<int> t = {0, 0, 1, 1}, p = {0, 0, 0, 2};
  EXPECT_NEAR(agf::macro_f1(t, p), 0.8 / 3.0, 1e-15);
  EXPECT_DOUBLE_EQ(agf::accuracy(t, p), 0.5);
  const std::vector<int64_t> cm = {2, 0, 0, 1, 0, 1, 0, 0, 0};
  EXPECT_EQ(agf::confusion_matrix(t, p, 3), cm);
}

TEST(Metrics, Json) {
  const float p[] = {0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f};
  const agf::Metrics m = agf::evaluate_predictions({0, 1, 1}, p, 3, 2);
  const nlohmann::json j = agf::metrics_to_json(m, {"Rock", "Jazz"});
  EXPECT_EQ(j["confusion"], nlohmann::json::parse("[[1, 0], [1, 1]]"));
  EXPECT_EQ(j["classes"][1], "Jazz");
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 2.0 / 3.0);
  EXPECT_THROW(agf::metrics_to_json(m, {"Rock"}), agf::ShapeError);
}

TEST(Metrics, AveragePerTrack) {
  // Three windows of track 1, one of track 0 (interleaved), k = 2.
  const float w[] = {0.2f, 0.8f, 1.0f, 0.0f, 0.5f, 0.5f, 0.6f, 0.4f};
  const std::vector<int> track = {1, 0, 1, 1};
  float out[4];
  agf::average_per_track(out, w, track, 2, 2);
  EXPECT_FLOAT_EQ(out[0], 1.0f);
  EXPECT_FLOAT_EQ(out[1], 0.0f);
  EXPECT_NEAR(out[2], (0.2 + 0.5 + 0.6) / 3.0, 1e-7);
  EXPECT_NEAR(out[3], (0.8 + 0.5 + 0.4) / 3.0, 1e-7);
  EXPECT_THROW(agf::average_per_track(out, w, track, 3, 2), agf::UsageError);  // track 2 has no windows
}

TEST(Metrics, RejectsBadInput) {
  const std::vector<int> y = {0, 3};
  const float p[] = {0.5f, 0.5f, 0.5f, 0.5f};
  EXPECT_THROW(agf::log_loss(y, p, 2, 2), agf::UsageError);  // label 3 with k = 2
  const float bad[] = {1.5f, -0.5f, 0.5f, 0.5f};
  EXPECT_THROW(agf::log_loss({0, 1}, bad, 2, 2), agf::NumericError);
  EXPECT_THROW(agf::log_loss({0}, p, 2, 2), agf::ShapeError);
  const float overshoot[] = {1.0000001f, 0.0f};  // one float ulp above 1: clipped, not refused
  EXPECT_NEAR(agf::log_loss({0}, overshoot, 1, 2), -std::log1p(-std::numeric_limits<double>::epsilon()), 1e-18);
  EXPECT_THROW(agf::macro_f1({0, 1}, {0}), agf::ShapeError);
}

}  // namespace
