// The experiment grid of the paper (§4): the 31 task combinations in Table 4's order, the case names
// (stn-gs, mtn-gsedm, wstn-3) and the full and quick grids. The results store is results_store.cpp, the
// paper's tables tables.cpp.
#include "agf/train/grid.h"

#include "util/error.h"

namespace agf {

std::vector<std::string> task_combinations() {
  // Singles in the order Table 4 prints them; the rest in lexicographic order over g < s < e < d < m.
  std::vector<std::string> out = {"g", "m", "d", "e", "s"};
  const std::string letters = kTaskOrder;
  for (int size = 2; size <= 5; ++size) {
    std::vector<int> idx(size);
    for (int i = 0; i < size; ++i) idx[i] = i;
    while (true) {
      std::string s;
      for (int i : idx) s += letters[i];
      out.push_back(s);
      int i = size - 1;
      while (i >= 0 && idx[i] == 5 - size + i) --i;
      if (i < 0) break;
      ++idx[i];
      for (int j = i + 1; j < size; ++j) idx[j] = idx[j - 1] + 1;
    }
  }
  return out;
}

GridCase make_case(Arch arch, const std::string& tasks) {
  AGF_CHECK(arch != Arch::wstn, UsageError, "make_case: use make_wstn_case for wSTN");
  AGF_CHECK(arch != Arch::mlp, UsageError, "make_case: the MLP is no grid case");
  GridCase c;
  c.arch = arch;
  c.tasks = canonical_tasks(tasks);
  c.n_tasks = static_cast<int>(c.tasks.size());
  AGF_CHECK(arch != Arch::mtn || c.n_tasks >= 2, UsageError, "an MTN needs two or more tasks, got '", tasks, "'");
  c.name = net_name(arch, c.tasks, 0);
  return c;
}

GridCase make_wstn_case(int n) {
  AGF_CHECK(n >= 2 && n <= 5, UsageError, "wSTN size N must be in 2..5, got ", n);
  GridCase c;
  c.arch = Arch::wstn;
  c.tasks = "g";
  c.n_tasks = n;
  c.name = net_name(Arch::wstn, "g", n);
  return c;
}

GridCase parse_case(const std::string& name) {
  const auto dash = name.find('-');
  AGF_CHECK(dash != std::string::npos, UsageError, "case name '", name,
            "': expected <arch>-<tasks> (stn-gs, mtn-gsedm) or wstn-<N>");
  const std::string an = name.substr(0, dash);
  AGF_CHECK(an == "stn" || an == "mtn" || an == "wstn", UsageError, "unknown architecture '", an,
            "' (expected stn, mtn or wstn)");
  const Arch arch = parse_arch(an);
  const std::string rest = name.substr(dash + 1);
  if (arch == Arch::wstn) {
    AGF_CHECK(rest.size() == 1 && rest[0] >= '2' && rest[0] <= '5', UsageError, "case name '", name,
              "': wSTN takes N in 2..5 (wstn-3)");
    return make_wstn_case(rest[0] - '0');
  }
  GridCase c = make_case(arch, rest);
  AGF_CHECK(c.tasks == rest, UsageError, "case name '", name, "': write the tasks in the order ", kTaskOrder, " ('",
            c.name, "')");
  return c;
}

std::vector<GridCase> paper_grid() {
  std::vector<GridCase> out;
  const auto combos = task_combinations();
  for (const auto& t : combos) out.push_back(make_case(Arch::stn, t));
  for (const auto& t : combos)
    if (t.size() >= 2) out.push_back(make_case(Arch::mtn, t));
  for (int n = 2; n <= 5; ++n) out.push_back(make_wstn_case(n));
  return out;
}

std::vector<GridCase> quick_grid() {
  return {make_case(Arch::stn, "g"),  make_case(Arch::stn, "s"),
          make_case(Arch::stn, "gs"), make_case(Arch::stn, "gsedm"),
          make_case(Arch::mtn, "gs"), make_case(Arch::mtn, "gsedm"),
          make_wstn_case(5)};
}

CaseResult make_result(const GridCase& c, double log_loss, double f1, double accuracy, int epochs, double seconds) {
  CaseResult r;
  r.case_name = c.name;
  r.arch = arch_name(c.arch);
  r.tasks = c.tasks;
  r.n_tasks = c.n_tasks;
  r.log_loss = log_loss;
  r.f1 = f1;
  r.accuracy = accuracy;
  r.epochs = epochs;
  r.seconds = seconds;
  return r;
}

}  // namespace agf
