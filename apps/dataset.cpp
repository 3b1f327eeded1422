// `agf dataset`: reads FMA metadata (real or synthetic) and prints a summary: tracks per subset and
// per top genre, artists, albums, tracks without a top genre, missing audio, known-bad ids.
#include <cstdio>
#include <map>
#include <set>
#include "agf/data/fma.h"
#include "apps/command.h"

AGF_COMMAND("dataset", "summarise FMA metadata (and check the audio files)", [](CLI::App& c) {
  struct Opts {
    std::string metadata, audio, subset = "medium";
    int max_warnings = 10;
  };
  auto o = std::make_shared<Opts>();
  c.add_option("--metadata", o->metadata, "fma_metadata folder (tracks.csv, genres.csv)")->required();
  c.add_option("--audio", o->audio, "audio folder (ddd/dddddd.mp3); checks that every file exists");
  c.add_option("--subset", o->subset, "small, medium, large or all")->capture_default_str();
  c.add_option("--max-warnings", o->max_warnings, "warnings printed in full")->capture_default_str();
  return [o] {
    agf::FmaMetadata m = agf::load_fma_metadata(o->metadata);
    for (size_t i = 0; i < m.warnings.size() && int(i) < o->max_warnings; ++i)
      std::fprintf(stderr, "warning: %s\n", m.warnings[i].c_str());
    if (int(m.warnings.size()) > o->max_warnings)
      std::fprintf(stderr, "warning: ... and %zu more\n", m.warnings.size() - size_t(o->max_warnings));
    std::printf("metadata: %s: %zu tracks, %zu genres (%d roots)\n", o->metadata.c_str(), m.tracks.size(),
                m.genres.size(), [&] {
                  int r = 0;
                  for (auto& g : m.genres) r += g.parent == 0;
                  return r;
                }());
    std::printf("subsets (cumulative):");
    for (const char* s : {"small", "medium", "large"}) std::printf(" %s %zu", s, agf::select_subset(m, s).size());
    std::printf("\n");

    auto sel = agf::select_subset(m, o->subset);
    auto bad = agf::remove_known_bad(sel);
    std::printf("subset %s: %zu tracks", o->subset.c_str(), sel.size());
    if (!bad.empty()) {
      std::printf(" (skipped %zu known to hold no audio:", bad.size());
      for (auto id : bad) std::printf(" %lld", (long long)id);
      std::printf(")");
    }
    std::printf("\n");
    std::vector<int64_t> per_genre(agf::kNumTopGenres, 0);
    std::set<int64_t> artists, albums;
    int64_t no_top = 0, no_artist = 0;
    std::map<std::string, int64_t> splits;
    for (const auto* t : sel) {
      if (t->genre_top >= 0)
        ++per_genre[size_t(t->genre_top)];
      else
        ++no_top;
      if (t->artist_id >= 0)
        artists.insert(t->artist_id);
      else
        ++no_artist;
      if (t->album_id >= 0) albums.insert(t->album_id);
      ++splits[t->split.empty() ? "(none)" : t->split];
    }
    std::printf("artists %zu, albums %zu, tracks without a top genre %lld, without an artist %lld\n", artists.size(),
                albums.size(), (long long)no_top, (long long)no_artist);
    std::printf("FMA split:");
    for (auto& [k, v] : splits) std::printf(" %s %lld", k.c_str(), (long long)v);
    std::printf("\ntop genres:\n");
    for (int g = 0; g < agf::kNumTopGenres; ++g)
      if (per_genre[size_t(g)])
        std::printf("  %-22s %6lld\n", agf::top_genre_names()[size_t(g)].c_str(), (long long)per_genre[size_t(g)]);
    if (!o->audio.empty()) {
      int64_t missing = 0;
      for (const auto* t : sel)
        if (agf::find_audio_path(o->audio, t->id).empty()) {
          if (missing < 10)
            std::printf("  missing audio: %lld (%s)\n", (long long)t->id, agf::fma_audio_relpath(t->id).c_str());
          ++missing;
        }
      std::printf("audio: %s: %lld of %zu files present, %lld missing\n", o->audio.c_str(),
                  (long long)(int64_t(sel.size()) - missing), sel.size(), (long long)missing);
    }
    return 0;
  };
});
