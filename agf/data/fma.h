// The FMA dataset's metadata (mdeff/fma): tracks.csv (three header lines, 52 columns found by
// (group, name)), genres.csv, the cumulative subsets and the audio path scheme AUDIO/ddd/dddddd.mp3.
// Bad input policy (docs/SYNTH.md, "Reading FMA metadata"): see load_fma_metadata below.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace agf {

inline constexpr int kNumTopGenres = 16;
// The 16 roots in the challenge's alphabetical order; a Track's genre_top indexes this list.
const std::vector<std::string>& top_genre_names();
// Index of a top-genre title in top_genre_names(), or -1.
int top_genre_index(const std::string& title);

// tracks.csv's 52 (group, name) columns after the index, in FMA's order (groups and names sorted).
const std::vector<std::pair<std::string, std::string>>& fma_track_columns();

struct Genre {
  int id;
  int parent;  // 0 for a root
  std::string title;
  int top_level;     // id of the root above it (itself for a root)
  int64_t n_tracks;  // genres.csv's #tracks
};

struct Track {
  int64_t id;
  int genre_top;                        // index 0..15 into top_genre_names(), -1 if none
  std::vector<int> genres, genres_all;  // genre ids (track, genres) and with ancestors (track, genres_all)
  int64_t artist_id = -1, album_id = -1;
  std::string artist_name, split, subset;  // split: training|validation|test; subset: small|medium|large
  int64_t line = 0;                        // line of tracks.csv where the row starts (for messages)
};

struct FmaMetadata {
  std::vector<Track> tracks;                        // in file order
  std::vector<Genre> genres;                        // in file order
  std::vector<std::string> warnings;                // non-fatal problems found while loading (one line each)
  std::unordered_map<int64_t, size_t> track_index;  // id -> position in tracks
  std::unordered_map<int, size_t> genre_index;      // id -> position in genres
  const Track* find(int64_t id) const;              // nullptr if absent
  const Genre* find_genre(int id) const;            // nullptr if absent
};

// Reads DIR/genres.csv then DIR/tracks.csv.
// Errors (FormatError with file:line): malformed CSV (unterminated quote, wrong number of columns),
// a missing required column, a non-integer id, a duplicate track or genre id, a genre whose parent
// or top_level is not in genres.csv, a genre id in (track, genres)/(track, genres_all) that
// genres.csv lacks, a genre_top that is not one of the 16 roots, an unknown subset or split value.
// Warnings (kept in .warnings, the track is kept): a track without an artist id (artist_id = -1;
// it has no artist group factor), a track without an album id.
FmaMetadata load_fma_metadata(const std::string& metadata_dir);

// Tracks of a subset: "small", "medium" (includes small), "large" (includes both), or "all".
// UsageError for another name. File order.
std::vector<const Track*> select_subset(const FmaMetadata&, const std::string& subset);

// FMA-medium files known to hold no audio (paper-notes.md), sorted.
const std::vector<int64_t>& fma_medium_known_bad_ids();
// Removes the known-bad ids from `tracks`; returns the ids removed (for the report).
std::vector<int64_t> remove_known_bad(std::vector<const Track*>& tracks);

// AUDIO/ddd/dddddd.mp3 (6-digit zero-padded id, first three digits as the folder).
std::string fma_audio_relpath(int64_t track_id, const std::string& ext = "mp3");
// The first of .mp3, .flac, .wav, .ogg that exists under audio_dir; "" if none.
std::string find_audio_path(const std::string& audio_dir, int64_t track_id);

}  // namespace agf
