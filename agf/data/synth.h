// `agf synth`: a synthetic corpus in FMA's exact layout (fma_metadata/{tracks.csv,genres.csv},
// fma_audio/ddd/dddddd.<ext>), with genre styles, artist signatures, per-album genre labels and
// mislabelled albums, so the paper's question (do artist groups help genre?) is meaningful.
// docs/SYNTH.md describes the model and the defaults.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace agf {

struct SynthOptions {
  std::string out_dir;            // writes OUT/fma_metadata and OUT/fma_audio
  uint64_t seed = 1;
  int genres = 8;                 // top genres used (1..16), taken in a fixed order of distinct styles
  int artists = 6;                // artists per genre (primary genre)
  int tracks_per_artist = 5;
  double seconds = 10.0;          // clip length
  int sample_rate = 22050;        // 22050 or 44100
  std::string format = "wav";     // wav | flac | mp3
  double mislabel_fraction = 0.1; // albums labelled with a neighbouring genre
  double two_genre_fraction = 0.25;   // artists with one album in a second genre
  double multi_root_fraction = 0.04;  // albums tagged in two roots (empty genre_top, subset large)
  int threads = 0;                // 0: hardware concurrency
  bool quiet = false;             // no progress output
};

// Ground truth the metadata does not show, also written to OUT/synth_truth.csv.
struct SynthTrackTruth {
  int64_t track_id, artist_id, album_id;
  int true_genre;   // top-genre index of the style the audio was rendered with
  int label_genre;  // top-genre index in tracks.csv (-1 for multi-root albums)
  int subgenre_id;  // the FMA-style subgenre id the audio used
  bool mislabelled;
};

struct SynthSummary {
  int64_t n_tracks = 0, n_artists = 0, n_albums = 0, n_mislabelled_albums = 0, n_two_genre_artists = 0;
  int64_t n_no_top = 0;
  double seconds_taken = 0;
  std::vector<SynthTrackTruth> truth;
};

// Validates the options (UsageError), writes the corpus, returns what was made. Deterministic for
// a seed: the same options give the same tracks.csv, genres.csv and (wav, flac) audio bytes,
// whatever the thread count. mp3 needs a libsndfile with MPEG writing (checked first; IOError).
SynthSummary synth_corpus(const SynthOptions& opt);

// True when this libsndfile can write the given format ("wav", "flac", "mp3") at `sample_rate`.
bool synth_format_supported(const std::string& format, int sample_rate);

}  // namespace agf
