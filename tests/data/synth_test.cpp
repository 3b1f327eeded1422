// `agf synth`: determinism (same bytes for wav and flac, whatever the thread count), its metadata
// read back by load_fma_metadata with the right counts, the real FMA root ids, sane audio.
#include <gtest/gtest.h>
#include <sndfile.h>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unistd.h>
#include "agf/data/csv.h"
#include "agf/data/fma.h"
#include "agf/data/synth.h"
#include "agf/util/error.h"

using namespace agf;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// Every file under `dir`, relative path -> bytes.
std::map<std::string, std::string> tree(const fs::path& dir) {
  std::map<std::string, std::string> m;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) m[fs::relative(e.path(), dir).string()] = slurp(e.path());
  return m;
}

SynthOptions small(const fs::path& out, const std::string& format, int threads) {
  SynthOptions o;
  o.out_dir = out.string();
  o.seed = 11;
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

struct TmpDir {
  fs::path p;
  explicit TmpDir(const std::string& n) : p(fs::temp_directory_path() / ("agf_synth_" + n + "_" + std::to_string(getpid()))) {
    fs::remove_all(p);
  }
  ~TmpDir() { fs::remove_all(p); }
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
  EXPECT_NE(slurp(a.p / "fma_metadata/tracks.csv"), slurp(b.p / "fma_metadata/tracks.csv"));
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
      for (auto& g : m.genres) if (g.title == top_genre_names()[size_t(t.genre_top)]) root = g.id;
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
  o.genres = 1;
  o.artists = 1;
  o.tracks_per_artist = 1;
  synth_corpus(o);
  FmaMetadata m = load_fma_metadata((d.p / "fma_metadata").string());
  std::map<std::string, int> roots;
  for (auto& g : m.genres) if (g.parent == 0) roots[g.title] = g.id;
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
    for (float v : x) { ASSERT_TRUE(std::isfinite(v)); peak = std::max(peak, double(std::fabs(v))); energy += double(v) * v; }
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
    for (auto& t : m.tracks) EXPECT_NE(find_audio_path((d.p / "fma_audio").string(), t.id).find(".mp3"), std::string::npos);
  } else {
    try {
      synth_corpus(o);
      FAIL() << "mp3 unsupported but no error";
    } catch (const IOError& e) {
      EXPECT_NE(std::string(e.what()).find("--format flac or wav"), std::string::npos) << e.what();
    }
  }
}
