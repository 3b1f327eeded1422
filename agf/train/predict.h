// `agf predict`: the genre of any audio file with a transfer model (agf/train/features.h): decode and
// resample as librosa.load, the model's mel parameters, its standardisation, every 43-frame window with
// the model's hop, the nets' features, the MLP, softmax averaged over the windows.
#pragma once
#include <string>
#include <vector>

#include <cstdio>

#include "agf/train/features.h"
#include "agf/train/library.h"

namespace agf {

struct Prediction {
  std::string path;
  std::vector<float> probs;  // (genres) averaged over the windows
  int windows = 0;
  double seconds = 0;  // audio duration
};

// One file through the library pipeline (agf/train/library.h). Throws naming the file: IOError when it
// cannot be read, UsageError when it is shorter than one window, FormatError when it is silent or
// non-finite.
Prediction predict_file(const TransferModel& m, const Compute& c, const std::string& path, int hop);

// The WWW 2018 challenge (crowdAI "WWW 2018 Challenge: Learning to Recognize Musical Genre", FMA's 16
// top genres): submission columns file_id, then these genres in this order (alphabetical, as FMA's
// genres.csv titles them; agf's genre names are the same strings, mapped by name, not by position).
const std::vector<std::string>& www2018_genres();
// For each challenge column, the model's output index of that genre; UsageError naming a genre the
// model lacks.
std::vector<int> submission_columns(const std::vector<std::string>& model_genres, int outputs);
// The challenge's file_id: the file name without its extension ("fma_test/000/000123.mp3" -> "000123").
std::string submission_file_id(const std::string& path);

// `agf predict` over files and folders (library.h), writing rows as tracks finish:
//   csv         path, status, top_genre, windows, seconds, one column per genre, reason
//   jsonl       {"path", "status", "seconds", "top_genre", "windows", "probabilities": {genre: p}} or
//               {"path", "status", "seconds", "reason"}
//   submission  file_id + the 16 www2018_genres() columns, predicted tracks only
// With no output file, one line per predicted track on `out` (top genres, or JSON with json).
// resume: tracks already in every given output file are skipped. Failures go to stderr with reasons.
struct PredictOptions {
  std::string model_dir;
  std::vector<std::string> paths;
  std::string csv, jsonl, submission;
  bool resume = false, json = false, quiet = false;
  int top = 3, hop = 0, threads = 0, batch = 256;
  std::string device = "auto";
};
LibrarySummary run_predict(const PredictOptions& o, std::FILE* out);

// The k most probable genres, most probable first: (index, probability).
std::vector<std::pair<int, float>> top_k(const std::vector<float>& probs, int k);

}  // namespace agf
