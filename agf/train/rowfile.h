// Result files written row by row as work finishes, so that an interrupted run keeps what it wrote, and
// continued with resume: CSV (one header line, then RFC 4180 rows) or JSON lines. Each row has a key
// (a path, a file id); resuming reads the keys already there and drops a partial last line (a run killed
// mid-write), so the file stays well-formed.
#pragma once
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace agf {

class RowFile {
 public:
  enum class Kind { Csv, Jsonl };
  // Csv: `header` are the column names and `key` the name of the key column; Jsonl: `key` is the member
  // holding the key. Without resume an existing file is refused (UsageError naming it: nothing written
  // is lost); with resume an existing CSV must have the same header (FormatError naming the file).
  RowFile(const std::string& path, Kind kind, const std::vector<std::string>& header, const std::string& key,
          bool resume);
  ~RowFile();
  RowFile(const RowFile&) = delete;
  RowFile& operator=(const RowFile&) = delete;

  bool has(const std::string& key) const { return keys_.count(key) != 0; }
  size_t resumed() const { return keys_.size(); }  // rows found when it was opened
  const std::string& path() const { return path_; }
  void write_csv(const std::vector<std::string>& fields);  // flushed at once
  void write_json(const nlohmann::json& row);              // one line, flushed at once

 private:
  std::string path_;
  Kind kind_;
  std::FILE* f_ = nullptr;
  std::set<std::string> keys_;
};

}  // namespace agf
