#include "server/logs_api.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "job/arn.hpp"
#include "server/json_text.hpp"
#include "server/params.hpp"

namespace sagerun::server {
namespace {

using nlohmann::json;

int64_t to_ms(double seconds) { return static_cast<int64_t>(std::llround(seconds * 1000.0)); }

std::string position_token(char direction, size_t position) {
  char text[32];
  std::snprintf(text, sizeof text, "%c/%020zu", direction, position);
  return text;
}

struct Position {
  char direction = 'f';
  size_t index = 0;
};

// No stream holds this many events: a larger index was not made here (and could wrap round).
constexpr size_t k_max_position = size_t{1} << 48;

std::optional<Position> parse_position(const std::string& token) {
  if (token.size() < 3 || (token[0] != 'f' && token[0] != 'b') || token[1] != '/') return std::nullopt;
  size_t index = 0;
  const auto [ptr, ec] = std::from_chars(token.data() + 2, token.data() + token.size(), index);
  if (ec != std::errc() || ptr != token.data() + token.size() || index > k_max_position) return std::nullopt;
  return Position{token[0], index};
}

} // namespace

std::string log_stream_name(const std::string& job, int host_index, double job_creation_time) {
  return job + "/" + store::host_name(host_index) + "-" +
         std::to_string(static_cast<int64_t>(std::floor(job_creation_time)));
}

bool LogsApi::serves(std::string_view operation) {
  return operation == "DescribeLogStreams" || operation == "GetLogEvents" || operation == "FilterLogEvents";
}

ApiResult<std::string> LogsApi::call(std::string_view operation, const json& body) {
  if (operation == "GetLogEvents") return get_log_events(body);
  if (operation == "FilterLogEvents") return filter_log_events(body);
  if (operation == "DescribeLogStreams") return describe_log_streams(body);
  return api_error(400, "UnknownOperationException", "");
}

ApiResult<void> LogsApi::check_group(const json& body) const {
  const auto name = body.find("logGroupName");
  const auto identifier = body.find("logGroupIdentifier");
  const bool has_name = name != body.end() && !name->is_null();
  const bool has_identifier = identifier != body.end() && !identifier->is_null();
  if (has_name == has_identifier) {
    return invalid_parameter(has_name ? "LogGroupName and LogGroupIdentifier are mutually exclusive"
                                      : "Either logGroupName or logGroupIdentifier must be given");
  }
  const json& given = has_name ? *name : *identifier;
  if (!given.is_string()) return invalid_parameter("logGroupName must be a string");
  std::string group = given.get<std::string>();
  if (!has_name && group.starts_with("arn:")) {
    const size_t at = group.find(":log-group:");
    group = at == std::string::npos ? "" : group.substr(at + 11);
    if (group.ends_with(":*")) group.resize(group.size() - 2);
  }
  if (group != k_log_group)
    return api_error(400, "ResourceNotFoundException", "The specified log group does not exist.");
  return {};
}

std::shared_ptr<store::LogEvents> LogsApi::index_for(const store::JobFolder& folder, int host) {
  const auto file = folder.log_file(host);
  std::lock_guard lock(m_mutex);
  auto& index = m_indexes[file.string()];
  if (!index) index = std::make_shared<store::LogEvents>(file, folder.times_file(host));
  return index;
}

std::optional<LogsApi::Stream> LogsApi::find_stream(const std::string& name) {
  // <job>/algo-<N>-<epoch>
  const size_t slash = name.find('/');
  if (slash == std::string::npos) return std::nullopt;
  auto row = m_store.index().find(name.substr(0, slash));
  if (!row || row->name != name.substr(0, slash)) return std::nullopt;
  const store::LogSource source{row->name, row->status.creation_time, row->instances};
  for (int host = 0; host < source.instances; ++host) {
    if (log_stream_name(source.name, host, source.creation_time) != name) continue;
    const auto folder = m_store.folder(source.name);
    if (!store::LogEvents::present(folder.log_file(host))) return std::nullopt;
    auto events = index_for(folder, host);
    events->refresh();
    return Stream{name, source.creation_time, std::move(events)};
  }
  return std::nullopt;
}

std::vector<LogsApi::Stream> LogsApi::streams(const std::string& prefix) {
  std::vector<Stream> out;
  // Stream names start with the job's name: the prefix up to its '/' picks the jobs.
  auto sources = m_store.index().log_sources(prefix.substr(0, prefix.find('/')));
  if (!sources) return out;
  for (const auto& source : *sources) {
    for (int host = 0; host < source.instances; ++host) {
      const std::string name = log_stream_name(source.name, host, source.creation_time);
      if (!name.starts_with(prefix)) continue;
      const auto folder = m_store.folder(source.name);
      if (!store::LogEvents::present(folder.log_file(host))) continue;
      auto events = index_for(folder, host);
      events->refresh();
      out.push_back(Stream{name, source.creation_time, std::move(events)});
    }
  }
  std::ranges::sort(out, [](const Stream& a, const Stream& b) { return a.name < b.name; });
  return out;
}

ApiResult<std::string> LogsApi::describe_log_streams(const json& body) {
  if (auto group = check_group(body); !group) return std::unexpected(group.error());
  Params params(body);
  auto prefix = params.string("logStreamNamePrefix", {.min_length = 1, .max_length = 512});
  auto order_by = params.string("orderBy", {.enums = {"LogStreamName", "LastEventTime"}}).value_or("LogStreamName");
  const bool descending = params.boolean("descending").value_or(false);
  auto token = params.string("nextToken", {.min_length = 1});
  const auto limit = static_cast<size_t>(params.integer("limit", 1, 50).value_or(50));
  if (auto error = params.error()) return as_logs_error(*error);
  if (order_by == "LastEventTime" && prefix) {
    return invalid_parameter("Cannot order by LastEventTime with a logStreamNamePrefix.");
  }
  size_t offset = 0;
  if (token) {
    auto position = parse_position(*token);
    if (!position || position->direction != 'f') return invalid_parameter("The specified nextToken is invalid.");
    offset = position->index;
  }

  struct Row {
    json item;
    int64_t last_event = 0;
  };
  std::vector<Row> rows;
  for (const auto& stream : streams(prefix.value_or(""))) {
    json item = {{"logStreamName", stream.name}, {"creationTime", to_ms(stream.job_creation_time)}};
    int64_t first = 0, last = 0;
    const size_t count = stream.events->size();
    stream.events->scan(0, store::LogEvents::Direction::forward, [&](size_t, int64_t timestamp, uint32_t) {
      first = timestamp;
      return false;
    });
    stream.events->scan(count, store::LogEvents::Direction::backward, [&](size_t, int64_t timestamp, uint32_t) {
      last = timestamp;
      return false;
    });
    if (count > 0) {
      item["firstEventTimestamp"] = first;
      item["lastEventTimestamp"] = last;
      item["lastIngestionTime"] = std::max(last, stream.events->modified_ms());
    }
    item["arn"] = "arn:" + job::aws_partition(m_options.region) + ":logs:" + m_options.region + ":" +
                  m_options.account + ":log-group:" + std::string(k_log_group) + ":log-stream:" + stream.name;
    item["storedBytes"] = 0;
    rows.push_back({std::move(item), last});
  }
  if (order_by == "LastEventTime") {
    std::ranges::stable_sort(rows, [](const Row& a, const Row& b) { return a.last_event < b.last_event; });
  }
  if (descending) std::ranges::reverse(rows);
  json page = json::array();
  for (size_t i = offset; i < rows.size() && page.size() < limit; ++i)
    page.push_back(std::move(rows[i].item));
  json out = {{"logStreams", std::move(page)}};
  if (offset < rows.size() && rows.size() - offset > limit) out["nextToken"] = position_token('f', offset + limit);
  return json_text(out);
}

ApiResult<std::string> LogsApi::get_log_events(const json& body) {
  if (auto group = check_group(body); !group) return std::unexpected(group.error());
  Params params(body);
  auto stream_name = params.string("logStreamName", {.min_length = 1, .max_length = 512, .required = true});
  const auto start = params.integer("startTime", 0);
  const auto end = params.integer("endTime", 0);
  auto token = params.string("nextToken", {.min_length = 1});
  const auto limit = static_cast<size_t>(params.integer("limit", 1, 10000).value_or(10000));
  const bool from_head = params.boolean("startFromHead").value_or(false);
  params.boolean("unmask");
  if (auto error = params.error()) return as_logs_error(*error);
  auto stream = find_stream(*stream_name);
  if (!stream) return api_error(400, "ResourceNotFoundException", "The specified log stream does not exist.");
  const store::LogEvents& events = *stream->events;
  const size_t count = events.size();

  Position position{from_head ? 'f' : 'b', from_head ? size_t{0} : count};
  if (token) {
    auto parsed = parse_position(*token);
    if (!parsed) return invalid_parameter("The specified nextToken is invalid.");
    position = *parsed;
    position.index = std::min(position.index, count);
  }
  // endTime is exclusive here (FilterLogEvents takes it inclusive), as CloudWatch documents.
  auto in_range = [&](int64_t timestamp) { return (!start || timestamp >= *start) && (!end || timestamp < *end); };
  std::vector<size_t> selected;
  std::vector<int64_t> timestamps;
  size_t bytes = 0;
  const auto direction =
      position.direction == 'f' ? store::LogEvents::Direction::forward : store::LogEvents::Direction::backward;
  events.scan(position.index, direction, [&](size_t index, int64_t timestamp, uint32_t length) {
    if (selected.size() >= limit) return false;
    if (!in_range(timestamp)) return true;
    const size_t size = std::min<size_t>(length, k_max_message) + k_event_overhead;
    if (bytes + size > k_max_page_bytes && !selected.empty()) return false;
    bytes += size;
    selected.push_back(index);
    timestamps.push_back(timestamp);
    return true;
  });
  if (direction == store::LogEvents::Direction::backward) {
    std::ranges::reverse(selected);
    std::ranges::reverse(timestamps);
  }
  const auto messages = store::read_messages(events, selected);
  json list = json::array();
  for (size_t i = 0; i < selected.size(); ++i) {
    list.push_back({{"timestamp", timestamps[i]}, {"message", messages[i]}, {"ingestionTime", timestamps[i]}});
  }
  // At the end of the stream the token passed in comes back, as CloudWatch does, so readers stop.
  const size_t forward = selected.empty() ? position.index : selected.back() + 1;
  const size_t backward = selected.empty() ? position.index : selected.front();
  json out = {{"events", std::move(list)},
              {"nextForwardToken", position_token('f', forward)},
              {"nextBackwardToken", position_token('b', backward)}};
  return json_text(out);
}

} // namespace sagerun::server
