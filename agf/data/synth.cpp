// `agf synth` (see synth.h and docs/SYNTH.md): plans artists, albums and tracks from one seeded
// stream, writes fma_metadata/{tracks.csv,genres.csv} in FMA's format and renders the audio in
// parallel, each track from its own stream (Rng::stream(seed, track id)), so the bytes do not
// depend on the thread count.
#include "agf/data/synth.h"
#include <sndfile.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include "agf/data/csv.h"
#include "agf/data/fma.h"
#include "agf/data/synth_style.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/parallel.h"
#include "util/progress.h"

namespace agf {

using namespace synth;
namespace fs = std::filesystem;

namespace {

struct ArtistPlan {
  int64_t id;
  std::string name, location, bio;
  int primary, second = -1;  // top-genre indices
  ArtistVoice voice;
  std::string split;
  int lean = -1;      // fma: the neighbouring genre this artist's sound leans towards
  double lean_w = 0;  // and how far (blend weight)
};

struct AlbumPlan {
  int64_t id;
  int artist;
  int true_genre, label_genre;  // label_genre -1: multi-root (no genre_top)
  int sub;                      // index into the true genre's subgenres (rendering)
  std::vector<int64_t> genres;  // (track, genres) for every track of the album
  bool mislabelled = false;
  std::string title;
  int n_tracks = 0;
  bool blended = false;  // fma: rendered with `style` (the true genre's blended towards a neighbour)
  GenreStyle style;
};

struct TrackPlan {
  int64_t id;
  int album, number;
  std::string title, subset;
};

int sf_format_of(const std::string& f) {
  if (f == "wav") return SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  if (f == "flac") return SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
  if (f == "mp3") return SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III;
  throw UsageError(str("synth: unknown --format '", f, "' (mp3, flac or wav)"));
}

std::string make_name(Rng& rng, bool capital_words) {
  static const std::vector<std::string> syl = {"ka",  "lo", "mi",  "ra",  "zen", "tor", "vel", "na", "shi", "bel",
                                               "dor", "fa", "gri", "mon", "sel", "tak", "vor", "lu", "ein", "os"};
  std::string w;
  int n = int(rng.range(2, 3));
  for (int i = 0; i < n; ++i) w += rng.pick(syl);
  if (capital_words) w[0] = char(w[0] - 'a' + 'A');
  return w;
}

std::string artist_name(Rng& rng) {
  switch (rng.below(4)) {
    case 0: return "The " + make_name(rng, true) + "s";
    case 1: return make_name(rng, true) + " " + make_name(rng, true);
    case 2: return "DJ " + make_name(rng, true);
    default: return make_name(rng, true) + " & the " + make_name(rng, true) + " Band";
  }
}

std::string date(Rng& rng, int y0, int y1) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", int(rng.range(y0, y1)), int(rng.range(1, 12)),
                int(rng.range(1, 28)), int(rng.range(0, 23)), int(rng.range(0, 59)), int(rng.range(0, 59)));
  return buf;
}

// Ancestors (and the id itself) of every id, ascending.
std::vector<int64_t> with_ancestors(const std::vector<int64_t>& ids) {
  std::map<int, int> parent;
  for (const auto& g : genre_catalogue()) parent[g.id] = g.parent;
  std::set<int64_t> all;
  for (int64_t id : ids)
    for (int g = int(id); g != 0; g = parent.at(g)) all.insert(g);
  return {all.begin(), all.end()};
}

void write_audio(const std::string& path, const std::vector<float>& x, int sr, int format) {
  SF_INFO info{};
  info.samplerate = sr;
  info.channels = 1;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  AGF_CHECK(f, IOError, "synth: cannot write '", path, "': ", sf_strerror(nullptr));
  sf_count_t w = sf_write_float(f, x.data(), sf_count_t(x.size()));
  std::string err = w == sf_count_t(x.size()) ? "" : sf_strerror(f);
  sf_close(f);
  AGF_CHECK(err.empty(), IOError, "synth: short write to '", path, "': ", err);
}

}  // namespace

