// `agf experiment` (see experiment.h).
#include "agf/train/experiment.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <cstdio>
#include <set>

#include "agf/data/fma.h"
#include "agf/factors/factors.h"
#include "agf/train/report.h"
#include "agf/train/seeds.h"
#include "agf/train/trainer.h"
#include "agf/train/transfer.h"
#include "agf/util/error.h"
#include "agf/util/fs.h"

namespace agf {

namespace {

// Quick schedules: long enough for the synthetic corpus to separate its genres, short enough for the
// demo's budget (issue 7: under 15 minutes on 2 CPU cores, everything included).
constexpr int kQuickStnEpochs = 30, kQuickMtnEpochs = 60, kQuickMlpEpochs = 30;
// Measured on the demo corpus (3 steps per epoch, stn-g, 30 epochs): validation loss 2.78 with the
// paper's 0.01 (running statistics at 1 - 0.99^90 = 60 % of the way) against 0.88 with 0.1.
constexpr double kQuickBnMomentum = 0.1;
// The quick grid's MLP epoch: every window of every track. On the demo's 10-s tracks that is ~10 windows per
// track whose features are computed once, where crops need a forward pass of every net per crop and epoch
// (3x the feature work at 30 epochs, on 2 CPU cores) and give 7 MLP steps per epoch on 412 tracks.
constexpr const char* kQuickMlpEpoch = "windows";

std::string net_name(const std::string& arch, const std::string& tasks, int match) {
  return arch == "wstn" ? "wstn-" + std::to_string(match) : arch + "-" + tasks;
}

nlohmann::json read_json(const std::string& path) {
  try {
    return nlohmann::json::parse(read_file_bytes(path));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(str(path, ": ", e.what()));
  }
}

// One paragraph on how the results in OUT were made: which tracks the factors were fitted on, the MTN
// budget reading, the MLP epoch and the nets' streams. Older folders lack the newer keys: their defaults
// are what the code did before (factors over all tracks, MLP epochs of windows, streams keyed by the seed).
std::string protocol_text(const std::string& out_dir) {
  const std::string sp = out_dir + "/settings.json";
  if (!std::filesystem::exists(sp)) return "";
  const nlohmann::json st = read_json(sp);
  const std::string ff = st.value("factors_from", "all"), me = st.value("mlp_epoch", "windows");
  const int per_task = st.value("mtn_epochs_per_task", 0);
  return str("Protocol: factors fitted on ",
             ff == "train" ? "training tracks only (`--factors-from train`: no validation track's genre ids or audio "
                             "reach a training target)"
                           : "every track, validation included (`--factors-from all`: the paper's protocol; "
                             "transductive, and the s factor counts validation tracks' genre ids)",
             "; STN/wSTN ", st.value("stn_epochs", 0), " epochs, MTN ",
             per_task > 0 ? str(per_task, " x the number of tasks") : str(st.value("mtn_epochs", 0), " for every N"),
             " epochs; MLP ", st.value("mlp_epochs", 0), " epochs of ",
             me == "crops" ? "one random 1-s crop per training track" : "every window of every training track",
             "; the nets' random streams keyed by ", st.value("net_streams", std::string("seed")) == "case" ? "seed and case" : "the seed alone",
             st.value("calibrate", false)
                 ? str("; temperature scaling fitted on ", st.value("calibrate_fraction", 0.1),
                       " of each genre's training tracks, held out from the MLP (`--calibrate`)")
                 : std::string(),
             ".\n");
}

}  // namespace

std::string default_experiment_out(const std::string& work_dir, size_t n_seeds) {
  return work_dir + (n_seeds > 1 ? "/experiment-seeds" : "/experiment");
}

ExperimentOptions normalise_experiment(const ExperimentOptions& in, std::vector<GridCase>* grid_out) {
  ExperimentOptions o = in;
  AGF_CHECK(!o.work_dir.empty(), UsageError, "experiment: --work is required");
  if (o.out_dir.empty()) o.out_dir = default_experiment_out(o.work_dir, o.seeds.size());
  AGF_CHECK(o.mtn_epochs == 0 || o.mtn_epochs_per_task == 0, UsageError, "experiment: --mtn-epochs ", o.mtn_epochs,
            " and --mtn-epochs-per-task ", o.mtn_epochs_per_task, " exclude each other (a fixed MTN budget or one per task)");
  AGF_CHECK(o.mtn_epochs >= 0 && o.mtn_epochs_per_task >= 0, UsageError, "experiment: --mtn-epochs and --mtn-epochs-per-task must be >= 0");
  if (o.mlp_epoch.empty()) o.mlp_epoch = o.quick ? kQuickMlpEpoch : "crops";
  AGF_CHECK(o.mlp_epoch == "crops" || o.mlp_epoch == "windows", UsageError, "experiment: --mlp-epoch must be crops or windows, got '",
            o.mlp_epoch, "'");
  AGF_CHECK(o.factors_from == "all" || o.factors_from == "train", UsageError,
            "experiment: --factors-from must be all or train, got '", o.factors_from, "'");
  if (o.stn_epochs == 0) o.stn_epochs = o.quick ? kQuickStnEpochs : 200;
  if (o.mtn_epochs == 0 && o.mtn_epochs_per_task == 0) o.mtn_epochs = o.quick ? kQuickMtnEpochs : 1000;
  if (o.mlp_epochs == 0) o.mlp_epochs = o.quick ? kQuickMlpEpochs : 50;
  if (o.bn_momentum == 0) o.bn_momentum = o.quick ? kQuickBnMomentum : 0.01;
  AGF_CHECK(!o.calibrate || (o.calibrate_fraction > 0 && o.calibrate_fraction < 1), UsageError,
            "experiment: --calibrate-fraction must be in (0, 1), got ", o.calibrate_fraction);
  std::vector<GridCase> grid = o.quick ? quick_grid() : paper_grid();
  if (!o.cases.empty()) {
    std::vector<GridCase> chosen;
    for (const std::string& n : o.cases) chosen.push_back(parse_case(n));
    grid = chosen;
  }
  // The factors the grid trains on must have been fitted as --factors-from says (no silent mix of protocols).
  std::set<char> kinds;
  for (const GridCase& c : grid)
    for (char k : c.tasks)
      if (k != 'g') kinds.insert(k);
  for (char k : kinds) {
    const std::string from = load_factor_targets(o.work_dir, k).factors_from;
    AGF_CHECK(from == o.factors_from, UsageError, "experiment: ", factor_targets_path(o.work_dir, k),
              " was fitted with --factors-from ", from, " but --factors-from ", o.factors_from,
              " was asked; recompute it with `agf factors --factors-from ", o.factors_from, "` or pass --factors-from ", from);
  }
  if (grid_out) *grid_out = grid;
  return o;
}

int case_net_epochs(const ExperimentOptions& o, const GridCase& c) {
  if (c.arch != Arch::mtn) return o.stn_epochs;
  return o.mtn_epochs_per_task > 0 ? o.mtn_epochs_per_task * c.n_tasks : o.mtn_epochs;
}

namespace {

// The settings a results.csv belongs to (settings.json): a resumed grid must not mix schedules.
nlohmann::json settings_of(const ExperimentOptions& o) {
  const nlohmann::json settings = {{"work_dir", o.work_dir}, {"stn_epochs", o.stn_epochs}, {"mtn_epochs", o.mtn_epochs},
                                   {"mlp_epochs", o.mlp_epochs}, {"batch", o.batch},        {"eval_hop", o.eval_hop},
                                   {"train_hop", o.train_hop},   {"seed", o.seed},
                                   {"bn_momentum", o.bn_momentum}, {"mtn_epochs_per_task", o.mtn_epochs_per_task},
                                   {"mlp_epoch", o.mlp_epoch},     {"factors_from", o.factors_from},
                                   {"net_streams", "case"}};
  // --calibrate's keys only when on, so that older folders (without them) resume as before.
  nlohmann::json settings_all = settings;
  if (o.calibrate) settings_all["calibrate"] = true, settings_all["calibrate_fraction"] = o.calibrate_fraction;
  return settings_all;
}

// One seed: the grid in OUT (the layout of experiment.h's first paragraph).
ExperimentSummary run_one_seed(const ExperimentOptions& in) {
  std::vector<GridCase> grid;
  const ExperimentOptions o = normalise_experiment(in, &grid);
  auto mtn_epochs_for = [&](int n_tasks) { return o.mtn_epochs_per_task > 0 ? o.mtn_epochs_per_task * n_tasks : o.mtn_epochs; };
  AGF_CHECK(!std::filesystem::exists(o.out_dir + "/seeds.json"), UsageError, "experiment: ", o.out_dir,
            " holds several seeds (seeds.json, seed-S/ folders); run it with --seeds, or use another --out for one seed");
  ensure_dir(o.out_dir);
  ensure_dir(o.out_dir + "/nets");
  ensure_dir(o.out_dir + "/cases");
  const nlohmann::json settings_all = settings_of(o);
  const std::string settings_path = o.out_dir + "/settings.json";
  if (std::filesystem::exists(settings_path)) {
    const nlohmann::json old = read_json(settings_path);
    AGF_CHECK(o.calibrate || !old.contains("calibrate"), UsageError, "experiment: ", o.out_dir,
              " holds results made with --calibrate; add it (or use another --out)");
    for (auto it = settings_all.begin(); it != settings_all.end(); ++it)
      AGF_CHECK(old.contains(it.key()) && old[it.key()] == it.value(), UsageError, "experiment: ", o.out_dir,
                " holds results made with ", it.key(), " = ", old.contains(it.key()) ? old[it.key()].dump() : "(absent)",
                ", this run asks ", it.value().dump(), "; use another --out (or the same settings to resume)");
  } else {
    write_file_atomic(settings_path, settings_all.dump(1) + "\n");
  }

  ExperimentSummary s;
  s.out_dir = o.out_dir;
  ResultsStore store(o.out_dir + "/results.csv");
  const auto t0 = std::chrono::steady_clock::now();
  auto since = [](std::chrono::steady_clock::time_point a) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
  };
  // Trains (or resumes, or finds finished) one net; returns its run folder.
  auto ensure_net = [&](const std::string& arch, const std::string& tasks, int match) {
    TrainOptions t;
    t.work_dir = o.work_dir;
    t.arch = arch;
    t.tasks = tasks;
    t.match = match;
    t.epochs = arch == "mtn" ? mtn_epochs_for(int(tasks.size())) : o.stn_epochs;
    t.batch = o.batch;
    t.bn_momentum = o.bn_momentum;
    t.seed = o.seed;
    t.device = o.device;
    t.quiet = o.quiet;
    t.resume = true;
    t.run_dir = o.out_dir + "/nets/" + net_name(arch, tasks, match);
    run_train(t);
    return t.run_dir;
  };

