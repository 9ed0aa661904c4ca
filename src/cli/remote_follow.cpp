#include "cli/remote_follow.hpp"

#include <algorithm>
#include <cstdio>

#include "cli/job_lookup.hpp"

namespace sagerun::cli {
namespace {

// The most pages read from one stream per poll, so a chatty job still gets its status polled.
constexpr int k_pages_per_poll = 50;

int instance_count(const nlohmann::json& description) {
  const auto resources = description.value("ResourceConfig", nlohmann::json::object());
  if (const auto count = resources.find("InstanceCount"); count != resources.end() && count->is_number_integer()) {
    return count->get<int>();
  }
  int total = 0;
  if (const auto groups = resources.find("InstanceGroups"); groups != resources.end() && groups->is_array()) {
    for (const auto& group : *groups)
      if (group.is_object()) total += group.value("InstanceCount", 0);
  }
  return std::max(total, 1);
}

void print_event(const aws::LogEvent& event, const std::string& host, LogFollower::Prefix prefix) {
  std::string line = prefix == LogFollower::Prefix::yes ? host + " | " + event.message : event.message;
  if (!line.ends_with('\n')) line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
}

// pump() with a warning (once) instead of an error: the job is followed even when its logs
// cannot be read.
bool pump_logs(LogFollower& follower, bool& warned) {
  auto printed = follower.pump();
  if (printed) return *printed > 0;
  if (!warned) {
    std::fprintf(stderr, "sagerun: warning: cannot read the job's logs (following its status only): %s\n",
                 printed.error().message.c_str());
    warned = true;
  }
  return false;
}

} // namespace

LogFollower::Prefix log_prefix_for(const nlohmann::json& description) {
  return instance_count(description) > 1 ? LogFollower::Prefix::yes : LogFollower::Prefix::no;
}

std::string host_of_stream(const std::string& stream, const std::string& job_name) {
  std::string host = stream.starts_with(job_name + "/") ? stream.substr(job_name.size() + 1) : stream;
  // "algo-1-1700000000": drop the epoch SageMaker appends.
  if (const auto dash = host.rfind('-'); dash != std::string::npos && dash + 1 < host.size() &&
                                         std::all_of(host.begin() + static_cast<std::ptrdiff_t>(dash) + 1, host.end(),
                                                     [](unsigned char c) { return std::isdigit(c); }) &&
                                         host.size() - dash > 6) {
    host.resize(dash);
  }
  return host;
}

LogFollower::LogFollower(aws::LogsClient& logs, std::string job_name, Prefix prefix)
    : m_logs(logs), m_job(std::move(job_name)), m_prefix(prefix) {}

Expected<size_t> LogFollower::pump() {
  auto streams = m_logs.describe_log_streams(aws::k_training_log_group, m_job + "/");
  if (!streams) return std::unexpected(streams.error());
  for (const auto& stream : *streams) {
    if (!m_streams.contains(stream.name)) m_streams[stream.name] = {host_of_stream(stream.name, m_job), ""};
  }
  struct Pending {
    aws::LogEvent event;
    const std::string* host;
  };
  std::vector<Pending> batch;
  for (auto& [name, stream] : m_streams) {
    for (int page = 0; page < k_pages_per_poll && !stream.stuck; ++page) {
      auto events = m_logs.get_log_events(aws::k_training_log_group, name, stream.token);
      if (!events) return std::unexpected(events.error());
      // Without a token there is no way forward: reading again would repeat these events.
      const bool moved = !events->next_forward_token.empty() && events->next_forward_token != stream.token;
      for (auto& event : events->events)
        batch.push_back({std::move(event), &stream.host});
      if (events->next_forward_token.empty() && !events->events.empty()) stream.stuck = true;
      if (!moved) break;
      stream.token = events->next_forward_token;
      if (events->events.empty()) break;
    }
  }
  std::stable_sort(batch.begin(), batch.end(),
                   [](const Pending& a, const Pending& b) { return a.event.timestamp < b.event.timestamp; });
  for (const auto& pending : batch)
    print_event(pending.event, *pending.host, m_prefix);
  std::fflush(stdout);
  return batch.size();
}

bool TransitionPrinter::print(const nlohmann::json& description) {
  bool printed = false;
  const auto transitions = description.find("SecondaryStatusTransitions");
  if (transitions != description.end() && transitions->is_array() && !transitions->empty()) {
    for (size_t i = 0; i < transitions->size(); ++i) {
      const auto& transition = (*transitions)[i];
      if (!transition.is_object()) continue;
      std::string text = aws::string_member(transition, "Status");
      if (const auto message = aws::string_member(transition, "StatusMessage"); !message.empty()) {
        text += " - " + message;
      }
      if (i < m_printed.size() && m_printed[i] == text) continue;
      if (i >= m_printed.size()) m_printed.resize(i + 1);
      m_printed[i] = text;
      std::fprintf(stderr, "sagerun: %s %s\n", format_api_time(transition.value("StartTime", nlohmann::json())).c_str(),
                   text.c_str());
      printed = true;
    }
    return printed;
  }
  const auto secondary = aws::string_member(description, "SecondaryStatus");
  if (secondary.empty() || secondary == m_last_secondary) return false;
  m_last_secondary = secondary;
  std::fprintf(stderr, "sagerun: %s %s\n",
               format_api_time(description.value("LastModifiedTime", nlohmann::json())).c_str(), secondary.c_str());
  return true;
}

Expected<FollowResult> follow_job(RemoteContext& context, const std::string& job_name, const FollowOptions& options,
                                  const util::EnvMap& env) {
  Poller poller(env);
  TransitionPrinter transitions;
  std::optional<LogFollower> follower;
  bool warned = false;
  while (true) {
    // The status before the logs: whatever was logged before the job ended is then read.
    auto description = context.sagemaker->describe_training_job(job_name);
    if (!description) return std::unexpected(description.error());
    bool news = options.transitions && transitions.print(*description);
    if (options.logs) {
      if (!follower) {
        follower.emplace(*context.logs, job_name, log_prefix_for(*description));
      }
      news = pump_logs(*follower, warned) || news;
    }
    if (is_terminal(aws::string_member(*description, "TrainingJobStatus"))) {
      // CloudWatch takes a few seconds to show the last lines; a compatible server has them.
      if (options.logs && !context.endpoints.custom && poller.sleep()) pump_logs(*follower, warned);
      return FollowResult{std::move(*description), false};
    }
    if (news) poller.news();
    if (!poller.sleep()) return FollowResult{std::move(*description), true};
  }
}

void print_remote_outcome(const nlohmann::json& description) {
  std::fprintf(stderr, "sagerun: job %s: %s (%s)\n", aws::string_member(description, "TrainingJobName").c_str(),
               aws::string_member(description, "TrainingJobStatus").c_str(),
               aws::string_member(description, "SecondaryStatus").c_str());
  if (const auto reason = aws::string_member(description, "FailureReason"); !reason.empty()) {
    std::fprintf(stderr, "sagerun: failure reason: %s\n", reason.c_str());
  }
  const auto artifacts = description.value("ModelArtifacts", nlohmann::json::object());
  if (const auto model = aws::string_member(artifacts, "S3ModelArtifacts"); !model.empty()) {
    std::fprintf(stderr, "sagerun: model: %s\n", model.c_str());
  }
  if (const auto metrics = description.find("FinalMetricDataList");
      metrics != description.end() && metrics->is_array()) {
    for (const auto& metric : *metrics) {
      if (!metric.is_object() || !metric.contains("Value") || !metric["Value"].is_number()) continue;
      std::fprintf(stderr, "sagerun: metric %s = %g\n", aws::string_member(metric, "MetricName").c_str(),
                   metric["Value"].get<double>());
    }
  }
}

} // namespace sagerun::cli
