// JSON-lines logging (torn last line of an interrupted run), SVG helpers and the HTML report: balanced
// tags, every case named, no URL, atomic write. Set AGF_KEEP_REPORT=/path.html to keep the sample report.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <unistd.h>

#include "agf/train/jsonl.h"
#include "agf/train/report.h"
#include "agf/train/result_tables.h"
#include "util/error.h"
#include "util/fs.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;

namespace {

// A fresh folder NAME in one temporary folder per test process (tests/test_util.h), removed at exit.
fs::path temp_dir(const std::string& name) {
  static const agf::testing_util::TempDir root("report_test");
  const fs::path d = root / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Checks that every element is closed in order; returns "" or the first problem. Void HTML elements and
// self-closing tags need no end tag; <!DOCTYPE> and comments are skipped; text must not hold a raw '<'.
std::string check_balanced(const std::string& html, int* n_svg = nullptr) {
  static const std::vector<std::string> kVoid = {"meta", "br", "hr", "img", "input", "link"};
  std::vector<std::string> stack;
  int svg_count = 0;
  size_t pos = 0;
  while ((pos = html.find('<', pos)) != std::string::npos) {
    if (html.compare(pos, 4, "<!--") == 0) {
      pos = html.find("-->", pos);
      continue;
    }
    const size_t end = html.find('>', pos);
    if (end == std::string::npos) return "unterminated tag at " + std::to_string(pos);
    const std::string tag = html.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    if (tag.empty()) return "empty tag";
    if (tag[0] == '!') continue;
    const bool closing = tag[0] == '/';
    const std::string body = closing ? tag.substr(1) : tag;
    const std::string name = body.substr(0, body.find_first_of(" \t\n/"));
    if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) return "bad tag <" + tag + ">";
    if (closing) {
      if (stack.empty() || stack.back() != name)
        return "</" + name + "> closes <" + (stack.empty() ? std::string("nothing") : stack.back()) + ">";
      stack.pop_back();
    } else if (tag.back() != '/' && std::find(kVoid.begin(), kVoid.end(), name) == kVoid.end()) {
      stack.push_back(name);
      if (name == "svg") ++svg_count;
    }
  }
  if (n_svg) *n_svg = svg_count;
  return stack.empty() ? "" : "<" + stack.back() + "> never closed";
}

TEST(Jsonl, AppendsAndToleratesATornLastLine) {
  const fs::path dir = temp_dir("jsonl");
  const std::string path = (dir / "metrics.jsonl").string();
  {
    agf::JsonlWriter w(path, /*truncate=*/true);
    w.write({{"epoch", 1}, {"train", {{"g", 2.5}}}});
    w.write({{"epoch", 2}, {"train", {{"g", 2.0}}}, {"note", "a\nb"}});  // newline inside a string stays escaped
    // Flushed per line: readable before the writer closes.
    EXPECT_EQ(agf::read_jsonl(path).records.size(), 2u);
  }
  { std::ofstream(path, std::ios::app) << "{\"epoch\": 3, \"train\": {\"g\": 1."; }  // killed mid-write
  auto c = agf::read_jsonl(path);
  EXPECT_TRUE(c.torn_tail);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1]["note"], "a\nb");
  {
    agf::JsonlWriter w(path);  // a resumed run cuts the torn line and appends
    w.write({{"epoch", 3}, {"train", {{"g", 1.5}}}});
  }
  c = agf::read_jsonl(path);
  EXPECT_FALSE(c.torn_tail);
  ASSERT_EQ(c.records.size(), 3u);
  EXPECT_DOUBLE_EQ(c.records[2]["train"]["g"].get<double>(), 1.5);
  // A bad line in the middle is corruption, not an interruption.
  { std::ofstream(path, std::ios::app) << "not json\n{\"epoch\": 4}\n"; }
  try {
    agf::read_jsonl(path);
    FAIL() << "expected FormatError";
  } catch (const agf::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("metrics.jsonl:4"), std::string::npos) << e.what();
  }
  EXPECT_THROW(agf::read_jsonl((dir / "missing.jsonl").string()), agf::IOError);
  fs::remove_all(dir);
}

