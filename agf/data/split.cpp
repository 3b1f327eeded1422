// Splits (see split.h). The random split allocates the validation count over genres by largest
// remainder, so the total is exactly round(frac * N) (as scikit-learn's stratified
// train_test_split) and every genre's share is within one track of frac * its size.
#include "agf/data/split.h"
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include "agf/data/synth_rng.h"
#include "util/error.h"
#include "util/fs.h"

namespace agf {

SplitKind parse_split_kind(const std::string& s) {
  if (s == "random") return SplitKind::Random;
  if (s == "fma") return SplitKind::Fma;
  throw UsageError(
      str("unknown split '", s, "' (random: stratified 85/15 by top genre; fma: the (set, split) column)"));
}

std::string split_kind_name(SplitKind k) { return k == SplitKind::Random ? "random" : "fma"; }

Split make_random_split(const std::vector<const Track*>& tracks, double frac, uint64_t seed) {
  AGF_CHECK(frac > 0 && frac < 1, UsageError, "split: validation fraction ", frac, " is not in (0, 1)");
  std::vector<std::vector<int64_t>> by_genre(kNumTopGenres);
  int64_t n = 0;
  for (const Track* t : tracks) {
    if (t->genre_top < 0) continue;
    by_genre[t->genre_top].push_back(t->id);
    ++n;
  }
  const int64_t n_valid = std::llround(frac * double(n));
  // Largest remainder: floor of each genre's quota, then one more to the largest fractions.
  std::vector<int64_t> take(kNumTopGenres);
  std::vector<std::pair<double, int>> rem;
  int64_t given = 0;
  for (int g = 0; g < kNumTopGenres; ++g) {
    double q = n ? double(n_valid) * double(by_genre[g].size()) / double(n) : 0.0;
    take[g] = int64_t(std::floor(q));
    given += take[g];
    rem.push_back({q - std::floor(q), g});
  }
  std::stable_sort(rem.begin(), rem.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (size_t i = 0; given < n_valid && i < rem.size(); ++i, ++given) ++take[rem[i].second];
  Split s;
  s.kind = "random";
  s.seed = seed;
  for (int g = 0; g < kNumTopGenres; ++g) {
    auto ids = by_genre[g];
    std::sort(ids.begin(), ids.end());  // the input order must not matter
    Rng rng = Rng::stream(seed, uint64_t(g));
    rng.shuffle(ids);
    s.valid.insert(s.valid.end(), ids.begin(), ids.begin() + take[g]);
    s.train.insert(s.train.end(), ids.begin() + take[g], ids.end());
  }
  std::sort(s.train.begin(), s.train.end());
  std::sort(s.valid.begin(), s.valid.end());
  return s;
}

Split make_split(const std::vector<const Track*>& tracks, SplitKind kind, uint64_t seed) {
  if (kind == SplitKind::Random) return make_random_split(tracks, 0.15, seed);
  Split s;
  s.kind = "fma";
  s.seed = seed;
  for (const Track* t : tracks) {
    if (t->split == "training")
      s.train.push_back(t->id);
    else if (t->split == "validation")
      s.valid.push_back(t->id);
    else if (t->split == "test")
      s.test.push_back(t->id);
  }
  for (auto* v : {&s.train, &s.valid, &s.test}) std::sort(v->begin(), v->end());
  return s;
}

void save_split(const std::string& path, const Split& s) {
  nlohmann::json j;
  j["kind"] = s.kind;
  j["seed"] = s.seed;
  j["train"] = s.train;
  j["valid"] = s.valid;
  j["test"] = s.test;
  write_file_atomic(path, j.dump() + "\n");
}

Split load_split(const std::string& path) {
  const std::string text = read_file_bytes(path);
  Split s;
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    s.kind = j.at("kind").get<std::string>();
    s.seed = j.at("seed").get<uint64_t>();
    s.train = j.at("train").get<std::vector<int64_t>>();
    s.valid = j.at("valid").get<std::vector<int64_t>>();
    s.test = j.at("test").get<std::vector<int64_t>>();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(str("split file '", path, "': ", e.what()));
  }
  AGF_CHECK(s.kind == "random" || s.kind == "fma", FormatError, "split file '", path, "': unknown kind '", s.kind, "'");
  return s;
}

}  // namespace agf
