// Artist-group-factor pieces: quantile normalisation against scikit-learn's QuantileTransformer
// (tests/fixtures/factors/quantile.json), norm_ppf, bags divided by track counts, and the whole
// `agf factors` pipeline on a tiny FMA-layout corpus written here (sine tones per genre as WAV).
#include <gtest/gtest.h>

#include <sndfile.h>
#include <sys/stat.h>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include "agf/data/fma.h"
#include "agf/data/split.h"
#include "agf/factors/bags.h"
#include "agf/factors/factors.h"
#include "agf/factors/features.h"
#include "util/error.h"
#include "util/fs.h"
#include "engine/safetensors.h"
#include "tests/test_util.h"

namespace agf {
namespace {

TEST(Quantile, NormPpfKnownValues) {
  EXPECT_NEAR(norm_ppf(0.5), 0.0, 1e-15);
  EXPECT_NEAR(norm_ppf(0.975), 1.959963984540054, 1e-13);
  EXPECT_NEAR(norm_ppf(0.01), -2.3263478740408408, 1e-13);
  EXPECT_NEAR(norm_ppf(1e-7), -5.1993375821928165, 1e-11);  // scipy.stats.norm.ppf
}

TEST(Quantile, MatchesScikitLearnQuantileTransformer) {
  std::ifstream f(std::string(AGF_SOURCE_DIR) + "/tests/fixtures/factors/quantile.json");
  ASSERT_TRUE(f.good());
  auto j = nlohmann::json::parse(f);
  const int n = j["n"], d = j["d"];
  auto xd = j["x"].get<std::vector<double>>();
  auto y = j["y"].get<std::vector<double>>();            // sklearn QuantileTransformer
  auto y_rank = j["y_rank"].get<std::vector<double>>();  // scipy rankdata(average) -> norm.ppf
  const int tied = j["tied_columns"][0];
  std::vector<float> x(xd.begin(), xd.end());
  auto q = quantile_normalize(x, n, d);
  ASSERT_EQ(q.kept.size(), static_cast<size_t>(d));
  for (int i = 0; i < n * d; ++i) {
    EXPECT_NEAR(q.x[i], y_rank[i], 2e-6) << "row " << i / d << " col " << i % d;
    if (i % d != tied) EXPECT_NEAR(q.x[i], y[i], 2e-6) << "row " << i / d << " col " << i % d;
  }
}

TEST(Quantile, ConstantColumnsDroppedNanNamed) {
  std::vector<float> x = {1, 7, 3, 2, 7, 1, 3, 7, 2};  // (3, 3), column 1 constant
  auto q = quantile_normalize(x, 3, 3);
  EXPECT_EQ(q.kept, (std::vector<int>{0, 2}));
  EXPECT_EQ(q.dropped, (std::vector<int>{1}));
  EXPECT_NEAR(q.x[2], 0.0, 1e-6);  // middle value of column 0 -> rank 1/2 -> 0
  x[5] = std::nanf("");
  try {
    quantile_normalize(x, 3, 3, {101, 102, 103}, {"a", "b", "loudness"});
    FAIL() << "NaN accepted";
  } catch (const NumericError& e) {
    EXPECT_NE(std::string(e.what()).find("'loudness' of track 102"), std::string::npos) << e.what();
  }
}

TEST(Bags, CountsDividedByTracks) {
  const int32_t labels[] = {0, 1, 1, 2, 2, 2};
  const int32_t group[] = {0, 0, 0, 1, 1, 0};
  auto b = group_bags(labels, group, 6, 2, 3, {2, 1});
  EXPECT_EQ(b, (std::vector<double>{0.5, 1.0, 0.5, 0, 0, 2}));
  EXPECT_THROW(group_bags(labels, group, 6, 2, 3, {2, 0}), UsageError);
}

// ---- a tiny FMA-layout corpus: 3 genres x 2 artists x 2 tracks with audio, 1 artist without audio
struct TinyCorpus {
  std::shared_ptr<const testing_util::TempDir> tmp;  // removed with the last copy
  std::string root, work;
  std::map<int64_t, int64_t> artist_of;  // track -> artist
  std::map<int64_t, int> style_of;       // artist -> style
};

void write_wav(const std::string& path, double freq, uint64_t seed) {
  const int sr = 22050, n = sr * 3 / 2;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.f, 0.01f);
  std::vector<float> y(n);
  for (int i = 0; i < n; ++i) y[i] = 0.5f * std::sin(2 * M_PI * freq * i / sr) + noise(rng);
  SF_INFO info{};
  info.samplerate = sr;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr) << path;
  sf_writef_float(f, y.data(), n);
  sf_close(f);
}

