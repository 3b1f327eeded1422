// Building blocks of transfer, evaluation and prediction: source nets with their fingerprints, batched
// feature extraction (every task branch of a net, concatenated), MLP probabilities, and a transfer
// folder loaded whole (the MLP, its nets, the mel parameters and standardisation).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agf/audio/mel.h"
#include "agf/train/session.h"
#include "util/progress.h"
#include "layers/paper.h"

namespace agf {

// FNV-1a, 64-bit, continuing from `h`.
uint64_t fnv1a64(const void* p, size_t n, uint64_t h = 0xcbf29ce484222325ull);
inline uint64_t fnv1a64(const std::string& s, uint64_t h = 0xcbf29ce484222325ull) {
  return fnv1a64(s.data(), s.size(), h);
}

struct SourceNet {
  std::string name;     // "stn-g", from the run folder's name
  std::string run_dir;  // folder of the model file (feature caches go in run_dir/features)
  std::string model_path;
  uint64_t fingerprint = 0;  // of the model file's bytes
  std::string mel_params;    // feature parameters the net was trained on (JSON)
  std::unique_ptr<Net> net;
  std::vector<int64_t> task_dims;  // feature width of each task branch
  int64_t feature_dim() const;     // their sum
  // net_features' activation arena, tape and batch buffers, kept from one call to the next: a library run
  // calls it once per net per batch of tracks, and a fresh arena each time page-faulted its ~100 MB in anew
  // (18.5 M minor faults, 26 % of predict's CPU time as system time on 60 tracks, measured). CPU only.
  struct Scratch;
  mutable std::shared_ptr<Scratch> scratch;
};
// `path`: a run folder holding model.safetensors, or a model file.
SourceNet load_source_net(const std::string& path, const Compute& c);

// Batches of the inference passes (agf's choice, not the paper's): windows through a source net
// (net_features) and feature rows through the transfer MLP (mlp_probs / mlp_logits callers).
inline constexpr int kNetInferenceBatch = 128;
inline constexpr int kMlpInferenceBatch = 256;

// fill(i0, n, x): writes windows [i0, i0 + n) as (n, 1, n_mels, frames) standardised floats into x.
using WindowFill = std::function<void(int64_t i0, int n, float* x)>;
// (n_windows, feature_dim) features of one net: every task branch's 256-d post-ELU dense activation
// in inference mode, concatenated in task order.
std::vector<float> net_features(const SourceNet& sn, const Compute& c, int64_t n_windows, int n_mels, int frames,
                                const WindowFill& fill, Progress* prog);
// (n, classes) softmax of the MLP on (n, dim) features, in batches. temperature != 1: softmax(logits / T)
// on the host (calibrate.h); T = 1 keeps the device softmax, so uncalibrated models predict as before.
std::vector<float> mlp_probs(const Net& mlp, const Compute& c, const std::vector<float>& x, int64_t n, int64_t dim,
                             int batch, double temperature = 1.0);
// (n, classes) logits of the MLP (inference mode), in batches.
std::vector<float> mlp_logits(const Net& mlp, const Compute& c, const std::vector<float>& x, int64_t n, int64_t dim,
                              int batch);

// MelParams from MelParams::to_json() text. FormatError naming `what` on a missing or bad field.
MelParams mel_params_from_json(const std::string& json, const std::string& what);

struct TransferModel {
  std::string dir, path;
  std::unique_ptr<Net> mlp;
  std::vector<SourceNet> nets;
  std::string mel_params;  // JSON
  MelParams mel;
  std::vector<float> mean, stdev;  // per mel bin
  int frames = paper::kFrames, eval_hop = paper::kEvalHop, genres = paper::kGenres;
  bool float16 = true;  // the training store held float16 frames: new audio is rounded the same way
  int64_t feature_dim = 0;
  std::vector<std::string> genre_names;
  double temperature = 1.0;  // softmax temperature (agf transfer --calibrate); 1 for uncalibrated or older models
};
// Loads DIR/mlp.safetensors and its nets. UsageError when a net's feature parameters differ from the
// model's, FormatError for a malformed folder, each naming the file.
TransferModel load_transfer_model(const std::string& dir, const Compute& c);
// All nets' features of n windows, concatenated: (n, feature_dim).
std::vector<float> transfer_features(const TransferModel& m, const Compute& c, int64_t n, const WindowFill& fill,
                                     bool quiet);
// Frame-major (frames, n_mels) dB mels -> (n_mels, frames) standardised with the model's statistics.
void standardise_frames(const TransferModel& m, const float* frame_major, int frames, float* out);

}  // namespace agf
