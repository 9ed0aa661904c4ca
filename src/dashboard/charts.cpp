#include "dashboard/charts.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "aws/xml.hpp"
#include "util/utc_time.hpp"

namespace sagerun::dashboard {
namespace {

constexpr double k_width = 640;
constexpr double k_height = 220;
constexpr double k_left = 64; // room for the value labels
constexpr double k_right = 16;
constexpr double k_top = 12;
constexpr double k_bottom = 36; // room for the time labels
constexpr std::array<const char*, 6> k_colours{"#1f6feb", "#d1242f", "#1a7f37", "#8250df", "#bf8700", "#0a7e8c"};

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

std::string coordinate(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

// "02:30:01" of a UTC time.
std::string clock_time(double seconds) {
  const auto whole = static_cast<time_t>(std::floor(seconds));
  std::tm parts{};
  gmtime_r(&whole, &parts);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &parts);
  return text;
}

struct Range {
  double low = 0;
  double high = 1;
  double span() const { return high - low; }
};

// The range shown: the data's, widened where it is a single value.
Range widened(double low, double high) {
  if (high > low) return {low, high};
  const double pad = low == 0 ? 1 : std::abs(low) * 0.1;
  return {low - pad, high + pad};
}

struct Frame {
  Range time;
  Range value;
  double x(double t) const { return k_left + (t - time.low) / time.span() * (k_width - k_left - k_right); }
  double y(double v) const {
    return k_height - k_bottom - (v - value.low) / value.span() * (k_height - k_top - k_bottom);
  }
};

Frame frame_of(const Chart& chart) {
  double t_low = INFINITY, t_high = -INFINITY, v_low = INFINITY, v_high = -INFINITY;
  for (const auto& line : chart.lines) {
    for (const auto& point : line.points) {
      t_low = std::min(t_low, point.time);
      t_high = std::max(t_high, point.time);
      v_low = std::min(v_low, point.value);
      v_high = std::max(v_high, point.value);
    }
  }
  if (t_low > t_high) return {};
  // Summed over cores or GPUs a percent goes past 100: the axis then grows to hold it.
  if (chart.axis == ChartAxis::percent) return {widened(t_low, t_high), {0, std::max(100.0, v_high)}};
  return {widened(t_low, t_high), widened(v_low, v_high)};
}

void axes(std::string& out, const Frame& frame, ChartAxis axis) {
  const double bottom = k_height - k_bottom;
  out += "<g class=\"axes\"><line x1=\"" + coordinate(k_left) + "\" y1=\"" + coordinate(k_top) + "\" x2=\"" +
         coordinate(k_left) + "\" y2=\"" + coordinate(bottom) + "\"/><line x1=\"" + coordinate(k_left) + "\" y1=\"" +
         coordinate(bottom) + "\" x2=\"" + coordinate(k_width - k_right) + "\" y2=\"" + coordinate(bottom) + "\"/>";
  for (int i = 0; i <= 2; ++i) {
    const double value = frame.value.low + frame.value.span() * i / 2;
    const double y = frame.y(value);
    out += "<line class=\"grid\" x1=\"" + coordinate(k_left) + "\" y1=\"" + coordinate(y) + "\" x2=\"" +
           coordinate(k_width - k_right) + "\" y2=\"" + coordinate(y) + "\"/>";
    out += "<text x=\"" + coordinate(k_left - 6) + "\" y=\"" + coordinate(y + 4) + "\" text-anchor=\"end\">" +
           number(value) + (axis == ChartAxis::percent ? "%" : "") + "</text>";
  }
  for (int i = 0; i <= 2; ++i) {
    const double time = frame.time.low + frame.time.span() * i / 2;
    const char* anchor = i == 0 ? "start" : (i == 2 ? "end" : "middle");
    out += "<text x=\"" + coordinate(frame.x(time)) + "\" y=\"" + coordinate(bottom + 18) + "\" text-anchor=\"" +
           anchor + "\">" + clock_time(time) + "</text>";
  }
  out += "</g>";
}

void line_of(std::string& out, const Frame& frame, const ChartLine& line, const char* colour) {
  const std::string host = aws::xml::escape(line.host);
  out += "<g class=\"line\" data-host=\"" + host + "\"><polyline fill=\"none\" stroke=\"" + colour +
         "\" stroke-width=\"1.5\" points=\"";
  for (const auto& point : line.points)
    out += coordinate(frame.x(point.time)) + "," + coordinate(frame.y(point.value)) + " ";
  out += "\"/>";
  if (line.points.size() <= k_max_marks) {
    for (const auto& point : line.points) {
      out += "<circle class=\"point\" data-host=\"" + host + "\" cx=\"" + coordinate(frame.x(point.time)) + "\" cy=\"" +
             coordinate(frame.y(point.value)) + "\" r=\"2.5\" fill=\"" + colour + "\"><title>" + host + " " +
             util::utc_text(point.time) + ": " + number(point.value) + "</title></circle>";
    }
  }
  out += "</g>";
}

void table_of(std::string& out, const std::string& metric, const ChartLine& line) {
  const std::string host = aws::xml::escape(line.host);
  out += "<details class=\"points\" data-host=\"" + host + "\"><summary>" + host + ": " +
         std::to_string(line.points.size()) + (line.points.size() == 1 ? " point" : " points") +
         "</summary><table class=\"points\" data-host=\"" + host + "\"><caption>" + aws::xml::escape(metric) + " on " +
         host +
         "</caption><thead><tr><th scope=\"col\">Time (UTC)</th><th scope=\"col\">Value</th></tr></thead><tbody>";
  for (const auto& point : line.points)
    out += "<tr><td>" + util::utc_text(point.time) + "</td><td>" + number(point.value) + "</td></tr>";
  out += "</tbody></table></details>";
}

} // namespace

std::string charts_html(const std::vector<Chart>& charts) {
  std::string out;
  for (const auto& chart : charts) {
    const std::string metric = aws::xml::escape(chart.metric);
    const Frame frame = frame_of(chart);
    const bool percent = chart.axis == ChartAxis::percent;
    out += std::string(percent ? "<figure class=\"chart instance\"" : "<figure class=\"chart\"") + " data-metric=\"" +
           metric + "\"><figcaption>" + metric + (percent ? " (%)" : "") + "</figcaption>";
    out += "<svg role=\"img\" viewBox=\"0 0 " + coordinate(k_width) + " " + coordinate(k_height) + "\" aria-label=\"" +
           metric + " over time, per host\">";
    axes(out, frame, chart.axis);
    for (size_t i = 0; i < chart.lines.size(); ++i)
      line_of(out, frame, chart.lines[i], k_colours[i % k_colours.size()]);
    out += "</svg><ul class=\"legend\">";
    for (size_t i = 0; i < chart.lines.size(); ++i) {
      // Classes, not style attributes: the page's Content-Security-Policy allows no inline style.
      out += "<li><span class=\"swatch c" + std::to_string(i % k_colours.size()) + "\"></span>" +
             aws::xml::escape(chart.lines[i].host) + "</li>";
    }
    out += "</ul>";
    for (const auto& line : chart.lines)
      table_of(out, chart.metric, line);
    out += "</figure>";
  }
  return out;
}

} // namespace sagerun::dashboard
