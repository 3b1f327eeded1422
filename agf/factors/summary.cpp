// Readable artist-group tables (issue 6 §7) and the trainer's reader of the factor targets.
#include <sys/stat.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <nlohmann/json.hpp>
#include "agf/factors/factors.h"
#include "util/error.h"
#include "engine/safetensors.h"
#include "agf/data/workdir.h"

namespace agf {

std::string factor_targets_path(const std::string& work_dir, char kind) {
  return WorkDir(work_dir).factor_targets(kind);
}

FactorTargets load_factor_targets(const std::string& work_dir, char kind) {
  const std::string path = factor_targets_path(work_dir, kind);
  struct stat st;
  AGF_CHECK(::stat(path.c_str(), &st) == 0, IOError, "factor targets '", kind, "': ", path,
            " does not exist (run `agf factors --work ", work_dir, " --kinds ", kind, "` first)");
  auto f = SafetensorsFile::open(path);
  AGF_CHECK(f.has("track_ids") && f.has("targets"), FormatError, path, ": needs tensors track_ids and targets");
  const StView ids = f.get("track_ids"), t = f.get("targets");
  AGF_CHECK(ids.dtype == StDType::I64 && ids.shape.size() == 1, FormatError, path, ": track_ids must be I64 [T]");
  AGF_CHECK(t.dtype == StDType::F32 && t.shape.size() == 2 && t.shape[0] == ids.shape[0] && t.shape[1] >= 1,
            FormatError, path, ": targets must be F32 [", ids.shape[0], ", topics]");
  FactorTargets r;
  r.kind = kind;
  r.topics = static_cast<int>(t.shape[1]);
  const int64_t* ip = static_cast<const int64_t*>(ids.data);
  r.track_ids.assign(ip, ip + ids.shape[0]);
  const float* tp = static_cast<const float*>(t.data);
  r.targets.assign(tp, tp + t.shape[0] * t.shape[1]);
  r.settings = f.metadata();
  auto ff = r.settings.find("factors_from");
  if (ff != r.settings.end()) r.factors_from = ff->second;
  AGF_CHECK(r.factors_from == "all" || r.factors_from == "train", FormatError, path, ": factors_from '", r.factors_from,
            "' is neither all nor train");
  return r;
}

std::vector<GroupSummary> summarize_groups(const std::vector<float>& theta, int A, int K,
                                           const std::vector<std::string>& names, const std::vector<int>& agt, int G,
                                           const std::vector<std::string>& genre_names, int top_genres,
                                           int top_members) {
  std::vector<GroupSummary> out(K);
  for (int k = 0; k < K; ++k) out[k].topic = k;
  for (int a = 0; a < A; ++a) {
    const float* th = theta.data() + static_cast<int64_t>(a) * K;
    out[std::max_element(th, th + K) - th].artists += 1;
  }
  for (int k = 0; k < K; ++k) {
    GroupSummary& g = out[k];
    std::vector<double> gw(G, 0.0);
    for (int a = 0; a < A; ++a) {
      const double w = theta[static_cast<int64_t>(a) * K + k];
      g.weight += w;
      for (int j = 0; j < G; ++j) gw[j] += w * agt[static_cast<int64_t>(a) * G + j];
    }
    const double total = std::accumulate(gw.begin(), gw.end(), 0.0);
    std::vector<int> order(G);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return gw[x] > gw[y]; });
    for (int i = 0; i < std::min(top_genres, G); ++i)
      if (gw[order[i]] > 0) g.genres.push_back({genre_names[order[i]], total > 0 ? gw[order[i]] / total : 0.0});
    std::vector<int> mem(A);
    std::iota(mem.begin(), mem.end(), 0);
    std::stable_sort(mem.begin(), mem.end(), [&](int x, int y) {
      return theta[static_cast<int64_t>(x) * K + k] > theta[static_cast<int64_t>(y) * K + k];
    });
    for (int i = 0; i < std::min(top_members, A); ++i)
      g.members.push_back({names[mem[i]], theta[static_cast<int64_t>(mem[i]) * K + k]});
  }
  return out;
}

