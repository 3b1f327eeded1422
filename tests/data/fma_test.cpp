// FMA metadata: the hand-made fixture (tests/fixtures/fma, FMA's exact tracks.csv format with
// multi-line, quoted artist bios), columns found by (group, name), subsets, audio paths, bad input.
#include <gtest/gtest.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <unistd.h>
#include "agf/data/csv.h"
#include "agf/data/fma.h"
#include "util/error.h"
#include "util/fs.h"
#include "tests/test_util.h"

using namespace agf;
namespace fs = std::filesystem;

namespace {

const std::string kFixture = std::string(AGF_SOURCE_DIR) + "/tests/fixtures/fma";

// A scratch metadata folder holding the fixture's files, optionally edited.
struct Scratch {
  testing_util::TempDir tmp;
  fs::path dir;
  explicit Scratch(const std::string& name) : tmp("fma_test_" + name), dir(tmp.path()) {
    fs::copy_file(kFixture + "/tracks.csv", dir / "tracks.csv");
    fs::copy_file(kFixture + "/genres.csv", dir / "genres.csv");
  }
  void edit(const std::string& file, const std::function<void(std::string&)>& f) {
    std::string t = read_file_bytes((dir / file).string());
    f(t);
    testing_util::write_file((dir / file).string(), t);
  }
  // Error message of loading, "" if it loads.
  std::string load_error() {
    try {
      load_fma_metadata(dir.string());
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
};

void replace_once(std::string& s, const std::string& from, const std::string& to) {
  size_t p = s.find(from);
  ASSERT_NE(p, std::string::npos) << from;
  s.replace(p, from.size(), to);
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(FmaNames, SixteenTopGenresAlphabetical) {
  const auto& n = top_genre_names();
  ASSERT_EQ(int(n.size()), kNumTopGenres);
  EXPECT_TRUE(std::is_sorted(n.begin(), n.end()));
  EXPECT_EQ(n[7], "Hip-Hop");
  EXPECT_EQ(n[11], "Old-Time / Historic");
  EXPECT_EQ(top_genre_index("Spoken"), 15);
  EXPECT_EQ(top_genre_index("spoken"), -1);
  EXPECT_EQ(fma_track_columns().size(), 52u);
}

TEST(FmaMetadata, ReadsTheFixture) {
  FmaMetadata m = load_fma_metadata(kFixture);
  ASSERT_EQ(m.tracks.size(), 7u);
  ASSERT_EQ(m.genres.size(), 12u);
  const Track* t2 = m.find(2);
  ASSERT_TRUE(t2);
  EXPECT_EQ(t2->genre_top, top_genre_index("Hip-Hop"));
  EXPECT_EQ(t2->genres, std::vector<int>{21});
  EXPECT_EQ(t2->artist_id, 1);
  EXPECT_EQ(t2->album_id, 1);
  EXPECT_EQ(t2->artist_name, "AWOL");
  EXPECT_EQ(t2->split, "training");
  EXPECT_EQ(t2->subset, "small");
  EXPECT_EQ(t2->line, 4);
  const Track* t5 = m.find(5);
  ASSERT_TRUE(t5);
  EXPECT_EQ(t5->genre_top, -1);  // two roots: no genre_top
  EXPECT_EQ(t5->genres, (std::vector<int>{76, 103}));
  EXPECT_EQ(t5->genres_all, (std::vector<int>{17, 10, 76, 103}));
  EXPECT_EQ(t5->artist_name, "Kurt Vile, \"the\" Violators");
  EXPECT_EQ(t5->line, 8);
  EXPECT_EQ(m.find(10)->line, 13);  // after a bio with four line breaks (LF and CRLF)
  EXPECT_EQ(m.find(2007)->line, 20);
  EXPECT_EQ(m.find(2007)->genres_all, (std::vector<int>{15, 42}));
  EXPECT_EQ(m.find(999), nullptr);
  const Genre* g = m.find_genre(101);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->parent, 31);
  EXPECT_EQ(g->top_level, 12);
  EXPECT_EQ(g->title, "Death-Metal");
}

TEST(FmaMetadata, TrackWithoutArtistIsKeptWithAWarning) {
  FmaMetadata m = load_fma_metadata(kFixture);
  const Track* t = m.find(134);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->artist_id, -1);
  EXPECT_EQ(t->album_id, -1);
  ASSERT_EQ(m.warnings.size(), 2u);
  EXPECT_TRUE(contains(m.warnings[0], "tracks.csv:18: track 134")) << m.warnings[0];
  EXPECT_TRUE(contains(m.warnings[0], "no (artist, id)")) << m.warnings[0];
}

TEST(FmaMetadata, ColumnsAreFoundByGroupAndNameNotPosition) {
  // Reverse the 52 columns (keeping the index first): every value must read the same.
  Scratch s("permuted");
  auto recs = read_csv_file((s.dir / "tracks.csv").string());
  std::string text;
  for (auto& r : recs) {
    std::reverse(r.fields.begin() + 1, r.fields.end());
    text += csv_row(r.fields);
  }
  testing_util::write_file((s.dir / "tracks.csv").string(), text);
  FmaMetadata a = load_fma_metadata(kFixture), b = load_fma_metadata(s.dir.string());
  ASSERT_EQ(a.tracks.size(), b.tracks.size());
  for (size_t i = 0; i < a.tracks.size(); ++i) {
    const Track &x = a.tracks[i], &y = b.tracks[i];
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.genre_top, y.genre_top);
    EXPECT_EQ(x.genres, y.genres);
    EXPECT_EQ(x.genres_all, y.genres_all);
    EXPECT_EQ(x.artist_id, y.artist_id);
    EXPECT_EQ(x.album_id, y.album_id);
    EXPECT_EQ(x.artist_name, y.artist_name);
    EXPECT_EQ(x.split, y.split);
    EXPECT_EQ(x.subset, y.subset);
  }
}

TEST(FmaMetadata, SubsetsAreCumulative) {
  FmaMetadata m = load_fma_metadata(kFixture);
  auto ids = [&](const std::string& s) {
    std::vector<int64_t> v;
    for (auto* t : select_subset(m, s)) v.push_back(t->id);
    return v;
  };
  EXPECT_EQ(ids("small"), (std::vector<int64_t>{2, 10}));
  EXPECT_EQ(ids("medium"), (std::vector<int64_t>{2, 3, 10, 134, 1486}));
  EXPECT_EQ(ids("large"), (std::vector<int64_t>{2, 3, 5, 10, 134, 1486, 2007}));
  EXPECT_EQ(ids("all").size(), 7u);
  EXPECT_THROW(select_subset(m, "huge"), UsageError);
  auto med = select_subset(m, "medium");
  EXPECT_EQ(remove_known_bad(med), std::vector<int64_t>{1486});
  EXPECT_EQ(med.size(), 4u);
  const auto& bad = fma_medium_known_bad_ids();
  EXPECT_EQ(bad.size(), 15u);
  EXPECT_TRUE(std::is_sorted(bad.begin(), bad.end()));
}

TEST(FmaAudio, PathScheme) {
  EXPECT_EQ(fma_audio_relpath(2), "000/000002.mp3");
  EXPECT_EQ(fma_audio_relpath(155066), "155/155066.mp3");
  EXPECT_EQ(fma_audio_relpath(1486, "flac"), "001/001486.flac");
  EXPECT_THROW(fma_audio_relpath(1000000), UsageError);
  const testing_util::TempDir tmp("fma_audio");
  const fs::path dir = tmp.path();
  fs::create_directories(dir / "001");
  testing_util::write_file((dir / "001/001486.flac").string(), "x");
  testing_util::write_file((dir / "001/001487.mp3").string(), "x");
  testing_util::write_file((dir / "001/001487.wav").string(), "x");
  EXPECT_EQ(find_audio_path(dir.string(), 1486), (dir / "001/001486.flac").string());
  EXPECT_EQ(find_audio_path(dir.string(), 1487), (dir / "001/001487.mp3").string());  // mp3 first
  EXPECT_EQ(find_audio_path(dir.string(), 1488), "");
  EXPECT_EQ(find_audio_path((dir / "nowhere").string(), 2), "");
}

TEST(FmaBadInput, WrongColumnCount) {
  Scratch s("width");
  s.edit("tracks.csv", [](std::string& t) { replace_once(t, "\n134,", "\n134,,"); });
  std::string e = s.load_error();
  EXPECT_TRUE(contains(e, "tracks.csv:18: expected 53 columns, found 54")) << e;
}

TEST(FmaBadInput, UnterminatedQuote) {
  Scratch s("quote");
  // The last record (lines 20-21) opens a quote on its second line and never closes it.
  s.edit("tracks.csv", [](std::string& t) { replace_once(t, "[],One", "[],\"One"); });
  std::string e = s.load_error();
  EXPECT_TRUE(contains(e, "tracks.csv:21: unterminated quoted field")) << e;
  EXPECT_TRUE(contains(e, "record starts on line 20")) << e;
}

TEST(FmaBadInput, UnknownGenreId) {
  Scratch s("genre");
  s.edit("tracks.csv", [](std::string& t) { replace_once(t, "[42],\"[15, 42]\"", "[42],\"[15, 999]\""); });
  std::string e = s.load_error();
  EXPECT_TRUE(contains(e, "tracks.csv:20: track 2007: unknown genre id 999 in (track, genres_all)")) << e;
}

TEST(FmaBadInput, UnknownTopGenreAndBadLists) {
  Scratch s("top");
  s.edit("tracks.csv", [](std::string& t) { replace_once(t, ",Pop,[10],", ",Polka,[10],"); });
  std::string e = s.load_error();
  EXPECT_TRUE(contains(e, "tracks.csv:13: track 10: (track, genre_top) 'Polka'")) << e;
  Scratch s3("list2");
  s3.edit("tracks.csv", [](std::string& t) { replace_once(t, ",Pop,[10],", ",Pop,[1O],"); });
  EXPECT_TRUE(contains(s3.load_error(), "tracks.csv:13: track 10 (track, genres): bad list literal"))
      << s3.load_error();
}

TEST(FmaBadInput, MissingColumnDuplicateIdBadSubset) {
  Scratch s("col");
  s.edit("tracks.csv", [](std::string& t) { replace_once(t, ",genre_top,", ",genre_tops,"); });
  EXPECT_TRUE(contains(s.load_error(), "missing column (track, genre_top)")) << s.load_error();
  Scratch s2("dup");
  s2.edit("tracks.csv", [](std::string& t) { replace_once(t, "\n2007,", "\n2,"); });
  EXPECT_TRUE(contains(s2.load_error(), "tracks.csv:20: duplicate track_id 2 (first on line 4)")) << s2.load_error();
  Scratch s3("subset");
  s3.edit("tracks.csv", [](std::string& t) { replace_once(t, ",test,large,", ",test,huge,"); });
  EXPECT_TRUE(contains(s3.load_error(), "(set, subset) 'huge'")) << s3.load_error();
  Scratch s4("header");
  s4.edit("tracks.csv", [](std::string& t) { replace_once(t, "track_id,", "id,"); });
  EXPECT_TRUE(contains(s4.load_error(), "track_id")) << s4.load_error();
}

TEST(FmaBadInput, GenresFile) {
  Scratch s("parent");
  s.edit("genres.csv", [](std::string& t) { replace_once(t, "101,340,31,", "101,340,77,"); });
  EXPECT_TRUE(contains(s.load_error(), "genre 101 (Death-Metal) has parent 77")) << s.load_error();
  Scratch s2("gwidth");
  s2.edit("genres.csv", [](std::string& t) { replace_once(t, "42,2085,15,", "42,2085,"); });
  EXPECT_TRUE(contains(s2.load_error(), "genres.csv:10: expected 5 columns, found 4")) << s2.load_error();
  Scratch s3("missing");
  fs::remove(s3.dir / "genres.csv");
  EXPECT_TRUE(contains(s3.load_error(), "genres.csv' not found")) << s3.load_error();
}
