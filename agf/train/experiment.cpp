// `agf experiment` (see experiment.h).
#include "agf/train/experiment.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "agf/data/fma.h"
#include "agf/factors/factors.h"
#include "agf/train/report.h"
#include "agf/train/result_tables.h"
#include "agf/train/seeds.h"
#include "agf/train/trainer.h"
#include "agf/train/transfer.h"
#include "util/error.h"
#include "util/filelock.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/json.h"
#include "layers/paper.h"
#include "agf/data/workdir.h"

namespace agf {

namespace {

// Quick schedules: long enough for the synthetic corpus to separate its genres, short enough for the
// demo's budget (issue 13: at most 6 minutes on 2 CPU cores, everything included). Halved from 30/60/30:
// on the default corpus every net's validation loss had levelled off by epoch 15 (stn-g 1.508 at 15,
// 1.51 at 25) and the MLPs' after a few epochs; --stn-epochs 30 --mtn-epochs 60 --mlp-epochs 30 gives
// the earlier schedule.
constexpr int kQuickStnEpochs = 15, kQuickMtnEpochs = 30, kQuickMlpEpochs = 15;
// Measured on the demo corpus (3 steps per epoch, stn-g, 30 epochs): validation loss 2.78 with the
// paper's 0.01 (running statistics at 1 - 0.99^90 = 60 % of the way) against 0.88 with 0.1.
constexpr double kQuickBnMomentum = 0.1;
constexpr int kQuickValEvery = 5;
// The quick grid's MLP epoch: every window of every track. On the demo's 10-s tracks that is ~10 windows per
// track whose features are computed once, where crops need a forward pass of every net per crop and epoch
// (3x the feature work at 30 epochs, on 2 CPU cores) and give 7 MLP steps per epoch on 412 tracks.
constexpr const char* kQuickMlpEpoch = "windows";

// One paragraph on how the results in OUT were made: which tracks the factors were fitted on, the MTN
// budget reading, the MLP epoch and the nets' streams. Older folders lack the newer keys: their defaults
// are what the code did before (factors over all tracks, MLP epochs of windows, streams keyed by the seed).
// Empty when OUT has no settings.json.
Paragraph protocol_paragraph(const std::string& out_dir) {
  const std::string sp = out_dir + "/settings.json";
  if (!std::filesystem::exists(sp)) return {};
  const nlohmann::json st = read_json_file(sp);
  const std::string ff = st.value("factors_from", "all"), me = st.value("mlp_epoch", "windows");
  const int per_task = st.value("mtn_epochs_per_task", 0);
  Paragraph p;
  auto plain = [&](std::string t) { p.push_back({std::move(t), TextSpan::plain}); };
  auto code = [&](std::string t) { p.push_back({std::move(t), TextSpan::code}); };
  plain("Protocol: factors fitted on ");
  if (ff == "train") {
    plain("training tracks only (");
    code("--factors-from train");
    plain(": no validation track's genre ids or audio reach a training target)");
  } else {
    plain("every track, validation included (");
    code("--factors-from all");
    plain(": the paper's protocol; transductive, and the s factor counts validation tracks' genre ids)");
  }
  plain(str("; STN/wSTN ", st.value("stn_epochs", 0), " epochs, MTN ",
            per_task > 0 ? str(per_task, " x the number of tasks") : str(st.value("mtn_epochs", 0), " for every N"),
            " epochs; MLP ", st.value("mlp_epochs", 0), " epochs of ",
            me == "crops" ? "one random 1-s crop per training track" : "every window of every training track",
            "; the nets' random streams keyed by ",
            st.value("net_streams", std::string("seed")) == "case" ? "seed and case" : "the seed alone"));
  if (st.value("calibrate", false)) {
    plain(str("; temperature scaling fitted on ", st.value("calibrate_fraction", 0.1),
              " of each genre's training tracks, held out from the MLP ("));
    code("--calibrate");
    plain(")");
  }
  plain(".");
  return p;
}

// The paragraph as one line of Markdown (results.md, ExperimentSummary::protocol); "" for none.
std::string protocol_text(const Paragraph& p) { return p.empty() ? std::string() : to_markdown(p) + "\n"; }

}  // namespace

std::string default_experiment_out(const std::string& work_dir, size_t n_seeds) {
  return WorkDir(work_dir).experiment(n_seeds);
}

ExperimentOptions normalise_experiment(const ExperimentOptions& in, std::vector<GridCase>* grid_out) {
  ExperimentOptions o = in;
  AGF_CHECK(!o.work_dir.empty(), UsageError, "experiment: --work is required");
  if (o.out_dir.empty()) o.out_dir = default_experiment_out(o.work_dir, o.seeds.size());
  AGF_CHECK(o.mtn_epochs == 0 || o.mtn_epochs_per_task == 0, UsageError, "experiment: --mtn-epochs ", o.mtn_epochs,
            " and --mtn-epochs-per-task ", o.mtn_epochs_per_task,
            " exclude each other (a fixed MTN budget or one per task)");
  AGF_CHECK(o.mtn_epochs >= 0 && o.mtn_epochs_per_task >= 0, UsageError,
            "experiment: --mtn-epochs and --mtn-epochs-per-task must be >= 0");
  if (o.mlp_epoch.empty()) o.mlp_epoch = o.quick ? kQuickMlpEpoch : "crops";
  AGF_CHECK(o.mlp_epoch == "crops" || o.mlp_epoch == "windows", UsageError,
            "experiment: --mlp-epoch must be crops or windows, got '", o.mlp_epoch, "'");
  AGF_CHECK(o.factors_from == "all" || o.factors_from == "train", UsageError,
            "experiment: --factors-from must be all or train, got '", o.factors_from, "'");
  if (o.stn_epochs == 0) o.stn_epochs = o.quick ? kQuickStnEpochs : paper::kStnEpochs;
  if (o.mtn_epochs == 0 && o.mtn_epochs_per_task == 0) o.mtn_epochs = o.quick ? kQuickMtnEpochs : paper::kMtnEpochs;
  if (o.mlp_epochs == 0) o.mlp_epochs = o.quick ? kQuickMlpEpochs : paper::kMlpEpochs;
  if (o.bn_momentum == 0) o.bn_momentum = o.quick ? kQuickBnMomentum : paper::kBnMomentum;
  AGF_CHECK(o.val_every >= 0, UsageError, "experiment: --val-every must be >= 0 (0: the grid's default)");
  if (o.val_every == 0) o.val_every = o.quick ? kQuickValEvery : 1;
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
      if (is_factor_task(k)) kinds.insert(k);
  for (char k : kinds) {
    const std::string from = load_factor_targets(o.work_dir, k).factors_from;
    AGF_CHECK(from == o.factors_from, UsageError, "experiment: ", factor_targets_path(o.work_dir, k),
              " was fitted with --factors-from ", from, " but --factors-from ", o.factors_from,
              " was asked; recompute it with `agf factors --factors-from ", o.factors_from, "` or pass --factors-from ",
              from);
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
  const nlohmann::json settings = {{"work_dir", o.work_dir},
                                   {"stn_epochs", o.stn_epochs},
                                   {"mtn_epochs", o.mtn_epochs},
                                   {"mlp_epochs", o.mlp_epochs},
                                   {"batch", o.batch},
                                   {"eval_hop", o.eval_hop},
                                   {"train_hop", o.train_hop},
                                   {"seed", o.seed},
                                   {"bn_momentum", o.bn_momentum},
                                   {"mtn_epochs_per_task", o.mtn_epochs_per_task},
                                   {"mlp_epoch", o.mlp_epoch},
                                   {"factors_from", o.factors_from},
                                   {"net_streams", "case"}};
  // --calibrate's keys only when on, so that older folders (without them) resume as before.
  nlohmann::json settings_all = settings;
  if (o.calibrate) settings_all["calibrate"] = true, settings_all["calibrate_fraction"] = o.calibrate_fraction;
  return settings_all;
}

// ---- Running the grid: jobs (nets and case MLPs) over one or several seed folders, claimed through lock files
// so that several processes (--workers, --devices, --shard) can share OUT (issue 15).

// One seed folder: its normalised options and grid.
struct SeedRun {
  ExperimentOptions o;
  std::vector<GridCase> grid;
};

struct Job {
  bool is_net = false;
  size_t run = 0;    // index into the SeedRuns
  std::string name;  // net name ("stn-g", "mtn-gs", "wstn-3") or case name
  // net
  Arch arch = Arch::stn;
  std::string tasks;
  int match = 0;
  // case
  GridCase c;
  std::vector<size_t> needs;  // indices of its net jobs
  std::string dir(const SeedRun& r) const { return r.o.out_dir + (is_net ? "/nets/" : "/cases/") + name; }
  std::string lock(const SeedRun& r) const { return dir(r) + ".lock"; }
  std::string label(const SeedRun& r, bool several_seeds) const {
    return str(is_net ? "net " : "case ", name, several_seeds ? str(" (seed ", r.o.seed, ")") : std::string());
  }
};

bool net_finished(const SeedRun& r, const Job& j) { return std::filesystem::exists(j.dir(r) + "/model.safetensors"); }

// Relative cost of a job for the shard assignment: an epoch of a single-task net is 1. An MTN trains one drawn
// task per epoch (about one STN epoch); a wSTN-N is about N times as wide; an MLP epoch over cached features
// is cheap next to a net's. (The relative costs are rough; they order and balance, they do not predict time.)
double net_cost(const SeedRun& r, const Job& j) {
  const int n = j.arch == Arch::wstn ? j.match : int(j.tasks.size());
  const int epochs = j.arch == Arch::mtn ? case_net_epochs(r.o, make_case(Arch::mtn, j.tasks)) : r.o.stn_epochs;
  // Measured on the demo corpus (2 vCPUs): a wSTN-5 step costs 3.1x an STN step, an MTN step 1.0-1.3x.
  return double(epochs) * (j.arch == Arch::wstn ? 1.0 + 0.5 * (n - 1) : 1.0);
}

// Prepares OUT for one seed: folders, settings.json (or checks that an existing one matches). Under OUT's
// experiment.lock, so that processes starting together (an array of shards) do not race.
void prepare_seed_folder(const ExperimentOptions& o) {
  ensure_dir(o.out_dir);
  const FileLock guard = FileLock::acquire(o.out_dir + "/experiment.lock");
  AGF_CHECK(
      !std::filesystem::exists(o.out_dir + "/seeds.json"), UsageError, "experiment: ", o.out_dir,
      " holds several seeds (seeds.json, seed-S/ folders); run it with --seeds, or use another --out for one seed");
  ensure_dir(o.out_dir + "/nets");
  ensure_dir(o.out_dir + "/cases");
  const nlohmann::json settings_all = settings_of(o);
  const std::string settings_path = o.out_dir + "/settings.json";
  if (std::filesystem::exists(settings_path)) {
    const nlohmann::json old = read_json_file(settings_path);
    AGF_CHECK(o.calibrate || !old.contains("calibrate"), UsageError, "experiment: ", o.out_dir,
              " holds results made with --calibrate; add it (or use another --out)");
    check_settings_match(old, settings_all, str("experiment: ", o.out_dir, " holds results made with "), "asks",
                         "use another --out (or the same settings to resume)");
  } else {
    write_file_atomic(settings_path, settings_all.dump(1) + "\n");
  }
}

// The several-seed folder: seeds.json (every seed run in OUT and the settings they share), checked or
// extended, under OUT's experiment.lock.
void prepare_seeds_folder(const ExperimentOptions& o) {
  const std::string out = o.out_dir;
  ensure_dir(out);
  const FileLock guard = FileLock::acquire(out + "/experiment.lock");
  AGF_CHECK(
      !std::filesystem::exists(out + "/results.csv") && !std::filesystem::exists(out + "/settings.json"), UsageError,
      "experiment: ", out,
      " holds a one-seed experiment (results.csv, settings.json); several seeds write one "
      "folder per seed, OUT/seed-S/, and the summary beside: use another --out (the default for several seeds is ",
      default_experiment_out(o.work_dir, 2), ")");
  nlohmann::json shared = settings_of(o);
  shared.erase("seed");
  std::vector<uint64_t> all;
  const std::string sp = out + "/seeds.json";
  if (std::filesystem::exists(sp)) {
    const nlohmann::json old = read_json_file(sp);
    AGF_CHECK(old.contains("seeds") && old["seeds"].is_array() && old.contains("settings"), FormatError, sp,
              ": expected {\"seeds\": [...], \"settings\": {...}}");
    const nlohmann::json& os = old["settings"];
    check_settings_match(os, shared, str("experiment: ", out, " holds seeds run with "), "asks",
                         "use another --out (or the same settings to add seeds)");
    AGF_CHECK(os.size() == shared.size(), UsageError, "experiment: ", out, " holds seeds run with other settings (",
              os.dump(), "); use another --out");
    all = old["seeds"].get<std::vector<uint64_t>>();
  }
  for (uint64_t v : o.seeds)
    if (std::find(all.begin(), all.end(), v) == all.end()) all.push_back(v);
  write_file_atomic(sp, nlohmann::json{{"seeds", all}, {"settings", shared}}.dump(1) + "\n");
}

// The seed folders a run covers (one, or one per seed), each normalised and prepared.
std::vector<SeedRun> seed_runs(const ExperimentOptions& in, ExperimentOptions* top) {
  std::vector<SeedRun> runs;
  if (in.seeds.size() <= 1) {
    ExperimentOptions o = in;
    if (o.seeds.size() == 1) o.seed = o.seeds[0];
    o.seeds.clear();
    SeedRun r;
    r.o = normalise_experiment(o, &r.grid);
    *top = r.o;
    runs.push_back(r);
    return runs;
  }
  const std::set<uint64_t> distinct(in.seeds.begin(), in.seeds.end());
  AGF_CHECK(distinct.size() == in.seeds.size(), UsageError, "experiment: --seeds repeats a seed (",
            in.seeds.size() - distinct.size(), " repeated); give distinct seeds, e.g. --seeds 1,2,3");
  *top = normalise_experiment(in, nullptr);
  for (uint64_t seed : in.seeds) {
    ExperimentOptions one = in;
    one.seeds.clear();
    one.seed = seed;
    one.out_dir = seed_dir(top->out_dir, seed);
    one.rerun_hint.clear();  // a seed folder is one seed of several: no "run more seeds" sentence there
    SeedRun r;
    r.o = normalise_experiment(one, &r.grid);
    runs.push_back(r);
  }
  return runs;
}

// Every seed folder's jobs in grid order: each case, after the nets it needs that no earlier case of its seed
// needed (a net is listed once per seed folder; a case's `needs` index this list).
std::vector<Job> list_jobs(const std::vector<SeedRun>& runs) {
  std::vector<Job> jobs;
  for (size_t ri = 0; ri < runs.size(); ++ri) {
    std::map<std::string, size_t> net_index;
    auto net = [&](Arch arch, const std::string& tasks, int match) {
      const std::string name = net_name(arch, tasks, match);
      auto it = net_index.find(name);
      if (it != net_index.end()) return it->second;
      Job j;
      j.is_net = true;
      j.run = ri;
      j.name = name;
      j.arch = arch;
      j.tasks = tasks;
      j.match = match;
      jobs.push_back(j);
      return net_index[name] = jobs.size() - 1;
    };
    for (const GridCase& c : runs[ri].grid) {
      Job j;
      j.run = ri;
      j.name = c.name;
      j.c = c;
      if (c.arch == Arch::stn)
        for (char k : c.tasks) j.needs.push_back(net(Arch::stn, std::string(1, k), 0));
      else if (c.arch == Arch::mtn)
        j.needs.push_back(net(Arch::mtn, c.tasks, 0));
      else
        j.needs.push_back(net(Arch::wstn, "g", c.n_tasks));
      jobs.push_back(j);
    }
  }
  return jobs;
}

// Shards: a deterministic, cost-balanced share of the cases (longest first onto the least loaded shard;
// a shared STN's cost split over the cases that use it). Only the case list matters: nets are claimed by
// whichever process reaches them first, and a shard waits for (or, when nobody holds it, trains) a net
// another shard would have trained. Returns, per job, whether it is this shard's (all without --shard).
std::vector<bool> shard_cases(const std::vector<SeedRun>& runs, const std::vector<Job>& jobs, int shard_index,
                              int shard_count) {
  std::vector<bool> mine(jobs.size(), true);
  if (shard_count <= 1) return mine;
  std::map<size_t, int> users;
  for (const Job& j : jobs)
    if (!j.is_net)
      for (size_t n : j.needs) ++users[n];
  std::vector<std::pair<double, size_t>> order;
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (jobs[i].is_net) continue;
    double cost = 0.05 * runs[jobs[i].run].o.mlp_epochs;
    for (size_t n : jobs[i].needs) cost += net_cost(runs[jobs[i].run], jobs[n]) / users[n];
    order.push_back({cost, i});
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<double> load(size_t(shard_count), 0.0);
  for (const auto& [cost, i] : order) {
    const size_t s = size_t(std::min_element(load.begin(), load.end()) - load.begin());
    load[s] += cost;
    mine[i] = int(s) == shard_index;
  }
  return mine;
}

// Every job of every seed folder, in the order one process runs them: each case after the nets it needs that
// no earlier case needed (the grid's order, as the serial grid always ran). Only the cases this process is
// responsible for (its shard; all without --shard); a net is in the list when a case of mine needs it.
std::vector<Job> make_jobs(const std::vector<SeedRun>& runs, int shard_index, int shard_count) {
  const std::vector<Job> jobs = list_jobs(runs);
  const std::vector<bool> mine = shard_cases(runs, jobs, shard_index, shard_count);
  // The running order: for each case of mine in grid order, the nets it needs not yet listed, then the case.
  std::vector<Job> out;
  std::vector<bool> listed(jobs.size(), false);
  std::map<size_t, size_t> where;  // jobs index -> out index (nets)
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (jobs[i].is_net || !mine[i]) continue;
    Job c = jobs[i];
    for (size_t& n : c.needs) {
      if (!listed[n]) {
        listed[n] = true;
        where[n] = out.size();
        out.push_back(jobs[n]);
      }
      n = where[n];
    }
    out.push_back(c);
  }
  return out;
}

// One process's view of a run: writes OUT/workers/<id>.status (what it is doing) for the --workers parent.
struct StatusFile {
  std::string path;
  void set(const std::string& what) const {
    if (path.empty()) return;
    try {
      write_file_atomic(path, what + "\n");
    } catch (const Error&) {
      // The status line is a courtesy to the parent's progress display; a full disk shows up elsewhere.
    }
  }
};

double seconds_since(std::chrono::steady_clock::time_point a) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
}

