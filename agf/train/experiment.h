// `agf experiment`: the paper's grid (Tables 3-5) over one work folder. STN cases share their single-task
// nets (each trained once, then only the MLP is trained per combination); each MTN case trains its own
// MTN; wSTN-N trains a genre net as large as the N-task MTN. Finished cases are read from results.csv
// and skipped, and nets resume from their checkpoints, so an interrupted grid picks up where it stopped.
//
// OUT (default WORK/experiment): nets/<net>/ (agf train runs), cases/<case>/ (agf transfer folders),
// results.csv, results.md (Tables 4, 3, 5 and per-N averages), report.html (self-contained).
//
// Several seeds (seeds with two or more values): OUT (default WORK/experiment-seeds) holds one such one-seed
// folder per seed, OUT/seed-S/, each resumable as above (finished (case, seed) pairs are skipped, nets
// resume), and the summary over seeds: seeds.json, summary.csv, results.md, report.html (seeds.h). The
// seeds vary the training randomness only; corpus, split and factors are the work folder's.
//
// float32 results differ across CPUs (the vector width and instruction set change the order of
// summation) and between CPU and GPU; a run resumes bit-identically only on the same machine and build.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "agf/train/grid.h"
#include "layers/paper.h"

namespace agf {

struct ExperimentOptions {
  std::string work_dir, out_dir;
  bool quick = false;              // the reduced grid (quick_grid) with short schedules
  std::vector<std::string> cases;  // run only these cases (names as in results.csv); empty: the grid
  int stn_epochs = 0, mtn_epochs = 0, mlp_epochs = 0;  // 0: paper (200, 1000, 50) or quick (see .cpp)
  // The paper's MTN budget has two readings: "1000 epochs for an MTN" (mtn_epochs, the same for every N:
  // the grid's default, the number the paper states and ran) and "multiply the single-task epochs by the
  // number of tasks" (mtn_epochs_per_task > 0: an N-task MTN trains this x N epochs, e.g. 200 -> 400..1000,
  // so each branch gets about as many epochs as an STN; both agree at N = 5). Exclusive with mtn_epochs.
  int mtn_epochs_per_task = 0;
  // Transfer MLP epoch: crops | windows (transfer.h). "": crops for the paper's grid (the paper's random
  // 1-s crops), windows for --quick (see kQuickMlpEpoch in the .cpp).
  std::string mlp_epoch;
  // How the work folder's factors must have been fitted (agf factors --factors-from): "all" (every track,
  // the paper's protocol) or "train" (training tracks only); checked against WORK/factors/<k>.safetensors.
  std::string factors_from = "all";
  int batch = paper::kBatch, eval_hop = paper::kEvalHop, train_hop = paper::kFrames;
  // Batch-norm running-statistics momentum of the nets (0: the paper's 0.01; quick 0.1, because a
  // small corpus gives a few steps per epoch and 0.01 leaves the statistics far from converged).
  double bn_momentum = 0;
  // Epochs between a net's validation losses (train.jsonl, the report's curves; they never steer training).
  // 0: every epoch for the paper's grid, every 5th (and the last) for --quick, where validating every epoch was
  // a tenth of an STN's training time and a sixth of a five-task MTN's on 2 CPU cores.
  int val_every = 0;
  uint64_t seed = 1;
  // Several seeds: every case under each (the layout above). Empty or one value: the one-seed layout with
  // that seed (or `seed`), exactly as without. Values must be distinct.
  std::vector<uint64_t> seeds;
  // How to run more seeds, for the one-seed finding ("agf demo --seeds 1,2,3").
  std::string rerun_hint = "agf experiment --seeds 1,2,3 (with the same options)";
  std::string device = "auto";
  bool quiet = false;
  // Temperature scaling per case (TransferOptions::calibrate): results.csv gains the calibrated log loss
  // and the ECE before and after, the report a reliability diagram of the best calibrated case.
  bool calibrate = false;
  double calibrate_fraction = 0.1;
  // Several processes on one OUT (issue 15; workers.h). worker_id non-empty: this process is one of several
  // sharing OUT (a worker of --workers / --devices): it claims nets and cases through lock files (nets/<net>.lock,
  // cases/<case>.lock), waits for nets another process is training, and rewrites the merged results.md /
  // report.html after every case. --shard I/N (shard_count > 1) does the same over a deterministic,
  // cost-balanced share of the cases (the nets they need are trained by whichever process reaches them first).
  std::string worker_id;
  int shard_index = 0, shard_count = 1;
};

struct ExperimentSummary {
  std::vector<CaseResult> results;  // every finished case in results.csv
  int ran = 0, skipped = 0;
  double seconds = 0;
  double baseline_log_loss = 0, baseline_f1 = 0, baseline_accuracy = 0;
  std::string out_dir, results_csv, results_md, report_html;
  std::string protocol;  // one paragraph: factors' tracks, MTN budget, MLP epoch, streams (also in results.md)
  // Table 4 as printed by the commands: table4_markdown of results for one seed; mean ± std for several.
  std::string table4;
  // One sentence on the first of seeds.h's comparison pairs present (also in results.md); "" when none.
  std::string finding;
  std::vector<uint64_t> seeds;  // several seeds: those in OUT/seeds.json (results then holds per-case means)
};

ExperimentSummary run_experiment(const ExperimentOptions& opt);

// The grid's cases (of every seed) that OUT holds no result for, as "stn-gs" or "stn-gs (seed 2)": what
// `agf experiment --collect` reports as missing.
std::vector<std::string> missing_experiment_cases(const ExperimentOptions& opt);

// Rewrites OUT/results.md and OUT/report.html from what OUT holds (also done at the end of a run); for a
// several-seed folder (OUT/seeds.json) each seed's and the summary over seeds. rerun_hint as in the options.
void write_experiment_report(const std::string& work_dir, const std::string& out_dir, ExperimentSummary* s,
                             const std::string& rerun_hint = ExperimentOptions().rerun_hint);

// The options with every default filled in and checked (schedules, MLP epoch, out_dir, the factors' protocol
// against WORK's factor files); the grid the options ask for (the cases, or quick/paper) in *grid.
ExperimentOptions normalise_experiment(const ExperimentOptions& in, std::vector<GridCase>* grid);
// The epochs of the net a case trains (its own MTN or wSTN, or each of its STNs), from normalised options.
int case_net_epochs(const ExperimentOptions& normalised, const GridCase& c);

// The default OUT: WORK/experiment for one seed, WORK/experiment-seeds for several.
std::string default_experiment_out(const std::string& work_dir, size_t n_seeds);

}  // namespace agf
