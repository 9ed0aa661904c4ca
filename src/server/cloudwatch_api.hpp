#pragma once
// The CloudWatch metrics operations the server answers, for the jobs' training metrics as
// SageMaker publishes them: namespace /aws/sagemaker/TrainingJobs, the MetricDefinition's Name
// as the metric name, one dimension Host = "<job>/algo-N", no unit (None). The points are the
// runner's series (store/metric_series.hpp), read when asked.
//   ListMetrics          Namespace, MetricName, Dimensions (Host, with or without a value),
//                        RecentlyActive PT3H, NextToken (500 metrics a page)
//   GetMetricStatistics  Statistics and ExtendedStatistics (pNN.N) per Period, aligned as
//                        CloudWatch aligns them; at most 1,440 datapoints
//   GetMetricData        MetricStat queries (Expression refused), ScanBy, MaxDatapoints, NextToken
// The request is the JSON 1.0 body (the query protocol's form is made into one: query_form.hpp);
// the result is JSON 1.0's, timestamps as epoch seconds. Errors carry the query protocol's codes
// (InvalidParameterValue, MissingParameter, InvalidParameterCombination, InvalidNextToken,
// ValidationError), which each protocol renders its way.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/api_error.hpp"
#include "store/store.hpp"

namespace sagerun::server {

inline constexpr std::string_view k_metrics_namespace = "/aws/sagemaker/TrainingJobs";

class CloudWatchApi {
public:
  explicit CloudWatchApi(store::Store& store) : m_store(store) {}

  static bool serves(std::string_view operation);
  ApiResult<nlohmann::ordered_json> call(std::string_view operation, const nlohmann::json& body);

  ApiResult<nlohmann::ordered_json> list_metrics(const nlohmann::json& body);
  ApiResult<nlohmann::ordered_json> get_metric_statistics(const nlohmann::json& body);
  ApiResult<nlohmann::ordered_json> get_metric_data(const nlohmann::json& body);

private:
  store::Store& m_store;
};

// A job's host as the Host dimension names it: "<job>/algo-N" for host index N - 1.
std::string host_dimension(const std::string& job, int host_index);

struct HostOfJob {
  std::string job;
  int host_index = 0;
};
// The job and host a Host dimension names; nullopt when it names none ("job/algo-0", "job").
std::optional<HostOfJob> parse_host_dimension(std::string_view value);

} // namespace sagerun::server
