// sagerun local [JOB.json] [flags]: runs a CreateTrainingJob request on this machine as
// SageMaker would (validate, stage, run each host, supervise, upload, status), natively or in
// Docker, as a job of this machine's store (listed with the server's jobs). `--detach` returns
// at once; the job goes on in a background runner (`sagerun describe|logs|stop` follow it).
// `__run-job` is that background runner.
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "cli/command_table.hpp"
#include "cli/job_output.hpp"
#include "cli/jobs_access.hpp"
#include "cli/local_options.hpp"
#include "cli/local_runner.hpp"
#include "entrypoint/locate.hpp"
#include "job/service_error.hpp"
#include "runner/detached_runner.hpp"
#include "util/files.hpp"
#include "util/text.hpp"

namespace sagerun::cli {
namespace {

namespace fs = std::filesystem;

// --script DIR (or FILE) is script mode with the code on this machine, as the SDK's local mode
// sends it: sagemaker_submit_directory names the folder or the one script (the runner copies it
// into each host's code/) and sagemaker_program the script (train.py, train.sh or train in DIR
// unless named), both JSON-encoded as the SDK encodes hyperparameters.
Expected<void> add_script_mode(nlohmann::json& request, const std::string& script) {
  const fs::path given = fs::absolute(script).lexically_normal();
  const bool named = util::is_file(given);
  if (!named && !util::is_dir(given))
    return util::fail(util::ErrorKind::not_found, "--script " + script + ": no such folder or file");
  auto& hyperparameters = request["HyperParameters"];
  if (!hyperparameters.is_object()) hyperparameters = nlohmann::json::object();
  if (named) {
    // The script alone, as the SDK uploads an entry_point given without a source_dir.
    hyperparameters["sagemaker_program"] = nlohmann::json(given.filename().string()).dump();
  } else if (!hyperparameters.contains("sagemaker_program")) {
    const auto entry = entrypoint::entry_in_folder(given, "");
    if (entry.name.empty())
      return util::fail(util::ErrorKind::not_found, "--script " + script +
                                                        ": no train.py, train.sh or train in it; name the script "
                                                        "(--script " +
                                                        script + "/fit.py)");
    hyperparameters["sagemaker_program"] = nlohmann::json(entry.name).dump();
  }
  hyperparameters["sagemaker_submit_directory"] = nlohmann::json("file://" + given.string()).dump();
  return {};
}

// The background runner of a detached job: this program's `__run-job`, with the same settings.
Expected<pid_t> spawn_detached(const RunnerFlags& flags, const AwsFlags& aws_flags, const store::Store& store,
                               const std::string& name, const store::JobLock& lock) {
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return util::fail(util::ErrorKind::io, "cannot find this program: " + error.message());
  runner::RunnerCommand command;
  command.sagerun = self.string();
  command.runtime = flags.runtime;
  command.docker = flags.docker;
  command.interrupt_after = flags.interrupt_after.value_or(0);
  command.interruptions = flags.interruptions;
  command.s3_endpoint = aws_flags.endpoint_url.value_or("");
  command.region = aws_flags.region.value_or("");
  command.profile = aws_flags.profile.value_or("");
  command.machine_cpus = flags.machine_cpus;
  command.machine_memory_gib = flags.machine_memory_gib;
  command.machine_gpus = flags.machine_gpus;
  return runner::spawn_detached_runner(command, store.root(), name, lock);
}

// A job whose runner could not set out ends Failed with why (the reason is printed either way).
void record_failure(store::Store& store, const store::JobLock& lock, const std::string& name,
                    const std::string& reason) {
  if (auto failed = runner::fail_before_start(store, lock, name, reason); !failed) report(failed.error());
}

// The job's final answer: its DescribeTrainingJob JSON (--output json), the outcome lines, and
// the exit code (0 only when it Completed).
int report_outcome(const Invocation& invocation, jobs::LocalJobs& jobs, const std::string& name) {
  auto description = jobs.describe(name);
  if (!description) return report(description.error());
  if (invocation.flags().output == Output::json) print_json(*description);
  print_outcome(*description);
  return aws::string_member(*description, "TrainingJobStatus") == "Completed" ? k_exit_ok : k_exit_error;
}

} // namespace

int cmd_local(Invocation& invocation) {
  auto& app = invocation.app();
  JobFlags job_flags;
  RunnerFlags runner_flags;
  std::string script;
  bool detach = false;
  add_job_flags(app, job_flags);
  add_runner_flags(app, runner_flags);
  app.add_option("--script", script,
                 "a local script folder, or one script, run in script mode: copied into each host's code/");
  app.add_flag("--detach,-d", detach, "return once the job started; follow it with describe/logs/stop");
  if (auto done = invocation.parse()) return *done;
  const auto& env = invocation.env();
  const auto& aws_flags = invocation.flags().aws;

  // Everything checked, once, before anything is created.
  if (!job_flags.output) job_flags.output = invocation.flags().output_location;
  auto json = build_request_json(job_flags);
  if (!json) return report(json.error());
  if (!script.empty()) {
    if (auto added = add_script_mode(*json, script); !added) return report(added.error());
  }
  auto request = job::parse_request(*json, job::UriPolicy::local);
  if (!request) return report(request.error());
  if (auto runnable = runner::check_runnable(*request, env); !runnable) return report(runnable.error());
  if (runner_flags.interrupt_after && !request->spot.managed_spot) {
    return report(
        {util::ErrorKind::invalid_input,
         "--interrupt-after rehearses a spot reclaim, and this job is not a managed spot job: set "
         "EnableManagedSpotTraining to true with StoppingCondition.MaxWaitTimeInSeconds (--use-spot-instances "
         "--max-wait SECONDS)"});
  }
  if (runner_flags.runtime == "docker" && request->image.empty()) {
    return report({util::ErrorKind::invalid_input,
                   "AlgorithmSpecification.TrainingImage: the docker runtime needs an image (--image)"});
  }
  auto setup = make_runner_setup(runner_flags, aws_flags, env, uses_s3(*request));
  if (!setup) return report(setup.error());
  auto& context = (*setup)->context;
  auto access = open_local_jobs(env, aws_flags);
  if (!access) return report(access.error());

  jobs::NewJob new_job;
  new_job.request = *request;
  new_job.region = context.region;
  auto created = access->jobs->create(new_job);
  if (!created) return report(created.error());
  const auto& name = created->row.name;
  std::fprintf(stderr, "sagerun: job %s (%s runtime, %d host%s), state in %s\n", name.c_str(),
               runner_flags.runtime.c_str(), request->instance_count, request->instance_count > 1 ? "s" : "",
               access->store->folder(name).path().c_str());
  if (detach) {
    auto pid = spawn_detached(runner_flags, aws_flags, *access->store, name, *created->lock);
    if (!pid) {
      record_failure(*access->store, *created->lock, name, "InternalServerError: " + pid.error().message);
      return report(pid.error());
    }
    if (invocation.flags().output == Output::json) {
      print_json({{"TrainingJobName", name}, {"TrainingJobArn", created->row.status.job_arn}});
    } else {
      std::printf("%s\n", name.c_str());
    }
    return k_exit_ok;
  }
  // stdout carries the result: the hosts' output goes to stderr.
  if (invocation.flags().output == Output::json) context.echo_fd = STDERR_FILENO;
  auto status = runner::run_job(*access->store, std::move(*created->lock), name, context);
  if (!status) return report(status.error());
  return report_outcome(invocation, *access->jobs, name);
}

int cmd_run_job(Invocation& invocation) {
  auto& app = invocation.app();
  RunnerFlags runner_flags;
  std::string root, name;
  int lock_fd = runner::k_lock_fd;
  bool no_job_credentials = false;
  add_runner_flags(app, runner_flags);
  app.add_flag("--no-job-credentials", no_job_credentials, "serve the job no credentials endpoint");
  app.add_option("--store", root)->required();
  app.add_option("--lock-fd", lock_fd);
  std::vector<std::string> hidden;
  app.add_option("--hide", hidden, "a file or folder the hosts must not see (repeatable)");
  app.add_option("JOB", name)->required();
  if (auto done = invocation.parse()) return *done;
  auto access = open_local_jobs(invocation.env(), invocation.flags().aws, root);
  if (!access) return report(access.error());
  auto lock = store::JobLock::adopt(lock_fd, access->store->folder(name).lock_file());
  if (!lock) return report(lock.error());
  auto row = access->store->index().find(name);
  if (!row) return report(job::job_not_found());
  auto setup = make_runner_setup(runner_flags, invocation.flags().aws, invocation.env(),
                                 uses_s3(job::read_checked_request(row->request)));
  if (!setup) {
    record_failure(*access->store, *lock, name, "ClientError: " + setup.error().message);
    return report(setup.error());
  }
  (*setup)->context.echo = runner::Echo::none;
  if (no_job_credentials) (*setup)->context.credentials = nullptr; // the runner keeps its own
  (*setup)->context.hidden = hidden;
  // A server job's own GPUs, from its scheduler.
  if (auto given = util::read_file(access->store->folder(name).gpus_file())) {
    auto gpus = runner::parse_gpu_list(std::string(util::trim(*given)));
    if (!gpus) {
      record_failure(*access->store, *lock, name, "InternalServerError: " + gpus.error().message);
      return report(gpus.error());
    }
    (*setup)->context.gpus = std::move(*gpus);
  }
  auto status = runner::run_job(*access->store, std::move(*lock), name, (*setup)->context);
  if (!status) return report(status.error());
  return report_outcome(invocation, *access->jobs, name);
}

} // namespace sagerun::cli