// One process's run over its jobs: what it shares with the others (OUT's results stores), how it names
// itself in messages and status files, and what it has done so far.
struct GridRun {
  explicit GridRun(const std::vector<SeedRun>& r) : runs(r) {}
  const std::vector<SeedRun>& runs;
  std::vector<Job> jobs;
  std::vector<ResultsStore> stores;  // one per seed folder
  bool several = false;              // several seeds: labels name the seed
  // Coordinated: other processes may share OUT (spawned workers or shards): jobs are claimed through lock
  // files, the reports are rewritten after every case, and nothing is run that another process holds.
  bool coordinated = false;
  bool quiet = false;
  std::string tag;  // "experiment: ", "experiment [w0]: ", "experiment [shard 0/4]: "
  StatusFile status;
  size_t n_cases = 0;                        // cases among the jobs
  int case_index = 0;                        // cases started or skipped so far (the [k/n] of the progress lines)
  std::string waiting_for;                   // the job last reported as held by another process
  std::chrono::steady_clock::time_point t0;  // the run's start (after the folders are prepared)
  ExperimentSummary s;
};

GridRun start_grid_run(const ExperimentOptions& in, const ExperimentOptions& top, const std::vector<SeedRun>& runs) {
  GridRun g(runs);
  g.several = runs.size() > 1 || in.seeds.size() > 1;
  g.coordinated = !in.worker_id.empty() || in.shard_count > 1;
  g.quiet = top.quiet;
  const std::string who = in.shard_count > 1     ? str("shard ", in.shard_index, "/", in.shard_count)
                          : in.worker_id.empty() ? std::string()
                                                 : in.worker_id;
  g.tag = who.empty() ? "experiment: " : str("experiment [", who, "]: ");
  if (g.coordinated) {
    ensure_dir(top.out_dir + "/workers");
    g.status.path =
        str(top.out_dir, "/workers/", in.shard_count > 1 ? str("shard-", in.shard_index) : in.worker_id, ".status");
  }
  for (const SeedRun& r : runs) g.stores.emplace_back(r.o.out_dir + "/results.csv");
  g.jobs = make_jobs(runs, in.shard_index, in.shard_count);
  for (const Job& j : g.jobs) g.n_cases += j.is_net ? 0 : 1;
  g.t0 = std::chrono::steady_clock::now();
  return g;
}

