#include "server/metric_stats.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace sagerun::server {
namespace {

constexpr double k_minute = 60;
constexpr double k_day = 86400;

double round_down(double seconds, double step) { return std::floor(seconds / step) * step; }

} // namespace

std::optional<Statistic> parse_basic_statistic(std::string_view text) {
  static constexpr std::pair<std::string_view, StatisticKind> k_names[] = {
      {"SampleCount", StatisticKind::sample_count}, {"Average", StatisticKind::average}, {"Sum", StatisticKind::sum},
      {"Minimum", StatisticKind::minimum},          {"Maximum", StatisticKind::maximum},
  };
  for (const auto& [name, kind] : k_names)
    if (text == name) return Statistic{kind, 0, std::string(name)};
  return std::nullopt;
}

std::optional<Statistic> parse_percentile(std::string_view text) {
  if (text.size() < 2 || text.size() > 12 || text[0] != 'p') return std::nullopt;
  const std::string_view number = text.substr(1);
  // Digits, then at most one '.' followed by digits: no sign, exponent or spaces.
  const auto dot = number.find('.');
  const auto digits = [](std::string_view part) {
    return !part.empty() && std::ranges::all_of(part, [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!digits(number.substr(0, dot)) || (dot != std::string_view::npos && !digits(number.substr(dot + 1))))
    return std::nullopt;
  double value = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || ptr != number.data() + number.size() || value < 0 || value > 100) return std::nullopt;
  return Statistic{StatisticKind::percentile, value, std::string(text)};
}

bool valid_period(int64_t period) {
  return period == 1 || period == 5 || period == 10 || period == 30 || (period >= 60 && period % 60 == 0);
}

double aligned_start(double start, int64_t period, double now) {
  if (period < 60) return round_down(start, static_cast<double>(period));
  const double age = now - start;
  if (age > 63 * k_day) return round_down(start, 60 * k_minute);
  if (age > 15 * k_day) return round_down(start, 5 * k_minute);
  return round_down(start, k_minute);
}

int64_t periods_between(double start, double end, int64_t period) {
  if (end <= start || period <= 0) return 0;
  return static_cast<int64_t>(std::ceil((end - start) / static_cast<double>(period)));
}

std::vector<PeriodStats> aggregate(std::span<const store::MetricPoint> points, double start, double end, int64_t period,
                                   KeepValues keep) {
  std::vector<PeriodStats> out;
  const auto step = static_cast<double>(period);
  const auto first = std::ranges::lower_bound(points, start, {}, &store::MetricPoint::timestamp);
  for (auto it = first; it != points.end() && it->timestamp < end; ++it) {
    const double bucket = start + std::floor((it->timestamp - start) / step) * step;
    if (out.empty() || out.back().start != bucket) out.push_back(PeriodStats{bucket, 0, 0, it->value, it->value, {}});
    auto& current = out.back();
    ++current.count;
    current.sum += it->value;
    current.minimum = std::min(current.minimum, it->value);
    current.maximum = std::max(current.maximum, it->value);
    if (keep == KeepValues::yes) current.values.push_back(it->value);
  }
  if (keep == KeepValues::yes) {
    for (auto& one : out)
      std::ranges::sort(one.values);
  }
  return out;
}

double statistic_value(const PeriodStats& period, const Statistic& statistic) {
  switch (statistic.kind) {
  case StatisticKind::sample_count: return static_cast<double>(period.count);
  case StatisticKind::average: return period.count == 0 ? 0 : period.sum / static_cast<double>(period.count);
  case StatisticKind::sum: return period.sum;
  case StatisticKind::minimum: return period.minimum;
  case StatisticKind::maximum: return period.maximum;
  case StatisticKind::percentile: break;
  }
  if (period.values.empty()) return 0;
  const auto n = static_cast<double>(period.values.size());
  // p90 of 10 values is the 9th: 0.9 * 10 is 9.000000000000002 in doubles, which must not round up.
  const auto rank = static_cast<size_t>(std::max(1.0, std::ceil(statistic.percentile / 100.0 * n - 1e-9)));
  return period.values[std::min(rank, period.values.size()) - 1];
}

} // namespace sagerun::server
