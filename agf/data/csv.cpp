// RFC 4180 CSV parser and writer, and Python list-literal cells (see csv.h).
// The parser is a small state machine over the bytes; line numbers count LF (a CR before it is
// part of the same line break), so errors point at the line an editor shows.
#include "agf/data/csv.h"
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include "util/error.h"
#include "util/fs.h"

namespace agf {

void for_each_csv_record(const std::string& text, const std::string& source,
                         const std::function<void(const CsvRecord&)>& on_record) {
  CsvRecord rec;
  size_t n_fields = 0;  // fields of `rec` in use (the vector's strings are reused)
  std::string field;
  int64_t line = 1;
  rec.line = 1;
  bool in_quotes = false, after_quote = false, field_was_quoted = false;
  int64_t quote_line = 0;
  bool record_has_content = false;  // anything seen since the record began (for blank last line)
  const size_t n = text.size();
  auto end_field = [&] {
    if (n_fields == rec.fields.size()) rec.fields.emplace_back();
    rec.fields[n_fields++].swap(field);
    field.clear();
    after_quote = field_was_quoted = false;
  };
  auto end_record = [&](int64_t next_line) {
    end_field();
    rec.fields.resize(n_fields);
    on_record(rec);
    n_fields = 0;
    rec.line = next_line;
    record_has_content = false;
  };
  for (size_t i = 0; i < n; ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < n && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
          after_quote = true;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    if (c == ',') {
      end_field();
      record_has_content = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
      ++line;
      if (!record_has_content && field.empty() && !field_was_quoted) {
        rec.line = line;  // a blank line is no record (as pandas' skip_blank_lines)
        continue;
      }
      end_record(line);
    } else if (c == '"') {
      AGF_CHECK(field.empty() && !after_quote, FormatError, source, ":", line,
                ": stray quote inside a field (quotes must open a field and be doubled inside it)");
      in_quotes = true;
      field_was_quoted = true;
      quote_line = line;
      record_has_content = true;
    } else {
      AGF_CHECK(!after_quote, FormatError, source, ":", line, ": text after a closing quote ('", c,
                "'); expected a comma or the end of the line");
      field.push_back(c);
      record_has_content = true;
    }
  }
  AGF_CHECK(!in_quotes, FormatError, source, ":", quote_line,
            ": unterminated quoted field (opened on this line, the file ends inside it; record starts on line ",
            rec.line, ")");
  if (record_has_content || !field.empty() || field_was_quoted) end_record(line + 1);
}

std::vector<CsvRecord> parse_csv(const std::string& text, const std::string& source) {
  std::vector<CsvRecord> out;
  for_each_csv_record(text, source, [&](const CsvRecord& r) { out.push_back(r); });
  return out;
}

std::vector<CsvRecord> read_csv_file(const std::string& path) { return parse_csv(read_file_bytes(path), path); }

void check_csv_width(const CsvRecord& r, size_t expected, const std::string& source) {
  AGF_CHECK(r.fields.size() == expected, FormatError, source, ":", r.line, ": expected ", expected, " columns, found ",
            r.fields.size());
}

std::string csv_escape(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string s = "\"";
  for (char c : field) {
    if (c == '"') s.push_back('"');
    s.push_back(c);
  }
  s.push_back('"');
  return s;
}

std::string csv_row(const std::vector<std::string>& fields) {
  std::string s;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) s.push_back(',');
    s += csv_escape(fields[i]);
  }
  s.push_back('\n');
  return s;
}

