// `agf factors --work WORK [--kinds m,d,e,s] [--clusters 2048] [--topics 40] [--seed S] [--threads N]
// [--device auto|cpu|cuda] [--factors-from all|train] [--n-mfcc 13|25]`: the artist group factors (K-means dictionary, artist bags, LDA) of the
// work folder's corpus; writes WORK/factors/<kind>.safetensors, <kind>_model.safetensors, summaries.
#include <cstdio>
#include <memory>
#include <omp.h>

#include "agf/factors/factors.h"
#include "util/error.h"
#include "apps/command.h"

namespace {

AGF_COMMAND("factors", "artist group factors m, d, e, s: K-means dictionaries, artist bags of words, LDA topics",
            [](CLI::App& c) {
  auto o = std::make_shared<agf::FactorsOptions>();
  auto kinds = std::make_shared<std::string>("m,d,e,s");
  auto kmeans = std::make_shared<std::string>("lloyd");
  auto lda = std::make_shared<std::string>("batch");
  c.add_option("--work", o->work_dir, "work folder (reads dataset.json written by `agf prepare`)")->required();
  c.add_option("--metadata", o->metadata_dir, "FMA metadata folder (overrides dataset.json)");
  c.add_option("--audio", o->audio_dir, "FMA audio folder (overrides dataset.json)");
  c.add_option("--subset", o->subset, "small | medium | large | all (overrides dataset.json)");
  c.add_option("--kinds", *kinds,
               "factors to compute, comma separated: m (MFCC), d (delta-MFCC), "
               "e (song descriptors), s (genre ids)")
      ->capture_default_str();
  c.add_option(
       "--factors-from", o->factors_from,
       "tracks the dictionaries, quantile normalisation, bags and LDA are fitted on: all (every track of the "
       "subset, validation included: the paper's protocol and the authors' code; transductive, and the s factor "
       "counts validation tracks' genre ids) or train (the training tracks of WORK/split.json only; an artist "
       "with no training track gets no target)")
      ->check(CLI::IsMember({"all", "train"}))
      ->capture_default_str();
  c.add_option("--n-mfcc", o->n_mfcc,
               "MFCC coefficients of the m and d factors: 13 (the authors' code) or 25 (the "
               "paper's Table 1); recorded in the factor files")
      ->check(CLI::IsMember({13, 25}))
      ->capture_default_str();
  c.add_option("--clusters", o->clusters, "K-means dictionary size (clamped to the number of points)")
      ->capture_default_str();
  c.add_option("--topics", o->topics, "LDA topics (artist groups)")->capture_default_str();
  c.add_option("--seed", o->seed, "random seed (k-means++, subsampling, LDA init)")->capture_default_str();
  c.add_option("--threads", o->threads, "threads for features, K-means and LDA (0 = all cores)")->capture_default_str();
  c.add_option("--device", o->device, "K-means assignments: auto | cpu | cuda")->capture_default_str();
  c.add_option("--kmeans", *kmeans, "lloyd | minibatch (the authors' code used MiniBatchKMeans)")
      ->capture_default_str();
  c.add_option("--max-points-per-centroid", o->max_points_per_centroid,
               "train K-means on at most this many points per cluster (0 = all; faiss uses 256)")
      ->capture_default_str();
  c.add_option("--kmeans-iter", o->kmeans_max_iter, "K-means iterations (mini-batch: epochs)")->capture_default_str();
  c.add_option("--lda", *lda, "batch | online variational Bayes")->capture_default_str();
  c.add_option("--lda-iter", o->lda_max_iter, "LDA passes over the artists")->capture_default_str();
  c.add_flag("!--progress", o->verbose, "no progress lines");
  return std::function<int()>([=] {
    agf::FactorsOptions opt = *o;
    opt.kinds.clear();
    for (char ch : *kinds)
      if (ch != ',' && ch != ' ') opt.kinds += ch;
    AGF_CHECK(*kmeans == "lloyd" || *kmeans == "minibatch", agf::UsageError, "--kmeans ", *kmeans,
              " (lloyd or minibatch)");
    AGF_CHECK(*lda == "batch" || *lda == "online", agf::UsageError, "--lda ", *lda, " (batch or online)");
    AGF_CHECK(opt.threads >= 0, agf::UsageError, "--threads ", opt.threads);
    opt.minibatch = *kmeans == "minibatch";
    opt.lda_online = *lda == "online";
    if (opt.threads > 0) omp_set_num_threads(opt.threads);
    const auto reports = agf::compute_factors(opt);
    for (const auto& r : reports) {
      std::printf("factor %c: %lld artists, %lld tracks, %lld points, %d terms", r.kind,
                  static_cast<long long>(r.artists), static_cast<long long>(r.tracks), static_cast<long long>(r.points),
                  r.clusters);
      if (r.kind != 's') std::printf(", inertia %.6g (%d iterations)", r.inertia, r.kmeans_iters);
      std::printf(", LDA %d topics, perplexity %.4f\n", r.topics, r.perplexity);
      for (const auto& n : r.notes) std::printf("  note: %s\n", n.c_str());
      std::printf("  -> %s (summary %s/factors/%c_summary.md)\n",
                  agf::factor_targets_path(opt.work_dir, r.kind).c_str(), opt.work_dir.c_str(), r.kind);
    }
    return 0;
  });
});

}  // namespace
