// `agf synth`: determinism (same bytes for wav and flac, whatever the thread count), its metadata
// read back by load_fma_metadata with the right counts, the real FMA root ids, sane audio.
#include <gtest/gtest.h>
#include <sndfile.h>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <unistd.h>
#include "agf/data/csv.h"
#include "agf/data/fma.h"
#include "agf/data/split.h"
#include "agf/data/synth.h"
#include "agf/data/synth_style.h"
#include "util/error.h"
#include "util/fs.h"
#include "tests/test_util.h"

using namespace agf;
namespace fs = std::filesystem;

namespace {

// Every file under `dir`, relative path -> bytes.
std::map<std::string, std::string> tree(const fs::path& dir) {
  std::map<std::string, std::string> m;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) m[fs::relative(e.path(), dir).string()] = read_file_bytes(e.path());
  return m;
}

SynthOptions small(const fs::path& out, const std::string& format, int threads) {
  SynthOptions o;
  o.out_dir = out.string();
  o.seed = 11;
  o.preset = "easy";
  o.genres = 4;
  o.artists = 3;
  o.tracks_per_artist = 4;
  o.seconds = 2.0;
  o.format = format;
  o.threads = threads;
  o.mislabel_fraction = 0.3;
  o.multi_root_fraction = 0.2;
  o.quiet = true;
  return o;
}

// A temporary folder per corpus (tests/test_util.h), removed at scope exit.
struct TmpDir : testing_util::TempDir {
  explicit TmpDir(const std::string& n) : TempDir("synth_" + n) {}
  const fs::path p = path();
};

}  // namespace

TEST(Synth, SameBytesForTheSameSeedWhateverTheThreads) {
  for (const char* fmt : {"wav", "flac"}) {
    TmpDir a(std::string("a_") + fmt), b(std::string("b_") + fmt);
    synth_corpus(small(a.p, fmt, 1));
    synth_corpus(small(b.p, fmt, 3));
    auto ta = tree(a.p), tb = tree(b.p);
    EXPECT_EQ(ta.size(), 48u + 3u) << fmt;  // 48 clips, tracks.csv, genres.csv, synth_truth.csv
    ASSERT_EQ(ta.size(), tb.size());
    for (auto& [k, v] : ta) EXPECT_TRUE(tb.count(k) && tb[k] == v) << fmt << ": " << k << " differs";
  }
}

TEST(Synth, AnotherSeedGivesAnotherCorpus) {
  TmpDir a("seed_a"), b("seed_b");
  auto oa = small(a.p, "wav", 2), ob = small(b.p, "wav", 2);
  ob.seed = 12;
  synth_corpus(oa);
  synth_corpus(ob);
  EXPECT_NE(read_file_bytes(a.p / "fma_metadata/tracks.csv"), read_file_bytes(b.p / "fma_metadata/tracks.csv"));
}

TEST(Synth, MetadataReadsBackWithTheRightCounts) {
  TmpDir d("meta");
  SynthSummary s = synth_corpus(small(d.p, "wav", 2));
  EXPECT_EQ(s.n_tracks, 48);
  EXPECT_EQ(s.n_artists, 12);
  EXPECT_EQ(s.n_albums, 24);  // two albums of <= 3 tracks per artist
  FmaMetadata m = load_fma_metadata((d.p / "fma_metadata").string());
  EXPECT_TRUE(m.warnings.empty());
  ASSERT_EQ(m.tracks.size(), 48u);
  std::set<int64_t> artists, albums;
  std::map<int64_t, std::set<std::string>> artist_splits;
  int64_t no_top = 0;
  for (auto& t : m.tracks) {
    artists.insert(t.artist_id);
    albums.insert(t.album_id);
    artist_splits[t.artist_id].insert(t.split);
    if (t.genre_top < 0) {
      ++no_top;
      EXPECT_EQ(t.subset, "large");
    } else {
      EXPECT_TRUE(t.subset == "small" || t.subset == "medium") << t.subset;
      // genres_all holds the root of genre_top and every listed genre.
      int root = 0;
      for (auto& g : m.genres)
        if (g.title == top_genre_names()[size_t(t.genre_top)]) root = g.id;
      EXPECT_NE(std::find(t.genres_all.begin(), t.genres_all.end(), root), t.genres_all.end());
    }
    for (int g : t.genres) EXPECT_NE(std::find(t.genres_all.begin(), t.genres_all.end(), g), t.genres_all.end());
    EXPECT_FALSE(find_audio_path((d.p / "fma_audio").string(), t.id).empty()) << t.id;
  }
  EXPECT_EQ(artists.size(), 12u);
  EXPECT_EQ(albums.size(), 24u);
  EXPECT_EQ(no_top, s.n_no_top);
  for (auto& [a, sp] : artist_splits) EXPECT_EQ(sp.size(), 1u) << "artist " << a << " spans splits";
  EXPECT_EQ(select_subset(m, "medium").size() + size_t(no_top), 48u);
  // Truth agrees with the labels; mislabelled albums carry a different genre than their audio.
  int64_t mislabelled = 0;
  for (auto& tr : s.truth) {
    const Track* t = m.find(tr.track_id);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->genre_top, tr.label_genre);
    EXPECT_EQ(t->artist_id, tr.artist_id);
    if (tr.mislabelled) {
      ++mislabelled;
      EXPECT_NE(tr.label_genre, tr.true_genre);
    } else if (tr.label_genre >= 0) {
      EXPECT_EQ(tr.label_genre, tr.true_genre);
    }
  }
  EXPECT_GT(mislabelled, 0);
}

