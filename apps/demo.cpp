// `agf demo [--out DIR]`: the whole pipeline on a synthetic FMA-layout corpus, in one command: synthesise
// the corpus, prepare the mel store, compute the artist group factors, run the quick grid, print the
// Table 4-style results and write the HTML report. Every stage resumes: run it again to finish an
// interrupted demo. GPU when there is one (--device auto), else CPU.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agf/data/prepare.h"
#include "agf/data/synth.h"
#include "agf/factors/factors.h"
#include "agf/train/experiment.h"
#include "agf/train/session.h"
#include "util/interrupt.h"
#include "apps/command.h"

namespace {

// [1/4] The synthetic corpus in CORPUS, unless it is there already.
void synth_stage(const agf::SynthOptions& synth, const std::string& corpus, uint64_t seed) {
  if (std::filesystem::exists(corpus + "/fma_metadata/tracks.csv")) {
    std::fprintf(stderr, "demo: %s exists; kept\n", corpus.c_str());
    return;
  }
  agf::SynthOptions so = synth;
  so.out_dir = corpus;
  so.seed = seed;
  agf::SynthSummary s = agf::synth_corpus(so);
  std::fprintf(stderr, "demo: %lld tracks, %lld artists, %lld albums in %.1f s\n", static_cast<long long>(s.n_tracks),
               static_cast<long long>(s.n_artists), static_cast<long long>(s.n_albums), s.seconds_taken);
}

// [2/4] The mel store in WORK (agf prepare resumes by itself); its exit status.
int prepare_stage(const std::string& corpus, const std::string& work, uint64_t seed, const std::string& device) {
  agf::PrepareOptions po;
  po.metadata_dir = corpus + "/fma_metadata";
  po.audio_dir = corpus + "/fma_audio";
  po.work_dir = work;
  po.seed = seed;
  po.device = device;
  return agf::run_prepare(po);
}

// [3/4] The factors WORK does not have yet.
void factors_stage(const std::string& work, int clusters, uint64_t seed, const std::string& device,
                   const std::string& factors_from) {
  std::string kinds;
  for (char k : std::string(agf::kFactorKinds))
    if (!std::filesystem::exists(agf::factor_targets_path(work, k))) kinds += k;
  if (kinds.empty()) {
    std::fprintf(stderr, "demo: factors exist; kept\n");
    return;
  }
  agf::FactorsOptions fo;
  fo.work_dir = work;
  fo.kinds = kinds;
  fo.clusters = clusters;
  fo.seed = seed;
  fo.device = device;
  fo.factors_from = factors_from;
  for (const auto& r : agf::compute_factors(fo))
    std::fprintf(stderr, "demo: factor %c: %lld artists, %d terms, LDA perplexity %.1f\n", r.kind,
                 static_cast<long long>(r.artists), r.clusters, r.perplexity);
}

// The tables, the wall time per stage and where to look next.
void print_demo_summary(const agf::ExperimentSummary& s, const std::vector<std::pair<std::string, double>>& stages,
                        double seconds, const std::string& corpus) {
  std::printf("\n%s\n", s.table4.c_str());
  if (std::isfinite(s.baseline_log_loss))
    std::printf("majority-class baseline: log loss %.4f, macro F1 %.4f, accuracy %.4f\n", s.baseline_log_loss,
                s.baseline_f1, s.baseline_accuracy);
  if (!s.protocol.empty()) std::printf("\n%s", s.protocol.c_str());
  std::printf("\nwall time per stage (this run; a stage or case found finished costs ~0 s):\n");
  for (const auto& [name, sec] : stages) std::printf("  %-28s %8.1f s\n", name.c_str(), sec);
  for (const auto& r : s.results) std::printf("    case %-22s %8.1f s (when it ran)\n", r.case_name.c_str(), r.seconds);
  std::printf("\ndemo finished in %.0f s (%d cases run, %d found finished)\n", seconds, s.ran, s.skipped);
  std::printf("tables: %s\nreport: %s (open it in a browser)\n", s.results_md.c_str(), s.report_html.c_str());
  std::printf("try:    agf predict --model %s/cases/stn-gsedm %s/fma_audio/000/000003.wav\n",
              (s.seeds.empty() ? s.out_dir : s.out_dir + "/seed-" + std::to_string(s.seeds.front())).c_str(),
              corpus.c_str());
  if (!s.finding.empty()) std::printf("\n%s\n", s.finding.c_str());
}

AGF_COMMAND("demo", "synthetic corpus -> mel store -> factors -> quick grid -> tables and HTML report",
            [](CLI::App& c) {
  auto out = std::make_shared<std::string>("agf-demo");
  auto seed = std::make_shared<uint64_t>(1);
  auto device = std::make_shared<std::string>("auto");
  auto clusters = std::make_shared<int>(256);
  auto synth = std::make_shared<agf::SynthOptions>();
  // The corpus is synth's default (preset fma: 450 labelled tracks of 10 s in fma_medium's 16-genre proportions, 68 of
  // them for validation, every genre among them); docs/SYNTH.md has its calibration.
  auto ex = std::make_shared<agf::ExperimentOptions>();
  ex->quick = true;
  c.add_option("--out", *out, "demo folder (corpus/, work/)")->capture_default_str();
  auto seeds = std::make_shared<std::vector<uint64_t>>();
  auto* seed_opt =
      c.add_option("--seed", *seed, "seed of the corpus, the split, the factors and the nets")->capture_default_str();
  c.add_option("--seeds", *seeds,
               "run the grid under each of these seeds (e.g. 1,2,3) and report mean ± std and paired comparisons "
               "(agf experiment --seeds, in work/experiment-seeds); the corpus, split and factors use the first seed, "
               "the seeds vary the nets' and MLPs' training randomness only")
      ->delimiter(',')
      ->excludes(seed_opt);
  c.add_option("--device", *device, "auto | cpu | cuda")->capture_default_str();
  c.add_option("--preset", synth->preset, "synthetic corpus: fma (like fma_medium) or easy (agf synth --preset)")
      ->check(CLI::IsMember({"fma", "easy"}))
      ->capture_default_str();
  c.add_option("--genres", synth->genres, "synthetic genres (0: the preset's, fma 16, easy 8)")->capture_default_str();
  c.add_option("--tracks", synth->tracks, "fma: tracks with a top genre")->capture_default_str();
  c.add_option("--artists", synth->artists, "easy: artists per genre")->capture_default_str();
  c.add_option("--tracks-per-artist", synth->tracks_per_artist, "easy: tracks per artist")->capture_default_str();
  c.add_option("--mislabel", synth->mislabel_fraction, "fraction of albums labelled with a neighbouring genre")
      ->capture_default_str();
  c.add_option("--clusters", *clusters, "K-means dictionary size of the factors (the paper: 2048)")
      ->capture_default_str();
  c.add_option("--stn-epochs", ex->stn_epochs, "STN/wSTN epochs (0: quick default 15)")->capture_default_str();
  c.add_option("--mtn-epochs", ex->mtn_epochs, "MTN epochs, the same for every N (0: quick default 30)")
      ->capture_default_str();
  c.add_option("--mtn-epochs-per-task", ex->mtn_epochs_per_task,
               "an N-task MTN trains this x N epochs instead (the paper's \"multiply by the number of tasks\")")
      ->capture_default_str();
  c.add_option("--mlp-epoch", ex->mlp_epoch,
               "one MLP epoch: crops (a random 1-s crop per track, the paper's) or windows (every window; the quick "
               "grid's default, for the CPU budget)")
      ->check(CLI::IsMember({"crops", "windows"}));
  c.add_option("--factors-from", ex->factors_from,
               "fit the factors on all tracks (the paper's protocol, transductive) or on the training tracks only")
      ->check(CLI::IsMember({"all", "train"}))
      ->capture_default_str();
  c.add_option("--mlp-epochs", ex->mlp_epochs, "MLP epochs (0: quick default 15)")->capture_default_str();
  c.add_option("--bn-momentum", ex->bn_momentum, "nets' batch-norm momentum (0: paper 0.01, quick 0.1)")
      ->capture_default_str();
  c.add_option("--val-every", ex->val_every,
               "epochs between a net's validation losses (0: every epoch, quick every 5th; "
               "the last epoch always)")
      ->capture_default_str();
  c.add_flag("--calibrate", ex->calibrate,
             "temperature-scale every case's MLP on held-out training tracks "
             "(agf experiment --calibrate)");
  c.add_option("--calibrate-fraction", ex->calibrate_fraction,
               "--calibrate: fraction of each genre's training tracks "
               "held out for the fit, in (0, 1)")
      ->capture_default_str();
  c.add_flag("--full", "the paper's whole grid (31 STN, 26 MTN, 4 wSTN cases) instead of the quick one");
  c.footer(
      "float32 results differ across CPUs (the vector width and instruction set change the order of summation) "
      "and between CPU and GPU; a run resumes bit-identically only on the same machine and build. One seed "
      "cannot tell a small difference from training noise: --seeds 1,2,3 measures the spread.");
  return std::function<int()>([=, &c] {
    const auto t0 = std::chrono::steady_clock::now();
    auto since = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    const std::string corpus = *out + "/corpus", work = *out + "/work";
    // As agf synth: each preset's sizing options only (the other preset's would be silently ignored).
    for (const char* f : {"--artists", "--tracks-per-artist"})
      if (synth->preset == "fma" && c.count(f))
        throw agf::UsageError(agf::str("demo: ", f,
                                       " is an option of --preset easy; the fma preset sizes artists "
                                       "itself (--tracks)"));
    if (synth->preset == "easy" && c.count("--tracks"))
      throw agf::UsageError("demo: --tracks is an option of --preset fma");
    if (!seeds->empty()) *seed = seeds->front();  // corpus, split and factors: the first seed
    agf::Compute probe = agf::open_compute(*device, true, "demo");
    std::fprintf(stderr, "demo: on %s, in %s\n", probe.describe().c_str(), out->c_str());
    probe = agf::Compute{};

    // Wall time of each stage, printed at the end (a stage found finished takes ~0 s).
    std::vector<std::pair<std::string, double>> stages;
    double mark = 0;
    auto stage_done = [&](const std::string& name) {
      stages.emplace_back(name, since() - mark);
      mark = since();
    };
    std::fprintf(stderr, "demo: [1/4] synthetic corpus\n");
    synth_stage(*synth, corpus, *seed);

    stage_done("[1/4] synthetic corpus");
    std::fprintf(stderr, "demo: [2/4] mel store (%.0f s)\n", since());
    const int rc = prepare_stage(corpus, work, *seed, *device);
    if (rc != 0) return rc;

    stage_done("[2/4] mel store");
    std::fprintf(stderr, "demo: [3/4] artist group factors (%.0f s)\n", since());
    factors_stage(work, *clusters, *seed, *device, ex->factors_from);

    stage_done("[3/4] artist group factors");
    std::fprintf(stderr, "demo: [4/4] %s grid (%.0f s)\n", c.count("--full") ? "the paper's" : "quick", since());
    agf::ExperimentOptions eo = *ex;
    eo.quick = !c.count("--full");
    eo.work_dir = work;
    eo.seed = *seed;
    eo.seeds = *seeds;
    eo.rerun_hint = "agf demo --seeds 1,2,3";
    eo.device = *device;
    agf::ExperimentSummary s = [&] {
      agf::InterruptHandlers stop_on_signal;  // the grid's nets and MLPs checkpoint on SIGTERM/SIGINT (exit 75)
      return agf::run_experiment(eo);
    }();
    stage_done("[4/4] grid");

    print_demo_summary(s, stages, since(), corpus);
    return 0;
  });
});

}  // namespace