namespace {

// A cursor over a list literal, skipping whitespace.
struct ListCursor {
  const std::string& s;
  const std::string& where;
  size_t i = 0;
  void skip() {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  }
  bool at_end() {
    skip();
    return i >= s.size();
  }
  char peek() {
    skip();
    return i < s.size() ? s[i] : '\0';
  }
  [[noreturn]] void fail(const std::string& what) {
    throw FormatError(str(where, ": bad list literal '", s, "': ", what));
  }
  void expect(char c) {
    if (peek() != c) fail(str("expected '", c, "' at offset ", i));
    ++i;
  }
};

// Calls item(cursor) for each element between '[' and ']'.
template <typename F> void parse_list(const std::string& cell, const std::string& where, F item) {
  ListCursor cur{cell, where};
  if (cur.at_end()) return;  // empty cell: empty list (pandas writes NaN as an empty cell)
  cur.expect('[');
  if (cur.peek() == ']') {
    ++cur.i;
  } else {
    for (;;) {
      item(cur);
      char c = cur.peek();
      if (c == ',') {
        ++cur.i;
        if (cur.peek() == ']') {
          ++cur.i;
          break;
        }  // trailing comma, as Python allows
        continue;
      }
      if (c == ']') {
        ++cur.i;
        break;
      }
      cur.fail(str("expected ',' or ']' at offset ", cur.i));
    }
  }
  if (!cur.at_end()) cur.fail(str("unexpected text after ']' at offset ", cur.i));
}

}  // namespace

std::vector<int64_t> parse_int_list(const std::string& cell, const std::string& where) {
  std::vector<int64_t> v;
  parse_list(cell, where, [&](ListCursor& cur) {
    cur.skip();
    size_t b = cur.i;
    if (cur.i < cell.size() && (cell[cur.i] == '-' || cell[cur.i] == '+')) ++cur.i;
    while (cur.i < cell.size() && std::isdigit(static_cast<unsigned char>(cell[cur.i]))) ++cur.i;
    if (cur.i == b || !std::isdigit(static_cast<unsigned char>(cell[cur.i - 1])))
      cur.fail(str("expected an integer at offset ", b));
    v.push_back(std::strtoll(cell.c_str() + b, nullptr, 10));
  });
  return v;
}

std::vector<std::string> parse_str_list(const std::string& cell, const std::string& where) {
  std::vector<std::string> v;
  parse_list(cell, where, [&](ListCursor& cur) {
    char q = cur.peek();
    if (q != '\'' && q != '"') cur.fail(str("expected a quoted string at offset ", cur.i));
    ++cur.i;
    std::string s;
    for (;;) {
      if (cur.i >= cell.size()) cur.fail("unterminated string");
      char c = cell[cur.i++];
      if (c == q) break;
      if (c == '\\' && cur.i < cell.size()) {
        char e = cell[cur.i++];
        switch (e) {
          case 'n': s.push_back('\n'); break;
          case 't': s.push_back('\t'); break;
          case 'r': s.push_back('\r'); break;
          default: s.push_back(e);  // \\ \' \" and anything else taken literally
        }
      } else {
        s.push_back(c);
      }
    }
    v.push_back(std::move(s));
  });
  return v;
}

std::string format_int_list(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

std::string format_str_list(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    // Python's repr: single quotes unless the text holds one and no double quote.
    bool dq = v[i].find('\'') != std::string::npos && v[i].find('"') == std::string::npos;
    char q = dq ? '"' : '\'';
    s += i ? ", " : "";
    s.push_back(q);
    for (char c : v[i]) {
      if (c == '\\' || c == q) s.push_back('\\');
      if (c == '\n') {
        s += "\\n";
        continue;
      }
      s.push_back(c);
    }
    s.push_back(q);
  }
  return s + "]";
}

int64_t parse_int_cell(const std::string& cell, const std::string& where) {
  size_t b = cell.find_first_not_of(" \t"), e = cell.find_last_not_of(" \t");
  AGF_CHECK(b != std::string::npos, FormatError, where, ": expected an integer, found an empty cell");
  std::string t = cell.substr(b, e - b + 1);
  if (t.size() > 2 && t.compare(t.size() - 2, 2, ".0") == 0) t.resize(t.size() - 2);
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(t.c_str(), &end, 10);
  AGF_CHECK(end && *end == '\0' && errno == 0 && !t.empty(), FormatError, where, ": expected an integer, found '", cell,
            "'");
  return v;
}

}  // namespace agf