TEST(Synth, GenresCsvHasTheSixteenRealRoots) {
  TmpDir d("genres");
  auto o = small(d.p, "wav", 2);
  o.preset = "easy";
  o.genres = 1;
  o.artists = 1;
  o.tracks_per_artist = 1;
  synth_corpus(o);
  FmaMetadata m = load_fma_metadata((d.p / "fma_metadata").string());
  std::map<std::string, int> roots;
  for (auto& g : m.genres)
    if (g.parent == 0) roots[g.title] = g.id;
  ASSERT_EQ(roots.size(), 16u);
  EXPECT_EQ(roots["Rock"], 12);
  EXPECT_EQ(roots["Electronic"], 15);
  EXPECT_EQ(roots["Hip-Hop"], 21);
  EXPECT_EQ(roots["Instrumental"], 1235);
  EXPECT_EQ(roots["Old-Time / Historic"], 8);
  for (auto& n : top_genre_names()) EXPECT_TRUE(roots.count(n)) << n;
  EXPECT_GT(m.genres.size(), 50u);
  // The 52 columns, in FMA's order.
  auto recs = read_csv_file((d.p / "fma_metadata/tracks.csv").string());
  ASSERT_GE(recs.size(), 4u);
  ASSERT_EQ(recs[1].fields.size(), 53u);
  for (size_t c = 0; c < 52; ++c) {
    EXPECT_EQ(recs[0].fields[c + 1], fma_track_columns()[c].first);
    EXPECT_EQ(recs[1].fields[c + 1], fma_track_columns()[c].second);
  }
}

TEST(Synth, AudioIsSaneMono) {
  TmpDir d("audio");
  auto o = small(d.p, "wav", 2);
  o.preset = "easy";
  o.genres = 16;
  o.artists = 1;
  o.tracks_per_artist = 1;
  o.seconds = 1.5;
  synth_corpus(o);
  FmaMetadata m = load_fma_metadata((d.p / "fma_metadata").string());
  ASSERT_EQ(m.tracks.size(), 16u);
  for (auto& t : m.tracks) {
    std::string path = find_audio_path((d.p / "fma_audio").string(), t.id);
    SF_INFO info{};
    SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
    ASSERT_TRUE(f) << path;
    EXPECT_EQ(info.channels, 1);
    EXPECT_EQ(info.samplerate, 22050);
    EXPECT_EQ(info.frames, sf_count_t(1.5 * 22050));
    std::vector<float> x(size_t(info.frames));
    sf_read_float(f, x.data(), info.frames);
    sf_close(f);
    double peak = 0, energy = 0;
    for (float v : x) {
      ASSERT_TRUE(std::isfinite(v));
      peak = std::max(peak, double(std::fabs(v)));
      energy += double(v) * v;
    }
    EXPECT_LE(peak, 0.9) << path;
    EXPECT_GT(std::sqrt(energy / double(x.size())), 0.01) << path << " is nearly silent";
  }
}

