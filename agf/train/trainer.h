// `agf train`: one STN, MTN or wSTN on the work folder's mel store (paper §3-4). Each epoch takes one
// random 43-frame crop of every training track, shuffled, in batches of 64; Adam 1e-3 with L2 1e-5 on
// the conv and dense kernels. MTN: one task drawn per epoch with equal probabilities (the authors'
// code), or per batch. Every random choice (init, shuffles, crops, task draws, dropout masks) is a
// Philox stream of (seed, case, epoch, ...) (rng.h net_stream_seed: two nets of different cases are
// independent, one case and seed is reproducible), so the RNG state is the seed plus the position, and a run
// resumed from a checkpoint ends bit-identical (CPU) to one that was never interrupted.
//
// RUN folder: checkpoint.safetensors (parameters with BN statistics, Adam moments, step, epoch, seed,
// full configuration; rewritten atomically every --checkpoint-every epochs), train.jsonl (one record
// per epoch: loss per task on train and validation), config.json, and model.safetensors when done.
//
// Preemption (issue 15, util/interrupt.h): on SIGTERM or SIGINT the step in flight finishes, the
// checkpoint is written at that step boundary with the position inside the epoch (batches done, the epoch's
// loss sums so far), and run_train throws Interrupted (the CLI's exit status 75). --resume continues at that
// batch, and the run ends bit-identical (CPU) to one that was never interrupted.
#pragma once
#include <cstdint>
#include <set>
#include <string>

#include <nlohmann/json.hpp>
#include "layers/nets.h"  // Arch
#include "layers/paper.h"

namespace agf {

struct TrainOptions {
  std::string work_dir, run_dir;  // run_dir "" = WORK/runs/<arch>-<tasks> (wstn-N)
  Arch arch = Arch::stn;          // stn | mtn | wstn
  std::string tasks = "g";        // stn: one letter; mtn: two or more; wstn: g (trained on genre)
  int match = 0;                  // wstn: parameter count of the MTN with this many tasks (0: 5)
  int epochs = 0;                 // 0: the paper's (stn/wstn 200, mtn 1000)
  int batch = paper::kBatch;
  int frames = paper::kFrames;  // crop length (1 s)
  float lr = 1e-3f, l2 = 1e-5f;
  double bn_momentum = paper::kBnMomentum;  // running statistics: r = (1 - m) r + m batch (Keras momentum 0.99)
  uint64_t seed = 1;
  // false: every random stream is keyed by (seed, case): nets of one seed are independent (issue 12).
  // true: keyed by the seed alone, the pre-issue-12 behaviour: every net of one seed starts from the same
  // trunk weights with the same shuffles, crops and dropout masks (an ablation: nets that differ only in
  // their targets).
  bool shared_streams = false;
  std::string task_draw = "epoch";  // mtn: epoch | batch
  std::string device = "auto";
  bool graph = true;  // record the step once per task and replay it (CUDA graph / CPU kernel list; --no-graph: eager)
  int checkpoint_every = 1;  // epochs between checkpoints (and always at the end)
  int val_every = 1;         // epochs between validation losses (0: never)
  int max_bad_steps = 5;     // stop after this many non-finite steps in a row
  bool resume = false;       // continue from RUN/checkpoint.safetensors
  bool quiet = false;
  // For tests and drills: return as if interrupted after this many epochs of this invocation (0: off),
  // and poison the input batch with a NaN at these global step numbers.
  int stop_after = 0;
  std::set<int64_t> nan_steps;
  // Drill (agf train --drill-wait-at-step N): when global step N begins, write RUN/drill-waiting (holding N)
  // and wait, up to 120 s, for a stop request, so that a test can send a real SIGTERM to a known step in
  // flight, mid-epoch; the step then finishes and the run stops before step N + 1. -1: off.
  int64_t drill_wait_at_step = -1;
};

struct TrainSummary {
  std::string run_dir, model_path;
  int epochs_done = 0, epochs = 0;
  int64_t steps = 0, skipped_steps = 0;
  double seconds = 0;
  bool finished = false;          // all epochs done and model.safetensors written
  bool already_finished = false;  // --resume found a finished run and did nothing
  nlohmann::json last_record;     // the last train.jsonl record
};

// The run folder a case trains in by default: WORK/runs/<name>.
std::string default_run_dir(const std::string& work_dir, Arch arch, const std::string& tasks, int match);
// Trains (or resumes) one net. Throws UsageError for bad options or a RUN that holds another run,
// NumericError when max_bad_steps non-finite steps come in a row (the last good checkpoint is kept),
// Interrupted after writing a mid-epoch checkpoint when a stop was requested (interrupt.h).
TrainSummary run_train(const TrainOptions& opt);

}  // namespace agf
