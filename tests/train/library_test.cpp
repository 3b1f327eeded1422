// Library-scale prediction and embedding (agf/train/library.h, predict_run.cpp, embed.cpp, rowfile.h):
// folders are walked by extension, bad inputs get a status and a reason instead of a genre, rows are
// written as tracks finish and --resume skips them (a partial last row is dropped), batching across
// tracks gives the numbers one track at a time gives, the challenge submission has its columns, and
// embeddings match the features the model computes.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include <gtest/gtest.h>

#include "agf/data/csv.h"
#include "agf/train/embed.h"
#include "agf/train/predict.h"
#include "util/npy.h"
#include "tests/audio/audio_test_util.h"
#include "tests/train/random_model.h"

namespace agf {
namespace {
namespace fs = std::filesystem;

std::vector<float> music(double seconds, int sr, uint32_t seed) {
  std::vector<float> x(size_t(seconds * sr));
  uint32_t h = seed;
  for (size_t i = 0; i < x.size(); ++i) {
    h = h * 1664525u + 1013904223u;
    const double noise = (double(h >> 8) / double(1u << 24) - 0.5) * 0.1;
    x[i] = float(0.3 * std::sin(2 * M_PI * (220.0 + 40 * seed) * double(i) / sr) + noise);
  }
  return x;
}

class Library : public ::testing::Test {
 protected:
  static std::unique_ptr<testing_util::TempDir> tmp;  // removed in TearDownTestSuite
  static fs::path root;
  static std::string model, audio;
  static void SetUpTestSuite() {
    tmp = std::make_unique<testing_util::TempDir>("library");
    root = tmp->path();
    model = (root / "model").string();
    audio = (root / "audio").string();
    test::make_random_transfer_model(model);
    fs::create_directories(root / "audio" / "sub" / "deeper");
    const int sr = 22050;
    test::write_sound(audio + "/a.wav", music(3.0, sr, 1), 1, sr);
    test::write_sound(audio + "/sub/b.flac", music(2.5, sr, 2), 1, sr, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
    test::write_sound(audio + "/sub/deeper/c.WAV", music(4.0, 44100, 3), 1, 44100);
    test::write_sound(audio + "/silent.wav", std::vector<float>(size_t(3 * sr), 0.f), 1, sr);
    test::write_sound(audio + "/short.wav", music(0.5, sr, 4), 1, sr);
    std::vector<float> nan = music(3.0, sr, 5);
    nan[1000] = std::numeric_limits<float>::quiet_NaN();
    test::write_sound(audio + "/nan.wav", nan, 1, sr);
    testing_util::write_file(audio + "/broken.mp3", "this is not audio");
    testing_util::write_file(audio + "/notes.txt", "not an audio extension: never collected");
  }
  static void TearDownTestSuite() { tmp.reset(); }
  static PredictOptions opts() {
    PredictOptions o;
    o.model_dir = model;
    o.paths = {audio};
    o.device = "cpu";
    o.quiet = true;
    o.threads = 2;
    return o;
  }
};
std::unique_ptr<testing_util::TempDir> Library::tmp;
fs::path Library::root;
std::string Library::model, Library::audio;

TEST_F(Library, CollectsAudioRecursivelyByExtension) {
  const std::vector<std::string> f = collect_audio_files({audio, audio + "/missing.wav"});
  std::vector<std::string> names;
  for (const auto& p : f) names.push_back(fs::path(p).filename().string());
  EXPECT_EQ(names, (std::vector<std::string>{"a.wav", "broken.mp3", "nan.wav", "short.wav", "silent.wav", "b.flac",
                                             "c.WAV", "missing.wav"}));
}

TEST_F(Library, BadInputsGetAStatusNotAGenre) {
  Compute cpu = open_compute("cpu");
  TransferModel m = load_transfer_model(model, cpu);
  std::map<std::string, std::pair<TrackStatus, std::string>> got;
  LibraryOptions lo;
  lo.quiet = true;
  LibrarySummary s =
      run_library(m, cpu, collect_audio_files({audio, audio + "/missing.wav"}), lo, [&](const TrackResult& r) {
        got[fs::path(r.track.path).filename().string()] = {r.track.status, r.track.reason};
        EXPECT_EQ(r.probs.empty(), r.track.status != TrackStatus::Ok) << r.track.path;
      });
  EXPECT_EQ(got["a.wav"].first, TrackStatus::Ok);
  EXPECT_EQ(got["b.flac"].first, TrackStatus::Ok);
  EXPECT_EQ(got["c.WAV"].first, TrackStatus::Ok);
  EXPECT_EQ(got["silent.wav"].first, TrackStatus::Silent);
  EXPECT_EQ(got["short.wav"].first, TrackStatus::TooShort);
  EXPECT_NE(got["short.wav"].second.find("one window needs 43"), std::string::npos) << got["short.wav"].second;
  EXPECT_EQ(got["nan.wav"].first, TrackStatus::NonFinite);
  EXPECT_EQ(got["broken.mp3"].first, TrackStatus::Unreadable);
  EXPECT_EQ(got["missing.wav"].first, TrackStatus::Unreadable);
  EXPECT_NE(got["missing.wav"].second.find("missing.wav"), std::string::npos);
  EXPECT_EQ(s.ok, 3);
  EXPECT_EQ(s.failed, 5);
  EXPECT_EQ(s.by_status[int(TrackStatus::Silent)], 1);
}

TEST_F(Library, BatchingAcrossTracksGivesTheSingleTrackNumbers) {
  Compute cpu = open_compute("cpu");
  TransferModel m = load_transfer_model(model, cpu);
  const std::vector<std::string> files = {audio + "/a.wav", audio + "/sub/b.flac", audio + "/sub/deeper/c.WAV"};
  std::vector<std::vector<float>> together;
  LibraryOptions lo;
  lo.quiet = true;
  lo.batch = 100000;  // every window of the three tracks in one batch
  run_library(m, cpu, files, lo, [&](const TrackResult& r) { together.push_back(r.probs); });
  ASSERT_EQ(together.size(), 3u);
  for (size_t i = 0; i < files.size(); ++i) {
    const Prediction p = predict_file(m, cpu, files[i], m.eval_hop);
    ASSERT_EQ(p.probs.size(), together[i].size());
    for (size_t k = 0; k < p.probs.size(); ++k) EXPECT_NEAR(p.probs[k], together[i][k], 1e-6) << files[i] << " " << k;
  }
  EXPECT_THROW(predict_file(m, cpu, audio + "/silent.wav", 10), FormatError);
  EXPECT_THROW(predict_file(m, cpu, audio + "/short.wav", 10), UsageError);
  EXPECT_THROW(predict_file(m, cpu, audio + "/gone.wav", 10), IOError);
}

TEST_F(Library, CsvJsonlAndSubmissionResume) {
  PredictOptions o = opts();
  o.csv = (root / "out.csv").string();
  o.jsonl = (root / "out.jsonl").string();
  o.submission = (root / "submission.csv").string();
  o.paths = {audio + "/a.wav", audio + "/silent.wav"};
  std::FILE* devnull = std::fopen("/dev/null", "w");
  LibrarySummary s1 = run_predict(o, devnull);
  EXPECT_EQ(s1.ok, 1);
  EXPECT_EQ(s1.failed, 1);
  // Without --resume an existing output is refused, and left as it was.
  const std::string before = read_file_bytes(o.csv);
  EXPECT_THROW(run_predict(o, devnull), UsageError);
  EXPECT_EQ(read_file_bytes(o.csv), before);
  // An interrupted run's partial last row is dropped and redone; rows already there are skipped.
  {
    std::FILE* f = std::fopen(o.csv.c_str(), "ab");
    std::fputs("/half/written.wav,ok,Ro", f);
    std::fclose(f);
  }
  o.resume = true;
  o.paths = {audio};
  LibrarySummary s2 = run_predict(o, devnull);
  std::fclose(devnull);
  EXPECT_EQ(s2.resumed, 1);  // a.wav is in all three; silent.wav is not in the submission, so it is redone
  EXPECT_EQ(s2.tracks, 6);
  const std::vector<CsvRecord> rows = read_csv_file(o.csv);
  ASSERT_EQ(rows.size(), 1u + 7u);  // header; a.wav, silent.wav from the first run; the other five
  EXPECT_EQ(rows[0].fields[0], "path");
  EXPECT_EQ(rows[0].fields[5], "Blues");
  EXPECT_EQ(rows[0].fields.back(), "reason");
  int silent_rows = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    check_csv_width(rows[i], rows[0].fields.size(), o.csv);
    const auto& r = rows[i].fields;
    if (r[1] == "ok") {
      double sum = 0;
      for (size_t k = 5; k < 21; ++k) sum += std::stod(r[k]);
      EXPECT_NEAR(sum, 1.0, 1e-5) << r[0];
      EXPECT_FALSE(r[2].empty());
    } else {
      EXPECT_TRUE(r[2].empty()) << r[0] << " has a genre with status " << r[1];
      EXPECT_FALSE(r.back().empty());
    }
    silent_rows += r[1] == "silent";
  }
  EXPECT_EQ(silent_rows, 1);  // csv and jsonl already had it: written there once
  const std::vector<CsvRecord> sub = read_csv_file(o.submission);
  ASSERT_EQ(sub.size(), 1u + 3u);  // a, b, c: the predicted tracks
  EXPECT_EQ(csv_row(sub[0].fields),
            "file_id,Blues,Classical,Country,Easy Listening,Electronic,Experimental,Folk,Hip-Hop,Instrumental,"
            "International,Jazz,Old-Time / Historic,Pop,Rock,Soul-RnB,Spoken\n");
  EXPECT_EQ(sub[1].fields[0], "a");
  EXPECT_EQ(read_file_bytes(o.csv).find("/half/written.wav"), std::string::npos);
}

TEST_F(Library, SubmissionColumnsFollowNamesNotPositions) {
  std::vector<std::string> names = top_genre_names();
  std::swap(names[0], names[15]);
  const std::vector<int> cols = submission_columns(names, 16);
  EXPECT_EQ(cols[0], 15);
  EXPECT_EQ(cols[15], 0);
  EXPECT_EQ(cols[1], 1);
  names[3] = "Polka";
  EXPECT_THROW(submission_columns(names, 16), UsageError);
  EXPECT_EQ(submission_file_id("/x/fma_test/000/000123.mp3"), "000123");
}

TEST_F(Library, EmbeddingsAreTheModelsFeatures) {
  Compute cpu = open_compute("cpu");
  TransferModel m = load_transfer_model(model, cpu);
  EmbedOptions eo;
  eo.model_dir = model;
  eo.paths = {audio + "/a.wav", audio + "/silent.wav", audio + "/sub"};
  eo.out = (root / "emb.safetensors").string();
  eo.windows = true;
  eo.device = "cpu";
  eo.quiet = true;
  EmbedSummary s = run_embed(eo);
  EXPECT_EQ(s.embedded, 3);
  EXPECT_EQ(s.failed, 1);
  SafetensorsFile f = SafetensorsFile::open(eo.out);
  const std::vector<std::string> paths =
      nlohmann::json::parse(f.metadata().at("paths")).get<std::vector<std::string>>();
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_EQ(fs::path(paths[0]).filename(), "a.wav");
  const nlohmann::json nets = nlohmann::json::parse(f.metadata().at("nets"));
  ASSERT_EQ(nets.size(), 2u);
  EXPECT_EQ(nets[1]["name"], "stn-s");
  EXPECT_NE(f.metadata().at("skipped").find("silent.wav"), std::string::npos);
  const int64_t D = m.feature_dim;
  StView feat = f.get("features"), wf = f.get("window_features"), wt = f.get("window_track"), f1 = f.get("features.1");
  ASSERT_EQ(feat.shape, (std::vector<int64_t>{3, D}));
  ASSERT_EQ(f1.shape, (std::vector<int64_t>{3, D / 2}));
  // Each track's window features are transfer_features of its windows, as evaluate and transfer compute them.
  const float* fv = static_cast<const float*>(feat.data);
  const float* wv = static_cast<const float*>(wf.data);
  const int64_t* tv = static_cast<const int64_t*>(wt.data);
  int64_t w0 = 0;
  for (size_t i = 0; i < paths.size(); ++i) {
    const DecodedTrack t = decode_track(m, paths[i], m.eval_hop);
    const int M = m.mel.n_mels, F = m.frames;
    const std::vector<float> ref = transfer_features(
        m, cpu, int64_t(t.starts.size()),
        [&](int64_t i0, int n, float* x) {
      for (int j = 0; j < n; ++j)
        for (int fr = 0; fr < F; ++fr)
          for (int b = 0; b < M; ++b)
            x[size_t(j) * M * F + size_t(b) * F + fr] = t.z[size_t(t.starts[size_t(i0 + j)] + fr) * M + b];
        },
        true);
    std::vector<double> mean(size_t(D), 0.0);
    for (size_t j = 0; j < t.starts.size(); ++j, ++w0) {
      ASSERT_EQ(tv[w0], int64_t(i));
      for (int64_t d = 0; d < D; ++d) {
        EXPECT_NEAR(wv[w0 * D + d], ref[j * size_t(D) + size_t(d)], 1e-5)
            << paths[i] << " window " << j << " dim " << d;
        mean[size_t(d)] += ref[j * size_t(D) + size_t(d)] / double(t.starts.size());
      }
    }
    for (int64_t d = 0; d < D; ++d) {
      EXPECT_NEAR(fv[int64_t(i) * D + d], mean[size_t(d)], 1e-5) << paths[i] << " dim " << d;
      if (d >= D / 2) {
        EXPECT_EQ(static_cast<const float*>(f1.data)[int64_t(i) * (D / 2) + d - D / 2], fv[int64_t(i) * D + d]);
      }
    }
  }
  EXPECT_EQ(w0, wf.shape[0]);
  // .npy + sidecar, and CSV with net-named columns.
  eo.out = (root / "emb.npy").string();
  eo.windows = false;
  run_embed(eo);
  NpyArray a = read_npy(eo.out);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3, D}));
  EXPECT_EQ(a.as<float>()[5], fv[5]);
  EXPECT_TRUE(fs::exists(eo.out + ".json"));
  eo.out = (root / "emb.csv").string();
  run_embed(eo);
  const std::vector<CsvRecord> rows = read_csv_file(eo.out);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].fields[1], "stn-g.0");
  EXPECT_EQ(rows[0].fields.size(), size_t(1 + D));
  EXPECT_FLOAT_EQ(std::stof(rows[1].fields[1]), fv[0]);
  eo.out = (root / "emb.parquet").string();
  EXPECT_THROW(run_embed(eo), UsageError);
}

}  // namespace
}  // namespace agf
