#include "aws/cloudwatch_client.hpp"

#include <algorithm>
#include <chrono>

#include "aws/credentials.hpp"
#include "aws/sagemaker_client.hpp"

namespace sagerun::aws {
namespace {

// GetMetricData's limit on queries per call.
constexpr size_t k_queries_per_call = 500;

// "m0", "m1": ids as the service wants them (a lowercase letter first).
std::string query_id(size_t index) { return "m" + std::to_string(index); }

nlohmann::json host_dimensions(const std::string& host) {
  return nlohmann::json::array({{{"Name", "Host"}, {"Value", host}}});
}

// A JSON 1.0 timestamp: epoch seconds (or, from some servers, ISO 8601 text).
double seconds_of(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    if (auto time = parse_timestamp(value.get<std::string>()))
      return std::chrono::duration<double>(time->time_since_epoch()).count();
  }
  return 0;
}

} // namespace

Expected<std::vector<std::string>> CloudWatchClient::list_metric_names(const std::string& name_space,
                                                                       const std::string& host) {
  std::vector<std::string> names;
  std::string token;
  do {
    nlohmann::json input = {{"Namespace", name_space}, {"Dimensions", host_dimensions(host)}};
    if (!token.empty()) input["NextToken"] = token;
    auto answer = m_client.call("ListMetrics", input);
    if (!answer) return std::unexpected(answer.error());
    if (const auto it = answer->find("Metrics"); it != answer->end() && it->is_array()) {
      for (const auto& metric : *it) {
        const auto name = string_member(metric, "MetricName");
        if (!name.empty() && std::ranges::find(names, name) == names.end()) names.push_back(name);
      }
    }
    const auto next = string_member(*answer, "NextToken");
    token = next == token ? "" : next; // a token that repeats would loop for ever
  } while (!token.empty());
  return names;
}

Expected<std::vector<MetricDatapoints>> CloudWatchClient::get_metric_data(const std::string& name_space,
                                                                          const std::vector<MetricStatQuery>& queries,
                                                                          double start, double end) {
  std::vector<MetricDatapoints> out(queries.size());
  for (size_t first = 0; first < queries.size(); first += k_queries_per_call) {
    const size_t last = std::min(queries.size(), first + k_queries_per_call);
    nlohmann::json list = nlohmann::json::array();
    for (size_t i = first; i < last; ++i) {
      const auto& query = queries[i];
      list.push_back(
          {{"Id", query_id(i)},
           {"MetricStat",
            {{"Metric",
              {{"Namespace", name_space}, {"MetricName", query.metric}, {"Dimensions", host_dimensions(query.host)}}},
             {"Period", query.period},
             {"Stat", query.stat}}}});
    }
    std::string token;
    do {
      nlohmann::json input = {
          {"MetricDataQueries", list}, {"StartTime", start}, {"EndTime", end}, {"ScanBy", "TimestampAscending"}};
      if (!token.empty()) input["NextToken"] = token;
      auto answer = m_client.call("GetMetricData", input);
      if (!answer) return std::unexpected(answer.error());
      const auto results = answer->find("MetricDataResults");
      for (size_t r = 0; results != answer->end() && results->is_array() && r < results->size(); ++r) {
        const auto& result = (*results)[r];
        const auto id = string_member(result, "Id");
        const auto at = std::ranges::find_if(list, [&](const auto& query) { return query["Id"] == id; });
        if (at == list.end()) continue;
        auto& series = out[first + static_cast<size_t>(at - list.begin())];
        const auto timestamps = result.value("Timestamps", nlohmann::json::array());
        const auto values = result.value("Values", nlohmann::json::array());
        for (size_t i = 0; i < timestamps.size() && i < values.size(); ++i) {
          if (!values[i].is_number()) continue;
          series.timestamps.push_back(seconds_of(timestamps[i]));
          series.values.push_back(values[i].get<double>());
        }
      }
      const auto next = string_member(*answer, "NextToken");
      token = next == token ? "" : next;
    } while (!token.empty());
  }
  return out;
}

} // namespace sagerun::aws
