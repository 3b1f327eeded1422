// JSON-lines logging: append with one fwrite + fflush per record; read back tolerating a torn last line.
#include "agf/train/jsonl.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "util/error.h"
#include "util/fs.h"

namespace agf {

JsonlWriter::JsonlWriter(const std::string& path, bool truncate) : path_(path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!truncate && fs::exists(path, ec)) {
    const std::string text = read_file_bytes(path);
    if (!text.empty() && text.back() != '\n') {
      const size_t nl = text.rfind('\n');
      fs::resize_file(path, nl == std::string::npos ? 0 : nl + 1, ec);
      AGF_CHECK(!ec, IOError, "jsonl: cannot cut the torn last line of ", path, ": ", ec.message());
    }
  }
  f_ = std::fopen(path.c_str(), truncate ? "wb" : "ab");
  AGF_CHECK(f_ != nullptr, IOError, "jsonl: cannot open ", path, " for writing: ", std::strerror(errno));
}

JsonlWriter::~JsonlWriter() {
  if (f_) std::fclose(f_);
}

void JsonlWriter::write(const nlohmann::json& record) {
  // dump() escapes control characters, so the record is one line; NaN/Inf print as null.
  const std::string line = record.dump() + "\n";
  const size_t n = std::fwrite(line.data(), 1, line.size(), f_);
  AGF_CHECK(n == line.size() && std::fflush(f_) == 0, IOError, "jsonl: write to ", path_,
            " failed: ", std::strerror(errno));
}

JsonlContents read_jsonl(const std::string& path) {
  const std::string text = read_file_bytes(path);
  JsonlContents out;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    const bool last_without_newline = nl == std::string::npos;
    if (last_without_newline) nl = text.size();
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    // A torn tail is kept only when it is a whole object or array (a cut number could still parse).
    if (j.is_discarded() || (last_without_newline && !j.is_object() && !j.is_array())) {
      if (last_without_newline) {
        out.torn_tail = true;
        break;
      }
      throw FormatError(str(path, ":", line_no, ": not a JSON value: '", line.substr(0, 80), "'"));
    }
    out.records.push_back(std::move(j));
  }
  return out;
}

}  // namespace agf