  int index = 0;
  for (const GridCase& c : grid) {
    ++index;
    if (store.is_finished(c.name)) {
      ++s.skipped;
      if (!o.quiet) std::fprintf(stderr, "experiment: [%d/%zu] %s finished earlier; skipped\n", index, grid.size(), c.name.c_str());
      continue;
    }
    if (!o.quiet) std::fprintf(stderr, "experiment: [%d/%zu] %s (%.0f s so far)\n", index, grid.size(), c.name.c_str(), since(t0));
    const auto tc = std::chrono::steady_clock::now();
    TransferOptions to;
    to.work_dir = o.work_dir;
    to.out_dir = o.out_dir + "/cases/" + c.name;
    to.epochs = o.mlp_epochs;
    to.batch = o.batch;
    to.eval_hop = o.eval_hop;
    to.train_hop = o.train_hop;
    to.mlp_epoch = o.mlp_epoch;
    to.seed = o.seed;
    to.device = o.device;
    to.quiet = o.quiet;
    to.calibrate = o.calibrate;
    to.calibrate_fraction = o.calibrate_fraction;
    to.resume = true;  // an MLP stopped by SIGTERM/SIGINT continues from its checkpoint (interrupt.h)
    int epochs = 0;
    if (c.arch == Arch::stn) {
      for (char k : c.tasks) to.nets.push_back(ensure_net("stn", std::string(1, k), 0));
      epochs = o.stn_epochs;
    } else if (c.arch == Arch::mtn) {
      to.nets.push_back(ensure_net("mtn", c.tasks, 0));
      to.cache_features = false;  // an MTN serves one case only
      epochs = mtn_epochs_for(c.n_tasks);
    } else {
      to.nets.push_back(ensure_net("wstn", "g", c.n_tasks));
      to.cache_features = false;
      epochs = o.stn_epochs;
    }
    TransferResult r = run_transfer(to);
    // The table columns hold the raw (T = 1) numbers; a calibrated case adds its calibrated log loss beside.
    const auto& m = r.eval.calibrated ? r.eval.raw : r.eval.metrics;
    CaseResult cr = make_result(c, m.log_loss, m.macro_f1, m.accuracy, epochs, since(tc));
    cr.ece = r.eval.calibrated ? r.eval.ece_raw : r.eval.ece;
    if (r.eval.calibrated) {
      cr.log_loss_calibrated = r.eval.metrics.log_loss;
      cr.ece_calibrated = r.eval.ece;
      cr.temperature = r.eval.temperature;
    }
    store.append(cr);
    ++s.ran;
    if (!o.quiet)
      std::fprintf(stderr, "experiment: %s: log loss %.4f, macro F1 %.4f, accuracy %.4f (baseline %.4f / %.4f) in %.0f s\n",
                   c.name.c_str(), m.log_loss, m.macro_f1, m.accuracy, r.eval.baseline.log_loss, r.eval.baseline.macro_f1,
                   since(tc));
  }
  s.seconds = since(t0);
  write_experiment_report(o.work_dir, o.out_dir, &s, o.rerun_hint);
  return s;
}

}  // namespace

