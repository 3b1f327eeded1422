// Worker processes for agf experiment (see workers.h).
#include "agf/train/workers.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "util/error.h"
#include "util/filelock.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "engine/device.h"

namespace agf {

std::vector<std::string> parse_devices(const std::string& spec) {
  std::vector<std::string> out;
  if (spec == "all") {
    AGF_CHECK(cuda_compiled(), DeviceError, "--devices all: this agf was built without CUDA (agf info)");
    const int n = cuda_devices();
    AGF_CHECK(n > 0, DeviceError, "--devices all: no CUDA device is visible (agf info; CUDA_VISIBLE_DEVICES)");
    for (int i = 0; i < n; ++i) out.push_back(std::to_string(i));
    return out;
  }
  std::set<std::string> seen;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    AGF_CHECK(!item.empty() && item.find_first_not_of("0123456789") == std::string::npos, UsageError,
              "--devices wants 'all' or device ordinals such as 0,1,2; got '", spec, "'");
    AGF_CHECK(seen.insert(item).second, UsageError, "--devices lists device ", item, " twice ('", spec, "')");
    out.push_back(item);
  }
  AGF_CHECK(!out.empty(), UsageError, "--devices wants 'all' or device ordinals such as 0,1,2; got '", spec, "'");
  return out;
}

