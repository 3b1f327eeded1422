// Transfer and evaluation (paper §3.3-4): the 256-d post-ELU dense features of trained nets (dropout off,
// BN in inference mode) for every 43-frame window, concatenated over the nets (an MTN gives one feature
// per task branch), an MLP trained on them (50 epochs, Adam 1e-3, batch 64; an epoch is one random 1-s
// crop of every training track, as the nets' epochs and the paper's training, or with --mlp-epoch
// windows every fixed window of every training track, about 30x the updates), and the
// per-track genre: the softmax of all windows with a hop of 10 frames, averaged. Metrics on the
// validation split beside the majority-class baseline.
//
// A transfer folder is self-contained, so that `agf predict` needs nothing else:
//   OUT/mlp.safetensors        the MLP (agf-net-2: exactly its PyTorch state_dict) and in its metadata the
//                              feature parameters, the mel standardisation, the nets in order, windows
//                              and genre names
//   OUT/nets/<i>.safetensors   copies of the source nets
//   OUT/metrics.json           validation metrics, baseline, confusion matrix
//   OUT/predictions.csv        per validation track: label, prediction, probability of every genre
//   OUT/transfer.jsonl         MLP loss per epoch (train; validation on each track's centre window)
//   OUT/reliability.svg        --calibrate: reliability diagram of the validation tracks, raw and calibrated
//   OUT/checkpoint.safetensors only while stopped (SIGTERM/SIGINT) mid-MLP: what --resume continues from
// Features are cached next to each source net (RUN/features/*.safetensors), keyed by the net's and the
// store's fingerprints, so the 31 STN combinations of the grid extract each net's features once.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "agf/train/calibrate.h"
#include "agf/train/metrics.h"
#include "layers/paper.h"

namespace agf {

struct TransferOptions {
  std::string work_dir, out_dir;
  std::vector<std::string> nets;  // run folders (holding model.safetensors) or model files
  int epochs = paper::kMlpEpochs, batch = paper::kBatch, frames = paper::kFrames;
  // What one MLP epoch is: "crops" (one random 43-frame crop per training track, drawn per epoch: the
  // paper's "randomly crop 1-second excerpts", segment-wise in both phases) or "windows" (every window of
  // every training track at train_hop, the same windows every epoch; ~30 per 30-s track).
  std::string mlp_epoch = "crops";
  int train_hop = 43;  // mlp_epoch windows: hop between a training track's windows (43: non-overlapping)
  int eval_hop = 10;   // windows of a track at evaluation (the authors' final code)
  float lr = 1e-3f, l2 = 1e-5f;
  uint64_t seed = 1;
  std::string device = "auto";
  bool cache_features = true;  // keep each net's features in RUN/features (worth it for nets reused
                               // across cases; on fma_medium an STN's train + valid window features are
                               // ~1.1 GB, and crops add one 21k x 256 file per epoch: ~1.1 GB for 50, estimated)
  bool quiet = false;
  // Continue from OUT/checkpoint.safetensors, which a stop on SIGTERM/SIGINT (util/interrupt.h) writes at
  // an MLP step boundary; the run then ends bit-identical (CPU) to an uninterrupted one. false: a checkpoint
  // left in OUT is removed and the MLP starts again. A finished transfer removes its checkpoint.
  bool resume = false;
  // Temperature scaling (calibrate.h): hold out calibrate_fraction of the training tracks from the MLP
  // (per genre, by a seeded shuffle of tracks, not whole artists: at least one and never all of a genre's
  // tracks, genres with one training track give none), fit one T on them after training, store it in the
  // model. Validation tracks are never used for the fit.
  bool calibrate = false;
  double calibrate_fraction = 0.1;
};

struct EvalResult {
  Metrics metrics;                 // per track, validation split (at the model's temperature)
  Metrics baseline;                // majority class (training priors for log loss)
  std::vector<int64_t> track_ids;  // evaluated tracks
  std::vector<int> labels;         // (tracks)
  std::vector<float> probs;        // (tracks, genres) per-track probabilities
  int windows = 0;
  double ece = 0;  // of probs (calibrate.h, 15 bins)
  // A calibrated model (temperature != 1): the same tracks at T = 1, and how T was fitted.
  bool calibrated = false;
  double temperature = 1;
  Metrics raw;  // at T = 1
  double ece_raw = 0;
  std::vector<float> raw_probs;  // (tracks, genres) at T = 1
  int held_out_tracks = 0;       // transfer only: training tracks the fit used
  double held_out_log_loss_raw = 0, held_out_log_loss = 0;
};

struct TransferResult {
  std::string model_path;
  EvalResult eval;
  int epochs = 0, feature_dim = 0;
  int64_t train_windows = 0;
  double seconds = 0;
};

// Trains the MLP on the nets' features and evaluates it; writes OUT as above. Throws Interrupted (interrupt.h)
// on a stop request: during feature extraction with nothing saved (the finished nets' caches are kept), in the
// MLP's loop after writing OUT/checkpoint.safetensors.
TransferResult run_transfer(const TransferOptions& opt);

struct EvaluateOptions {
  std::string model_dir, work_dir;  // a transfer folder; the work folder whose store to evaluate on
  std::string split = "valid";      // valid | train | test
  int hop = 0;                      // 0: the model's eval_hop
  std::string device = "auto";
  bool quiet = false;
};
// Evaluates a transfer folder's model on a split of a work folder.
EvalResult run_evaluate(const EvaluateOptions& opt);

// metrics.json content: {"model", "split", "tracks", "windows", "metrics": {...}, "baseline": {...},
// "ece", "reliability": {...}} and for a calibrated model "calibration": {"temperature", "log_loss_raw",
// "log_loss", "ece_raw", "ece", "reliability_raw", "held_out_tracks", "held_out_log_loss_raw",
// "held_out_log_loss"}.
nlohmann::json eval_to_json(const EvalResult& r, const std::string& split);
// The reliability diagram of an evaluation (raw and calibrated curves for a calibrated model), inline SVG.
std::string eval_reliability_svg(const EvalResult& r, const std::string& title);

// Paths of a transfer folder.
std::string transfer_model_path(const std::string& dir);  // DIR/mlp.safetensors

}  // namespace agf
