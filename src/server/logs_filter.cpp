// FilterLogEvents: the events of several streams, interleaved by time, matched against a
// pattern and paged with a token that holds the last event returned.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <tuple>

#include "aws/crypto.hpp"
#include "server/filter_pattern.hpp"
#include "server/json_text.hpp"
#include "server/logs_api.hpp"
#include "server/params.hpp"

namespace sagerun::server {
namespace {

using nlohmann::json;

uint32_t fnv1a(std::string_view text) {
  uint32_t hash = 2166136261u;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  return hash;
}

// Stable and unique within the group: `aws logs tail --follow` drops events it has seen by id.
std::string event_id(const std::string& stream, size_t index, int64_t timestamp) {
  char text[64];
  std::snprintf(text, sizeof text, "%013" PRId64 "%010" PRIu32 "%012zu", timestamp, fnv1a(stream), index);
  return text;
}

} // namespace

ApiResult<std::string> LogsApi::filter_log_events(const json& body) {
  if (auto group = check_group(body); !group) return std::unexpected(group.error());
  Params params(body);
  auto names = params.string_list("logStreamNames", 1, 100);
  auto prefix = params.string("logStreamNamePrefix", {.min_length = 1, .max_length = 512});
  const auto start = params.integer("startTime", 0);
  const auto end = params.integer("endTime", 0);
  auto pattern_text = params.string("filterPattern", {.min_length = 0, .max_length = 1024});
  auto token = params.string("nextToken", {.min_length = 1});
  const auto limit = static_cast<size_t>(params.integer("limit", 1, 10000).value_or(10000));
  params.boolean("interleaved");
  params.boolean("unmask");
  if (auto error = params.error()) return as_logs_error(*error);
  if (names && prefix) {
    return invalid_parameter("logStreamNames and logStreamNamePrefix are mutually exclusive: give one of them");
  }
  auto pattern = FilterPattern::parse(pattern_text.value_or(""));
  if (!pattern) return std::unexpected(pattern.error());

  // The token: the last event returned, as (timestamp, stream, index).
  struct After {
    int64_t timestamp = 0;
    std::string stream;
    size_t index = 0;
  };
  std::optional<After> after;
  if (token) {
    const auto raw = aws::base64_decode(*token);
    const auto decoded = raw ? json::parse(*raw, nullptr, false) : json();
    if (!decoded.is_object() || !decoded.contains("t") || !decoded["t"].is_number_integer() || !decoded.contains("s") ||
        !decoded["s"].is_string() || !decoded.contains("i") || !decoded["i"].is_number_unsigned()) {
      return invalid_parameter("The specified nextToken is invalid.");
    }
    after = After{decoded["t"].get<int64_t>(), decoded["s"].get<std::string>(), decoded["i"].get<size_t>()};
  }

  std::vector<Stream> searched;
  if (names) {
    for (const auto& name : *names) {
      if (auto stream = find_stream(name)) searched.push_back(std::move(*stream));
    }
  } else {
    searched = streams(prefix.value_or(""));
  }

  struct Candidate {
    int64_t timestamp;
    size_t stream;
    size_t index;
    uint32_t length;
    std::string message;
  };
  std::vector<Candidate> candidates;
  auto in_range = [&](int64_t timestamp) { return (!start || timestamp >= *start) && (!end || timestamp <= *end); };
  for (size_t s = 0; s < searched.size(); ++s) {
    const Stream& stream = searched[s];
    // Events in a stream come in time order: its first `limit` + 1 matches are all a page needs.
    std::vector<Candidate> batch;
    size_t matched = 0;
    auto flush = [&] {
      if (batch.empty()) return;
      if (!pattern->empty()) {
        std::vector<size_t> indices;
        indices.reserve(batch.size());
        for (const auto& c : batch)
          indices.push_back(c.index);
        auto messages = store::read_messages(*stream.events, indices);
        for (size_t i = 0; i < batch.size(); ++i) {
          if (matched > limit) break;
          if (!pattern->matches(messages[i])) continue;
          batch[i].message = std::move(messages[i]);
          candidates.push_back(std::move(batch[i]));
          ++matched;
        }
      } else {
        for (auto& c : batch)
          candidates.push_back(std::move(c));
        matched += batch.size();
      }
      batch.clear();
    };
    size_t from = 0;
    if (after && after->stream == stream.name) from = after->index + 1;
    stream.events->scan(from, store::LogEvents::Direction::forward,
                        [&](size_t index, int64_t timestamp, uint32_t length) {
                          if (matched > limit) return false;
                          if (!in_range(timestamp)) return true;
                          if (after && after->stream != stream.name &&
                              std::tie(timestamp, stream.name) <= std::tie(after->timestamp, after->stream)) {
                            return true;
                          }
                          batch.push_back({timestamp, s, index, length, {}});
                          if (pattern->empty() ? matched + batch.size() > limit : batch.size() >= 1024) {
                            flush();
                            return matched <= limit;
                          }
                          return true;
                        });
    flush();
  }
  std::ranges::sort(candidates, [&](const Candidate& a, const Candidate& b) {
    return std::tie(a.timestamp, searched[a.stream].name, a.index) <
           std::tie(b.timestamp, searched[b.stream].name, b.index);
  });

  size_t taken = 0, bytes = 0;
  while (taken < candidates.size() && taken < limit) {
    const size_t size = std::min<size_t>(candidates[taken].length, k_max_message) + k_event_overhead;
    if (bytes + size > k_max_page_bytes && taken > 0) break;
    bytes += size;
    ++taken;
  }
  if (pattern->empty()) {
    // Messages not read yet: per stream, in index order.
    for (size_t s = 0; s < searched.size(); ++s) {
      std::vector<size_t> indices;
      std::vector<Candidate*> owners;
      for (size_t i = 0; i < taken; ++i) {
        if (candidates[i].stream == s) owners.push_back(&candidates[i]);
      }
      std::ranges::sort(owners, [](const Candidate* a, const Candidate* b) { return a->index < b->index; });
      indices.reserve(indices.size() + owners.size());
      for (const auto* owner : owners)
        indices.push_back(owner->index);
      auto messages = store::read_messages(*searched[s].events, indices);
      for (size_t i = 0; i < owners.size(); ++i)
        owners[i]->message = std::move(messages[i]);
    }
  }
  json events = json::array();
  for (size_t i = 0; i < taken; ++i) {
    const auto& c = candidates[i];
    const std::string& stream = searched[c.stream].name;
    events.push_back({{"logStreamName", stream},
                      {"timestamp", c.timestamp},
                      {"message", c.message},
                      {"ingestionTime", c.timestamp},
                      {"eventId", event_id(stream, c.index, c.timestamp)}});
  }
  json searched_streams = json::array();
  for (const auto& stream : searched)
    searched_streams.push_back({{"logStreamName", stream.name}, {"searchedCompletely", true}});
  json out = {{"events", std::move(events)}, {"searchedLogStreams", std::move(searched_streams)}};
  if (taken < candidates.size()) {
    const auto& last = candidates[taken - 1];
    out["nextToken"] =
        aws::base64_encode(json{{"t", last.timestamp}, {"s", searched[last.stream].name}, {"i", last.index}}.dump());
  }
  return json_text(out);
}

} // namespace sagerun::server
