// `agf train --work WORK --arch stn|mtn|wstn --tasks g[...] [--out RUN] [--resume]`: one net on the
// work folder's mel store (agf/train/trainer.h). Exit 0 when the run finished or stopped as asked (--stop-after),
// 75 when SIGTERM/SIGINT stopped it after writing a checkpoint at a step boundary (--resume continues).
#include <cstdio>
#include <memory>

#include "agf/train/trainer.h"
#include "util/interrupt.h"
#include "apps/command.h"

namespace {

std::string letters(const std::string& s) {
  std::string r;
  for (char c : s)
    if (c != ',' && c != ' ') r += c;
  return r;
}

AGF_COMMAND("train", "train an STN, MTN or wSTN on the mel store (checkpoints, --resume)", [](CLI::App& c) {
  auto o = std::make_shared<agf::TrainOptions>();
  c.add_option("--work", o->work_dir, "work folder (mels.safetensors, split.json, factors/)")->required();
  c.add_option("--out", o->run_dir, "run folder (default WORK/runs/<arch>-<tasks>)");
  c.add_option_function<std::string>(
       "--arch", [o](const std::string& a) { o->arch = agf::parse_arch(a); }, "stn | mtn | wstn")
      ->check(CLI::IsMember({"stn", "mtn", "wstn"}))
      ->default_str("stn");
  c.add_option("--tasks", o->tasks, "task letters: g (genre), m, d, e, s (artist group factors)")
      ->capture_default_str();
  c.add_option("--match", o->match, "wstn: as many parameters as the MTN with this many tasks (default 5)")
      ->check(CLI::Range(0, 5));
  c.add_option("--epochs", o->epochs, "epochs (default: stn/wstn 200, mtn 1000, as the paper)");
  c.add_option("--batch", o->batch, "batch size")->capture_default_str();
  c.add_option("--frames", o->frames, "segment length in frames (43 = 1 s)")->capture_default_str();
  c.add_option("--lr", o->lr, "Adam learning rate")->capture_default_str();
  c.add_option("--l2", o->l2, "L2 weight decay on conv and dense kernels")->capture_default_str();
  c.add_option("--bn-momentum", o->bn_momentum, "batch-norm running-statistics momentum (Keras 0.99 = 0.01)")
      ->capture_default_str();
  c.add_option("--seed", o->seed,
               "seed of every random stream (init, shuffles, crops, dropout), mixed with the case "
               "(arch, tasks, wSTN match) so that nets of one seed are independent")
      ->capture_default_str();
  c.add_flag("--shared-streams", o->shared_streams,
             "key the random streams by --seed alone (before issue 12): every net of one seed starts from the same "
             "trunk weights with the same shuffles, crops and dropout masks (an ablation)");
  c.add_option("--task-draw", o->task_draw, "mtn: draw a task per epoch (the authors' code) or per batch")
      ->check(CLI::IsMember({"epoch", "batch"}))
      ->capture_default_str();
  c.add_option("--device", o->device, "auto | cpu | cuda")->capture_default_str();
  c.add_flag("!--no-graph", o->graph,
             "run each step eagerly instead of replaying the step recorded once per task (a CUDA graph on CUDA, "
             "the recorded kernel calls on the CPU; both give the same weights bit for bit)");
  c.add_option("--checkpoint-every", o->checkpoint_every, "epochs between checkpoints")->capture_default_str();
  c.add_option("--val-every", o->val_every, "epochs between validation losses (0: never)")->capture_default_str();
  c.add_option("--max-bad-steps", o->max_bad_steps, "stop after this many non-finite steps in a row")
      ->capture_default_str();
  c.add_option("--stop-after", o->stop_after, "stop (resumably) after this many epochs of this invocation");
  c.add_flag("--resume", o->resume,
             "continue the run in --out from its checkpoint (also one written mid-epoch on "
             "SIGTERM/SIGINT: the run ends bit-identical on the CPU to an uninterrupted one)");
  c.add_flag("--quiet", o->quiet, "no progress output");
  c.add_option("--drill-wait-at-step", o->drill_wait_at_step,
               "tests: when global step N begins, write OUT/drill-waiting and wait up to 120 s for SIGTERM/SIGINT")
      ->group("Drills");
  c.footer(
      "On SIGTERM (Slurm's first signal on preemption or at the time limit) or SIGINT the step in flight "
      "finishes, the checkpoint is written at that step boundary (with the position inside the epoch) and agf "
      "exits with status 75 (EX_TEMPFAIL: resumable); --resume continues. A second signal changes nothing, a "
      "third ends at once (the last whole checkpoint is kept: writes are atomic).");
  return std::function<int()>([=] {
    agf::InterruptHandlers stop_on_signal;  // SIGTERM/SIGINT: checkpoint at the next step boundary, exit 75
    agf::TrainOptions opt = *o;
    opt.tasks = letters(opt.tasks);
    agf::TrainSummary s = agf::run_train(opt);
    const std::string tail = s.finished ? " -> " + s.model_path : std::string(" (resume with --resume)");
    if (!s.already_finished)
      std::printf("%s: %d/%d epochs, %lld steps (%lld skipped), %.1f s%s\n", s.run_dir.c_str(), s.epochs_done, s.epochs,
                  static_cast<long long>(s.steps), static_cast<long long>(s.skipped_steps), s.seconds, tail.c_str());
    return 0;
  });
});

}  // namespace
