// One epoch of a net's training, planned before it runs: per step, the task and the tracks with each
// track's crop. Pure (no I/O, no state): every choice is Philox keyed by the net's stream and the epoch's
// number (agf/train/rng.h), so --resume redraws an interrupted epoch's plan exactly, on any device.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>
#include "layers/paper.h"

namespace agf {

struct PlannedBatch {
  int task = 0;                 // index into the net's tasks
  std::vector<int64_t> tracks;  // store indices
  std::vector<int> crops;       // first frame of each track's window
};

struct EpochPlanInputs {
  uint64_t stream_seed = 0;  // the net's streams (net_stream_seed, or --seed with --shared-streams)
  int epoch = 0;             // 0-based
  int batch = paper::kBatch;
  int frames = paper::kFrames;                 // window length
  std::string task_draw = "epoch";             // MTN: one task per epoch (the authors' code) or one per batch
  std::vector<std::vector<int64_t>> eligible;  // per task: the training tracks that have its target
  size_t train_tracks = 0;                     // all training tracks: a per-batch draw takes this / batch steps
};

// The epoch's batches. A per-epoch draw shuffles that task's tracks into batches of `batch` (a last batch
// of one is dropped: batch norm needs two samples); a per-batch draw takes ceil(train_tracks / batch)
// steps, each with its own task and `batch` tracks from that task's shuffled queue (cycling). A track's
// crop is uniform over its full windows and the same for the whole epoch. frames_of(track) is the
// track's length in frames (>= frames).
std::vector<PlannedBatch> plan_epoch(const EpochPlanInputs& in, const std::function<int64_t(int64_t)>& frames_of);

}  // namespace agf
