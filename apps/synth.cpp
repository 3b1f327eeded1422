// `agf synth`: writes a synthetic corpus in FMA's layout (fma_metadata/, fma_audio/); see docs/SYNTH.md.
#include <cstdio>
#include "agf/data/synth.h"
#include "util/error.h"
#include "apps/command.h"

AGF_COMMAND("synth", "write a synthetic corpus in the FMA layout (metadata CSVs and audio)", [](CLI::App& c) {
  auto o = std::make_shared<agf::SynthOptions>();
  c.add_option("--out", o->out_dir, "output folder (gets fma_metadata/ and fma_audio/)")->required();
  c.add_option("--seed", o->seed, "random seed (same seed, same corpus)")->capture_default_str();
  c.add_option("--preset", o->preset,
               "fma: like fma_medium (16 genres in its proportions, skewed artist sizes, overlapping genres); "
               "easy: the first corpus (balanced, distinct genres; --artists x --tracks-per-artist per genre)")
      ->check(CLI::IsMember({"fma", "easy"}))
      ->capture_default_str();
  c.add_option("--genres", o->genres, "top genres used, 1..16 (0: 16 for fma, the largest first; 8 for easy)")
      ->capture_default_str();
  c.add_option("--tracks", o->tracks, "fma: tracks with a top genre")->capture_default_str();
  c.add_option("--genre-floor", o->genre_floor,
               "fma: least tracks per genre (8: every genre has a track in the 15 % validation split)")
      ->capture_default_str();
  c.add_option("--max-artist-tracks", o->max_artist_tracks, "fma: artist sizes are skewed over 1..this")
      ->capture_default_str();
  c.add_option("--overlap", o->overlap,
               "fma: how far an artist's sound may lean towards a neighbouring genre (0: genres apart)")
      ->capture_default_str();
  c.add_option(
       "--track-blend", o->track_blend,
       "fma: each track's style blended towards a random neighbouring genre by a weight up to this (0: the tracks "
       "of an album alike)")
      ->capture_default_str();
  c.add_option("--artist-exponent", o->artist_exponent,
               "fma: artist sizes p(k) ~ k^-this on 1..--max-artist-tracks (larger: more one-track artists)")
      ->capture_default_str();
  c.add_option("--artists", o->artists, "easy: artists per genre")->capture_default_str();
  c.add_option("--tracks-per-artist", o->tracks_per_artist, "easy: tracks per artist")->capture_default_str();
  c.add_option("--seconds", o->seconds, "clip length in seconds")->capture_default_str();
  c.add_option("--sample-rate", o->sample_rate, "22050 or 44100")->capture_default_str();
  c.add_option("--format", o->format, "audio format: mp3, flac or wav")->capture_default_str();
  c.add_option("--mislabel", o->mislabel_fraction,
               "fraction of albums (fma: of tracks, by whole albums) labelled with a neighbouring genre")
      ->capture_default_str();
  c.add_option("--two-genre", o->two_genre_fraction, "fraction of artists with an album in a second genre")
      ->capture_default_str();
  c.add_option("--multi-root", o->multi_root_fraction, "fraction of albums tagged in two roots (no genre_top)")
      ->capture_default_str();
  c.add_option("--threads", o->threads, "worker threads (0: all cores)")->capture_default_str();
  c.add_flag("--quiet", o->quiet, "no progress output");
  return [o, &c] {
    for (const char* f : {"--artists", "--tracks-per-artist"})
      if (o->preset == "fma" && c.count(f))
        throw agf::UsageError(agf::str("synth: ", f,
                                       " is an option of --preset easy; the fma preset sizes artists "
                                       "itself (--tracks, --max-artist-tracks)"));
    for (const char* f :
         {"--tracks", "--genre-floor", "--max-artist-tracks", "--overlap", "--track-blend", "--artist-exponent"})
      if (o->preset == "easy" && c.count(f))
        throw agf::UsageError(agf::str("synth: ", f, " is an option of --preset fma"));
    agf::SynthSummary s = agf::synth_corpus(*o);
    std::printf(
        "synth: %lld tracks, %lld artists (%lld in two genres), %lld albums (%lld mislabelled), "
        "%lld tracks without a top genre, %s audio at %d Hz, %.1f s\n",
        (long long)s.n_tracks, (long long)s.n_artists, (long long)s.n_two_genre_artists, (long long)s.n_albums,
        (long long)s.n_mislabelled_albums, (long long)s.n_no_top, o->format.c_str(), o->sample_rate, s.seconds_taken);
    std::printf("synth: metadata in %s/fma_metadata, audio in %s/fma_audio, ground truth in %s/synth_truth.csv\n",
                o->out_dir.c_str(), o->out_dir.c_str(), o->out_dir.c_str());
    return 0;
  };
});
