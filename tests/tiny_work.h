// A tiny synthetic work folder for end-to-end tests: an FMA-layout corpus (4 genres x 2 artists x N tracks of
// 3 s) made by agf synth, prepared into a mel store, with factor s (no audio features needed). Shared by
// tests/train (pipeline, protocol) and tests/cuda (agf train on CUDA).
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "agf/data/prepare.h"
#include "agf/data/synth.h"
#include "agf/factors/factors.h"
#include "agf/train/trainer.h"

namespace agf::testing_util {

// Writes ROOT/corpus and ROOT/work; returns the work folder. Fails the calling test on a prepare error.
inline std::string make_tiny_work(const std::string& root, uint64_t seed, int tracks_per_artist) {
  const std::string corpus = root + "/corpus", work = root + "/work";
  SynthOptions so;
  so.out_dir = corpus;
  so.seed = seed;
  so.preset = "easy";  // 4 x 2 artists x N tracks, genres apart
  so.genres = 4;
  so.artists = 2;
  so.tracks_per_artist = tracks_per_artist;
  so.seconds = 3.0;
  so.quiet = true;
  synth_corpus(so);
  PrepareOptions po;
  po.metadata_dir = corpus + "/fma_metadata";
  po.audio_dir = corpus + "/fma_audio";
  po.work_dir = work;
  po.subset = "all";
  po.device = "cpu";
  po.quiet = true;
  EXPECT_EQ(run_prepare(po), 0);
  FactorsOptions fo;
  fo.work_dir = work;
  fo.kinds = "s";
  fo.topics = 4;
  fo.verbose = false;
  compute_factors(fo);
  return work;
}

// Options of a small CPU training run in that work folder (batch 8, quiet), RUN_DIR its run folder.
inline TrainOptions tiny_train_options(const std::string& work, const std::string& run_dir, const std::string& arch,
                                       const std::string& tasks, int epochs) {
  TrainOptions o;
  o.work_dir = work;
  o.run_dir = run_dir;
  o.arch = parse_arch(arch);
  o.tasks = tasks;
  o.epochs = epochs;
  o.batch = 8;
  o.device = "cpu";
  o.quiet = true;
  return o;
}

}  // namespace agf::testing_util