// genres: per track id, a replacement for the (track, genres) list (a list literal such as "[15]").
TinyCorpus make_corpus(const std::map<int64_t, std::string>& genres = {}) {
  TinyCorpus c;
  c.tmp = std::make_shared<const testing_util::TempDir>("factors_test");
  c.root = c.tmp->str();
  c.work = c.root + "/work";
  ensure_dir(c.root + "/fma_metadata");
  ensure_dir(c.work);
  {
    std::ofstream g(c.root + "/fma_metadata/genres.csv");
    g << "genre_id,#tracks,parent,title,top_level\n10,4,0,Pop,10\n12,4,0,Rock,12\n15,4,0,Electronic,15\n"
         "25,2,12,Punk,12\n";
  }
  const auto& cols = fma_track_columns();
  std::ofstream t(c.root + "/fma_metadata/tracks.csv");
  for (int line = 0; line < 3; ++line) {
    t << (line == 2 ? "track_id" : "");
    for (const auto& [group, name] : cols) t << "," << (line == 0 ? group : line == 1 ? name : "");
    t << "\n";
  }
  const int genre_id[] = {12, 15, 10};
  const char* genre_name[] = {"Rock", "Electronic", "Pop"};
  const double freq[] = {220.0, 1760.0, 5000.0};
  int64_t track = 100;
  for (int artist = 1; artist <= 7; ++artist) {
    const int style = (artist - 1) % 3;
    c.style_of[artist] = style;
    for (int k = 0; k < 2; ++k, ++track) {
      std::map<std::pair<std::string, std::string>, std::string> v;
      v[{"artist", "id"}] = std::to_string(artist);
      v[{"artist", "name"}] = "Artist " + std::to_string(artist);
      v[{"album", "id"}] = std::to_string(artist * 10);
      v[{"set", "split"}] = "training";
      v[{"set", "subset"}] = "small";
      v[{"track", "genre_top"}] = genre_name[style];
      const bool punk = style == 0 && k == 1;
      v[{"track", "genres"}] = punk ? "\"[12, 25]\"" : "[" + std::to_string(genre_id[style]) + "]";
      if (genres.count(track)) v[{"track", "genres"}] = "\"" + genres.at(track) + "\"";
      v[{"track", "genres_all"}] = v[{"track", "genres"}];
      t << track;
      for (const auto& col : cols) t << "," << (v.count(col) ? v[col] : "");
      t << "\n";
      c.artist_of[track] = artist;
      if (artist == 7) continue;  // artist 7 has no audio at all
      const std::string path = c.root + "/fma_audio/" + fma_audio_relpath(track, "wav");
      ensure_dir(parent_dir(path));
      write_wav(path, freq[style] * (1 + 0.03 * k), static_cast<uint64_t>(track));
    }
  }
  nlohmann::json ds = {{"metadata_dir", c.root + "/fma_metadata"},
                       {"audio_dir", c.root + "/fma_audio"},
                       {"subset", "medium"},
                       {"split", "random"}};
  std::ofstream(c.work + "/dataset.json") << ds.dump();
  return c;
}

