// The experiment grid of the paper (§4, Tables 3-5): case names, the resumable CSV results store and the
// Markdown tables. Table 3's averaging rule (STN over all cases, MTN over its 2+-task cases) is the one
// that reproduces the paper's Table 3 from its Table 4 (checked in tests/train/grid_test.cpp).
#include "agf/train/grid.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <cstring>
#include <ctime>
#include <limits>
#include <sstream>

#include "agf/data/csv.h"
#include "agf/util/error.h"
#include "agf/util/filelock.h"
#include "agf/util/fs.h"

namespace agf {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const char* kHeader10 = "case,arch,tasks,n_tasks,log_loss,f1,accuracy,epochs,seconds,timestamp";
const char* kHeader = "case,arch,tasks,n_tasks,log_loss,f1,accuracy,epochs,seconds,timestamp,log_loss_calibrated,ece,"
                      "ece_calibrated,temperature";

double opt_stod(const std::string& s) { return s.empty() ? kNaN : std::stod(s); }

std::string fmt_g17(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
std::string opt_g17(double v) { return std::isnan(v) ? std::string() : fmt_g17(v); }

}  // namespace

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
  AGF_CHECK(arch != Arch::mtn || c.n_tasks >= 2, UsageError, "an MTN needs two or more tasks, got '", tasks,
            "'");
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
  AGF_CHECK(c.tasks == rest, UsageError, "case name '", name, "': write the tasks in the order ", kTaskOrder,
            " ('", c.name, "')");
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
  return {make_case(Arch::stn, "g"),  make_case(Arch::stn, "s"),     make_case(Arch::stn, "gs"),
          make_case(Arch::stn, "gsedm"), make_case(Arch::mtn, "gs"), make_case(Arch::mtn, "gsedm"),
          make_wstn_case(5)};
}

std::string utc_timestamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
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

// ---- Results store

ResultsStore::ResultsStore(std::string path) : path_(std::move(path)) {}

std::string ResultsStore::lock_path() const { return path_ + ".lock"; }

std::vector<CaseResult> ResultsStore::load() const {
  // A shared lock, so that a reader never sees another process's append half done or its torn tail being
  // cut. Only where a writer could exist: a missing file, or one in a folder nobody may write, is read as is.
  FileLock lock;
  if (std::filesystem::exists(path_) && ::access(parent_dir(path_).c_str(), W_OK) == 0)
    lock = FileLock::acquire(lock_path(), FileLock::Mode::shared);
  return load_unlocked();
}

std::vector<CaseResult> ResultsStore::load_unlocked() const {
  std::vector<CaseResult> out;
  if (!std::filesystem::exists(path_)) return out;
  std::string text = read_file_bytes(path_);
  text.resize(text.rfind('\n') + 1);  // the torn last line of an interrupted append is not a result
  size_t fields = 0;                   // 0 until the header is read
  for_each_csv_record(text, path_, [&](const CsvRecord& rec) {
    const std::vector<std::string>& v = rec.fields;
    std::string line = csv_row(v);  // for messages, as the store writes it
    line.pop_back();
    if (fields == 0) {
      AGF_CHECK(line == kHeader || line == kHeader10, FormatError, path_, ":", rec.line, ": expected the header '",
                kHeader, "' (or the older '", kHeader10, "'), found '", line, "'");
      fields = line == kHeader ? 14 : 10;
      return;
    }
    AGF_CHECK(v.size() == fields, FormatError, path_, ":", rec.line, ": expected ", fields, " fields, found ", v.size());
    CaseResult r;
    try {
      r.case_name = v[0];
      r.arch = v[1];
      r.tasks = v[2];
      r.n_tasks = std::stoi(v[3]);
      r.log_loss = std::stod(v[4]);
      r.f1 = std::stod(v[5]);
      r.accuracy = std::stod(v[6]);
      r.epochs = std::stoi(v[7]);
      r.seconds = std::stod(v[8]);
      r.timestamp = v[9];
      if (fields == 14) {
        r.log_loss_calibrated = opt_stod(v[10]);
        r.ece = opt_stod(v[11]);
        r.ece_calibrated = opt_stod(v[12]);
        r.temperature = opt_stod(v[13]);
      }
    } catch (const std::exception& e) {
      throw FormatError(str(path_, ":", rec.line, ": bad number in '", line, "'"));
    }
    auto it = std::find_if(out.begin(), out.end(), [&](const CaseResult& o) { return o.case_name == r.case_name; });
    if (it != out.end()) *it = r;  // a re-run case: the later row wins
    else out.push_back(r);
  });
  return out;
}

