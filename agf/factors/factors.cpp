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
#include "agf/util/error.h"
#include "agf/util/fs.h"
#include "agf/util/json.h"
#include "engine/safetensors.h"
#include "agf/data/workdir.h"

namespace agf {

namespace {

struct Corpus {
  FmaMetadata meta;
  std::vector<const Track*> tracks;           // subset tracks with an artist, ascending id
  std::vector<int64_t> artist_ids;            // ascending
  std::vector<std::string> artist_names;
  std::vector<int32_t> artist_of_track;       // (tracks) index into artist_ids
  std::vector<char> in_fit;                   // (tracks) 1: the track feeds dictionaries, bags and LDA
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
    if (t->artist_id >= 0) c.tracks.push_back(t);
    else ++no_artist;
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
    AGF_CHECK(n_fit > 0, UsageError, "factors --factors-from train: no track of subset '", o.subset, "' is in the training split of ", sp);
    c.notes.push_back(str("fitted on the ", n_fit, " training tracks of ", sp, " (--factors-from train); ",
                          int64_t(c.tracks.size()) - n_fit, " other tracks only receive their artist's topics"));
  }
  return c;
}

void write_json_file(const std::string& path, const std::string& text) { write_file_atomic(path, text + "\n"); }

// Runs one kind from its items (rows of points, each with an artist), or from precomputed bags (s).
// compute: where the K-means assignments run.
FactorReport run_kind(char kind, const FactorsOptions& o, const Corpus& c, const std::vector<TrackFeatures>* feats,
                      const Compute& compute) {
  FactorReport r;
  r.kind = kind;
  const int A_all = static_cast<int>(c.artist_ids.size());
  // artists with at least one usable track, and their track counts
  // (with --factors-from train, only training tracks are usable: the others have no features computed)
  std::vector<int> usable_tracks(A_all, 0);
  std::vector<char> track_ok(c.in_fit);
  if (feats)
    for (size_t i = 0; i < c.tracks.size(); ++i) track_ok[i] = c.in_fit[i] && (*feats)[i].ok;
  for (size_t i = 0; i < c.tracks.size(); ++i) usable_tracks[c.artist_of_track[i]] += track_ok[i];
  std::vector<int> artist_slot(A_all, -1), kept_artists, divisor;
  std::vector<std::string> skipped;
  for (int a = 0; a < A_all; ++a) {
    if (usable_tracks[a] > 0) {
      artist_slot[a] = static_cast<int>(kept_artists.size());
      kept_artists.push_back(a);
      divisor.push_back(usable_tracks[a]);
    } else {
      skipped.push_back(c.artist_names[a]);
    }
  }
  if (!skipped.empty()) {
    std::string list;
    for (size_t i = 0; i < std::min<size_t>(5, skipped.size()); ++i) list += (i ? ", " : "") + skipped[i];
    r.notes.push_back(str(skipped.size(), " artists with no ", o.factors_from == "train" ? "usable training" : "decodable",
                          " track were skipped (", list, skipped.size() > 5 ? ", ..." : "", ")"));
  }
  const int A = static_cast<int>(kept_artists.size());
  AGF_CHECK(A >= 1, UsageError, "factors ", kind, ": no artist has a usable track");
  int64_t bad_tracks = 0;
  for (size_t i = 0; i < c.tracks.size(); ++i) bad_tracks += c.in_fit[i] && !track_ok[i];
  if (bad_tracks) r.notes.push_back(str(bad_tracks, " tracks had no usable audio (first: ", [&] {
    for (size_t i = 0; i < c.tracks.size(); ++i)
      if (c.in_fit[i] && !track_ok[i]) return (*feats)[i].error;
    return std::string();
  }(), ")"));

  // items: rows of points (m, d, e) or (genre) terms (s), each with its artist slot
  std::vector<float> points;
  std::vector<int32_t> item_artist, labels;
  int D = 0, V = 0;
  std::vector<int64_t> vocab_ids;  // s: genre id per term
  KMeansResult<float> km;
  std::vector<int> kept_cols;
  if (kind == 's') {
    std::map<int, int> term;
    for (size_t i = 0; i < c.tracks.size(); ++i)
      if (c.in_fit[i])
        for (int g : c.tracks[i]->genres) term.emplace(g, 0);
    for (auto& [g, idx] : term) { idx = static_cast<int>(vocab_ids.size()); vocab_ids.push_back(g); }
    AGF_CHECK(!vocab_ids.empty(), UsageError, "factors s: no track has a genre id");
    for (size_t i = 0; i < c.tracks.size(); ++i)
      if (c.in_fit[i])
        for (int g : c.tracks[i]->genres) {
          labels.push_back(term[g]);
          item_artist.push_back(artist_slot[c.artist_of_track[i]]);
        }
    V = static_cast<int>(vocab_ids.size());
    r.points = static_cast<int64_t>(labels.size());
  } else {
    std::vector<int64_t> row_ids;
    for (size_t i = 0; i < c.tracks.size(); ++i) {
      if (!track_ok[i]) continue;
      const TrackFeatures& f = (*feats)[i];
      const int slot = artist_slot[c.artist_of_track[i]];
      if (kind == 'e') {
        D = static_cast<int>(f.desc.size());
        points.insert(points.end(), f.desc.begin(), f.desc.end());
        item_artist.push_back(slot);
        row_ids.push_back(f.track_id);
      } else {
        D = f.n_mfcc;
        const int T = kind == 'm' ? f.frames : f.frames - 1;  // d[t] = m[t + 1] - m[t]
        for (int t = 0; t < T; ++t) {
          for (int k = 0; k < f.n_mfcc; ++k) {
            const float* row = f.mfcc.data() + static_cast<int64_t>(k) * f.frames;
            points.push_back(kind == 'm' ? row[t] : row[t + 1] - row[t]);
          }
          item_artist.push_back(slot);
        }
      }
    }
    const int64_t N = static_cast<int64_t>(item_artist.size());
    if (kind == 'e') {
      auto names = song_descriptor_names();
      auto q = quantile_normalize(points, N, D, row_ids, names);
      if (!q.dropped.empty()) {
        std::string list;
        for (size_t i = 0; i < std::min<size_t>(8, q.dropped.size()); ++i)
          list += (i ? ", " : "") + (q.dropped[i] < static_cast<int>(names.size()) ? names[q.dropped[i]] : str("#", q.dropped[i]));
        r.notes.push_back(str(q.dropped.size(), " constant descriptor columns were dropped (", list,
                              q.dropped.size() > 8 ? ", ..." : "", ")"));
      }
      AGF_CHECK(!q.kept.empty(), UsageError, "factors e: every descriptor column is constant over the ", N, " tracks");
      points = std::move(q.x);
      kept_cols = q.kept;
      D = static_cast<int>(kept_cols.size());
    }
    KMeansParams kp;
    kp.k = o.clusters;
    if (kp.k > N) {
      r.notes.push_back(str("--clusters ", o.clusters, " is more than the ", N, " points of '", kind,
                            "': clamped to ", N));
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
    km = kmeans_fit(points.data(), N, D, kp);
    labels = km.labels;
    V = kp.k;
    r.points = N;
    r.inertia = km.inertia;
    r.kmeans_iters = km.n_iter;
  }
  r.clusters = V;
  r.artists = A;
  const auto bags = group_bags(labels.data(), item_artist.data(), static_cast<int64_t>(labels.size()), A, V, divisor);

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

  // targets: every track of a kept artist
  std::vector<int64_t> track_ids;
  std::vector<float> targets;
  for (size_t i = 0; i < c.tracks.size(); ++i) {
    const int slot = artist_slot[c.artist_of_track[i]];
    if (slot < 0) continue;
    track_ids.push_back(c.tracks[i]->id);
    targets.insert(targets.end(), artist_topics.begin() + static_cast<int64_t>(slot) * o.topics,
                   artist_topics.begin() + static_cast<int64_t>(slot + 1) * o.topics);
  }
  r.tracks = static_cast<int64_t>(track_ids.size());

  const WorkDir wd(o.work_dir);
  const std::string dir = wd.factors(), k1(1, kind);
  ensure_dir(dir);
  std::map<std::string, std::string> meta{
      {"kind", k1}, {"topics", std::to_string(o.topics)}, {"terms", std::to_string(V)},
      {"seed", std::to_string(o.seed)}, {"subset", o.subset}, {"artists", std::to_string(A)},
      {"factors_from", o.factors_from}};
  if (kind == 'm' || kind == 'd') meta["n_mfcc"] = std::to_string(o.n_mfcc);
  write_safetensors(factor_targets_path(o.work_dir, kind),
                    {{"track_ids", StDType::I64, {r.tracks}, track_ids.data(), track_ids.size() * 8},
                     {"targets", StDType::F32, {r.tracks, o.topics}, targets.data(), targets.size() * 4}},
                    meta);
  std::vector<int64_t> artist_ids;
  for (int a : kept_artists) artist_ids.push_back(c.artist_ids[a]);
  std::vector<float> bagsf(bags.begin(), bags.end()), comp(lda.components.begin(), lda.components.end());
  std::vector<int64_t> cols(kept_cols.begin(), kept_cols.end());
  std::vector<StView> model{
      {"artist_ids", StDType::I64, {A}, artist_ids.data(), artist_ids.size() * 8},
      {"artist_topics", StDType::F32, {A, o.topics}, artist_topics.data(), artist_topics.size() * 4},
      {"bags", StDType::F32, {A, V}, bagsf.data(), bagsf.size() * 4},
      {"lda_components", StDType::F32, {o.topics, V}, comp.data(), comp.size() * 4}};
  if (kind == 's') model.push_back({"genre_ids", StDType::I64, {V}, vocab_ids.data(), vocab_ids.size() * 8});
  else model.push_back({"centroids", StDType::F32, {V, D}, km.centroids.data(), km.centroids.size() * 4});
  if (kind == 'e') model.push_back({"descriptor_columns", StDType::I64, {D}, cols.data(), cols.size() * 8});
  write_safetensors(wd.factor_file(kind, "_model.safetensors"), model, meta);

  // summary tables
  const int G = kNumTopGenres;
  std::vector<int> agt(static_cast<size_t>(A) * G, 0);
  for (size_t i = 0; i < c.tracks.size(); ++i) {
    const int slot = artist_slot[c.artist_of_track[i]];
    if (slot >= 0 && c.in_fit[i] && c.tracks[i]->genre_top >= 0) agt[static_cast<int64_t>(slot) * G + c.tracks[i]->genre_top] += 1;
  }
  std::vector<std::string> names;
  for (int a : kept_artists) names.push_back(c.artist_names[a]);
  const auto groups = summarize_groups(artist_topics, A, o.topics, names, agt, G, top_genre_names());
  write_file_atomic(wd.factor_file(kind, "_summary.md"), groups_markdown(kind, groups, r));
  write_json_file(wd.factor_file(kind, "_summary.json"), groups_json(kind, groups, r));
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
    AGF_CHECK(is_factor_task(k), UsageError, "factors: unknown kind '", k,
              "' (kinds are m, d, e, s)");
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