// Trains (or resumes) a net job into its folder.
void train_net(const SeedRun& r, const Job& j) {
  TrainOptions t;
  t.work_dir = r.o.work_dir;
  t.arch = j.arch;
  t.tasks = j.tasks;
  t.match = j.match;
  t.epochs = j.arch == Arch::mtn ? case_net_epochs(r.o, make_case(Arch::mtn, j.tasks)) : r.o.stn_epochs;
  t.batch = r.o.batch;
  t.bn_momentum = r.o.bn_momentum;
  t.val_every = r.o.val_every;
  t.seed = r.o.seed;
  t.device = r.o.device;
  t.quiet = r.o.quiet;
  t.resume = true;  // a net trained or interrupted earlier (by any process) continues from its checkpoint
  t.run_dir = j.dir(r);
  run_train(t);
}

// The transfer run of a case job: its MLP on the features of the nets it needs.
TransferOptions case_transfer_options(const GridRun& g, const Job& j) {
  const SeedRun& r = g.runs[j.run];
  const ExperimentOptions& o = r.o;
  TransferOptions to;
  to.work_dir = o.work_dir;
  to.out_dir = j.dir(r);
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
  // Feature caches in the nets' folders are shared by the STN cases; two processes computing one at the
  // same time write the same bytes (atomic renames of per-process temporary files).
  to.cache_features = j.c.arch == Arch::stn;  // an MTN or wSTN serves one case only
  for (size_t n : j.needs) to.nets.push_back(g.jobs[n].dir(r));
  return to;
}

