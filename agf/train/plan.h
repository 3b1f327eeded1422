// `agf experiment --plan` (issue 15 §2): what a grid will cost before it is submitted. Per job (a net, or a
// case's transfer MLP) its dependencies, epochs, training steps and forward passes, counted as trainer.cpp and
// transfer.cpp count them, and seconds = steps x a measured step time + forwards x a measured forward time;
// totals, and the wall time of a list schedule on W devices beside the lower bound max(total / W, longest
// chain). The times come from plan_calibrate: a few steps of every net shape the grid uses on random inputs,
// on one device. The plan is arithmetic over that calibration, not a measurement of the grid; it leaves out
// data loading, checkpoint writes and feature-cache I/O.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agf/train/experiment.h"
#include "layers/nets.h"

namespace agf {

// The track counts a plan is made for: the work folder's (plan_work_corpus) or the paper's protocol on
// fma_medium (plan_fma_medium_corpus).
struct PlanCorpus {
  std::string source;        // one line: where the counts come from
  int64_t train_tracks = 0;  // training tracks with a genre label: the MLP's tracks (and the g net's)
  int64_t valid_tracks = 0;  // validation tracks with a genre label: the MLP's evaluation tracks
  // Tracks with a target per task letter (a net's eligible training tracks and its validation tracks);
  // a letter absent here has train_tracks / valid_tracks.
  std::map<char, int64_t> train_targets, valid_targets;
  int64_t train_windows = 0;       // windows of the training tracks at train_hop (--mlp-epoch windows)
  int64_t train_eval_windows = 0;  // windows of the training tracks at eval_hop (--calibrate's held-out part)
  int64_t eval_windows = 0;        // windows of the validation tracks at eval_hop (evaluation)
  int frames_per_track = 0;        // when every track has the same length (fma_medium's 30-s clips); else 0
  int topics = 40;                 // outputs of a factor task (the factors' LDA topics)
};

// Windows of one track of `frames` frames, as track_windows (session.h) makes them: 0 when shorter than one.
int64_t plan_track_windows(int frames, int window, int hop);
// fma_medium under the paper's protocol: a stratified 85/15 split of 25,000 tracks (21,250 / 3,750), every
// track a 30-s clip of 1 + floor(30 x 22,050 / 512) = 1,292 frames, every track with a genre and every
// factor target (factors fitted on all tracks).
PlanCorpus plan_fma_medium_corpus(int train_hop, int eval_hop, int64_t train_tracks = 21250,
                                  int64_t valid_tracks = 3750, int frames_per_track = 1292);
// The work folder's counts (load_work: split.json, the mel store, the labels and the factor targets of `tasks`).
PlanCorpus plan_work_corpus(const std::string& work_dir, const std::string& tasks, int train_hop, int eval_hop);
// --plan-train-tracks / --plan-valid-tracks (0: keep): sets the counts; window and target counts scale with them.
void plan_override_tracks(PlanCorpus* c, int64_t train_tracks, int64_t valid_tracks);

// One measured time: seconds per unit (a training step at the grid's batch, or one window's forward pass: the
// median over the timed steps or batches) and how many units (steps, or windows) were timed.
struct PlanTiming {
  double seconds = 0;
  int64_t timed = 0;
};
struct PlanCalibration {
  std::string device;  // what it ran on, in words ("CPU (2 threads), AMD EPYC ..., avx512 kernels")
  int batch = 64;
  // Training step (forward, backward, Adam, as the trainer's full batches: the recorded step replayed) per
  // shape: "stn", "mtn-N", "wstn-N", and the MLP as "mlp-D" (D its input width).
  std::map<std::string, PlanTiming> step;
  // One window through one task branch in inference mode (batches of 128, as net_features), same keys; for
  // "mlp-D" one window through the MLP (batches of 256, as mlp_probs).
  std::map<std::string, PlanTiming> forward;
  double seconds = 0;  // wall time of the calibration itself
};

// The shapes a grid's jobs use: net shapes ("stn", "mtn-N", "wstn-N") and MLP shapes ("mlp-D").
std::vector<std::string> plan_shapes(const std::vector<GridCase>& grid);
// A wSTN-N's configuration as the trainer makes it (width matched to the N-task MTN's parameter count), and
// the width of its transfer feature (256 units scaled as layers/nets.cpp scales them).
NetConfig plan_wstn_config(int n_tasks);
int64_t plan_wstn_feature_dim(int n_tasks);

struct PlanCalibrateOptions {
  std::string device = "auto";  // open_compute's: cpu, cuda or auto
  int batch = 64;
  int topics = 40;  // factor tasks' outputs
  // Seconds of timed training steps per shape (2 to 20 steps are timed: fewer for large shapes), and of timed
  // forward batches per shape (1 to 20); one untimed warm-up each; the median is kept. An MLP shape gets a
  // quarter of each.
  double step_budget_s = 1.0, forward_budget_s = 0.5;
  bool quiet = false;
};
// Times every shape of `shapes` on the chosen device with random inputs: a training step as the trainer
// runs a full batch (upload, parameter snapshot, recorded step, loss read, gradient check) and net_features'
// and mlp_probs' forward passes. About 40 s on 2 quiet CPU cores for the paper grid's 9 net shapes and 9 MLP
// widths (35-38 s measured; 65 s with a neighbour's process sharing the cores).
PlanCalibration plan_calibrate(const std::vector<std::string>& shapes, const PlanCalibrateOptions& opt);

struct PlanJob {
  enum class Kind { net, mlp };
  Kind kind = Kind::net;
  // Nets by their folder in OUT ("nets/stn-g", "nets/mtn-gs"), MLPs by their case ("stn-gs", "mtn-gs"); with
  // several seeds "@S" follows ("nets/stn-g@2"). Unique within a plan.
  std::string name;
  std::string shape;  // the calibration key its steps and forwards are timed by
  uint64_t seed = 1;
  std::vector<std::string> needs;    // jobs it waits for (a case: its nets)
  std::vector<std::string> used_by;  // nets: the cases that need it
  int epochs = 0;
  int64_t steps = 0;  // training steps (a short last batch counts as one step)
  // Window forwards through one task branch of a net: a net's validation loss every epoch (each task's
  // validation tracks), and the transfer's features (an N-task MTN's feature pass is N branch forwards per
  // window). STN features are computed once per net and seed and shared by every STN case (the feature
  // cache), so they are counted with the net; an MTN's or wSTN's with its case.
  int64_t forwards = 0;
  int64_t mlp_forwards = 0;   // windows through the MLP: validation each epoch (centre windows), evaluation
  std::string forward_shape;  // the calibration key of `forwards` (the net's shape; for a case its net's)
  double seconds = 0;
};

struct PlanSchedule {
  int devices = 1;
  double makespan_s = 0;        // the list schedule's wall time
  double lower_bound_s = 0;     // max(total / devices, longest chain)
  double longest_chain_s = 0;   // the longest dependency chain (a net and its slowest case)
  std::vector<int> device_of;   // per job (Plan::jobs order)
  std::vector<double> start_s;  // per job
};

struct Plan {
  ExperimentOptions options;  // normalised
  std::vector<GridCase> grid;
  std::vector<uint64_t> seeds;
  PlanCorpus corpus;
  PlanCalibration calibration;
  std::vector<PlanJob> jobs;  // per seed: the nets (in order of first use), then the cases (grid order)
  int64_t total_steps = 0, total_forwards = 0, total_mlp_forwards = 0;
  double total_s = 0;
  PlanSchedule schedule;
};

// The plan of `grid` under normalised options (normalise_experiment) for `corpus`, timed by `cal` (every
// shape plan_shapes gives must be in it), scheduled on `devices` devices. Pure: reads no files.
Plan make_plan(const ExperimentOptions& normalised, const std::vector<GridCase>& grid, const PlanCorpus& corpus,
               const PlanCalibration& cal, int devices);
// List schedule on `devices` devices: whenever a device is free it takes the first job, in priority order,
// whose dependencies have finished: a ready case first (in the order given), then the nets longest first, as
// `agf experiment --workers/--devices/--shard` picks its jobs (there with a rough cost, here the estimate).
PlanSchedule plan_schedule(const std::vector<PlanJob>& jobs, int devices);

// The plan as printed by `agf experiment --plan`: the cases (nets they need, epochs, steps, hours), the nets,
// the calibration, the totals on 1 and W devices, and the sentence saying what the estimate is.
std::string plan_text(const Plan& p);
nlohmann::json plan_json(const Plan& p);

// `agf experiment --plan`: what the options ask for (normalise_experiment), the corpus counts (WORK's, or
// fma_medium's with corpus "fma_medium"; then the track overrides), a calibration on the options' device of
// every shape the grid uses, and make_plan on `devices` devices. Reads WORK, writes nothing.
struct PlanRequest {
  std::string corpus;                          // "" (WORK's counts) or "fma_medium"
  int64_t train_tracks = 0, valid_tracks = 0;  // > 0: override the corpus' counts
  int devices = 1;
  PlanCalibrateOptions calibrate;  // device, batch and topics are taken from the options and corpus
};
Plan plan_experiment(const ExperimentOptions& opt, const PlanRequest& req);

}  // namespace agf
