#pragma once
// The CloudWatch Logs operations the server answers (X-Amz-Target "Logs_20140328.<Operation>")
// for the jobs' logs, as SageMaker publishes them: group /aws/sagemaker/TrainingJobs, one stream
// per host, `<job>/algo-N-<job creation, epoch seconds>`, present once the host has started.
//   DescribeLogStreams  prefix, orderBy LogStreamName | LastEventTime, descending, paging
//   GetLogEvents        startTime/endTime, startFromHead, forward ("f/…") and backward ("b/…")
//                       tokens; the forward token comes back unchanged at the end of the stream
//   FilterLogEvents     streams by name or prefix, times, filterPattern (terms), interleaved by
//                       time, paging; what `aws logs tail` uses
// Timestamps are milliseconds since the epoch, as in CloudWatch.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/api_error.hpp"
#include "store/log_events.hpp"
#include "store/store.hpp"

namespace sagerun::server {

inline constexpr std::string_view k_log_group = "/aws/sagemaker/TrainingJobs";

// What CloudWatch Logs returns at most per page: 10,000 events or 1 MiB, each event counting
// its message and 26 bytes.
inline constexpr size_t k_max_page_bytes = 1048576;
inline constexpr size_t k_event_overhead = 26;
using store::k_max_message;

struct LogsOptions {
  std::string region = "us-east-1";
  std::string account = "000000000000";
};

class LogsApi {
public:
  LogsApi(store::Store& store, LogsOptions options) : m_store(store), m_options(std::move(options)) {}

  static bool serves(std::string_view operation);
  ApiResult<std::string> call(std::string_view operation, const nlohmann::json& body);

  ApiResult<std::string> describe_log_streams(const nlohmann::json& body);
  ApiResult<std::string> get_log_events(const nlohmann::json& body);
  ApiResult<std::string> filter_log_events(const nlohmann::json& body);

private:
  struct Stream {
    std::string name;
    double job_creation_time = 0;
    std::shared_ptr<store::LogEvents> events; // refreshed
  };

  std::optional<Stream> find_stream(const std::string& name);
  // Every stream whose name starts with `prefix`, sorted by name.
  std::vector<Stream> streams(const std::string& prefix);
  std::shared_ptr<store::LogEvents> index_for(const store::JobFolder& folder, int host);
  ApiResult<void> check_group(const nlohmann::json& body) const;

  store::Store& m_store;
  LogsOptions m_options;
  std::mutex m_mutex;
  std::map<std::string, std::shared_ptr<store::LogEvents>> m_indexes; // by log file
};

// "<job>/algo-<host>-<epoch>" for host index 0…
std::string log_stream_name(const std::string& job, int host_index, double job_creation_time);

} // namespace sagerun::server