double cosine(const float* a, const float* b, int n) {
  double ab = 0, aa = 0, bb = 0;
  for (int i = 0; i < n; ++i) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

TEST(Factors, PipelineOnTinyCorpus) {
  const TinyCorpus c = make_corpus();
  EXPECT_THROW(load_factor_targets(c.work, 'm'), IOError);
  FactorsOptions o;
  o.work_dir = c.work;
  o.kinds = "ms";
  o.clusters = 100000;  // more than the points: clamped with a note
  o.topics = 3;
  o.seed = 1;
  o.threads = 2;
  o.lda_max_iter = 20;
  o.verbose = false;
  auto reports = compute_factors(o);
  ASSERT_EQ(reports.size(), 2u);
  const FactorReport& m = reports[0];
  EXPECT_EQ(m.artists, 6);
  EXPECT_EQ(m.tracks, 12);
  EXPECT_EQ(m.clusters, m.points);
  bool clamp_note = false, skip_note = false;
  for (const auto& n : m.notes) {
    clamp_note |= n.find("clamped") != std::string::npos;
    skip_note |= n.find("1 artists with no decodable track were skipped (Artist 7)") != std::string::npos;
  }
  EXPECT_TRUE(clamp_note);
  EXPECT_TRUE(skip_note);

  // a dictionary smaller than the data: artists of one tone must share groups
  o.clusters = 6;
  o.kinds = "m";
  compute_factors(o);

  auto tm = load_factor_targets(c.work, 'm');
  ASSERT_EQ(tm.topics, 3);
  ASSERT_EQ(tm.track_ids.size(), 12u);
  for (size_t i = 0; i < tm.track_ids.size(); ++i) {
    EXPECT_NE(c.artist_of.at(tm.track_ids[i]), 7);
    double s = 0;
    for (int k = 0; k < 3; ++k) s += tm.targets[i * 3 + k];
    EXPECT_NEAR(s, 1.0, 1e-5);
    if (i % 2 == 1)  // the two tracks of one artist carry the artist's vector
      for (int k = 0; k < 3; ++k) EXPECT_EQ(tm.targets[i * 3 + k], tm.targets[(i - 1) * 3 + k]);
  }
  // artists of one style (same tone) are closer to each other than to other styles
  double same = 0, other = 0;
  int ns = 0, no = 0;
  for (size_t i = 0; i < 12; i += 2)
    for (size_t j = i + 2; j < 12; j += 2) {
      const double cs = cosine(&tm.targets[i * 3], &tm.targets[j * 3], 3);
      if (c.style_of.at(c.artist_of.at(tm.track_ids[i])) == c.style_of.at(c.artist_of.at(tm.track_ids[j]))) {
        same += cs;
        ++ns;
      } else {
        other += cs;
        ++no;
      }
    }
  EXPECT_GT(same / ns, other / no + 0.2);

  // s needs no audio: all 7 artists; artists 1 and 4 (Rock, one Punk track each) have equal bags
  auto ts = load_factor_targets(c.work, 's');
  EXPECT_EQ(ts.track_ids.size(), 14u);
  EXPECT_EQ(reports[1].clusters, 4);  // genre ids 10, 12, 15, 25
  std::map<int64_t, const float*> by_artist;
  for (size_t i = 0; i < ts.track_ids.size(); ++i) by_artist[c.artist_of.at(ts.track_ids[i])] = &ts.targets[i * 3];
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(by_artist[1][k], by_artist[4][k], 1e-6);

  // files beside the targets, and the feature cache of the 12 decodable tracks
  std::ifstream md(c.work + "/factors/m_summary.md");
  std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("| Artist 1 (0.9"), std::string::npos) << text;  // a group led by a Rock artist
  auto jm = nlohmann::json::parse(read_file_bytes(c.work + "/factors/m_summary.json"));
  bool rock_group = false;  // the low tone (Rock) has its own group
  for (const auto& g : jm["groups"])
    rock_group |= g["genres"].size() > 0 && g["genres"][0]["genre"] == "Rock" && g["genres"][0]["share"] > 0.9;
  EXPECT_TRUE(rock_group) << text;
  auto js = nlohmann::json::parse(read_file_bytes(c.work + "/factors/s_summary.json"));
  EXPECT_EQ(js["groups"].size(), 3u);
  // The HTML report renders the summaries from the JSON: the same document as the .md, byte for byte.
  for (const char* k : {"m", "s"}) {
    const std::string base = c.work + "/factors/" + k + "_summary";
    EXPECT_EQ(to_markdown(groups_doc_from_json(read_file_bytes(base + ".json"), base)), read_file_bytes(base + ".md"))
        << k;
  }
  struct stat st;
  EXPECT_EQ(::stat((c.work + "/factors/m_model.safetensors").c_str(), &st), 0);
  int cached = 0;
  for (const auto& [track, artist] : c.artist_of)
    cached += ::stat((c.work + "/features/" + std::to_string(track) + ".safetensors").c_str(), &st) == 0;
  EXPECT_EQ(cached, 12);

  // a re-run reads the cache and gives the same targets (same seed)
  compute_factors(o);
  EXPECT_EQ(load_factor_targets(c.work, 'm').targets, tm.targets);
}

