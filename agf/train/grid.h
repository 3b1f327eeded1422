// The paper's experiment grid (§4): the 31 non-empty combinations of the tasks {g, s, e, d, m} for STN
// and MTN, and wSTN for N = 2..5; case names, a resumable CSV results store, and the Markdown tables
// shaped like the paper's Tables 3, 4 and 5 (and the averages per number of tasks of its Figure 3).
#pragma once
#include <limits>
#include <string>
#include <vector>
#include "layers/nets.h"   // Arch, arch_name
#include "layers/tasks.h"  // the task letters, kTaskOrder, canonical_tasks

namespace agf {

// The 31 combinations in the row order of the paper's Table 4: singles g, m, d, e, s (as printed there),
// then the pairs, triples and quadruples in lexicographic order over g < s < e < d < m, then gsedm.
std::vector<std::string> task_combinations();

struct GridCase {
  Arch arch = Arch::stn;
  std::string tasks;  // canonical letters; "g" for wSTN
  int n_tasks = 0;    // number of tasks; for wSTN the N whose parameter count it matches
  std::string name;   // "stn-gs", "mtn-gsedm", "wstn-3"
};
GridCase make_case(Arch arch, const std::string& tasks);  // stn: 1..5 tasks, mtn: 2..5 tasks
GridCase make_wstn_case(int n);                             // n in 2..5
GridCase parse_case(const std::string& name);              // inverse of .name; throws UsageError

// The full grid: 31 STN (Table 4 order), 26 MTN (Table 4 order, two or more tasks), wSTN N = 2..5.
std::vector<GridCase> paper_grid();
// A reduced grid for demos and CI: stn-g, stn-s, stn-gs, stn-gsedm, mtn-gs, mtn-gsedm, wstn-5.
std::vector<GridCase> quick_grid();

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
  double ece = std::numeric_limits<double>::quiet_NaN();             // raw, 15 bins (calibrate.h)
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

// A result row for a finished case (timestamp left empty: append() fills it).
CaseResult make_result(const GridCase& c, double log_loss, double f1, double accuracy, int epochs, double seconds);

// ---- Aggregates (NaN where no case contributes).
struct Table3 {
  // [0] without g, [1] with g; averages over all STN cases (singles included) and all MTN cases, as the
  // paper's Table 3 (its numbers are reproduced from its Table 4 this way).
  double stn_log_loss[2], mtn_log_loss[2], stn_f1[2], mtn_f1[2];
  int stn_count[2], mtn_count[2];
};
Table3 compute_table3(const std::vector<CaseResult>& results);

struct AverageByN {
  int n;
  double stn_log_loss, mtn_log_loss, stn_f1, mtn_f1;
  int stn_count, mtn_count;
};
std::vector<AverageByN> compute_average_by_n(const std::vector<CaseResult>& results);  // n = 1..5

struct Table5Row {
  int n;
  double wstn_log_loss, stn_log_loss, mtn_log_loss, wstn_f1, stn_f1, mtn_f1;
  // The STN/MTN cases that gave the best value of each metric (chosen per metric, as the paper's
  // Table 5 does for most of its rows); empty when none.
  std::string stn_ll_case, mtn_ll_case, stn_f1_case, mtn_f1_case;
};
std::vector<Table5Row> compute_table5(const std::vector<CaseResult>& results);  // n = 2..5

// Markdown, four decimals as the paper. Missing results print "-", MTN single-task rows "N/A".
std::string table3_markdown(const std::vector<CaseResult>& results);       // best of each column bold
std::string average_by_n_markdown(const std::vector<CaseResult>& results); // Figure 3 as a table
// table4: skip_empty_rows leaves out combinations with neither an STN nor an MTN result (quick grids).
std::string table4_markdown(const std::vector<CaseResult>& results, bool skip_empty_rows = false);  // best per N bold
std::string table5_markdown(const std::vector<CaseResult>& results);       // best per row and metric bold

// All tables in one Markdown document with headings (Tables 4, 3, 5 and the per-N averages), for
// results.md next to results.csv; skip_empty_rows as in table4_markdown.
// When a case has a calibrated log loss, a Calibration table follows (raw and calibrated log loss, ECE, T).
std::string results_markdown(const std::vector<CaseResult>& results, bool skip_empty_rows = true);
std::string calibration_markdown(const std::vector<CaseResult>& results);  // "" when no case has one

// Latest result per case name (nullptr when absent).
const CaseResult* find_result(const std::vector<CaseResult>& results, const std::string& case_name);

}  // namespace agf