TEST(Synth, BadOptionsAndMp3Support) {
  TmpDir d("bad");
  auto o = small(d.p, "wav", 1);
  o.genres = 17;
  EXPECT_THROW(synth_corpus(o), UsageError);
  o = small(d.p, "ogg", 1);
  EXPECT_THROW(synth_corpus(o), UsageError);
  o = small(d.p, "wav", 1);
  o.sample_rate = 16000;
  EXPECT_THROW(synth_corpus(o), UsageError);
  o = small(d.p, "mp3", 2);
  o.genres = 1;
  o.artists = 1;
  o.tracks_per_artist = 2;
  if (synth_format_supported("mp3", 22050)) {
    synth_corpus(o);
    FmaMetadata m = load_fma_metadata((d.p / "fma_metadata").string());
    for (auto& t : m.tracks)
      EXPECT_NE(find_audio_path((d.p / "fma_audio").string(), t.id).find(".mp3"), std::string::npos);
  } else {
    try {
      synth_corpus(o);
      FAIL() << "mp3 unsupported but no error";
    } catch (const IOError& e) {
      EXPECT_NE(std::string(e.what()).find("--format flac or wav"), std::string::npos) << e.what();
    }
  }
}

// ---- The fma preset (the default): fma_medium's imbalance, skewed artists, label noise, overlap ----

namespace {

// fma_medium's published top-genre counts (mdeff/fma; paper-notes.md), by name.
const std::map<std::string, int> kFmaMedium = {{"Rock", 7103},         {"Electronic", 6314},
                                               {"Experimental", 2251}, {"Hip-Hop", 2201},
                                               {"Folk", 1519},         {"Instrumental", 1350},
                                               {"Pop", 1186},          {"International", 1018},
                                               {"Classical", 619},     {"Old-Time / Historic", 510},
                                               {"Jazz", 384},          {"Country", 178},
                                               {"Soul-RnB", 154},      {"Spoken", 118},
                                               {"Blues", 74},          {"Easy Listening", 21}};

// The default corpus, metadata as written (1-s clips: the plan does not depend on the length).
struct FmaDefault {
  TmpDir dir{"fma_default"};
  SynthSummary sum;
  FmaMetadata meta;
  FmaDefault() {
    SynthOptions o;
    o.out_dir = dir.p.string();
    o.seconds = 1.0;
    o.threads = 2;
    o.quiet = true;
    sum = synth_corpus(o);
    meta = load_fma_metadata((dir.p / "fma_metadata").string());
  }
};
const FmaDefault& fma_default() {
  static FmaDefault d;
  return d;
}

}  // namespace

TEST(SynthFma, GenreCountsFollowFmaMediumWithAFloor) {
  const auto& d = fma_default();
  std::map<std::string, int64_t> n;
  int64_t labelled = 0;
  for (auto& t : d.meta.tracks)
    if (t.genre_top >= 0) ++n[top_genre_names()[size_t(t.genre_top)]], ++labelled;
  ASSERT_EQ(labelled, 450);
  ASSERT_EQ(n.size(), 16u);
  // Which genres the floor of 8 holds up, found from the table alone: those whose share of what the
  // floored ones leave stays under 8.
  std::set<std::string> floored;
  for (bool changed = true; changed;) {
    changed = false;
    double rest = 450 - 8.0 * double(floored.size()), mass = 0;
    for (auto& [g, c] : kFmaMedium)
      if (!floored.count(g)) mass += c;
    for (auto& [g, c] : kFmaMedium)
      if (!floored.count(g) && rest * c / mass < 8) floored.insert(g), changed = true;
  }
  EXPECT_GE(floored.size(), 4u);  // the rare genres (Easy Listening, Blues, Spoken, ...) need it
  EXPECT_LE(floored.size(), 8u);  // and the rest keep FMA's proportions
  double rest = 450 - 8.0 * double(floored.size()), mass = 0;
  for (auto& [g, c] : kFmaMedium)
    if (!floored.count(g)) mass += c;
  for (auto& [g, c] : kFmaMedium) {
    if (floored.count(g)) {
      EXPECT_EQ(n[g], 8) << g;
    } else {
      EXPECT_LT(std::fabs(double(n[g]) - rest * c / mass), 1.0)
          << g << ": " << n[g] << " tracks, share " << rest * c / mass;
    }
  }
  EXPECT_GT(n["Rock"], 2 * n["Experimental"]);  // Rock and Electronic dominate
  EXPECT_GT(n["Electronic"], 100);
  auto q = synth_genre_quotas(450, 16, 8);
  for (int g = 0; g < kNumTopGenres; ++g) EXPECT_EQ(q[size_t(g)], n[top_genre_names()[size_t(g)]]);
  EXPECT_THROW(synth_genre_quotas(100, 16, 8), UsageError);
}