ExperimentSummary run_experiment(const ExperimentOptions& in) {
  if (in.seeds.size() <= 1) {
    ExperimentOptions o = in;
    if (o.seeds.size() == 1) o.seed = o.seeds[0];
    o.seeds.clear();
    return run_one_seed(o);
  }
  const std::set<uint64_t> distinct(in.seeds.begin(), in.seeds.end());
  AGF_CHECK(distinct.size() == in.seeds.size(), UsageError, "experiment: --seeds repeats a seed (",
            in.seeds.size() - distinct.size(), " repeated); give distinct seeds, e.g. --seeds 1,2,3");
  const ExperimentOptions o = normalise_experiment(in, nullptr);
  const std::string out = o.out_dir;
  AGF_CHECK(!std::filesystem::exists(out + "/results.csv") && !std::filesystem::exists(out + "/settings.json"), UsageError,
            "experiment: ", out, " holds a one-seed experiment (results.csv, settings.json); several seeds write one "
            "folder per seed, OUT/seed-S/, and the summary beside: use another --out (the default for several seeds is ",
            default_experiment_out(o.work_dir, 2), ")");
  ensure_dir(out);
  // seeds.json: every seed run in OUT, and the settings they share (each seed-S/settings.json adds its seed).
  nlohmann::json shared = settings_of(o);
  shared.erase("seed");
  std::vector<uint64_t> all;
  const std::string sp = out + "/seeds.json";
  if (std::filesystem::exists(sp)) {
    const nlohmann::json old = read_json(sp);
    AGF_CHECK(old.contains("seeds") && old["seeds"].is_array() && old.contains("settings"), FormatError, sp,
              ": expected {\"seeds\": [...], \"settings\": {...}}");
    const nlohmann::json& os = old["settings"];
    for (auto it = shared.begin(); it != shared.end(); ++it)
      AGF_CHECK(os.contains(it.key()) && os[it.key()] == it.value(), UsageError, "experiment: ", out,
                " holds seeds run with ", it.key(), " = ", os.contains(it.key()) ? os[it.key()].dump() : "(absent)",
                ", this run asks ", it.value().dump(), "; use another --out (or the same settings to add seeds)");
    AGF_CHECK(os.size() == shared.size(), UsageError, "experiment: ", out, " holds seeds run with other settings (",
              os.dump(), "); use another --out");
    all = old["seeds"].get<std::vector<uint64_t>>();
  }
  for (uint64_t v : o.seeds)
    if (std::find(all.begin(), all.end(), v) == all.end()) all.push_back(v);
  write_file_atomic(sp, nlohmann::json{{"seeds", all}, {"settings", shared}}.dump(1) + "\n");

  ExperimentSummary s;
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < o.seeds.size(); ++i) {
    ExperimentOptions one = in;
    one.seeds.clear();
    one.seed = o.seeds[i];
    one.out_dir = seed_dir(out, o.seeds[i]);
    one.rerun_hint.clear();  // a seed folder is one seed of several: no "run more seeds" sentence there
    if (!o.quiet)
      std::fprintf(stderr, "experiment: seed %llu (%zu of %zu seeds) in %s\n", static_cast<unsigned long long>(o.seeds[i]),
                   i + 1, o.seeds.size(), one.out_dir.c_str());
    const ExperimentSummary r = run_one_seed(one);
    s.ran += r.ran;
    s.skipped += r.skipped;
  }
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  write_experiment_report(o.work_dir, out, &s, o.rerun_hint);
  return s;
}

