// Bags of words and quantile normalisation (see bags.h). Ranks as scikit-learn's QuantileTransformer:
// 0.5 * (interp forward + interp backward) gives the mean of the first and last rank of tied values.
#include "agf/factors/bags.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include "util/error.h"

namespace agf {

double norm_ppf(double p) {
  if (p <= 0) return -INFINITY;
  if (p >= 1) return INFINITY;
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double lo = 0.02425;
  double x;
  if (p < lo) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - lo) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // Halley refinement on Phi(x) - p, Phi(x) = erfc(-x / sqrt 2) / 2
  for (int i = 0; i < 2; ++i) {
    const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
    const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
    x = x - u / (1 + x * u / 2);
  }
  return x;
}

QuantileNormalized quantile_normalize(const std::vector<float>& x, int64_t N, int D,
                                      const std::vector<int64_t>& row_ids, const std::vector<std::string>& col_names) {
  AGF_CHECK(static_cast<int64_t>(x.size()) == N * D, ShapeError, "quantile_normalize: ", x.size(), " values for a (", N,
            ", ", D, ") matrix");
  AGF_CHECK(N >= 2, UsageError, "quantile_normalize: need at least 2 rows (tracks), got ", N);
  auto col_name = [&](int c) { return c < static_cast<int>(col_names.size()) ? col_names[c] : str("#", c); };
  auto row_name = [&](int64_t r) {
    return r < static_cast<int64_t>(row_ids.size()) ? str("track ", row_ids[r]) : str("row ", r);
  };
  for (int64_t r = 0; r < N; ++r)
    for (int c = 0; c < D; ++c)
      AGF_CHECK(std::isfinite(x[r * D + c]), NumericError, "descriptor '", col_name(c), "' of ", row_name(r), " is ",
                x[r * D + c], " (features must be finite)");
  QuantileNormalized out;
  for (int c = 0; c < D; ++c) {
    float mn = x[c], mx = x[c];
    for (int64_t r = 1; r < N; ++r) {
      mn = std::min(mn, x[r * D + c]);
      mx = std::max(mx, x[r * D + c]);
    }
    (mn == mx ? out.dropped : out.kept).push_back(c);
  }
  const int K = static_cast<int>(out.kept.size());
  out.x.assign(static_cast<size_t>(N) * K, 0.f);
  const double bound = 1e-7 - 2.220446049250313e-16;  // sklearn's BOUNDS_THRESHOLD - spacing(1)
  std::vector<double> col(N), sorted(N);
  for (int j = 0; j < K; ++j) {
    const int c = out.kept[j];
    for (int64_t r = 0; r < N; ++r) col[r] = x[r * D + c];
    sorted = col;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t r = 0; r < N; ++r) {
      const double v = col[r];
      double p;
      if (v - 1e-7 < sorted.front())
        p = 0;
      else if (v + 1e-7 > sorted.back())
        p = 1;
      else {
        const int64_t first = std::lower_bound(sorted.begin(), sorted.end(), v) - sorted.begin();
        const int64_t last = (std::upper_bound(sorted.begin(), sorted.end(), v) - sorted.begin()) - 1;
        p = 0.5 * static_cast<double>(first + last) / static_cast<double>(N - 1);
      }
      p = std::min(std::max(p, bound), 1 - bound);
      out.x[r * K + j] = static_cast<float>(norm_ppf(p));
    }
  }
  return out;
}

std::vector<double> group_bags(const int32_t* labels, const int32_t* group_of_item, int64_t N, int groups, int vocab,
                               const std::vector<int>& divisor) {
  AGF_CHECK(static_cast<int>(divisor.size()) == groups, ShapeError, "group_bags: ", divisor.size(), " divisors for ",
            groups, " groups");
  std::vector<double> bags(static_cast<size_t>(groups) * vocab, 0.0);
  for (int64_t i = 0; i < N; ++i) {
    AGF_CHECK(labels[i] >= 0 && labels[i] < vocab && group_of_item[i] >= 0 && group_of_item[i] < groups, ShapeError,
              "group_bags: item ", i, " has term ", labels[i], " / group ", group_of_item[i], " outside (", groups,
              ", ", vocab, ")");
    bags[static_cast<int64_t>(group_of_item[i]) * vocab + labels[i]] += 1;
  }
  for (int g = 0; g < groups; ++g) {
    AGF_CHECK(divisor[g] > 0, UsageError, "group_bags: group ", g, " has ", divisor[g], " tracks");
    for (int v = 0; v < vocab; ++v) bags[static_cast<int64_t>(g) * vocab + v] /= divisor[g];
  }
  return bags;
}

}  // namespace agf
