// The experiment report: one self-contained HTML file (inline CSS and SVG, no scripts, no URLs) with the
// results tables (paper Tables 3-5), the grid as heat maps, learning curves per case, the confusion matrix
// and free sections (factor summaries). Opens in a browser with no network.
#pragma once
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "agf/train/grid.h"
#include "agf/train/jsonl.h"
#include "agf/train/svg.h"
#include "util/text_table.h"

namespace agf {

// Loss curves of one case: one series per (task, split), x = epoch.
struct CaseCurves {
  std::string case_name;
  std::vector<svg::Series> series;
};

// Curves from the JSON-lines metric records agf writes (read_jsonl(path).records of a net's train.jsonl,
// trainer.cpp, or an MLP's transfer.jsonl, transfer.cpp): per epoch one record
//   {"epoch": 3, "train": {"g": 0.91, "s": 0.12}, "val": {"g": 1.02}, ...}
// with the mean loss per task ("val" only on validation epochs; null or missing values leave a gap).
// Train lines are solid, validation dashed, and a task keeps one colour. Records without "epoch" or
// without those objects are ignored.
CaseCurves curves_from_jsonl(const std::string& case_name, const std::vector<nlohmann::json>& records);

// read_jsonl(path) then curves_from_jsonl; a missing file gives a case without series.
CaseCurves load_case_curves(const std::string& case_name, const std::string& jsonl_path);

struct ConfusionData {
  std::string title;                // e.g. "stn-gsedm, validation split"
  std::vector<std::string> labels;  // (k) class names (genres)
  std::vector<int64_t> counts;      // (k, k) row-major, rows = true class; empty = no section
};

struct GridResults {
  std::vector<CaseResult> results;
  // Majority-class baseline on the same split (NaN = not shown).
  double baseline_log_loss = std::numeric_limits<double>::quiet_NaN();
  double baseline_f1 = std::numeric_limits<double>::quiet_NaN();
  double baseline_accuracy = std::numeric_limits<double>::quiet_NaN();
  // Several seeds: Table 4 as given here (mean ± std, seeds.h: table4_seeds_table) instead of
  // table4_table(results, true), and a note shown above the tables. Empty: one seed.
  TextTable table4;
  std::string note;
};

// One block of a free section, rendered in order.
struct ReportBlock {
  enum Kind { heading, paragraph, bullets, table, svg };
  Kind kind = paragraph;
  Paragraph text;                  // heading, paragraph
  std::vector<std::string> items;  // bullets (plain text)
  TextTable tab;                   // table
  std::string markup;              // svg: trusted SVG written by agf (e.g. a case's reliability.svg), as is
};
ReportBlock report_heading(const std::string& text);
ReportBlock report_paragraph(Paragraph text);
ReportBlock report_paragraph(const std::string& plain_text);
ReportBlock report_bullets(std::vector<std::string> items);
ReportBlock report_table(TextTable t);
ReportBlock report_svg(std::string markup);

struct ReportSection {
  std::string title;
  std::vector<ReportBlock> blocks;
};

struct ReportInput {
  std::string title = "agf experiment report";
  std::vector<CaseCurves> curves;
  ConfusionData confusion;
  GridResults grid;
  // Extra sections in order (protocol, calibration, comparisons over seeds, factor summaries).
  std::vector<ReportSection> sections;
};

// The whole document.
std::string render_report_html(const ReportInput& in);
// Writes render_report_html to path atomically (write_file_atomic). Throws IOError.
void write_report_html(const std::string& path, const ReportInput& in);

// A table as HTML: <table> with a header row, right-aligned columns class "r", bold as <b>, text escaped.
std::string table_html(const TextTable& t);
// Spans as HTML: escaped text, <b> and <code>.
std::string paragraph_html(const Paragraph& p);

}  // namespace agf
