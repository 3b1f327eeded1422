// The experiment grid's results: one row per finished case, kept in a resumable CSV store that several
// processes may share (agf experiment --workers / --shard).
#pragma once
#include <limits>
#include <string>
#include <vector>

namespace agf {

// One finished case (one CSV row).
struct CaseResult {
  std::string case_name, arch, tasks;
  int n_tasks = 0;
  double log_loss = 0, f1 = 0, accuracy = 0;
  int epochs = 0;
  double seconds = 0;
  std::string timestamp;  // ISO 8601 UTC, filled by append() when empty
  // Calibration (agf experiment --calibrate); NaN (an empty CSV field) when not measured. log_loss, f1
  // and accuracy stay the raw (T = 1) numbers, comparable with uncalibrated cases and the paper.
  double log_loss_calibrated = std::numeric_limits<double>::quiet_NaN();
  double ece = std::numeric_limits<double>::quiet_NaN();  // raw, 15 bins (calibrate.h)
  double ece_calibrated = std::numeric_limits<double>::quiet_NaN();
  double temperature = std::numeric_limits<double>::quiet_NaN();
};

// CSV with header case,arch,tasks,n_tasks,log_loss,f1,accuracy,epochs,seconds,timestamp,
// log_loss_calibrated,ece,ece_calibrated,temperature (the last four empty when not measured); one line per
// finished case, appended with a single write and fsync. Files with the older 10-column header are read,
// and appended to in that format (a row with calibration numbers is then refused: FormatError). A torn last line (interrupted write) is ignored
// by load() and cut off by the next append(); when a case appears twice the later row wins.
// Several processes may share one store (agf experiment --workers / --shard): append() holds an exclusive
// lock on PATH.lock (filelock.h) and load() a shared one, so no reader sees a half-written row.
class ResultsStore {
 public:
  explicit ResultsStore(std::string path);
  std::vector<CaseResult> load() const;  // missing file -> empty; order of first appearance
  bool is_finished(const std::string& case_name) const;
  void append(CaseResult r);
  const std::string& path() const { return path_; }
  std::string lock_path() const;  // PATH.lock

 private:
  std::vector<CaseResult> load_unlocked() const;
  std::string path_;
};

std::string utc_timestamp();  // "2026-11-25T11:07:01Z"

// Latest result per case name (nullptr when absent).
const CaseResult* find_result(const std::vector<CaseResult>& results, const std::string& case_name);

}  // namespace agf