// The results.csv row of a finished case. The table columns hold the raw (T = 1) numbers; a calibrated case
// adds its calibrated log loss beside.
CaseResult case_result(const GridCase& c, const EvalResult& e, int epochs, double seconds) {
  const auto& m = e.calibrated ? e.raw : e.metrics;
  CaseResult cr = make_result(c, m.log_loss, m.macro_f1, m.accuracy, epochs, seconds);
  cr.ece = e.calibrated ? e.ece_raw : e.ece;
  if (e.calibrated) {
    cr.log_loss_calibrated = e.metrics.log_loss;
    cr.ece_calibrated = e.ece;
    cr.temperature = e.temperature;
  }
  return cr;
}

// Runs a case job (its nets are finished): the MLP, its row in results.csv, and (coordinated) the merged reports.
void run_case(GridRun& g, const Job& j, int index) {
  const SeedRun& r = g.runs[j.run];
  const ExperimentOptions& o = r.o;
  const GridCase& c = j.c;
  if (!o.quiet)
    std::fprintf(stderr, "%s[%d/%zu] %s (%.0f s so far)\n", g.tag.c_str(), index, g.n_cases,
                 j.label(r, g.several).c_str(), seconds_since(g.t0));
  const auto tc = std::chrono::steady_clock::now();
  TransferResult res = run_transfer(case_transfer_options(g, j));
  g.stores[j.run].append(case_result(c, res.eval, case_net_epochs(o, c), seconds_since(tc)));
  ++g.s.ran;
  const auto& m = res.eval.calibrated ? res.eval.raw : res.eval.metrics;
  if (!o.quiet)
    std::fprintf(stderr, "%s%s: log loss %.4f, macro F1 %.4f, accuracy %.4f (baseline %.4f / %.4f) in %.0f s\n",
                 g.tag.c_str(), j.label(r, g.several).c_str(), m.log_loss, m.macro_f1, m.accuracy,
                 res.eval.baseline.log_loss, res.eval.baseline.macro_f1, seconds_since(tc));
  if (g.coordinated) {
    // The merged tables, live: every process rewrites them from results.csv after each case it finishes.
    const FileLock guard = FileLock::acquire(o.out_dir + "/report.lock");
    ExperimentSummary tmp;
    write_experiment_report(o.work_dir, o.out_dir, &tmp, o.rerun_hint);
  }
}