// --factors-from train (issue 12): a validation track's genre ids reach no training target. Tracks 100..113,
// two per artist 1..7; validation: 101 (artist 1's Punk track), 105, and both tracks of artist 7.
TEST(Factors, FromTrainKeepsValidationLabelsOutOfTrainingTargets) {
  const std::vector<int64_t> valid = {101, 105, 112, 113};
  auto write_split = [&](const TinyCorpus& c) {
    Split s;
    s.kind = "random";
    for (int64_t id = 100; id <= 113; ++id)
      (std::count(valid.begin(), valid.end(), id) ? s.valid : s.train).push_back(id);
    save_split(c.work + "/split.json", s);
  };
  // the same corpus twice, except for the genre ids of validation track 101 (Rock + Punk -> Electronic + Pop)
  const TinyCorpus a = make_corpus(), b = make_corpus({{101, "[15, 10]"}});
  write_split(a);
  write_split(b);
  auto targets = [](const TinyCorpus& c, const std::string& from) {
    FactorsOptions o;
    o.work_dir = c.work;
    o.kinds = "s";
    o.topics = 3;
    o.seed = 1;
    o.factors_from = from;
    o.verbose = false;
    compute_factors(o);
    FactorTargets t = load_factor_targets(c.work, 's');
    EXPECT_EQ(t.factors_from, from);
    EXPECT_EQ(t.settings.at("factors_from"), from);
    std::map<int64_t, std::vector<float>> by_track;
    for (size_t i = 0; i < t.track_ids.size(); ++i)
      by_track[t.track_ids[i]].assign(t.targets.begin() + long(i * 3), t.targets.begin() + long(i * 3 + 3));
    return by_track;
  };
  const auto ta = targets(a, "train"), tb = targets(b, "train");
  // artist 7 has no training track: no target; every other track has its artist's (training-only) topics
  EXPECT_EQ(ta.size(), 12u);
  EXPECT_EQ(ta.count(112) + ta.count(113), 0u);
  EXPECT_EQ(ta.at(101), ta.at(100));
  for (const auto& [id, row] : ta) {
    if (!std::count(valid.begin(), valid.end(), id)) EXPECT_EQ(row, tb.at(id)) << "training track " << id;
  }
  // the paper's protocol (all) lets the change through to artist 1's training track 100
  const auto aa = targets(a, "all"), ab = targets(b, "all");
  EXPECT_EQ(aa.size(), 14u);
  EXPECT_NE(aa.at(100), ab.at(100));
  // train needs the split
  std::filesystem::remove(a.work + "/split.json");
  FactorsOptions o;
  o.work_dir = a.work;
  o.kinds = "s";
  o.factors_from = "train";
  o.verbose = false;
  EXPECT_THROW(compute_factors(o), UsageError);
  o.factors_from = "validation";
  EXPECT_THROW(compute_factors(o), UsageError);
  std::system(("rm -rf '" + a.root + "' '" + b.root + "'").c_str());
}

// --factors-from train reads no validation audio, and --n-mfcc is recorded with the m and d targets.
TEST(Factors, FromTrainUsesTrainingAudioOnlyAndRecordsMfccWidth) {
  const TinyCorpus c = make_corpus();
  Split s;
  s.kind = "random";
  for (int64_t id = 100; id <= 113; ++id) (id % 2 ? s.valid : s.train).push_back(id);
  save_split(c.work + "/split.json", s);
  for (int64_t id : s.valid) std::filesystem::remove(c.root + "/fma_audio/" + fma_audio_relpath(id, "wav"));
  FactorsOptions o;
  o.work_dir = c.work;
  o.kinds = "md";
  o.clusters = 6;
  o.topics = 3;
  o.seed = 1;
  o.threads = 2;
  o.factors_from = "train";
  o.n_mfcc = 25;
  o.verbose = false;
  const auto reports = compute_factors(o);
  ASSERT_EQ(reports.size(), 2u);
  for (const FactorReport& r : reports) {
    EXPECT_EQ(r.artists, 6);  // artist 7 has no audio at all
    EXPECT_EQ(r.tracks, 12);  // both tracks of artists 1..6, validation tracks included
    // only training track 112 (artist 7) lacks audio; the 7 validation tracks without audio were never read
    int missing_notes = 0;
    for (const auto& n : r.notes)
      if (n.find("no usable audio") != std::string::npos) {
        ++missing_notes;
        EXPECT_EQ(n.rfind("1 tracks had no usable audio (first: no audio file for track 112 ", 0), 0u) << n;
      }
    EXPECT_EQ(missing_notes, 1);
  }
  for (char k : {'m', 'd'}) {
    const FactorTargets t = load_factor_targets(c.work, k);
    EXPECT_EQ(t.settings.at("n_mfcc"), "25") << k;
    EXPECT_EQ(t.factors_from, "train") << k;
  }
  // the dictionary saw 25-d points
  auto model = SafetensorsFile::open(c.work + "/factors/m_model.safetensors");
  EXPECT_EQ(model.get("centroids").shape[1], 25);
  o.n_mfcc = 20;
  EXPECT_THROW(compute_factors(o), UsageError);
}

TEST(Factors, BadOptions) {
  FactorsOptions o;
  o.work_dir = "/nonexistent/agf_work";
  EXPECT_THROW(compute_factors(o), UsageError);  // no dataset.json and no --metadata
  o.metadata_dir = "/nonexistent";
  o.kinds = "mx";
  EXPECT_THROW(compute_factors(o), UsageError);
}

}  // namespace
}  // namespace agf
