// `agf experiment`: the paper's grid (Tables 3-5) over one work folder. STN cases share their single-task
// nets (each trained once, then only the MLP is trained per combination); each MTN case trains its own
// MTN; wSTN-N trains a genre net as large as the N-task MTN. Finished cases are read from results.csv
// and skipped, and nets resume from their checkpoints, so an interrupted grid picks up where it stopped.
//
// OUT (default WORK/experiment): nets/<net>/ (agf train runs), cases/<case>/ (agf transfer folders),
// results.csv, results.md (Tables 4, 3, 5 and per-N averages), report.html (self-contained).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "agf/train/grid.h"

namespace agf {

struct ExperimentOptions {
  std::string work_dir, out_dir;
  bool quick = false;               // the reduced grid (quick_grid) with short schedules
  std::vector<std::string> cases;   // run only these cases (names as in results.csv); empty: the grid
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
  int batch = 64, eval_hop = 10, train_hop = 43;
  // Batch-norm running-statistics momentum of the nets (0: the paper's 0.01; quick 0.1, because a
  // small corpus gives a few steps per epoch and 0.01 leaves the statistics far from converged).
  double bn_momentum = 0;
  uint64_t seed = 1;
  std::string device = "auto";
  bool quiet = false;
  // Temperature scaling per case (TransferOptions::calibrate): results.csv gains the calibrated log loss
  // and the ECE before and after, the report a reliability diagram of the best calibrated case.
  bool calibrate = false;
  double calibrate_fraction = 0.1;
};

struct ExperimentSummary {
  std::vector<CaseResult> results;  // every finished case in results.csv
  int ran = 0, skipped = 0;
  double seconds = 0;
  double baseline_log_loss = 0, baseline_f1 = 0, baseline_accuracy = 0;
  std::string out_dir, results_csv, results_md, report_html;
  std::string protocol;  // one paragraph: factors' tracks, MTN budget, MLP epoch, streams (also in results.md)
};

ExperimentSummary run_experiment(const ExperimentOptions& opt);

// Rewrites OUT/results.md and OUT/report.html from what OUT holds (also done at the end of a run).
void write_experiment_report(const std::string& work_dir, const std::string& out_dir, ExperimentSummary* s);

}  // namespace agf
