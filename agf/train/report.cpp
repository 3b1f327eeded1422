// The HTML experiment report (see report.h): tables rendered from the results as data (result_tables.h,
// text_table.h), heat maps, bar and line charts from svg.cpp, written atomically.
#include "agf/train/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <utility>
#include <map>
#include <sstream>

#include "agf/train/result_tables.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/progress.h"

namespace agf {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string fmt(double v, int decimals = 4) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

const char* kCss = R"(body{font-family:sans-serif;margin:24px auto;max-width:1200px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0 16px}th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px}
th{background:#f0f0f0}td{text-align:left}.r{text-align:right}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{background:#fff}.note{color:#555;font-size:13px}
nav a{margin-right:12px}p{font-size:14px}code{background:#f4f4f4;padding:0 3px})";

std::string grid_section(const GridResults& g) {
  const auto& rs = g.results;
  std::ostringstream os;
  os << "<h2 id=\"results\">Results</h2>\n";
  if (rs.empty()) return os.str() + "<p class=\"note\">No finished cases yet.</p>\n";
  double total_s = 0;
  for (const auto& r : rs) total_s += r.seconds;
  os << "<p class=\"note\">" << rs.size() << " finished cases (" << format_duration(total_s)
     << " of training and evaluation in all). Mean log loss (natural log) and macro F1 of the "
     << "transfer MLP per track on the validation split; best per number of tasks in bold.</p>\n";
  if (std::isfinite(g.baseline_log_loss))
    os << "<p>Majority-class baseline: log loss " << fmt(g.baseline_log_loss) << ", macro F1 " << fmt(g.baseline_f1)
       << ", accuracy " << fmt(g.baseline_accuracy) << ".</p>\n";
  if (!g.note.empty()) os << "<p class=\"note\">" << svg::escape(g.note) << "</p>\n";
  os << "<h3>Every combination (Table 4)</h3>\n"
     << table_html(g.table4.header.empty() ? table4_table(rs, true) : g.table4);
  os << "<details><summary>All finished cases (" << rs.size() << ")</summary>\n<table>\n<tr><th>case</th><th>arch</th>"
     << "<th>tasks</th><th class=\"r\">N</th><th class=\"r\">log loss</th><th class=\"r\">macro F1</th>"
     << "<th class=\"r\">accuracy</th><th class=\"r\">epochs</th><th class=\"r\">seconds</th><th>finished</th></tr>\n";
  for (const auto& r : rs)
    os << "<tr><td>" << svg::escape(r.case_name) << "</td><td>" << svg::escape(r.arch) << "</td><td>"
       << svg::escape(r.tasks) << "</td><td class=\"r\">" << r.n_tasks << "</td><td class=\"r\">" << fmt(r.log_loss)
       << "</td><td class=\"r\">" << fmt(r.f1) << "</td><td class=\"r\">" << fmt(r.accuracy) << "</td><td class=\"r\">"
       << r.epochs << "</td><td class=\"r\">" << fmt(r.seconds, 1) << "</td><td>" << svg::escape(r.timestamp)
       << "</td></tr>\n";
  os << "</table>\n</details>\n";
  os << "<h3>Average with and without the main task g (Table 3)</h3>\n" << table_html(table3_table(rs));
  os << "<h3>Average per number of tasks (Figure 3)</h3>\n" << table_html(average_by_n_table(rs));
  os << "<h3>wSTN against the best STN / MTN per N (Table 5)</h3>\n"
     << table_html(table5_table(rs)) << "<p>" << svg::escape(table5_best_cases(rs)) << "</p>\n";
  // Heat maps: one row per combination with a result, columns STN and MTN.
  svg::HeatMap ll, f1;
  ll.title = "Log loss per case (lower is better)";
  f1.title = "Macro F1 per case (higher is better)";
  ll.col_labels = f1.col_labels = {"STN", "MTN"};
  ll.scale_label = "log loss";
  f1.scale_label = "macro F1";
  f1.higher_is_better = true;
  for (const auto& t : task_combinations()) {
    const CaseResult* s = find_result(rs, "stn-" + t);
    const CaseResult* m = find_result(rs, "mtn-" + t);
    if (!s && !m) continue;
    ll.row_labels.push_back(t);
    f1.row_labels.push_back(t);
    ll.values.push_back(s ? s->log_loss : kNaN);
    ll.values.push_back(m ? m->log_loss : kNaN);
    f1.values.push_back(s ? s->f1 : kNaN);
    f1.values.push_back(m ? m->f1 : kNaN);
  }
  os << "<h3 id=\"grid\">The grid as heat maps</h3>\n<div class=\"charts\">\n";
  if (!ll.row_labels.empty()) os << svg::heat_map(ll) << svg::heat_map(f1);
  os << "</div>\n";
  // Table 5 and Figure 3 as charts.
  const auto t5 = compute_table5(rs);
  svg::BarChart bl, bf;
  bl.title = "Log loss: wSTN vs best STN / MTN";
  bf.title = "Macro F1: wSTN vs best STN / MTN";
  bl.y_label = "log loss";
  bf.y_label = "macro F1";
  bl.series_names = bf.series_names = {"wSTN", "STN", "MTN"};
  bl.values.assign(3, {});
  bf.values.assign(3, {});
  for (const auto& r : t5) {
    bl.categories.push_back("N=" + std::to_string(r.n));
    bf.categories.push_back("N=" + std::to_string(r.n));
    bl.values[0].push_back(r.wstn_log_loss), bl.values[1].push_back(r.stn_log_loss),
        bl.values[2].push_back(r.mtn_log_loss);
    bf.values[0].push_back(r.wstn_f1), bf.values[1].push_back(r.stn_f1), bf.values[2].push_back(r.mtn_f1);
  }
  svg::LineChart avg_ll, avg_f1;
  avg_ll.title = "Average log loss per number of tasks";
  avg_f1.title = "Average macro F1 per number of tasks";
  avg_ll.x_label = avg_f1.x_label = "number of tasks N";
  avg_ll.y_label = "log loss";
  avg_f1.y_label = "macro F1";
  avg_ll.integer_x = avg_f1.integer_x = true;
  avg_ll.width = avg_f1.width = 470;
  svg::Series sll{"STN", {}, {}, 1, false}, mll{"MTN", {}, {}, 2, false};
  svg::Series sf{"STN", {}, {}, 1, false}, mf{"MTN", {}, {}, 2, false};
  for (const auto& a : compute_average_by_n(rs)) {
    for (auto* s : {&sll, &mll, &sf, &mf}) s->x.push_back(a.n);
    sll.y.push_back(a.stn_log_loss), mll.y.push_back(a.mtn_log_loss);
    sf.y.push_back(a.stn_f1), mf.y.push_back(a.mtn_f1);
  }
  avg_ll.series = {sll, mll};
  avg_f1.series = {sf, mf};
  os << "<div class=\"charts\">\n"
     << svg::bar_chart(bl) << svg::bar_chart(bf) << svg::line_chart(avg_ll) << svg::line_chart(avg_f1) << "</div>\n";
  return os.str();
}

std::string curves_section(const std::vector<CaseCurves>& curves) {
  std::ostringstream os;
  os << "<h2 id=\"curves\">Learning curves</h2>\n";
  if (curves.empty()) return os.str() + "<p class=\"note\">No metrics logs given.</p>\n";
  os << "<p class=\"note\">Loss per epoch and task; training solid, validation dashed.</p>\n<div class=\"charts\">\n";
  for (const auto& c : curves) {
    svg::LineChart ch;
    ch.title = c.case_name;
    ch.x_label = "epoch";
    ch.y_label = "loss";
    ch.series = c.series;
    ch.width = 470;
    ch.height = 260;
    ch.integer_x = true;
    os << svg::line_chart(ch);
  }
  return os.str() + "</div>\n";
}

std::string confusion_section(const ConfusionData& c) {
  std::ostringstream os;
  os << "<h2 id=\"confusion\">Confusion matrix</h2>\n";
  const size_t k = c.labels.size();
  if (c.counts.empty()) return os.str() + "<p class=\"note\">Not given.</p>\n";
  AGF_CHECK(c.counts.size() == k * k, ShapeError, "report: confusion matrix has ", c.counts.size(), " counts for ", k,
            " labels (need ", k * k, ")");
  svg::HeatMap h;
  h.title = c.title.empty() ? "Confusion matrix" : c.title;
  h.row_labels = c.labels;
  h.col_labels = c.labels;
  h.values.assign(c.counts.begin(), c.counts.end());
  h.decimals = 0;
  h.colour_by_row_fraction = true;
  h.scale_label = "share of true class";
  h.rotate_col_labels = true;
  h.light_palette = true;
  h.cell_w = 34;
  h.cell_h = 22;
  os << "<p class=\"note\">Rows: true genre; columns: predicted genre. Cells show counts, colour the share of "
     << "the row.</p>\n"
     << svg::heat_map(h);
  return os.str();
}

}  // namespace

CaseCurves curves_from_jsonl(const std::string& case_name, const std::vector<nlohmann::json>& records) {
  CaseCurves out;
  out.case_name = case_name;
  std::map<std::pair<std::string, bool>, size_t> index;  // (task, is_val) -> series
  auto add = [&](const std::string& task, bool val, double epoch, const nlohmann::json& v) {
    if (!v.is_number()) return;
    const auto key = std::make_pair(task, val);
    auto it = index.find(key);
    if (it == index.end()) {
      svg::Series s;
      s.name = task + (val ? " val" : " train");
      s.dashed = val;
      out.series.push_back(s);
      it = index.emplace(key, out.series.size() - 1).first;
    }
    out.series[it->second].x.push_back(epoch);
    out.series[it->second].y.push_back(v.get<double>());
  };
  for (const auto& r : records) {
    if (!r.is_object() || !r.contains("epoch") || !r["epoch"].is_number()) continue;
    const double epoch = r["epoch"].get<double>();
    for (const auto& [key, val] : {std::make_pair("train", false), std::make_pair("val", true)}) {
      const auto it = r.find(key);
      if (it == r.end() || !it->is_object()) continue;
      for (auto t = it->begin(); t != it->end(); ++t) add(t.key(), val, epoch, t.value());
    }
  }
  // Legend order: tasks in the paper's order (g, s, e, d, m; others after), train before validation.
  auto rank = [](const svg::Series& s) {
    const std::string task = s.name.substr(0, s.name.rfind(' '));
    const char* p = task.size() == 1 ? std::strchr(kTaskOrder, task[0]) : nullptr;
    return std::make_pair(p ? static_cast<int>(p - kTaskOrder) : 99, s.dashed);
  };
  std::stable_sort(out.series.begin(), out.series.end(),
                   [&](const svg::Series& a, const svg::Series& b) { return rank(a) < rank(b); });
  std::vector<std::string> seen;  // one colour per task, in legend order
  for (auto& s : out.series) {
    const std::string task = s.name.substr(0, s.name.rfind(' '));
    size_t i = std::find(seen.begin(), seen.end(), task) - seen.begin();
    if (i == seen.size()) seen.push_back(task);
    s.colour = static_cast<int>(i);
  }
  return out;
}

CaseCurves load_case_curves(const std::string& case_name, const std::string& jsonl_path) {
  std::ifstream probe(jsonl_path);
  if (!probe) return CaseCurves{case_name, {}};
  return curves_from_jsonl(case_name, read_jsonl(jsonl_path).records);
}

std::string table_html(const TextTable& t) {
  auto open = [&](const char* tag, size_t col) {
    return std::string("<") + tag + (col < t.right.size() && t.right[col] ? " class=\"r\">" : ">");
  };
  std::string s = "<table>\n<tr>";
  for (size_t c = 0; c < t.header.size(); ++c) s += open("th", c) + svg::escape(t.header[c]) + "</th>";
  s += "</tr>\n";
  for (const auto& row : t.rows) {
    s += "<tr>";
    for (size_t c = 0; c < row.size(); ++c)
      s += open("td", c) + (row[c].strong.empty() ? std::string() : "<b>" + svg::escape(row[c].strong) + "</b>") +
           svg::escape(row[c].text) + "</td>";
    s += "</tr>\n";
  }
  return s + "</table>\n";
}

std::string paragraph_html(const Paragraph& p) {
  std::string s;
  for (const TextSpan& sp : p) {
    const std::string e = svg::escape(sp.text);
    s += sp.style == TextSpan::bold ? "<b>" + e + "</b>" : sp.style == TextSpan::code ? "<code>" + e + "</code>" : e;
  }
  return s;
}

ReportBlock report_heading(const std::string& text) {
  ReportBlock b;
  b.kind = ReportBlock::heading;
  b.text = Paragraph{TextSpan{text}};
  return b;
}
ReportBlock report_paragraph(Paragraph text) {
  ReportBlock b;
  b.text = std::move(text);
  return b;
}
ReportBlock report_paragraph(const std::string& plain_text) {
  return report_paragraph(Paragraph{TextSpan{plain_text}});
}
ReportBlock report_bullets(std::vector<std::string> items) {
  ReportBlock b;
  b.kind = ReportBlock::bullets;
  b.items = std::move(items);
  return b;
}
ReportBlock report_table(TextTable t) {
  ReportBlock b;
  b.kind = ReportBlock::table;
  b.tab = std::move(t);
  return b;
}
ReportBlock report_svg(std::string markup) {
  ReportBlock b;
  b.kind = ReportBlock::svg;
  b.markup = std::move(markup);
  return b;
}

namespace {

std::string block_html(const ReportBlock& b) {
  switch (b.kind) {
    case ReportBlock::heading: return "<h3>" + paragraph_html(b.text) + "</h3>\n";
    case ReportBlock::paragraph: return "<p>" + paragraph_html(b.text) + "</p>\n";
    case ReportBlock::bullets: {
      std::string s = "<ul>\n";
      for (const auto& i : b.items) s += "<li>" + svg::escape(i) + "</li>\n";
      return s + "</ul>\n";
    }
    case ReportBlock::table: return table_html(b.tab);
    case ReportBlock::svg: return b.markup;
  }
  return "";
}

}  // namespace

std::string render_report_html(const ReportInput& in) {
  std::ostringstream os;
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" << svg::escape(in.title)
     << "</title>\n<style>\n"
     << kCss << "\n</style>\n</head>\n<body>\n<h1>" << svg::escape(in.title) << "</h1>\n"
     << "<p class=\"note\">Written " << utc_timestamp() << " by agf. Self-contained: no scripts, no network.</p>\n"
     << "<nav><a href=\"#results\">Results</a><a href=\"#grid\">Grid</a><a href=\"#curves\">Learning curves</a>"
     << "<a href=\"#confusion\">Confusion matrix</a>";
  for (size_t i = 0; i < in.sections.size(); ++i)
    os << "<a href=\"#section-" << i << "\">" << svg::escape(in.sections[i].title) << "</a>";
  os << "</nav>\n";
  os << grid_section(in.grid) << curves_section(in.curves) << confusion_section(in.confusion);
  for (size_t i = 0; i < in.sections.size(); ++i) {
    os << "<h2 id=\"section-" << i << "\">" << svg::escape(in.sections[i].title) << "</h2>\n";
    for (const ReportBlock& b : in.sections[i].blocks) os << block_html(b);
    os << "\n";
  }
  os << "</body>\n</html>\n";
  return os.str();
}

void write_report_html(const std::string& path, const ReportInput& in) {
  write_file_atomic(path, render_report_html(in));
}

}  // namespace agf
