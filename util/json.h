// JSON files: reading with errors that name the file, and the check that what a folder recorded is what a
// resumed run asks for (a checkpoint's identity, an experiment's settings.json and seeds.json).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace agf {

// Parses a whole file: IOError when it cannot be read, FormatError "<path>: <parser's message>" when it is
// not JSON.
nlohmann::json read_json_file(const std::string& path);

// Throws UsageError "<made_with><key> = <recorded value>, this run <verb> <wanted value>; <advice>" for the
// first key of `wanted` that `recorded` lacks (its value reads "(absent)") or holds with another value.
// Keys that only `recorded` has are the caller's to judge.
void check_settings_match(const nlohmann::json& recorded, const nlohmann::json& wanted, const std::string& made_with,
                          const std::string& verb, const std::string& advice);

}  // namespace agf