// The order jobs are looked at. One process: the grid's order (each case right after its nets). Several:
// a ready case first (MLPs are short and their results are what people wait for), then the nets longest
// first, so that the wide and multi-task nets do not start last and leave the other processes idle.
std::vector<size_t> look_order(const GridRun& g) {
  const std::vector<Job>& jobs = g.jobs;
  std::vector<size_t> order(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) order[i] = i;
  if (g.coordinated) {
    std::vector<double> cost(jobs.size(), 0.0);
    for (size_t i = 0; i < jobs.size(); ++i)
      if (jobs[i].is_net) cost[i] = net_cost(g.runs[jobs[i].run], jobs[i]);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (jobs[a].is_net != jobs[b].is_net) return !jobs[a].is_net;
      return cost[a] > cost[b];
    });
  }
  return order;
}

// True when every net a case needs is finished; else *blocked names the first one missing (when still empty).
bool nets_ready(const GridRun& g, const Job& j, std::string* blocked) {
  const SeedRun& r = g.runs[j.run];
  bool ready = true;
  for (size_t n : j.needs)
    if (!net_finished(g.runs[g.jobs[n].run], g.jobs[n]))
      ready = false, *blocked = blocked->empty() ? g.jobs[n].label(r, g.several) : *blocked;
  return ready;
}

