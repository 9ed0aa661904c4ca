#include "runner/state.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "util/files.hpp"
#include "util/log.hpp"

namespace sagerun::runner {

fs::path state_root(const util::EnvMap& env) {
  if (auto home = util::lookup(env, "SAGERUN_HOME"); home && !home->empty()) return *home;
  auto user_home = util::lookup(env, "HOME");
  return fs::path(user_home && !user_home->empty() ? *user_home : "/tmp") / ".sagerun";
}

std::string host_name(int host_index) { return "algo-" + std::to_string(host_index + 1); }

Expected<void> JobFolder::create() const {
  if (auto made = util::make_directories(m_root / "jobs"); !made) return made;
  if (::mkdir(folder().c_str(), 0755) != 0) {
    if (errno == EEXIST) {
      return util::fail(util::ErrorKind::invalid_input,
                        "ResourceInUse: Training job names must be unique within an AWS account and region, and a "
                        "training job with this name already exists (" +
                            m_name + " in " + folder().string() + ")");
    }
    return util::fail(util::ErrorKind::io, util::errno_message("cannot create " + folder().string(), errno));
  }
  for (const char* sub : {"hosts", "logs", "work"}) {
    if (auto made = util::make_directories(folder() / sub); !made) return made;
  }
  return {};
}

bool JobFolder::exists() const { return util::is_dir(folder()); }

fs::path JobFolder::host_tree(int host_index) const { return folder() / "hosts" / host_name(host_index); }

fs::path JobFolder::log_file(int host_index) const { return folder() / "logs" / (host_name(host_index) + ".log"); }

fs::path JobFolder::events_file(int host_index) const {
  return folder() / "logs" / (host_name(host_index) + ".events");
}

Expected<void> JobFolder::write_request(const job::TrainingJobRequest& request) const {
  return util::write_file_atomic(folder() / "request.json", job::to_json(request).dump(2) + "\n");
}

Expected<job::TrainingJobRequest> JobFolder::read_request() const {
  auto text = util::read_file(folder() / "request.json");
  if (!text) return std::unexpected(text.error());
  auto json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded()) {
    return util::fail(util::ErrorKind::invalid_input, (folder() / "request.json").string() + " is not valid JSON");
  }
  return job::parse_request(json, job::UriPolicy::local);
}

Expected<void> JobFolder::write_status(const job::TrainingJobStatus& status) const {
  return util::write_file_atomic(folder() / "status.json", job::to_json(status).dump(2) + "\n");
}

Expected<job::TrainingJobStatus> JobFolder::read_status() const {
  const auto path = folder() / "status.json";
  auto text = util::read_file(path);
  if (!text) return std::unexpected(text.error());
  auto json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded()) return util::fail(util::ErrorKind::invalid_input, path.string() + " is not valid JSON");
  return job::status_from_json(json);
}

Expected<void> JobFolder::write_runner_pid(pid_t pid) const {
  return util::write_file_atomic(folder() / "runner.pid", std::to_string(pid) + "\n");
}

std::optional<pid_t> JobFolder::live_runner_pid() const {
  auto text = util::read_file(folder() / "runner.pid");
  if (!text) return std::nullopt;
  const long pid = std::strtol(text->c_str(), nullptr, 10);
  if (pid <= 0) return std::nullopt;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return std::nullopt;
  // A recycled pid belongs to some other program: trust it only while it is still sagerun.
  auto cmdline = util::read_file("/proc/" + std::to_string(pid) + "/cmdline");
  if (cmdline && cmdline->find("sagerun") == std::string::npos) return std::nullopt;
  return static_cast<pid_t>(pid);
}

void mark_failed(const JobFolder& folder, const std::string& reason) {
  auto status = folder.read_status();
  if (!status) return;
  if (status->status == "Completed" || status->status == "Failed" || status->status == "Stopped") return;
  status->status = "Failed";
  status->failure_reason = reason.substr(0, 1024);
  job::transition(*status, "Failed", "Training job failed", job::now_seconds());
  if (auto written = folder.write_status(*status); !written) util::log::error(written.error().message);
}

Expected<job::TrainingJobStatus> read_reconciled_status(const JobFolder& folder) {
  auto status = folder.read_status();
  if (!status) return status;
  const bool active = status->status == "InProgress" || status->status == "Stopping";
  if (!active || folder.live_runner_pid()) return status;
  // A job only just created has no runner pid yet: give its runner a moment to start.
  const bool has_pid_file = util::is_file(folder.folder() / "runner.pid");
  if (has_pid_file || job::now_seconds() - status->creation_time > 10) {
    mark_failed(folder, "InternalServerError: the runner of this job ended before the job did (killed?)");
    return folder.read_status();
  }
  return status;
}

std::vector<std::string> list_job_names(const fs::path& root) {
  std::vector<std::pair<double, std::string>> jobs;
  for (const auto& name : util::list_directory(root / "jobs")) {
    JobFolder folder(root, name);
    auto status = folder.read_status();
    jobs.emplace_back(status ? status->creation_time : 0.0, name);
  }
  std::sort(jobs.begin(), jobs.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> names;
  names.reserve(jobs.size());
  for (auto& [time, name] : jobs)
    names.push_back(std::move(name));
  return names;
}

} // namespace sagerun::runner
