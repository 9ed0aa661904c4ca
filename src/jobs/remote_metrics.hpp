#pragma once
// A remote job's metrics over time, from its CloudWatch (SageMaker's, or a compatible server's):
// the metrics each host published (ListMetrics, Host = "<job>/algo-N"), then their Average per
// `period` seconds over the job's time (GetMetricData). A compatible server keeps every value, so
// 1 s periods give back each value unless a host printed several in one second; CloudWatch itself
// is asked per minute.

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "aws/cloudwatch_client.hpp"
#include "store/metric_series.hpp"
#include "util/error.hpp"

namespace sagerun::jobs {

// `description`: the job's DescribeTrainingJob answer. By host, then metric (MetricDefinitions
// order, then as listed); a metric without datapoints is left out.
Expected<std::vector<store::MetricSeries>> read_remote_metrics(aws::CloudWatchClient& cloudwatch,
                                                               const nlohmann::json& description, int64_t period);

} // namespace sagerun::jobs
