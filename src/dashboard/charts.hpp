#pragma once
// A job's metric charts, drawn by the server as SVG: one figure per metric, one line per host
// (a colour each), a job's own metrics on an axis of their values and its instance metrics on a
// percent axis, a mark per point with its time and value as its title where the points are
// few enough to tell apart, and under each figure a table of every point per host, so a reader
// without the picture (a screen reader, a test) has them all.

#include <string>
#include <vector>

namespace sagerun::dashboard {

struct ChartPoint {
  double time = 0; // seconds since the epoch
  double value = 0;
};

struct ChartLine {
  std::string host;               // "algo-1"
  std::vector<ChartPoint> points; // in time order
};

// `values`: the axis spans the data; `percent` (the instance metrics): from 0 to at least 100,
// labelled in %, so hosts and jobs read alike.
enum class ChartAxis { values, percent };

struct Chart {
  std::string metric;
  std::vector<ChartLine> lines;
  ChartAxis axis = ChartAxis::values;
};

// Marks are drawn up to this many points per line; beyond it the line alone.
inline constexpr size_t k_max_marks = 400;

// The figures, as HTML; an empty string when there are no charts.
std::string charts_html(const std::vector<Chart>& charts);

} // namespace sagerun::dashboard
