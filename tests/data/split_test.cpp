// Splits: stratified 85/15 proportions (exact totals, per-genre shares within one track),
// determinism and input-order independence, FMA's column split, JSON round trip.
#include <gtest/gtest.h>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>
#include "agf/data/fma.h"
#include "agf/data/split.h"
#include "util/error.h"
#include "tests/test_util.h"

using namespace agf;
namespace fs = std::filesystem;

namespace {

// Tracks with the given count per top genre (ids 1..N), plus `n_none` tracks without genre_top.
std::vector<Track> make_tracks(const std::vector<int>& counts, int n_none) {
  std::vector<Track> v;
  int64_t id = 1;
  for (size_t g = 0; g < counts.size(); ++g)
    for (int i = 0; i < counts[g]; ++i) {
      Track t;
      t.id = id++;
      t.genre_top = int(g);
      v.push_back(t);
    }
  for (int i = 0; i < n_none; ++i) {
    Track t;
    t.id = id++;
    t.genre_top = -1;
    v.push_back(t);
  }
  return v;
}

std::vector<const Track*> ptrs(const std::vector<Track>& v) {
  std::vector<const Track*> p;
  for (auto& t : v) p.push_back(&t);
  return p;
}

}  // namespace

TEST(Split, ParseKind) {
  EXPECT_EQ(parse_split_kind("random"), SplitKind::Random);
  EXPECT_EQ(parse_split_kind("fma"), SplitKind::Fma);
  EXPECT_THROW(parse_split_kind("85/15"), UsageError);
}

TEST(Split, StratifiedProportions) {
  auto tracks = make_tracks({100, 40, 7, 1, 0, 333}, 9);
  Split s = make_split(ptrs(tracks), SplitKind::Random, 3);
  const int64_t n = 481;
  EXPECT_EQ(int64_t(s.valid.size()), std::llround(0.15 * n));
  EXPECT_EQ(int64_t(s.train.size() + s.valid.size()), n);  // the 9 without a genre are left out
  EXPECT_TRUE(s.test.empty());
  EXPECT_EQ(s.kind, "random");
  std::set<int64_t> all(s.train.begin(), s.train.end());
  for (int64_t id : s.valid) EXPECT_TRUE(all.insert(id).second) << "id in both: " << id;
  EXPECT_EQ(all.size(), size_t(n));
  EXPECT_EQ(*all.rbegin(), n);  // ids above n have no genre
  std::vector<int> valid_per_genre(6, 0);
  for (int64_t id : s.valid) ++valid_per_genre[size_t(tracks[size_t(id - 1)].genre_top)];
  const std::vector<int> counts = {100, 40, 7, 1, 0, 333};
  for (size_t g = 0; g < counts.size(); ++g)
    EXPECT_LE(std::fabs(valid_per_genre[g] - 0.15 * counts[g]), 1.0) << "genre " << g;
  EXPECT_TRUE(std::is_sorted(s.train.begin(), s.train.end()));
}