bool ResultsStore::is_finished(const std::string& case_name) const {
  return find_result(load(), case_name) != nullptr;
}

void ResultsStore::append(CaseResult r) {
  if (r.timestamp.empty()) r.timestamp = utc_timestamp();
  for (const std::string* s : {&r.case_name, &r.arch, &r.tasks, &r.timestamp})
    AGF_CHECK(s->find_first_of(",\"\n\r") == std::string::npos, UsageError, "results store: field '", *s,
              "' holds a comma, quote or newline");
  // One writer at a time, over every process sharing the folder (agf experiment --workers / --shard).
  ensure_dir(parent_dir(path_));
  const FileLock lock = FileLock::acquire(lock_path(), FileLock::Mode::exclusive);
  // Validate an existing file (header) and find a torn tail to cut off before appending.
  const std::string existing = std::filesystem::exists(path_) ? read_file_bytes(path_) : std::string();
  const size_t keep = existing.empty() ? 0 : existing.rfind('\n') == std::string::npos ? 0 : existing.rfind('\n') + 1;
  if (keep > 0) load_unlocked();  // throws FormatError on a foreign or corrupt file before we touch it
  const bool old_format = keep > 0 && existing.compare(0, std::strlen(kHeader10) + 1, std::string(kHeader10) + "\n") == 0;
  AGF_CHECK(!old_format || (std::isnan(r.log_loss_calibrated) && std::isnan(r.temperature)), FormatError, path_,
            " has the older 10-column header, without room for calibrated results; move it away or re-run without "
            "--calibrate");
  std::vector<std::string> row = {r.case_name, r.arch, r.tasks, std::to_string(r.n_tasks), fmt_g17(r.log_loss),
                                  fmt_g17(r.f1), fmt_g17(r.accuracy), std::to_string(r.epochs), fmt_g17(r.seconds),
                                  r.timestamp};
  if (!old_format)
    for (double v : {r.log_loss_calibrated, r.ece, r.ece_calibrated, r.temperature}) row.push_back(opt_g17(v));
  const std::string line = csv_row(row);
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  AGF_CHECK(fd >= 0, IOError, "results store: cannot open ", path_, ": ", std::strerror(errno));
  std::string payload = line;
  if (keep < existing.size() && ::ftruncate(fd, static_cast<off_t>(keep)) != 0) {
    const int err = errno;
    ::close(fd);
    throw IOError(str("results store: cannot cut the torn last line of ", path_, ": ", std::strerror(err)));
  }
  if (keep == 0) payload = std::string(kHeader) + "\n" + line;
  size_t done = 0;
  while (done < payload.size()) {
    const ssize_t w = ::write(fd, payload.data() + done, payload.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const int err = errno;
      ::close(fd);
      throw IOError(str("results store: write to ", path_, " failed: ", std::strerror(err)));
    }
    done += static_cast<size_t>(w);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  AGF_CHECK(synced, IOError, "results store: fsync of ", path_, " failed");
}

const CaseResult* find_result(const std::vector<CaseResult>& results, const std::string& case_name) {
  const CaseResult* found = nullptr;
  for (const auto& r : results)
    if (r.case_name == case_name) found = &r;
  return found;
}

// ---- Aggregates

namespace {

struct Mean {
  double sum = 0;
  int n = 0;
  void add(double v) { sum += v, ++n; }
  double get() const { return n ? sum / n : kNaN; }
};

std::string fmt4(double v) {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

// Bold when v equals the best of its group (ties all bold); "-" for missing values.
std::string cell(double v, double best) {
  const std::string s = fmt4(v);
  return (!std::isnan(v) && v == best) ? "**" + s + "**" : s;
}

double best_of(const std::vector<double>& v, bool lower_is_better) {
  double best = kNaN;
  for (double x : v)
    if (!std::isnan(x) && (std::isnan(best) || (lower_is_better ? x < best : x > best))) best = x;
  return best;
}

}  // namespace

Table3 compute_table3(const std::vector<CaseResult>& results) {
  Mean sll[2], mll[2], sf[2], mf[2];
  for (const auto& r : results) {
    const int with_g = r.tasks.find('g') != std::string::npos ? 1 : 0;
    if (r.arch == "stn") sll[with_g].add(r.log_loss), sf[with_g].add(r.f1);
    if (r.arch == "mtn") mll[with_g].add(r.log_loss), mf[with_g].add(r.f1);
  }
  Table3 t{};
  for (int i = 0; i < 2; ++i) {
    t.stn_log_loss[i] = sll[i].get();
    t.mtn_log_loss[i] = mll[i].get();
    t.stn_f1[i] = sf[i].get();
    t.mtn_f1[i] = mf[i].get();
    t.stn_count[i] = sll[i].n;
    t.mtn_count[i] = mll[i].n;
  }
  return t;
}

std::vector<AverageByN> compute_average_by_n(const std::vector<CaseResult>& results) {
  std::vector<AverageByN> out;
  for (int n = 1; n <= 5; ++n) {
    Mean sll, mll, sf, mf;
    for (const auto& r : results) {
      if (r.n_tasks != n) continue;
      if (r.arch == "stn") sll.add(r.log_loss), sf.add(r.f1);
      if (r.arch == "mtn") mll.add(r.log_loss), mf.add(r.f1);
    }
    out.push_back({n, sll.get(), mll.get(), sf.get(), mf.get(), sll.n, mll.n});
  }
  return out;
}

std::vector<Table5Row> compute_table5(const std::vector<CaseResult>& results) {
  std::vector<Table5Row> out;
  for (int n = 2; n <= 5; ++n) {
    Table5Row row{n, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, "", "", "", ""};
    for (const auto& r : results) {
      if (r.n_tasks != n) continue;
      if (r.arch == "wstn") row.wstn_log_loss = r.log_loss, row.wstn_f1 = r.f1;
      const bool stn = r.arch == "stn", mtn = r.arch == "mtn";
      if (!stn && !mtn) continue;
      double& ll = stn ? row.stn_log_loss : row.mtn_log_loss;
      double& f1 = stn ? row.stn_f1 : row.mtn_f1;
      std::string& ll_case = stn ? row.stn_ll_case : row.mtn_ll_case;
      std::string& f1_case = stn ? row.stn_f1_case : row.mtn_f1_case;
      if (std::isnan(ll) || r.log_loss < ll) ll = r.log_loss, ll_case = r.case_name;
      if (std::isnan(f1) || r.f1 > f1) f1 = r.f1, f1_case = r.case_name;
    }
    out.push_back(row);
  }
  return out;
}

// ---- Markdown tables

std::string table3_markdown(const std::vector<CaseResult>& results) {
  const Table3 t = compute_table3(results);
  const double b[4] = {best_of({t.stn_log_loss[0], t.stn_log_loss[1]}, true),
                       best_of({t.mtn_log_loss[0], t.mtn_log_loss[1]}, true),
                       best_of({t.stn_f1[0], t.stn_f1[1]}, false), best_of({t.mtn_f1[0], t.mtn_f1[1]}, false)};
  std::ostringstream os;
  os << "|  | LogLoss STN | LogLoss MTN | F1 STN | F1 MTN |\n|---|---:|---:|---:|---:|\n";
  const char* names[2] = {"without g", "with g"};
  for (int i = 0; i < 2; ++i)
    os << "| " << names[i] << " | " << cell(t.stn_log_loss[i], b[0]) << " | " << cell(t.mtn_log_loss[i], b[1])
       << " | " << cell(t.stn_f1[i], b[2]) << " | " << cell(t.mtn_f1[i], b[3]) << " |\n";
  return os.str();
}

std::string average_by_n_markdown(const std::vector<CaseResult>& results) {
  std::ostringstream os;
  os << "| N | LogLoss STN | LogLoss MTN | F1 STN | F1 MTN | cases STN | cases MTN |\n"
     << "|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& a : compute_average_by_n(results))
    os << "| " << a.n << " | " << fmt4(a.stn_log_loss) << " | " << (a.n == 1 ? "N/A" : fmt4(a.mtn_log_loss))
       << " | " << fmt4(a.stn_f1) << " | " << (a.n == 1 ? "N/A" : fmt4(a.mtn_f1)) << " | " << a.stn_count
       << " | " << a.mtn_count << " |\n";
  return os.str();
}

std::string table4_markdown(const std::vector<CaseResult>& results, bool skip_empty_rows) {
  const auto combos = task_combinations();
  auto value = [&](const char* arch, const std::string& t, bool f1) {
    const CaseResult* r = find_result(results, std::string(arch) + "-" + t);
    return r ? (f1 ? r->f1 : r->log_loss) : kNaN;
  };
  std::ostringstream os;
  os << "| Tasks | STN LogLoss | STN F1 | MTN LogLoss | MTN F1 |\n|---|---:|---:|---:|---:|\n";
  for (int n = 1; n <= 5; ++n) {
    std::vector<double> col[4];  // stn ll, stn f1, mtn ll, mtn f1 over this N
    for (const auto& t : combos) {
      if (static_cast<int>(t.size()) != n) continue;
      col[0].push_back(value("stn", t, false));
      col[1].push_back(value("stn", t, true));
      col[2].push_back(value("mtn", t, false));
      col[3].push_back(value("mtn", t, true));
    }
    const double best[4] = {best_of(col[0], true), best_of(col[1], false), best_of(col[2], true),
                            best_of(col[3], false)};
    for (const auto& t : combos) {
      if (static_cast<int>(t.size()) != n) continue;
      if (skip_empty_rows && std::isnan(value("stn", t, false)) && std::isnan(value("mtn", t, false))) continue;
      os << "| " << t << " | " << cell(value("stn", t, false), best[0]) << " | "
         << cell(value("stn", t, true), best[1]) << " | ";
      if (n == 1) os << "N/A | N/A |\n";
      else
        os << cell(value("mtn", t, false), best[2]) << " | " << cell(value("mtn", t, true), best[3]) << " |\n";
    }
  }
  return os.str();
}

std::string table5_markdown(const std::vector<CaseResult>& results) {
  const auto rows = compute_table5(results);
  std::ostringstream os;
  os << "| N | LogLoss wSTN | LogLoss STN | LogLoss MTN | F1 wSTN | F1 STN | F1 MTN |\n"
     << "|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : rows) {
    const double bl = best_of({r.wstn_log_loss, r.stn_log_loss, r.mtn_log_loss}, true);
    const double bf = best_of({r.wstn_f1, r.stn_f1, r.mtn_f1}, false);
    os << "| " << r.n << " | " << cell(r.wstn_log_loss, bl) << " | " << cell(r.stn_log_loss, bl) << " | "
       << cell(r.mtn_log_loss, bl) << " | " << cell(r.wstn_f1, bf) << " | " << cell(r.stn_f1, bf) << " | "
       << cell(r.mtn_f1, bf) << " |\n";
  }
  os << "\nBest cases per N (log loss / F1):";
  for (const auto& r : rows) {
    auto name = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
    os << (r.n == 2 ? " " : "; ") << "N=" << r.n << " STN " << name(r.stn_ll_case) << " / " << name(r.stn_f1_case)
       << ", MTN " << name(r.mtn_ll_case) << " / " << name(r.mtn_f1_case);
  }
  os << "\n";
  return os.str();
}

std::string results_markdown(const std::vector<CaseResult>& results, bool skip_empty_rows) {
  std::ostringstream os;
  os << "# Results\n\n" << results.size() << " finished cases; mean log loss (natural log) and macro F1 per track "
     << "on the validation split. Bold: best per number of tasks (Table 4), per column (Table 3), per row (Table 5).\n\n"
     << "## Every combination (paper Table 4)\n\n" << table4_markdown(results, skip_empty_rows)
     << "\n## With and without the main task g (paper Table 3)\n\n" << table3_markdown(results)
     << "\n## Average per number of tasks (paper Figure 3)\n\n" << average_by_n_markdown(results)
     << "\n## wSTN against the best STN / MTN per N (paper Table 5)\n\n" << table5_markdown(results);
  const std::string cal = calibration_markdown(results);
  if (!cal.empty())
    os << "\n## Calibration (temperature scaling on held-out training tracks)\n\n"
       << "The tables above hold the raw (T = 1) numbers; the calibrated log loss is beside them here. ECE: 15 "
       << "equal-width bins over each track's top-class probability.\n\n" << cal;
  return os.str();
}

std::string calibration_markdown(const std::vector<CaseResult>& results) {
  auto f4 = [](double v) {
    if (std::isnan(v)) return std::string("-");
    char b[32];
    std::snprintf(b, sizeof b, "%.4f", v);
    return std::string(b);
  };
  std::ostringstream os;
  bool any = false;
  for (const CaseResult& r : results) {
    if (std::isnan(r.log_loss_calibrated)) continue;
    if (!any) os << "| case | log loss (raw) | log loss (calibrated) | ECE (raw) | ECE (calibrated) | T |\n"
                 << "|---|---|---|---|---|---|\n";
    any = true;
    os << "| " << r.case_name << " | " << f4(r.log_loss) << " | " << f4(r.log_loss_calibrated) << " | " << f4(r.ece)
       << " | " << f4(r.ece_calibrated) << " | " << f4(r.temperature) << " |\n";
  }
  return any ? os.str() : std::string();
}

}  // namespace agf