namespace {

struct Worker {
  std::string id, device, log, status;
  pid_t pid = -1;
  int exit_status = -1;  // once ended: the exit status, or 128 + signal
};

std::string last_lines(const std::string& path, int n) {
  std::ifstream f(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(f, l);) {
    // Progress bars redraw with '\r': keep what the last redraw shows.
    const size_t cr = l.find_last_of('\r', l.size() >= 2 ? l.size() - 2 : 0);
    lines.push_back(cr == std::string::npos ? l : l.substr(cr + 1));
  }
  std::string out;
  for (size_t i = lines.size() > size_t(n) ? lines.size() - size_t(n) : 0; i < lines.size(); ++i)
    out += "    " + lines[i] + "\n";
  return out;
}

std::string read_status(const std::string& path) {
  std::ifstream f(path);
  std::string l;
  std::getline(f, l);
  return l.empty() ? "starting" : l;
}

pid_t spawn(const std::string& program, const std::vector<std::string>& args, const Worker& w, int threads) {
  const int fd = ::open(w.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  AGF_CHECK(fd >= 0, IOError, "experiment: cannot open the worker log ", w.log, ": ", std::strerror(errno));
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string omp = std::to_string(threads);
  // SIGTERM and SIGINT stay blocked from before the fork, through exec (a blocked signal stays pending
  // across it), until the worker has installed its stop handlers (InterruptHandlers unblocks them): a stop
  // sent while the worker is still starting (forwarded by us, or sent to the whole job by Slurm) is then a
  // stop request, exit 75, not a death by the default action. The parent's own are pending for a moment.
  const sigset_t stops = stop_signal_set();
  sigset_t before;
  pthread_sigmask(SIG_BLOCK, &stops, &before);
  const pid_t pid = ::fork();
  if (pid != 0) pthread_sigmask(SIG_SETMASK, &before, nullptr);
  if (pid < 0) {
    const int err = errno;
    ::close(fd);
    throw IOError(str("experiment: cannot start worker ", w.id, ": fork: ", std::strerror(err)));
  }
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec (setenv is not, but nothing else runs in this
    // process: the parent has no other threads at this point).
    sigprocmask(SIG_SETMASK, &stops, nullptr);  // only the two stops blocked (see above)
    if (!std::getenv("OMP_NUM_THREADS")) setenv("OMP_NUM_THREADS", omp.c_str(), 1);
    if (!w.device.empty()) setenv("CUDA_VISIBLE_DEVICES", w.device.c_str(), 1);
    dup2(fd, 1);
    dup2(fd, 2);
    execv(program.c_str(), argv.data());
    const char msg[] = "agf experiment worker: exec failed\n";
    (void)!::write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  ::close(fd);
  return pid;
}

// The grid's progress as the parent sees it: cases of every seed, how many OUT held before the workers started.
struct GridCount {
  const ExperimentOptions& o;
  size_t total = 0, done_before = 0;
  size_t done() const { return total - missing_experiment_cases(o).size(); }
};

// The workers' ids, devices, logs and status files (a stale status file of an earlier run removed).
std::vector<Worker> name_workers(const ExperimentOptions& o, const WorkersOptions& wo, int n) {
  std::vector<Worker> workers{size_t(n)};
  for (int k = 0; k < n; ++k) {
    Worker& w = workers[size_t(k)];
    w.id = str("w", k);
    w.device = wo.devices.empty() ? std::string() : wo.devices[size_t(k)];
    w.log = str(o.out_dir, "/logs/", w.id, ".log");
    w.status = str(o.out_dir, "/workers/", w.id, ".status");
    std::filesystem::remove(w.status);
  }
  return workers;
}

// Starts every worker: the child's command line plus --worker-id (and --device cuda with a device).
void start_workers(std::vector<Worker>& workers, const WorkersOptions& wo, int threads, bool quiet) {
  for (Worker& w : workers) {
    std::vector<std::string> args = wo.child_args;
    args.push_back("--worker-id");
    args.push_back(w.id);
    if (!w.device.empty()) {
      args.push_back("--device");
      args.push_back("cuda");
    }
    w.pid = spawn(wo.program, args, w, threads);
    if (!quiet)
      std::fprintf(stderr, "experiment: worker %s (pid %d)%s -> %s\n", w.id.c_str(), int(w.pid),
                   w.device.empty() ? "" : str(" on GPU ", w.device).c_str(), w.log.c_str());
  }
}

// Reaps the workers that ended since the last call (without waiting); returns how many did.
size_t reap_workers(std::vector<Worker>& workers, bool quiet) {
  size_t ended = 0;
  for (Worker& w : workers) {
    if (w.pid < 0 || w.exit_status >= 0) continue;
    int st = 0;
    const pid_t r = ::waitpid(w.pid, &st, WNOHANG);
    if (r == w.pid) {
      w.exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      ++ended;
      if (!quiet)
        std::fprintf(stderr, "experiment: worker %s ended (%s)\n", w.id.c_str(),
                     w.exit_status == 0                ? "done"
                     : w.exit_status == kExitResumable ? "stopped, resumable"
                                                       : str("exit status ", w.exit_status).c_str());
    }
  }
  return ended;
}

// The merged progress line: printed when what a worker does changes, and at least every status_every_s.
class ProgressLine {
 public:
  ProgressLine(const GridCount& count, double every_s) : count_(count), every_s_(every_s) {}
  void update(const std::vector<Worker>& workers, double t) {
    std::string what;
    for (const Worker& w : workers)
      what += str(" | ", w.id, ": ", w.exit_status >= 0 ? std::string("ended") : read_status(w.status));
    if (what == last_line_ && t - last_print_ < every_s_) return;
    // results.csv is read only for a line that is printed (the 200 ms poll reads the status files alone).
    const size_t done = count_.done(), total = count_.total;
    const size_t now_done = done - count_.done_before;
    const std::string eta =
        now_done > 0 && done < total
            ? str(", ETA ~", int(t / double(now_done) * double(total - done)), " s (from the cases finished so far)")
            : std::string();
    std::fprintf(stderr, "experiment: %zu/%zu cases finished, %.0f s%s%s\n", done, total, t, eta.c_str(), what.c_str());
    last_line_ = what;
    last_print_ = t;
  }

 private:
  const GridCount& count_;
  double every_s_;
  std::string last_line_;
  double last_print_ = -1e9;
};

// Watch: reap the workers, pass a stop request on once, and print the merged progress, until every worker
// ended. Returns whether a stop request was passed on.
bool watch_workers(std::vector<Worker>& workers, const GridCount& count, const WorkersOptions& wo, bool quiet,
                   std::chrono::steady_clock::time_point t0) {
  bool forwarded = false;
  ProgressLine line(count, wo.status_every_s);
  size_t live = workers.size();
  while (live > 0) {
    live -= reap_workers(workers, quiet);
    if (interrupt_requested() && !forwarded) {
      forwarded = true;
      for (const Worker& w : workers)
        if (w.exit_status < 0) ::kill(w.pid, SIGTERM);
      if (!quiet)
        std::fprintf(stderr, "experiment: stop requested; the workers checkpoint at their next step boundary\n");
    }
    if (!quiet && live > 0)
      line.update(workers, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (live > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return forwarded;
}

// After the workers: throws Error naming each failed worker's log, Error when cases are left unfinished
// without a stop, Interrupted when stopped.
void check_workers_ended(const std::vector<Worker>& workers, bool forwarded, const GridCount& count, size_t done_after,
                         const std::string& out_dir) {
  const size_t total = count.total;
  std::string failed;
  bool stopped = forwarded;
  for (const Worker& w : workers) {
    if (w.exit_status == kExitResumable) stopped = true;
    if (w.exit_status != 0 && w.exit_status != kExitResumable)
      failed += str("\n  worker ", w.id, " (exit status ", w.exit_status, "), log ", w.log, ", last lines:\n",
                    last_lines(w.log, 6));
  }
  AGF_CHECK(failed.empty(), Error, "experiment: ", done_after, " of ", total,
            " cases finished; a worker failed (its job is "
            "left resumable: rerun the same command):",
            failed);
  AGF_CHECK(stopped || done_after == total, Error, "experiment: the workers ended with ", total - done_after, " of ",
            total, " cases unfinished (see ", out_dir, "/logs/)");
  if (stopped)
    throw Interrupted(str("experiment: ", done_after, " of ", total,
                          " cases finished; the workers stopped at a step "
                          "boundary with their checkpoints written; rerun the same command to resume"),
                      interrupt_signal());
}

}  // namespace

ExperimentSummary run_experiment_workers(const ExperimentOptions& in, const WorkersOptions& wo) {
  AGF_CHECK(in.shard_count <= 1, UsageError,
            "experiment: --shard runs one process of an array; it excludes --workers/--devices");
  AGF_CHECK((wo.workers > 0) != !wo.devices.empty(), UsageError,
            "experiment: give --workers N or --devices LIST, not both");
  ExperimentOptions o = in;
  if (o.out_dir.empty()) o.out_dir = default_experiment_out(o.work_dir, o.seeds.size());
  std::vector<GridCase> grid;
  normalise_experiment(o, &grid);  // bad options fail here, once, before any worker starts
  GridCount count{o};
  count.total = grid.size() * std::max<size_t>(1, o.seeds.size());
  const auto t0 = std::chrono::steady_clock::now();
  auto since = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  ensure_dir(o.out_dir);
  ensure_dir(o.out_dir + "/logs");
  ensure_dir(o.out_dir + "/workers");
  count.done_before = count.done();

  const int n = wo.workers > 0 ? wo.workers : int(wo.devices.size());
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const int threads = std::max(1, int(cores) / n);
  std::vector<Worker> workers = name_workers(o, wo, n);
  if (!o.quiet)
    std::fprintf(stderr, "experiment: %d workers (%s), %s; %zu of %zu cases finished earlier; logs in %s/logs/\n", n,
                 wo.devices.empty() ? str("device ", o.device).c_str() : "one GPU each",
                 std::getenv("OMP_NUM_THREADS")
                     ? str("OMP_NUM_THREADS=", std::getenv("OMP_NUM_THREADS"), " each").c_str()
                     : str(threads, " CPU threads each").c_str(),
                 count.done_before, count.total, o.out_dir.c_str());
  start_workers(workers, wo, threads, o.quiet);
  const bool forwarded = watch_workers(workers, count, wo, o.quiet, t0);

  // The merged report over what every worker finished (also when some failed or were stopped).
  ExperimentSummary s;
  {
    const FileLock guard = FileLock::acquire(o.out_dir + "/report.lock");
    write_experiment_report(o.work_dir, o.out_dir, &s, o.rerun_hint);
  }
  const size_t done_after = count.done();
  s.skipped = int(count.done_before);
  s.ran = int(done_after - count.done_before);
  s.seconds = since();
  check_workers_ended(workers, forwarded, count, done_after, o.out_dir);
  return s;
}

}  // namespace agf