std::vector<int64_t> synth_genre_quotas(int64_t tracks, int genres, int floor) {
  AGF_CHECK(genres >= 1 && genres <= kNumTopGenres, UsageError, "synth: --genres ", genres, " not in 1..16");
  AGF_CHECK(floor >= 1, UsageError, "synth: --genre-floor ", floor, " must be >= 1");
  AGF_CHECK(tracks >= int64_t(floor) * genres, UsageError, "synth: --tracks ", tracks, " is fewer than --genre-floor ",
            floor, " x ", genres, " genres");
  const auto& counts = fma_medium_genre_counts();
  const std::vector<int> chosen(fma_size_order().begin(), fma_size_order().begin() + genres);
  std::vector<bool> floored(kNumTopGenres, false);
  std::vector<double> share(kNumTopGenres, 0.0);
  for (bool changed = true; changed;) {  // floor the genres whose share falls below it, until none does
    changed = false;
    int64_t rest = tracks, mass = 0;
    for (int g : chosen) (floored[size_t(g)] ? rest -= floor : mass += counts[size_t(g)]);
    for (int g : chosen)
      if (!floored[size_t(g)]) {
        share[size_t(g)] = double(rest) * counts[size_t(g)] / double(mass);
        if (share[size_t(g)] < floor) floored[size_t(g)] = changed = true;
      }
  }
  std::vector<int64_t> q(kNumTopGenres, 0);
  int64_t given = 0;
  std::vector<int> by_remainder;
  for (int g : chosen) {
    q[size_t(g)] = floored[size_t(g)] ? floor : int64_t(share[size_t(g)]);
    given += q[size_t(g)];
    if (!floored[size_t(g)]) by_remainder.push_back(g);
  }
  std::stable_sort(by_remainder.begin(), by_remainder.end(), [&](int a, int b) {
    return share[size_t(a)] - std::floor(share[size_t(a)]) > share[size_t(b)] - std::floor(share[size_t(b)]);
  });
  for (size_t i = 0; given < tracks; ++i, ++given) ++q[size_t(by_remainder[i % by_remainder.size()])];
  return q;
}

bool synth_format_supported(const std::string& format, int sample_rate) {
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = 1;
  info.format = sf_format_of(format);
  return sf_format_check(&info) != 0;
}

