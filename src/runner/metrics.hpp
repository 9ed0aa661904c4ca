#pragma once
// MetricDefinitions applied to a job's log: each line is matched against every definition's
// regex (ECMAScript, as close to SageMaker's as std::regex allows); the first capture group is
// the value. FinalMetricDataList keeps the last value seen per metric over all hosts, as
// SageMaker does; every value also goes to the host's series (store/metric_series.hpp), as
// SageMaker publishes each to CloudWatch.

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "job/request.hpp"
#include "job/status.hpp"
#include "store/metric_series.hpp"
#include "util/error.hpp"

namespace sagerun::runner {

class MetricExtractor {
public:
  // Fails (naming the metric) when a regex does not compile or has no capture group.
  static Expected<MetricExtractor> create(const std::vector<job::MetricDefinition>& definitions);

  // Feed one log line (without its newline). `now` is seconds since the epoch. Each value
  // matched is appended to `series` (the host's) too, when given.
  void feed_line(std::string_view line, double now, store::MetricWriter* series = nullptr);

  // The metrics' names, in definition order (the series' metric indices).
  std::vector<std::string> names() const;

  // One entry per metric that matched at least once, in definition order.
  std::vector<job::MetricData> final_metrics() const;

private:
  struct Entry {
    std::string name;
    std::regex regex;
    bool seen = false;
    double value = 0;
    double timestamp = 0;
  };
  std::vector<Entry> m_entries;
};

} // namespace sagerun::runner