TEST(SynthFma, EveryGenreHasValidationTracksInTheRandomSplit) {
  const auto& d = fma_default();
  std::vector<const Track*> sel = select_subset(d.meta, "medium");
  EXPECT_TRUE(remove_known_bad(sel).empty());  // the fma preset never writes a known-bad id
  std::map<int64_t, std::string> genre_of;
  for (auto* t : sel) genre_of[t->id] = top_genre_names()[size_t(t->genre_top)];
  for (uint64_t seed : {1, 2, 3, 7, 42}) {
    Split s = make_split(sel, SplitKind::Random, seed);
    EXPECT_EQ(s.valid.size(), 68u);  // round(0.15 x 450)
    std::map<std::string, int> v;
    for (int64_t id : s.valid) ++v[genre_of.at(id)];
    for (auto& g : top_genre_names()) EXPECT_GE(v[g], 1) << g << " has no validation track, seed " << seed;
  }
}

TEST(SynthFma, ArtistSizesAreSkewedFromOneToForty) {
  const auto& d = fma_default();
  std::map<int64_t, int> size;
  std::map<int64_t, std::set<std::string>> genres;
  for (auto& t : d.meta.tracks) ++size[t.artist_id];
  for (auto& tr : d.sum.truth)
    if (tr.label_genre >= 0 && !tr.mislabelled) genres[tr.artist_id].insert(top_genre_names()[size_t(tr.label_genre)]);
  std::vector<int> s;
  for (auto& [a, n] : size) s.push_back(n);
  std::sort(s.begin(), s.end());
  ASSERT_FALSE(s.empty());
  EXPECT_EQ(s.front(), 1);
  EXPECT_EQ(s.back(), 40);
  EXPECT_LE(s[s.size() / 2], 4) << "median artist size: most artists have few tracks";
  EXPECT_GE(std::count(s.begin(), s.end(), 1), int64_t(s.size() / 5)) << "one-track artists are common";
  int two = 0;
  for (auto& [a, g] : genres) two += g.size() >= 2;
  EXPECT_GE(two, 3) << "artists with albums labelled in two genres";  // seed 1: 4 (5 counting mislabelled albums)
  EXPECT_LE(two, d.sum.n_two_genre_artists);
}

TEST(SynthFma, AlbumLabelNoiseIsFiveToFifteenPercent) {
  const auto& d = fma_default();
  int64_t labelled = 0, wrong = 0;
  std::map<int64_t, std::set<bool>> album_states;
  for (auto& t : d.sum.truth) {
    if (t.label_genre < 0) continue;
    ++labelled;
    wrong += t.mislabelled;
    EXPECT_EQ(t.mislabelled, t.true_genre != t.label_genre);
    album_states[t.album_id].insert(t.mislabelled);
  }
  double f = double(wrong) / double(labelled);
  EXPECT_GE(f, 0.05);
  EXPECT_LE(f, 0.15);
  for (auto& [a, st] : album_states) EXPECT_EQ(st.size(), 1u) << "album " << a << " half mislabelled";
  EXPECT_GT(d.sum.n_mislabelled_albums, 5);
}

TEST(SynthFma, SameBytesForASeedWhateverTheThreadsAnotherSeedDiffers) {
  TmpDir a("fma_a"), b("fma_b"), c("fma_c");
  auto opt = [](const fs::path& p, int threads, uint64_t seed) {
    SynthOptions o;
    o.out_dir = p.string();
    o.seed = seed;
    o.genres = 8;
    o.tracks = 64;
    o.seconds = 1.0;
    o.threads = threads;
    o.format = "flac";
    o.quiet = true;
    return o;
  };
  synth_corpus(opt(a.p, 1, 3));
  synth_corpus(opt(b.p, 3, 3));
  synth_corpus(opt(c.p, 2, 4));
  auto ta = tree(a.p), tb = tree(b.p);
  ASSERT_EQ(ta.size(), tb.size());
  EXPECT_GT(ta.size(), 64u + 3u);
  for (auto& [k, v] : ta) EXPECT_TRUE(tb.count(k) && tb[k] == v) << k << " differs";
  EXPECT_NE(read_file_bytes(a.p / "fma_metadata/tracks.csv"), read_file_bytes(c.p / "fma_metadata/tracks.csv"));
}

