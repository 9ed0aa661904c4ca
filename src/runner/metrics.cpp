#include "runner/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>

namespace sagerun::runner {
namespace {

// libstdc++'s std::regex matches recursively: a very long line could exhaust the stack. Metric
// lines are short; only the first part of a longer segment is searched.
constexpr size_t k_max_segment = 16 * 1024;

// The captured text as a number, as Python's float() reads it (surrounding blanks allowed, the
// whole text a number); nullopt otherwise, and for NaN/infinity, which no metric store accepts.
std::optional<double> parse_value(const std::string& text) {
  const char* begin = text.c_str();
  while (*begin == ' ' || *begin == '\t')
    ++begin;
  if (*begin == '\0' || text.find_first_of("xX") != std::string::npos) return std::nullopt; // no hex floats
  char* end = nullptr;
  const double value = std::strtod(begin, &end);
  if (end == begin) return std::nullopt;
  while (*end == ' ' || *end == '\t')
    ++end;
  if (*end != '\0' || !std::isfinite(value)) return std::nullopt;
  return value;
}

} // namespace

Expected<MetricExtractor> MetricExtractor::create(const std::vector<job::MetricDefinition>& definitions) {
  MetricExtractor extractor;
  for (const auto& definition : definitions) {
    Entry entry;
    entry.name = definition.name;
    try {
      entry.regex = std::regex(definition.regex, std::regex::ECMAScript);
    } catch (const std::regex_error& error) {
      return util::fail(util::ErrorKind::invalid_input,
                        "MetricDefinitions: the regex of metric '" + definition.name + "' (" + definition.regex +
                            ") does not compile: " + error.what() +
                            " (ECMAScript syntax: no named groups (?P<…>), no lookbehind)");
    }
    if (entry.regex.mark_count() == 0) {
      return util::fail(util::ErrorKind::invalid_input, "MetricDefinitions: the regex of metric '" + definition.name +
                                                            "' (" + definition.regex +
                                                            ") has no capture group; put the value in ( )");
    }
    extractor.m_entries.push_back(std::move(entry));
  }
  return extractor;
}

void MetricExtractor::feed_line(std::string_view line, double now, store::MetricWriter* series) {
  // Progress bars redraw with '\r': each redrawn state counts as a line of its own.
  while (!line.empty()) {
    const auto cr = line.find('\r');
    const auto segment = line.substr(0, std::min(cr, k_max_segment));
    line = cr == std::string_view::npos ? std::string_view{} : line.substr(cr + 1);
    if (segment.empty()) continue;
    for (size_t i = 0; i < m_entries.size(); ++i) {
      auto& entry = m_entries[i];
      std::match_results<std::string_view::const_iterator> match;
      if (!std::regex_search(segment.begin(), segment.end(), match, entry.regex) || !match[1].matched) continue;
      const auto value = parse_value(match[1].str());
      if (!value) continue;
      entry.seen = true;
      entry.value = *value;
      entry.timestamp = now;
      // The same milliseconds as the log event of the line (host_logs.cpp).
      if (series != nullptr) series->append(i, static_cast<int64_t>(now * 1000), *value);
    }
  }
}

std::vector<std::string> MetricExtractor::names() const {
  std::vector<std::string> names;
  names.reserve(m_entries.size());
  for (const auto& entry : m_entries)
    names.push_back(entry.name);
  return names;
}

std::vector<job::MetricData> MetricExtractor::final_metrics() const {
  std::vector<job::MetricData> metrics;
  for (const auto& entry : m_entries) {
    if (entry.seen) metrics.push_back({entry.name, entry.value, entry.timestamp});
  }
  return metrics;
}

} // namespace sagerun::runner
