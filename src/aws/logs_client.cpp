#include "aws/logs_client.hpp"

#include "aws/sagemaker_client.hpp"

namespace sagerun::aws {
namespace {

int64_t integer_member(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_number() ? it->get<int64_t>() : 0;
}

std::vector<LogEvent> events_of(const nlohmann::json& answer) {
  std::vector<LogEvent> events;
  const auto it = answer.find("events");
  if (it == answer.end() || !it->is_array()) return events;
  for (const auto& event : *it) {
    if (!event.is_object()) continue;
    events.push_back(
        {integer_member(event, "timestamp"), string_member(event, "message"), string_member(event, "logStreamName")});
  }
  return events;
}

} // namespace

Expected<std::vector<LogStream>> LogsClient::describe_log_streams(const std::string& group, const std::string& prefix) {
  std::vector<LogStream> streams;
  std::string token;
  do {
    nlohmann::json input = {{"logGroupName", group}};
    if (!prefix.empty()) input["logStreamNamePrefix"] = prefix;
    if (!token.empty()) input["nextToken"] = token;
    auto answer = m_client.call("DescribeLogStreams", input);
    if (!answer) {
      if (answer.error().code == "ResourceNotFoundException") return streams;
      return std::unexpected(answer.error());
    }
    if (const auto it = answer->find("logStreams"); it != answer->end() && it->is_array()) {
      for (const auto& stream : *it) {
        LogStream entry{string_member(stream, "logStreamName"), integer_member(stream, "creationTime"), std::nullopt};
        if (stream.contains("lastEventTimestamp") && stream["lastEventTimestamp"].is_number()) {
          entry.last_event_timestamp = stream["lastEventTimestamp"].get<int64_t>();
        }
        if (!entry.name.empty()) streams.push_back(std::move(entry));
      }
    }
    const auto next = string_member(*answer, "nextToken");
    token = next == token ? "" : next; // a token that repeats would loop for ever
  } while (!token.empty());
  return streams;
}

Expected<LogEventsPage> LogsClient::get_log_events(const std::string& group, const std::string& stream,
                                                   const std::string& token, From from) {
  nlohmann::json input = {{"logGroupName", group}, {"logStreamName", stream}, {"startFromHead", from == From::head}};
  if (!token.empty()) input["nextToken"] = token;
  auto answer = m_client.call("GetLogEvents", input);
  if (!answer) return std::unexpected(answer.error());
  LogEventsPage page;
  page.events = events_of(*answer);
  page.next_forward_token = string_member(*answer, "nextForwardToken");
  page.next_backward_token = string_member(*answer, "nextBackwardToken");
  return page;
}

Expected<LogEventsPage> LogsClient::filter_log_events(const std::string& group, const std::string& stream_prefix,
                                                      std::optional<int64_t> start_time, const std::string& token) {
  nlohmann::json input = {{"logGroupName", group}};
  if (!stream_prefix.empty()) input["logStreamNamePrefix"] = stream_prefix;
  if (start_time) input["startTime"] = *start_time;
  if (!token.empty()) input["nextToken"] = token;
  auto answer = m_client.call("FilterLogEvents", input);
  if (!answer) return std::unexpected(answer.error());
  LogEventsPage page;
  page.events = events_of(*answer);
  page.next_token = string_member(*answer, "nextToken");
  return page;
}

} // namespace sagerun::aws
