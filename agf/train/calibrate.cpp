// Temperature scaling and the expected calibration error (see calibrate.h).
#include "agf/train/calibrate.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "agf/train/metrics.h"
#include "agf/train/svg.h"
#include "util/error.h"

namespace agf {

void softmax_rows(float* out, const float* logits, int64_t n, int k, double temperature) {
  AGF_CHECK(std::isfinite(temperature) && temperature > 0, UsageError, "softmax_rows: temperature must be > 0, got ",
            temperature);
  std::vector<double> e(static_cast<size_t>(k));
  for (int64_t i = 0; i < n; ++i) {
    const float* z = logits + i * k;
    const double mx = *std::max_element(z, z + k);
    double sum = 0;
    for (int j = 0; j < k; ++j) sum += e[size_t(j)] = std::exp((double(z[j]) - mx) / temperature);
    for (int j = 0; j < k; ++j) out[i * k + j] = float(e[size_t(j)] / sum);
  }
}

double track_log_loss(const std::vector<float>& logits, const std::vector<int>& track_of_window,
                      const std::vector<int>& labels, int k, double temperature) {
  const int64_t nw = int64_t(track_of_window.size());
  AGF_CHECK(int64_t(logits.size()) == nw * k, ShapeError, "track_log_loss: ", logits.size(), " logits for ", nw,
            " windows of ", k, " classes");
  std::vector<float> wp(logits.size()), tp(labels.size() * size_t(k));
  softmax_rows(wp.data(), logits.data(), nw, k, temperature);
  average_per_track(tp.data(), wp.data(), track_of_window, int(labels.size()), k);
  return log_loss(labels, tp.data(), int(labels.size()), k);
}

TemperatureFit fit_temperature(const std::vector<float>& logits, const std::vector<int>& track_of_window,
                               const std::vector<int>& labels, int k) {
  AGF_CHECK(!labels.empty(), UsageError, "fit_temperature: no held-out tracks");
  auto f = [&](double u) { return track_log_loss(logits, track_of_window, labels, k, std::exp(u)); };
  const double lo = std::log(0.05), hi = std::log(20.0);
  const int n = 41;
  std::vector<double> u(n), v(n);
  int best = 0;
  for (int i = 0; i < n; ++i) {
    u[size_t(i)] = lo + (hi - lo) * i / (n - 1);
    v[size_t(i)] = f(u[size_t(i)]);
    if (v[size_t(i)] < v[size_t(best)]) best = i;
  }
  double a = u[size_t(std::max(0, best - 1))], b = u[size_t(std::min(n - 1, best + 1))];
  const double g = (std::sqrt(5.0) - 1) / 2;
  double c = b - g * (b - a), d = a + g * (b - a), fc = f(c), fd = f(d);
  for (int it = 0; it < 60; ++it) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  // The best of the bracket's interior points and the scan's best (an edge of the scan range stays there).
  double ub = fc <= fd ? c : d, fb = std::min(fc, fd);
  if (v[size_t(best)] < fb) {
    ub = u[size_t(best)];
    fb = v[size_t(best)];
  }
  TemperatureFit r;
  r.log_loss_raw = f(0.0);
  const double edge = 1e-3 * (hi - lo);
  if (ub <= lo + edge || ub >= hi - edge) {  // ran to an edge: no interior minimum, T is not identifiable
    r.identified = false;
    r.edge_temperature = std::exp(ub);
    r.temperature = 1;
    r.log_loss = r.log_loss_raw;
    return r;
  }
  r.temperature = std::exp(ub);
  r.log_loss = fb;
  return r;
}

Reliability reliability(const std::vector<int>& labels, const float* probs, int n, int k, int bins) {
  AGF_CHECK(n > 0 && k >= 2 && bins >= 1 && int(labels.size()) == n, ShapeError, "reliability: ", labels.size(),
            " labels for (", n, ", ", k, ") probabilities and ", bins, " bins");
  Reliability r;
  r.bins = bins;
  r.count.assign(size_t(bins), 0);
  std::vector<double> conf(size_t(bins), 0.0), hit(size_t(bins), 0.0);
  for (int i = 0; i < n; ++i) {
    const float* p = probs + size_t(i) * size_t(k);
    const int top = int(std::max_element(p, p + k) - p);
    const double c = p[top];
    const int b = std::min(bins - 1, std::max(0, int(std::ceil(c * bins)) - 1));
    ++r.count[size_t(b)];
    conf[size_t(b)] += c;
    hit[size_t(b)] += top == labels[size_t(i)] ? 1.0 : 0.0;
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  r.confidence.assign(size_t(bins), nan);
  r.accuracy.assign(size_t(bins), nan);
  for (int b = 0; b < bins; ++b) {
    const int64_t m = r.count[size_t(b)];
    if (!m) continue;
    r.confidence[size_t(b)] = conf[size_t(b)] / double(m);
    r.accuracy[size_t(b)] = hit[size_t(b)] / double(m);
    r.ece += double(m) / n * std::abs(r.accuracy[size_t(b)] - r.confidence[size_t(b)]);
  }
  return r;
}

nlohmann::json reliability_to_json(const Reliability& r) {
  auto arr = [](const std::vector<double>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (double x : v) a.push_back(std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr));
    return a;
  };
  return {{"bins", r.bins},
          {"ece", r.ece},
          {"count", r.count},
          {"confidence", arr(r.confidence)},
          {"accuracy", arr(r.accuracy)}};
}

std::string reliability_svg(const std::vector<std::pair<std::string, Reliability>>& curves, const std::string& title) {
  svg::LineChart c;
  c.title = title;
  c.x_label = "mean top-class probability in the bin";
  c.y_label = "accuracy in the bin";
  c.width = 420;
  c.height = 360;
  svg::Series diag{"perfectly calibrated", {0.0, 1.0}, {0.0, 1.0}, 9, true};
  c.series.push_back(diag);
  for (size_t i = 0; i < curves.size(); ++i) {
    const Reliability& r = curves[i].second;
    svg::Series s;
    s.name = curves[i].first + " (ECE " + std::to_string(std::round(r.ece * 10000) / 10000).substr(0, 6) + ")";
    s.colour = int(i);
    for (int b = 0; b < r.bins; ++b)
      if (r.count[size_t(b)]) {
        s.x.push_back(r.confidence[size_t(b)]);
        s.y.push_back(r.accuracy[size_t(b)]);
      }
    c.series.push_back(s);
  }
  return svg::line_chart(c);
}

}  // namespace agf
