// The paper's experiment grid (§4): the 31 non-empty combinations of the tasks {g, s, e, d, m} for STN
// and MTN, and wSTN for N = 2..5, and the case names. The resumable CSV results store is in
// results_store.h, the Markdown tables shaped like the paper's Tables 3, 4 and 5 in tables.h (both
// included here, so that a caller of the grid has all three).
#pragma once
#include <string>
#include <vector>
#include "agf/train/results_store.h"
#include "agf/train/tables.h"
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
GridCase make_wstn_case(int n);                           // n in 2..5
GridCase parse_case(const std::string& name);             // inverse of .name; throws UsageError

// The full grid: 31 STN (Table 4 order), 26 MTN (Table 4 order, two or more tasks), wSTN N = 2..5.
std::vector<GridCase> paper_grid();
// A reduced grid for demos and CI: stn-g, stn-s, stn-gs, stn-gsedm, mtn-gs, mtn-gsedm, wstn-5.
std::vector<GridCase> quick_grid();

// A result row for a finished case (timestamp left empty: append() fills it).
CaseResult make_result(const GridCase& c, double log_loss, double f1, double accuracy, int epochs, double seconds);

}  // namespace agf
