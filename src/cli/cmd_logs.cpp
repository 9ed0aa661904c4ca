// sagerun logs JOB [--follow]: a job's output, as its hosts wrote it (each line prefixed with
// the host's name when there are several); --follow keeps reading until the job ends. Local
// jobs' log files, or with --remote / --endpoint-url / AWS_ENDPOINT_URL_SAGEMAKER the job's
// CloudWatch log streams.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli/aws_context.hpp"
#include "cli/command_table.hpp"
#include "cli/job_lookup.hpp"
#include "cli/remote_context.hpp"
#include "cli/remote_follow.hpp"
#include "util/fd.hpp"

namespace sagerun::cli {
namespace {

struct LogReader {
  std::string host;
  std::filesystem::path file;
  util::UniqueFd fd;
  std::string partial;
};

// Prints what is new in each host's log; true when anything was printed.
bool pump(std::vector<LogReader>& readers, bool prefixed) {
  bool printed = false;
  char buffer[64 * 1024];
  for (auto& reader : readers) {
    if (!reader.fd.valid()) reader.fd.reset(::open(reader.file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!reader.fd.valid()) continue;
    ssize_t got = 0;
    while ((got = ::read(reader.fd.get(), buffer, sizeof buffer)) > 0) {
      printed = true;
      const std::string_view bytes(buffer, static_cast<size_t>(got));
      if (!prefixed) {
        util::write_all(STDOUT_FILENO, bytes);
        continue;
      }
      reader.partial.append(bytes);
      size_t start = 0;
      for (size_t newline; (newline = reader.partial.find('\n', start)) != std::string::npos; start = newline + 1) {
        util::write_all(STDOUT_FILENO, reader.host + " | " + reader.partial.substr(start, newline - start + 1));
      }
      reader.partial.erase(0, start);
    }
  }
  return printed;
}

int logs_remote(const std::string& name, bool follow, const RemoteFlags& remote) {
  const auto env = util::current_environment();
  auto context = make_remote_context(remote.aws, env);
  if (!context) return report(context.error());
  if (follow) {
    const InterruptGuard guard;
    auto result = follow_job(**context, name, FollowOptions{.transitions = false, .logs = true}, env);
    if (!result) return report(result.error());
    return result->interrupted ? k_exit_interrupted : k_exit_ok;
  }
  // A job that does not exist is an error, not an empty log.
  auto description = (*context)->sagemaker->describe_training_job(name);
  if (!description) return report(description.error());
  LogFollower follower(*(*context)->logs, name, log_prefix_for(*description));
  while (true) {
    auto printed = follower.pump();
    if (!printed) return report(printed.error());
    if (*printed == 0) return k_exit_ok;
  }
}

} // namespace

int cmd_logs(std::span<char*> args) {
  CLI::App app{"Print a training job's logs.", "sagerun logs"};
  std::string name;
  bool follow = false;
  app.add_option("JOB", name, "the training job's name")->required();
  app.add_flag("--follow,-f", follow, "keep printing until the job ends");
  RemoteFlags remote;
  add_remote_flags(app, remote);
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? k_exit_ok : k_exit_usage;
  }
  if (wants_remote(remote, util::current_environment())) return logs_remote(name, follow, remote);
  auto folder = find_local_job(name);
  if (!folder) return report(folder.error());
  auto request = folder->read_request();
  if (!request) return report(request.error());
  std::vector<LogReader> readers;
  readers.reserve(static_cast<size_t>(request->instance_count));
  for (int i = 0; i < request->instance_count; ++i) {
    readers.push_back({runner::host_name(i), folder->log_file(i), {}, {}});
  }
  const bool prefixed = readers.size() > 1;
  while (true) {
    // Read the status before the logs: whatever was written before it ended is then printed.
    auto status = runner::read_reconciled_status(*folder);
    const bool ended = !status || is_terminal(status->status);
    const bool printed = pump(readers, prefixed);
    if (!follow || (ended && !printed)) break;
    if (!printed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto& reader : readers) {
    if (prefixed && !reader.partial.empty())
      util::write_all(STDOUT_FILENO, reader.host + " | " + reader.partial + "\n");
  }
  return k_exit_ok;
}

} // namespace sagerun::cli
