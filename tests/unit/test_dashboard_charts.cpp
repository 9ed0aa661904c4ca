// The server-drawn charts: a figure per metric, a line per host, a mark and a table row per point,
// everything from the job escaped; and the embedded assets.

#include "dashboard/charts.hpp"

#include <gtest/gtest.h>

#include "dashboard/assets.hpp"
#include "dashboard/metric_charts.hpp"
#include "util/utc_time.hpp"

namespace sagerun::dashboard {
namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
    ++n;
  return n;
}

TEST(DashboardCharts, AFigurePerMetricALinePerHostAMarkAndARowPerPoint) {
  const std::vector<Chart> charts{
      {"loss", {{"algo-1", {{100, 1.0}, {101, 0.5}, {102, 0.25}}}, {"algo-2", {{100.5, 0.9}, {101.5, 0.4}}}}},
      {"accuracy", {{"algo-1", {{102, 0.75}}}}}};
  const std::string html = charts_html(charts);
  EXPECT_EQ(count(html, "<figure class=\"chart\""), 2u);
  EXPECT_EQ(count(html, "<g class=\"line\""), 3u);
  EXPECT_EQ(count(html, "<circle class=\"point\""), 6u);
  EXPECT_EQ(count(html, "<tr><td>"), 6u);
  EXPECT_NE(html.find("<td>1970-01-01T00:01:41.500Z</td><td>0.4</td>"), std::string::npos);
  EXPECT_NE(html.find("algo-2: 2 points"), std::string::npos);
  EXPECT_NE(html.find("algo-1: 1 point<"), std::string::npos);
  EXPECT_EQ(count(html, "style="), 0u); // the page's policy allows no inline style
}

TEST(DashboardCharts, InstanceMetricsOnAPercentAxisAfterTheJobsOwn) {
  const std::vector<store::MetricSeries> series{
      {"loss", 0, {{100, 1.0}}, store::SeriesKind::job},
      {"CPUUtilization", 0, {{100, 150.0}, {101, 180.0}}, store::SeriesKind::instance},
      {"loss", 1, {{100, 2.0}}, store::SeriesKind::job},
      {"CPUUtilization", 1, {{100, 20.0}}, store::SeriesKind::instance},
      {"MemoryUtilization", 1, {{100, 5.0}}, store::SeriesKind::instance}};
  const auto charts = charts_of(series);
  ASSERT_EQ(charts.size(), 3u);
  EXPECT_EQ(charts[0].metric, "loss");
  EXPECT_EQ(charts[0].axis, ChartAxis::values);
  EXPECT_EQ(charts[1].metric, "CPUUtilization");
  EXPECT_EQ(charts[1].axis, ChartAxis::percent);
  EXPECT_EQ(charts[1].lines.size(), 2u);
  const std::string html = charts_html(charts);
  EXPECT_EQ(count(html, "<figure class=\"chart instance\""), 2u);
  EXPECT_NE(html.find("CPUUtilization (%)</figcaption>"), std::string::npos);
  // From 0 to the largest value where a percent passes 100 (two cores), else to 100.
  EXPECT_NE(html.find(">0%</text>"), std::string::npos);
  EXPECT_NE(html.find(">180%</text>"), std::string::npos);
  EXPECT_NE(html.find(">100%</text>"), std::string::npos);
}

TEST(DashboardCharts, EscapesWhatTheJobNamed) {
  const std::string html = charts_html({{"<script>alert(1)</script>\"", {{"algo-1", {{1, 2}}}}}});
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;"), std::string::npos);
}

TEST(DashboardCharts, ManyPointsAreDrawnAsALineAndStillTabled) {
  Chart chart{"loss", {{"algo-1", {}}}};
  for (int i = 0; i < 1000; ++i)
    chart.lines[0].points.push_back({static_cast<double>(i), static_cast<double>(i % 7)});
  const std::string html = charts_html({chart});
  EXPECT_EQ(count(html, "<circle"), 0u);
  EXPECT_EQ(count(html, "<tr><td>"), 1000u);
}

TEST(DashboardCharts, OnePointOrOneValueStillHasARange) {
  const std::string html = charts_html({{"flat", {{"algo-1", {{5, 3}, {6, 3}}}}}, {"one", {{"algo-1", {{5, 0}}}}}});
  EXPECT_EQ(html.find("nan"), std::string::npos);
  EXPECT_EQ(html.find("inf"), std::string::npos);
  EXPECT_EQ(charts_html({}), "");
}

TEST(UtcText, ToTheMillisecondInEachStyle) {
  EXPECT_EQ(util::utc_text(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(util::utc_text(1764642601.25), "2025-12-02T02:30:01.250Z");
  EXPECT_EQ(util::utc_text(1.9996), "1970-01-01T00:00:02.000Z"); // rounded
  EXPECT_EQ(util::utc_text(1764642601, util::UtcStyle::iso_short), "2025-12-02T02:30:01Z");
  EXPECT_EQ(util::utc_text(1764642601.5, util::UtcStyle::iso_short), "2025-12-02T02:30:01.500Z");
  EXPECT_EQ(util::utc_text(1764642601.25, util::UtcStyle::human), "2025-12-02 02:30:01.250");
}

TEST(DashboardAssets, ThePagesScriptAndStyleAreBuiltIn) {
  for (const char* name : {"jobs.html", "job.html", "dashboard.js", "dashboard.css"}) {
    const auto asset = find_asset(name);
    ASSERT_TRUE(asset) << name;
    EXPECT_GT(asset->body.size(), 100u) << name;
  }
  EXPECT_EQ(find_asset("dashboard.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_FALSE(find_asset("../jobs.html"));
  EXPECT_FALSE(find_asset(""));
  // Nothing is fetched from elsewhere: the dashboard works offline.
  for (const char* name : {"jobs.html", "job.html", "dashboard.js", "dashboard.css"})
    EXPECT_EQ(find_asset(name)->body.find("https://"), std::string_view::npos) << name;
}

} // namespace
} // namespace sagerun::dashboard