namespace {

// The majority-class baseline from a case's metrics.json (the same for every case: training priors on the
// same split); false when OUT has no finished case.
bool read_baseline(const std::string& out_dir, const std::vector<CaseResult>& results, GridResults* g) {
  for (const CaseResult& r : results) {
    const std::string mp = out_dir + "/cases/" + r.case_name + "/metrics.json";
    if (!std::filesystem::exists(mp)) continue;
    const nlohmann::json b = read_json(mp).at("baseline");
    g->baseline_log_loss = b.at("log_loss").get<double>();
    g->baseline_f1 = b.at("macro_f1").get<double>();
    g->baseline_accuracy = b.at("accuracy").get<double>();
    return true;
  }
  return false;
}

void add_factor_summaries(const std::string& work_dir, ReportInput* in) {
  for (char k : std::string("sedm")) {
    const std::string p = work_dir + "/factors/" + std::string(1, k) + "_summary.md";
    if (std::filesystem::exists(p)) in->sections.push_back({str("Artist groups: factor ", k), markdown_to_html(read_file_bytes(p))});
  }
}

// The summary of a several-seed folder (seeds.h): results.md, summary.csv and report.html over OUT/seed-S/.
void write_seeds_report(const std::string& work_dir, const std::string& out_dir, ExperimentSummary* s) {
  const std::string sp = out_dir + "/seeds.json";
  const nlohmann::json sj = read_json(sp);
  AGF_CHECK(sj.contains("seeds") && sj["seeds"].is_array() && !sj["seeds"].empty(), FormatError, sp,
            ": expected {\"seeds\": [1, 2, ...], ...}");
  const SeedsSummary ss = summarise_seeds(out_dir, sj["seeds"].get<std::vector<uint64_t>>());
  s->seeds = ss.seeds;
  s->results = ss.means;
  s->out_dir = out_dir;
  s->results_csv = out_dir + "/summary.csv";
  s->results_md = out_dir + "/results.md";
  s->report_html = out_dir + "/report.html";
  s->table4 = table4_seeds_markdown(ss);
  s->finding = ss.finding;
  ReportInput in;
  in.title = str("agf experiment: ", work_dir, ", ", ss.seeds.size(), " seeds");
  in.grid.results = ss.means;
  in.grid.table4_md = s->table4;
  in.grid.note = "Several seeds: every number below is the mean over the seeds that finished the case; Table 4 adds "
                 "the sample standard deviation. Learning curves and confusion matrices are in each seed's own "
                 "report, seed-S/report.html.";
  for (size_t i = 0; i < ss.seeds.size(); ++i) {
    if (!read_baseline(seed_dir(out_dir, ss.seeds[i]), ss.per_seed[i], &in.grid)) continue;
    s->baseline_log_loss = in.grid.baseline_log_loss;
    s->baseline_f1 = in.grid.baseline_f1;
    s->baseline_accuracy = in.grid.baseline_accuracy;
    break;
  }
  std::string md = seeds_results_markdown(ss);
  in.sections.push_back({"Paired comparisons over seeds and tracks",
                         markdown_to_html(comparisons_markdown(ss) + (ss.finding.empty() ? "" : "\n**Finding:** " + ss.finding + "\n"))});
  s->protocol = protocol_text(seed_dir(out_dir, ss.seeds[0]));
  if (!s->protocol.empty()) {
    md += "\n" + s->protocol;
    in.sections.push_back({"Protocol", markdown_to_html(s->protocol)});
  }
  if (std::isfinite(in.grid.baseline_log_loss))
    md += str("\nMajority-class baseline (validation split): log loss ", in.grid.baseline_log_loss, ", macro F1 ",
              in.grid.baseline_f1, ", accuracy ", in.grid.baseline_accuracy, "\n");
  add_factor_summaries(work_dir, &in);
  std::string csv = "case,seeds,log_loss_mean,log_loss_std,f1_mean,f1_std,accuracy_mean,accuracy_std\n";
  auto g17 = [](double v) {
    if (!std::isfinite(v)) return std::string();
    char b[40];
    std::snprintf(b, sizeof b, "%.17g", v);
    return std::string(b);
  };
  for (const SeedCell& c : ss.cells)
    csv += str(c.case_name, ",", c.log_loss.n, ",", g17(c.log_loss.mean), ",", g17(c.log_loss.std), ",", g17(c.f1.mean), ",",
               g17(c.f1.std), ",", g17(c.accuracy.mean), ",", g17(c.accuracy.std), "\n");
  write_file_atomic(s->results_csv, csv);
  write_file_atomic(s->results_md, md);
  write_report_html(s->report_html, in);
}

}  // namespace

