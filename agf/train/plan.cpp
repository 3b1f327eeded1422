// `agf experiment --plan`: the corpus counts, the step and forward arithmetic per job and the list schedule
// (see plan.h). Steps are counted as trainer.cpp and transfer.cpp take them; the text and JSON are in
// plan_print.cpp, the measured times in plan_calibrate.cpp.
#include "agf/train/plan.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>

#include "agf/train/rng.h"
#include "agf/train/session.h"
#include "layers/tasks.h"
#include "util/error.h"
#include "layers/paper.h"

namespace agf {

namespace {

constexpr int kWindow = paper::kFrames;  // frames of one window (TrainOptions::frames, TransferOptions::frames)

// Batches of one epoch over n samples, as both loops cut them: full batches of B, and a short last batch
// only when it holds two or more samples (batch norm needs two). trainer.cpp: `if (n < 2) break`;
// transfer.cpp: `for (b = 0; b + 2 <= n; b += B)`.
int64_t steps_per_epoch(int64_t n, int B) { return n < 2 ? 0 : n / B + (n % B >= 2 ? 1 : 0); }

int64_t targets(const std::map<char, int64_t>& m, char task, int64_t all) {
  auto it = m.find(task);
  return it == m.end() ? all : it->second;
}

int64_t scaled(int64_t count, int64_t num, int64_t den) {
  return den <= 0 ? 0 : int64_t(std::llround(double(count) * double(num) / double(den)));
}

struct NetId {
  std::string name;
  Arch arch = Arch::stn;
  std::string tasks, shape;
  int match = 0;
};

// A net's job is named by its folder in OUT, nets/<net>, apart from the case of the same name (mtn-gs, wstn-3).
NetId net_of(Arch a, const std::string& tasks, int n_tasks) {
  if (a == Arch::stn) return {"nets/" + net_name(a, tasks, 0), a, tasks, "stn", 0};
  if (a == Arch::mtn) return {"nets/" + net_name(a, tasks, 0), a, tasks, "mtn-" + std::to_string(tasks.size()), 0};
  return {"nets/" + net_name(a, "g", n_tasks), a, "g", "wstn-" + std::to_string(n_tasks), n_tasks};
}

// The nets a case needs, in the order its transfer concatenates them.
std::vector<NetId> nets_of(const GridCase& c) {
  std::vector<NetId> v;
  if (c.arch == Arch::stn)
    for (char k : c.tasks) v.push_back(net_of(Arch::stn, std::string(1, k), 1));
  else
    v.push_back(net_of(c.arch, c.tasks, c.n_tasks));
  return v;
}

int64_t mlp_input_width(const GridCase& c) {
  if (c.arch == Arch::wstn) return plan_wstn_feature_dim(c.n_tasks);
  return 256 * int64_t(c.tasks.size());  // every STN or MTN branch gives 256
}

const PlanTiming& timing(const std::map<std::string, PlanTiming>& m, const std::string& key, const char* what) {
  auto it = m.find(key);
  AGF_CHECK(it != m.end(), UsageError, "plan: the calibration has no ", what, " time for '", key,
            "' (calibrate every shape of plan_shapes)");
  return it->second;
}

}  // namespace

int64_t plan_track_windows(int frames, int window, int hop) {
  return frames < window ? 0 : int64_t((frames - window) / hop) + 1;
}

PlanCorpus plan_fma_medium_corpus(int train_hop, int eval_hop, int64_t train_tracks, int64_t valid_tracks,
                                  int frames_per_track) {
  PlanCorpus c;
  c.source = str("fma_medium under the paper's protocol: stratified 85/15 split of 25,000 tracks (", train_tracks,
                 " training / ", valid_tracks, " validation), 30-s clips of ", frames_per_track,
                 " frames (22,050 Hz, hop 512, centred), every track with a genre and every factor target");
  c.train_tracks = train_tracks;
  c.valid_tracks = valid_tracks;
  c.frames_per_track = frames_per_track;
  c.train_windows = train_tracks * plan_track_windows(frames_per_track, kWindow, train_hop);
  c.train_eval_windows = train_tracks * plan_track_windows(frames_per_track, kWindow, eval_hop);
  c.eval_windows = valid_tracks * plan_track_windows(frames_per_track, kWindow, eval_hop);
  return c;
}

PlanCorpus plan_work_corpus(const std::string& work_dir, const std::string& tasks, int train_hop, int eval_hop) {
  const WorkData w = load_work(work_dir, tasks);
  PlanCorpus c;
  c.source = str(work_dir, " (split.json and the mel store)");
  int common = -1;
  auto count = [&](const std::vector<int64_t>& split, int hop, int64_t* windows) {
    int64_t n = 0;
    for (int64_t i : split) {
      if (w.genre[size_t(i)] < 0) continue;
      ++n;
      const int f = w.store.frames(i);
      *windows += plan_track_windows(f, kWindow, hop);
      common = common == -1 || common == f ? f : 0;
    }
    return n;
  };
  c.train_tracks = count(w.train, train_hop, &c.train_windows);
  count(w.train, eval_hop, &c.train_eval_windows);
  c.valid_tracks = count(w.valid, eval_hop, &c.eval_windows);
  c.frames_per_track = std::max(common, 0);
  for (char k : std::set<char>(tasks.begin(), tasks.end())) {
    int64_t nt = 0, nv = 0;
    for (int64_t i : w.train) nt += w.has_target(k, i);
    for (int64_t i : w.valid) nv += w.has_target(k, i);
    c.train_targets[k] = nt;
    c.valid_targets[k] = nv;
    if (is_factor_task(k)) c.topics = w.factors.at(k).topics;
  }
  return c;
}

void plan_override_tracks(PlanCorpus* c, int64_t train, int64_t valid) {
  AGF_CHECK(train >= 0 && valid >= 0, UsageError, "--plan-train-tracks and --plan-valid-tracks must be >= 0");
  if (train > 0) {
    AGF_CHECK(c->train_tracks > 0, UsageError, "--plan-train-tracks: the corpus has no training track to scale from");
    for (auto& [k, n] : c->train_targets) n = scaled(n, train, c->train_tracks);
    c->train_windows = scaled(c->train_windows, train, c->train_tracks);
    c->train_eval_windows = scaled(c->train_eval_windows, train, c->train_tracks);
    c->train_tracks = train;
  }
  if (valid > 0) {
    AGF_CHECK(c->valid_tracks > 0, UsageError, "--plan-valid-tracks: the corpus has no validation track to scale from");
    for (auto& [k, n] : c->valid_targets) n = scaled(n, valid, c->valid_tracks);
    c->eval_windows = scaled(c->eval_windows, valid, c->valid_tracks);
    c->valid_tracks = valid;
  }
  if (train > 0 || valid > 0)
    c->source += str("; counts set to ", c->train_tracks, " training / ", c->valid_tracks,
                     " validation tracks (windows and targets scaled in proportion)");
}

NetConfig plan_wstn_config(int n_tasks) {
  // As run_train builds it: arch wstn on g, the default NetConfig otherwise (its topics too, since a wSTN
  // has no factor task), the width matched to the N-task MTN.
  NetConfig c;
  c.arch = Arch::wstn;
  c.tasks = "g";
  c.width = wstn_width_for(mtn_params_for_tasks(n_tasks, c), c);
  return c;
}

int64_t plan_wstn_feature_dim(int n_tasks) {
  return std::max<int64_t>(1, std::lround(256 * plan_wstn_config(n_tasks).width));
}

std::vector<std::string> plan_shapes(const std::vector<GridCase>& grid) {
  std::vector<std::string> nets;
  std::set<int64_t> dims;
  for (const GridCase& c : grid) {
    for (const NetId& n : nets_of(c))
      if (std::find(nets.begin(), nets.end(), n.shape) == nets.end()) nets.push_back(n.shape);
    dims.insert(mlp_input_width(c));
  }
  std::sort(nets.begin(), nets.end());
  for (int64_t d : dims) nets.push_back("mlp-" + std::to_string(d));
  return nets;
}

Plan make_plan(const ExperimentOptions& o, const std::vector<GridCase>& grid, const PlanCorpus& corpus,
               const PlanCalibration& cal, int devices) {
  AGF_CHECK(devices >= 1, UsageError, "plan: the number of devices must be >= 1, got ", devices);
  AGF_CHECK(o.batch >= 2, UsageError, "plan: --batch must be >= 2");
  Plan p;
  p.options = o;
  p.grid = grid;
  p.corpus = corpus;
  p.calibration = cal;
  p.seeds = o.seeds.empty() ? std::vector<uint64_t>{o.seed} : o.seeds;
  const bool several = p.seeds.size() > 1;
  const bool crops = o.mlp_epoch == "crops";
  const int B = o.batch;

  // The MLP's data: --calibrate holds out about calibrate_fraction of the training tracks (per genre, rounded,
  // in transfer.cpp; here of the total) and evaluates the held-out tracks' windows at eval_hop.
  const int64_t held = o.calibrate ? int64_t(std::llround(o.calibrate_fraction * double(corpus.train_tracks))) : 0;
  const int64_t mlp_tracks = corpus.train_tracks - held;
  const int64_t mlp_windows = corpus.train_windows - scaled(corpus.train_windows, held, corpus.train_tracks);
  const int64_t calib_windows = scaled(corpus.train_eval_windows, held, corpus.train_tracks);
  const int64_t mlp_samples = crops ? mlp_tracks : mlp_windows;
  // Window forwards of one feature pass of one branch over what a transfer reads: validation windows, the
  // held-out windows, and the training crops of every epoch (or the training windows, once).
  const int64_t feature_windows =
      corpus.eval_windows + calib_windows + (crops ? int64_t(o.mlp_epochs) * mlp_tracks : mlp_windows);

  for (uint64_t seed : p.seeds) {
    const std::string at = several ? "@" + std::to_string(seed) : std::string();
    std::vector<PlanJob> nets, cases;
    auto find_net = [&](const std::string& name) -> PlanJob* {
      for (PlanJob& j : nets)
        if (j.name == name) return &j;
      return nullptr;
    };
    for (const GridCase& c : grid) {
      PlanJob cj;
      cj.kind = PlanJob::Kind::mlp;
      cj.name = c.name + at;
      cj.seed = seed;
      cj.shape = "mlp-" + std::to_string(mlp_input_width(c));
      cj.epochs = o.mlp_epochs;
      cj.steps = int64_t(o.mlp_epochs) * steps_per_epoch(mlp_samples, B);
      // Per epoch the centre window of every validation track; at the end every validation window (twice
      // with --calibrate: raw and at the fitted temperature) and the held-out windows' logits.
      cj.mlp_forwards = int64_t(o.mlp_epochs) * corpus.valid_tracks + corpus.eval_windows +
                        (o.calibrate ? corpus.eval_windows + calib_windows : 0);
      for (const NetId& n : nets_of(c)) {
        cj.needs.push_back(n.name + at);
        PlanJob* nj = find_net(n.name + at);
        if (!nj) {
          PlanJob j;
          j.kind = PlanJob::Kind::net;
          j.name = n.name + at;
          j.seed = seed;
          j.shape = j.forward_shape = n.shape;
          j.epochs = case_net_epochs(o, c);
          // The task of each epoch: one task per epoch drawn as the trainer draws it (the net's own stream).
          const uint64_t rs = net_stream_seed(seed, n.arch, n.tasks, n.match);
          const uint32_t T = uint32_t(n.tasks.size());
          int64_t valid_per_epoch = 0;
          for (char k : n.tasks) valid_per_epoch += targets(corpus.valid_targets, k, corpus.valid_tracks);
          for (int e = 0; e < j.epochs; ++e) {
            const uint32_t k = T == 1 ? 0 : philox_u32(derive_seed(rs, Stream::Task, uint64_t(e)), 0, 0) % T;
            j.steps += steps_per_epoch(targets(corpus.train_targets, n.tasks[k], corpus.train_tracks), B);
          }
          // The trainer's rule: every val_every-th epoch and the last (0, options not normalised: every epoch).
          const int ve = std::max(1, o.val_every);
          int val_epochs = 0;
          for (int e = 1; e <= j.epochs; ++e) val_epochs += e % ve == 0 || e == j.epochs;
          j.forwards = int64_t(val_epochs) * valid_per_epoch;      // the validation loss of every task
          if (c.arch == Arch::stn) j.forwards += feature_windows;  // shared by the STN cases (feature cache)
          nets.push_back(j);
          nj = &nets.back();
        }
        nj->used_by.push_back(cj.name);
        if (c.arch != Arch::stn) {  // an MTN's or wSTN's features serve its one case: counted there
          cj.forward_shape = n.shape;
          cj.forwards = int64_t(n.tasks.size()) * feature_windows;
        }
      }
      cases.push_back(cj);
    }
    for (PlanJob& j : nets)
      j.seconds = double(j.steps) * timing(cal.step, j.shape, "step").seconds +
                  double(j.forwards) * timing(cal.forward, j.shape, "forward").seconds;
    for (PlanJob& j : cases) {
      j.seconds = double(j.steps) * timing(cal.step, j.shape, "step").seconds +
                  double(j.mlp_forwards) * timing(cal.forward, j.shape, "forward").seconds;
      if (j.forwards) j.seconds += double(j.forwards) * timing(cal.forward, j.forward_shape, "forward").seconds;
    }
    p.jobs.insert(p.jobs.end(), nets.begin(), nets.end());
    p.jobs.insert(p.jobs.end(), cases.begin(), cases.end());
  }
  for (const PlanJob& j : p.jobs) {
    p.total_steps += j.steps;
    p.total_forwards += j.forwards;
    p.total_mlp_forwards += j.mlp_forwards;
    p.total_s += j.seconds;
  }
  p.schedule = plan_schedule(p.jobs, devices);
  return p;
}

PlanSchedule plan_schedule(const std::vector<PlanJob>& jobs, int devices) {
  AGF_CHECK(devices >= 1, UsageError, "plan: the number of devices must be >= 1, got ", devices);
  const size_t n = jobs.size();
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < n; ++i)
    AGF_CHECK(index.emplace(jobs[i].name, i).second, UsageError, "plan: two jobs are named ", jobs[i].name);
  std::vector<std::vector<size_t>> deps(n);
  for (size_t i = 0; i < n; ++i)
    for (const std::string& d : jobs[i].needs) {
      auto it = index.find(d);
      AGF_CHECK(it != index.end(), UsageError, "plan: job ", jobs[i].name, " needs ", d, ", which is not a job");
      deps[i].push_back(it->second);
    }
  // Priority, as the scheduler of several processes (experiment.cpp) looks at jobs: a ready case first (in job
  // order), then the nets longest first (ties in job order).
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const bool na = jobs[a].kind == PlanJob::Kind::net, nb = jobs[b].kind == PlanJob::Kind::net;
    if (na != nb) return nb;
    return na && jobs[a].seconds > jobs[b].seconds;
  });
  PlanSchedule s;
  s.devices = devices;
  s.device_of.assign(n, -1);
  s.start_s.assign(n, 0);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> end(n, inf), free_at(size_t(devices), 0);
  size_t left = n;
  while (left > 0) {
    const size_t d = size_t(std::min_element(free_at.begin(), free_at.end()) - free_at.begin());
    const double t = free_at[d];
    size_t pick = n;
    for (size_t i : order) {
      if (s.device_of[i] >= 0) continue;
      bool ready = true;
      for (size_t q : deps[i]) ready = ready && end[q] <= t;
      if (ready) {
        pick = i;
        break;
      }
    }
    if (pick == n) {  // nothing ready: this device idles until the next running job ends
      double next = inf;
      for (size_t i = 0; i < n; ++i)
        if (end[i] > t && end[i] < next) next = end[i];
      AGF_CHECK(next < inf, UsageError, "plan: the jobs' dependencies form a cycle or name a job that never runs");
      free_at[d] = next;
      continue;
    }
    s.device_of[pick] = int(d);
    s.start_s[pick] = t;
    end[pick] = free_at[d] = t + jobs[pick].seconds;
    --left;
  }
  // The longest chain ending at each job: its own time plus its slowest dependency's chain.
  std::vector<double> chain(n, -1);
  std::function<double(size_t, size_t)> chain_of = [&](size_t i, size_t depth) {
    AGF_CHECK(depth <= n, UsageError, "plan: the jobs' dependencies form a cycle");
    if (chain[i] < 0) {
      double longest_dep = 0;
      for (size_t q : deps[i]) longest_dep = std::max(longest_dep, chain_of(q, depth + 1));
      chain[i] = longest_dep + jobs[i].seconds;
    }
    return chain[i];
  };
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    total += jobs[i].seconds;
    s.longest_chain_s = std::max(s.longest_chain_s, chain_of(i, 0));
    s.makespan_s = std::max(s.makespan_s, end[i]);
  }
  s.lower_bound_s = std::max(total / devices, s.longest_chain_s);
  return s;
}

