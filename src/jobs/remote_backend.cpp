#include "jobs/remote_backend.hpp"

#include <algorithm>
#include <cstdio>

#include "job/lifecycle.hpp"
#include "jobs/remote_metrics.hpp"

namespace sagerun::jobs {
namespace {

// The most pages read from one stream per poll, so a chatty job still gets its status polled.
constexpr int k_pages_per_poll = 50;

class RemoteBackend final : public Backend {
public:
  RemoteBackend(aws::SageMakerClient& sagemaker, aws::LogsClient& logs, aws::CloudWatchClient& cloudwatch,
                int64_t metrics_period)
      : m_sagemaker(sagemaker), m_logs(logs), m_cloudwatch(cloudwatch), m_metrics_period(metrics_period) {}

  Expected<nlohmann::json> describe(const std::string& name) override {
    return m_sagemaker.describe_training_job(name);
  }

  Expected<nlohmann::json> list(const store::ListQuery& query) override {
    aws::TrainingJobFilter filter;
    filter.name_contains = query.name_contains;
    if (query.status_equals) filter.status_equals = std::string(job::to_string(*query.status_equals));
    filter.max_results = query.max_results;
    filter.sort_by = query.sort_by == store::SortBy::name     ? "Name"
                     : query.sort_by == store::SortBy::status ? "Status"
                                                              : "CreationTime";
    filter.sort_order = query.sort_order == store::SortOrder::ascending ? "Ascending" : "Descending";
    auto page = m_sagemaker.list_training_jobs(filter, query.next_token);
    if (!page) return std::unexpected(page.error());
    nlohmann::json out = {{"TrainingJobSummaries", page->summaries}};
    if (!page->next_token.empty()) out["NextToken"] = page->next_token;
    return out;
  }

  Expected<void> stop(const std::string& name) override { return m_sagemaker.stop_training_job(name); }

  Expected<std::optional<uint64_t>> remove(const std::string& name) override {
    if (auto deleted = m_sagemaker.delete_training_job(name); !deleted) return std::unexpected(deleted.error());
    return std::nullopt; // the service says nothing of the space
  }

  Expected<std::unique_ptr<LogReader>> logs(const nlohmann::json& description, LogFormat format) override {
    return std::make_unique<LogFollower>(m_logs, aws::string_member(description, "TrainingJobName"),
                                         instance_count(description), format);
  }

  Expected<std::vector<store::MetricSeries>> metrics(const nlohmann::json& description) override {
    return read_remote_metrics(m_cloudwatch, description, m_metrics_period);
  }

private:
  aws::SageMakerClient& m_sagemaker;
  aws::LogsClient& m_logs;
  aws::CloudWatchClient& m_cloudwatch;
  int64_t m_metrics_period;
};

} // namespace

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

LogFollower::LogFollower(aws::LogsClient& logs, std::string job_name, int hosts, LogFormat format)
    : m_logs(logs), m_job(std::move(job_name)), m_prefixed(hosts > 1), m_format(format) {}

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
  for (const auto& pending : batch) {
    std::string out;
    if (m_format == LogFormat::json) {
      std::string_view message = pending.event.message;
      while (message.ends_with('\n'))
        message.remove_suffix(1);
      out = log_event_json(pending.event.timestamp, *pending.host, message);
    } else {
      out = m_prefixed ? *pending.host + " | " + pending.event.message : pending.event.message;
      if (!out.ends_with('\n')) out += '\n';
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  std::fflush(stdout);
  return batch.size();
}

std::unique_ptr<Backend> make_remote_backend(aws::SageMakerClient& sagemaker, aws::LogsClient& logs,
                                             aws::CloudWatchClient& cloudwatch, int64_t metrics_period) {
  return std::make_unique<RemoteBackend>(sagemaker, logs, cloudwatch, metrics_period);
}

} // namespace sagerun::jobs