TEST(SynthFma, OverlapBlendsNeighbouringStyles) {
  const auto& st = synth::genre_styles();
  const auto& rock =
      st[size_t(std::find(top_genre_names().begin(), top_genre_names().end(), "Rock") - top_genre_names().begin())];
  const auto& pop =
      st[size_t(std::find(top_genre_names().begin(), top_genre_names().end(), "Pop") - top_genre_names().begin())];
  Rng r(1);
  auto same = synth::blend_styles(rock, pop, 0.0, r);
  EXPECT_EQ(same.tempo_lo, rock.tempo_lo);
  EXPECT_EQ(same.rolloff, rock.rolloff);
  EXPECT_EQ(int(same.drums), int(rock.drums));
  auto half = synth::blend_styles(rock, pop, 0.5, r);
  EXPECT_DOUBLE_EQ(half.tempo_lo, 0.5 * (rock.tempo_lo + pop.tempo_lo));
  EXPECT_DOUBLE_EQ(half.rolloff, 0.5 * (rock.rolloff + pop.rolloff));
  EXPECT_EQ(half.top, rock.top);
  // With overlap 0 an album's audio is its genre's own style: the corpus differs from the default's.
  TmpDir a("ov0"), b("ov5");
  SynthOptions o;
  o.genres = 4;
  o.tracks = 32;
  o.seconds = 1.0;
  o.quiet = true;
  o.out_dir = a.p.string();
  o.overlap = 0.0;
  synth_corpus(o);
  o.out_dir = b.p.string();
  o.overlap = 0.5;
  synth_corpus(o);
  EXPECT_NE(tree(a.p / "fma_audio"), tree(b.p / "fma_audio"));
}

// --track-blend varies the style from track to track inside an album, from a stream of its own: the metadata
// and the split stay the same, most tracks' audio changes, and 0 gives exactly the corpus without it.
TEST(SynthFma, TrackBlendVariesTheAudioAndNothingElse) {
  auto make = [](const std::string& name, double blend) {
    auto d = std::make_unique<TmpDir>(name);
    SynthOptions o;
    o.out_dir = d->p.string();
    o.tracks = 160;
    o.seconds = 1.0;
    o.threads = 2;
    o.quiet = true;
    o.track_blend = blend;
    synth_corpus(o);
    return d;
  };
  auto bytes = [](const fs::path& p) { return read_file_bytes(p); };
  const auto none = make("blend0", 0.0), again = make("blend0b", 0.0), some = make("blend8", 0.8);
  EXPECT_EQ(bytes(none->p / "fma_metadata/tracks.csv"), bytes(some->p / "fma_metadata/tracks.csv"));
  EXPECT_EQ(bytes(none->p / "synth_truth.csv"), bytes(some->p / "synth_truth.csv"));
  int files = 0, differ = 0, same_without = 0;
  for (const auto& e : fs::recursive_directory_iterator(none->p / "fma_audio")) {
    if (!e.is_regular_file()) continue;
    const fs::path rel = fs::relative(e.path(), none->p);
    ++files;
    differ += bytes(e.path()) != bytes(some->p / rel);
    same_without += bytes(e.path()) == bytes(again->p / rel);
  }
  ASSERT_GT(files, 150);
  EXPECT_EQ(same_without, files);
  EXPECT_GT(differ, files / 2) << differ << " of " << files << " tracks changed";
  SynthOptions o;
  o.out_dir = (none->p / "bad").string();
  o.quiet = true;
  o.track_blend = 1.5;
  EXPECT_THROW(synth_corpus(o), UsageError);
  o.track_blend = 0.5;
  o.artist_exponent = -1;
  EXPECT_THROW(synth_corpus(o), UsageError);
}

TEST(SynthFma, BadOptions) {
  TmpDir d("fma_bad");
  SynthOptions o;
  o.out_dir = d.p.string();
  o.quiet = true;
  o.preset = "hard";
  EXPECT_THROW(synth_corpus(o), UsageError);
  o.preset = "fma";
  o.tracks = 100;  // < 16 x 8
  EXPECT_THROW(synth_corpus(o), UsageError);
  o.tracks = 480;
  o.overlap = 1.5;
  EXPECT_THROW(synth_corpus(o), UsageError);
  o.overlap = 0.5;
  o.max_artist_tracks = 0;
  EXPECT_THROW(synth_corpus(o), UsageError);
}