TEST(Svg, TicksAndEscaping) {
  const auto t = agf::svg::nice_ticks(0.73, 1.28, 5);
  ASSERT_GE(t.size(), 2u);
  EXPECT_LE(t.front(), 0.73);
  EXPECT_GE(t.back(), 1.28);
  EXPECT_NEAR(t[1] - t[0], 0.1, 1e-12);
  EXPECT_EQ(agf::svg::escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
  EXPECT_EQ(agf::svg::sequential_colour(0.0), "#440154");
  EXPECT_EQ(agf::svg::sequential_colour(1.0), "#fde725");
  agf::svg::LineChart lc;
  lc.title = "x<y";
  lc.series = {{"only", {1, 2, 3}, {1.0, NAN, 2.0}, -1, false}};
  const std::string s = agf::svg::line_chart(lc);
  EXPECT_EQ(check_balanced(s), "");
  EXPECT_NE(s.find("x&lt;y"), std::string::npos);
}

TEST(Svg, LongCurvesAreBucketed) {
  agf::svg::LineChart lc;
  agf::svg::Series s;
  s.name = "g train";
  for (int e = 0; e < 1000; ++e) s.x.push_back(e), s.y.push_back(1.0 / (1 + e));
  lc.series = {s};
  const std::string svg = agf::svg::line_chart(lc);
  const size_t n_cmd = std::count(svg.begin(), svg.end(), 'L') + std::count(svg.begin(), svg.end(), 'M');
  EXPECT_LE(n_cmd, 400u + 2u);  // 1000 points in buckets of 3 -> 334 points
  EXPECT_GE(n_cmd, 334u);
}

TEST(Report, CurvesFromTheRecordsAgfWrites) {
  // The shape trainer.cpp (train.jsonl) and transfer.cpp (transfer.jsonl) write: one record per epoch with
  // the mean loss per task under "train" and, on validation epochs, "val".
  const std::vector<nlohmann::json> recs = {
      {{"run", "header without epoch"}},
      {{"epoch", 1}, {"step", 10}, {"train", {{"g", 2.0}, {"s", 0.5}}}, {"val", {{"g", 2.2}}}},
      {{"epoch", 2}, {"step", 20}, {"train", {{"g", 1.5}}}, {"val", {{"g", nullptr}}}},
      {{"epoch", 3}, {"step", 30}, {"train", nlohmann::json::object()}, {"val", {{"g", 1.9}}}},
  };
  const agf::CaseCurves c = agf::curves_from_jsonl("mtn-gs", recs);
  ASSERT_EQ(c.series.size(), 3u);  // g train, g val, s train
  EXPECT_EQ(c.series[0].name, "g train");
  EXPECT_EQ(c.series[0].x, (std::vector<double>{1, 2}));
  EXPECT_EQ(c.series[0].y, (std::vector<double>{2.0, 1.5}));
  EXPECT_EQ(c.series[1].name, "g val");  // legend order: tasks as g, s, e, d, m; train before val
  EXPECT_EQ(c.series[2].name, "s train");
  EXPECT_TRUE(c.series[1].dashed);
  EXPECT_EQ(c.series[1].colour, c.series[0].colour);
  EXPECT_NE(c.series[2].colour, c.series[0].colour);
  EXPECT_EQ(c.series[1].x, (std::vector<double>{1, 3}));
  EXPECT_EQ(c.series[1].y, (std::vector<double>{2.2, 1.9}));
  EXPECT_TRUE(agf::load_case_curves("stn-s", "/nonexistent/metrics.jsonl").series.empty());
  // Shapes agf does not write give no curve.
  const agf::CaseCurves other =
      agf::curves_from_jsonl("stn-g", {{{"epoch", 0}, {"train_loss", 1.0}, {"val_loss", {{"g", 1.1}}}},
                                       {{"epoch", 1}, {"split", "validation"}, {"task", "g"}, {"loss", 1.9}}});
  EXPECT_TRUE(other.series.empty());
}

TEST(Report, TablesAndParagraphsAsHtml) {
  // Was the test of the Markdown converter the report used before it rendered from data: the same cells.
  agf::TextTable t{{"a", "b"}, {false, true}, {{"1", agf::TableCell::bold_text("2")}, {"<x>", "y & z"}}};
  EXPECT_EQ(agf::table_html(t),
            "<table>\n<tr><th>a</th><th class=\"r\">b</th></tr>\n<tr><td>1</td><td class=\"r\"><b>2</b></td></tr>\n"
            "<tr><td>&lt;x&gt;</td><td class=\"r\">y &amp; z</td></tr>\n</table>\n");
  EXPECT_EQ(agf::to_markdown(t), "| a | b |\n|---|---:|\n| 1 | **2** |\n| <x> | y & z |\n");
  const agf::Paragraph p = {{"text "}, {"bold", agf::TextSpan::bold}, {" <x> "}, {"--flag", agf::TextSpan::code}};
  EXPECT_EQ(agf::paragraph_html(p), "text <b>bold</b> &lt;x&gt; <code>--flag</code>");
  EXPECT_EQ(agf::to_markdown(p), "text **bold** <x> `--flag`");
}

agf::ReportInput sample_input() {
  agf::ReportInput in;
  in.title = "agf report <test>";
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (const auto& c : agf::paper_grid()) {
    agf::CaseResult r;
    r.case_name = c.name;
    r.arch = agf::arch_name(c.arch);
    r.tasks = c.tasks;
    r.n_tasks = c.n_tasks;
    r.log_loss = 1.3 - 0.1 * c.n_tasks + 0.1 * u(rng) - (c.tasks.find('g') != std::string::npos ? 0.15 : 0.0);
    r.f1 = 0.3 + 0.06 * c.n_tasks + 0.05 * u(rng);
    r.accuracy = r.f1 + 0.1;
    in.grid.results.push_back(r);
  }
  in.grid.baseline_log_loss = 1.85;
  in.grid.baseline_f1 = 0.028;
  in.grid.baseline_accuracy = 0.28;
  for (const std::string name : {"stn-g", "mtn-gsedm", "wstn-5"}) {
    std::vector<nlohmann::json> recs;
    for (int e = 1; e <= 30; ++e) {
      nlohmann::json tr, va;
      const std::string tasks = name == "mtn-gsedm" ? "gsedm" : "g";
      for (char t : tasks) {
        const double base = t == 'g' ? 2.5 : 0.8;
        tr[std::string(1, t)] = base * std::exp(-e / 12.0) + 0.3 + 0.02 * u(rng);
        va[std::string(1, t)] = base * std::exp(-e / 15.0) + 0.45 + 0.03 * u(rng);
      }
      recs.push_back({{"epoch", e}, {"train", tr}, {"val", va}});
    }
    in.curves.push_back(agf::curves_from_jsonl(name, recs));
  }
  in.confusion.title = "stn-gsedm, validation split";
  in.confusion.labels = {"Rock",          "Electronic", "Experimental",  "Hip-Hop",   "Folk",
                         "Instrumental",  "Pop",        "International", "Classical", "Old-Time / Historic",
                         "Jazz",          "Country",    "Soul-RnB",      "Spoken",    "Blues",
                         "Easy Listening"};
  const int k = 16;
  for (int t = 0; t < k; ++t)
    for (int p = 0; p < k; ++p)
      in.confusion.counts.push_back(t == p ? 40 - 2 * t : (u(rng) < 0.3 ? int(u(rng) * 8) : 0));
  in.sections.push_back({"Factor summary: s",
                         {agf::report_paragraph("Top terms per group."),
                          agf::report_table({{"group", "terms"}, {true, false}, {{"1", "Rock, Punk & Lo-Fi"}}})}});
  return in;
}

TEST(Report, ResultsTablesMatchTheirFixtures) {
  // results.md's tables (written from the data tables of result_tables.h, which the HTML report renders too),
  // byte for byte as the hand-written Markdown writer made them before the tables became data:
  // tests/fixtures/tables/<grid>.md, for a full grid, a partial one with a calibrated case and a tie, and none.
  // AGF_UPDATE_FIXTURES=1 rewrites the files.
  agf::ReportInput in = sample_input();
  std::vector<agf::CaseResult> partial(in.grid.results.begin(), in.grid.results.begin() + 20);
  partial[3].log_loss_calibrated = 0.9, partial[3].ece = 0.05, partial[3].ece_calibrated = 0.02,
  partial[3].temperature = 1.3;
  partial[5].log_loss = partial[4].log_loss;  // a tie: both bold
  const std::vector<agf::CaseResult> none;
  const std::pair<const char*, const std::vector<agf::CaseResult>*> grids[] = {{"full", &in.grid.results},
                                                                               {"partial", &partial},
                                                                               {"none", &none}};
  const char* update = std::getenv("AGF_UPDATE_FIXTURES");
  for (const auto& [name, rs] : grids) {
    const std::string md = agf::table3_markdown(*rs) + "\n" + agf::average_by_n_markdown(*rs) + "\n" +
                           agf::table4_markdown(*rs, false) + "\n" + agf::table4_markdown(*rs, true) + "\n" +
                           agf::table5_markdown(*rs) + "\n" + agf::calibration_markdown(*rs) + "\n" +
                           agf::results_markdown(*rs, true);
    const std::string path = std::string(AGF_SOURCE_DIR) + "/tests/fixtures/tables/" + name + ".md";
    if (update && *update == '1') agf::write_file_atomic(path, md);
    EXPECT_EQ(md, agf::read_file_bytes(path)) << path;
  }
}

TEST(Report, WritesAWellFormedSelfContainedFile) {
  const fs::path dir = temp_dir("html");
  const std::string path = (dir / "report.html").string();
  const agf::ReportInput in = sample_input();
  agf::write_report_html(path, in);
  for (const auto& e : fs::directory_iterator(dir))  // no temporary file left behind
    EXPECT_EQ(e.path().filename().string(), "report.html");
  const std::string html = agf::read_file_bytes(path);
  if (const char* keep = std::getenv("AGF_KEEP_REPORT"))
    fs::copy_file(path, keep, fs::copy_options::overwrite_existing);
  int n_svg = 0;
  EXPECT_EQ(check_balanced(html, &n_svg), "");
  EXPECT_GE(n_svg, 2 + 3 + 3 + 1);  // heat maps, bar/line charts, curves, confusion
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  for (const auto& t : agf::task_combinations())  // every Table 4 row and heat-map row label
    EXPECT_NE(html.find("<td>" + t + "</td>"), std::string::npos) << t;
  for (int n = 2; n <= 5; ++n)
    EXPECT_NE(html.find("<td class=\"r\">" + std::to_string(n) + "</td>"), std::string::npos);  // Table 5 rows
  for (const auto& c : agf::paper_grid())  // the all-cases table names every case
    EXPECT_NE(html.find("<td>" + c.name + "</td>"), std::string::npos) << c.name;
  for (const auto& c : in.curves) EXPECT_NE(html.find(">" + c.case_name + "<"), std::string::npos) << c.case_name;
  EXPECT_NE(html.find("Old-Time / Historic"), std::string::npos);
  EXPECT_NE(html.find("agf report &lt;test&gt;"), std::string::npos);
  EXPECT_NE(html.find("Rock, Punk &amp; Lo-Fi"), std::string::npos);
  EXPECT_NE(html.find("1.8500"), std::string::npos);  // baseline
  // The Table 5 best cases name the winning STN/MTN cases.
  EXPECT_NE(html.find("STN stn-"), std::string::npos);
  // Bad confusion shape is refused with the sizes.
  agf::ReportInput bad = in;
  bad.confusion.counts.pop_back();
  EXPECT_THROW(agf::render_report_html(bad), agf::ShapeError);
  // Rewriting replaces the file whole; an unwritable place is an IOError naming the path.
  agf::ReportInput small;
  small.title = "second";
  agf::write_report_html(path, small);
  EXPECT_NE(agf::read_file_bytes(path).find("<title>second</title>"), std::string::npos);
  EXPECT_EQ(check_balanced(agf::read_file_bytes(path)), "");
  EXPECT_THROW(agf::write_report_html((dir / "no" / "such" / "r.html").string(), small), agf::IOError);
  fs::remove_all(dir);
}

}  // namespace
