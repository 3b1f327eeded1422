// Small inline-SVG chart helpers for the self-contained HTML report: line chart (axes, ticks, legend),
// heat map (colour scale, labels, values in cells) and grouped bar chart. Output is an <svg> element
// without namespace attributes (inline SVG in HTML5 needs none), so the report holds no URL at all.
#pragma once
#include <string>
#include <vector>

namespace agf {
namespace svg {

std::string escape(const std::string& s);  // XML/HTML text and attribute escaping

// "Nice" tick values (steps of 1, 2 or 5 x 10^k) covering [lo, hi], about `target` of them.
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

// Colour of t in [0, 1] on a viridis-like sequential scale (dark purple -> yellow), "#rrggbb".
std::string sequential_colour(double t);
// Colour of t in [0, 1] from white (0) to dark blue (1).
std::string light_colour(double t);
// The i-th colour of a 10-colour categorical palette.
std::string category_colour(int i);

struct Series {
  std::string name;
  std::vector<double> x, y;  // equal lengths; non-finite y values break the line
  int colour = -1;           // category_colour index; -1 = the series' position
  bool dashed = false;
};

struct LineChart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  int width = 560, height = 300;
  bool integer_x = false;  // x ticks on whole numbers only (epochs, number of tasks)
};
std::string line_chart(const LineChart& c);  // series over 400 points are drawn as 400 bucket means

struct HeatMap {
  std::string title;
  std::vector<std::string> row_labels, col_labels;
  std::vector<double> values;           // (rows, cols) row-major; NaN = empty cell
  int decimals = 4;                     // cell text; 0 prints integers
  bool higher_is_better = false;        // the better end of the scale is drawn bright
  bool colour_by_row_fraction = false;  // colour = value / row sum (confusion matrices), text = value
  bool light_palette = false;  // white -> dark blue (confusion matrices; zero cells stay white) instead of viridis
  std::string scale_label;     // legend caption ("log loss", "fraction of the true class")
  int cell_w = 60, cell_h = 22;
  bool rotate_col_labels = false;
};
std::string heat_map(const HeatMap& h);

struct BarChart {
  std::string title, y_label;
  std::vector<std::string> categories;      // groups along x
  std::vector<std::string> series_names;    // bars per group
  std::vector<std::vector<double>> values;  // [series][category]; NaN = no bar
  int decimals = 4;
  int width = 560, height = 300;
};
std::string bar_chart(const BarChart& b);

}  // namespace svg
}  // namespace agf
