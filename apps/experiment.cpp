// `agf experiment --work WORK [--quick] [--case NAME ...] [--out DIR] [--seeds 1,2,3] [--plan ...]`: the paper's grid
// (Tables 3-5), resumable; prints the Table 4-style results (mean ± std over several seeds) and the finding,
// and writes results.csv/.md and report.html (experiment.h, seeds.h). On SIGTERM/SIGINT the net or MLP in
// training checkpoints at its step boundary and the grid stops with exit status 75; rerunning the same command
// resumes it.
#include <cmath>
#include <cstdio>
#include <memory>

#include "agf/train/experiment.h"
#include "agf/train/plan.h"
#include "agf/train/workers.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "apps/command.h"

namespace {

// --plan: print the plan (and write its JSON); plan_devices: the list schedule's devices when --plan-devices
// was not given (--workers N, the number of --devices, the N of --shard I/N, else 1).
int run_plan(const agf::ExperimentOptions& o, agf::PlanRequest req, bool devices_given, const std::string& shard,
             int workers, const std::string& devices, const std::string& plan_json) {
  if (!devices_given) {  // the devices this command line would run on
    int shards = 1;
    if (!shard.empty() && std::sscanf(shard.c_str(), "%*d/%d", &shards) != 1) shards = 1;
    req.devices = workers > 0 ? workers : !devices.empty() ? int(agf::parse_devices(devices).size()) : shards;
  }
  const agf::Plan p = agf::plan_experiment(o, req);
  std::printf("%s", agf::plan_text(p).c_str());
  if (!plan_json.empty()) agf::write_file_atomic(plan_json, agf::plan_json(p).dump(1) + "\n");
  return 0;
}

// --shard I/N into the options.
void parse_shard(const std::string& shard, agf::ExperimentOptions* o) {
  int i = -1, n = -1;
  char tail = 0;
  AGF_CHECK(std::sscanf(shard.c_str(), "%d/%d%c", &i, &n, &tail) == 2 && n >= 1 && i >= 0 && i < n, agf::UsageError,
            "experiment: --shard wants I/N with 0 <= I < N (e.g. 0/4), got '", shard, "'");
  o->shard_index = i;
  o->shard_count = n;
}

// A worker's command line: this one (args) without --workers/--devices (and, for GPUs, without --device).
std::vector<std::string> worker_args(const std::vector<std::string>& args, bool gpus) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool drop = false, with_value = false;
    for (const char* f : {"--workers", "--devices", "--device"}) {
      if (std::string(f) == "--device" && !gpus) continue;
      if (a == f) drop = with_value = true;
      if (a.rfind(std::string(f) + "=", 0) == 0) drop = true;
    }
    if (drop) {
      if (with_value) ++i;
      continue;
    }
    out.push_back(a);
  }
  return out;
}

// --collect: the merged report and tables of OUT; 1 (naming them) when some of the grid's cases have no result.
int run_collect(const agf::ExperimentOptions& o) {
  agf::ExperimentSummary s;
  const std::string out = o.out_dir.empty() ? agf::default_experiment_out(o.work_dir, o.seeds.size()) : o.out_dir;
  agf::write_experiment_report(o.work_dir, out, &s);
  std::printf("%s\n", s.table4.c_str());
  if (!s.protocol.empty()) std::printf("%s\n", s.protocol.c_str());
  const std::vector<std::string> missing = agf::missing_experiment_cases(o);
  std::printf("%zu cases in %s; results %s, %s; report %s\n", s.results.size(), out.c_str(), s.results_csv.c_str(),
              s.results_md.c_str(), s.report_html.c_str());
  if (!missing.empty()) {
    std::string list;
    for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
    std::fprintf(stderr, "experiment: --collect: %zu of the grid's cases have no result yet: %s\n", missing.size(),
                 list.c_str());
    return 1;
  }
  return 0;
}

void print_summary(const agf::ExperimentSummary& s) {
  std::printf("%s\n", s.table4.c_str());
  if (std::isfinite(s.baseline_log_loss))
    std::printf("majority-class baseline: log loss %.4f, macro F1 %.4f, accuracy %.4f\n\n", s.baseline_log_loss,
                s.baseline_f1, s.baseline_accuracy);
  if (!s.protocol.empty()) std::printf("%s\n", s.protocol.c_str());
  std::printf("%d cases run, %d finished earlier, %.0f s; results %s, %s; report %s\n", s.ran, s.skipped, s.seconds,
              s.results_csv.c_str(), s.results_md.c_str(), s.report_html.c_str());
  if (!s.finding.empty()) std::printf("%s\n", s.finding.c_str());
}

