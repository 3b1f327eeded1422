// Row-by-row result files with resume (see rowfile.h).
#include "agf/train/rowfile.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "agf/data/csv.h"
#include "util/error.h"
#include "util/fs.h"

namespace agf {

RowFile::RowFile(const std::string& path, Kind kind, const std::vector<std::string>& header, const std::string& key,
                 bool resume)
    : path_(path), kind_(kind) {
  const bool exists = std::filesystem::exists(path);
  AGF_CHECK(!exists || resume, UsageError, path, " exists: pass --resume to continue it, or remove it first");
  std::string text = exists ? read_file_bytes(path) : std::string();
  if (!text.empty() && text.back() != '\n') {
    // A partial last row from an interrupted run: drop it (it is redone).
    const size_t cut = text.rfind('\n');
    text.resize(cut == std::string::npos ? 0 : cut + 1);
    std::filesystem::resize_file(path, text.size());
  }
  if (kind == Kind::Csv) {
    if (!text.empty()) {
      const std::vector<CsvRecord> rows = parse_csv(text, path);
      AGF_CHECK(!rows.empty() && rows[0].fields == header, FormatError, path,
                ": its header is not the one this run writes (", csv_row(header).substr(0, 80),
                "...): another model or format? Write to a new file");
      const size_t col = size_t(std::find(header.begin(), header.end(), key) - header.begin());
      for (size_t i = 1; i < rows.size(); ++i) {
        check_csv_width(rows[i], header.size(), path);
        keys_.insert(rows[i].fields[col]);
      }
    }
  } else {
    size_t line = 0, pos = 0;
    while (pos < text.size()) {
      const size_t end = text.find('\n', pos);
      const std::string s = text.substr(pos, end - pos);
      pos = end + 1;
      ++line;
      if (s.empty()) continue;
      try {
        keys_.insert(nlohmann::json::parse(s).at(key).get<std::string>());
      } catch (const nlohmann::json::exception& e) {
        throw FormatError(str(path, ":", line, ": not a JSON object with a \"", key, "\" string: ", e.what()));
      }
    }
  }
  f_ = std::fopen(path.c_str(), "ab");
  AGF_CHECK(f_ != nullptr, IOError, path, ": cannot open for writing");
  if (kind == Kind::Csv && text.empty()) write_csv(header);
}

RowFile::~RowFile() {
  if (f_ && std::fclose(f_) != 0) std::fprintf(stderr, "agf: closing %s failed\n", path_.c_str());
}

void RowFile::write_csv(const std::vector<std::string>& fields) {
  const std::string row = csv_row(fields);
  write_all(f_, row.data(), row.size(), path_);
  AGF_CHECK(std::fflush(f_) == 0, IOError, path_, ": write failed");
}

void RowFile::write_json(const nlohmann::json& j) {
  const std::string row = j.dump() + "\n";
  write_all(f_, row.data(), row.size(), path_);
  AGF_CHECK(std::fflush(f_) == 0, IOError, path_, ": write failed");
}

}  // namespace agf