void write_experiment_report(const std::string& work_dir, const std::string& out_dir, ExperimentSummary* s,
                             const std::string& rerun_hint) {
  if (std::filesystem::exists(out_dir + "/seeds.json")) return write_seeds_report(work_dir, out_dir, s);
  ResultsStore store(out_dir + "/results.csv");
  s->results = store.load();
  s->out_dir = out_dir;
  s->results_csv = store.path();
  s->results_md = out_dir + "/results.md";
  s->report_html = out_dir + "/report.html";

  ReportInput in;
  in.title = "agf experiment: " + work_dir;
  in.grid.results = s->results;
  // Baseline and confusion matrix from the cases' metrics.json: the baseline is the same for every case
  // (training priors on the same split); the confusion matrix is the best case by macro F1.
  const CaseResult* best = nullptr;
  for (const CaseResult& r : s->results)
    if (!best || r.f1 > best->f1) best = &r;
  for (const CaseResult& r : s->results) {
    const std::string mp = out_dir + "/cases/" + r.case_name + "/metrics.json";
    if (!std::filesystem::exists(mp)) continue;
    const nlohmann::json j = read_json(mp);
    const nlohmann::json& b = j.at("baseline");
    in.grid.baseline_log_loss = s->baseline_log_loss = b.at("log_loss").get<double>();
    in.grid.baseline_f1 = s->baseline_f1 = b.at("macro_f1").get<double>();
    in.grid.baseline_accuracy = s->baseline_accuracy = b.at("accuracy").get<double>();
    if (&r == best) {
      // Only the classes that occur (the synthetic corpus uses 8 of the 16 genres).
      const auto conf = j.at("metrics").at("confusion").get<std::vector<std::vector<int64_t>>>();
      const auto& names = top_genre_names();
      std::vector<int> keep;
      for (size_t a = 0; a < conf.size(); ++a) {
        int64_t row = 0, col = 0;
        for (size_t q = 0; q < conf.size(); ++q) row += conf[a][q], col += conf[q][a];
        if (row || col) keep.push_back(int(a));
      }
      in.confusion.title = r.case_name + " (best macro F1), validation split, per track";
      for (int a : keep) {
        in.confusion.labels.push_back(names[size_t(a)]);
        for (int q : keep) in.confusion.counts.push_back(conf[size_t(a)][size_t(q)]);
      }
    }
  }
  // Learning curves of every net, then of each case's MLP.
  std::set<std::string> nets;
  for (const CaseResult& r : s->results) {
    GridCase c = parse_case(r.case_name);
    if (c.arch == Arch::stn)
      for (char k : c.tasks) nets.insert("stn-" + std::string(1, k));
    else if (c.arch == Arch::mtn)
      nets.insert("mtn-" + c.tasks);
    else
      nets.insert("wstn-" + std::to_string(c.n_tasks));
  }
  for (const std::string& n : nets) in.curves.push_back(load_case_curves("net " + n, out_dir + "/nets/" + n + "/train.jsonl"));
  for (const CaseResult& r : s->results)
    in.curves.push_back(load_case_curves("MLP " + r.case_name, out_dir + "/cases/" + r.case_name + "/transfer.jsonl"));
  // The protocol the results were made under (settings.json), stated beside the tables.
  const std::string protocol = s->protocol = protocol_text(out_dir);
  if (!protocol.empty()) in.sections.push_back({"Protocol", markdown_to_html(protocol)});
  // Calibration: the table, and the reliability diagram of the best calibrated case (by calibrated log loss).
  {
    const CaseResult* bc = nullptr;
    for (const CaseResult& r : s->results)
      if (!std::isnan(r.log_loss_calibrated) && (!bc || r.log_loss_calibrated < bc->log_loss_calibrated)) bc = &r;
    if (bc) {
      std::string html = markdown_to_html(calibration_markdown(s->results));
      const std::string svgp = out_dir + "/cases/" + bc->case_name + "/reliability.svg";
      if (std::filesystem::exists(svgp))
        html += str("<p>Reliability diagram of ", svg::escape(bc->case_name),
                    " (best calibrated log loss), validation tracks:</p>\n", read_file_bytes(svgp));
      in.sections.push_back({"Calibration", html});
    }
  }
  // Factor summaries.
  add_factor_summaries(work_dir, &in);
  std::string md = results_markdown(s->results, true);
  if (!protocol.empty()) md += "\n" + protocol;
  if (std::isfinite(in.grid.baseline_log_loss))
    md += str("\nMajority-class baseline (validation split): log loss ", in.grid.baseline_log_loss, ", macro F1 ",
              in.grid.baseline_f1, ", accuracy ", in.grid.baseline_accuracy, "\n");
  s->table4 = table4_markdown(s->results, true);
  s->finding = rerun_hint.empty() ? std::string() : one_seed_finding(s->results, rerun_hint);
  if (!s->finding.empty()) md += "\n**Finding:** " + s->finding + "\n";
  write_file_atomic(s->results_md, md);
  write_report_html(s->report_html, in);
}

}  // namespace agf
