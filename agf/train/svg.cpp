// Inline-SVG charts for the HTML report (see svg.h). Plain string building; text widths are estimated
// from character counts (about 6.5 px per character at 11 px), which is enough for labels this short.
#include "agf/train/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace agf {
namespace svg {
namespace {

const char* kFont = "font-family=\"sans-serif\"";

std::string num(double v) {  // coordinate
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", std::max(0, decimals), v);
  return buf;
}

int tick_decimals(const std::vector<double>& ticks) {
  if (ticks.size() < 2) return 2;
  const double step = ticks[1] - ticks[0];
  return std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
}

double text_w(const std::string& s, double px_per_char = 6.5) { return px_per_char * static_cast<double>(s.size()); }

void text(std::ostringstream& os, double x, double y, const std::string& s, const char* anchor = "start", int size = 11,
          const std::string& extra = "") {
  os << "<text x=\"" << num(x) << "\" y=\"" << num(y) << "\" text-anchor=\"" << anchor << "\" font-size=\"" << size
     << "\" " << kFont << extra << ">" << escape(s) << "</text>\n";
}

// Finite range of values, widened when empty or flat.
void finite_range(const std::vector<double>& v, double& lo, double& hi) {
  lo = std::numeric_limits<double>::infinity();
  hi = -lo;
  for (double x : v)
    if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-12) {
    const double pad = std::max(std::fabs(lo) * 0.1, 0.5);
    lo -= pad, hi += pad;
  }
}

// Long curves (1000 MTN epochs, several tasks, 60 cases) would make the report large: above max_points,
// consecutive finite points are averaged in buckets (x and y), which keeps the curve's trend.
Series decimate(const Series& in, size_t max_points) {
  const size_t n = std::min(in.x.size(), in.y.size());
  if (n <= max_points) return in;
  const size_t bucket = (n + max_points - 1) / max_points;
  Series out = in;
  out.x.clear();
  out.y.clear();
  for (size_t a = 0; a < n; a += bucket) {
    double sx = 0, sy = 0;
    int k = 0;
    for (size_t j = a; j < std::min(n, a + bucket); ++j)
      if (std::isfinite(in.x[j]) && std::isfinite(in.y[j])) sx += in.x[j], sy += in.y[j], ++k;
    out.x.push_back(k ? sx / k : std::nan(""));
    out.y.push_back(k ? sy / k : std::nan(""));
  }
  return out;
}

}  // namespace

std::string escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) return {lo};
  // Step 1, 2 or 5 x 10^k nearest (geometrically) to the raw step, as d3's ticks: thresholds sqrt(2),
  // sqrt(10), sqrt(50).
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double err = raw / mag;
  const double step = mag * (err >= std::sqrt(50.0) ? 10 : err >= std::sqrt(10.0) ? 5 : err >= std::sqrt(2.0) ? 2 : 1);
  std::vector<double> t;
  const double first = std::floor(lo / step + 1e-9), last = std::ceil(hi / step - 1e-9);
  for (double i = first; i <= last; i += 1) t.push_back(i == 0 ? 0.0 : i * step);
  return t;
}

