// Progress reporting for long work: a bar with rate and ETA on a terminal, plain periodic lines
// (every few seconds) when stderr is not a terminal, and a one-line summary at the end.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace agf {

class Progress {
 public:
  // label: what is counted ("prepare", "train g"); total: expected count (0 = unknown); unit: "tracks", "steps".
  Progress(std::string label, int64_t total, std::string unit = "it", bool quiet = false);
  ~Progress();
  void add(int64_t n = 1);  // thread-safe enough for one writer; call from one thread
  void set(int64_t done);
  void set_note(const std::string& note);        // short status shown after the rate ("loss 1.23")
  void finish(const std::string& summary = "");  // prints the one-line summary once
  double elapsed_s() const;

 private:
  void draw(bool force);
  std::string label_, unit_, note_;
  int64_t total_, done_ = 0;
  bool quiet_, tty_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

std::string format_duration(double seconds);  // "1h02m", "3m05s", "12.3s"

}  // namespace agf
