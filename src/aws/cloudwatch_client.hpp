#pragma once
// The CloudWatch reads sagerun needs for a training job's metrics (JSON 1.0 over JsonClient): the
// metrics a host published, and their datapoints per period. Errors keep the service's code and
// message ("GetMetricData: InvalidParameterValueException: …").

#include <string>
#include <vector>

#include "aws/json_client.hpp"

namespace sagerun::aws {

// Where SageMaker publishes training metrics; each has one dimension, Host = "<job>/algo-N".
inline constexpr const char* k_training_metrics_namespace = "/aws/sagemaker/TrainingJobs";

struct MetricStatQuery {
  std::string metric;
  std::string host;    // the Host dimension's value
  int64_t period = 60; // seconds
  std::string stat = "Average";
};

struct MetricDatapoints {
  std::vector<double> timestamps; // epoch seconds, oldest first
  std::vector<double> values;
};

class CloudWatchClient {
public:
  explicit CloudWatchClient(JsonClient client) : m_client(std::move(client)) {}

  // The names of the metrics in `name_space` with the dimension Host = `host` (every page).
  Expected<std::vector<std::string>> list_metric_names(const std::string& name_space, const std::string& host);

  // Each query's datapoints in [start, end) (epoch seconds), in the queries' order (every page,
  // 500 queries a call).
  Expected<std::vector<MetricDatapoints>>
  get_metric_data(const std::string& name_space, const std::vector<MetricStatQuery>& queries, double start, double end);

private:
  JsonClient m_client;
};

} // namespace sagerun::aws
