// `agf predict`: the genre of any audio file with a transfer model (agf/train/features.h): decode and
// resample as librosa.load, the model's mel parameters, its standardisation, every 43-frame window with
// the model's hop, the nets' features, the MLP, softmax averaged over the windows.
#pragma once
#include <string>
#include <vector>

#include "agf/train/features.h"

namespace agf {

struct Prediction {
  std::string path;
  std::vector<float> probs;  // (genres) averaged over the windows
  int windows = 0;
  double seconds = 0;        // audio duration
};

// Throws IOError/FormatError naming the file when it cannot be decoded, UsageError when it is shorter
// than one window.
Prediction predict_file(const TransferModel& m, const Compute& c, const std::string& path, int hop);

// The k most probable genres, most probable first: (index, probability).
std::vector<std::pair<int, float>> top_k(const std::vector<float>& probs, int k);

}  // namespace agf
