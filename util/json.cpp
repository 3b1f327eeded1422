// JSON file helpers (see json.h).
#include "util/json.h"

#include "util/error.h"
#include "util/fs.h"

namespace agf {

nlohmann::json read_json_file(const std::string& path) {
  try {
    return nlohmann::json::parse(read_file_bytes(path));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(str(path, ": ", e.what()));
  }
}

void check_settings_match(const nlohmann::json& recorded, const nlohmann::json& wanted, const std::string& made_with,
                          const std::string& verb, const std::string& advice) {
  for (auto it = wanted.begin(); it != wanted.end(); ++it) {
    const bool has = recorded.contains(it.key());
    AGF_CHECK(has && recorded[it.key()] == it.value(), UsageError, made_with, it.key(), " = ",
              has ? recorded[it.key()].dump() : "(absent)", ", this run ", verb, " ", it.value().dump(), "; ", advice);
  }
}

}  // namespace agf
