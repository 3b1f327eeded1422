// `agf prepare` end to end on a small synthetic FMA corpus: the store holds the CPU mel of every
// track (mel.cpp is checked against librosa in tests/audio), mean/std over the training split
// (recomputed here independently), the skip report for broken files, the failure threshold, and
// resumption that keeps finished parts untouched.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "agf/audio/decode.h"
#include "agf/audio/mel.h"
#include "agf/data/fma.h"
#include "agf/data/melstore.h"
#include "agf/data/prepare.h"
#include "agf/data/split.h"
#include "agf/data/synth.h"
#include "util/error.h"
#include "util/half.h"
#include "engine/device.h"
#include "tests/test_util.h"

namespace agf {
namespace {
namespace fs = std::filesystem;

struct Corpus {
  testing_util::TempDir tmp;
  fs::path root;
  std::string meta, audio;
  explicit Corpus(const std::string& n) : tmp("prepare_" + n), root(tmp.path()) {
    SynthOptions o;
    o.out_dir = root.string();
    o.seed = 5;
    o.preset = "easy";
    o.genres = 2;
    o.artists = 2;
    o.tracks_per_artist = 3;
    o.seconds = 2.0;
    o.threads = 2;
    o.quiet = true;
    synth_corpus(o);
    meta = (root / "fma_metadata").string();
    audio = (root / "fma_audio").string();
  }
  PrepareOptions options(const std::string& work) const {
    PrepareOptions p;
    p.metadata_dir = meta;
    p.audio_dir = audio;
    p.subset = "large";
    p.work_dir = (root / work).string();
    p.threads = 2;
    p.chunk_tracks = 4;
    p.device = "cpu";
    p.quiet = true;
    return p;
  }
};

TEST(Prepare, StoreHoldsEveryTracksMelAndTrainingStatistics) {
  Corpus c("ok");
  PrepareOptions o = c.options("work");
  ASSERT_EQ(run_prepare(o), 0);
  FmaMetadata meta = load_fma_metadata(c.meta);
  std::vector<const Track*> tracks = select_subset(meta, "large");
  MelStore s = MelStore::open(o.work_dir);
  EXPECT_EQ(s.num_tracks(), int64_t(tracks.size()));
  EXPECT_EQ(s.n_mels(), 128);
  EXPECT_NE(s.params_json().find("\"n_fft\":1024"), std::string::npos) << s.params_json();
  Split split = load_split(o.work_dir + "/split.json");
  std::set<int64_t> train(split.train.begin(), split.train.end());
  ASSERT_FALSE(train.empty());
  std::vector<double> sum(128, 0), sum2(128, 0);
  int64_t n = 0;
  for (const Track* t : tracks) {
    const int64_t i = s.index_of(t->id);
    ASSERT_GE(i, 0) << t->id;
    std::vector<float> y = load_audio(find_audio_path(c.audio, t->id), 22050);
    int frames = 0;
    std::vector<float> ref = mel_spectrogram(y, MelParams{}, &frames);  // (128, frames)
    ASSERT_EQ(s.frames(i), frames);
    std::vector<float> raw(size_t(frames) * 128);
    s.raw_frames(i, 0, frames, raw.data());
    for (int f = 0; f < frames; ++f)
      for (int m = 0; m < 128; ++m) {
        const float want = half_to_float(float_to_half(ref[size_t(m) * frames + f]));
        ASSERT_EQ(raw[size_t(f) * 128 + m], want) << "track " << t->id << " frame " << f << " bin " << m;
        if (train.count(t->id)) {
          sum[m] += want;
          sum2[m] += double(want) * want;
        }
      }
    if (train.count(t->id)) n += frames;
  }
  for (int m = 0; m < 128; ++m) {
    const double mean = sum[m] / n, sd = std::sqrt(sum2[m] / n - mean * mean);
    EXPECT_NEAR(s.mean()[m], mean, 1e-3) << m;
    EXPECT_NEAR(s.stdev()[m], sd, 1e-3) << m;
  }
  // A standardised segment has the store's own mean/std applied.
  std::vector<float> seg(128 * 43);
  s.segment(0, 0, 43, seg.data());
  std::vector<float> raw(43 * 128);
  s.raw_frames(0, 0, 43, raw.data());
  EXPECT_NEAR(seg[5 * 43 + 7], (raw[7 * 128 + 5] - s.mean()[5]) / s.stdev()[5], 1e-5);
  EXPECT_TRUE(fs::exists(o.work_dir + "/dataset.json"));
  EXPECT_EQ(read_file_bytes(o.work_dir + "/prepare_skips.tsv"), "track_id\tpath\treason\n");
}

TEST(Prepare, BrokenFilesAreSkippedReportedAndCounted) {
  Corpus c("bad");
  FmaMetadata meta = load_fma_metadata(c.meta);
  std::vector<const Track*> tracks = select_subset(meta, "large");
  ASSERT_GE(tracks.size(), 6u);
  const int64_t text_id = tracks[0]->id, short_id = tracks[1]->id, missing_id = tracks[2]->id;
  { std::ofstream(find_audio_path(c.audio, text_id)) << "not audio at all\n"; }
  fs::resize_file(find_audio_path(c.audio, short_id), 44 + 2 * 1000);  // 1000 samples: < 43 frames
  fs::remove(find_audio_path(c.audio, missing_id));
  PrepareOptions o = c.options("work");
  EXPECT_EQ(run_prepare(o), 3);  // 3 of ~12 failed: more than 1 %
  MelStore s = MelStore::open(o.work_dir);
  EXPECT_EQ(s.num_tracks(), int64_t(tracks.size()) - 3);
  EXPECT_EQ(s.index_of(text_id), -1);
  std::string rep = read_file_bytes(o.work_dir + "/prepare_skips.tsv");
  EXPECT_NE(rep.find(std::to_string(text_id) + "\t"), std::string::npos) << rep;
  EXPECT_NE(rep.find("too short"), std::string::npos) << rep;
  EXPECT_NE(rep.find("missing audio file"), std::string::npos) << rep;
  // The same failures are accepted under a looser threshold (parts are reused: same result).
  o.max_fail_fraction = 0.5;
  EXPECT_EQ(run_prepare(o), 0);
}

TEST(Prepare, ResumeKeepsFinishedPartsAndRejectsOtherParameters) {
  Corpus c("resume");
  PrepareOptions o = c.options("work");
  ASSERT_EQ(run_prepare(o), 0);
  const std::string store = read_file_bytes(melstore_path(o.work_dir));
  const fs::path p0 = fs::path(o.work_dir) / "mel_parts" / "part_00000.safetensors";
  const fs::path p1 = fs::path(o.work_dir) / "mel_parts" / "part_00001.safetensors";
  ASSERT_TRUE(fs::exists(p0) && fs::exists(p1));
  // Simulate an interruption: part 1 and the store never written; part 0 must not be rewritten.
  const auto t0 = fs::last_write_time(p0);
  const std::string b0 = read_file_bytes(p0);
  fs::remove(p1);
  fs::remove(melstore_path(o.work_dir));
  ASSERT_EQ(run_prepare(o), 0);
  EXPECT_EQ(fs::last_write_time(p0), t0);
  EXPECT_EQ(read_file_bytes(p0), b0);
  EXPECT_TRUE(fs::exists(p1));
  EXPECT_EQ(read_file_bytes(melstore_path(o.work_dir)), store);  // bit-identical store after resuming
  PrepareOptions other = o;
  other.mel.n_mels = 64;
  EXPECT_THROW(run_prepare(other), UsageError);
  PrepareOptions bad = o;
  bad.device = "tpu";
  EXPECT_THROW(run_prepare(bad), UsageError);
  if (cuda_devices() == 0) {  // --device cuda without a device: an error naming the command, not a CPU run
    bad.device = "cuda";
    try {
      run_prepare(bad);
      ADD_FAILURE() << "prepare --device cuda ran without a CUDA device";
    } catch (const DeviceError& e) {
      EXPECT_NE(std::string(e.what()).find("prepare: --device cuda"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace agf
