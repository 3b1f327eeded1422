// Progress bar / periodic progress lines with rate and ETA (see progress.h).
#include "util/progress.h"
#include <unistd.h>
#include <cmath>
#include <cstdio>

namespace agf {

std::string format_duration(double s) {
  char buf[32];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else
    std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  return buf;
}

Progress::Progress(std::string label, int64_t total, std::string unit, bool quiet)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() {
  if (!finished_ && !quiet_ && tty_) std::fputc('\n', stderr);
}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::add(int64_t n) { set(done_ + n); }
void Progress::set(int64_t done) {
  done_ = done;
  draw(false);
}
void Progress::set_note(const std::string& note) { note_ = note; }

void Progress::draw(bool force) {
  if (quiet_) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_draw_).count();
  if (!force && since < (tty_ ? 0.2 : 5.0)) return;
  last_draw_ = now;
  double t = elapsed_s(), rate = t > 0 ? done_ / t : 0;
  double eta = (total_ > 0 && rate > 0) ? (total_ - done_) / rate : NAN;
  char line[512];
  if (total_ > 0) {
    double frac = std::min(1.0, double(done_) / double(total_));
    if (tty_) {
      char bar[31];
      int fill = int(frac * 30);
      for (int i = 0; i < 30; ++i) bar[i] = i < fill ? '#' : '.';
      bar[30] = 0;
      std::snprintf(line, sizeof line, "\r%s [%s] %lld/%lld %s  %.1f %s/s  ETA %s  %s\033[K", label_.c_str(), bar,
                    (long long)done_, (long long)total_, unit_.c_str(), rate, unit_.c_str(),
                    format_duration(eta).c_str(), note_.c_str());
    } else {
      std::snprintf(line, sizeof line, "%s: %lld/%lld %s (%.0f%%), %.1f %s/s, ETA %s %s\n", label_.c_str(),
                    (long long)done_, (long long)total_, unit_.c_str(), 100 * frac, rate, unit_.c_str(),
                    format_duration(eta).c_str(), note_.c_str());
    }
  } else {
    std::snprintf(line, sizeof line, tty_ ? "\r%s: %lld %s  %.1f %s/s  %s\033[K" : "%s: %lld %s, %.1f %s/s %s\n",
                  label_.c_str(), (long long)done_, unit_.c_str(), rate, unit_.c_str(), note_.c_str());
  }
  std::fputs(line, stderr);
  std::fflush(stderr);
}

void Progress::finish(const std::string& summary) {
  if (finished_) return;
  finished_ = true;
  if (quiet_) return;
  double t = elapsed_s();
  if (tty_) std::fputs("\r\033[K", stderr);
  std::fprintf(stderr, "%s: %lld %s in %s (%.1f %s/s)%s%s\n", label_.c_str(), (long long)done_, unit_.c_str(),
               format_duration(t).c_str(), t > 0 ? done_ / t : 0.0, unit_.c_str(), summary.empty() ? "" : ", ",
               summary.c_str());
}

}  // namespace agf
