// Append-only JSON-lines log (one JSON object per line, flushed per line) for per-epoch training metrics,
// and a reader that tolerates the torn last line an interrupted run leaves behind.
#pragma once
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace agf {

class JsonlWriter {
 public:
  // Opens `path` for appending (creating it). A torn last line (no final newline) left by an interrupted
  // run is cut off first, so resumed runs keep the file valid. truncate = true starts an empty file.
  explicit JsonlWriter(const std::string& path, bool truncate = false);
  ~JsonlWriter();
  JsonlWriter(const JsonlWriter&) = delete;
  JsonlWriter& operator=(const JsonlWriter&) = delete;

  void write(const nlohmann::json& record);  // one line, written and flushed (fflush) at once
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
};

struct JsonlContents {
  std::vector<nlohmann::json> records;
  bool torn_tail = false;  // the last line had no newline and did not parse: it was dropped
};

// Reads every line; blank lines are skipped. A malformed complete line throws FormatError naming
// file:line; a final line without newline is kept if it parses as an object or array, else dropped
// (torn_tail).
// A missing file throws IOError.
JsonlContents read_jsonl(const std::string& path);

}  // namespace agf
