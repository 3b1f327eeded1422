// The resumable CSV results store of the experiment grid (see results_store.h): one row per finished case,
// appended under an exclusive file lock with a single write and fsync; a torn last line is ignored and cut.
#include "agf/train/results_store.h"

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

#include "agf/data/csv.h"
#include "util/error.h"
#include "util/filelock.h"
#include "util/fs.h"

namespace agf {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const char* kHeader10 = "case,arch,tasks,n_tasks,log_loss,f1,accuracy,epochs,seconds,timestamp";
const char* kHeader =
    "case,arch,tasks,n_tasks,log_loss,f1,accuracy,epochs,seconds,timestamp,log_loss_calibrated,ece,"
    "ece_calibrated,temperature";

double opt_stod(const std::string& s) { return s.empty() ? kNaN : std::stod(s); }

std::string fmt_g17(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
std::string opt_g17(double v) { return std::isnan(v) ? std::string() : fmt_g17(v); }

}  // namespace

std::string utc_timestamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
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
  size_t fields = 0;                  // 0 until the header is read
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
    AGF_CHECK(v.size() == fields, FormatError, path_, ":", rec.line, ": expected ", fields, " fields, found ",
              v.size());
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
    if (it != out.end())
      *it = r;  // a re-run case: the later row wins
    else
      out.push_back(r);
  });
  return out;
}

bool ResultsStore::is_finished(const std::string& case_name) const { return find_result(load(), case_name) != nullptr; }

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
  const bool old_format =
      keep > 0 && existing.compare(0, std::strlen(kHeader10) + 1, std::string(kHeader10) + "\n") == 0;
  AGF_CHECK(!old_format || (std::isnan(r.log_loss_calibrated) && std::isnan(r.temperature)), FormatError, path_,
            " has the older 10-column header, without room for calibrated results; move it away or re-run without "
            "--calibrate");
  std::vector<std::string> row = {r.case_name,
                                  r.arch,
                                  r.tasks,
                                  std::to_string(r.n_tasks),
                                  fmt_g17(r.log_loss),
                                  fmt_g17(r.f1),
                                  fmt_g17(r.accuracy),
                                  std::to_string(r.epochs),
                                  fmt_g17(r.seconds),
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

}  // namespace agf
