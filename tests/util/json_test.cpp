// util/json.h: read_json_file names the file in its errors; check_settings_match names the first key
// that differs or is missing, with both values, and ignores keys only the recorded side has.
#include "util/json.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "util/error.h"
#include "util/fs.h"
#include "tests/test_util.h"

namespace agf {
namespace {

std::string message_of(const nlohmann::json& recorded, const nlohmann::json& wanted) {
  try {
    check_settings_match(recorded, wanted, "run made with ", "has", "use another --out");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(Json, SettingsMatchNamesTheFirstDifference) {
  const nlohmann::json rec = {{"arch", "stn"}, {"batch", 64}, {"seed", 1}};
  EXPECT_EQ(message_of(rec, rec), "");
  EXPECT_EQ(message_of(rec, {{"arch", "stn"}, {"batch", 64}}), "");  // recorded-only keys: the caller's call
  EXPECT_EQ(message_of(rec, {{"arch", "stn"}, {"batch", 32}}),
            "run made with batch = 64, this run has 32; use another --out");
  EXPECT_EQ(message_of(rec, {{"arch", "stn"}, {"epochs", 200}}),
            "run made with epochs = (absent), this run has 200; use another --out");
  EXPECT_EQ(message_of(rec, {{"arch", "mtn"}}),
            "run made with arch = \"stn\", this run has \"mtn\"; use another --out");
}

TEST(Json, ReadJsonFileNamesTheFile) {
  const testing_util::TempDir dir("json");
  const std::string p = dir.file("a.json");
  write_file_atomic(p, std::string("{\"a\": [1, 2]}\n"));
  EXPECT_EQ(read_json_file(p), (nlohmann::json{{"a", {1, 2}}}));
  write_file_atomic(p, std::string("{\"a\": "));
  try {
    read_json_file(p);
    ADD_FAILURE() << "a torn file was accepted";
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(p + ": ", 0), 0u) << e.what();
  }
  ::unlink(p.c_str());
  EXPECT_THROW(read_json_file(p), IOError);
}

}  // namespace
}  // namespace agf
