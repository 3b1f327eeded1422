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
  std::string out_dir;  // writes OUT/fma_metadata and OUT/fma_audio
  uint64_t seed = 1;
  // fma: fma_medium's imbalance (16 top genres in its proportions, with a floor), artists with 1 to
  // max_artist_tracks tracks, genres that overlap in sound. easy: the first corpus (balanced, genres
  // apart, `artists` x `tracks_per_artist` per genre); its bytes for a seed are as before the fma preset.
  std::string preset = "fma";
  int genres = 0;  // top genres used (1..16); 0: the preset's (fma 16, easy 8)
  // fma preset only.
  int tracks = 450;            // tracks with a top genre (multi-root albums come on top, subset large); the
                               // old demo corpus had 453, so a demo epoch has no more steps
  int genre_floor = 8;         // least tracks per genre: 8 x 15 % >= 1 track in the random split's validation
  int max_artist_tracks = 40;  // artist sizes are skewed over 1..this (one artist of the largest genre has it)
  double overlap = 0.5;        // largest weight of an artist's lean towards a neighbouring genre's style
  // Per track: its album's style blended towards a random neighbour of its genre by a weight drawn uniformly
  // in [0, track_blend], so that tracks of one artist and album vary (0: every track of an album alike).
  double track_blend = 0.8;  // the fma default, calibrated (docs/SYNTH.md); 0: the earlier corpus
  double artist_exponent =
      2.0;  // (calibrated default; the earlier corpus: 1.4) artist sizes p(k) ~ k^-exponent on 1..max_artist_tracks (larger: more one-track artists)
  // easy preset only.
  int artists = 6;  // artists per genre (primary genre)
  int tracks_per_artist = 5;
  double seconds = 10.0;              // clip length
  int sample_rate = 22050;            // 22050 or 44100
  std::string format = "wav";         // wav | flac | mp3
  double mislabel_fraction = 0.1;     // albums (fma: tracks, by whole albums) labelled with a neighbouring genre
  double two_genre_fraction = 0.25;   // artists with an album in a second genre
  double multi_root_fraction = 0.04;  // albums tagged in two roots (empty genre_top, subset large)
  int threads = 0;                    // 0: hardware concurrency
  bool quiet = false;                 // no progress output
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

// The fma preset's tracks per top genre (indexed like top_genre_names(); 0 for genres not used):
// the `genres` largest of fma_medium, each max(floor, its share), the shares of the genres above
// the floor in fma_medium's proportions of what the floored ones leave, rounded by largest
// remainder so that they sum to `tracks`. UsageError when tracks < floor x genres.
std::vector<int64_t> synth_genre_quotas(int64_t tracks, int genres, int floor);

// True when this libsndfile can write the given format ("wav", "flac", "mp3") at `sample_rate`.
bool synth_format_supported(const std::string& format, int sample_rate);

}  // namespace agf