std::string sequential_colour(double t) {
  // Anchor colours of matplotlib's viridis at 0, 0.25, 0.5, 0.75, 1, linearly interpolated.
  static const double stops[5][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
  t = std::isfinite(t) ? std::min(1.0, std::max(0.0, t)) : 0.0;
  const double pos = t * 4.0;
  const int i = std::min(3, static_cast<int>(pos));
  const double f = pos - i;
  char buf[8];
  int rgb[3];
  for (int c = 0; c < 3; ++c) rgb[c] = static_cast<int>(std::lround(stops[i][c] + f * (stops[i + 1][c] - stops[i][c])));
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
  return buf;
}

std::string light_colour(double t) {
  t = std::isfinite(t) ? std::min(1.0, std::max(0.0, t)) : 0.0;
  static const double lo[3] = {255, 255, 255}, mid[3] = {107, 174, 214}, hi[3] = {8, 48, 107};
  int rgb[3];
  for (int c = 0; c < 3; ++c)
    rgb[c] = static_cast<int>(
        std::lround(t < 0.5 ? lo[c] + 2 * t * (mid[c] - lo[c]) : mid[c] + (2 * t - 1) * (hi[c] - mid[c])));
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
  return buf;
}

std::string category_colour(int i) {
  static const char* pal[10] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return pal[((i % 10) + 10) % 10];
}

std::string line_chart(const LineChart& c) {
  const double L = 62, R = 150, T = 30, B = 44;
  const double pw = c.width - L - R, ph = c.height - T - B;
  std::vector<double> xs, ys;
  for (const auto& s : c.series)
    xs.insert(xs.end(), s.x.begin(), s.x.end()), ys.insert(ys.end(), s.y.begin(), s.y.end());
  double x0, x1, y0, y1;
  finite_range(xs, x0, x1);
  finite_range(ys, y0, y1);
  std::vector<double> xt = nice_ticks(x0, x1, 6);
  if (c.integer_x && xt.size() > 1 && xt[1] - xt[0] < 1) {
    xt.clear();
    for (double v = std::floor(x0); v <= std::ceil(x1); v += 1) xt.push_back(v);
  }
  const std::vector<double> yt = nice_ticks(y0, y1, 5);
  x0 = std::min(x0, xt.front()), x1 = std::max(x1, xt.back());
  y0 = std::min(y0, yt.front()), y1 = std::max(y1, yt.back());
  auto X = [&](double v) { return L + (v - x0) / (x1 - x0) * pw; };
  auto Y = [&](double v) { return T + ph - (v - y0) / (y1 - y0) * ph; };
  std::ostringstream os;
  os << "<svg class=\"chart\" width=\"" << c.width << "\" height=\"" << c.height << "\" viewBox=\"0 0 " << c.width
     << " " << c.height << "\" role=\"img\">\n";
  text(os, L, 18, c.title, "start", 13, " font-weight=\"bold\"");
  const int xd = tick_decimals(xt), yd = tick_decimals(yt);
  for (double v : yt) {
    os << "<line x1=\"" << num(L) << "\" y1=\"" << num(Y(v)) << "\" x2=\"" << num(L + pw) << "\" y2=\"" << num(Y(v))
       << "\" stroke=\"#e4e4e4\"/>\n";
    text(os, L - 6, Y(v) + 4, fixed(v, yd), "end", 10);
  }
  for (double v : xt) {
    os << "<line x1=\"" << num(X(v)) << "\" y1=\"" << num(T + ph) << "\" x2=\"" << num(X(v)) << "\" y2=\""
       << num(T + ph + 4) << "\" stroke=\"#444\"/>\n";
    text(os, X(v), T + ph + 16, fixed(v, xd), "middle", 10);
  }
  os << "<rect x=\"" << num(L) << "\" y=\"" << num(T) << "\" width=\"" << num(pw) << "\" height=\"" << num(ph)
     << "\" fill=\"none\" stroke=\"#444\"/>\n";
  text(os, L + pw / 2, c.height - 6, c.x_label, "middle", 11);
  text(os, 14, T + ph / 2, c.y_label, "middle", 11, " transform=\"rotate(-90 14 " + num(T + ph / 2) + ")\"");
  for (size_t i = 0; i < c.series.size(); ++i) {
    const Series s = decimate(c.series[i], 400);
    const std::string col = category_colour(s.colour >= 0 ? s.colour : static_cast<int>(i));
    // The line through consecutive finite points; a marker on every point of a short series (per-N
    // averages) and on isolated points, which a path alone would not show.
    const size_t n = std::min(s.x.size(), s.y.size());
    auto ok = [&](size_t j) { return j < n && std::isfinite(s.x[j]) && std::isfinite(s.y[j]); };
    std::string d;
    for (size_t j = 0; j < n; ++j) {
      if (!ok(j)) continue;
      const bool joined = j > 0 && ok(j - 1);
      d += (joined ? " L" : " M") + num(X(s.x[j])) + " " + num(Y(s.y[j]));
      const bool isolated = !joined && !ok(j + 1);
      if (n <= 30 || isolated)
        os << "<circle cx=\"" << num(X(s.x[j])) << "\" cy=\"" << num(Y(s.y[j])) << "\" r=\"2.5\" fill=\"" << col
           << "\"/>\n";
    }
    if (!d.empty())
      os << "<path d=\"" << d.substr(1) << "\" fill=\"none\" stroke=\"" << col << "\" stroke-width=\"1.6\""
         << (s.dashed ? " stroke-dasharray=\"5 3\"" : "") << "/>\n";
    const double ly = T + 8 + 16 * static_cast<double>(i);
    os << "<line x1=\"" << num(L + pw + 12) << "\" y1=\"" << num(ly) << "\" x2=\"" << num(L + pw + 34) << "\" y2=\""
       << num(ly) << "\" stroke=\"" << col << "\" stroke-width=\"2\"" << (s.dashed ? " stroke-dasharray=\"5 3\"" : "")
       << "/>\n";
    text(os, L + pw + 40, ly + 4, s.name, "start", 11);
  }
  os << "</svg>\n";
  return os.str();
}

std::string heat_map(const HeatMap& h) {
  const size_t rows = h.row_labels.size(), cols = h.col_labels.size();
  double row_w = 0, col_h = 18;
  for (const auto& s : h.row_labels) row_w = std::max(row_w, text_w(s));
  for (const auto& s : h.col_labels) col_h = std::max(col_h, h.rotate_col_labels ? text_w(s) * 0.72 + 14 : 18.0);
  // The legend holds the bar, its end values and the scale label under it (which must fit too).
  const double legend_w = std::max(110.0, 22 + text_w(h.scale_label) + 8);
  const double L = row_w + 14, T = 30 + col_h;
  const double width = L + h.cell_w * static_cast<double>(cols) + legend_w;
  const double height = std::max(T + h.cell_h * static_cast<double>(rows) + 12, T + 150);
  // Colour values: the cell values, or each value's fraction of its row sum.
  std::vector<double> cv(rows * cols, std::numeric_limits<double>::quiet_NaN());
  for (size_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (size_t c = 0; c < cols; ++c)
      if (r * cols + c < h.values.size() && std::isfinite(h.values[r * cols + c])) sum += h.values[r * cols + c];
    for (size_t c = 0; c < cols && r * cols + c < h.values.size(); ++c) {
      const double v = h.values[r * cols + c];
      cv[r * cols + c] = h.colour_by_row_fraction ? (sum > 0 && std::isfinite(v) ? v / sum : std::nan("")) : v;
    }
  }
  double lo, hi;
  finite_range(cv, lo, hi);
  if (h.colour_by_row_fraction) lo = 0, hi = 1;
  auto colour = [&](double t) { return h.light_palette ? light_colour(t) : sequential_colour(t); };
  // Text on a cell: dark on light cells. viridis is light at the top of the scale, the blues at the bottom.
  auto dark_text = [&](double t) { return h.light_palette ? t < 0.55 : t > 0.55; };
  auto tval = [&](double v) {
    const double t = (v - lo) / (hi - lo);
    return h.higher_is_better || h.colour_by_row_fraction ? t : 1.0 - t;  // bright = better (or larger)
  };
  std::ostringstream os;
  os << "<svg class=\"chart\" width=\"" << num(width) << "\" height=\"" << num(height) << "\" viewBox=\"0 0 "
     << num(width) << " " << num(height) << "\" role=\"img\">\n";
  text(os, 4, 18, h.title, "start", 13, " font-weight=\"bold\"");
  for (size_t c = 0; c < cols; ++c) {
    const double cx = L + h.cell_w * (c + 0.5);
    if (h.rotate_col_labels)
      text(os, cx, T - 6, h.col_labels[c], "start", 11,
           " transform=\"rotate(-45 " + num(cx) + " " + num(T - 6) + ")\"");
    else
      text(os, cx, T - 6, h.col_labels[c], "middle", 11);
  }
  for (size_t r = 0; r < rows; ++r) {
    const double y = T + h.cell_h * static_cast<double>(r);
    text(os, L - 6, y + h.cell_h / 2 + 4, h.row_labels[r], "end", 11);
    for (size_t c = 0; c < cols; ++c) {
      const double x = L + h.cell_w * static_cast<double>(c);
      const double v = r * cols + c < h.values.size() ? h.values[r * cols + c] : std::nan("");
      const double t = tval(cv[r * cols + c]);
      const bool has = std::isfinite(v) && std::isfinite(cv[r * cols + c]);
      os << "<rect x=\"" << num(x) << "\" y=\"" << num(y) << "\" width=\"" << h.cell_w << "\" height=\"" << h.cell_h
         << "\" fill=\"" << (has ? colour(t) : std::string("#f4f4f4")) << "\" stroke=\""
         << (h.light_palette ? "#ddd" : "#fff") << "\"><title>"
         << escape(h.row_labels[r] + " / " + h.col_labels[c] + ": " + (std::isfinite(v) ? fixed(v, h.decimals) : "-"))
         << "</title></rect>\n";
      const bool zero_count = h.decimals == 0 && v == 0;  // left blank: the non-zero counts stand out
      if (std::isfinite(v) && !zero_count)
        text(os, x + h.cell_w / 2.0, y + h.cell_h / 2.0 + 4, fixed(v, h.decimals), "middle", 10,
             std::string(" fill=\"") +
                 (has && dark_text(t) ? "#000"
                  : has               ? "#fff"
                                      : "#333") +
                 "\"");
    }
  }
  // Legend: a vertical bar of 20 steps, bright (better / larger) at the top.
  const double lx = L + h.cell_w * static_cast<double>(cols) + 22, ly = T, lh = 120;
  for (int i = 0; i < 20; ++i)
    os << "<rect x=\"" << num(lx) << "\" y=\"" << num(ly + lh * i / 20.0) << "\" width=\"14\" height=\""
       << num(lh / 20.0 + 0.5) << "\" fill=\"" << colour(1.0 - (i + 0.5) / 20.0) << "\"/>\n";
  const bool bright_high = h.higher_is_better || h.colour_by_row_fraction;
  const int ld = h.colour_by_row_fraction ? 1 : std::max(h.decimals, 2);
  text(os, lx + 18, ly + 9, fixed(bright_high ? hi : lo, ld), "start", 10);
  text(os, lx + 18, ly + lh, fixed(bright_high ? lo : hi, ld), "start", 10);
  text(os, lx, ly + lh + 16, h.scale_label, "start", 10);
  os << "</svg>\n";
  return os.str();
}

std::string bar_chart(const BarChart& b) {
  const double L = 56, R = 110, T = 30, B = 34;
  const double pw = b.width - L - R, ph = b.height - T - B;
  std::vector<double> all = {0.0};
  for (const auto& s : b.values) all.insert(all.end(), s.begin(), s.end());
  double y0, y1;
  finite_range(all, y0, y1);
  const auto yt = nice_ticks(y0, y1, 5);
  y0 = std::min(y0, yt.front()), y1 = std::max(y1, yt.back());
  auto Y = [&](double v) { return T + ph - (v - y0) / (y1 - y0) * ph; };
  std::ostringstream os;
  os << "<svg class=\"chart\" width=\"" << b.width << "\" height=\"" << b.height << "\" viewBox=\"0 0 " << b.width
     << " " << b.height << "\" role=\"img\">\n";
  text(os, L, 18, b.title, "start", 13, " font-weight=\"bold\"");
  const int yd = tick_decimals(yt);
  for (double v : yt) {
    os << "<line x1=\"" << num(L) << "\" y1=\"" << num(Y(v)) << "\" x2=\"" << num(L + pw) << "\" y2=\"" << num(Y(v))
       << "\" stroke=\"#e4e4e4\"/>\n";
    text(os, L - 6, Y(v) + 4, fixed(v, yd), "end", 10);
  }
  text(os, 14, T + ph / 2, b.y_label, "middle", 11, " transform=\"rotate(-90 14 " + num(T + ph / 2) + ")\"");
  const size_t nc = b.categories.size(), ns = b.series_names.size();
  const double group_w = nc ? pw / static_cast<double>(nc) : pw;
  const double bar_w = ns ? group_w * 0.8 / static_cast<double>(ns) : 0;
  for (size_t c = 0; c < nc; ++c) {
    const double gx = L + group_w * static_cast<double>(c) + group_w * 0.1;
    for (size_t s = 0; s < ns; ++s) {
      const double v = s < b.values.size() && c < b.values[s].size() ? b.values[s][c] : std::nan("");
      if (!std::isfinite(v)) continue;
      const double x = gx + bar_w * static_cast<double>(s);
      const double top = std::min(Y(v), Y(0)), hgt = std::fabs(Y(v) - Y(0));
      os << "<rect x=\"" << num(x) << "\" y=\"" << num(top) << "\" width=\"" << num(bar_w - 1) << "\" height=\""
         << num(hgt) << "\" fill=\"" << category_colour(static_cast<int>(s)) << "\"><title>"
         << escape(b.series_names[s] + " " + b.categories[c] + ": " + fixed(v, b.decimals)) << "</title></rect>\n";
    }
    text(os, L + group_w * (c + 0.5), T + ph + 16, b.categories[c], "middle", 11);
  }
  os << "<line x1=\"" << num(L) << "\" y1=\"" << num(Y(0)) << "\" x2=\"" << num(L + pw) << "\" y2=\"" << num(Y(0))
     << "\" stroke=\"#444\"/>\n";
  for (size_t s = 0; s < ns; ++s) {
    const double ly = T + 8 + 16 * static_cast<double>(s);
    os << "<rect x=\"" << num(L + pw + 12) << "\" y=\"" << num(ly - 6) << "\" width=\"12\" height=\"12\" fill=\""
       << category_colour(static_cast<int>(s)) << "\"/>\n";
    text(os, L + pw + 30, ly + 4, b.series_names[s], "start", 11);
  }
  os << "</svg>\n";
  return os.str();
}

}  // namespace svg
}  // namespace agf
