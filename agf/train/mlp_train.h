// The transfer's MLP training (paper §3.3; see transfer.h): Adam 1e-3 with L2, batch 64, on the source nets'
// features. An epoch is one random 1-s crop of every training track (--mlp-epoch crops, the crops' features
// cached per epoch) or every training window (windows). Per epoch, the training loss and the validation loss
// on each validation track's centre window go to OUT/transfer.jsonl. A stop request (interrupt.h) writes
// OUT/checkpoint.safetensors at a step boundary; --resume continues from it, bit-identical (CPU).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "agf/train/features.h"
#include "agf/train/session.h"
#include "agf/train/transfer.h"

namespace agf {

// What the MLP trains and validates on. Feature rows are (rows, dim), the source nets' features concatenated.
struct MlpTrainingSet {
  std::vector<int64_t> dims;                 // per source net, its feature width
  int64_t dim = 0;                           // their sum
  std::vector<int64_t> train_tracks;         // crops: store indices; each epoch takes one crop of each
  std::vector<float> train_features;         // windows: the training windows' rows, the same every epoch
  std::vector<int> train_labels;             // windows: their genres
  std::vector<float> valid_centre_features;  // each validation track's centre window
  std::vector<int> valid_labels;             // each validation track's genre
  size_t valid_windows = 0;                  // validation windows evaluated after training (for the log line)
};

struct TrainedMlp {
  std::unique_ptr<Net> mlp;
  int64_t samples_per_epoch = 0;
};

// Trains (or, with --resume and OUT/checkpoint.safetensors, continues) the MLP. Throws Interrupted after
// writing the checkpoint on a stop request, NumericError on a non-finite loss.
TrainedMlp train_mlp(const TransferOptions& options, const Compute& compute, const WorkData& work,
                     const std::vector<SourceNet>& nets, MlpTrainingSet& set);

}  // namespace agf