enum class Outcome {
  not_now,  // not ready, or held by another process
  done,     // finished: earlier, by another process, or run now
  rescan,   // finished by another process between the checks and the claim: look again
};

// One look at a job: skip it when finished, claim it through its lock file when ready and free, and run it.
// *blocked names the first job found waiting on another process.
Outcome try_job(GridRun& g, const Job& j, std::string* blocked) {
  const SeedRun& r = g.runs[j.run];
  if (j.is_net && net_finished(r, j)) return Outcome::done;
  if (!j.is_net) {
    if (g.stores[j.run].is_finished(j.name)) {
      ++g.case_index;
      ++g.s.skipped;
      if (!r.o.quiet)
        std::fprintf(stderr, "%s[%d/%zu] %s finished earlier; skipped\n", g.tag.c_str(), g.case_index, g.n_cases,
                     j.label(r, g.several).c_str());
      return Outcome::done;
    }
    if (!nets_ready(g, j, blocked)) return Outcome::not_now;
  }
  const FileLock lock = FileLock::try_acquire(j.lock(r));
  if (!lock.held()) {
    if (blocked->empty()) *blocked = j.label(r, g.several);
    return Outcome::not_now;  // another process is on it
  }
  // Finished by another process between the checks above and the lock?
  if (j.is_net ? net_finished(r, j) : g.stores[j.run].is_finished(j.name)) return Outcome::rescan;
  g.waiting_for.clear();
  g.status.set(str(j.is_net ? "training " : "", j.label(r, g.several)));
  if (j.is_net) {
    train_net(r, j);
  } else {
    run_case(g, j, ++g.case_index);
  }
  g.status.set("idle");
  return Outcome::done;
}