GroupsDoc groups_doc(char kind, const std::vector<GroupSummary>& groups, const FactorReport& r) {
  static const char* what[] = {"m: MFCC frames", "d: delta-MFCC frames", "e: song-level descriptors",
                               "s: genre ids of the tracks"};
  const char* desc = kind == 'm' ? what[0] : kind == 'd' ? what[1] : kind == 'e' ? what[2] : what[3];
  GroupsDoc d;
  d.title = str("Artist group factor ", desc);
  d.counts = str(r.artists, " artists, ", r.tracks, " tracks, ", r.points, " points, ", r.clusters, " terms, ",
                 r.topics, " topics");
  if (kind != 's') d.counts += str(", K-means inertia ", r.inertia, " (", r.kmeans_iters, " iterations)");
  d.counts += str(", LDA perplexity ", r.perplexity, ".");
  for (const auto& n : r.notes) d.notes.push_back("note: " + n);
  d.table_note =
      "Groups sorted by weight (sum over artists of their share of the group). Genre shares: tracks' top genres "
      "weighted by their artist's share.";
  d.table = {{"group", "artists (strongest)", "weight", "top genres", "strongest members"},
             {true, true, true, false, false},
             {}};
  std::vector<const GroupSummary*> order;
  for (const auto& g : groups) order.push_back(&g);
  std::stable_sort(order.begin(), order.end(), [](auto a, auto b) { return a->weight > b->weight; });
  char buf[64];
  for (const GroupSummary* g : order) {
    std::string gen, mem;
    for (const auto& [name, share] : g->genres) {
      std::snprintf(buf, sizeof buf, "%.0f %%", 100 * share);
      gen += (gen.empty() ? "" : ", ") + name + " " + buf;
    }
    for (const auto& [name, share] : g->members) {
      std::snprintf(buf, sizeof buf, " (%.2f)", share);
      mem += (mem.empty() ? "" : ", ") + name + buf;
    }
    std::snprintf(buf, sizeof buf, "%.1f", g->weight);
    d.table.rows.push_back({std::to_string(g->topic), std::to_string(g->artists), buf, gen, mem});
  }
  return d;
}

std::string to_markdown(const GroupsDoc& d) {
  std::string s = "# " + d.title + "\n\n" + d.counts + "\n\n";
  for (const auto& n : d.notes) s += "- " + n + "\n";
  if (!d.notes.empty()) s += "\n";
  return s + d.table_note + "\n\n" + to_markdown(d.table);
}

std::string groups_markdown(char kind, const std::vector<GroupSummary>& groups, const FactorReport& r) {
  return to_markdown(groups_doc(kind, groups, r));
}

std::string groups_json(char kind, const std::vector<GroupSummary>& groups, const FactorReport& r) {
  nlohmann::json j;
  j["kind"] = std::string(1, kind);
  j["artists"] = r.artists;
  j["tracks"] = r.tracks;
  j["points"] = r.points;
  j["clusters"] = r.clusters;
  j["topics"] = r.topics;
  j["inertia"] = r.inertia;
  j["kmeans_iterations"] = r.kmeans_iters;
  j["perplexity"] = r.perplexity;
  j["notes"] = r.notes;
  j["groups"] = nlohmann::json::array();
  for (const auto& g : groups) {
    nlohmann::json e;
    e["topic"] = g.topic;
    e["artists"] = g.artists;
    e["weight"] = g.weight;
    e["genres"] = nlohmann::json::array();
    for (const auto& [n, v] : g.genres) e["genres"].push_back({{"genre", n}, {"share", v}});
    e["members"] = nlohmann::json::array();
    for (const auto& [n, v] : g.members) e["members"].push_back({{"artist", n}, {"share", v}});
    j["groups"].push_back(e);
  }
  return j.dump(1);
}

GroupsDoc groups_doc_from_json(const std::string& json_text, const std::string& what) {
  try {
    const nlohmann::json j = nlohmann::json::parse(json_text);
    auto num = [](const nlohmann::json& v) {  // NaN is written as null
      return v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>();
    };
    const std::string kind = j.at("kind").get<std::string>();
    AGF_CHECK(kind.size() == 1, FormatError, what, ": bad \"kind\" '", kind, "'");
    FactorReport r;
    r.kind = kind[0];
    r.artists = j.at("artists").get<int64_t>();
    r.tracks = j.at("tracks").get<int64_t>();
    r.points = j.at("points").get<int64_t>();
    r.clusters = j.at("clusters").get<int>();
    r.topics = j.at("topics").get<int>();
    r.inertia = num(j.at("inertia"));
    r.kmeans_iters = j.at("kmeans_iterations").get<int>();
    r.perplexity = num(j.at("perplexity"));
    r.notes = j.at("notes").get<std::vector<std::string>>();
    std::vector<GroupSummary> groups;
    for (const auto& e : j.at("groups")) {
      GroupSummary g;
      g.topic = e.at("topic").get<int>();
      g.artists = e.at("artists").get<int>();
      g.weight = num(e.at("weight"));
      for (const auto& x : e.at("genres")) g.genres.emplace_back(x.at("genre").get<std::string>(), num(x.at("share")));
      for (const auto& x : e.at("members"))
        g.members.emplace_back(x.at("artist").get<std::string>(), num(x.at("share")));
      groups.push_back(std::move(g));
    }
    return groups_doc(r.kind, groups, r);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(str(what, ": ", e.what()));
  }
}

}  // namespace agf
