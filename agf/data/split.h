// Train / validation / test splits of FMA tracks: the paper's stratified random 85/15 split by
// top genre, or FMA's own artist-filtered split read from the (set, split) column. Saved as JSON
// in the work folder so every later step uses the same one.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "agf/data/fma.h"

namespace agf {

enum class SplitKind { Random, Fma };
// "random" | "fma"; UsageError otherwise.
SplitKind parse_split_kind(const std::string& s);
std::string split_kind_name(SplitKind k);

struct Split {
  std::vector<int64_t> train, valid, test;  // track ids, each list sorted ascending
  std::string kind;                         // "random" or "fma"
  uint64_t seed = 0;
};

// Random: tracks without genre_top are excluded; round(15 % of the rest) go to valid, spread over
// the top genres in proportion to their sizes (largest remainder), chosen by a seeded shuffle
// within each genre; test is empty. 25,000 tracks -> 21,250 / 3,750 as the paper; `agf prepare` removes the
// 15 known-bad fma_medium tracks first, so it splits 24,985 -> 21,237 / 3,748.
// Fma: training / validation / test from each track's (set, split); tracks with an empty split
// are left out. The seed is only recorded.
Split make_split(const std::vector<const Track*>& tracks, SplitKind kind, uint64_t seed);
// Same, with another validation fraction for the random kind (0 < frac < 1).
Split make_random_split(const std::vector<const Track*>& tracks, double valid_fraction, uint64_t seed);

// JSON: {"kind": "random", "seed": 1, "train": [...], "valid": [...], "test": [...]}.
void save_split(const std::string& path, const Split&);
Split load_split(const std::string& path);  // IOError / FormatError with the path

}  // namespace agf
