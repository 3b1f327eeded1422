// Markdown writers of text_table.h.
#include "util/text_table.h"

namespace agf {

std::string to_markdown(const TextTable& t) {
  std::string s;
  auto row = [&](const std::vector<TableCell>& cells) {
    s += "|";
    for (const TableCell& c : cells)
      s += " " + (c.strong.empty() ? std::string() : "**" + c.strong + "**") + c.text + " |";
    s += "\n";
  };
  row(std::vector<TableCell>(t.header.begin(), t.header.end()));
  s += "|";
  for (size_t c = 0; c < t.header.size(); ++c) s += c < t.right.size() && t.right[c] ? "---:|" : "---|";
  s += "\n";
  for (const auto& r : t.rows) row(r);
  return s;
}

std::string to_markdown(const Paragraph& p) {
  std::string s;
  for (const TextSpan& sp : p)
    s += sp.style == TextSpan::bold   ? "**" + sp.text + "**"
         : sp.style == TextSpan::code ? "`" + sp.text + "`"
                                      : sp.text;
  return s;
}

}  // namespace agf
