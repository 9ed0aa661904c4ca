#pragma once
// The CloudWatch Logs reads sagerun needs to follow a training job's output (JSON 1.1 over
// JsonClient): its streams, and their events page by page. Errors keep the service's code and
// message ("DescribeLogStreams: ResourceNotFoundException: The specified log group does not exist.").

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aws/json_client.hpp"

namespace sagerun::aws {

// Where SageMaker writes training jobs' logs; streams are "<job>/algo-N-<epoch>".
inline constexpr const char* k_training_log_group = "/aws/sagemaker/TrainingJobs";

struct LogStream {
  std::string name;
  int64_t creation_time = 0; // milliseconds since the epoch
  std::optional<int64_t> last_event_timestamp;
};

struct LogEvent {
  int64_t timestamp = 0; // milliseconds since the epoch
  std::string message;
  std::string stream; // FilterLogEvents only
};

struct LogEventsPage {
  std::vector<LogEvent> events;
  std::string next_forward_token;  // GetLogEvents
  std::string next_backward_token; // GetLogEvents
  std::string next_token;          // FilterLogEvents; empty on the last page
};

class LogsClient {
public:
  explicit LogsClient(JsonClient client) : m_client(std::move(client)) {}

  // Every stream of `group` whose name starts with `prefix` (all pages). A group that does not
  // exist (yet) has no streams: that is not an error.
  Expected<std::vector<LogStream>> describe_log_streams(const std::string& group, const std::string& prefix);

  enum class From { head, tail };
  // One page of a stream's events, oldest first. `token`: a previous page's forward token
  // (empty: start at `from`). At the end of the stream the forward token comes back unchanged.
  Expected<LogEventsPage> get_log_events(const std::string& group, const std::string& stream, const std::string& token,
                                         From from = From::head);

  // One page of the events of the streams named `stream_prefix…`, at or after `start_time` (ms).
  Expected<LogEventsPage> filter_log_events(const std::string& group, const std::string& stream_prefix,
                                            std::optional<int64_t> start_time, const std::string& token);

private:
  JsonClient m_client;
};

} // namespace sagerun::aws
