#include "jobs/local_backend.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string_view>
#include <vector>

#include "job/lifecycle.hpp"
#include "store/log_events.hpp"
#include "util/fd.hpp"

namespace sagerun::jobs {
namespace {

struct HostFile {
  std::string host;
  std::filesystem::path file;
  util::UniqueFd fd;
  std::string partial; // bytes after the last newline, for prefixed output
};

// Reads what the hosts' logs gained since the last call, as text.
class FileLogReader final : public LogReader {
public:
  explicit FileLogReader(std::vector<HostFile> files) : m_files(std::move(files)), m_prefixed(m_files.size() > 1) {}

  Expected<size_t> pump() override {
    size_t printed = 0;
    char buffer[64 * 1024];
    for (auto& host : m_files) {
      if (!host.fd.valid()) host.fd.reset(::open(host.file.c_str(), O_RDONLY | O_CLOEXEC));
      if (!host.fd.valid()) continue;
      ssize_t got = 0;
      while ((got = ::read(host.fd.get(), buffer, sizeof buffer)) > 0) {
        ++printed;
        const std::string_view bytes(buffer, static_cast<size_t>(got));
        if (!m_prefixed) {
          util::write_all(STDOUT_FILENO, bytes);
          continue;
        }
        host.partial.append(bytes);
        size_t start = 0;
        for (size_t newline; (newline = host.partial.find('\n', start)) != std::string::npos; start = newline + 1)
          emit(host, std::string_view(host.partial).substr(start, newline - start));
        host.partial.erase(0, start);
      }
    }
    return printed;
  }

  void finish() override {
    for (auto& host : m_files) {
      if (host.partial.empty()) continue;
      emit(host, host.partial);
      host.partial.clear();
    }
  }

private:
  static void emit(const HostFile& host, std::string_view line) {
    util::write_all(STDOUT_FILENO, host.host + " | " + std::string(line) + "\n");
  }

  std::vector<HostFile> m_files;
  bool m_prefixed;
};

// The hosts' logs as events (the CloudWatch Logs view), one JSON object per line.
class EventLogReader final : public LogReader {
public:
  struct Host {
    std::string name;
    std::unique_ptr<store::LogEvents> events;
    size_t next = 0;
  };
  explicit EventLogReader(std::vector<Host> hosts) : m_hosts(std::move(hosts)) {}

  Expected<size_t> pump() override {
    size_t printed = 0;
    for (auto& host : m_hosts) {
      host.events->refresh();
      const size_t last = host.events->size();
      if (host.next >= last) continue;
      std::vector<int64_t> times;
      host.events->scan(host.next, store::LogEvents::Direction::forward, [&](size_t index, int64_t time, uint32_t) {
        times.push_back(time);
        return index + 1 < last;
      });
      const auto messages = host.events->messages(host.next, last);
      std::string out;
      for (size_t i = 0; i < messages.size() && i < times.size(); ++i)
        out += log_event_json(times[i], host.name, messages[i]);
      util::write_all(STDOUT_FILENO, out);
      printed += messages.size();
      host.next = last;
    }
    return printed;
  }

  void finish() override {}

private:
  std::vector<Host> m_hosts;
};

class LocalBackend final : public Backend {
public:
  explicit LocalBackend(LocalJobs& jobs) : m_jobs(jobs) {}

  Expected<nlohmann::json> describe(const std::string& name) override { return m_jobs.describe(name); }

  Expected<nlohmann::json> list(const store::ListQuery& query) override {
    auto page = m_jobs.list(query);
    if (!page) return std::unexpected(page.error());
    return list_page_json(*page);
  }

  Expected<void> stop(const std::string& name) override { return m_jobs.stop(name); }

  Expected<std::optional<uint64_t>> remove(const std::string& name) override {
    auto removed = m_jobs.remove(name);
    if (!removed) return std::unexpected(removed.error());
    return removed->bytes_freed;
  }

  Expected<std::unique_ptr<LogReader>> logs(const nlohmann::json& description, LogFormat format) override {
    const auto folder = m_jobs.store().folder(description.value("TrainingJobName", ""));
    const int hosts = instance_count(description);
    if (format == LogFormat::json) {
      std::vector<EventLogReader::Host> events;
      events.reserve(static_cast<size_t>(hosts));
      for (int i = 0; i < hosts; ++i) {
        events.push_back(
            {store::host_name(i), std::make_unique<store::LogEvents>(folder.log_file(i), folder.times_file(i)), 0});
      }
      return std::make_unique<EventLogReader>(std::move(events));
    }
    std::vector<HostFile> files;
    files.reserve(static_cast<size_t>(hosts));
    for (int i = 0; i < hosts; ++i)
      files.push_back({store::host_name(i), folder.log_file(i), {}, {}});
    return std::make_unique<FileLogReader>(std::move(files));
  }

  Expected<std::vector<store::MetricSeries>> metrics(const nlohmann::json& description) override {
    return store::read_metric_series(m_jobs.store().folder(description.value("TrainingJobName", "")),
                                     instance_count(description));
  }

private:
  LocalJobs& m_jobs;
};

} // namespace

std::unique_ptr<Backend> make_local_backend(LocalJobs& jobs) { return std::make_unique<LocalBackend>(jobs); }

bool has_ended(const nlohmann::json& description) {
  const auto it = description.find("TrainingJobStatus");
  if (it == description.end() || !it->is_string()) return false;
  const auto status = job::parse_job_status(it->get<std::string>());
  return status && job::has_ended(*status);
}

int instance_count(const nlohmann::json& description) {
  const auto resources = description.value("ResourceConfig", nlohmann::json::object());
  if (const auto count = resources.find("InstanceCount"); count != resources.end() && count->is_number_integer()) {
    return std::max(1, count->get<int>());
  }
  int total = 0;
  if (const auto groups = resources.find("InstanceGroups"); groups != resources.end() && groups->is_array()) {
    for (const auto& group : *groups)
      if (group.is_object()) total += group.value("InstanceCount", 0);
  }
  return std::max(total, 1);
}

std::string log_event_json(int64_t timestamp_ms, const std::string& host, std::string_view message) {
  const nlohmann::json event = {{"timestamp", timestamp_ms}, {"host", host}, {"message", std::string(message)}};
  return event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

} // namespace sagerun::jobs
