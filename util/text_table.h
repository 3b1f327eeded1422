// Tables and short formatted paragraphs as data, so that one content can be written both as Markdown
// (results.md, the factor summaries) and as HTML (the report, agf/train/report.h) without parsing one
// back into the other.
#pragma once
#include <string>
#include <vector>

namespace agf {

// A table cell: `strong` (bold, may be empty) followed by plain `text`, e.g. {"0.8123", " ± 0.0100"}.
struct TableCell {
  std::string strong, text;
  TableCell() = default;
  TableCell(std::string plain) : text(std::move(plain)) {}  // NOLINT: plain text converts implicitly
  TableCell(const char* plain) : text(plain) {}             // NOLINT
  static TableCell bold_if(bool bold, const std::string& s) { return bold ? bold_text(s) : TableCell(s); }
  static TableCell bold_text(const std::string& s) {
    TableCell c;
    c.strong = s;
    return c;
  }
};

struct TextTable {
  std::vector<std::string> header;
  std::vector<bool> right;  // per column: right-aligned (numbers)
  std::vector<std::vector<TableCell>> rows;
};

// Inline text: plain, bold or code spans.
struct TextSpan {
  enum Style { plain, bold, code };
  std::string text;
  Style style = plain;
};
using Paragraph = std::vector<TextSpan>;

// "| a | b |\n|---|---:|\n| 1 | **2** |\n": one line per row, "---:" for right-aligned columns, bold as
// **...**. Cell text is written as is (no escaping: the callers' texts hold no '|').
std::string to_markdown(const TextTable& t);
// Spans joined: **bold**, `code`; no line break added.
std::string to_markdown(const Paragraph& p);

}  // namespace agf
