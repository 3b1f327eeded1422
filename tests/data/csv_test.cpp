// CSV parser edge cases (RFC 4180: quotes, doubled quotes, embedded newlines, CRLF) with the
// physical line numbers errors report, and Python list-literal cells.
#include <gtest/gtest.h>
#include "agf/data/csv.h"
#include "util/error.h"

using namespace agf;

namespace {
std::string error_of(const std::string& text) {
  try {
    parse_csv(text, "t.csv");
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Csv, PlainAndQuotedFields) {
  auto r = parse_csv("a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\n", "t.csv");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].fields, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"1", "x, y", "say \"hi\""}));
  EXPECT_EQ(r[0].line, 1);
  EXPECT_EQ(r[1].line, 2);
}

TEST(Csv, EmbeddedNewlinesKeepPhysicalLineNumbers) {
  // Record 2 spans lines 2-4 (LF and CRLF inside quotes); record 3 starts on line 5.
  auto r = parse_csv("h1,h2\r\n1,\"one\ntwo\r\nthree\"\r\n2,\"\"\r\n", "t.csv");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1].fields[1], "one\ntwo\r\nthree");
  EXPECT_EQ(r[1].line, 2);
  EXPECT_EQ(r[2].line, 5);
  EXPECT_EQ(r[2].fields, (std::vector<std::string>{"2", ""}));
}

TEST(Csv, EmptyFieldsNoFinalNewlineAndBlankLines) {
  auto r = parse_csv("a,,\n\n,b,\n\"\",x", "t.csv");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].fields, (std::vector<std::string>{"a", "", ""}));
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"", "b", ""}));
  EXPECT_EQ(r[1].line, 3);  // line 2 is blank and skipped
  EXPECT_EQ(r[2].fields, (std::vector<std::string>{"", "x"}));
  EXPECT_EQ(r[2].line, 4);
  EXPECT_TRUE(parse_csv("", "t.csv").empty());
  // A lone empty quoted field is a record, not a blank line.
  EXPECT_EQ(parse_csv("\"\"\n", "t.csv").size(), 1u);
}

TEST(Csv, UnterminatedQuoteNamesTheLineWhereItOpened) {
  std::string e = error_of("a,b\n1,2\n3,\"never\nclosed,\n\n");
  EXPECT_NE(e.find("t.csv:3"), std::string::npos) << e;
  EXPECT_NE(e.find("unterminated"), std::string::npos) << e;
}

TEST(Csv, StrayQuotesAreErrorsWithLines) {
  std::string e1 = error_of("a,b\nx\"y,2\n");
  EXPECT_NE(e1.find("t.csv:2"), std::string::npos) << e1;
  EXPECT_NE(e1.find("stray quote"), std::string::npos) << e1;
  std::string e2 = error_of("a\n\"ab\"c\n");
  EXPECT_NE(e2.find("t.csv:2"), std::string::npos) << e2;
  EXPECT_NE(e2.find("after a closing quote"), std::string::npos) << e2;
}

TEST(Csv, WidthCheck) {
  auto r = parse_csv("a,b,c\n1,\"2\n\",3\n4,5\n", "t.csv");
  EXPECT_NO_THROW(check_csv_width(r[1], 3, "t.csv"));
  try {
    check_csv_width(r[2], 3, "t.csv");
    FAIL() << "no error";
  } catch (const FormatError& e) {
    EXPECT_STREQ(e.what(), "t.csv:4: expected 3 columns, found 2");
  }
}

TEST(Csv, WriterRoundTrip) {
  std::vector<std::string> f = {"plain", "with, comma", "with \"quote\"", "multi\nline\r\nx", ""};
  std::string line = csv_row(f);
  EXPECT_EQ(line.substr(0, 20), "plain,\"with, comma\",");
  auto r = parse_csv(line + line, "t.csv");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].fields, f);
  EXPECT_EQ(r[1].line, 4);
}

TEST(Csv, IntListLiterals) {
  EXPECT_EQ(parse_int_list("[]", "c"), std::vector<int64_t>{});
  EXPECT_EQ(parse_int_list("", "c"), std::vector<int64_t>{});
  EXPECT_EQ(parse_int_list("[21]", "c"), std::vector<int64_t>{21});
  EXPECT_EQ(parse_int_list("[17, 10, 76, 103]", "c"), (std::vector<int64_t>{17, 10, 76, 103}));
  EXPECT_EQ(parse_int_list(" [ 1 ,2, ] ", "c"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(format_int_list({17, 10, 76, 103}), "[17, 10, 76, 103]");
  for (const char* bad : {"[1,,2]", "[1", "17", "[a]", "[1] x", "[1 2]", "[-]"}) {
    try {
      parse_int_list(bad, "tracks.csv:9 (track, genres)");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find("tracks.csv:9 (track, genres)"), std::string::npos) << e.what();
    }
  }
}

TEST(Csv, StrListLiterals) {
  EXPECT_EQ(parse_str_list("['rock', \"it's\", 'a\\'b', 'x\\\\y']", "c"),
            (std::vector<std::string>{"rock", "it's", "a'b", "x\\y"}));
  std::vector<std::string> v = {"a", "it's", "q\"uote", "back\\slash"};
  EXPECT_EQ(parse_str_list(format_str_list(v), "c"), v);
  EXPECT_EQ(format_str_list({"a", "it's"}), "['a', \"it's\"]");
  EXPECT_THROW(parse_str_list("['open]", "c"), FormatError);
  EXPECT_THROW(parse_str_list("[bare]", "c"), FormatError);
}

TEST(Csv, IntCells) {
  EXPECT_EQ(parse_int_cell("42", "c"), 42);
  EXPECT_EQ(parse_int_cell(" 7.0 ", "c"), 7);
  EXPECT_THROW(parse_int_cell("", "c"), FormatError);
  EXPECT_THROW(parse_int_cell("4x", "c"), FormatError);
  EXPECT_THROW(parse_int_cell("1.5", "c"), FormatError);
}
