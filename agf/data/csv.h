// RFC 4180 CSV reading and writing (quoted fields with embedded commas, doubled quotes and
// newlines; CRLF or LF), with the physical line where each record starts kept for error messages,
// plus parsers for the Python list literals FMA stores in cells ("[]", "[21]", "['a', 'b']").
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace agf {

struct CsvRecord {
  std::vector<std::string> fields;
  int64_t line = 0;  // 1-based physical line where the record starts
};

// Parses a whole document. `source` names it in errors ("tracks.csv"). Throws FormatError for an
// unterminated quote (naming the line where the quoted field opened) or a stray quote inside an
// unquoted field / text after a closing quote. Blank lines are skipped (as pandas does).
std::vector<CsvRecord> parse_csv(const std::string& text, const std::string& source);
// Streaming form: calls `on_record` for each record (the record is reused between calls), so a
// large file (FMA's full tracks.csv) needs no more memory than its text.
void for_each_csv_record(const std::string& text, const std::string& source,
                         const std::function<void(const CsvRecord&)>& on_record);
// Reads `path` (IOError when it cannot be opened) and parses it.
std::vector<CsvRecord> read_csv_file(const std::string& path);
// Throws FormatError "<source>:<line>: expected N columns, found M" when a record's width is off.
void check_csv_width(const CsvRecord& r, size_t expected, const std::string& source);

// Quotes a field when it holds a comma, quote, CR or LF (quotes doubled), as pandas writes.
std::string csv_escape(const std::string& field);
// Joins escaped fields with commas and appends "\n".
std::string csv_row(const std::vector<std::string>& fields);

// Python list literals. `where` names the cell in errors ("tracks.csv:12 (track, genres)").
// "[]" -> {}, "[17, 10, 76]" -> {17, 10, 76}; an empty cell is an empty list.
std::vector<int64_t> parse_int_list(const std::string& cell, const std::string& where);
// "['rock', \"it's\"]" -> {"rock", "it's"}; Python escapes \\ \' \" \n \t are decoded.
std::vector<std::string> parse_str_list(const std::string& cell, const std::string& where);
// Formats as Python's repr does: "[17, 10, 76]" and "['a', 'b']".
std::string format_int_list(const std::vector<int64_t>& v);
std::string format_str_list(const std::vector<std::string>& v);

// Strict integer parse of a whole cell (surrounding spaces allowed); FormatError naming `where`.
// Accepts "12" and "12.0" (pandas writes integer columns with missing values as floats).
int64_t parse_int_cell(const std::string& cell, const std::string& where);

}  // namespace agf
