// `agf experiment --workers N` and `--devices 0,1,...|all` (issue 15 §1): the grid's independent cases run
// concurrently in N worker processes on one node, each an `agf experiment --worker-id wK` on the same OUT
// (experiment.h: jobs claimed through lock files, shared nets trained once, merged results.csv/results.md/
// report.html), so that a worker that dies leaves its net or case resumable by another or by a rerun.
//
// --devices binds worker K to GPU devices[K] (CUDA_VISIBLE_DEVICES, --device cuda); --workers runs N
// workers on the given --device (the CPU by default on a machine without a GPU). Each worker gets
// OMP_NUM_THREADS = cores / N unless the environment sets OMP_NUM_THREADS. A worker's output goes to
// OUT/logs/<id>.log; the parent prints the merged progress (cases finished, rate, ETA, what each worker does).
// SIGTERM/SIGINT to the parent are passed on to the workers (each checkpoints at its step boundary), and the
// parent then exits 75 (resumable) like a single process.
#pragma once
#include <string>
#include <vector>

#include "agf/train/experiment.h"

namespace agf {

struct WorkersOptions {
  // The command line of a worker after the program name (`experiment --work ...`), without --workers,
  // --devices or (with devices) --device; each worker gets `--worker-id wK` (and `--device cuda`) appended.
  std::vector<std::string> child_args;
  std::string program = "/proc/self/exe";
  int workers = 0;                   // --workers N (> 0), or
  std::vector<std::string> devices;  // --devices: CUDA device ordinals, one worker each
  double status_every_s = 30;        // a progress line at least this often (and whenever a worker's job changes)
};

// Parses --devices: "all" (every CUDA device; a DeviceError without one) or "0,1,3" (distinct ordinals).
std::vector<std::string> parse_devices(const std::string& spec);

// Runs the workers to the end and returns the merged summary (as run_experiment's). Throws Interrupted when
// stopped by a signal (the workers checkpointed), or Error naming each failed worker's log and its last lines
// (the other workers finish their jobs first; finished cases stay in results.csv).
ExperimentSummary run_experiment_workers(const ExperimentOptions& opt, const WorkersOptions& w);

}  // namespace agf