// Nothing ready: every remaining job waits on a net another process is training. Says so once per job
// waited for, and sleeps two seconds (or until a stop request).
void wait_for_others(GridRun& g, const std::string& blocked) {
  if (blocked != g.waiting_for && !g.quiet)
    std::fprintf(stderr, "%swaiting for %s (another process holds it)\n", g.tag.c_str(), blocked.c_str());
  if (blocked != g.waiting_for) g.status.set("waiting for " + blocked);
  g.waiting_for = blocked;
  for (int k = 0; k < 20 && !interrupt_requested(); ++k) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

// The loop: run the first job that is ready (a case whose nets are all finished), not done, and not held
// by another process; rescan after each. Nothing ready: every remaining job waits on a net another process
// is training, so wait for it (a process that dies releases its locks, and the net is then taken over
// and resumed from its checkpoint).
void run_jobs(GridRun& g) {
  const std::vector<size_t> order = look_order(g);
  std::vector<bool> done(g.jobs.size(), false);
  size_t remaining = g.jobs.size();
  while (remaining > 0) {
    throw_if_interrupted("experiment");
    bool progressed = false;
    std::string blocked;
    for (size_t oi = 0; oi < order.size() && !progressed; ++oi) {
      const size_t i = order[oi];
      if (done[i]) continue;
      const Outcome out = try_job(g, g.jobs[i], &blocked);
      if (out == Outcome::done) done[i] = true, --remaining;
      progressed = out != Outcome::not_now;
    }
    if (progressed || remaining == 0) continue;
    wait_for_others(g, blocked);
  }
  g.status.set("done");
}

// The reports: each seed folder's, then (several seeds) the summary over seeds; under the report lock when
// other processes may be writing them too. One seed: *s becomes that folder's summary, with the run's counts.
void write_run_reports(const GridRun& g, const ExperimentOptions& top, ExperimentSummary* s) {
  FileLock guard;
  for (const SeedRun& r : g.runs) {
    if (g.coordinated) guard = FileLock::acquire(r.o.out_dir + "/report.lock");
    ExperimentSummary one;
    write_experiment_report(r.o.work_dir, r.o.out_dir, &one, r.o.rerun_hint);
    if (!g.several) {
      one.ran = s->ran;
      one.skipped = s->skipped;
      one.seconds = s->seconds;
      *s = one;
    }
    guard.unlock();
  }
  if (g.several) {
    if (g.coordinated) guard = FileLock::acquire(top.out_dir + "/report.lock");
    write_experiment_report(top.work_dir, top.out_dir, s, top.rerun_hint);
  }
}

}  // namespace

ExperimentSummary run_experiment(const ExperimentOptions& in) {
  AGF_CHECK(in.shard_count >= 1 && in.shard_index >= 0 && in.shard_index < in.shard_count, UsageError,
            "experiment: --shard I/N needs 0 <= I < N, got ", in.shard_index, "/", in.shard_count);
  ExperimentOptions top;
  const std::vector<SeedRun> runs = seed_runs(in, &top);
  if (runs.size() > 1 || in.seeds.size() > 1) prepare_seeds_folder(top);
  for (const SeedRun& r : runs) prepare_seed_folder(r.o);
  GridRun g = start_grid_run(in, top, runs);
  if (!top.quiet && in.shard_count > 1)
    std::fprintf(stderr, "%s%zu of the grid's cases are this shard's\n", g.tag.c_str(), g.n_cases);
  run_jobs(g);
  ExperimentSummary s = g.s;
  s.seconds = seconds_since(g.t0);
  write_run_reports(g, top, &s);
  return s;
}

std::vector<std::string> missing_experiment_cases(const ExperimentOptions& in) {
  ExperimentOptions top;
  std::vector<std::string> missing;
  for (const SeedRun& r : seed_runs(in, &top)) {
    const std::vector<CaseResult> have = ResultsStore(r.o.out_dir + "/results.csv").load();
    for (const GridCase& c : r.grid)
      if (!find_result(have, c.name))
        missing.push_back(in.seeds.size() > 1 ? str(c.name, " (seed ", r.o.seed, ")") : c.name);
  }
  return missing;
}

