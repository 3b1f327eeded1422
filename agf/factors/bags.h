// Artist bags of words (issue 6 §5): quantile normalisation of song-level descriptors to a standard
// normal (scikit-learn's QuantileTransformer(output_distribution="normal") with one quantile per
// sample), and per-artist term counts divided by the artist's number of tracks.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace agf {

// Inverse standard normal CDF (Acklam's rational approximation plus one Halley step; |error| < 1e-14).
double norm_ppf(double p);

struct QuantileNormalized {
  std::vector<float> x;      // (N, kept.size()) row-major
  std::vector<int> kept;     // input columns kept, ascending
  std::vector<int> dropped;  // constant (or all-equal) columns, removed
};

// x (N, D). Each column: p = mean rank of the value among ties / (N - 1) (values within 1e-7 of the min
// or max map to 0 or 1), then norm_ppf, clipped to +-5.199 (sklearn's bounds 1e-7). Equal to sklearn's
// transform of its training data when n_quantiles >= N (sklearn subsamples 1,000 quantiles by default;
// with more rows this uses them all). NaN / Inf: NumericError naming the row id and column name
// (row_ids / col_names may be empty: indices are used). N < 2: UsageError.
QuantileNormalized quantile_normalize(const std::vector<float>& x, int64_t N, int D,
                                      const std::vector<int64_t>& row_ids = {},
                                      const std::vector<std::string>& col_names = {});

// bags (groups, vocab) = per group, count of labels of its items divided by items_per_group (its tracks).
// labels (N) in [0, vocab); group_of_item (N) in [0, groups); divisor (groups) > 0.
std::vector<double> group_bags(const int32_t* labels, const int32_t* group_of_item, int64_t N, int groups, int vocab,
                               const std::vector<int>& divisor);

}  // namespace agf