TEST(Split, PaperCountsOnFmaMedium) {
  // fma_medium's top-genre counts (paper-notes.md): 25,000 tracks -> 21,250 / 3,750.
  std::vector<int> c(16, 0);
  c[size_t(top_genre_index("Rock"))] = 7103;
  c[size_t(top_genre_index("Electronic"))] = 6314;
  c[size_t(top_genre_index("Experimental"))] = 2251;
  c[size_t(top_genre_index("Hip-Hop"))] = 2201;
  c[size_t(top_genre_index("Folk"))] = 1519;
  c[size_t(top_genre_index("Instrumental"))] = 1350;
  c[size_t(top_genre_index("Pop"))] = 1186;
  c[size_t(top_genre_index("International"))] = 1018;
  c[size_t(top_genre_index("Classical"))] = 619;
  c[size_t(top_genre_index("Old-Time / Historic"))] = 510;
  c[size_t(top_genre_index("Jazz"))] = 384;
  c[size_t(top_genre_index("Country"))] = 178;
  c[size_t(top_genre_index("Soul-RnB"))] = 154;
  c[size_t(top_genre_index("Spoken"))] = 118;
  c[size_t(top_genre_index("Blues"))] = 74;
  c[size_t(top_genre_index("Easy Listening"))] = 21;
  auto tracks = make_tracks(c, 0);
  ASSERT_EQ(tracks.size(), 25000u);
  Split s = make_split(ptrs(tracks), SplitKind::Random, 0);
  EXPECT_EQ(s.train.size(), 21250u);
  EXPECT_EQ(s.valid.size(), 3750u);

  // What `agf prepare` splits: the 15 known-bad ids are removed first (prepare.cpp), so fma_medium gives
  // 24,985 tracks -> round(0.15 * 24,985) = 3,748 validation and 21,237 training tracks.
  const auto& bad = fma_medium_known_bad_ids();
  ASSERT_EQ(bad.size(), 15u);
  for (size_t k = 0, pos = tracks.size() - 1; k < bad.size(); ++k) {
    if (bad[k] <= int64_t(tracks.size())) continue;  // ids 1486 and 5574 are already among 1..25,000
    tracks[pos--].id = bad[k];
  }
  auto p = ptrs(tracks);
  const std::vector<int64_t> removed = remove_known_bad(p);
  EXPECT_EQ(removed.size(), 15u);
  ASSERT_EQ(p.size(), 24985u);
  Split m = make_split(p, SplitKind::Random, 0);
  EXPECT_EQ(m.train.size(), 21237u);
  EXPECT_EQ(m.valid.size(), 3748u);
}

TEST(Split, DeterministicAndOrderIndependent) {
  auto tracks = make_tracks({50, 30, 20}, 0);
  auto p = ptrs(tracks);
  Split a = make_split(p, SplitKind::Random, 7), b = make_split(p, SplitKind::Random, 7);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.valid, b.valid);
  std::reverse(p.begin(), p.end());
  Split c = make_split(p, SplitKind::Random, 7);
  EXPECT_EQ(a.valid, c.valid);
  Split d = make_split(p, SplitKind::Random, 8);
  EXPECT_NE(a.valid, d.valid);
  EXPECT_EQ(a.valid.size(), d.valid.size());
}

TEST(Split, FmaColumnFromTheFixture) {
  FmaMetadata m = load_fma_metadata(std::string(AGF_SOURCE_DIR) + "/tests/fixtures/fma");
  Split s = make_split(select_subset(m, "large"), SplitKind::Fma, 0);
  EXPECT_EQ(s.kind, "fma");
  EXPECT_EQ(s.train, (std::vector<int64_t>{2, 3, 1486}));
  EXPECT_EQ(s.valid, (std::vector<int64_t>{5, 10}));
  EXPECT_EQ(s.test, (std::vector<int64_t>{134, 2007}));
  // Artist-filtered: no artist id on both sides.
  std::set<int64_t> train_artists;
  for (int64_t id : s.train) train_artists.insert(m.find(id)->artist_id);
  for (int64_t id : s.valid) EXPECT_FALSE(train_artists.count(m.find(id)->artist_id));
}

TEST(Split, SaveLoadRoundTrip) {
  Split s;
  s.kind = "random";
  s.seed = 12345678901234ull;
  s.train = {1, 5, 9};
  s.valid = {2};
  s.test = {};
  const testing_util::TempDir tmp("split");
  fs::path p = tmp / "split.json";
  save_split(p.string(), s);
  Split r = load_split(p.string());
  EXPECT_EQ(r.kind, s.kind);
  EXPECT_EQ(r.seed, s.seed);
  EXPECT_EQ(r.train, s.train);
  EXPECT_EQ(r.valid, s.valid);
  EXPECT_EQ(r.test, s.test);
  std::ofstream(p) << "{\"kind\": \"random\", \"train\": [1]}";
  EXPECT_THROW(load_split(p.string()), FormatError);
  std::ofstream(p) << "{\"kind\": \"other\", \"seed\": 1, \"train\": [], \"valid\": [], \"test\": []}";
  EXPECT_THROW(load_split(p.string()), FormatError);
  fs::remove(p);
  EXPECT_THROW(load_split(p.string()), IOError);
}
