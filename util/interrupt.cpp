// SIGTERM/SIGINT as a stop request (see interrupt.h).
#include "util/interrupt.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>

#include "util/error.h"

namespace agf {

namespace {

// Lock-free atomics are async-signal-safe (C++17 [support.signal]); plain ints would do on every target we
// build for, but the training threads read these too.
std::atomic<int> g_requested{0};  // 1 once a stop was requested
std::atomic<int> g_signal{0};     // the first signal (0: a drill)
std::atomic<int> g_count{0};      // signals since the last clear
std::atomic<int64_t> g_drill{0};  // steps left before a drill stop (0: off)
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs lock-free atomics");

void write_stderr(const char* s) {
  ssize_t r = ::write(STDERR_FILENO, s, std::strlen(s));  // async-signal-safe; a failure is ignored
  (void)r;
}

extern "C" void on_stop_signal(int sig) {
  const int n = g_count.fetch_add(1) + 1;
  if (n == 1) g_signal.store(sig);  // the stop is reported as the first signal's
  g_requested.store(1);
  if (n == 1) {
    write_stderr(sig == SIGINT ? "\nagf: SIGINT: stopping after the step in flight (checkpoint, exit 75)\n"
                               : "\nagf: SIGTERM: stopping after the step in flight (checkpoint, exit 75)\n");
  } else if (n == 2) {
    write_stderr(
        "\nagf: already stopping; a third signal ends the process at once (the last whole checkpoint "
        "is kept)\n");
  } else {
    write_stderr("\nagf: third signal: ending at once\n");
    ::_exit(128 + sig);
  }
}

}  // namespace

struct InterruptHandlers::Saved {
  struct sigaction term, intr;
};

InterruptHandlers::InterruptHandlers() : saved_(new Saved) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  // Blocking system calls (the checkpoint's write, fsync, rename) continue instead of failing with EINTR.
  sa.sa_flags = SA_RESTART;
  if (::sigaction(SIGTERM, &sa, &saved_->term) != 0 || ::sigaction(SIGINT, &sa, &saved_->intr) != 0) {
    delete saved_;
    throw IOError(str("cannot install the SIGTERM/SIGINT handlers: ", std::strerror(errno)));
  }
  // A worker starts with both blocked (workers.cpp), so that a stop sent before this point waits here as
  // pending; unblocking delivers it to the handler now.
  const sigset_t stops = stop_signal_set();
  pthread_sigmask(SIG_UNBLOCK, &stops, nullptr);
}

InterruptHandlers::~InterruptHandlers() {
  // After a stop the process is on its way out with exit 75; a late stop (the second of a parent's
  // forward plus the scheduler's own) must not turn that into a death by the default action: it waits,
  // blocked, and goes with the process.
  if (interrupt_requested()) {
    const sigset_t stops = stop_signal_set();
    pthread_sigmask(SIG_BLOCK, &stops, nullptr);
  }
  ::sigaction(SIGTERM, &saved_->term, nullptr);
  ::sigaction(SIGINT, &saved_->intr, nullptr);
  delete saved_;
}

sigset_t stop_signal_set() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGINT);
  return s;
}

bool interrupt_requested() { return g_requested.load() != 0; }
int interrupt_signal() { return g_signal.load(); }
int interrupt_signal_count() { return g_count.load(); }

void request_interrupt(int signal) {
  g_signal.store(signal);
  g_requested.store(1);
}

void clear_interrupt() {
  g_requested.store(0);
  g_signal.store(0);
  g_count.store(0);
  g_drill.store(0);
}

std::string signal_name(int signal) {
  if (signal == SIGTERM) return "SIGTERM";
  if (signal == SIGINT) return "SIGINT";
  if (signal == 0) return "a drill";
  return str("signal ", signal);
}

void arm_interrupt_after_steps(int64_t steps) { g_drill.store(steps > 0 ? steps : 0); }

void count_training_step() {
  if (g_drill.load() > 0 && g_drill.fetch_sub(1) == 1) request_interrupt(0);
}

void throw_if_interrupted(const std::string& where) {
  if (!interrupt_requested()) return;
  throw Interrupted(str(where, ": stopped by ", signal_name(interrupt_signal()),
                        " before this phase finished (it has nothing to checkpoint: a rerun redoes it)"),
                    interrupt_signal());
}

}  // namespace agf
