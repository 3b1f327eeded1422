// Preemption-safe stopping of long training (issue 15): SIGTERM (what Slurm sends first, on preemption or at
// the time limit) and SIGINT (Ctrl-C) only set a flag; the training loops (agf train's nets, agf transfer's
// and agf experiment's MLPs) look at it between steps, write their checkpoint at that step boundary (with the
// position inside the epoch) and throw Interrupted, which the command line turns into exit status 75
// (EX_TEMPFAIL: "resumable"; rerun with --resume, or rerun agf experiment, to continue bit-identically).
//
// The handler is async-signal-safe: it stores the signal number, counts the signals and writes a fixed line
// to stderr with write(2). A second signal changes nothing (a checkpoint being written is finished: writes
// are atomic, temporary file + rename, and the handler is installed with SA_RESTART); a third ends the
// process at once with status 128 + signal (the checkpoint on disk is then the previous one, whole).
#pragma once
#include <signal.h>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace agf {

// The exit status of a run that stopped on a signal after writing its checkpoint (sysexits.h EX_TEMPFAIL).
constexpr int kExitResumable = 75;

// Thrown by a training loop after it has written its checkpoint at a step boundary, and by phases with
// nothing to save (feature extraction) when the flag is set. Deliberately not an agf::Error: code that
// catches failures must not swallow a stop request.
struct Interrupted : std::runtime_error {
  Interrupted(const std::string& what, int signal) : std::runtime_error(what), signal(signal) {}
  int signal;  // SIGTERM, SIGINT, or 0 for a drill (arm_interrupt_after_steps)
};

// Installs the SIGTERM and SIGINT handlers for its lifetime and restores the previous ones when destroyed.
// Commands that train (train, transfer, experiment, and demo around its grid) hold one.
class InterruptHandlers {
 public:
  InterruptHandlers();
  ~InterruptHandlers();
  InterruptHandlers(const InterruptHandlers&) = delete;
  InterruptHandlers& operator=(const InterruptHandlers&) = delete;

 private:
  struct Saved;
  Saved* saved_;
};

// {SIGTERM, SIGINT}: the signals a stop arrives by (blocked around a worker's fork and start, workers.cpp).
sigset_t stop_signal_set();

// Whether a stop was requested (a signal, or a drill), and by which signal (the first; 0: a drill).
bool interrupt_requested();
int interrupt_signal();
// How many signals arrived since the last clear_interrupt().
int interrupt_signal_count();
// What the handler does, without a signal (tests, drills).
void request_interrupt(int signal);
// Forgets a request (tests; a process that stopped does not continue).
void clear_interrupt();
// "SIGTERM", "SIGINT", "signal 7", or "a drill" for 0.
std::string signal_name(int signal);

// Drill for tests: request a stop (signal 0) once `steps` more training steps have finished in this process
// (counted over every loop: nets and MLPs); 0 disarms. The loops call count_training_step() after each step.
void arm_interrupt_after_steps(int64_t steps);
void count_training_step();

// Throws Interrupted("<where>: stopped by SIGTERM ...") when a stop was requested: for phases that have
// nothing to checkpoint (what they did is redone on the rerun).
void throw_if_interrupted(const std::string& where);

}  // namespace agf