namespace {

// The majority-class baseline from a case's metrics.json (the same for every case: training priors on the
// same split); false when OUT has no finished case.
bool read_baseline(const std::string& out_dir, const std::vector<CaseResult>& results, GridResults* g) {
  for (const CaseResult& r : results) {
    const std::string mp = out_dir + "/cases/" + r.case_name + "/metrics.json";
    if (!std::filesystem::exists(mp)) continue;
    const nlohmann::json b = read_json_file(mp).at("baseline");
    g->baseline_log_loss = b.at("log_loss").get<double>();
    g->baseline_f1 = b.at("macro_f1").get<double>();
    g->baseline_accuracy = b.at("accuracy").get<double>();
    return true;
  }
  return false;
}

void add_factor_summaries(const std::string& work_dir, ReportInput* in) {
  for (char k : std::string(kTaskOrder + 1)) {  // the factors in the paper's order: s, e, d, m
    const std::string p = WorkDir(work_dir).factor_file(k, "_summary.json");  // the data of _summary.md
    if (!std::filesystem::exists(p)) continue;
    const GroupsDoc d = groups_doc_from_json(read_file_bytes(p), p);
    ReportSection sec{str("Artist groups: factor ", k), {report_heading(d.title), report_paragraph(d.counts)}};
    if (!d.notes.empty()) sec.blocks.push_back(report_bullets(d.notes));
    sec.blocks.push_back(report_paragraph(d.table_note));
    sec.blocks.push_back(report_table(d.table));
    in->sections.push_back(std::move(sec));
  }
}

// The summary of a several-seed folder (seeds.h): results.md, summary.csv and report.html over OUT/seed-S/.
void write_seeds_report(const std::string& work_dir, const std::string& out_dir, ExperimentSummary* s) {
  const std::string sp = out_dir + "/seeds.json";
  const nlohmann::json sj = read_json_file(sp);
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
  in.grid.table4 = table4_seeds_table(ss);
  in.grid.note =
      "Several seeds: every number below is the mean over the seeds that finished the case; Table 4 adds "
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
  {
    ReportSection sec{"Paired comparisons over seeds and tracks", {}};
    sec.blocks.push_back(ss.comparisons.empty() ? report_paragraph(no_comparisons_text())
                                                : report_table(comparisons_table(ss)));
    if (!ss.finding.empty())
      sec.blocks.push_back(
          report_paragraph(Paragraph{TextSpan{"Finding:", TextSpan::bold}, TextSpan{" " + ss.finding}}));
    in.sections.push_back(std::move(sec));
  }
  const Paragraph protocol = protocol_paragraph(seed_dir(out_dir, ss.seeds[0]));
  s->protocol = protocol_text(protocol);
  if (!s->protocol.empty()) {
    md += "\n" + s->protocol;
    in.sections.push_back({"Protocol", {report_paragraph(protocol)}});
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
    csv += str(c.case_name, ",", c.log_loss.n, ",", g17(c.log_loss.mean), ",", g17(c.log_loss.std), ",", g17(c.f1.mean),
               ",", g17(c.f1.std), ",", g17(c.accuracy.mean), ",", g17(c.accuracy.std), "\n");
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
    const nlohmann::json j = read_json_file(mp);
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
      for (char k : c.tasks) nets.insert(net_name(Arch::stn, std::string(1, k), 0));
    else
      nets.insert(net_name(c.arch, c.tasks, c.n_tasks));
  }
  for (const std::string& n : nets)
    in.curves.push_back(load_case_curves("net " + n, out_dir + "/nets/" + n + "/train.jsonl"));
  for (const CaseResult& r : s->results)
    in.curves.push_back(load_case_curves("MLP " + r.case_name, out_dir + "/cases/" + r.case_name + "/transfer.jsonl"));
  // The protocol the results were made under (settings.json), stated beside the tables.
  const Paragraph protocol_p = protocol_paragraph(out_dir);
  const std::string protocol = s->protocol = protocol_text(protocol_p);
  if (!protocol.empty()) in.sections.push_back({"Protocol", {report_paragraph(protocol_p)}});
  // Calibration: the table, and the reliability diagram of the best calibrated case (by calibrated log loss).
  {
    const CaseResult* bc = nullptr;
    for (const CaseResult& r : s->results)
      if (!std::isnan(r.log_loss_calibrated) && (!bc || r.log_loss_calibrated < bc->log_loss_calibrated)) bc = &r;
    if (bc) {
      ReportSection sec{"Calibration", {report_table(calibration_table(s->results))}};
      const std::string svgp = out_dir + "/cases/" + bc->case_name + "/reliability.svg";
      if (std::filesystem::exists(svgp)) {
        sec.blocks.push_back(report_paragraph(
            str("Reliability diagram of ", bc->case_name, " (best calibrated log loss), validation tracks:")));
        sec.blocks.push_back(report_svg(read_file_bytes(svgp)));
      }
      in.sections.push_back(std::move(sec));
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