namespace {

// Validates the options (UsageError; IOError for a format this libsndfile cannot write); returns the number
// of top genres the corpus uses.
int check_options(const SynthOptions& o) {
  AGF_CHECK(!o.out_dir.empty(), UsageError, "synth: --out is required");
  AGF_CHECK(o.preset == "fma" || o.preset == "easy", UsageError, "synth: unknown --preset '", o.preset,
            "' (fma or easy)");
  const bool fma = o.preset == "fma";
  const int n_genres = o.genres != 0 ? o.genres : fma ? kNumTopGenres : 8;
  AGF_CHECK(n_genres >= 1 && n_genres <= kNumTopGenres, UsageError, "synth: --genres ", n_genres, " not in 1..16");
  if (fma) {
    AGF_CHECK(o.max_artist_tracks >= 1, UsageError, "synth: --max-artist-tracks ", o.max_artist_tracks,
              " must be >= 1");
    AGF_CHECK(o.overlap >= 0 && o.overlap <= 1, UsageError, "synth: --overlap ", o.overlap, " not in [0, 1]");
    AGF_CHECK(o.track_blend >= 0 && o.track_blend <= 1, UsageError, "synth: --track-blend ", o.track_blend,
              " not in [0, 1]");
    AGF_CHECK(o.artist_exponent >= 0 && o.artist_exponent <= 5, UsageError, "synth: --artist-exponent ",
              o.artist_exponent, " not in [0, 5]");
    synth_genre_quotas(o.tracks, n_genres, o.genre_floor);  // checks tracks and floor
  }
  AGF_CHECK(o.artists >= 1, UsageError, "synth: --artists ", o.artists, " must be >= 1");
  AGF_CHECK(o.tracks_per_artist >= 1, UsageError, "synth: --tracks-per-artist must be >= 1");
  AGF_CHECK(o.seconds >= 1.0 && o.seconds <= 600.0, UsageError, "synth: --seconds ", o.seconds, " not in [1, 600]");
  AGF_CHECK(o.sample_rate == 22050 || o.sample_rate == 44100, UsageError, "synth: --sample-rate ", o.sample_rate,
            " (22050 or 44100)");
  for (double f : {o.mislabel_fraction, o.two_genre_fraction, o.multi_root_fraction})
    AGF_CHECK(f >= 0 && f <= 1, UsageError, "synth: fraction ", f, " not in [0, 1]");
  sf_format_of(o.format);  // UsageError for an unknown format
  AGF_CHECK(synth_format_supported(o.format, o.sample_rate), IOError, "synth: this libsndfile (", sf_version_string(),
            ") cannot write ", o.format, " at ", o.sample_rate,
            " Hz (MP3 needs libsndfile >= 1.1 built with LAME and mpg123); use --format flac or wav");
  return n_genres;
}

// The top genres a corpus uses (the preset's pick order, the first n).
struct GenreChoice {
  std::vector<int> chosen;
  bool is_chosen(int g) const { return std::find(chosen.begin(), chosen.end(), g) != chosen.end(); }
  // One of the two nearest chosen neighbours of g, or -1.
  int neighbour(int g, Rng& r) const {
    std::vector<int> c;
    for (int n : genre_styles()[size_t(g)].neighbours)
      if (is_chosen(n) && c.size() < 2) c.push_back(n);
    return c.empty() ? -1 : r.pick(c);
  }
};

// Everything the metadata and the audio are made from.
struct CorpusPlan {
  bool fma = false;
  GenreChoice genres;
  std::vector<ArtistPlan> artists;
  std::vector<AlbumPlan> albums;
  std::vector<size_t> album_tracks;  // tracks per album, before the tracks are numbered
  std::vector<TrackPlan> tracks;
};

const std::vector<std::string>& cities() {
  static const std::vector<std::string> c = {"Lyon, France",    "Austin, TX",   "Leipzig, Germany",
                                             "Porto, Portugal", "Brooklyn, NY", "Kyoto, Japan"};
  return c;
}

std::string artist_bio(const ArtistPlan& p, int g, Rng& r) {
  return str("<p>", p.name, " formed in ", r.range(1995, 2015), " in ", p.location, ". Their sound is, in a word, \"",
             make_name(r, false), "\";\nthey call it \"", top_genre_names()[size_t(g)],
             "\", more or less.</p>\r\n<p>Contact: ", make_name(r, false), "@example.org, or don't.</p>");
}

// FMA's split is artist-filtered: whole artists go to training (80 %), validation, test (10 % each).
void split_artists(std::vector<ArtistPlan>& artists, Rng& rng) {
  std::vector<size_t> order(artists.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  rng.shuffle(order);
  size_t n_hold = std::max<size_t>(artists.size() >= 3 ? 1 : 0, size_t(std::lround(0.1 * double(artists.size()))));
  for (size_t i = 0; i < order.size(); ++i)
    artists[order[i]].split = i < n_hold ? "validation" : i < 2 * n_hold ? "test" : "training";
}

// The easy preset: `artists` artists per genre of `tracks_per_artist` tracks, in albums of about three (a
// two-genre artist's last album is in its second genre); album labels, mislabelled ones included.
void plan_easy(const SynthOptions& o, Rng& rng, CorpusPlan& p) {
  const auto& styles = genre_styles();
  std::vector<ArtistPlan>& artists = p.artists;
  std::vector<AlbumPlan>& albums = p.albums;
  int64_t next_artist = 1, next_album = 1;
  for (int g : p.genres.chosen)
    for (int a = 0; a < o.artists; ++a) {
      ArtistPlan ap;
      ap.id = (next_artist += rng.range(1, 9));
      ap.primary = g;
      ap.name = artist_name(rng);
      if (rng.chance(o.two_genre_fraction)) ap.second = p.genres.neighbour(g, rng);
      ap.voice = make_artist_voice(styles[size_t(g)], rng);
      ap.location = rng.pick(cities());
      ap.bio = artist_bio(ap, g, rng);
      artists.push_back(std::move(ap));
    }
  split_artists(artists, rng);

  // Albums (about three tracks each; a two-genre artist's last album is in its second genre).
  const int per_album = 3, n_albums = std::max(1, (o.tracks_per_artist + per_album - 1) / per_album);
  for (size_t a = 0; a < artists.size(); ++a) {
    for (int b = 0; b < n_albums; ++b) {
      AlbumPlan al;
      al.id = (next_album += rng.range(1, 5));
      al.artist = int(a);
      al.true_genre = (b == n_albums - 1 && b > 0 && artists[a].second >= 0) ? artists[a].second : artists[a].primary;
      if (n_albums == 1 && artists[a].second >= 0 && rng.chance(0.5)) al.true_genre = artists[a].second;
      const auto& st = styles[size_t(al.true_genre)];
      al.sub = int(rng.below(int64_t(st.subs.size())));
      al.label_genre = al.true_genre;
      int nb = p.genres.neighbour(al.true_genre, rng);
      if (nb >= 0 && rng.chance(o.mislabel_fraction)) {
        al.label_genre = nb;
        al.mislabelled = true;
      }
      const auto& lst = styles[size_t(al.label_genre)];
      int64_t sub_id =
          al.mislabelled ? lst.subs[size_t(rng.below(int64_t(lst.subs.size())))].id : st.subs[size_t(al.sub)].id;
      al.genres = {sub_id};
      if (rng.chance(0.3)) al.genres.insert(al.genres.begin(), lst.root_id);
      if (!al.mislabelled && nb >= 0 && rng.chance(o.multi_root_fraction)) {
        const auto& ost = styles[size_t(nb)];
        al.genres.push_back(ost.subs[size_t(rng.below(int64_t(ost.subs.size())))].id);
        al.label_genre = -1;  // two roots: FMA leaves genre_top empty
      }
      al.title = make_name(rng, true) + " " + make_name(rng, true);
      albums.push_back(std::move(al));
    }
  }
  // Tracks, spread over each artist's albums.
  p.album_tracks.assign(albums.size(), 0);
  for (size_t a = 0; a < artists.size(); ++a)
    for (int t = 0; t < o.tracks_per_artist; ++t) ++p.album_tracks[a * size_t(n_albums) + size_t(t / per_album)];
}

// The fma preset's albums as they are planned: each album's size, and each artist's tracks so far.
struct FmaAlbums {
  FmaAlbums(CorpusPlan& plan, Rng& r) : p(plan), rng(r) {}
  CorpusPlan& p;
  Rng& rng;
  int64_t next_album = 1;
  std::vector<int64_t> album_size, artist_size;
  // n tracks of `artist` labelled `label`, in albums of 1 to 5 tracks.
  void add(size_t artist, int label, int64_t n) {
    artist_size.resize(p.artists.size(), 0);
    artist_size[artist] += n;
    while (n > 0) {
      AlbumPlan al;
      al.id = (next_album += rng.range(1, 5));
      al.artist = int(artist);
      al.true_genre = al.label_genre = label;
      int64_t k = std::min<int64_t>(n, rng.range(1, 5));
      album_size.push_back(k);
      n -= k;
      p.albums.push_back(std::move(al));
    }
  }
};

// fma: every genre gets its quota of labelled tracks (synth_genre_quotas), filled by artists of skewed
// sizes; a two-genre artist's last album is labelled in a neighbour.
void plan_fma_artists(const SynthOptions& o, int n_genres, Rng& rng, FmaAlbums& fa) {
  const auto& styles = genre_styles();
  CorpusPlan& p = fa.p;
  const std::vector<int>& chosen = p.genres.chosen;
  const auto quota = synth_genre_quotas(o.tracks, n_genres, o.genre_floor);
  auto left = quota;
  std::vector<double> cum;  // p(k) ~ k^-exponent on 1..max: many one-track artists, a few big ones
  for (int k = 1; k <= o.max_artist_tracks; ++k)
    cum.push_back((cum.empty() ? 0.0 : cum.back()) + std::pow(k, -o.artist_exponent));
  auto draw_size = [&] {
    double u = rng.uniform() * cum.back();
    return int64_t(std::upper_bound(cum.begin(), cum.end(), u) - cum.begin()) + 1;
  };
  int64_t next_artist = 1;
  for (int g : chosen)
    for (bool first = g == chosen.front(); left[size_t(g)] > 0; first = false) {
      ArtistPlan ap;
      ap.id = (next_artist += rng.range(1, 9));
      ap.primary = g;
      ap.name = artist_name(rng);
      ap.lean = p.genres.neighbour(g, rng);
      ap.lean_w = ap.lean >= 0 ? o.overlap * rng.uniform() : 0.0;
      ap.voice =
          make_artist_voice(ap.lean >= 0 ? blend_styles(styles[size_t(g)], styles[size_t(ap.lean)], ap.lean_w, rng)
                                         : styles[size_t(g)],
                            rng);
      ap.location = rng.pick(cities());
      ap.bio = artist_bio(ap, g, rng);
      const int64_t size = first ? o.max_artist_tracks : draw_size();  // FMA has its prolific artists
      int64_t second = 0;
      int h = p.genres.neighbour(g, rng);
      if (size >= 2 && h >= 0 && rng.chance(o.two_genre_fraction))  // leave half of h's quota to its own artists
        second = std::min<int64_t>({rng.range(1, 4), size - 1, left[size_t(h)] - quota[size_t(h)] / 2});
      const int64_t own = std::min(size - std::max<int64_t>(second, 0), left[size_t(g)]);
      p.artists.push_back(std::move(ap));
      fa.add(p.artists.size() - 1, g, own);
      left[size_t(g)] -= own;
      if (second > 0) {
        fa.add(p.artists.size() - 1, h, second);
        left[size_t(h)] -= second;
        p.artists.back().second = h;
      }
    }
}

// fma: label noise by whole albums: a shuffled walk marks albums until `mislabel` of the tracks is reached;
// their audio is a neighbour's style under this label.
void mislabel_fma_albums(const SynthOptions& o, Rng& rng, FmaAlbums& fa) {
  std::vector<AlbumPlan>& albums = fa.p.albums;
  const int64_t target = std::llround(o.mislabel_fraction * double(o.tracks));
  std::vector<size_t> walk(albums.size());
  for (size_t i = 0; i < walk.size(); ++i) walk[i] = i;
  rng.shuffle(walk);
  int64_t mislabelled = 0;
  for (size_t ai : walk) {
    if (mislabelled + fa.album_size[ai] > target) continue;
    int nb = fa.p.genres.neighbour(albums[ai].label_genre, rng);
    if (nb < 0) continue;
    albums[ai].true_genre = nb;
    albums[ai].mislabelled = true;
    mislabelled += fa.album_size[ai];
  }
}

// fma: each album's subgenre, genre tags (two roots for the albums from n_labelled_albums on), style (leaning
// towards a neighbour by the artist's weight) and title.
void style_fma_albums(Rng& rng, CorpusPlan& p, size_t n_labelled_albums) {
  const auto& styles = genre_styles();
  for (size_t ai = 0; ai < p.albums.size(); ++ai) {
    AlbumPlan& al = p.albums[ai];
    const ArtistPlan& ar = p.artists[size_t(al.artist)];
    const auto& st = styles[size_t(al.true_genre)];
    al.sub = int(rng.below(int64_t(st.subs.size())));
    const auto& lst = styles[size_t(al.label_genre)];
    al.genres = {al.mislabelled ? lst.subs[size_t(rng.below(int64_t(lst.subs.size())))].id
                                : st.subs[size_t(al.sub)].id};
    if (rng.chance(0.3)) al.genres.insert(al.genres.begin(), lst.root_id);
    if (ai >= n_labelled_albums) {
      const auto& ost = styles[size_t(p.genres.neighbour(al.true_genre, rng))];
      al.genres = {st.subs[size_t(al.sub)].id, ost.subs[size_t(rng.below(int64_t(ost.subs.size())))].id};
      al.label_genre = -1;
    }
    // Overlap: the album's style leans towards the artist's neighbour (or, away from home, towards
    // the artist's own genre), by the artist's weight give or take a little.
    int towards = ar.lean >= 0 && ar.lean != al.true_genre ? ar.lean
                  : al.true_genre != ar.primary            ? ar.primary
                                                           : p.genres.neighbour(al.true_genre, rng);
    double w = std::clamp(ar.lean_w + 0.05 * rng.normal(), 0.0, 1.0);
    if (towards >= 0 && towards != al.true_genre && w > 0) {
      al.style = blend_styles(st, styles[size_t(towards)], w, rng);
      al.blended = true;
    }
    al.title = make_name(rng, true) + " " + make_name(rng, true);
  }
}

// The fma preset: labels first (artists filling each genre's quota), the artist split, label noise, albums
// under two roots on top of the labelled tracks, then each album's tags and style.
void plan_fma(const SynthOptions& o, int n_genres, Rng& rng, CorpusPlan& p) {
  FmaAlbums fa(p, rng);
  plan_fma_artists(o, n_genres, rng, fa);
  split_artists(p.artists, rng);
  mislabel_fma_albums(o, rng, fa);
  // Albums tagged under two roots (no genre_top, subset large), on top of the labelled tracks.
  const size_t n_labelled_albums = p.albums.size();
  const int64_t n_multi = std::llround(o.multi_root_fraction * double(n_labelled_albums));
  for (int64_t m = 0; m < n_multi; ++m) {
    size_t a = size_t(rng.below(int64_t(p.artists.size())));
    int64_t n = rng.range(1, 3);
    if (p.genres.neighbour(p.artists[a].primary, rng) < 0 || fa.artist_size[a] + n > o.max_artist_tracks) continue;
    fa.add(a, p.artists[a].primary, n);
  }
  style_fma_albums(rng, p, n_labelled_albums);
  p.album_tracks.assign(fa.album_size.begin(), fa.album_size.end());
}

// The tracks: ids increase in a shuffled album order, as FMA's ids (upload order) interleave artists.
void plan_tracks(Rng& rng, CorpusPlan& p) {
  std::vector<size_t> album_order(p.albums.size());
  for (size_t i = 0; i < p.albums.size(); ++i) album_order[i] = i;
  rng.shuffle(album_order);
  int64_t next_track = 0;
  const auto& known_bad = fma_medium_known_bad_ids();
  for (size_t ai : album_order) {
    int number = 0;
    for (size_t k = 0; k < p.album_tracks[ai]; ++k) {
      TrackPlan t;
      t.id = (next_track += rng.range(1, 12));
      if (p.fma)  // fma: no id that `agf prepare` drops as a known-bad fma_medium file
        while (std::binary_search(known_bad.begin(), known_bad.end(), t.id)) t.id = ++next_track;
      t.album = int(ai);
      t.number = ++number;
      t.title = make_name(rng, true) + (rng.chance(0.2) ? ", Pt. 2" : "");
      t.subset = p.albums[ai].label_genre < 0 ? "large" : rng.chance(0.4) ? "small" : "medium";
      p.tracks.push_back(std::move(t));
      ++p.albums[ai].n_tracks;
    }
  }
  AGF_CHECK(next_track <= 999999, UsageError, "synth: ", p.tracks.size(), " tracks do not fit FMA's 6-digit ids");
}

// Artists, albums and tracks from one stream seeded with o.seed; writes nothing.
CorpusPlan plan_corpus(const SynthOptions& o, int n_genres) {
  CorpusPlan p;
  p.fma = o.preset == "fma";
  const auto& pick_order = p.fma ? fma_size_order() : genre_pick_order();
  p.genres.chosen.assign(pick_order.begin(), pick_order.begin() + n_genres);
  Rng rng(o.seed);
  if (p.fma)
    plan_fma(o, n_genres, rng, p);
  else
    plan_easy(o, rng, p);
  plan_tracks(rng, p);
  return p;
}

// One row of tracks.csv: FMA's columns, the cosmetic ones from the track's own stream.
std::string tracks_csv_row(const SynthOptions& o, const CorpusPlan& p, const TrackPlan& t,
                           const std::vector<int64_t>& genres_all) {
  const AlbumPlan& al = p.albums[size_t(t.album)];
  const ArtistPlan& ar = p.artists[size_t(al.artist)];
  // mp3: libsndfile's default LAME setting (64 kb/s mono); otherwise the PCM rate.
  const int64_t bit_rate = o.format == "mp3" ? 64000 : int64_t(o.sample_rate) * 16;
  Rng r = Rng::stream(o.seed ^ 0x5EEDull, uint64_t(t.id));  // cosmetic columns
  std::map<std::pair<std::string, std::string>, std::string> v;
  v[{"album", "comments"}] = "0";
  v[{"album", "date_created"}] = date(r, 2009, 2016);
  v[{"album", "favorites"}] = std::to_string(r.range(0, 5));
  v[{"album", "id"}] = std::to_string(al.id);
  v[{"album", "information"}] = "<p>Recorded live, mostly; \"mastered\" by a friend.</p>";
  v[{"album", "listens"}] = std::to_string(r.range(100, 90000));
  v[{"album", "tags"}] = "[]";
  v[{"album", "title"}] = al.title;
  v[{"album", "tracks"}] = std::to_string(al.n_tracks);
  v[{"album", "type"}] = "Album";
  v[{"artist", "bio"}] = ar.bio;
  v[{"artist", "comments"}] = "0";
  v[{"artist", "date_created"}] = date(r, 2008, 2012);
  v[{"artist", "favorites"}] = std::to_string(r.range(0, 40));
  v[{"artist", "id"}] = std::to_string(ar.id);
  v[{"artist", "location"}] = ar.location;
  v[{"artist", "name"}] = ar.name;
  v[{"artist", "tags"}] = format_str_list({"synthetic", ar.location.substr(0, ar.location.find(','))});
  v[{"artist", "website"}] = "http://example.org/" + std::to_string(ar.id);
  v[{"set", "split"}] = ar.split;
  v[{"set", "subset"}] = t.subset;
  v[{"track", "bit_rate"}] = std::to_string(bit_rate);
  v[{"track", "comments"}] = "0";
  v[{"track", "date_created"}] = date(r, 2009, 2016);
  v[{"track", "duration"}] = std::to_string(int64_t(o.seconds));
  v[{"track", "favorites"}] = std::to_string(r.range(0, 10));
  v[{"track", "genre_top"}] = al.label_genre >= 0 ? top_genre_names()[size_t(al.label_genre)] : "";
  v[{"track", "genres"}] = format_int_list(al.genres);
  v[{"track", "genres_all"}] = format_int_list(genres_all);
  v[{"track", "interest"}] = std::to_string(r.range(100, 20000));
  v[{"track", "language_code"}] = "en";
  v[{"track", "license"}] = "Attribution-NonCommercial-ShareAlike 3.0 International";
  v[{"track", "listens"}] = std::to_string(r.range(50, 50000));
  v[{"track", "number"}] = std::to_string(t.number);
  v[{"track", "tags"}] = "[]";
  v[{"track", "title"}] = t.title;
  std::vector<std::string> row{std::to_string(t.id)};
  for (const auto& c : fma_track_columns()) {
    auto it = v.find(c);
    row.push_back(it == v.end() ? "" : it->second);
  }
  return csv_row(row);
}

// genres.csv: every genre of the catalogue with its track count (over genres_all) and its top-level root.
std::string genres_csv(const std::map<int64_t, int64_t>& genre_count) {
  std::string gcsv = "genre_id,#tracks,parent,title,top_level\n";
  std::map<int, GenreEntry> by_id;
  for (const auto& g : genre_catalogue()) by_id[g.id] = g;
  for (const auto& [id, g] : by_id) {
    int top = id;
    while (by_id.at(top).parent != 0) top = by_id.at(top).parent;
    const auto n = genre_count.find(id);
    gcsv += csv_row({std::to_string(id), std::to_string(n == genre_count.end() ? 0 : n->second),
                     std::to_string(g.parent), g.title, std::to_string(top)});
  }
  return gcsv;
}

std::string truth_csv(const std::vector<SynthTrackTruth>& truth) {
  std::string out = "track_id,artist_id,album_id,true_genre,label_genre,subgenre_id,mislabelled\n";
  for (const auto& t : truth)
    out += csv_row({std::to_string(t.track_id), std::to_string(t.artist_id), std::to_string(t.album_id),
                    top_genre_names()[size_t(t.true_genre)],
                    t.label_genre >= 0 ? top_genre_names()[size_t(t.label_genre)] : "", std::to_string(t.subgenre_id),
                    t.mislabelled ? "1" : "0"});
  return out;
}

// OUT/fma_metadata/{tracks.csv,genres.csv} in FMA's format and OUT/synth_truth.csv; the truth also in sum.
void write_metadata(const SynthOptions& o, const CorpusPlan& p, SynthSummary* sum) {
  const auto& styles = genre_styles();
  fs::path meta = fs::path(o.out_dir) / "fma_metadata";
  std::error_code ec;
  fs::create_directories(meta, ec);
  AGF_CHECK(!ec, IOError, "synth: cannot create '", meta.string(), "': ", ec.message());
  std::string csv;
  {
    std::vector<std::string> l1{""}, l2{""}, l3{"track_id"};
    for (const auto& c : fma_track_columns()) {
      l1.push_back(c.first);
      l2.push_back(c.second);
      l3.push_back("");
    }
    csv = csv_row(l1) + csv_row(l2) + csv_row(l3);
  }
  std::map<int64_t, int64_t> genre_count;
  for (const auto& t : p.tracks) {
    const AlbumPlan& al = p.albums[size_t(t.album)];
    const ArtistPlan& ar = p.artists[size_t(al.artist)];
    auto all = with_ancestors(al.genres);
    for (int64_t g : all) ++genre_count[g];
    csv += tracks_csv_row(o, p, t, all);
    sum->truth.push_back({t.id, ar.id, al.id, al.true_genre, al.label_genre,
                          styles[size_t(al.true_genre)].subs[size_t(al.sub)].id, al.mislabelled});
  }
  write_file_atomic((meta / "tracks.csv").string(), csv);
  write_file_atomic((meta / "genres.csv").string(), genres_csv(genre_count));
  write_file_atomic((fs::path(o.out_dir) / "synth_truth.csv").string(), truth_csv(sum->truth));
}

// OUT/fma_audio/ddd/dddddd.<ext>, in parallel; each track from its own stream.
void render_audio(const SynthOptions& o, const CorpusPlan& p) {
  const auto& styles = genre_styles();
  const int sf_format = sf_format_of(o.format);
  const fs::path audio = fs::path(o.out_dir) / "fma_audio";
  std::error_code ec;
  for (const auto& t : p.tracks) {
    fs::create_directories(audio / fma_audio_relpath(t.id, o.format).substr(0, 3), ec);
    AGF_CHECK(!ec, IOError, "synth: cannot create folders under '", audio.string(), "': ", ec.message());
  }
  auto render = [&](size_t i) {
    const TrackPlan& t = p.tracks[i];
    const AlbumPlan& al = p.albums[size_t(t.album)];
    const ArtistPlan& ar = p.artists[size_t(al.artist)];
    const GenreStyle* stp = al.blended ? &al.style : &styles[size_t(al.true_genre)];
    // Per-track variation (fma --track-blend): from a stream of its own, so that without it every byte is as before.
    GenreStyle track_style;
    if (p.fma && o.track_blend > 0) {
      Rng tr = Rng::stream(o.seed ^ 0x747261636b626cull, uint64_t(t.id));
      const int nb = p.genres.neighbour(al.true_genre, tr);
      const double w = o.track_blend * tr.uniform();
      if (nb >= 0 && w > 0) {
        track_style = blend_styles(*stp, styles[size_t(nb)], w, tr);
        stp = &track_style;
      }
    }
    const GenreStyle& st = *stp;
    ArtistVoice voice = ar.voice;  // in a second genre the artist keeps its sound, at that genre's tempo
    voice.tempo = std::clamp(voice.tempo, st.tempo_lo, st.tempo_hi);
    Rng r = Rng::stream(o.seed, uint64_t(t.id));
    auto x = render_track(st, st.subs[size_t(al.sub)], voice, r, o.seconds, o.sample_rate);
    write_audio((audio / fma_audio_relpath(t.id, o.format)).string(), x, o.sample_rate, sf_format);
  };
  Progress prog("synth", int64_t(p.tracks.size()), "tracks", o.quiet);
  parallel_for(p.tracks.size(), o.threads, render, &prog, nullptr, 50);
  prog.finish(
      str(p.tracks.size(), " tracks, ", p.artists.size(), " artists, ", p.albums.size(), " albums in ", o.out_dir));
}

}  // namespace

SynthSummary synth_corpus(const SynthOptions& o) {
  const int n_genres = check_options(o);
  auto t_start = std::chrono::steady_clock::now();
  const CorpusPlan p = plan_corpus(o, n_genres);
  SynthSummary sum;
  write_metadata(o, p, &sum);
  render_audio(o, p);

  sum.n_tracks = int64_t(p.tracks.size());
  sum.n_artists = int64_t(p.artists.size());
  sum.n_albums = int64_t(p.albums.size());
  for (const auto& al : p.albums) {
    sum.n_mislabelled_albums += al.mislabelled;
    if (al.label_genre < 0) sum.n_no_top += al.n_tracks;
  }
  for (const auto& ar : p.artists) sum.n_two_genre_artists += ar.second >= 0;
  sum.seconds_taken = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  return sum;
}

}  // namespace agf
