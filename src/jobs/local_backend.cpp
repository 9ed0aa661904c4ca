#include "jobs/local_backend.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <string_view>
#include <vector>

#include "job/lifecycle.hpp"
#include "util/fd.hpp"

namespace sagerun::jobs {
namespace {

struct HostFile {
  std::string host;
  std::filesystem::path file;
  util::UniqueFd fd;
  std::string partial; // bytes after the last newline, for prefixed or JSON output
};

// Reads what the hosts' files gained since the last call.
class FileLogReader final : public LogReader {
public:
  FileLogReader(std::vector<HostFile> files, LogFormat format)
      : m_files(std::move(files)), m_format(format), m_prefixed(m_files.size() > 1) {}

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
        if (m_format == LogFormat::text && !m_prefixed) {
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
  void emit(const HostFile& host, std::string_view line) {
    if (m_format == LogFormat::text) {
      util::write_all(STDOUT_FILENO, host.host + " | " + std::string(line) + "\n");
      return;
    }
    // Events files hold "<epoch ms>\t<line>".
    int64_t timestamp = 0;
    if (const auto tab = line.find('\t'); tab != std::string_view::npos) {
      std::from_chars(line.data(), line.data() + tab, timestamp);
      line.remove_prefix(tab + 1);
    }
    util::write_all(STDOUT_FILENO, log_event_json(timestamp, host.host, line));
  }

  std::vector<HostFile> m_files;
  LogFormat m_format;
  bool m_prefixed;
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

  Expected<std::unique_ptr<LogReader>> logs(const nlohmann::json& description, LogFormat format) override {
    const auto folder = m_jobs.store().folder(description.value("TrainingJobName", ""));
    std::vector<HostFile> files;
    files.reserve(static_cast<size_t>(instance_count(description)));
    for (int i = 0; i < instance_count(description); ++i) {
      files.push_back(
          {store::host_name(i), format == LogFormat::json ? folder.events_file(i) : folder.log_file(i), {}, {}});
    }
    return std::make_unique<FileLogReader>(std::move(files), format);
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
