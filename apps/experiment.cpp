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
#include "agf/util/fs.h"
#include "agf/util/interrupt.h"
#include "apps/command.h"

namespace {

AGF_COMMAND("experiment", "run the paper's grid of STN/MTN/wSTN cases (resumable), tables and HTML report",
            [](CLI::App& c) {
  auto o = std::make_shared<agf::ExperimentOptions>();
  auto report_only = std::make_shared<bool>(false);
  c.add_option("--work", o->work_dir, "work folder (mel store, split, factors)")->required();
  c.add_option("--out", o->out_dir, "experiment folder (default WORK/experiment)");
  c.add_flag("--quick", o->quick, "reduced grid (stn-g, stn-s, stn-gs, stn-gsedm, mtn-gs, mtn-gsedm, wstn-5), short schedules");
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
  c.add_option("--calibrate-fraction", o->calibrate_fraction, "--calibrate: fraction of each genre's training tracks "
                                                              "held out for the fit, in (0, 1)")
      ->capture_default_str();
  // --plan (issue 15 §2): size the grid before submitting it; trains nothing, writes nothing in OUT (plan.h).
  auto plan = std::make_shared<agf::PlanRequest>();
  auto plan_on = std::make_shared<bool>(false);
  auto plan_json = std::make_shared<std::string>();
  c.add_flag("--plan", *plan_on,
             "print the plan and exit: every case with the nets it needs, epochs, steps and estimated time, the nets, "
             "totals on 1 and --plan-devices devices, from a short calibration of every net shape on --device (about "
             "40 s on 2 CPU cores); trains nothing and writes nothing in OUT. Respects --quick, --case, --seeds");
  c.add_option("--plan-corpus", plan->corpus,
               "--plan: count for fma_medium under the paper's protocol (21,250 training / 3,750 validation 30-s "
               "clips) instead of WORK's split and mel store")
      ->check(CLI::IsMember({"fma_medium"}));
  c.add_option("--plan-train-tracks", plan->train_tracks, "--plan: this many training tracks (windows scale with them)");
  c.add_option("--plan-valid-tracks", plan->valid_tracks, "--plan: this many validation tracks");
  c.add_option("--plan-devices", plan->devices, "--plan: the list schedule's number of devices")->capture_default_str();
  c.add_option("--plan-json", *plan_json, "--plan: also write the plan's numbers as JSON to this file");
  c.add_flag("--report-only", *report_only, "only rewrite results.md and report.html from what --out holds");
  c.add_flag("--quiet", o->quiet, "no progress output");
  c.footer("float32 results differ across CPUs (the vector width and instruction set change the order of summation) "
           "and between CPU and GPU, so compare numbers from one machine; a run resumes bit-identically only on the "
           "same machine and build. The seed-to-seed spread of --seeds says how far apart two runs may land.\n"
           "On SIGTERM (Slurm's first signal on preemption or at the time limit) or SIGINT, the net or MLP in "
           "training finishes its step, checkpoints at that step boundary (mid-epoch) and the grid stops at that "
           "case with exit status 75 (EX_TEMPFAIL: resumable). Rerunning the same command resumes it (finished "
           "cases are skipped; the interrupted one continues bit-identically on the CPU). A third signal ends at once.");
  return std::function<int()>([=] {
    if (*plan_on) {
      const agf::Plan p = agf::plan_experiment(*o, *plan);
      std::printf("%s", agf::plan_text(p).c_str());
      if (!plan_json->empty()) agf::write_file_atomic(*plan_json, agf::plan_json(p).dump(1) + "\n");
      return 0;
    }
    agf::InterruptHandlers stop_on_signal;  // SIGTERM/SIGINT: checkpoint at the next step boundary, exit 75
    agf::ExperimentSummary s;
    if (*report_only) {
      const std::string out = o->out_dir.empty() ? agf::default_experiment_out(o->work_dir, o->seeds.size()) : o->out_dir;
      agf::write_experiment_report(o->work_dir, out, &s);
    } else {
      s = agf::run_experiment(*o);
    }
    std::printf("%s\n", s.table4.c_str());
    if (std::isfinite(s.baseline_log_loss))
      std::printf("majority-class baseline: log loss %.4f, macro F1 %.4f, accuracy %.4f\n\n", s.baseline_log_loss,
                  s.baseline_f1, s.baseline_accuracy);
    if (!s.protocol.empty()) std::printf("%s\n", s.protocol.c_str());
    std::printf("%d cases run, %d finished earlier, %.0f s; results %s, %s; report %s\n", s.ran, s.skipped, s.seconds,
                s.results_csv.c_str(), s.results_md.c_str(), s.report_html.c_str());
    if (!s.finding.empty()) std::printf("%s\n", s.finding.c_str());
    return 0;
  });
});

}  // namespace