AGF_COMMAND("experiment", "run the paper's grid of STN/MTN/wSTN cases (resumable), tables and HTML report",
            [](CLI::App& c) {
  auto o = std::make_shared<agf::ExperimentOptions>();
  auto report_only = std::make_shared<bool>(false);
  c.add_option("--work", o->work_dir, "work folder (mel store, split, factors)")->required();
  c.add_option("--out", o->out_dir, "experiment folder (default WORK/experiment)");
  c.add_flag("--quick", o->quick,
             "reduced grid (stn-g, stn-s, stn-gs, stn-gsedm, mtn-gs, mtn-gsedm, wstn-5), short schedules");
  c.add_option("--case", o->cases, "run only these cases (e.g. stn-gs, mtn-gsedm, wstn-3); repeatable")->delimiter(',');
  c.add_option("--stn-epochs", o->stn_epochs, "STN and wSTN epochs (0: 200, quick 30)")->capture_default_str();
  c.add_option("--mtn-epochs", o->mtn_epochs,
               "MTN epochs, the same for every number of tasks N (0: 1000, quick 60): the paper's stated \"1000 epochs "
               "for an MTN\", the grid's default")
      ->capture_default_str();
  c.add_option("--mtn-epochs-per-task", o->mtn_epochs_per_task,
               "the paper's other reading, \"multiply the single-task epochs by the number of tasks\": an N-task MTN "
               "trains this x N epochs (200: 400..1000; equal to --mtn-epochs 1000 at N = 5); excludes --mtn-epochs")
      ->capture_default_str();
  c.add_option("--mlp-epoch", o->mlp_epoch,
               "one transfer-MLP epoch: crops (one random 1-s crop per training track, the paper's; the default) or "
               "windows (every 43-frame window of every training track; the --quick default, for the CPU budget)")
      ->check(CLI::IsMember({"crops", "windows"}));
  c.add_option("--factors-from", o->factors_from,
               "how WORK's factors must have been fitted (agf factors --factors-from): all (the paper's protocol) or "
               "train; checked, and stated in results.md and the report")
      ->check(CLI::IsMember({"all", "train"}))
      ->capture_default_str();
  c.add_option("--mlp-epochs", o->mlp_epochs, "transfer MLP epochs (0: 50, quick 30)")->capture_default_str();
  c.add_option("--bn-momentum", o->bn_momentum, "nets' batch-norm momentum (0: paper 0.01, quick 0.1)")
      ->capture_default_str();
  c.add_option("--val-every", o->val_every,
               "epochs between a net's validation losses (0: every epoch, quick every 5th; "
               "the last epoch always)")
      ->capture_default_str();
  c.add_option("--batch", o->batch, "batch size")->capture_default_str();
  c.add_option("--hop", o->eval_hop, "hop between a track's windows at evaluation")->capture_default_str();
  auto* seed = c.add_option("--seed", o->seed, "seed of every net and MLP")->capture_default_str();
  c.add_option("--seeds", o->seeds,
               "run every case under each of these seeds (e.g. 1,2,3): they vary the training randomness of the nets "
               "and MLPs (initialisation, shuffles, crops, dropout) over one work folder; OUT (default "
               "WORK/experiment-seeds) gets one folder per seed, seed-S/, resumable per (case, seed), and results.md / "
               "report.html with mean ± std per cell and paired comparisons (bootstrap and sign test over tracks). One "
               "value is the same as --seed")
      ->delimiter(',')
      ->excludes(seed);
  c.add_option("--device", o->device, "auto | cpu | cuda")->capture_default_str();
  c.add_flag("--calibrate", o->calibrate,
             "temperature-scale every case's MLP: hold out --calibrate-fraction of each genre's training tracks from "
             "it, fit one T on them (never on validation); results.csv/md add the calibrated log loss and the ECE "
             "before and after beside the raw numbers, the report a reliability diagram");
  c.add_option("--calibrate-fraction", o->calibrate_fraction,
               "--calibrate: fraction of each genre's training tracks "
               "held out for the fit, in (0, 1)")
      ->capture_default_str();
  auto shard = std::make_shared<std::string>();
  c.add_option(
      "--shard", *shard,
      "I/N: run this process's deterministic, cost-balanced share of the grid's cases (0 <= I < N), e.g. one "
      "task of a Slurm job array (scripts/slurm/agf-grid.sbatch). Every shard uses the same --out, on a file "
      "system all of them see: the nets a case needs are trained once, by whichever shard reaches them first "
      "(the others wait, or take over a net nobody holds: a shard that dies leaves it resumable); results.csv, "
      "results.md and report.html are merged as cases finish. Then --collect");
  auto collect = std::make_shared<bool>(false);
  c.add_flag("--collect", *collect,
             "build results.md and report.html from every shard's (or worker's) finished cases, print the tables, and "
             "exit 1 naming the grid's cases that have no result yet (the same grid options as the shards)");
  auto workers = std::make_shared<int>(0);
  auto devices = std::make_shared<std::string>();
  auto* wopt = c.add_option(
      "--workers", *workers,
      "run independent cases concurrently in N worker processes on this machine (each with cores/N threads "
      "unless OMP_NUM_THREADS is set), sharing --out as --shard does: nets trained once, results merged live, "
      "a worker's log in OUT/logs/wK.log; on the --device given (the CPU without a GPU)");
  c.add_option("--devices", *devices,
               "one worker process per GPU: 'all' or ordinals such as 0,1,2 (each worker sees only its GPU through "
               "CUDA_VISIBLE_DEVICES and runs --device cuda)")
      ->excludes(wopt);
  c.add_option("--worker-id", o->worker_id, "(internal) this process is worker ID of --workers/--devices")->group("");
  // --plan (issue 15 §2): size the grid before submitting it; trains nothing, writes nothing in OUT (plan.h).
  auto plan = std::make_shared<agf::PlanRequest>();
  auto plan_on = std::make_shared<bool>(false);
  auto plan_json = std::make_shared<std::string>();
  c.add_flag("--plan", *plan_on,
             "print the plan and exit: every case with the nets it needs, epochs, steps and estimated time, the nets, "
             "totals on 1 and --plan-devices devices, from a short calibration of every net shape on --device (about "
             "40 s on 2 quiet CPU cores); trains nothing and writes nothing in OUT. Respects --quick, --case, --seeds");
  c.add_option("--plan-corpus", plan->corpus,
               "--plan: count for fma_medium under the paper's protocol (21,250 training / 3,750 validation 30-s "
               "clips) instead of WORK's split and mel store")
      ->check(CLI::IsMember({"fma_medium"}));
  c.add_option("--plan-train-tracks", plan->train_tracks,
               "--plan: this many training tracks (windows scale with them)");
  c.add_option("--plan-valid-tracks", plan->valid_tracks, "--plan: this many validation tracks");
  auto* plan_devices =
      c.add_option("--plan-devices", plan->devices,
                   "--plan: the list schedule's number of devices (default: --workers N, the number of "
                   "--devices, the N of --shard I/N, else 1)");
  c.add_option("--plan-json", *plan_json, "--plan: also write the plan's numbers as JSON to this file");
  c.add_flag("--report-only", *report_only, "only rewrite results.md and report.html from what --out holds");
  c.add_flag("--quiet", o->quiet, "no progress output");
  c.footer(
      "float32 results differ across CPUs (the vector width and instruction set change the order of summation) "
      "and between CPU and GPU, so compare numbers from one machine; a run resumes bit-identically only on the "
      "same machine and build. The seed-to-seed spread of --seeds says how far apart two runs may land.\n"
      "On SIGTERM (Slurm's first signal on preemption or at the time limit) or SIGINT, the net or MLP in "
      "training finishes its step, checkpoints at that step boundary (mid-epoch) and the grid stops at that "
      "case with exit status 75 (EX_TEMPFAIL: resumable). Rerunning the same command resumes it (finished "
      "cases are skipped; the interrupted one continues bit-identically on the CPU). A third signal ends at once.");
  return std::function<int()>([=] {
    if (*plan_on) return run_plan(*o, *plan, plan_devices->count() > 0, *shard, *workers, *devices, *plan_json);
    agf::InterruptHandlers stop_on_signal;  // SIGTERM/SIGINT: checkpoint at the next step boundary, exit 75
    agf::ExperimentSummary s;
    if (!shard->empty()) parse_shard(*shard, o.get());
    if (*workers < 0) throw agf::UsageError("experiment: --workers wants N >= 1");
    if (*workers > 0 || !devices->empty()) {
      AGF_CHECK(o->shard_count <= 1 && !*collect && !*report_only, agf::UsageError,
                "experiment: --workers/--devices exclude --shard, --collect and --report-only");
      agf::WorkersOptions w;
      w.workers = *workers;
      if (!devices->empty()) w.devices = agf::parse_devices(*devices);
      w.child_args = worker_args(agf::app::command_line(), !w.devices.empty());
      s = agf::run_experiment_workers(*o, w);
    } else if (*collect) {
      return run_collect(*o);
    } else if (*report_only) {
      const std::string out =
          o->out_dir.empty() ? agf::default_experiment_out(o->work_dir, o->seeds.size()) : o->out_dir;
      agf::write_experiment_report(o->work_dir, out, &s);
    } else {
      s = agf::run_experiment(*o);
    }
    print_summary(s);
    return 0;
  });
});

}  // namespace
