// Artist group factors (Kim et al. 2018, §2; issue 6 §5-7): per kind m (MFCC frames), d (delta-MFCC
// frames), e (song-level descriptors), s (genre ids), a K-means dictionary, artist bags of words
// divided by the artist's number of tracks, LDA topics; each artist's topic vector is the target of
// every one of its tracks. Files: WORK/factors/<kind>.safetensors (+ _model.safetensors, _summary.md/.json).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>
#include "util/text_table.h"
#include "layers/tasks.h"
#include "layers/paper.h"

namespace agf {

struct FactorTargets {
  char kind = 0;
  int topics = 0;
  std::vector<int64_t> track_ids;  // (tracks), ascending
  std::vector<float> targets;      // (tracks, topics) row-major, each row sums to 1
  // How they were made (the file's metadata: kind, topics, terms, seed, subset, artists, factors_from, and
  // n_mfcc for m and d). factors_from is "all" for files written before the option existed, which used all.
  std::map<std::string, std::string> settings;
  std::string factors_from = "all";
};

// Reads WORK/factors/<kind>.safetensors (track_ids I64 [T], targets F32 [T, topics]). IOError naming
// the path when missing; FormatError when the tensors are missing or have the wrong shape or dtype.
FactorTargets load_factor_targets(const std::string& work_dir, char kind);
std::string factor_targets_path(const std::string& work_dir, char kind);

struct FactorsOptions {
  std::string work_dir;
  std::string metadata_dir, audio_dir, subset;  // "" = from WORK/dataset.json (subset default "medium")
  std::string kinds = kFactorKinds;
  // Which tracks the factors are fitted on. "all": every track of the subset, validation included (the
  // paper's protocol and the authors' code: "AGFs computed over all 25,000"; transductive, and the s
  // factor counts validation tracks' genre ids, which reach training targets through shared artists).
  // "train": only the training tracks of WORK/split.json feed the K-means dictionaries, the quantile
  // normalisation, the bags and the LDA; every track of an artist with a training track gets that
  // artist's topics (made from its training tracks alone), and an artist with no training track gets no
  // target (validation tracks need none for training; their validation losses skip them).
  std::string factors_from = "all";
  int n_mfcc = 13;      // m, d: MFCC coefficients, 13 (the authors' code) or 25 (the paper's Table 1)
  int clusters = 2048;  // clamped, with a note, to the number of points of a small corpus
  int topics = paper::kTopics;
  uint64_t seed = 0;
  int threads = 0;                        // feature extraction threads (0 = all cores)
  std::string device = "auto";            // K-means assignments: auto | cpu | cuda (engine/compute.h open_compute)
  int64_t max_points_per_centroid = 256;  // faiss's cap (0 = all points)
  bool minibatch = false;                 // MiniBatchKMeans-like dictionary (the authors' code) instead of Lloyd
  int kmeans_max_iter = 300;
  int lda_max_iter = 10;  // the authors' setting
  bool lda_online = false;
  bool verbose = true;
};

struct FactorReport {
  char kind = 0;
  int64_t tracks = 0, artists = 0, points = 0;
  int clusters = 0, topics = 0;
  double inertia = 0, perplexity = 0;
  int kmeans_iters = 0;
  std::vector<std::string> notes;  // clamps, skipped artists / tracks, dropped columns
};

// Runs every requested kind and writes its files; returns one report per kind.
std::vector<FactorReport> compute_factors(const FactorsOptions& opt);

// Group summary (issue 6 §7) from per-artist topics: for each topic, its strongest top genres with
// shares (tracks' genre_top weighted by the artist's topic share) and its strongest member artists.
struct GroupSummary {
  int topic = 0;
  int artists = 0;                                      // artists whose strongest topic this is
  double weight = 0;                                    // sum of the artists' shares of this topic
  std::vector<std::pair<std::string, double>> genres;   // (top genre, share of the group), strongest first
  std::vector<std::pair<std::string, double>> members;  // (artist name, topic share), strongest first
};
// artist_topics (A, K); artist_genre_tracks (A, 16): tracks of each artist per top genre.
std::vector<GroupSummary> summarize_groups(const std::vector<float>& artist_topics, int A, int K,
                                           const std::vector<std::string>& artist_names,
                                           const std::vector<int>& artist_genre_tracks, int n_genres,
                                           const std::vector<std::string>& genre_names, int top_genres = 3,
                                           int top_members = 5);
// The summary's parts as data (the HTML report renders these): heading, counts sentence, notes, the line
// before the table, and the table (groups by weight, strongest first).
struct GroupsDoc {
  std::string title, counts;
  std::vector<std::string> notes;  // "note: ..."
  std::string table_note;
  TextTable table;
};
GroupsDoc groups_doc(char kind, const std::vector<GroupSummary>& g, const FactorReport& r);
// groups_doc of a <kind>_summary.json (groups_json's text); FormatError naming `what` on a bad file.
GroupsDoc groups_doc_from_json(const std::string& json_text, const std::string& what);
std::string to_markdown(const GroupsDoc& d);
// <kind>_summary.md: to_markdown(groups_doc(...)).
std::string groups_markdown(char kind, const std::vector<GroupSummary>& g, const FactorReport& r);
std::string groups_json(char kind, const std::vector<GroupSummary>& g, const FactorReport& r);

}  // namespace agf