Plan plan_experiment(const ExperimentOptions& in, const PlanRequest& req) {
  AGF_CHECK(req.corpus.empty() || req.corpus == "fma_medium", UsageError, "--plan-corpus must be fma_medium, got '",
            req.corpus, "'");
  std::vector<GridCase> grid;
  ExperimentOptions o = normalise_experiment(in, &grid);
  if (o.seeds.size() == 1) o.seed = o.seeds[0];
  AGF_CHECK(std::set<uint64_t>(o.seeds.begin(), o.seeds.end()).size() == o.seeds.size(), UsageError,
            "experiment --plan: --seeds repeats a seed; give distinct seeds");
  std::string tasks = "g";
  for (const GridCase& c : grid)
    for (char k : c.tasks)
      if (tasks.find(k) == std::string::npos) tasks += k;
  PlanCorpus corpus = req.corpus == "fma_medium" ? plan_fma_medium_corpus(o.train_hop, o.eval_hop)
                                                 : plan_work_corpus(o.work_dir, tasks, o.train_hop, o.eval_hop);
  plan_override_tracks(&corpus, req.train_tracks, req.valid_tracks);
  PlanCalibrateOptions co = req.calibrate;
  co.device = o.device;
  co.batch = o.batch;
  co.topics = corpus.topics;
  co.quiet = co.quiet || o.quiet;
  const PlanCalibration cal = plan_calibrate(plan_shapes(grid), co);
  return make_plan(o, grid, corpus, cal, req.devices);
}

}  // namespace agf
