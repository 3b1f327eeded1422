// The artist-group-factor pipeline (see factors.h): tracks of the work folder's subset, features,
// K-means dictionary, artist bags divided by track counts, LDA, targets per track, model, summaries.
#include "agf/factors/factors.h"

#include <sys/stat.h>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include "agf/data/fma.h"
#include "agf/data/split.h"
#include "agf/factors/bags.h"
#include "agf/factors/features.h"
#include "agf/factors/kmeans.h"
#include "agf/factors/lda.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "engine/safetensors.h"
#include "agf/data/workdir.h"

namespace agf {

namespace {

struct Corpus {
  FmaMetadata meta;
  std::vector<const Track*> tracks;  // subset tracks with an artist, ascending id
  std::vector<int64_t> artist_ids;   // ascending
  std::vector<std::string> artist_names;
  std::vector<int32_t> artist_of_track;  // (tracks) index into artist_ids
  std::vector<char> in_fit;              // (tracks) 1: the track feeds dictionaries, bags and LDA
  std::vector<std::string> notes;
};

Corpus load_corpus(const FactorsOptions& o) {
  Corpus c;
  c.meta = load_fma_metadata(o.metadata_dir);
  auto sel = select_subset(c.meta, o.subset);
  const auto bad = remove_known_bad(sel);
  if (!bad.empty()) c.notes.push_back(str(bad.size(), " FMA tracks known to have no audio were left out"));
  int64_t no_artist = 0;
  for (const Track* t : sel) {
    if (t->artist_id >= 0)
      c.tracks.push_back(t);
    else
      ++no_artist;
  }
  if (no_artist > 0) c.notes.push_back(str(no_artist, " tracks without an artist id have no factor and were left out"));
  AGF_CHECK(!c.tracks.empty(), UsageError, "factors: no tracks with an artist in subset '", o.subset, "' of ",
            o.metadata_dir);
  std::sort(c.tracks.begin(), c.tracks.end(), [](const Track* a, const Track* b) { return a->id < b->id; });
  std::map<int64_t, std::string> artists;
  for (const Track* t : c.tracks) artists.emplace(t->artist_id, t->artist_name);
  std::map<int64_t, int> index;
  for (const auto& [id, name] : artists) {
    index[id] = static_cast<int>(c.artist_ids.size());
    c.artist_ids.push_back(id);
    c.artist_names.push_back(name.empty() ? str("artist ", id) : name);
  }
  for (const Track* t : c.tracks) c.artist_of_track.push_back(index[t->artist_id]);
  c.in_fit.assign(c.tracks.size(), 1);
  if (o.factors_from == "train") {
    const std::string sp = WorkDir(o.work_dir).split();
    AGF_CHECK(std::filesystem::exists(sp), UsageError, "factors --factors-from train: ", sp,
              " does not exist (run `agf prepare` first, or use --factors-from all)");
    const Split split = load_split(sp);
    const std::set<int64_t> train(split.train.begin(), split.train.end());
    int64_t n_fit = 0;
    for (size_t i = 0; i < c.tracks.size(); ++i) {
      c.in_fit[i] = char(train.count(c.tracks[i]->id) > 0);
      n_fit += c.in_fit[i];
    }
    AGF_CHECK(n_fit > 0, UsageError, "factors --factors-from train: no track of subset '", o.subset,
              "' is in the training split of ", sp);
    c.notes.push_back(str("fitted on the ", n_fit, " training tracks of ", sp, " (--factors-from train); ",
                          int64_t(c.tracks.size()) - n_fit, " other tracks only receive their artist's topics"));
  }
  return c;
}

void write_json_file(const std::string& path, const std::string& text) { write_file_atomic(path, text + "\n"); }

// The artists a kind is fitted on: those with at least one usable track, and their track counts (the bag
// divisors). With --factors-from train only training tracks are usable: the others have no features computed.
struct ArtistSlots {
  std::vector<char> track_ok;  // (tracks) in the fit and (audio kinds) with features
  std::vector<int> slot;       // (all artists) index into kept, or -1
  std::vector<int> kept;       // artist indices, ascending
  std::vector<int> divisor;    // (kept) usable tracks
};

ArtistSlots artist_slots(char kind, const FactorsOptions& o, const Corpus& c, const std::vector<TrackFeatures>* feats,
                         FactorReport* r) {
  ArtistSlots as;
  const int A_all = static_cast<int>(c.artist_ids.size());
  std::vector<int> usable_tracks(A_all, 0);
  as.track_ok = c.in_fit;
  std::vector<char>& track_ok = as.track_ok;
  if (feats)
    for (size_t i = 0; i < c.tracks.size(); ++i) track_ok[i] = c.in_fit[i] && (*feats)[i].ok;
  for (size_t i = 0; i < c.tracks.size(); ++i) usable_tracks[c.artist_of_track[i]] += track_ok[i];
  as.slot.assign(A_all, -1);
  std::vector<std::string> skipped;
  for (int a = 0; a < A_all; ++a) {
    if (usable_tracks[a] > 0) {
      as.slot[a] = static_cast<int>(as.kept.size());
      as.kept.push_back(a);
      as.divisor.push_back(usable_tracks[a]);
    } else {
      skipped.push_back(c.artist_names[a]);
    }
  }
  if (!skipped.empty()) {
    std::string list;
    for (size_t i = 0; i < std::min<size_t>(5, skipped.size()); ++i) list += (i ? ", " : "") + skipped[i];
    r->notes.push_back(str(skipped.size(), " artists with no ",
                           o.factors_from == "train" ? "usable training" : "decodable", " track were skipped (", list,
                           skipped.size() > 5 ? ", ..." : "", ")"));
  }
  const int A = static_cast<int>(as.kept.size());
  AGF_CHECK(A >= 1, UsageError, "factors ", kind, ": no artist has a usable track");
  int64_t bad_tracks = 0;
  for (size_t i = 0; i < c.tracks.size(); ++i) bad_tracks += c.in_fit[i] && !track_ok[i];
  if (bad_tracks)
    r->notes.push_back(str(
        bad_tracks, " tracks had no usable audio (first: ",
        [&] {
      for (size_t i = 0; i < c.tracks.size(); ++i)
        if (c.in_fit[i] && !track_ok[i]) return (*feats)[i].error;
      return std::string();
        }(),
        ")"));
  return as;
}

// A kind's items, each with its artist slot, as terms of a vocabulary of V: the genre ids of the fitted
// tracks (s), or the K-means cluster of each point (m, d, e).
struct Items {
  std::vector<int32_t> labels, item_artist;
  int V = 0;
  std::vector<int64_t> vocab_ids;  // s: genre id per term
  KMeansResult<float> km;          // m, d, e
  int D = 0;                       // m, d, e: point dimension
  std::vector<int> kept_cols;      // e: the descriptor columns kept (not constant)
};

// s: every genre id of every fitted track is an item.
void genre_items(const Corpus& c, const ArtistSlots& as, Items* it, FactorReport* r) {
  std::map<int, int> term;
  for (size_t i = 0; i < c.tracks.size(); ++i)
    if (c.in_fit[i])
      for (int g : c.tracks[i]->genres) term.emplace(g, 0);
  for (auto& [g, idx] : term) {
    idx = static_cast<int>(it->vocab_ids.size());
    it->vocab_ids.push_back(g);
  }
  AGF_CHECK(!it->vocab_ids.empty(), UsageError, "factors s: no track has a genre id");
  for (size_t i = 0; i < c.tracks.size(); ++i)
    if (c.in_fit[i])
      for (int g : c.tracks[i]->genres) {
        it->labels.push_back(term[g]);
        it->item_artist.push_back(as.slot[c.artist_of_track[i]]);
      }
  it->V = static_cast<int>(it->vocab_ids.size());
  r->points = static_cast<int64_t>(it->labels.size());
}

// m, d, e: the points (rows of D), one per MFCC frame (m), frame difference (d) or track (e, its descriptors;
// their track ids in *row_ids).
std::vector<float> feature_points(char kind, const Corpus& c, const std::vector<TrackFeatures>& feats,
                                  const ArtistSlots& as, Items* it, std::vector<int64_t>* row_ids) {
  std::vector<float> points;
  for (size_t i = 0; i < c.tracks.size(); ++i) {
    if (!as.track_ok[i]) continue;
    const TrackFeatures& f = feats[i];
    const int slot = as.slot[c.artist_of_track[i]];
    if (kind == 'e') {
      it->D = static_cast<int>(f.desc.size());
      points.insert(points.end(), f.desc.begin(), f.desc.end());
      it->item_artist.push_back(slot);
      row_ids->push_back(f.track_id);
    } else {
      it->D = f.n_mfcc;
      const int T = kind == 'm' ? f.frames : f.frames - 1;  // d[t] = m[t + 1] - m[t]
      for (int t = 0; t < T; ++t) {
        for (int k = 0; k < f.n_mfcc; ++k) {
          const float* row = f.mfcc.data() + static_cast<int64_t>(k) * f.frames;
          points.push_back(kind == 'm' ? row[t] : row[t + 1] - row[t]);
        }
        it->item_artist.push_back(slot);
      }
    }
  }
  return points;
}

// e: the descriptors quantile-normalised per column over the N tracks; constant columns dropped.
void normalise_descriptors(std::vector<float>* points, int64_t N, const std::vector<int64_t>& row_ids, Items* it,
                           FactorReport* r) {
  auto names = song_descriptor_names();
  auto q = quantile_normalize(*points, N, it->D, row_ids, names);
  if (!q.dropped.empty()) {
    std::string list;
    for (size_t i = 0; i < std::min<size_t>(8, q.dropped.size()); ++i)
      list += (i ? ", " : "") +
              (q.dropped[i] < static_cast<int>(names.size()) ? names[q.dropped[i]] : str("#", q.dropped[i]));
    r->notes.push_back(str(q.dropped.size(), " constant descriptor columns were dropped (", list,
                           q.dropped.size() > 8 ? ", ..." : "", ")"));
  }
  AGF_CHECK(!q.kept.empty(), UsageError, "factors e: every descriptor column is constant over the ", N, " tracks");
  *points = std::move(q.x);
  it->kept_cols = q.kept;
  it->D = static_cast<int>(it->kept_cols.size());
}

// m, d, e: the K-means dictionary over the points (--clusters, clamped to the number of points).
// compute: where the K-means assignments run.
void cluster_items(char kind, const FactorsOptions& o, const Compute& compute, const std::vector<float>& points,
                   Items* it, FactorReport* r) {
  const int64_t N = static_cast<int64_t>(it->item_artist.size());
  const int D = it->D;
  KMeansParams kp;
  kp.k = o.clusters;
  if (kp.k > N) {
    r->notes.push_back(
        str("--clusters ", o.clusters, " is more than the ", N, " points of '", kind, "': clamped to ", N));
    std::fprintf(stderr, "factors %c: note: --clusters %d > %lld points; using %lld clusters\n", kind, o.clusters,
                 static_cast<long long>(N), static_cast<long long>(N));
    kp.k = static_cast<int>(N);
  }
  kp.seed = o.seed;
  kp.compute = &compute;
  kp.max_points_per_centroid = o.max_points_per_centroid;
  // k-means++ costs O(N k D) on all N points; on a sample of 32 points per cluster it is O(32 k^2 D), which
  // is what makes the paper's millions of frames x 2048 clusters cheap to seed (sklearn's MiniBatchKMeans
  // seeds on a sample too: 3 x batch). The floor keeps small problems on all points, where seeding is cheap
  // anyway and a sample of a few hundred points seeds worse (tests/data Factors.PipelineOnTinyCorpus: 396
  // points, k = 6 failed for 9 of 16 seeds with a 192-point sample, 3 of 16 on all points).
  kp.init_size = std::max<int64_t>(32 * static_cast<int64_t>(kp.k), 4096);
  kp.minibatch = o.minibatch;
  kp.max_iter = o.kmeans_max_iter;
  kp.verbose = o.verbose;
  it->km = kmeans_fit(points.data(), N, D, kp);
  it->labels = it->km.labels;
  it->V = kp.k;
  r->points = N;
  r->inertia = it->km.inertia;
  r->kmeans_iters = it->km.n_iter;
}

// A kind's items: genre terms (s) or clustered points (m, d, e).
Items make_items(char kind, const FactorsOptions& o, const Compute& compute, const Corpus& c,
                 const std::vector<TrackFeatures>* feats, const ArtistSlots& as, FactorReport* r) {
  Items it;
  if (kind == 's') {
    genre_items(c, as, &it, r);
    return it;
  }
  std::vector<int64_t> row_ids;
  std::vector<float> points = feature_points(kind, c, *feats, as, &it, &row_ids);
  const int64_t N = static_cast<int64_t>(it.item_artist.size());
  if (kind == 'e') normalise_descriptors(&points, N, row_ids, &it, r);
  cluster_items(kind, o, compute, points, &it, r);
  return it;
}

// WORK/factors/<k>.safetensors: every track of a kept artist with its artist's topics.
void write_targets(char kind, const FactorsOptions& o, const Corpus& c, const ArtistSlots& as,
                   const std::vector<float>& artist_topics, const std::map<std::string, std::string>& meta,
                   FactorReport* r) {
  std::vector<int64_t> track_ids;
  std::vector<float> targets;
  for (size_t i = 0; i < c.tracks.size(); ++i) {
    const int slot = as.slot[c.artist_of_track[i]];
    if (slot < 0) continue;
    track_ids.push_back(c.tracks[i]->id);
    targets.insert(targets.end(), artist_topics.begin() + static_cast<int64_t>(slot) * o.topics,
                   artist_topics.begin() + static_cast<int64_t>(slot + 1) * o.topics);
  }
  r->tracks = static_cast<int64_t>(track_ids.size());
  write_safetensors(factor_targets_path(o.work_dir, kind),
                    {{"track_ids", StDType::I64, {r->tracks}, track_ids.data(), track_ids.size() * 8},
                     {"targets", StDType::F32, {r->tracks, o.topics}, targets.data(), targets.size() * 4}},
                    meta);
}

// WORK/factors/<k>_model.safetensors: the kept artists, their topics and bags, the LDA components, and the
// vocabulary (genre ids or centroids; e: the descriptor columns kept).
void write_model(char kind, const FactorsOptions& o, const Corpus& c, const ArtistSlots& as, const Items& it,
                 const std::vector<double>& bags, const LdaModel& lda, const std::vector<float>& artist_topics,
                 const std::map<std::string, std::string>& meta) {
  const int A = static_cast<int>(as.kept.size()), V = it.V, D = it.D;
  std::vector<int64_t> artist_ids;
  for (int a : as.kept) artist_ids.push_back(c.artist_ids[a]);
  std::vector<float> bagsf(bags.begin(), bags.end()), comp(lda.components.begin(), lda.components.end());
  std::vector<int64_t> cols(it.kept_cols.begin(), it.kept_cols.end());
  std::vector<StView> model{
      {"artist_ids", StDType::I64, {A}, artist_ids.data(), artist_ids.size() * 8},
      {"artist_topics", StDType::F32, {A, o.topics}, artist_topics.data(), artist_topics.size() * 4},
      {"bags", StDType::F32, {A, V}, bagsf.data(), bagsf.size() * 4},
      {"lda_components", StDType::F32, {o.topics, V}, comp.data(), comp.size() * 4}};
  if (kind == 's')
    model.push_back({"genre_ids", StDType::I64, {V}, it.vocab_ids.data(), it.vocab_ids.size() * 8});
  else
    model.push_back({"centroids", StDType::F32, {V, D}, it.km.centroids.data(), it.km.centroids.size() * 4});
  if (kind == 'e') model.push_back({"descriptor_columns", StDType::I64, {D}, cols.data(), cols.size() * 8});
  write_safetensors(WorkDir(o.work_dir).factor_file(kind, "_model.safetensors"), model, meta);
}

// WORK/factors/<k>_summary.{md,json}: each group's artists and their genres.
void write_summaries(char kind, const FactorsOptions& o, const Corpus& c, const ArtistSlots& as,
                     const std::vector<float>& artist_topics, const FactorReport& r) {
  const int A = static_cast<int>(as.kept.size());
  const int G = kNumTopGenres;
  std::vector<int> agt(static_cast<size_t>(A) * G, 0);
  for (size_t i = 0; i < c.tracks.size(); ++i) {
    const int slot = as.slot[c.artist_of_track[i]];
    if (slot >= 0 && c.in_fit[i] && c.tracks[i]->genre_top >= 0)
      agt[static_cast<int64_t>(slot) * G + c.tracks[i]->genre_top] += 1;
  }
  std::vector<std::string> names;
  for (int a : as.kept) names.push_back(c.artist_names[a]);
  const WorkDir wd(o.work_dir);
  const auto groups = summarize_groups(artist_topics, A, o.topics, names, agt, G, top_genre_names());
  write_file_atomic(wd.factor_file(kind, "_summary.md"), groups_markdown(kind, groups, r));
  write_json_file(wd.factor_file(kind, "_summary.json"), groups_json(kind, groups, r));
}

// Runs one kind from its items (rows of points, each with an artist), or from precomputed bags (s).
// compute: where the K-means assignments run.
FactorReport run_kind(char kind, const FactorsOptions& o, const Corpus& c, const std::vector<TrackFeatures>* feats,
                      const Compute& compute) {
  FactorReport r;
  r.kind = kind;
  const ArtistSlots as = artist_slots(kind, o, c, feats, &r);
  const int A = static_cast<int>(as.kept.size());
  const Items it = make_items(kind, o, compute, c, feats, as, &r);
  const int V = it.V;
  r.clusters = V;
  r.artists = A;
  const auto bags =
      group_bags(it.labels.data(), it.item_artist.data(), static_cast<int64_t>(it.labels.size()), A, V, as.divisor);

  LdaParams lp;
  lp.topics = o.topics;
  lp.max_iter = o.lda_max_iter;
  lp.online = o.lda_online;
  lp.seed = o.seed;
  lp.verbose = o.verbose;
  const LdaModel lda = lda_fit(bags.data(), A, V, lp);
  r.topics = o.topics;
  r.perplexity = lda.train_perplexity;
  const auto theta = lda_transform(lda, bags.data(), A);
  std::vector<float> artist_topics(theta.begin(), theta.end());

  ensure_dir(WorkDir(o.work_dir).factors());
  std::map<std::string, std::string> meta{{"kind", std::string(1, kind)},
                                          {"topics", std::to_string(o.topics)},
                                          {"terms", std::to_string(V)},
                                          {"seed", std::to_string(o.seed)},
                                          {"subset", o.subset},
                                          {"artists", std::to_string(A)},
                                          {"factors_from", o.factors_from}};
  if (kind == 'm' || kind == 'd') meta["n_mfcc"] = std::to_string(o.n_mfcc);
  write_targets(kind, o, c, as, artist_topics, meta, &r);
  write_model(kind, o, c, as, it, bags, lda, artist_topics, meta);
  write_summaries(kind, o, c, as, artist_topics, r);
  return r;
}

}  // namespace

std::vector<FactorReport> compute_factors(const FactorsOptions& in) {
  FactorsOptions o = in;
  AGF_CHECK(!o.work_dir.empty(), UsageError, "factors: --work is required");
  const std::string ds = WorkDir(o.work_dir).dataset();
  struct stat st;
  if (::stat(ds.c_str(), &st) == 0) {
    const nlohmann::json j = read_json_file(ds);
    if (o.metadata_dir.empty()) o.metadata_dir = j.value("metadata_dir", "");
    if (o.audio_dir.empty()) o.audio_dir = j.value("audio_dir", "");
    if (o.subset.empty()) o.subset = j.value("subset", "");
  }
  if (o.subset.empty()) o.subset = "medium";
  AGF_CHECK(!o.metadata_dir.empty(), UsageError, "factors: no metadata folder: ", ds,
            " is missing (run `agf prepare`) and --metadata was not given");
  for (char k : o.kinds)
    AGF_CHECK(is_factor_task(k), UsageError, "factors: unknown kind '", k, "' (kinds are m, d, e, s)");
  AGF_CHECK(o.clusters >= 1 && o.topics >= 1, UsageError, "factors: --clusters ", o.clusters, ", --topics ", o.topics);
  AGF_CHECK(o.factors_from == "all" || o.factors_from == "train", UsageError,
            "factors: --factors-from must be all (the paper's protocol) or train, got '", o.factors_from, "'");
  AGF_CHECK(o.n_mfcc == 13 || o.n_mfcc == 25, UsageError,
            "factors: --n-mfcc must be 13 (the authors' code) or 25 (the paper's Table 1), got ", o.n_mfcc);
  const bool need_audio = o.kinds.find_first_of("mde") != std::string::npos;
  const bool need_desc = o.kinds.find('e') != std::string::npos;
  AGF_CHECK(!need_desc || have_song_descriptors(), UsageError,
            "factors e: this build has no song-level descriptors (agf/audio/descriptors.h)");
  AGF_CHECK(!need_audio || !o.audio_dir.empty(), UsageError, "factors ", o.kinds,
            ": no audio folder (dataset.json audio_dir or --audio)");
  // K-means (kinds m, d, e) runs its assignments on this device; s clusters nothing, so it only checks --device.
  Compute compute;
  if (need_audio)
    compute = open_compute(o.device, true, "factors");
  else
    resolve_device(o.device, "factors");
  Corpus c = load_corpus(o);
  std::vector<TrackFeatures> feats;
  if (need_audio) {
    FeatureRequest req;
    req.audio_dir = o.audio_dir;
    req.cache_dir = WorkDir(o.work_dir).features();
    req.descriptors = need_desc;
    req.threads = o.threads;
    req.verbose = o.verbose;
    req.n_mfcc = o.n_mfcc;
    std::vector<int64_t> ids;  // only the tracks the factors are fitted on (--factors-from train: training tracks)
    for (size_t i = 0; i < c.tracks.size(); ++i)
      if (c.in_fit[i]) ids.push_back(c.tracks[i]->id);
    std::vector<TrackFeatures> fit = compute_track_features(ids, req);
    feats.resize(c.tracks.size());
    for (size_t i = 0, j = 0; i < c.tracks.size(); ++i) {
      if (c.in_fit[i]) {
        feats[i] = std::move(fit[j++]);
      } else {
        feats[i].track_id = c.tracks[i]->id;
        feats[i].error = "not a training track (--factors-from train)";
      }
    }
  }
  std::vector<FactorReport> out;
  for (char k : o.kinds) {
    FactorReport r = run_kind(k, o, c, k == 's' ? nullptr : &feats, compute);
    r.notes.insert(r.notes.begin(), c.notes.begin(), c.notes.end());
    out.push_back(r);
  }
  return out;
}

}  // namespace agf
