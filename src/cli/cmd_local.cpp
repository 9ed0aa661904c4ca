// sagerun local [JOB.json] [flags]: runs a CreateTrainingJob request on this machine as
// SageMaker would (validate, stage, run each host, supervise, upload, status), natively or in
// Docker. `--detach` returns at once; the job goes on in a background runner (`sagerun
// describe|logs|stop` follow it). `__run-job` is that background runner.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli/command_table.hpp"
#include "cli/local_options.hpp"
#include "cli/local_runner.hpp"
#include "job/status.hpp"
#include "runner/detached_runner.hpp"
#include "runner/state.hpp"
#include "util/files.hpp"

namespace sagerun::cli {
namespace {

void print_outcome(const job::TrainingJobStatus& status) {
  std::fprintf(stderr, "sagerun: job %s: %s (%s)\n", status.job_name.c_str(), status.status.c_str(),
               status.secondary_status.c_str());
  if (!status.failure_reason.empty())
    std::fprintf(stderr, "sagerun: failure reason: %s\n", status.failure_reason.c_str());
  if (!status.model_artifacts.empty()) std::fprintf(stderr, "sagerun: model: %s\n", status.model_artifacts.c_str());
  for (const auto& metric : status.final_metrics) {
    std::fprintf(stderr, "sagerun: metric %s = %g\n", metric.name.c_str(), metric.value);
  }
}

int exit_code_for(const job::TrainingJobStatus& status) {
  return status.status == "Completed" ? k_exit_ok : k_exit_error;
}

// Stages --script: a channel named `code` holding the folder, which train finds (rule 3).
Expected<void> add_script_channel(nlohmann::json& request, const std::string& script) {
  if (!util::is_dir(script)) return util::fail(util::ErrorKind::not_found, "--script " + script + ": not a folder");
  const std::string absolute = std::filesystem::absolute(script).lexically_normal().string();
  request["InputDataConfig"].push_back({{"ChannelName", "code"},
                                        {"DataSource",
                                         {{"S3DataSource",
                                           {{"S3DataType", "S3Prefix"},
                                            {"S3Uri", "file://" + absolute},
                                            {"S3DataDistributionType", "FullyReplicated"}}}}}});
  return {};
}

// The background runner of a detached job: this program's `__run-job`, with the same settings.
Expected<pid_t> spawn_detached(const RunnerFlags& flags, const std::filesystem::path& root, const std::string& name) {
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return util::fail(util::ErrorKind::io, "cannot find this program: " + error.message());
  runner::RunnerCommand command;
  command.sagerun = self.string();
  command.runtime = flags.runtime;
  command.docker = flags.docker;
  command.s3_endpoint = flags.aws.endpoint_url.value_or("");
  command.region = flags.aws.region.value_or("");
  command.profile = flags.aws.profile.value_or("");
  return runner::spawn_detached_runner(command, root, name);
}

} // namespace

int cmd_local(std::span<char*> args) {
  CLI::App app{"Run a SageMaker training job on this machine, natively or in Docker.", "sagerun local"};
  JobFlags job_flags;
  RunnerFlags runner_flags;
  std::string script;
  bool detach = false;
  add_job_flags(app, job_flags);
  add_runner_flags(app, runner_flags);
  app.add_option("--script", script, "a local script folder, staged as a `code` channel that train runs");
  app.add_flag("--detach,-d", detach, "return once the job started; follow it with describe/logs/stop");
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? k_exit_ok : k_exit_usage;
  }
  auto json = build_request_json(job_flags);
  if (!json) return report(json.error());
  if (!script.empty()) {
    if (auto added = add_script_channel(*json, script); !added) return report(added.error());
  }
  auto request = job::parse_request(*json, job::UriPolicy::local);
  if (!request) return report(request.error());
  if (auto supported = runner::check_supported(*request); !supported) return report(supported.error());
  if (runner_flags.runtime == "docker" && request->image.empty()) {
    return report({util::ErrorKind::invalid_input,
                   "AlgorithmSpecification.TrainingImage: the docker runtime needs an image (--image)"});
  }
  auto setup = make_runner_setup(runner_flags, uses_s3(*request));
  if (!setup) return report(setup.error());
  auto& context = (*setup)->context;
  const auto root = runner::state_root(context.env);
  auto folder = runner::create_job(root, *request, context);
  if (!folder) return report(folder.error());
  std::fprintf(stderr, "sagerun: job %s (%s runtime, %d host%s), state in %s\n", request->job_name.c_str(),
               runner_flags.runtime.c_str(), request->instance_count, request->instance_count > 1 ? "s" : "",
               folder->folder().c_str());
  if (detach) {
    auto pid = spawn_detached(runner_flags, root, request->job_name);
    if (!pid) return report(pid.error());
    std::printf("%s\n", request->job_name.c_str());
    return k_exit_ok;
  }
  auto status = runner::run_job(*folder, context);
  if (!status) {
    runner::mark_failed(*folder, "InternalServerError: " + status.error().message);
    return report(status.error());
  }
  print_outcome(*status);
  return exit_code_for(*status);
}

int cmd_run_job(std::span<char*> args) {
  CLI::App app{"The background runner of a detached local job (internal).", "sagerun __run-job"};
  RunnerFlags runner_flags;
  std::string state_dir, name;
  add_runner_flags(app, runner_flags);
  app.add_option("--state-dir", state_dir)->required();
  app.add_option("JOB", name)->required();
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? k_exit_ok : k_exit_usage;
  }
  runner::JobFolder folder(state_dir, name);
  auto request = folder.read_request();
  if (!request) return report(request.error());
  auto setup = make_runner_setup(runner_flags, uses_s3(*request));
  if (!setup) {
    runner::mark_failed(folder, "ClientError: " + setup.error().message);
    return report(setup.error());
  }
  (*setup)->context.echo = runner::Echo::none;
  auto status = runner::run_job(folder, (*setup)->context);
  if (!status) {
    runner::mark_failed(folder, "InternalServerError: " + status.error().message);
    return report(status.error());
  }
  print_outcome(*status);
  return exit_code_for(*status);
}

} // namespace sagerun::cli
